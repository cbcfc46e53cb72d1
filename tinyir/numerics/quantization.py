"""Quantization math for int8 inference, bit-exact with TensorFlow Lite Micro.

This module is the single place where tinyir turns scales and zero points
into the integers the kernels use (multipliers, shifts, clamp ranges, ...).
The reference executor (tinyir.numerics.kernels) and the C emitter both call it, so
the two can never disagree.

Every ``*_params`` / ``*_multiplier*`` function reproduces, operation by
operation, the float/double arithmetic that TFLite Micro performs in the
Prepare() of the corresponding kernel (tensorflow/lite/micro/kernels/*.cc).
The difference matters: a scale product rounded to float gives a multiplier
that differs in its low bits from the double product, and that flips
outputs that sit on a rounding boundary.

The oracle is the compiled PyPI ``tflite-micro`` wheel, which was built from
newer sources than some published ones; where they disagree we follow the
wheel (checked in its machine code and by discriminating tests in
test/test_kernels.py):
  * FULLY_CONNECTED per-tensor: the source's GetQuantizedConvolutionMultipler
    rounds input_scale * filter_scale to float; the wheel does it in double.
  * HARD_SWISH: the source divides the scales in float; the wheel computes
    hires_input_scale = input_scale / 128 in float, then divides in double.
  * RELU: the source divides input_scale / output_scale in float; the wheel
    divides in double.
  * SUB: the source computes ADD's multipliers in float; the wheel in double.

Conventions
-----------
* A multiplier is TFLite's Q31 significand (``int32``, in [2^30, 2^31) or 0).
* A shift is TFLite's exponent: positive means "shift left", negative means
  "shift right" (the convention of ``QuantizeMultiplier`` and of
  ``MultiplyByQuantizedMultiplier``; CMSIS-NN uses the same one).
* The integer arithmetic that applies these parameters (gemmlowp fixed point,
  MultiplyByQuantizedMultiplier) lives in tinyir.numerics.fixedpoint.
* TFLite is built with double rounding (TFLITE_SINGLE_ROUNDING=0), which is
  what the PyPI ``tflite-micro`` package and default CMSIS-NN builds use.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

from tinyir.numerics.fixedpoint import INT32_MAX, INT32_MIN, wrap_int32

INT8_MIN = -128
INT8_MAX = 127


# --------------------------------------------------------------------------
# Quantization parameters of a tensor
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class QParams:
    """Affine quantization of a tensor: real = scale * (q - zero_point).

    Per-tensor: 1-tuples and ``axis`` None. Per-channel (weights): one entry
    per channel along ``axis``. Scales are float32 values stored as Python
    floats (they are rounded to float32 on construction).
    """

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int | None = None

    def __post_init__(self) -> None:
        scale = tuple(float(np.float32(s)) for s in np.atleast_1d(self.scale))
        zero_point = tuple(int(z) for z in np.atleast_1d(self.zero_point))
        if len(zero_point) == 1 and len(scale) > 1:
            zero_point = zero_point * len(scale)
        if len(scale) != len(zero_point) or not scale:
            raise ValueError(f"QParams: {len(scale)} scales vs {len(zero_point)} zero points")
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "zero_point", zero_point)

    @classmethod
    def per_tensor(cls, scale: float, zero_point: int) -> "QParams":
        return cls((scale,), (zero_point,), None)

    @property
    def is_per_channel(self) -> bool:
        return len(self.scale) > 1

    @property
    def scale_f32(self) -> np.ndarray:
        """The scales as a float32 array."""
        return np.asarray(self.scale, dtype=np.float32)

    @property
    def zp(self) -> int:
        """The zero point of a per-tensor quantized tensor."""
        return self.zero_point[0]

    def channels(self, start: int, stop: int) -> "QParams":
        """The quantization of channels [start, stop) (per-tensor: itself)."""
        if not self.is_per_channel:
            return self
        return QParams(self.scale[start:stop], self.zero_point[start:stop], self.axis)


# --------------------------------------------------------------------------
# Rounding helpers (std::round: half away from zero)
# --------------------------------------------------------------------------


def round_half_away(x: float) -> float:
    """C++ ``std::round`` on a double (exact, no double rounding)."""
    a = abs(x)
    f = math.floor(a)
    r = f + 1.0 if a - f >= 0.5 else f
    return math.copysign(r, x)


def round_half_away_array(x: np.ndarray) -> np.ndarray:
    """Elementwise ``std::round`` that keeps the input dtype (float32 or
    float64); exact because ``a - floor(a)`` is exact in either precision."""
    a = np.abs(x)
    f = np.floor(a)
    r = f + (a - f >= 0.5).astype(x.dtype)
    return np.copysign(r, x)


# --------------------------------------------------------------------------
# QuantizeMultiplier
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 16)
def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite ``QuantizeMultiplier``: real = multiplier * 2^(shift - 31).

    frexp, std::round(q * 2^31), the q == 2^31 overflow fix, and shifts below
    -31 flushed to (0, 0).
    """
    real = float(real)
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = int(round_half_away(q * float(1 << 31)))
    if q_fixed > (1 << 31):
        raise ValueError(f"quantize_multiplier({real}): significand overflow")
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift = 0
        q_fixed = 0
    return q_fixed, shift


