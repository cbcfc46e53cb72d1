"""Op emitters of the elementwise ops: tiny.add and tiny.mul (CMSIS-NN on equal
shapes, tinyir's broadcasting kernels otherwise), tiny.minimum and
tiny.maximum (CMSIS-NN up to rank 4 without a clamp, tinyir's otherwise),
tiny.sub, tiny.squared_difference and tiny.prelu (tinyir's broadcasting
kernels), and the unary ones on int8 that tinyir's portable kernels run:
logistic, tanh, hard_swish, leaky_relu, clamp, quantize (float or int8
input), dequantize. In a row loop they run on the elements
of the op's band of rows (Emitter.elements; a broadcast's output dims have
the band's height, rows.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.numerics import quantization

from .emitter import Emitter, require_int8_input
from .text import block, check, cmsis_check, float_literal, int32_literal, params_struct, quantization_text


def _binary(e: Emitter, op: tiny.BinaryOp, step: str, kind: str):
    a, b, y = op.in_type(0), op.in_type(1), op.out_type
    lo, hi = op.ints("clamp")
    pa, pb, po = e.input(op, 0), e.input(op, 1), e.output(op)
    count = e.elements(op)
    if kind == "add":
        p = quantization.add_params(a.quant, b.quant, y.quant)
    else:
        multiplier, shift = quantization.mul_params(a.quant, b.quant, y.quant)
    if a.shape == b.shape == y.shape:
        if kind == "add":
            call = (
                f"arm_elementwise_add_s8({pa}, {pb}, {p.input1_offset}, {p.input1_multiplier}, {p.input1_shift}, "
                f"{p.input2_offset}, {p.input2_multiplier}, {p.input2_shift}, {p.left_shift}, {po}, "
                f"{p.output_offset}, {p.output_multiplier}, {p.output_shift}, {lo}, {hi}, {count})"
            )
        else:
            call = (
                f"arm_elementwise_mul_s8({pa}, {pb}, {-a.quant.zp}, {-b.quant.zp}, {po}, {y.quant.zp}, "
                f"{multiplier}, {shift}, {lo}, {hi}, {count})"
            )
        return cmsis_check(call, step), f": arm_elementwise_{kind}_s8"
    bc = broadcast_shape(e, op)
    if kind == "add":
        params = add_params_struct(p, (lo, hi))
    else:
        params = (
            f"const tinyir_mul_params params = {{{-a.quant.zp}, {-b.quant.zp}, {y.quant.zp}, {multiplier}, "
            f"{shift}, {lo}, {hi}}};"
        )
    call = block([bc, params, *check(f"tinyir_{kind}_broadcast_s8({pa}, {pb}, {po}, &shape, &params)", step)])
    return call, f": broadcasting, tinyir_{kind}_broadcast_s8"


def broadcast_shape(e: Emitter, op: tiny.BinaryOp) -> str:
    """`const tinyir_broadcast shape = {...};`: the output's dims (a band's,
    in a row loop) and each input's element strides (0 where it broadcasts)."""
    a, b, y = op.in_type(0), op.in_type(1), op.out_type
    rank = len(y.shape)
    if rank > 6:
        raise TinyIRError(f"C backend: {op.name} broadcasting over rank {rank} (at most 6)")

    def strides(t: tiny.BufferType) -> list[int]:
        shape = (1,) * (rank - len(t.shape)) + tuple(t.shape)
        s, acc = [0] * rank, 1
        for d in range(rank - 1, -1, -1):
            s[d] = 0 if shape[d] == 1 and y.shape[d] != 1 else acc
            acc *= shape[d]
        return s

    def arr(values):
        values = list(values) + [0] * (6 - len(values))
        return "{" + ", ".join(map(str, values)) + "}"

    # the strides are the whole tensors': a band of rows differs in its height only
    return f"const tinyir_broadcast shape = {{{rank}, {arr(e.out_shape(op))}, {arr(strides(a))}, {arr(strides(b))}}};"


def add_params_struct(p: quantization.AddParams, clamp: Sequence[int]) -> str:
    """`const tinyir_add_params params = {...};` (ADD, SUB, SQUARED_DIFFERENCE)."""
    lo, hi = clamp
    return (
        f"const tinyir_add_params params = {{{p.left_shift}, {p.input1_offset}, {p.input1_multiplier}, "
        f"{p.input1_shift}, {p.input2_offset}, {p.input2_multiplier}, {p.input2_shift}, {p.output_offset}, "
        f"{p.output_multiplier}, {p.output_shift}, {lo}, {hi}}};"
    )


