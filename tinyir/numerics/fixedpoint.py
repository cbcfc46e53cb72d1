"""gemmlowp fixed-point arithmetic, vectorized, with int32 semantics in int64.

The primitives TFLite's integer kernels are built from (rounding doubling
high multiply, rounding shifts, MultiplyByQuantizedMultiplier) and the
fixed-point functions of softmax, logistic and hard-swish. Values are numpy
int64 arrays holding int32 (or int16) values; every function wraps or
saturates exactly where the C code does. A ``FixedPoint<int32, IB>`` is its
raw int32 value; IB is the number of integer bits.
"""

from __future__ import annotations

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def wrap_int32(x: np.ndarray) -> np.ndarray:
    """Two's-complement wrap of int64 values to the int32 range (C int32 overflow)."""
    x = np.asarray(x, dtype=np.int64)
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _saturating_rounding_doubling_high_mul(a, b, bits: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    v = ab + np.where(ab >= 0, 1 << (bits - 2), 1 - (1 << (bits - 2)))
    # C integer division truncates toward zero.
    high = np.where(v >= 0, v >> (bits - 1), -((-v) >> (bits - 1)))
    lowest = -(1 << (bits - 1))
    high = ((high - lowest) & ((1 << bits) - 1)) + lowest  # static_cast to the width
    return np.where((a == b) & (a == lowest), -lowest - 1, high)


def saturating_rounding_doubling_high_mul(a, b) -> np.ndarray:
    """gemmlowp ``SaturatingRoundingDoublingHighMul`` for int32 (ARM vqrdmulh)."""
    return _saturating_rounding_doubling_high_mul(a, b, 32)


def rounding_divide_by_pot(x, exponent) -> np.ndarray:
    """gemmlowp ``RoundingDivideByPOT``: x / 2^exponent, round half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)


def saturating_rounding_multiply_by_pot(x, exponent: int) -> np.ndarray:
    """gemmlowp ``SaturatingRoundingMultiplyByPOT<exponent>`` for int32."""
    x = np.asarray(x, dtype=np.int64)
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    result = wrap_int32(x << exponent)
    result = np.where(x > threshold, INT32_MAX, result)
    return np.where(x < -threshold, INT32_MIN, result)


def multiply_by_quantized_multiplier(x, multiplier, shift) -> np.ndarray:
    """TFLite ``MultiplyByQuantizedMultiplier(int32 x, ...)``, double rounding.

    ``RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x * 2^left, m), right)``
    with left = max(shift, 0), right = max(-shift, 0). ``multiplier`` and
    ``shift`` broadcast against ``x`` (per-channel: arrays over the last axis).
    """
    x = np.asarray(x, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    if np.any(left):
        x = wrap_int32(x << left)
    y = saturating_rounding_doubling_high_mul(x, multiplier)
    if np.any(right):
        y = rounding_divide_by_pot(y, right)
    return y


def multiply_by_quantized_multiplier_smaller_than_one(x, multiplier, shift) -> np.ndarray:
    """TFLite ``MultiplyByQuantizedMultiplierSmallerThanOneExp`` (shift <= 0)."""
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), -np.asarray(shift))


def multiply_by_quantized_multiplier_greater_than_one(x, multiplier, shift) -> np.ndarray:
    """TFLite ``MultiplyByQuantizedMultiplierGreaterThanOne`` (shift >= 0)."""
    x = wrap_int32(np.asarray(x, dtype=np.int64) << np.asarray(shift, dtype=np.int64))
    return saturating_rounding_doubling_high_mul(x, multiplier)


def rounding_half_sum(a, b) -> np.ndarray:
    """gemmlowp ``RoundingHalfSum`` for int32."""
    s = np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)
    v = s + np.where(s >= 0, 1, -1)
    return np.where(v >= 0, v // 2, -((-v) // 2))  # truncating division


def count_leading_zeros_u32(x) -> np.ndarray:
    """``CountLeadingZeros(uint32)`` for the low 32 bits of x (32 for zero)."""
    u = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    n = np.full(u.shape, 32, dtype=np.int64)
    nz = u > 0
    # frexp gives the bit length exactly for integers < 2^53.
    _, e = np.frexp(u[nz].astype(np.float64))
    n[nz] = 32 - e
    return n


# Fixed-point functions. A ``FixedPoint<int32, IB>`` is represented by its raw
# int32 value (int64 array); IB = number of integer bits.


def _fx_one(integer_bits: int) -> int:
    return INT32_MAX if integer_bits == 0 else 1 << (31 - integer_bits)


def exp_on_interval_between_negative_one_quarter_and_0_excl(a) -> np.ndarray:
    """gemmlowp, F0 -> F0."""
    a = np.asarray(a, dtype=np.int64)
    constant_term = 1895147668  # exp(-1/8)
    constant_1_over_3 = 715827883
    x = wrap_int32(a + (1 << 28))  # a + ConstantPOT<-3>
    x2 = saturating_rounding_doubling_high_mul(x, x)
    x3 = saturating_rounding_doubling_high_mul(x2, x)
    x4 = saturating_rounding_doubling_high_mul(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    t = wrap_int32(saturating_rounding_doubling_high_mul(wrap_int32(x4_over_4 + x3), constant_1_over_3) + x2)
    poly = rounding_divide_by_pot(t, 1)
    return wrap_int32(constant_term + saturating_rounding_doubling_high_mul(constant_term, wrap_int32(x + poly)))


_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def exp_on_negative_values(a, integer_bits: int) -> np.ndarray:
    """gemmlowp ``exp_on_negative_values``: F<integer_bits> (a <= 0) -> F0."""
    a = np.asarray(a, dtype=np.int64)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        saturating_rounding_multiply_by_pot(a_mod_quarter_minus_one_quarter, integer_bits))
    remainder = wrap_int32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (fractional_bits + exponent)
            result = np.where(remainder & bit, saturating_rounding_doubling_high_mul(result, multiplier), result)
    if integer_bits > 5:
        clamp = -(1 << (36 - integer_bits))
        result = np.where(a < clamp, 0, result)
    return np.where(a == 0, INT32_MAX, result)


def _newton_raphson_reciprocal_f2(a) -> np.ndarray:
    """1 / (1 + a) in F2 for a in [0, 1) (F0): the Newton-Raphson division
    that one_over_one_plus_x_for_x_in_0_1 and one_minus_x_over_one_plus_x_for_x_in_0_1 share."""
    half_denominator = rounding_half_sum(a, INT32_MAX)
    constant_48_over_17 = 1515870810  # F2
    constant_neg_32_over_17 = -1010580540  # F2
    x = wrap_int32(constant_48_over_17 + saturating_rounding_doubling_high_mul(half_denominator, constant_neg_32_over_17))
    f2_one = _fx_one(2)
    for _ in range(3):
        half_denominator_times_x = saturating_rounding_doubling_high_mul(half_denominator, x)
        one_minus = wrap_int32(f2_one - half_denominator_times_x)
        x = wrap_int32(x + saturating_rounding_multiply_by_pot(saturating_rounding_doubling_high_mul(x, one_minus), 2))
    return x


def one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """gemmlowp ``one_over_one_plus_x_for_x_in_0_1``: F0 -> F0 (Newton-Raphson)."""
    x = _newton_raphson_reciprocal_f2(a)
    return saturating_rounding_multiply_by_pot(x, 1)  # Rescale<0>(ExactMulByPot<-1>(x))


def one_minus_x_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """gemmlowp ``one_minus_x_over_one_plus_x_for_x_in_0_1``: (1 - a) / (1 + a), F0 -> F0."""
    x = _newton_raphson_reciprocal_f2(a)
    return saturating_rounding_multiply_by_pot(wrap_int32(x - _fx_one(2)), 2)  # Rescale<0>(x - F2::One())


def tanh_fixed_point(a, integer_bits: int) -> np.ndarray:
    """gemmlowp ``tanh``: F<integer_bits> -> F0, as
    (1 - exp(-2|a|)) / (1 + exp(-2|a|)) with the sign of a."""
    a = np.asarray(a, dtype=np.int64)
    negative = a < 0
    n = np.where(negative, a, wrap_int32(-a))  # -|a|
    # neg_tanh_on_negative_values: exp of ExactMulByPot<1>(n), the same raw value in F<integer_bits + 1>
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    return np.where(a == 0, 0, np.where(negative, wrap_int32(-t), t))


def logistic_fixed_point(a, integer_bits: int) -> np.ndarray:
    """gemmlowp ``logistic``: F<integer_bits> -> F0."""
    a = np.asarray(a, dtype=np.int64)
    positive = a > 0
    abs_input = np.where(positive, a, wrap_int32(-a))
    result_if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(wrap_int32(-abs_input), integer_bits))
    result_if_negative = wrap_int32(INT32_MAX - result_if_positive)
    return np.where(a == 0, 1 << 30, np.where(positive, result_if_positive, result_if_negative))


def saturating_add(a, b) -> np.ndarray:
    """TFLite ``SaturatingAddNonGemmlowp`` for int32."""
    return np.clip(np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64), INT32_MIN, INT32_MAX)


def saturating_sub(a, b) -> np.ndarray:
    """TFLite ``SaturatingSub`` for int32."""
    return np.clip(np.asarray(a, dtype=np.int64) - np.asarray(b, dtype=np.int64), INT32_MIN, INT32_MAX)


def saturating_rounding_multiply_by_pot_param(x, exponent) -> np.ndarray:
    """TFLite ``SaturatingRoundingMultiplyByPOTParam`` for int32 and exponents
    0..31 (an array, element by element): x * 2^exponent, saturated."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    threshold = (np.int64(1) << (31 - e)) - 1
    result = np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN, wrap_int32(x << e)))
    return np.where(e == 0, x, result)