def quantize_multiplier_array(reals: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorized ``quantize_multiplier``; returns (multipliers, shifts) as int64 arrays."""
    r = np.asarray(reals, dtype=np.float64).reshape(-1)
    pairs = [quantize_multiplier(float(v)) for v in r]
    mult = np.array([p[0] for p in pairs], dtype=np.int64)
    shift = np.array([p[1] for p in pairs], dtype=np.int64)
    return mult, shift


def quantize_multiplier_smaller_than_one(real: float) -> tuple[int, int]:
    """TFLite ``QuantizeMultiplierSmallerThanOneExp`` (0 < real < 1, shift <= 0)."""
    if not 0.0 < real < 1.0:
        raise ValueError(f"multiplier {real} must be in (0, 1)")
    m, s = quantize_multiplier(real)
    if s > 0:
        raise ValueError(f"multiplier {real}: unexpected positive shift")
    return m, s


def quantize_multiplier_greater_than_one(real: float) -> tuple[int, int]:
    """TFLite ``QuantizeMultiplierGreaterThanOne`` (real > 1, shift >= 0)."""
    if not real > 1.0:
        raise ValueError(f"multiplier {real} must be > 1")
    m, s = quantize_multiplier(real)
    if s < 0:
        raise ValueError(f"multiplier {real}: unexpected negative shift")
    return m, s


# --------------------------------------------------------------------------
# Activation ranges and padding
# --------------------------------------------------------------------------


def _quantize_scalar(scale: float, zero_point: int, f: float) -> int:
    """kernel_util.cc ``Quantize``: zero_point + (int)round(f / scale) in float."""
    tmp = float(round_half_away_array(np.array([np.float32(f) / np.float32(scale)], dtype=np.float32))[0])
    if not (INT32_MIN <= tmp <= INT32_MAX):
        raise ValueError("activation bound overflows int32")
    return zero_point + int(tmp)


def activation_range(fused_activation: str, output_q: QParams) -> tuple[int, int]:
    """TFLite ``CalculateActivationRangeQuantized`` for an int8 output."""
    act = fused_activation.upper()
    scale, zp = output_q.scale[0], output_q.zero_point[0]
    qmin, qmax = INT8_MIN, INT8_MAX
    if act == "NONE":
        return qmin, qmax
    if act == "RELU":
        return max(qmin, _quantize_scalar(scale, zp, 0.0)), qmax
    if act == "RELU6":
        return max(qmin, _quantize_scalar(scale, zp, 0.0)), min(qmax, _quantize_scalar(scale, zp, 6.0))
    if act == "RELU_N1_TO_1":
        return max(qmin, _quantize_scalar(scale, zp, -1.0)), min(qmax, _quantize_scalar(scale, zp, 1.0))
    raise ValueError(f"unsupported fused activation {fused_activation!r}")


def same_padding(in_size: int, filter_size: int, stride: int, dilation: int = 1) -> tuple[int, int, int]:
    """TFLite SAME padding: (before, after, out_size).

    ``before`` is what TFLite's kernels use (total // 2); ``after`` is the
    remaining total padding, so before + after == total.
    """
    eff = (filter_size - 1) * dilation + 1
    out = (in_size + stride - 1) // stride
    total = max(0, (out - 1) * stride + eff - in_size)
    return total // 2, total - total // 2, out


def valid_padding(in_size: int, filter_size: int, stride: int, dilation: int = 1) -> tuple[int, int, int]:
    """TFLite VALID padding: (0, 0, out_size)."""
    eff = (filter_size - 1) * dilation + 1
    out = (in_size + stride - eff) // stride
    if out < 0:
        raise ValueError("VALID padding: filter larger than input")
    total = max(0, (out - 1) * stride + eff - in_size)
    return total // 2, total - total // 2, out


# --------------------------------------------------------------------------
# Per-operator parameter derivation (the Prepare() of each TFLM kernel)
# --------------------------------------------------------------------------


def conv_output_multipliers(input_q: QParams, filter_q: QParams, output_q: QParams,
                            num_channels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """CONV_2D / DEPTHWISE_CONV_2D: per-output-channel (multiplier, shift).

    ``PopulateConvolutionQuantizationParams``: effective scale computed fully
    in double, (double)input_scale * (double)filter_scale / (double)output_scale,
    for per-channel and per-tensor filters alike. A per-tensor filter gives
    ``num_channels`` copies (1 if not given).
    """
    filter_scales = filter_q.scale
    if len(filter_scales) == 1 and num_channels:
        filter_scales = filter_scales * num_channels
    elif num_channels and len(filter_scales) != num_channels:
        raise ValueError(f"{len(filter_scales)} filter scales for {num_channels} channels")
    in_s, out_s = input_q.scale[0], output_q.scale[0]
    return quantize_multiplier_array([in_s * fs / out_s for fs in filter_scales])


def fully_connected_multipliers(input_q: QParams, filter_q: QParams, output_q: QParams) -> tuple[np.ndarray, np.ndarray]:
    """FULLY_CONNECTED: (multipliers, shifts), one entry per output channel if
    the filter is per-channel, a single entry otherwise.

    Both cases compute (double)input_scale * (double)filter_scale /
    (double)output_scale. (The published source of the per-tensor path,
    GetQuantizedConvolutionMultipler, rounds the product to float; the
    tflite-micro wheel does not: its machine code is cvtss2sd x2, mulsd, divsd.)
    """
    in_s, out_s = input_q.scale[0], output_q.scale[0]
    return quantize_multiplier_array([in_s * fs / out_s for fs in filter_q.scale])


class AddParams(NamedTuple):
    """Integer parameters of int8 ADD (TFLM add_common.cc, ArithmeticParams)."""
    left_shift: int
    input1_offset: int
    input1_multiplier: int
    input1_shift: int
    input2_offset: int
    input2_multiplier: int
    input2_shift: int
    output_offset: int
    output_multiplier: int
    output_shift: int


def add_params(a_q: QParams, b_q: QParams, out_q: QParams) -> AddParams:
    """ADD (int8): left_shift 20, both inputs rescaled to 2*max(scale)."""
    left_shift = 20
    s1, s2, so = a_q.scale[0], b_q.scale[0], out_q.scale[0]
    twice_max_input_scale = 2.0 * max(s1, s2)
    m1, sh1 = quantize_multiplier_smaller_than_one(s1 / twice_max_input_scale)
    m2, sh2 = quantize_multiplier_smaller_than_one(s2 / twice_max_input_scale)
    mo, sho = quantize_multiplier_smaller_than_one(twice_max_input_scale / ((1 << left_shift) * so))
    return AddParams(left_shift, -a_q.zero_point[0], m1, sh1, -b_q.zero_point[0], m2, sh2,
                     out_q.zero_point[0], mo, sho)


def sub_params(a_q: QParams, b_q: QParams, out_q: QParams) -> AddParams:
    """SUB (int8): ADD's parameters, in double. (The published
    sub_common.cc divides in float; the tflite-micro wheel does not:
    test/test_arith_ops.py holds scales where the two differ.)"""
    return add_params(a_q, b_q, out_q)


def squared_difference_params(a_q: QParams, b_q: QParams, out_q: QParams) -> AddParams:
    """SQUARED_DIFFERENCE (int8, TFLM squared_difference.cc PrepareQuantized):
    left_shift 7, inputs rescaled to 2*max(scale) as ADD's (in double), the
    squared difference by twice_max^2 / (2^14 * so) with QuantizeMultiplier
    (a shift of either sign: the output multiplier may exceed 1)."""
    left_shift = 7
    s1, s2, so = a_q.scale[0], b_q.scale[0], out_q.scale[0]
    twice_max_input_scale = 2.0 * max(s1, s2)
    m1, sh1 = quantize_multiplier_smaller_than_one(s1 / twice_max_input_scale)
    m2, sh2 = quantize_multiplier_smaller_than_one(s2 / twice_max_input_scale)
    # (1 << 14) * so is an int times a float: float32, and exact
    mo, sho = quantize_multiplier(twice_max_input_scale * twice_max_input_scale / float(np.float32((1 << 14) * so)))
    return AddParams(left_shift, -a_q.zero_point[0], m1, sh1, -b_q.zero_point[0], m2, sh2,
                     out_q.zero_point[0], mo, sho)


def mul_params(a_q: QParams, b_q: QParams, out_q: QParams) -> tuple[int, int]:
    """MUL (int8): (multiplier, shift) of (double)s1 * (double)s2 / (double)so."""
    return quantize_multiplier(a_q.scale[0] * b_q.scale[0] / out_q.scale[0])


def requantize_params(input_q: QParams, output_q: QParams) -> tuple[int, int]:
    """QUANTIZE int8 -> int8 (requantize): (double)in_scale / (double)out_scale."""
    return quantize_multiplier(input_q.scale[0] / output_q.scale[0])


def clamp_params(input_q: QParams, output_q: QParams) -> tuple[int, int]:
    """tiny.clamp (int8 RELU, RELU_N1_TO_1): (multiplier, shift) of the
    input-to-output requantization, (double)in_scale / (double)out_scale.

    The published TFLM source (``CalculateReluOpData``) divides in float and
    then widens, ``static_cast<double>(input->params.scale / output->params.scale)``;
    the tflite-micro wheel divides in double (test/test_fuse.py finds scales
    where the two differ and TFLM picks this one). TFLite's RELU_N1_TO_1
    (which TFLM lacks) divides in float: it can differ by one step there.
    """
    ratio = input_q.scale[0] / output_q.scale[0] if output_q.scale[0] != 0.0 else math.inf
    if not math.isfinite(ratio):
        raise ValueError(f"clamp: input scale {input_q.scale[0]} / output scale {output_q.scale[0]} is not finite")
    return quantize_multiplier(ratio)


def is_identity_requantization(input_q: QParams, output_q: QParams) -> bool:
    """Whether the requantization of tiny.clamp maps every int8 value to itself.

    True for equal per-tensor quantization with a nonzero scale: s / s is
    exactly 1.0, QuantizeMultiplier gives (2^30, shift 1), and
    MultiplyByQuantizedMultiplier(v, 2^30, 1) = v for every |v| <= 255
    (checked exhaustively in test/test_fuse.py).
    """
    return (
        input_q == output_q
        and not input_q.is_per_channel
        and input_q.scale[0] != 0.0
        and clamp_params(input_q, output_q) == (1 << 30, 1)
    )


def mean_params(input_q: QParams, output_q: QParams, num_elements: int) -> tuple[int, int]:
    """MEAN (int8) over ``num_elements`` values per output: (multiplier, shift).

    Prepare quantizes (double)in_scale / (double)out_scale; the reference
    ``QuantizedMeanOrSum`` then folds the division by the element count into
    the multiplier: shift = min(floor(log2 n), 32, 31 + shift),
    multiplier = (multiplier << shift) / n, shift -= shift.
    """
    multiplier, shift = quantize_multiplier(input_q.scale[0] / output_q.scale[0])
    n = int(num_elements)
    if n <= 0:
        raise ValueError("mean over zero elements")
    s = n.bit_length() - 1  # 63 - CountLeadingZeros(uint64 n)
    s = min(s, 32, 31 + shift)
    multiplier = (multiplier << s) // n if s >= 0 else (multiplier >> -s) // n
    multiplier = int(wrap_int32(np.int64(multiplier)))  # static_cast<int32_t>
    return multiplier, shift - s


class SoftmaxParams(NamedTuple):
    input_multiplier: int
    input_left_shift: int
    diff_min: int


def softmax_params(beta: float, input_q: QParams) -> SoftmaxParams:
    """SOFTMAX (int8 -> int8): ``PreprocessSoftmaxScaling`` with 5 integer bits
    and ``CalculateInputRadius`` for the minimum input difference."""
    scaled_diff_integer_bits = 5
    beta = float(np.float32(beta))
    real = min(beta * input_q.scale[0] * float(1 << (31 - scaled_diff_integer_bits)), float((1 << 31) - 1))
    multiplier, left_shift = quantize_multiplier_greater_than_one(real)
    radius = math.floor(1.0 * ((1 << scaled_diff_integer_bits) - 1) * (1 << (31 - scaled_diff_integer_bits))
                        / (1 << left_shift))
    return SoftmaxParams(multiplier, left_shift, -int(radius))


def check_softmax_output(output_q: QParams) -> None:
    """TFLM requires an int8 softmax output with scale 1/256 and zero point -128."""
    if output_q.zero_point[0] != -128 or output_q.scale[0] != 1.0 / 256:
        raise ValueError("int8 SOFTMAX output must have scale 1/256 and zero point -128")


class LogisticParams(NamedTuple):
    input_zero_point: int
    input_multiplier: int
    input_left_shift: int
    input_range_radius: int


def logistic_params(input_q: QParams) -> LogisticParams:
    """LOGISTIC (int8): input rescaled to Q4.27; note that TFLM does this with
    its own frexp/round, *without* QuantizeMultiplier's 2^31 overflow fix."""
    input_integer_bits = 4
    real = input_q.scale[0] * float(1 << (31 - input_integer_bits))
    q, left_shift = math.frexp(real)
    m = int(round_half_away(q * float(1 << 31)))
    if m == (1 << 31):
        m = INT32_MIN  # static_cast<int32_t>(2^31) on x86-64
    radius = math.floor(1.0 * ((1 << input_integer_bits) - 1) * (1 << (31 - input_integer_bits))
                        / 2.0 ** left_shift)
    return LogisticParams(input_q.zero_point[0], m, left_shift, int(radius))