def _broadcasting(e: Emitter, op: tiny.BinaryOp, step: str, kernel: str, params: str):
    """`kernel(input_1, input_2, output, &shape, &params)` of tinyir's broadcasting kernels."""
    call = f"{kernel}({e.input(op, 0)}, {e.input(op, 1)}, {e.output(op)}, &shape, &params)"
    return block([broadcast_shape(e, op), params, *check(call, step)]), f": {kernel}"


def emit_sub(e: Emitter, op: tiny.SubOp, step: str):
    p = quantization.sub_params(op.in_type(0).quant, op.in_type(1).quant, op.out_type.quant)
    return _broadcasting(e, op, step, "tinyir_sub_broadcast_s8", add_params_struct(p, op.ints("clamp")))


def emit_squared_difference(e: Emitter, op: tiny.SquaredDifferenceOp, step: str):
    p = quantization.squared_difference_params(op.in_type(0).quant, op.in_type(1).quant, op.out_type.quant)
    return _broadcasting(e, op, step, "tinyir_squared_difference_broadcast_s8", add_params_struct(p, op.ints("clamp")))


def emit_prelu(e: Emitter, op: tiny.PReluOp, step: str):
    p = quantization.prelu_params(op.in_type(0).quant, op.in_type(1).quant, op.out_type.quant)
    lo, hi = op.ints("clamp")
    params = params_struct("tinyir_prelu_params", p, activation_min=lo, activation_max=hi)
    return _broadcasting(e, op, step, "tinyir_prelu_broadcast_s8", params)


def _cmsis_dims(shape: Sequence[int | str]) -> str:
    """A shape of rank <= 4 as cmsis_nn_dims {n, h, w, c} (leading 1s)."""
    return "{" + ", ".join(map(str, (1,) * (4 - len(shape)) + tuple(shape))) + "}"


def cmsis_nn_min_max_broadcast(a: Sequence[int], b: Sequence[int], out: Sequence[int]) -> bool:
    """Whether arm_minimum_s8 / arm_maximum_s8 take these shapes (rank <= 4)
    and compute their broadcast right: equal shapes, or the whole against a
    single element or a row of channels. (Upstream CMSIS-NN misplaces other
    broadcasts, e.g. [1, 4, 3, 2] against [1, 4, 1, 1]: test_cmsis_nn_host.py.)"""
    out = tuple(out)
    if len(out) > 4:
        return False
    for part, whole in ((tuple(a), tuple(b)), (tuple(b), tuple(a))):
        channel_row = bool(part) and math.prod(part) == part[-1] == out[-1]
        if whole == out and (part == out or math.prod(part) == 1 or channel_row):
            return True
    return False


def _min_max(e: Emitter, op: tiny.BinaryOp, step: str, kind: str):
    lo, hi = op.ints("clamp")
    a, b, y = op.in_type(0).shape, op.in_type(1).shape, op.out_type.shape
    if (lo, hi) != (-128, 127) or not cmsis_nn_min_max_broadcast(a, b, y):  # CMSIS-NN's kernels do not clamp
        call = f"tinyir_{kind}_broadcast_s8({e.input(op, 0)}, {e.input(op, 1)}, {e.output(op)}, &shape, {lo}, {hi})"
        return block([broadcast_shape(e, op), *check(call, step)]), f" to [{lo}, {hi}]: tinyir_{kind}_broadcast_s8"
    call = block([
        e.ctx(op),
        f"const cmsis_nn_dims input_1_dims = {_cmsis_dims(e.in_shape(op, 0))};",
        f"const cmsis_nn_dims input_2_dims = {_cmsis_dims(e.in_shape(op, 1))};",
        f"const cmsis_nn_dims output_dims = {_cmsis_dims(e.out_shape(op))};",
        *cmsis_check(f"arm_{kind}_s8(&ctx, {e.input(op, 0)}, &input_1_dims, {e.input(op, 1)}, &input_2_dims, "
                     f"{e.output(op)}, &output_dims)", step),
    ])  # fmt: skip
    return call, f": arm_{kind}_s8"


def emit_minimum(e: Emitter, op: tiny.MinimumOp, step: str):
    return _min_max(e, op, step, "minimum")


def emit_maximum(e: Emitter, op: tiny.MaximumOp, step: str):
    return _min_max(e, op, step, "maximum")


def emit_add(e: Emitter, op: tiny.AddOp, step: str):
    return _binary(e, op, step, "add")


def emit_mul(e: Emitter, op: tiny.MulOp, step: str):
    return _binary(e, op, step, "mul")


def _unary_call(e: Emitter, op: tiny.ComputeOp, kernel: str, *args) -> str:
    """`kernel(input, output, elements, args...)`."""
    return ", ".join([f"{kernel}({e.input(op, 0)}", e.output(op), e.elements(op), *args]) + ")"


