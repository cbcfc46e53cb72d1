"""The neural-network operators: convolutions, fully connected, elementwise, pools, layout, conversions."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
)
from xdsl.irdl import (
    prop_def,
)

from tinyir.dialects.tiny.base import ComputeOp, compute_op_definition
from tinyir.dialects.tiny.tiles import TiledOp
from tinyir.dialects.tiny.types import MAX_BUFFER_BYTES
from tinyir.numerics import quantization
from tinyir.numerics.quantization import QParams

# ---------------------------------------------------------------------------
# Compute ops
# ---------------------------------------------------------------------------


def window_output_size(size: int, kernel: int, stride: int, dilation: int, before: int, after: int) -> int:
    """Output length of a sliding window over `size` with explicit padding."""
    effective = (kernel - 1) * dilation + 1
    return (size + before + after - effective) // stride + 1


class WindowOp(ComputeOp):
    """Shared checks of the 2-D sliding-window ops (conv, depthwise, pools)."""

    def check_window(self, kernel: tuple[int, int], dilation: tuple[int, int]) -> None:
        x, y = self.whole_input(), self.whole_output()
        if len(x.shape) != 4 or len(y.shape) != 4:
            raise self.fail(f"input and output must be NHWC, got {list(x.shape)} -> {list(y.shape)}")
        stride = self.check_array("stride", 2, minimum=1)
        top, bottom, left, right = self.check_array("pad", 4, minimum=0)
        padded = x.shape[0] * (x.shape[1] + top + bottom) * (x.shape[2] + left + right) * x.shape[3] * x.element_bytes
        if padded > MAX_BUFFER_BYTES:  # the reference kernels pad a copy of the input
            raise self.fail(f"padding {[top, bottom, left, right]} makes the input {padded} bytes, more than 2 GiB")
        expected = (
            window_output_size(x.shape[1], kernel[0], stride[0], dilation[0], top, bottom),
            window_output_size(x.shape[2], kernel[1], stride[1], dilation[1], left, right),
        )
        if y.shape[0] != x.shape[0]:
            raise self.fail(f"batch of output {list(y.shape)} differs from input {list(x.shape)}")
        if tuple(y.shape[1:3]) != expected:
            raise self.fail(
                f"output {list(y.shape)} does not match input {list(x.shape)} with kernel "
                f"{list(kernel)}, stride {list(stride)}, pad {[top, bottom, left, right]}: "
                f"expected spatial size {list(expected)}"
            )
        self.check_clamp()


class ConvLikeOp(WindowOp, TiledOp):
    INPUT_NAMES: ClassVar[tuple[str, ...]] = ("input", "filter", "bias?")

    def check_conv(self, filter_channels_axis: int) -> None:
        x, w, y = self.whole_input(), self.in_type(1), self.whole_output()
        if len(w.shape) != 4:
            raise self.fail(f"filter must have rank 4, got {list(w.shape)}")
        floating = self.check_quantized_or_float(x, w, y)
        dilation = self.check_array("dilation", 2, minimum=1)
        self.check_window((w.shape[1], w.shape[2]), dilation)
        out_channels = w.shape[filter_channels_axis]
        if y.shape[3] != out_channels:
            raise self.fail(f"output has {y.shape[3]} channels, filter {list(w.shape)} gives {out_channels}")
        if len(self.ins) == 3:
            b = self.in_type(2)
            if b.shape != (out_channels,) or b.dtype != (np.float32 if floating else np.int32):
                element = "f32" if floating else "i32"
                raise self.fail(f"bias must be {out_channels} x {element}, got {list(b.shape)} x {b.element_type}")


@compute_op_definition
class Conv2DOp(ConvLikeOp):
    """2-D convolution, NHWC input, filter [C_out, KH, KW, C_in], int32 bias.

    tiny.conv_2d %x, %w, %b -> %y {stride = array<i64: 1, 1>,
        dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>,
        clamp = array<i64: -128, 127>}
    """

    name = "tiny.conv_2d"
    FILTER_OUT_AXIS: ClassVar[int] = 0
    FILTER_IN_AXIS: ClassVar[int | None] = 3
    stride = prop_def(DenseArrayBase)
    dilation = prop_def(DenseArrayBase)
    pad = prop_def(DenseArrayBase)
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        self.check_conv(filter_channels_axis=0)
        x, w = self.whole_input(), self.in_type(1)
        if w.shape[3] != x.shape[3]:
            raise self.fail(f"filter {list(w.shape)} expects {w.shape[3]} input channels, input has {x.shape[3]}")


@compute_op_definition
class DepthwiseConv2DOp(ConvLikeOp):
    """Depthwise 2-D convolution, filter [1, KH, KW, C_out], C_out = C_in x multiplier.

    tiny.depthwise_conv_2d %x, %w, %b -> %y {stride = ..., dilation = ...,
        pad = ..., clamp = ...}
    """

    name = "tiny.depthwise_conv_2d"
    FILTER_OUT_AXIS: ClassVar[int] = 3
    FILTER_IN_AXIS: ClassVar[int | None] = None
    CHANNELWISE: ClassVar[bool] = True
    stride = prop_def(DenseArrayBase)
    dilation = prop_def(DenseArrayBase)
    pad = prop_def(DenseArrayBase)
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        self.check_conv(filter_channels_axis=3)
        x, w = self.whole_input(), self.in_type(1)
        if w.shape[0] != 1 or w.shape[3] % x.shape[3] != 0:
            raise self.fail(f"filter {list(w.shape)} is not [1, KH, KW, k x {x.shape[3]}]")


@compute_op_definition
class FullyConnectedOp(TiledOp):
    """Fully connected layer: input [..., K] as rows, filter [C_out, K], int32 bias.

    tiny.fully_connected %x, %w, %b -> %y {clamp = array<i64: -128, 127>}
    """

    name = "tiny.fully_connected"
    FILTER_OUT_AXIS: ClassVar[int] = 0
    FILTER_IN_AXIS: ClassVar[int | None] = 1
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        x, w, y = self.whole_input(), self.in_type(1), self.whole_output()
        floating = self.check_quantized_or_float(x, w, y)
        if len(w.shape) != 2:
            raise self.fail(f"filter must be [C_out, K], got {list(w.shape)}")
        if not x.shape or not y.shape:
            raise self.fail("input and output must have at least one dimension")
        out_channels, depth = w.shape
        if x.num_elements % depth != 0:
            raise self.fail(f"input {list(x.shape)} is not a whole number of rows of {depth}")
        rows = x.num_elements // depth
        if y.shape[-1] != out_channels or y.num_elements != rows * out_channels:
            raise self.fail(f"output {list(y.shape)} should hold {rows} rows of {out_channels}")
        if len(self.ins) == 3:
            b = self.in_type(2)
            if b.shape != (out_channels,) or b.dtype != (np.float32 if floating else np.int32):
                element = "f32" if floating else "i32"
                raise self.fail(f"bias must be {out_channels} x {element}, got {list(b.shape)} x {b.element_type}")
        self.check_clamp()


class BinaryOp(ComputeOp):
    """Elementwise op on two inputs with numpy/TFLite broadcasting."""

    INPUT_NAMES: ClassVar[tuple[str, ...]] = ("lhs", "rhs")
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        a, b, y = self.in_type(0), self.in_type(1), self.out_type
        self.check_quantized_or_float(a, b, y)
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise self.fail(f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast") from None
        if shape != y.shape:
            raise self.fail(f"output {list(y.shape)} is not the broadcast shape {list(shape)}")
        self.check_clamp()


@compute_op_definition
class AddOp(BinaryOp):
    """Quantized addition: `tiny.add %a, %b -> %y {clamp = array<i64: -128, 127>}`"""

    name = "tiny.add"


@compute_op_definition
class MulOp(BinaryOp):
    """Quantized multiplication: `tiny.mul %a, %b -> %y {clamp = array<i64: -128, 127>}`"""

    name = "tiny.mul"


class PoolOp(WindowOp):
    kernel = prop_def(DenseArrayBase)
    stride = prop_def(DenseArrayBase)
    pad = prop_def(DenseArrayBase)
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        self.check_quantized_or_float(x, y)
        kernel = self.check_array("kernel", 2, minimum=1)
        self.check_window((kernel[0], kernel[1]), (1, 1))
        if x.shape[3] != y.shape[3]:
            raise self.fail(f"input has {x.shape[3]} channels, output {y.shape[3]}")
        self.check_same_encoding(x, y)


@compute_op_definition
class AvgPool2DOp(PoolOp):
    """Average pooling over in-image taps: `tiny.avg_pool_2d %x -> %y {kernel = ..., stride = ..., pad = ..., clamp = ...}`"""

    name = "tiny.avg_pool_2d"


@compute_op_definition
class MaxPool2DOp(PoolOp):
    """Max pooling: `tiny.max_pool_2d %x -> %y {kernel = ..., stride = ..., pad = ..., clamp = ...}`"""

    name = "tiny.max_pool_2d"


@compute_op_definition
class MeanOp(ComputeOp):
    """Mean over `axes`, requantized to the output.

    tiny.mean %x -> %y {axes = array<i64: 1, 2>}
    """

    name = "tiny.mean"
    axes = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        self.check_quantized_or_float(x, y)
        axes = self.ints("axes")
        if not axes or any(not 0 <= a < len(x.shape) for a in axes) or len(set(axes)) != len(axes):
            raise self.fail(f"axes {list(axes)} are not distinct dimensions of {list(x.shape)}")
        kept = [1 if i in axes else d for i, d in enumerate(x.shape)]
        dropped = [d for i, d in enumerate(x.shape) if i not in axes]
        if list(y.shape) not in (kept, dropped):
            raise self.fail(f"output {list(y.shape)} is not {list(x.shape)} reduced over {list(axes)}")


@compute_op_definition
class PadOp(ComputeOp):
    """Pad with a constant: `paddings` holds (before, after) for each dimension.

    tiny.pad %x -> %y {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = -128 : i64}
    """

    name = "tiny.pad"
    paddings = prop_def(DenseArrayBase)
    value = prop_def(IntegerAttr)

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        pads = self.check_array("paddings", 2 * len(x.shape), minimum=0)
        expected = [d + pads[2 * i] + pads[2 * i + 1] for i, d in enumerate(x.shape)]
        if list(y.shape) != expected:
            raise self.fail(f"output {list(y.shape)} should be {expected}")
        self.check_same_encoding(x, y)
        value = self.value.value.data
        if y.dtype.kind == "i" and not np.iinfo(y.dtype).min <= value <= np.iinfo(y.dtype).max:
            raise self.fail(f"pad value {value} does not fit {y.element_type}")


class UnaryOp(ComputeOp):
    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        floating = self.check_quantized_or_float(x, y)
        self.check_same_shape(x, y, "input and output")
        if floating:
            return
        try:
            self.check_kernel_quantization(x.quant, y.quant)
        except ValueError as e:
            raise self.fail(str(e)) from None

    def check_kernel_quantization(self, x_q: QParams, y_q: QParams) -> None:
        """Raise ValueError where TFLite's kernel refuses this quantization."""


