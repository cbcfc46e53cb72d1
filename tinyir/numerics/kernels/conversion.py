"""QUANTIZE (float32 -> int8, int8 -> int8) and DEQUANTIZE (int8 -> float32),
bit-exact with reference/quantize.h, requantize.h and dequantize.h."""

from __future__ import annotations

import numpy as np

from tinyir.numerics.fixedpoint import multiply_by_quantized_multiplier
from tinyir.numerics.quantization import QParams, requantize_params, round_half_away_array


def quantize(x_float: np.ndarray, out_q: QParams) -> np.ndarray:
    """AffineQuantize: round(x / scale) in float32, half away from zero, + zp, clamp."""
    with np.errstate(over="ignore", invalid="ignore"):
        v = np.asarray(x_float, dtype=np.float32) / np.float32(out_q.scale[0])
        r = round_half_away_array(v).astype(np.float64)
    # static_cast<int32_t>(float): out-of-range (and NaN) gives INT32_MIN on x86-64.
    bad = ~((r >= -2.0 ** 31) & (r < 2.0 ** 31))
    q = np.where(bad, -(2 ** 31), np.where(bad, 0, r).astype(np.int64))
    q = ((q + out_q.zero_point[0] + 2 ** 31) & 0xFFFFFFFF) - 2 ** 31  # int32 addition
    return np.clip(q, -128, 127).astype(np.int8)


def requantize(x: np.ndarray, x_q: QParams, out_q: QParams) -> np.ndarray:
    """QUANTIZE int8 -> int8 (Requantize): rescale by in_scale / out_scale."""
    multiplier, shift = requantize_params(x_q, out_q)
    y = multiply_by_quantized_multiplier(x.astype(np.int64) - x_q.zero_point[0], multiplier, shift)
    return np.clip(y + out_q.zero_point[0], -128, 127).astype(np.int8)


def dequantize(x: np.ndarray, x_q: QParams) -> np.ndarray:
    """DEQUANTIZE: (float)((double)scale * (q - zp))."""
    return (float(x_q.scale[0]) * (x.astype(np.float64) - x_q.zero_point[0])).astype(np.float32)