def check_logistic_output(output_q: QParams) -> None:
    """TFLM checks only the zero point (-128); the scale is assumed to be 1/256."""
    if output_q.zero_point[0] != -128:
        raise ValueError("int8 LOGISTIC output must have zero point -128")


class HardSwishParams(NamedTuple):
    input_zero_point: int
    output_zero_point: int
    output_multiplier_fixedpoint_int16: int
    output_multiplier_exponent: int
    reluish_multiplier_fixedpoint_int16: int
    reluish_multiplier_exponent: int


def _downscale_int32_to_int16_multiplier(m: int) -> int:
    if m >= INT32_MAX - (1 << 15):
        return (1 << 15) - 1
    return (m + (1 << 15)) >> 16


def hard_swish_params(input_q: QParams, output_q: QParams) -> HardSwishParams:
    """HARD_SWISH (int8): hires_input_scale = (1/128) * input_scale in float;
    the two multipliers hires/output_scale and hires/(3/32768) in double (as
    the tflite-micro wheel computes them; its published source divides in float)."""
    hires_input_scale = float(np.float32(1.0 / 128.0) * np.float32(input_q.scale[0]))
    reluish_scale = float(np.float32(3.0) / np.float32(32768.0))  # exactly 3/32768
    out_m, out_e = quantize_multiplier(hires_input_scale / output_q.scale[0])
    if out_e > 0:
        raise ValueError("HARD_SWISH: output multiplier exponent must be <= 0")
    rel_m, rel_e = quantize_multiplier(hires_input_scale / reluish_scale)
    return HardSwishParams(input_q.zero_point[0], output_q.zero_point[0],
                           _downscale_int32_to_int16_multiplier(out_m), out_e,
                           _downscale_int32_to_int16_multiplier(rel_m), rel_e)