# gemmlowp constants of log_x_for_x_greater_than_or_equal_to_1 (F0 raw values)
_LOG_2 = 1488522236
_SQRT_SQRT_HALF = 1805811301
_SQRT_HALF = 1518500250
_ONE_QUARTER = 536870912
_ALPHA_N = 117049297
_ALPHA_D = 127690142
_ALPHA_I = 1057819769
_ALPHA_F = 638450708


def log_x_for_x_greater_than_or_equal_to_1(x, output_integer_bits: int, input_integer_bits: int) -> np.ndarray:
    """TFLite ``log_x_for_x_greater_than_or_equal_to_1_impl`` (common.h):
    F<input_integer_bits> -> F<output_integer_bits>, log(x) for x >= 1 (x > 0)."""
    srdhm = saturating_rounding_doubling_high_mul
    accum_bits = output_integer_bits + 1  # one bit of headroom
    shifted_quarter = rounding_divide_by_pot(np.int64(_ONE_QUARTER), accum_bits)  # Rescale<accum>(F0)
    z_a = np.asarray(x, dtype=np.int64)
    z_a_headroom_plus_1 = count_leading_zeros_u32(z_a)
    r_a_tmp = saturating_rounding_multiply_by_pot_param(z_a, z_a_headroom_plus_1 - 1)
    r_a_raw = saturating_rounding_multiply_by_pot_param(srdhm(r_a_tmp, _SQRT_HALF), 1)
    z_a_pow_2_adj = saturating_add(
        saturating_rounding_multiply_by_pot_param(input_integer_bits - z_a_headroom_plus_1, 31 - accum_bits),
        shifted_quarter)
    z_b = srdhm(z_a, _SQRT_HALF)
    z_b_headroom = count_leading_zeros_u32(z_b) - 1
    r_b_raw = saturating_rounding_multiply_by_pot_param(z_a, z_b_headroom)
    z_b_pow_2_adj = saturating_sub(
        saturating_rounding_multiply_by_pot_param(input_integer_bits - z_b_headroom, 31 - accum_bits),
        shifted_quarter)
    r = np.minimum(r_a_raw, r_b_raw)
    z_pow_2_adj = np.maximum(z_a_pow_2_adj, z_b_pow_2_adj)
    p = rounding_half_sum(r, _SQRT_SQRT_HALF)
    q = wrap_int32(r - _SQRT_SQRT_HALF)
    q = wrap_int32(q + q)
    common_sq = srdhm(q, q)
    num = wrap_int32(srdhm(q, r) + srdhm(srdhm(q, common_sq), _ALPHA_N))
    denom_minus_one_0 = wrap_int32(
        srdhm(p, wrap_int32(wrap_int32(_ALPHA_I + q) + srdhm(_ALPHA_D, common_sq))) + srdhm(_ALPHA_F, q))
    recip_denom = one_over_one_plus_x_for_x_in_0_1(denom_minus_one_0)
    num_scaled = rounding_divide_by_pot(num, accum_bits)  # Rescale<accum>(F0)
    total = wrap_int32(srdhm(z_pow_2_adj, _LOG_2) + srdhm(num_scaled, recip_denom))
    return saturating_rounding_multiply_by_pot(total, accum_bits - output_integer_bits)  # Rescale<output>


def get_reciprocal(x, x_integer_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """TFLite ``GetReciprocal``: returns (F0 raw of the scaled reciprocal, num_bits_over_unit)."""
    x = np.asarray(x, dtype=np.int64)
    headroom_plus_one = count_leading_zeros_u32(x)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted = ((x & 0xFFFFFFFF) << headroom_plus_one) & 0xFFFFFFFF
    shifted_sum_minus_one = wrap_int32(shifted - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit


# int16 variants used by HARD_SWISH.


def saturating_rounding_doubling_high_mul_int16(a, b) -> np.ndarray:
    return _saturating_rounding_doubling_high_mul(a, b, 16)


def saturating_doubling_high_mul_int16(a, b) -> np.ndarray:
    """TFLite hard_swish.h ``SaturatingDoublingHighMul`` (no rounding)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    high = np.where(ab >= 0, ab >> 15, -((-ab) >> 15))
    high = ((high + (1 << 15)) & 0xFFFF) - (1 << 15)
    return np.where((a == b) & (a == -(1 << 15)), (1 << 15) - 1, high)


def saturating_left_shift_int16(x, amount: int) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.int64) * (1 << amount), -(1 << 15), (1 << 15) - 1)
