"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR on NHWC tensors, as TFLite Micro's
reference kernels compute them (reference_ops::ResizeNearestNeighbor,
ResizeBilinear for float, ResizeBilinearInteger for int8).

The source coordinates depend only on the sizes and the two flags, so they are
computed once per axis (`nearest_indices`, `bilinear_taps`): the executor
gathers with them, and the C backend writes the same tables to flash, so the
kernels' index arithmetic lives here alone.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

FRACTION_BITS = 10
"""ResizeBilinearInteger's source coordinates are fixed point with 10 fraction bits."""


def nearest_indices(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """The source index of each output index along one axis (TFLite's
    GetNearestNeighbor, in float32 arithmetic as the C++ does it)."""
    if align_corners and out_size > 1:
        scale = np.float32(in_size - 1) / np.float32(out_size - 1)
    else:
        scale = np.float32(in_size) / np.float32(out_size)
    offset = np.float32(0.5 if half_pixel_centers else 0.0)
    scaled = (np.arange(out_size, dtype=np.float32) + offset) * scale
    index = np.floor(scaled)
    if align_corners:  # TfLiteRound: half away from zero (the values are never negative)
        index += scaled - index >= np.float32(0.5)
    index = np.minimum(index.astype(np.int64), in_size - 1)
    if half_pixel_centers:
        index = np.maximum(index, 0)
    return index.astype(np.int32)


class BilinearTaps(NamedTuple):
    """Per output index along one axis: the two source indices and the
    source coordinate; int8: fixed point with FRACTION_BITS, float: float32."""

    lower: np.ndarray
    upper: np.ndarray
    coordinate: np.ndarray


def _c_div(a: np.ndarray, b: int) -> np.ndarray:
    """C's integer division, truncating toward zero."""
    return np.sign(a) * (np.abs(a) // b)


def bilinear_taps(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool,
                  integer: bool) -> BilinearTaps:
    """ComputeInterpolationValuesInteger (`integer`) or ComputeInterpolationValues
    for every output index along one axis."""
    out = np.arange(out_size, dtype=np.int64)
    if integer:
        one = 1 << FRACTION_BITS
        if align_corners and out_size > 1:
            scale = (one * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
        else:
            scale = (one * in_size + out_size // 2) // out_size
        coordinate = out * scale + (scale // 2 - (one >> 1) if half_pixel_centers else 0)
        lower = np.maximum(_c_div(coordinate, one), 0)
        upper = np.minimum(_c_div(coordinate + one - 1, one), in_size - 1)
        return BilinearTaps(lower, upper, coordinate)
    if align_corners and out_size > 1:
        scale = np.float32(in_size - 1) / np.float32(out_size - 1)
    else:
        scale = np.float32(in_size) / np.float32(out_size)
    values = out.astype(np.float32)
    coordinate = (values + np.float32(0.5)) * scale - np.float32(0.5) if half_pixel_centers else values * scale
    lower = np.maximum(np.floor(coordinate).astype(np.int64), 0)
    upper = np.minimum(np.ceil(coordinate).astype(np.int64), in_size - 1)
    return BilinearTaps(lower, upper, coordinate.astype(np.float32))


def resize(x: np.ndarray, *, out_hw: tuple[int, int], mode: str, align_corners: bool,
           half_pixel_centers: bool) -> np.ndarray:
    """Resize NHWC `x` to `out_hw` (int8 or float32; nearest: any type)."""
    (in_h, in_w), (out_h, out_w) = x.shape[1:3], out_hw
    if mode == "nearest":
        rows = nearest_indices(in_h, out_h, align_corners, half_pixel_centers)
        cols = nearest_indices(in_w, out_w, align_corners, half_pixel_centers)
        return np.ascontiguousarray(x[:, rows][:, :, cols])
    if mode != "bilinear":
        raise ValueError(f"resize: unknown mode {mode!r}")
    integer = x.dtype != np.float32
    ys = bilinear_taps(in_h, out_h, align_corners, half_pixel_centers, integer)
    xs = bilinear_taps(in_w, out_w, align_corners, half_pixel_centers, integer)
    if integer:
        one = np.int64(1 << FRACTION_BITS)
        dy = (ys.coordinate - one * ys.lower)[None, :, None, None]
        dx = (xs.coordinate - one * xs.lower)[None, None, :, None]
        wide = x.astype(np.int64)
    else:  # float32 weights as TFLite forms them, the sum in float64 rounded once
        one = 1.0
        dy = (ys.coordinate - ys.lower.astype(np.float32)).astype(np.float64)[None, :, None, None]
        dx = (xs.coordinate - xs.lower.astype(np.float32)).astype(np.float64)[None, None, :, None]
        wide = x.astype(np.float64)
    top, bottom = wide[:, ys.lower], wide[:, ys.upper]
    total = (
        top[:, :, xs.lower] * (one - dy) * (one - dx)
        + bottom[:, :, xs.lower] * dy * (one - dx)
        + top[:, :, xs.upper] * (one - dy) * dx
        + bottom[:, :, xs.upper] * dy * dx
    )
    if not integer:
        return total.astype(np.float32)
    # TFLite's double rounding: half away from zero, then C's truncating division
    half = np.int64(1 << (2 * FRACTION_BITS - 1))
    rounded = _c_div(total + np.where(total > 0, half, -half), 1 << (2 * FRACTION_BITS))
    return rounded.astype(x.dtype)