def tanh_params(input_q: QParams) -> LogisticParams:
    """TANH (int8): TFLM's tanh.cc prepares the input exactly as LOGISTIC
    does (Q4.27, its own frexp/round, CalculateInputRadius(4, shift, 31))."""
    return logistic_params(input_q)


def check_tanh_output(output_q: QParams) -> None:
    """TFLM's int8 TANH writes tanh(x) at scale 1/128, zero point 0 whatever
    the output says (it checks nothing): only that quantization means it."""
    if output_q.zero_point[0] != 0 or output_q.scale[0] != 1.0 / 128:
        raise ValueError("int8 TANH output must have scale 1/128 and zero point 0")


class LeakyReluParams(NamedTuple):
    input_zero_point: int
    output_zero_point: int
    output_multiplier_alpha: int
    output_shift_alpha: int
    output_multiplier_identity: int
    output_shift_identity: int


def leaky_relu_params(input_q: QParams, output_q: QParams, alpha: float) -> LeakyReluParams:
    """LEAKY_RELU (int8, TFLM leaky_relu_common.cc): QuantizeMultiplier of
    (double)(in_scale * alpha / out_scale) and (double)(in_scale / out_scale),
    each computed in float. A negative alpha is refused (TFLM's kernels have
    changed how they treat one)."""
    if not alpha >= 0.0:
        raise ValueError(f"LEAKY_RELU alpha {alpha} is negative (only alpha >= 0 is supported)")
    s_in, s_out, a = np.float32(input_q.scale[0]), np.float32(output_q.scale[0]), np.float32(alpha)
    m_alpha, sh_alpha = quantize_multiplier(float(s_in * a / s_out))
    m_identity, sh_identity = quantize_multiplier(float(s_in / s_out))
    return LeakyReluParams(input_q.zero_point[0], output_q.zero_point[0], m_alpha, sh_alpha, m_identity, sh_identity)