@compute_op_definition
class SoftmaxOp(UnaryOp):
    """Softmax over the last axis: `tiny.softmax %x -> %y {beta = 1.0 : f32}`"""

    name = "tiny.softmax"
    beta = prop_def(FloatAttr)

    def check_kernel_quantization(self, x_q: QParams, y_q: QParams) -> None:
        quantization.check_softmax_output(y_q)


@compute_op_definition
class LogisticOp(UnaryOp):
    """Logistic (sigmoid): `tiny.logistic %x -> %y`"""

    name = "tiny.logistic"

    def check_kernel_quantization(self, x_q: QParams, y_q: QParams) -> None:
        quantization.check_logistic_output(y_q)


@compute_op_definition
class HardSwishOp(UnaryOp):
    """Hard swish, x * relu6(x + 3) / 6: `tiny.hard_swish %x -> %y`"""

    name = "tiny.hard_swish"

    def check_kernel_quantization(self, x_q: QParams, y_q: QParams) -> None:
        quantization.hard_swish_params(x_q, y_q)


@compute_op_definition
class ClampOp(UnaryOp):
    """Requantize int8 to the output's quantization, then clamp: TFLite's
    RELU, RELU6 and RELU_N1_TO_1 as standalone operators.

        tiny.clamp %x -> %y {clamp = array<i64: -128, 127>}

    y = min(max(zp_y + MultiplyByQuantizedMultiplier(x - zp_x, M, shift), lo), hi)
    with (M, shift) from s_x / s_y (tinyir.numerics.quantization.clamp_params). With equal
    input and output quantization the requantization is the identity and this
    is a plain clamp, which --fuse folds into the producer's own `clamp`.
    """

    name = "tiny.clamp"
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        super().verify_op()
        x, y = self.in_type(0), self.out_type
        for what, t in (("input", x), ("output", y)):
            if t.dtype == np.float32 and t.quant is None:
                continue  # a float clamp (float models, the ONNX frontend)
            if t.dtype != np.int8 or t.quant.is_per_channel:
                kind = "per-channel" if t.quant.is_per_channel else "per-tensor"
                raise self.fail(f"{what} must be per-tensor quantized i8, got {kind} {t.element_type}")
        self.check_clamp()


