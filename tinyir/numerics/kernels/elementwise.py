"""ADD and MUL (int8) with numpy/TFLite broadcasting, bit-exact with
reference/integer_ops/add.h and mul.h."""

from __future__ import annotations

import numpy as np

from tinyir.numerics.fixedpoint import (
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_smaller_than_one,
)
from tinyir.numerics.quantization import QParams, add_params, mul_params


def _finish(y: np.ndarray, clamp, out_shape) -> np.ndarray:
    lo, hi = clamp
    y = np.clip(y, max(lo, -128), min(hi, 127)).astype(np.int8)
    out_shape = tuple(int(d) for d in out_shape)
    if y.size != int(np.prod(out_shape)):
        y = np.broadcast_to(y, out_shape)
    return np.ascontiguousarray(y).reshape(out_shape)


def add(a: np.ndarray, a_q: QParams, b: np.ndarray, b_q: QParams, out_q: QParams, *,
        clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 ADD: each input is shifted left by 20, rescaled to twice the larger
    input scale, summed, and rescaled to the output (AddFunc)."""
    p = add_params(a_q, b_q, out_q)
    # Rescale each input once (before broadcasting): it is elementwise in the input.
    sa = multiply_by_quantized_multiplier_smaller_than_one(
        (a.astype(np.int64) + p.input1_offset) << p.left_shift, p.input1_multiplier, p.input1_shift)
    sb = multiply_by_quantized_multiplier_smaller_than_one(
        (b.astype(np.int64) + p.input2_offset) << p.left_shift, p.input2_multiplier, p.input2_shift)
    raw_sum = sa + sb
    y = multiply_by_quantized_multiplier_smaller_than_one(raw_sum, p.output_multiplier, p.output_shift)
    return _finish(y + p.output_offset, clamp, out_shape)


def mul(a: np.ndarray, a_q: QParams, b: np.ndarray, b_q: QParams, out_q: QParams, *,
        clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 MUL: (a - za) * (b - zb) rescaled by s_a * s_b / s_out."""
    multiplier, shift = mul_params(a_q, b_q, out_q)
    prod = (a.astype(np.int64) - a_q.zero_point[0]) * (b.astype(np.int64) - b_q.zero_point[0])
    y = multiply_by_quantized_multiplier(prod, multiplier, shift)
    return _finish(y + out_q.zero_point[0], clamp, out_shape)
