"""Op emitters of the elementwise ops: tiny.add and tiny.mul (CMSIS-NN on equal
shapes, tinyir's broadcasting kernels otherwise), and the unary ones on int8
that tinyir's portable kernels run: logistic, hard_swish, clamp, quantize
(float or int8 input), dequantize. In a row loop they run on the elements
of the op's band of rows (Emitter.elements; a broadcast's output dims have
the band's height, rows.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.numerics import quantization

from .emitter import Emitter, require_int8_input
from .text import block, check, cmsis_check, float_literal, int32_literal, quantization_text


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
    bc = f"const tinyir_broadcast shape = {{{rank}, {arr(e.out_shape(op))}, {arr(strides(a))}, {arr(strides(b))}}};"
    if kind == "add":
        params = (
            f"const tinyir_add_params params = {{{p.left_shift}, {p.input1_offset}, {p.input1_multiplier}, "
            f"{p.input1_shift}, {p.input2_offset}, {p.input2_multiplier}, {p.input2_shift}, {p.output_offset}, "
            f"{p.output_multiplier}, {p.output_shift}, {lo}, {hi}}};"
        )
    else:
        params = (
            f"const tinyir_mul_params params = {{{-a.quant.zp}, {-b.quant.zp}, {y.quant.zp}, {multiplier}, "
            f"{shift}, {lo}, {hi}}};"
        )
    call = block([bc, params, *check(f"tinyir_{kind}_broadcast_s8({pa}, {pb}, {po}, &shape, &params)", step)])
    return call, f": broadcasting, tinyir_{kind}_broadcast_s8"


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


def emit_logistic(e: Emitter, op: tiny.LogisticOp, step: str):
    require_int8_input(op)
    x, y = op.in_type(0), op.out_type
    quantization.check_logistic_output(y.quant)
    p = quantization.logistic_params(x.quant)
    call = _unary_call(
        e,
        op,
        "tinyir_logistic_s8",
        str(p.input_zero_point),
        int32_literal(p.input_multiplier),
        str(p.input_left_shift),
        str(p.input_range_radius),
    )
    return check(call, step), ": tinyir_logistic_s8"


def emit_hard_swish(e: Emitter, op: tiny.HardSwishOp, step: str):
    require_int8_input(op)
    p = quantization.hard_swish_params(op.in_type(0).quant, op.out_type.quant)
    fields = ", ".join(f".{k} = {int(f)}" for k, f in p._asdict().items())
    call = block(
        [
            f"const tinyir_hard_swish_params params = {{{fields}}};",
            *check(_unary_call(e, op, "tinyir_hard_swish_s8", "&params"), step),
        ]
    )
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
    tiny.LogisticOp: emit_logistic,
    tiny.HardSwishOp: emit_hard_swish,
    tiny.ClampOp: emit_clamp,
    tiny.QuantizeOp: emit_quantize,
    tiny.DequantizeOp: emit_dequantize,
}