@compute_op_definition
class ConcatOp(ComputeOp):
    """Concatenation along `axis`: `tiny.concat %a, %b -> %y {axis = 3 : i64}`"""

    name = "tiny.concat"
    INPUT_NAMES: ClassVar[tuple[str, ...]] = ("inputs...",)
    axis = prop_def(IntegerAttr)

    def check_arity(self) -> None:
        if not self.ins:
            raise self.fail("needs at least one input")

    def verify_op(self) -> None:
        y = self.out_type
        axis = self.axis.value.data
        if not 0 <= axis < len(y.shape):
            raise self.fail(f"axis {axis} out of range for rank {len(y.shape)}")
        total = 0
        for i in range(len(self.ins)):
            x = self.in_type(i)
            others = [d for j, d in enumerate(x.shape) if j != axis]
            if len(x.shape) != len(y.shape) or others != [d for j, d in enumerate(y.shape) if j != axis]:
                raise self.fail(f"input {i} {list(x.shape)} does not fit output {list(y.shape)} on axis {axis}")
            if x.element_type != y.element_type or x.quant != y.quant:
                raise self.fail(f"input {i} has another element type or quantization than the output")
            total += x.shape[axis]
        if total != y.shape[axis]:
            raise self.fail(f"inputs add up to {total} on axis {axis}, output has {y.shape[axis]}")


