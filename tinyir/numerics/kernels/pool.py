"""AVERAGE_POOL_2D, MAX_POOL_2D, MEAN (int8) and ARG_MAX, bit-exact with
reference/integer_ops/pooling.h, reference/reduce.h (QuantizedMeanOrSum) and
reference/arg_min_max.h."""

from __future__ import annotations

import numpy as np

from tinyir.numerics.fixedpoint import multiply_by_quantized_multiplier, wrap_int32
from tinyir.numerics.kernels.common import padded_input, window_tap
from tinyir.numerics.quantization import QParams, mean_params


def _check_same_q(x_q: QParams, out_q: QParams, op: str) -> None:
    # TFLite's int8 pooling does not requantize: it assumes equal quantization.
    if (x_q.scale[0], x_q.zero_point[0]) != (out_q.scale[0], out_q.zero_point[0]):
        raise ValueError(f"{op}: input and output quantization must be equal")


def avg_pool_2d(x: np.ndarray, x_q: QParams, out_q: QParams, *, kernel=(1, 1), stride=(1, 1),
                pad=(0, 0, 0, 0), clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 AVERAGE_POOL_2D: the mean of the in-image taps of each window
    (padding is not counted), rounded half away from zero."""
    _check_same_q(x_q, out_q, "avg_pool_2d")
    oh, ow = int(out_shape[1]), int(out_shape[2])
    kernel, stride = tuple(kernel), tuple(stride)
    xp = padded_input(x.astype(np.int32), pad[0], pad[2], (oh, ow), kernel, stride, (1, 1), 0)
    inside = padded_input(np.ones((1,) + x.shape[1:3] + (1,), np.int32), pad[0], pad[2], (oh, ow),
                          kernel, stride, (1, 1), 0)
    acc = np.zeros((x.shape[0], oh, ow, x.shape[3]), dtype=np.int32)
    count = np.zeros((1, oh, ow, 1), dtype=np.int32)
    for ky in range(kernel[0]):
        for kx in range(kernel[1]):
            acc += window_tap(xp, ky, kx, (oh, ow), stride, (1, 1))
            count += window_tap(inside, ky, kx, (oh, ow), stride, (1, 1))
    if np.any(count == 0):
        raise ValueError("avg_pool_2d: a window lies entirely in the padding")
    half = count // 2
    # C: acc > 0 ? (acc + n/2) / n : (acc - n/2) / n, with truncating division.
    y = np.where(acc > 0, (acc + half) // count, -((half - acc) // count))
    lo, hi = clamp
    return np.clip(y, max(lo, -128), min(hi, 127)).astype(np.int8).reshape(tuple(out_shape))


def max_pool_2d(x: np.ndarray, x_q: QParams, out_q: QParams, *, kernel=(1, 1), stride=(1, 1),
                pad=(0, 0, 0, 0), clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 MAX_POOL_2D over the in-image taps of each window."""
    _check_same_q(x_q, out_q, "max_pool_2d")
    oh, ow = int(out_shape[1]), int(out_shape[2])
    kernel, stride = tuple(kernel), tuple(stride)
    # -128 (the initial value of the running max) is neutral: pad with it.
    xp = padded_input(x, pad[0], pad[2], (oh, ow), kernel, stride, (1, 1), -128)
    y = np.full((x.shape[0], oh, ow, x.shape[3]), -128, dtype=np.int8)
    for ky in range(kernel[0]):
        for kx in range(kernel[1]):
            np.maximum(y, window_tap(xp, ky, kx, (oh, ow), stride, (1, 1)), out=y)
    lo, hi = clamp
    return np.clip(y, max(lo, -128), min(hi, 127)).astype(np.int8).reshape(tuple(out_shape))


def mean(x: np.ndarray, x_q: QParams, out_q: QParams, *, axes, out_shape) -> np.ndarray:
    """int8 MEAN over ``axes`` (negative axes allowed; keep_dims follows out_shape)."""
    axes = tuple(sorted({int(a) % x.ndim for a in np.atleast_1d(axes)}))
    n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    multiplier, shift = mean_params(x_q, out_q, n)
    total = x.sum(axis=axes, dtype=np.int64)
    shifted = wrap_int32(total - x_q.zero_point[0] * n)  # an int32 in C
    y = multiply_by_quantized_multiplier(shifted, multiplier, shift) + out_q.zero_point[0]
    return np.clip(y, -128, 127).astype(np.int8).reshape(tuple(out_shape))


def arg_max(x: np.ndarray, *, axis: int) -> np.ndarray:
    """ARG_MAX: the index (int32) of the first largest value along `axis`
    (TFLite replaces the running maximum only on a strictly greater value)."""
    return np.argmax(x, axis=axis).astype(np.int32)