def _requantize(e: Emitter, op: tiny.ComputeOp, step: str, multiplier: int, shift: int, clamp: Sequence[int]):
    x, y = op.in_type(0), op.out_type
    lo, hi = clamp
    args = (x.quant.zp, y.quant.zp, multiplier, shift, lo, hi)
    return check(_unary_call(e, op, "tinyir_requantize_s8", *map(str, args)), step)


def _params_call(e: Emitter, op: tiny.ComputeOp, step: str, kernel: str, params: str) -> list[str]:
    """`{ params; kernel(input, output, elements, &params) }`."""
    return block([params, *check(_unary_call(e, op, kernel, "&params"), step)])


def _gemmlowp_unary(e: Emitter, op: tiny.ComputeOp, step: str, kernel: str, p: quantization.LogisticParams):
    """LOGISTIC and TANH: `kernel(input, output, elements, zero point, multiplier, shift, radius)`."""
    require_int8_input(op)
    args = (p.input_zero_point, int32_literal(p.input_multiplier), p.input_left_shift, p.input_range_radius)
    return check(_unary_call(e, op, kernel, *map(str, args)), step), f": {kernel}"


def emit_logistic(e: Emitter, op: tiny.LogisticOp, step: str):
    quantization.check_logistic_output(op.out_type.quant)
    return _gemmlowp_unary(e, op, step, "tinyir_logistic_s8", quantization.logistic_params(op.in_type(0).quant))


def emit_tanh(e: Emitter, op: tiny.TanhOp, step: str):
    quantization.check_tanh_output(op.out_type.quant)
    return _gemmlowp_unary(e, op, step, "tinyir_tanh_s8", quantization.tanh_params(op.in_type(0).quant))


def emit_leaky_relu(e: Emitter, op: tiny.LeakyReluOp, step: str):
    require_int8_input(op)
    alpha = op.alpha.value.data
    p = quantization.leaky_relu_params(op.in_type(0).quant, op.out_type.quant, alpha)
    call = _params_call(e, op, step, "tinyir_leaky_relu_s8", params_struct("tinyir_leaky_relu_params", p))
    return call, f", alpha {alpha:g}: tinyir_leaky_relu_s8"


def emit_hard_swish(e: Emitter, op: tiny.HardSwishOp, step: str):
    require_int8_input(op)
    p = quantization.hard_swish_params(op.in_type(0).quant, op.out_type.quant)
    call = _params_call(e, op, step, "tinyir_hard_swish_s8", params_struct("tinyir_hard_swish_params", p))
    return call, ": tinyir_hard_swish_s8"


def emit_clamp(e: Emitter, op: tiny.ClampOp, step: str):
    require_int8_input(op)
    multiplier, shift = quantization.clamp_params(op.in_type(0).quant, op.out_type.quant)
    clamp = op.ints("clamp")
    return _requantize(e, op, step, multiplier, shift, clamp), f" to {list(clamp)}: tinyir_requantize_s8"


def emit_quantize(e: Emitter, op: tiny.QuantizeOp, step: str):
    x, y = op.in_type(0), op.out_type
    if y.dtype != np.int8:
        raise TinyIRError(f"C backend: tiny.quantize to {y.element_type} (int8 only)")
    if x.dtype == np.float32:
        call = _unary_call(e, op, "tinyir_quantize_f32_s8", float_literal(y.quant.scale[0]), str(y.quant.zp))
        return check(call, step), f", scale {quantization_text(y.quant)}: tinyir_quantize_f32_s8"
    require_int8_input(op)
    multiplier, shift = quantization.requantize_params(x.quant, y.quant)
    return _requantize(e, op, step, multiplier, shift, (-128, 127)), ": requantization, tinyir_requantize_s8"


def emit_dequantize(e: Emitter, op: tiny.DequantizeOp, step: str):
    require_int8_input(op)
    x = op.in_type(0)
    scale = float(x.quant.scale[0]).hex()  # the float32 scale, exactly, as a double
    call = _unary_call(e, op, "tinyir_dequantize_s8_f32", scale, str(x.quant.zp))
    return check(call, step), f", scale {quantization_text(x.quant)}: tinyir_dequantize_s8_f32"


KERNELS = {
    tiny.AddOp: emit_add,
    tiny.MulOp: emit_mul,
    tiny.SubOp: emit_sub,
    tiny.MinimumOp: emit_minimum,
    tiny.MaximumOp: emit_maximum,
    tiny.SquaredDifferenceOp: emit_squared_difference,
    tiny.PReluOp: emit_prelu,
    tiny.LogisticOp: emit_logistic,
    tiny.TanhOp: emit_tanh,
    tiny.LeakyReluOp: emit_leaky_relu,
    tiny.HardSwishOp: emit_hard_swish,
    tiny.ClampOp: emit_clamp,
    tiny.QuantizeOp: emit_quantize,
    tiny.DequantizeOp: emit_dequantize,
}
