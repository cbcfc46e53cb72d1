"""Op emitters of the reductions: tiny.avg_pool_2d and tiny.max_pool_2d (one
emitter, CMSIS-NN's pool kernels), tiny.mean, tiny.log_softmax and
tiny.arg_max (tinyir's kernels) and tiny.softmax (arm_softmax_s8). The pools
run on the band of rows of a row loop as the convolutions do (rows.py)."""

from __future__ import annotations

import math
from functools import partial

from tinyir.dialects import tiny
from tinyir.numerics import quantization

from .emitter import Emitter, require_int8_input, require_rank
from .text import block, check, cmsis_check, dims, ints, params_struct, static_ints, tile


def emit_pool(e: Emitter, op: tiny.PoolOp, step: str, kernel: str):
    """Average and max pooling: the same call to `kernel`."""
    kh, kw = op.ints("kernel")
    top, bottom, left, right = op.ints("pad")
    lo, hi = op.ints("clamp")
    call = block(
        [
            e.ctx(op),
            f"const cmsis_nn_pool_params params = {{.stride = {tile(op.ints('stride'))}, "
            f".padding = {tile((e.pad_top(op), left))}, .activation = {{{lo}, {hi}}}}};",
            f"const cmsis_nn_dims input_dims = {{{ints(e.in_shape(op, 0))}}};",
            f"const cmsis_nn_dims filter_dims = {{1, {kh}, {kw}, 1}};",
            f"const cmsis_nn_dims output_dims = {{{ints(e.out_shape(op))}}};",
            *cmsis_check(
                f"{kernel}(&ctx, &params, &input_dims, {e.input(op, 0)}, &filter_dims, &output_dims, {e.output(op)})",
                step,
            ),
        ]
    )
    return call, f", kernel {kh}x{kw}, stride {dims(op.ints('stride'))}, pad {top},{bottom},{left},{right}: {kernel}"


def emit_softmax(e: Emitter, op: tiny.SoftmaxOp, step: str):
    x, y = op.in_type(0), op.out_type
    quantization.check_softmax_output(y.quant)
    p = quantization.softmax_params(op.beta.value.data, x.quant)
    row = x.shape[-1]
    rows = x.num_elements // row
    v = e.values
    call = [
        f"arm_softmax_s8({v.ptr(op.ins[0], True)}, {rows}, {row}, {p.input_multiplier}, {p.input_left_shift}, "
        f"{p.diff_min}, {v.ptr(op.out)});"
    ]
    return call, f", beta {op.beta.value.data:g}: arm_softmax_s8"


def emit_mean(e: Emitter, op: tiny.MeanOp, step: str):
    x, y = op.in_type(0), op.out_type
    require_int8_input(op)
    rank = require_rank(op, len(x.shape))
    axes = {a % rank for a in op.ints("axes")}
    count = math.prod(x.shape[a] for a in axes)
    multiplier, shift = quantization.mean_params(x.quant, y.quant, count)
    v = e.values
    call = block(
        [
            static_ints("int32_t", "input_shape", x.shape),
            static_ints("uint8_t", "reduce", [int(d in axes) for d in range(rank)]),
            *check(
                f"tinyir_mean_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {rank}, input_shape, reduce, {count}, "
                f"{x.quant.zp}, {y.quant.zp}, {multiplier}, {shift})",
                step,
            ),
        ]
    )
    return call, f", axes {sorted(axes)}: tinyir_mean_s8"


def emit_log_softmax(e: Emitter, op: tiny.LogSoftmaxOp, step: str):
    require_int8_input(op)
    x = op.in_type(0)
    quantization.check_log_softmax_output(op.out_type.quant)
    p = quantization.log_softmax_params(x.quant)
    depth = x.shape[-1]
    v = e.values
    call = block(
        [
            params_struct("tinyir_log_softmax_params", p),
            *check(f"tinyir_log_softmax_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {x.num_elements // depth}, "
                   f"{depth}, &params)", step),
        ]
    )  # fmt: skip
    return call, ": tinyir_log_softmax_s8"


def emit_arg_max(e: Emitter, op: tiny.ArgMaxOp, step: str):
    require_int8_input(op)
    shape = op.in_type(0).shape
    axis = op.axis.value.data
    outer, inner = math.prod(shape[:axis]), math.prod(shape[axis + 1 :])
    v = e.values
    call = check(f"tinyir_arg_max_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {outer}, {shape[axis]}, {inner})", step)
    return call, f", axis {axis}: tinyir_arg_max_s8"


KERNELS = {
    tiny.AvgPool2DOp: partial(emit_pool, kernel="arm_avgpool_s8"),
    tiny.MaxPool2DOp: partial(emit_pool, kernel="arm_max_pool_s8"),
    tiny.SoftmaxOp: emit_softmax,
    tiny.MeanOp: emit_mean,
    tiny.LogSoftmaxOp: emit_log_softmax,
    tiny.ArgMaxOp: emit_arg_max,
}
