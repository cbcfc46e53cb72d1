"""Op emitters of float models: the compute ops on f32 buffers, run by
tinyir's portable float kernels (`tinyir_*_f32` in tinyir_kernels_f32.c; CMSIS-NN
has no float kernels), each bit-exact with tinyir.numerics.kernels.floating.

`with_float(kernels)` is the backend's op table with these merged in: an op
of both tables goes to the float emitter when its output is f32, to the
int8 one otherwise. The window ops and elementwise ops run on the band of
rows of a row loop as the int8 ones do (Emitter.in_shape, out_shape, pad_top,
elements, input, output)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from tinyir.dialects import tiny
from tinyir.numerics.kernels.floating import clamp_bounds

from .elementwise import broadcast_shape
from .emitter import Emitter, OpEmitter, require_rank
from .text import block, check, float_literal, ints, static_ints


def _bounds(op: tiny.ComputeOp) -> str:
    """The op's clamp as two C float arguments."""
    return ", ".join(float_literal(b) for b in clamp_bounds(op.ints("clamp")))


def _window(e: Emitter, op: tiny.ComputeOp) -> str:
    """`const tinyir_window_f32 params = {...};` of a conv or pool (its band's dims in a row loop)."""
    n, in_h, in_w, in_c = e.in_shape(op, 0)
    _, out_h, out_w, out_c = e.out_shape(op)
    kernel = op.ints("kernel") if "kernel" in op.properties else op.in_type(1).shape[1:3]
    dilation = op.ints("dilation") if "dilation" in op.properties else (1, 1)
    fields = (n, in_h, in_w, in_c, out_h, out_w, out_c, *kernel, *op.ints("stride"), e.pad_top(op),
              op.ints("pad")[2], *dilation)  # fmt: skip
    return f"const tinyir_window_f32 params = {{{ints(fields)}, {_bounds(op)}}};"


def _window_detail(op: tiny.ComputeOp) -> str:
    top, bottom, left, right = op.ints("pad")
    kernel = op.ints("kernel") if "kernel" in op.properties else op.in_type(1).shape[1:3]
    return f", window {kernel[0]}x{kernel[1]}, stride {list(op.ints('stride'))}, pad {top},{bottom},{left},{right}"


def _bias(e: Emitter, op: tiny.ComputeOp) -> str:
    return e.values.ptr(op.ins[2], const=True) if len(op.ins) == 3 else "NULL"


def emit_conv_2d(e: Emitter, op: tiny.Conv2DOp, step: str):
    depth = op.in_type(1).shape[3]
    w = e.values.ptr(op.ins[1], True)
    call = f"tinyir_conv_f32(&params, {e.input(op, 0)}, {w}, {depth}, {_bias(e, op)}, {e.output(op)})"
    return block([_window(e, op), *check(call, step)]), _window_detail(op) + ": tinyir_conv_f32"


def emit_depthwise_conv_2d(e: Emitter, op: tiny.DepthwiseConv2DOp, step: str):
    w = e.values.ptr(op.ins[1], True)
    call = f"tinyir_depthwise_conv_f32(&params, {e.input(op, 0)}, {w}, {_bias(e, op)}, {e.output(op)})"
    return block([_window(e, op), *check(call, step)]), _window_detail(op) + ": tinyir_depthwise_conv_f32"


def emit_fully_connected(e: Emitter, op: tiny.FullyConnectedOp, step: str):
    units, depth = op.in_type(1).shape
    rows = op.in_type(0).num_elements // depth
    call = (
        f"tinyir_fully_connected_f32({e.input(op, 0)}, {e.values.ptr(op.ins[1], True)}, {_bias(e, op)}, "
        f"{e.output(op)}, {rows}, {depth}, {units}, {_bounds(op)})"
    )
    return check(call, step), ": tinyir_fully_connected_f32"


def _pool(kernel: str) -> OpEmitter:
    def emit(e: Emitter, op: tiny.PoolOp, step: str):
        call = f"{kernel}(&params, {e.input(op, 0)}, {e.output(op)})"
        return block([_window(e, op), *check(call, step)]), _window_detail(op) + f": {kernel}"

    return emit


def _binary(kernel: str) -> OpEmitter:
    def emit(e: Emitter, op: tiny.BinaryOp, step: str):
        call = f"{kernel}({e.input(op, 0)}, {e.input(op, 1)}, {e.output(op)}, &shape, {_bounds(op)})"
        return block([broadcast_shape(e, op), *check(call, step)]), f": {kernel}"

    return emit


def _unary(kernel: str, clamped: bool = False) -> OpEmitter:
    def emit(e: Emitter, op: tiny.ComputeOp, step: str):
        bounds = f", {_bounds(op)}" if clamped else ""
        return check(f"{kernel}({e.input(op, 0)}, {e.output(op)}, {e.elements(op)}{bounds})", step), f": {kernel}"

    return emit


