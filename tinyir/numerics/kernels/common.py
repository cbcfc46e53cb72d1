"""Helpers shared by the kernels: the int8 output stage and spatial windows."""

from __future__ import annotations

import numpy as np

from tinyir.numerics.fixedpoint import multiply_by_quantized_multiplier


def output_stage(acc: np.ndarray, multiplier, shift, output_zero_point: int,
                 clamp: tuple[int, int]) -> np.ndarray:
    """Requantize int32 accumulators to int8 exactly as TFLite's kernels do:
    MultiplyByQuantizedMultiplier, + output zero point, clamp, cast."""
    y = multiply_by_quantized_multiplier(acc, multiplier, shift)
    y += output_zero_point
    lo, hi = clamp
    return np.clip(y, max(lo, -128), min(hi, 127)).astype(np.int8)


def padded_input(x: np.ndarray, pad_top: int, pad_left: int, out_hw: tuple[int, int],
                 window: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                 fill) -> np.ndarray:
    """Place NHWC ``x`` in a canvas filled with ``fill`` so that every tap of
    every output window (top-left at ``out * stride - pad``) is in range.

    Only the top/left padding matters: TFLite's reference kernels place the
    window from it and skip taps outside the image; the bottom/right extent
    follows from the output size.
    """
    n, h, w, c = x.shape
    oh, ow = out_hw
    (kh, kw), (sh, sw), (dh, dw) = window, stride, dilation
    need_h = (oh - 1) * sh + (kh - 1) * dh + 1
    need_w = (ow - 1) * sw + (kw - 1) * dw + 1
    hp = max(need_h, pad_top + h)
    wp = max(need_w, pad_left + w)
    if pad_top == 0 and pad_left == 0 and hp == h and wp == w:
        return x
    canvas = np.full((n, hp, wp, c), fill, dtype=x.dtype)
    # Negative padding (a cropped input) is legal in principle: clip it.
    src_y0, src_x0 = max(0, -pad_top), max(0, -pad_left)
    dst_y0, dst_x0 = max(0, pad_top), max(0, pad_left)
    canvas[:, dst_y0:dst_y0 + h - src_y0, dst_x0:dst_x0 + w - src_x0, :] = x[:, src_y0:, src_x0:, :]
    return canvas


def window_tap(xp: np.ndarray, ky: int, kx: int, out_hw: tuple[int, int],
               stride: tuple[int, int], dilation: tuple[int, int]) -> np.ndarray:
    """The strided view of ``xp`` read by filter tap (ky, kx) for all outputs."""
    oh, ow = out_hw
    (sh, sw), (dh, dw) = stride, dilation
    y0, x0 = ky * dh, kx * dw
    return xp[:, y0:y0 + (oh - 1) * sh + 1:sh, x0:x0 + (ow - 1) * sw + 1:sw, :]
