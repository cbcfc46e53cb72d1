"""The elementwise binary ops (int8) with numpy/TFLite broadcasting,
bit-exact with TFLite's reference kernels: ADD, MUL, SUB
(reference/integer_ops/add.h, mul.h, reference/sub.h), MINIMUM, MAXIMUM
(reference/maximum_minimum.h: no rescaling), SQUARED_DIFFERENCE (TFLM
squared_difference.cc) and PRELU (reference/prelu.h)."""

from __future__ import annotations

import numpy as np

from tinyir.numerics.fixedpoint import (
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_smaller_than_one,
)
from tinyir.numerics.quantization import (
    AddParams,
    QParams,
    add_params,
    mul_params,
    prelu_params,
    squared_difference_params,
    sub_params,
)


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
    sa, sb = _rescaled(a, b, p)
    y = multiply_by_quantized_multiplier_smaller_than_one(sa + sb, p.output_multiplier, p.output_shift)
    return _finish(y + p.output_offset, clamp, out_shape)


def _rescaled(a: np.ndarray, b: np.ndarray, p: AddParams) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs shifted left by p.left_shift and rescaled to the common
    scale (ADD, SUB, SQUARED_DIFFERENCE); each input once, before
    broadcasting: it is elementwise in the input."""
    sa = multiply_by_quantized_multiplier_smaller_than_one(
        (a.astype(np.int64) + p.input1_offset) << p.left_shift, p.input1_multiplier, p.input1_shift)
    sb = multiply_by_quantized_multiplier_smaller_than_one(
        (b.astype(np.int64) + p.input2_offset) << p.left_shift, p.input2_multiplier, p.input2_shift)
    return sa, sb


def sub(a: np.ndarray, a_q: QParams, b: np.ndarray, b_q: QParams, out_q: QParams, *,
        clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 SUB: ADD's arithmetic with the difference of the rescaled inputs."""
    p = sub_params(a_q, b_q, out_q)
    sa, sb = _rescaled(a, b, p)
    y = multiply_by_quantized_multiplier_smaller_than_one(sa - sb, p.output_multiplier, p.output_shift)
    return _finish(y + p.output_offset, clamp, out_shape)


def squared_difference(a: np.ndarray, a_q: QParams, b: np.ndarray, b_q: QParams, out_q: QParams, *,
                       clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 SQUARED_DIFFERENCE: the inputs shifted left by 7 and rescaled to a
    common scale, their difference squared (fits int32), rescaled to the output."""
    p = squared_difference_params(a_q, b_q, out_q)
    sa, sb = _rescaled(a, b, p)
    diff = sa - sb
    y = multiply_by_quantized_multiplier(diff * diff, p.output_multiplier, p.output_shift)
    return _finish(y + p.output_offset, clamp, out_shape)


def minimum(a: np.ndarray, a_q: QParams, b: np.ndarray, b_q: QParams, out_q: QParams, *,
            clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 MINIMUM: of the raw values (inputs and output share a quantization)."""
    return _finish(np.minimum(a, b), clamp, out_shape)


def maximum(a: np.ndarray, a_q: QParams, b: np.ndarray, b_q: QParams, out_q: QParams, *,
            clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 MAXIMUM: of the raw values (inputs and output share a quantization)."""
    return _finish(np.maximum(a, b), clamp, out_shape)


def prelu(x: np.ndarray, x_q: QParams, alpha: np.ndarray, alpha_q: QParams, out_q: QParams, *,
          clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 PRELU: x for x >= 0, alpha * x below, each requantized to the output."""
    p = prelu_params(x_q, alpha_q, out_q)
    v = x.astype(np.int64) + p.input_offset
    alpha_v = alpha.astype(np.int64) + p.alpha_offset
    positive = multiply_by_quantized_multiplier(v, p.output_multiplier_1, p.output_shift_1)
    negative = multiply_by_quantized_multiplier(v * alpha_v, p.output_multiplier_2, p.output_shift_2)
    return _finish(np.where(v >= 0, positive, negative) + p.output_offset, clamp, out_shape)


def mul(a: np.ndarray, a_q: QParams, b: np.ndarray, b_q: QParams, out_q: QParams, *,
        clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 MUL: (a - za) * (b - zb) rescaled by s_a * s_b / s_out."""
    multiplier, shift = mul_params(a_q, b_q, out_q)
    prod = (a.astype(np.int64) - a_q.zero_point[0]) * (b.astype(np.int64) - b_q.zero_point[0])
    y = multiply_by_quantized_multiplier(prod, multiplier, shift)
    return _finish(y + out_q.zero_point[0], clamp, out_shape)
