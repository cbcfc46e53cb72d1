"""SOFTMAX, LOG_SOFTMAX, LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU and the clamps
RELU / RELU6 / RELU_N1_TO_1 (int8), bit-exact with TFLite's
reference/softmax.h, reference/log_softmax.h, reference/integer_ops/logistic.h,
reference/integer_ops/tanh.h, reference/hard_swish.h, reference/leaky_relu.h
(gemmlowp fixed-point arithmetic, vectorized) and TFLM's activations.h."""

from __future__ import annotations

import numpy as np

from tinyir.numerics import fixedpoint as fx
from tinyir.numerics import quantization as qz
from tinyir.numerics.quantization import QParams


def softmax(x: np.ndarray, x_q: QParams, out_q: QParams, *, beta: float = 1.0) -> np.ndarray:
    """int8 SOFTMAX over the last axis. The output must be scale 1/256, zp -128."""
    qz.check_softmax_output(out_q)
    p = qz.softmax_params(beta, x_q)
    diff = x.astype(np.int64) - x.max(axis=-1, keepdims=True)
    valid = diff >= p.diff_min
    rescaled = fx.multiply_by_quantized_multiplier_greater_than_one(diff, p.input_multiplier, p.input_left_shift)
    exp = fx.exp_on_negative_values(rescaled, 5)  # FixedPoint<int32, 5> -> F0
    accumulation_integer_bits = 12
    terms = fx.rounding_divide_by_pot(exp, accumulation_integer_bits)  # Rescale<12>
    sum_of_exps = fx.wrap_int32(np.where(valid, terms, 0).sum(axis=-1, keepdims=True))
    shifted_scale, num_bits_over_unit = fx.get_reciprocal(sum_of_exps, accumulation_integer_bits)
    exponent = num_bits_over_unit + 31 - 8
    if np.any((exponent < 0) | (exponent > 31)):
        # TFLITE_CHECK(0 <= exponent && exponent <= 31): TFLite aborts when a row
        # holds 512 or more values (nearly) equal to its maximum.
        raise ValueError("softmax: sum of exponentials too large for an int8 output (TFLite aborts)")
    unsat = fx.rounding_divide_by_pot(fx.saturating_rounding_doubling_high_mul(shifted_scale, exp), exponent)
    y = np.clip(unsat - 128, -128, 127)
    return np.where(valid, y, -128).astype(np.int8)


def log_softmax(x: np.ndarray, x_q: QParams, out_q: QParams) -> np.ndarray:
    """int8 LOG_SOFTMAX over the last axis (LogSoftmaxQuantized). The output
    must be scale 16/256, zero point 127."""
    qz.check_log_softmax_output(out_q)
    p = qz.log_softmax_params(x_q)
    input_integer_bits, accumulation_integer_bits, output_integer_bits = 5, 12, 4
    diff = x.astype(np.int64) - x.max(axis=-1, keepdims=True)
    diff_in_q5 = fx.multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_left_shift)
    exp = fx.exp_on_negative_values(diff_in_q5, input_integer_bits)
    terms = fx.rounding_divide_by_pot(exp, accumulation_integer_bits)  # Rescale<12>
    sum_of_exps = fx.wrap_int32(np.where(diff >= p.diff_min, terms, 0).sum(axis=-1, keepdims=True))
    log_sum_of_exps = fx.log_x_for_x_greater_than_or_equal_to_1(
        sum_of_exps, input_integer_bits, accumulation_integer_bits)
    shifted_log_sum_of_exps = fx.wrap_int32(log_sum_of_exps + fx.INT32_MIN)
    adjusted_diff_min = np.maximum(p.diff_min - 1, fx.multiply_by_quantized_multiplier(
        shifted_log_sum_of_exps, p.reverse_scaling_divisor, p.reverse_scaling_shift))
    shift = 31 - input_integer_bits - output_integer_bits
    y = fx.rounding_divide_by_pot(fx.wrap_int32(diff_in_q5 - log_sum_of_exps), shift) + 127
    y = np.clip(y, -128, 127)
    return np.where(diff > adjusted_diff_min, y, -128).astype(np.int8)  # `>` here, `>=` in the sum


def tanh(x: np.ndarray, x_q: QParams, out_q: QParams) -> np.ndarray:
    """int8 TANH (output scale 1/128, zero point 0): LOGISTIC's input scaling
    to Q4.27, gemmlowp's tanh, and Q0.31 to Q0.7."""
    qz.check_tanh_output(out_q)
    p = qz.tanh_params(x_q)
    inp = x.astype(np.int64) - p.input_zero_point
    in_q4 = fx.multiply_by_quantized_multiplier(inp, p.input_multiplier, p.input_left_shift)
    out_q0 = fx.tanh_fixed_point(in_q4, 4)
    y = np.clip(fx.rounding_divide_by_pot(out_q0, 31 - 7), -128, 127)
    y = np.where(inp <= -p.input_range_radius, -128, y)
    y = np.where(inp >= p.input_range_radius, 127, y)
    return y.astype(np.int8)


