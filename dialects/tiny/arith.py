"""Arithmetic and activation operators beyond ADD and MUL: the elementwise
binary ops SUB, MINIMUM, MAXIMUM, SQUARED_DIFFERENCE and PRELU (broadcasting
`BinaryOp`s, so the row and channel passes take them as they take ADD), the
activations LEAKY_RELU and TANH, LOG_SOFTMAX and ARG_MAX. All int8, with
TFLite Micro's numerics (tinyir.numerics.kernels; the integer parameters come
from tinyir.numerics.quantization).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import FloatAttr, IntegerAttr
from xdsl.irdl import prop_def

from tinyir.dialects.tiny.base import ComputeOp, compute_op_definition
from tinyir.dialects.tiny.nn import BinaryOp, UnaryOp
from tinyir.dialects.tiny.types import BufferType
from tinyir.numerics import quantization
from tinyir.numerics.quantization import QParams


def _check_int8(op: ComputeOp, *types: BufferType) -> None:
    """Per-tensor quantized int8 buffers: what these kernels compute on."""
    for t in types:
        if t.dtype != np.int8 or t.quant is None or t.quant.is_per_channel:
            kind = "unquantized" if t.quant is None else "per-channel" if t.quant.is_per_channel else "per-tensor"
            raise op.fail(f"buffer {list(t.shape)} must be per-tensor quantized i8, got {kind} {t.element_type}")


class Int8BinaryOp(BinaryOp):
    """A BinaryOp on per-tensor quantized int8 buffers; its `clamp` is the
    last step, as ADD's (so --fuse may fold a RELU into it)."""

    def verify_op(self) -> None:
        super().verify_op()
        _check_int8(self, self.in_type(0), self.in_type(1), self.out_type)


@compute_op_definition
class SubOp(Int8BinaryOp):
    """Quantized subtraction, lhs - rhs: `tiny.sub %a, %b -> %y {clamp = array<i64: -128, 127>}`"""

    name = "tiny.sub"


class RawMinMaxOp(Int8BinaryOp):
    """MINIMUM / MAXIMUM compare the raw int8 values (TFLite does not
    rescale): inputs and output share one quantization."""

    def verify_op(self) -> None:
        super().verify_op()
        for i in range(2):
            self.check_same_encoding(self.in_type(i), self.out_type)


@compute_op_definition
class MinimumOp(RawMinMaxOp):
    """Elementwise minimum: `tiny.minimum %a, %b -> %y {clamp = array<i64: -128, 127>}`"""

    name = "tiny.minimum"


@compute_op_definition
class MaximumOp(RawMinMaxOp):
    """Elementwise maximum: `tiny.maximum %a, %b -> %y {clamp = array<i64: -128, 127>}`"""

    name = "tiny.maximum"


@compute_op_definition
class SquaredDifferenceOp(Int8BinaryOp):
    """(lhs - rhs)^2, quantized: `tiny.squared_difference %a, %b -> %y {clamp = array<i64: -128, 127>}`"""

    name = "tiny.squared_difference"


@compute_op_definition
class PReluOp(Int8BinaryOp):
    """Parametric ReLU, x for x >= 0 and alpha * x below, alpha broadcast
    (usually a constant per channel):

        tiny.prelu %x, %alpha -> %y {clamp = array<i64: -128, 127>}
    """

    name = "tiny.prelu"
    INPUT_NAMES: ClassVar[tuple[str, ...]] = ("input", "alpha")


class Int8UnaryOp(UnaryOp):
    def verify_op(self) -> None:
        _check_int8(self, self.in_type(0), self.out_type)
        super().verify_op()


@compute_op_definition
class LeakyReluOp(Int8UnaryOp):
    """Leaky ReLU, x for x >= 0 and alpha * x below (alpha >= 0):

        tiny.leaky_relu %x -> %y {alpha = 0.2 : f32}
    """

    name = "tiny.leaky_relu"
    alpha = prop_def(FloatAttr)

    def check_kernel_quantization(self, x_q: QParams, y_q: QParams) -> None:
        quantization.leaky_relu_params(x_q, y_q, self.alpha.value.data)


@compute_op_definition
class TanhOp(Int8UnaryOp):
    """Hyperbolic tangent, output at scale 1/128, zero point 0: `tiny.tanh %x -> %y`"""

    name = "tiny.tanh"

    def check_kernel_quantization(self, x_q: QParams, y_q: QParams) -> None:
        quantization.check_tanh_output(y_q)


@compute_op_definition
class LogSoftmaxOp(Int8UnaryOp):
    """log(softmax(x)) over the last axis, output at scale 16/256, zero point 127:
    `tiny.log_softmax %x -> %y`"""

    name = "tiny.log_softmax"

    def check_kernel_quantization(self, x_q: QParams, y_q: QParams) -> None:
        quantization.check_log_softmax_output(y_q)
        quantization.log_softmax_params(x_q)


@compute_op_definition
class ArgMaxOp(ComputeOp):
    """The index of the first largest value along `axis`, as i32 (the output
    drops that dimension):

        tiny.arg_max %x -> %y {axis = 3 : i64}
    """

    name = "tiny.arg_max"
    axis = prop_def(IntegerAttr)

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        _check_int8(self, x)
        axis = self.axis.value.data
        if not 0 <= axis < len(x.shape):
            raise self.fail(f"axis {axis} is not a dimension of {list(x.shape)}")
        expected = [d for i, d in enumerate(x.shape) if i != axis]
        if list(y.shape) != expected:
            raise self.fail(f"output {list(y.shape)} is not {list(x.shape)} without dimension {axis}")
        if y.dtype != np.int32 or y.quant is not None:
            raise self.fail(f"output must be i32 without quantization, got {y.element_type}")