@compute_op_definition
class TransposeOp(ComputeOp):
    """Permutation of dimensions: `tiny.transpose %x -> %y {perm = array<i64: 0, 2, 3, 1>}`"""

    name = "tiny.transpose"
    perm = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        perm = self.ints("perm")
        if sorted(perm) != list(range(len(x.shape))):
            raise self.fail(f"perm {list(perm)} is not a permutation of {len(x.shape)} dimensions")
        if list(y.shape) != [x.shape[p] for p in perm]:
            raise self.fail(f"output {list(y.shape)} is not {list(x.shape)} permuted by {list(perm)}")
        self.check_same_encoding(x, y)


@compute_op_definition
class QuantizeOp(ComputeOp):
    """Float to int8, or int8 to int8 with another scale: `tiny.quantize %x -> %y`"""

    name = "tiny.quantize"

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        self.check_same_shape(x, y, "input and output")
        self.check_quantized(y)
        if y.dtype.kind != "i":
            raise self.fail(f"output must be an integer buffer, got {y.element_type}")
        if x.dtype.kind == "i":
            self.check_quantized(x)
        elif x.dtype != np.float32:
            raise self.fail(f"input must be f32 or quantized integers, got {x.element_type}")


@compute_op_definition
class DequantizeOp(ComputeOp):
    """Int8 to float: `tiny.dequantize %x -> %y`"""

    name = "tiny.dequantize"

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        self.check_same_shape(x, y, "input and output")
        self.check_quantized(x)
        if y.dtype != np.float32 or y.quant is not None:
            quantized = " with quantization" if y.quant is not None else ""
            raise self.fail(f"output must be f32 without quantization, got {y.element_type}{quantized}")