def leaky_relu(x: np.ndarray, x_q: QParams, out_q: QParams, *, alpha: float) -> np.ndarray:
    """int8 LEAKY_RELU (QuantizeLeakyRelu): x - zp_x requantized to the output
    by the identity multiplier where it is >= 0, by the alpha one below."""
    p = qz.leaky_relu_params(x_q, out_q, alpha)
    v = x.astype(np.int64) - p.input_zero_point
    identity = fx.multiply_by_quantized_multiplier(v, p.output_multiplier_identity, p.output_shift_identity)
    scaled_alpha = fx.multiply_by_quantized_multiplier(v, p.output_multiplier_alpha, p.output_shift_alpha)
    y = p.output_zero_point + np.where(v >= 0, identity, scaled_alpha)
    return np.clip(y, -128, 127).astype(np.int8)


def logistic(x: np.ndarray, x_q: QParams, out_q: QParams) -> np.ndarray:
    """int8 LOGISTIC (output zero point -128; TFLM assumes scale 1/256)."""
    qz.check_logistic_output(out_q)
    p = qz.logistic_params(x_q)
    inp = x.astype(np.int64) - p.input_zero_point
    in_q4 = fx.multiply_by_quantized_multiplier(inp, p.input_multiplier, p.input_left_shift)
    out_q0 = fx.logistic_fixed_point(in_q4, 4)
    y = np.clip(fx.rounding_divide_by_pot(out_q0, 31 - 8) - 128, -128, 127)
    y = np.where(inp <= -p.input_range_radius, -128, y)
    y = np.where(inp >= p.input_range_radius, 127, y)
    return y.astype(np.int8)


def hard_swish(x: np.ndarray, x_q: QParams, out_q: QParams) -> np.ndarray:
    """int8 HARD_SWISH: x * relu6(x + 3) / 6 in TFLite's int16 fixed point."""
    return hard_swish_with_params(x, qz.hard_swish_params(x_q, out_q))


def hard_swish_with_params(x: np.ndarray, p: qz.HardSwishParams) -> np.ndarray:
    """The HARD_SWISH arithmetic given already derived parameters."""
    input_value = x.astype(np.int64) - p.input_zero_point
    hires = input_value * (1 << 7)
    preshift_output = fx.saturating_rounding_doubling_high_mul_int16(hires, p.output_multiplier_fixedpoint_int16)
    reluish = hires
    if p.reluish_multiplier_exponent > 0:
        reluish = fx.saturating_left_shift_int16(reluish, p.reluish_multiplier_exponent - 1)
    reluish = fx.saturating_rounding_doubling_high_mul_int16(reluish, p.reluish_multiplier_fixedpoint_int16)
    if p.reluish_multiplier_exponent > 0:
        reluish = fx.saturating_left_shift_int16(reluish, 1)
    if p.reluish_multiplier_exponent < 0:
        reluish = fx.rounding_divide_by_pot(reluish, -p.reluish_multiplier_exponent)
    reluish = (reluish + (1 << 15)) >> 1
    preshift = fx.saturating_doubling_high_mul_int16(reluish, preshift_output)
    y = fx.rounding_divide_by_pot(preshift, -p.output_multiplier_exponent) + p.output_zero_point
    y = ((y + (1 << 15)) & 0xFFFF) - (1 << 15)  # int16 arithmetic
    return np.clip(y, -128, 127).astype(np.int8)


def clamp(x: np.ndarray, x_q: QParams, out_q: QParams, *, clamp=(-128, 127)) -> np.ndarray:
    """tiny.clamp: requantize int8 ``x`` to ``out_q``, then clamp to ``clamp``.

    TFLM's ``ReluQuantized`` (int8 RELU; TFLite's ``ReluX`` for RELU6 and
    RELU_N1_TO_1): output_offset + MultiplyByQuantizedMultiplier(x - input_offset),
    then max/min with the activation range. (TFLM's int8 RELU6 does not
    requantize; the frontend expresses that with equal quantization.)
    """
    multiplier, shift = qz.clamp_params(x_q, out_q)
    y = fx.multiply_by_quantized_multiplier(x.astype(np.int64) - x_q.zero_point[0], multiplier, shift)
    lo, hi = clamp
    return np.clip(y + out_q.zero_point[0], max(lo, -128), min(hi, 127)).astype(np.int8)
