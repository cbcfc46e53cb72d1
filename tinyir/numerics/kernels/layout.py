"""PAD, CONCATENATION, TRANSPOSE, RESHAPE and slices: data movement, no arithmetic."""

from __future__ import annotations

import numpy as np

from tinyir.numerics.quantization import QParams


def pad(x: np.ndarray, *, paddings, value: int) -> np.ndarray:
    """PAD with a constant: ``paddings`` is [(before, after), ...] per dimension.
    (TFLite pads int8 tensors with the output zero point unless told otherwise.)"""
    paddings = [(int(b), int(a)) for b, a in paddings]
    if len(paddings) != x.ndim or any(b < 0 or a < 0 for b, a in paddings):
        raise ValueError(f"pad: bad paddings {paddings} for rank {x.ndim}")
    return np.pad(x, paddings, mode="constant", constant_values=value)


def concatenation(xs, x_qs, out_q: QParams, *, axis: int) -> np.ndarray:
    """CONCATENATION. TFLite Micro requires every int8 input to share the
    output's scale and zero point (it copies bytes); so do we."""
    for i, q in enumerate(x_qs):
        if q is not None and out_q is not None and (q.scale[0], q.zero_point[0]) != (out_q.scale[0], out_q.zero_point[0]):
            raise ValueError(f"concatenation: input {i} quantization differs from the output's")
    return np.concatenate(list(xs), axis=axis)


def transpose(x: np.ndarray, *, perm) -> np.ndarray:
    """TRANSPOSE: output dim i is input dim perm[i]."""
    return np.ascontiguousarray(np.transpose(x, tuple(int(p) for p in perm)))


def strided_slice(x: np.ndarray, *, begin, stride, out_shape) -> np.ndarray:
    """A window of ``x``: output index i along dimension d reads input index
    begin[d] + i * stride[d] (a stride may be negative). SLICE, STRIDED_SLICE
    and SPLIT once their begin, end and masks are resolved."""
    index = []
    for b, s, n in zip(begin, stride, out_shape):
        stop = int(b) + int(n) * int(s)
        index.append(slice(int(b), stop if stop >= 0 else None, int(s)))
    result = x[tuple(index)]
    if result.shape != tuple(out_shape):
        raise ValueError(f"strided_slice: window {begin} step {stride} of {list(x.shape)} is not {list(out_shape)}")
    return np.ascontiguousarray(result)


def reshape(x: np.ndarray, *, out_shape) -> np.ndarray:
    """RESHAPE: same bytes, new shape."""
    return x.reshape(tuple(int(d) for d in out_shape)).copy()