def emit_mean(e: Emitter, op: tiny.MeanOp, step: str):
    x = op.in_type(0)
    rank = require_rank(op, len(x.shape))
    axes = {a % rank for a in op.ints("axes")}
    count = math.prod(x.shape[a] for a in axes)
    v = e.values
    call = block([
        static_ints("int32_t", "input_shape", x.shape),
        static_ints("uint8_t", "reduce", [int(d in axes) for d in range(rank)]),
        *check(f"tinyir_mean_f32({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {rank}, input_shape, reduce, {count})",
               step),
    ])  # fmt: skip
    return call, f", axes {sorted(axes)}: tinyir_mean_f32"


def emit_softmax(e: Emitter, op: tiny.SoftmaxOp, step: str):
    x = op.in_type(0)
    depth = x.shape[-1]
    beta = op.beta.value.data
    v = e.values
    call = (
        f"tinyir_softmax_f32({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {x.num_elements // depth}, {depth}, "
        f"{float_literal(beta)})"
    )
    return check(call, step), f", beta {beta:g}: tinyir_softmax_f32"


def emit_pad(e: Emitter, op: tiny.PadOp, step: str):
    x, y = op.in_type(0), op.out_type
    rank = require_rank(op, len(x.shape))
    flat = op.ints("paddings")
    value = op.value.value.data
    v = e.values
    call = block([
        static_ints("int32_t", "input_shape", x.shape),
        static_ints("int32_t", "output_shape", y.shape),
        static_ints("int32_t", "before", [flat[2 * i] for i in range(rank)]),
        *check(f"tinyir_pad_f32({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {rank}, input_shape, output_shape, "
               f"before, {float_literal(value)})", step),
    ])  # fmt: skip
    return call, f", paddings {list(flat)}, value {value}: tinyir_pad_f32"


def emit_concat(e: Emitter, op: tiny.ConcatOp, step: str):
    """One byte copy per input and outer index (tinyir_concat_s8 on bytes)."""
    y = op.out_type
    axis = op.axis.value.data
    outer = math.prod(y.shape[:axis])
    inner = math.prod(y.shape[axis + 1 :]) * y.element_bytes
    call, offset = [], 0
    for x_value in op.ins:
        x = tiny.buffer_type(x_value)
        call += check(
            f"tinyir_concat_s8((const int8_t *){e.values.ptr(x_value, True)}, (int8_t *){e.values.ptr(op.out)}, "
            f"{outer}, {x.shape[axis] * inner}, {y.shape[axis] * inner}, {offset * inner})",
            step,
        )
        offset += x.shape[axis]
    return call, f", axis {axis}: tinyir_concat_s8 on bytes, per input"


def emit_transpose(e: Emitter, op: tiny.TransposeOp, step: str):
    x = op.in_type(0)
    rank = require_rank(op, len(x.shape))
    perm = op.ints("perm")
    v = e.values
    call = block([
        static_ints("int32_t", "input_shape", x.shape),
        static_ints("int32_t", "perm", perm),
        *check(f"tinyir_transpose({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {x.element_bytes}, {rank}, "
               "input_shape, perm)", step),
    ])  # fmt: skip
    return call, f", perm {list(perm)}: tinyir_transpose"


KERNELS: dict[type, OpEmitter] = {
    tiny.Conv2DOp: emit_conv_2d,
    tiny.DepthwiseConv2DOp: emit_depthwise_conv_2d,
    tiny.FullyConnectedOp: emit_fully_connected,
    tiny.AvgPool2DOp: _pool("tinyir_avg_pool_f32"),
    tiny.MaxPool2DOp: _pool("tinyir_max_pool_f32"),
    tiny.AddOp: _binary("tinyir_add_broadcast_f32"),
    tiny.MulOp: _binary("tinyir_mul_broadcast_f32"),
    tiny.MeanOp: emit_mean,
    tiny.SoftmaxOp: emit_softmax,
    tiny.LogisticOp: _unary("tinyir_logistic_f32"),
    tiny.HardSwishOp: _unary("tinyir_hard_swish_f32"),
    tiny.ClampOp: _unary("tinyir_clamp_f32", clamped=True),
    tiny.PadOp: emit_pad,
    tiny.ConcatOp: emit_concat,
    tiny.TransposeOp: emit_transpose,
}


def with_float(kernels: Mapping[type, OpEmitter]) -> dict[type, OpEmitter]:
    """`kernels` with the float emitters merged in: an op on f32 buffers goes
    to KERNELS, any other to its emitter in `kernels`."""

    def by_element_type(float_emit: OpEmitter, other: OpEmitter) -> OpEmitter:
        def emit(e: Emitter, op: tiny.ComputeOp, step: str):
            if op.out_type.dtype == np.float32 and all(tiny.buffer_type(x).dtype == np.float32 for x in op.ins):
                return float_emit(e, op, step)
            return other(e, op, step)

        return emit

    return {**kernels, **{t: by_element_type(emit, kernels[t]) for t, emit in KERNELS.items()}}