class PreluParams(NamedTuple):
    input_offset: int
    alpha_offset: int
    output_offset: int
    output_multiplier_1: int
    output_shift_1: int
    output_multiplier_2: int
    output_shift_2: int


def prelu_params(input_q: QParams, alpha_q: QParams, output_q: QParams) -> PreluParams:
    """PRELU (int8, TFLM prelu_common.cc): in double, in_scale / out_scale for
    x >= 0 and in_scale * alpha_scale / out_scale for x * alpha below zero."""
    s_in, s_alpha, s_out = input_q.scale[0], alpha_q.scale[0], output_q.scale[0]
    m1, sh1 = quantize_multiplier(s_in / s_out)
    m2, sh2 = quantize_multiplier(s_in * s_alpha / s_out)
    return PreluParams(-input_q.zero_point[0], -alpha_q.zero_point[0], output_q.zero_point[0], m1, sh1, m2, sh2)


class LogSoftmaxParams(NamedTuple):
    input_multiplier: int
    input_left_shift: int
    reverse_scaling_divisor: int
    reverse_scaling_shift: int
    diff_min: int


def log_softmax_params(input_q: QParams) -> LogSoftmaxParams:
    """LOG_SOFTMAX (int8, TFLM log_softmax.cc): SOFTMAX's input scaling with
    beta 1 (PreprocessSoftmaxScaling, 5 integer bits, the same diff_min), and
    PreprocessLogSoftmaxScalingExp's reverse scaling: the multiplier of
    2^(31 - left_shift) / input_multiplier (QuantizeMultiplierSmallerThanOneExp;
    its shift is <= 0 and the kernel multiplies by it as it is)."""
    p = softmax_params(1.0, input_q)
    divisor, shift = quantize_multiplier_smaller_than_one(float(1 << (31 - p.input_left_shift)) / p.input_multiplier)
    return LogSoftmaxParams(p.input_multiplier, p.input_left_shift, divisor, shift, p.diff_min)


def check_log_softmax_output(output_q: QParams) -> None:
    """TFLM requires an int8 LOG_SOFTMAX output with scale 16/256 and zero point 127."""
    if output_q.zero_point[0] != 127 or output_q.scale[0] != 16.0 / 256:
        raise ValueError("int8 LOG_SOFTMAX output must have scale 16/256 and zero point 127")
