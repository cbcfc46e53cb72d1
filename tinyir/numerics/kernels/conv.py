"""CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (int8), bit-exact with
TFLite Micro's reference kernels (reference/integer_ops/conv.h,
depthwise_conv.h, fully_connected.h).

Accumulation is exact: convolution is im2col + a float64 matrix product
(every partial sum is an integer below 2^53), depthwise convolution sums
shifted slices in int32 (as the C code does). Requantization is vectorized.

Filter zero points: TFLite's int8 CONV_2D, DEPTHWISE_CONV_2D and per-channel
FULLY_CONNECTED ignore them (symmetric weights are assumed); per-tensor
FULLY_CONNECTED subtracts it. We do the same.
"""

from __future__ import annotations

import numpy as np

from tinyir.numerics.kernels.common import output_stage, padded_input, window_tap
from tinyir.numerics.quantization import QParams, conv_output_multipliers, fully_connected_multipliers


def _add_bias(acc: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """The int32 accumulator TFLite Micro and CMSIS-NN end with: the exact sum
    plus bias, wrapped around as their int32 arithmetic wraps (a bias near
    INT32_MIN is spec-valid)."""
    if bias is not None:
        acc += np.asarray(bias, dtype=np.int64).reshape(-1)
    return acc.astype(np.int32).astype(np.int64)


def conv_2d(x: np.ndarray, x_q: QParams, w: np.ndarray, w_q: QParams, bias: np.ndarray | None,
            out_q: QParams, *, stride=(1, 1), dilation=(1, 1), pad=(0, 0, 0, 0),
            clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 CONV_2D. x: NHWC, w: [C_out, KH, KW, C_in], bias: int32 [C_out] or None.

    ``pad`` is (top, bottom, left, right); only top/left position the window,
    out-of-image taps contribute nothing (as if they held the input zero point).
    Grouped convolution (C_in of the filter dividing the input depth) is supported.
    """
    acc = conv_2d_sums(x, x_q, w, stride=stride, dilation=dilation, pad=pad, out_shape=out_shape)
    return conv_output(acc, x_q, w_q, bias, out_q, clamp=clamp, out_shape=out_shape)


def conv_output(acc: np.ndarray, x_q: QParams, w_q: QParams, bias: np.ndarray | None,
                out_q: QParams, *, clamp=(-128, 127), out_shape) -> np.ndarray:
    """Bias, requantization and clamp of conv or depthwise sums (int64, [..., C_out])."""
    mult, shift = conv_output_multipliers(x_q, w_q, out_q, acc.shape[-1])
    acc = _add_bias(acc.astype(np.int64), bias)
    return output_stage(acc, mult, shift, out_q.zero_point[0], clamp).reshape(tuple(out_shape))


def conv_2d_sums(x: np.ndarray, x_q: QParams, w: np.ndarray, *, stride=(1, 1), dilation=(1, 1),
                 pad=(0, 0, 0, 0), out_shape) -> np.ndarray:
    """The int64 sums of (x - zp) * w of CONV_2D, [N*OH*OW, C_out], before bias
    and requantization: over a window of the input channels, the partial sums."""
    n, h, wd, c = x.shape
    c_out, kh, kw, c_in = w.shape
    oh, ow = int(out_shape[1]), int(out_shape[2])
    groups = c // c_in
    if groups * c_in != c or c_out % groups:
        raise ValueError(f"conv_2d: input depth {c} vs filter depth {c_in}, {c_out} outputs")
    zp = x_q.zero_point[0]
    stride, dilation = tuple(stride), tuple(dilation)

    if (kh, kw) == (1, 1) and pad[0] <= 0 and pad[2] <= 0:
        # 1x1: a strided view of the input is already the im2col matrix.
        sh, sw = stride
        y0, x0 = -pad[0], -pad[2]
        cols = x[:, y0:y0 + (oh - 1) * sh + 1:sh, x0:x0 + (ow - 1) * sw + 1:sw, :]
        cols = cols.reshape(n * oh * ow, c).astype(np.float64)
    else:
        xp = padded_input(x, pad[0], pad[2], (oh, ow), (kh, kw), stride, dilation, zp)
        cols = np.empty((n, oh, ow, kh, kw, c), dtype=np.float64)
        for ky in range(kh):
            for kx in range(kw):
                cols[:, :, :, ky, kx, :] = window_tap(xp, ky, kx, (oh, ow), stride, dilation)
        cols = cols.reshape(n * oh * ow, kh * kw * c)

    # acc = sum (x - zp) * w = sum x*w - zp * sum w (padding holds zp: contributes 0).
    wf = w.astype(np.float64)
    if groups == 1:
        acc = cols @ wf.reshape(c_out, -1).T
        acc -= zp * wf.reshape(c_out, -1).sum(axis=1)
    else:
        per_group = c_out // groups
        cols = cols.reshape(n * oh * ow, kh * kw, groups, c_in)
        acc = np.empty((n * oh * ow, c_out), dtype=np.float64)
        for g in range(groups):
            wg = wf[g * per_group:(g + 1) * per_group].reshape(per_group, -1)
            acc[:, g * per_group:(g + 1) * per_group] = (
                cols[:, :, g, :].reshape(n * oh * ow, -1) @ wg.T - zp * wg.sum(axis=1))
    return acc.astype(np.int64)


def depthwise_conv_2d(x: np.ndarray, x_q: QParams, w: np.ndarray, w_q: QParams, bias: np.ndarray | None,
                      out_q: QParams, *, stride=(1, 1), dilation=(1, 1), pad=(0, 0, 0, 0),
                      clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 DEPTHWISE_CONV_2D. x: NHWC, w: [1, KH, KW, C_out] with
    C_out = C_in * depth_multiplier (output channel o reads input channel
    o // depth_multiplier)."""
    n, h, wd, c = x.shape
    _, kh, kw, c_out = w.shape
    oh, ow = int(out_shape[1]), int(out_shape[2])
    if c_out % c:
        raise ValueError(f"depthwise_conv_2d: {c_out} outputs for {c} input channels")
    depth_multiplier = c_out // c
    zp = x_q.zero_point[0]
    stride, dilation = tuple(stride), tuple(dilation)

    xp = padded_input(x, pad[0], pad[2], (oh, ow), (kh, kw), stride, dilation, zp)
    xp = xp.astype(np.int32) - np.int32(zp)  # padding becomes 0
    if depth_multiplier > 1:
        xp = np.repeat(xp, depth_multiplier, axis=3)
    w32 = w.reshape(kh, kw, c_out).astype(np.int32)
    acc = np.zeros((n, oh, ow, c_out), dtype=np.int32)
    for ky in range(kh):
        for kx in range(kw):
            acc += window_tap(xp, ky, kx, (oh, ow), stride, dilation) * w32[ky, kx]
    return conv_output(acc, x_q, w_q, bias, out_q, clamp=clamp, out_shape=out_shape)


def fully_connected(x: np.ndarray, x_q: QParams, w: np.ndarray, w_q: QParams, bias: np.ndarray | None,
                    out_q: QParams, *, clamp=(-128, 127), out_shape) -> np.ndarray:
    """int8 FULLY_CONNECTED. w: [C_out, K]; x: [..., K], flattened to rows of K."""
    acc = fully_connected_sums(x, x_q, w, w_q)
    return fully_connected_output(acc, x_q, w_q, bias, out_q, clamp=clamp, out_shape=out_shape)


def fully_connected_sums(x: np.ndarray, x_q: QParams, w: np.ndarray, w_q: QParams) -> np.ndarray:
    """The int64 sums of (x - zp) * (w - w_zp) of FULLY_CONNECTED, [rows, C_out]:
    over a window of the input depth, the partial sums."""
    c_out, k = w.shape
    rows = x.reshape(-1, k).astype(np.float64)
    wf = w.astype(np.float64)
    if not w_q.is_per_channel:
        wf -= w_q.zero_point[0]  # per-tensor FC honours the filter zero point
    return (rows @ wf.T - x_q.zero_point[0] * wf.sum(axis=1)).astype(np.int64)


def fully_connected_output(acc: np.ndarray, x_q: QParams, w_q: QParams, bias: np.ndarray | None,
                           out_q: QParams, *, clamp=(-128, 127), out_shape) -> np.ndarray:
    """Bias, requantization and clamp of fully connected sums."""
    mult, shift = fully_connected_multipliers(x_q, w_q, out_q)
    acc = _add_bias(acc.astype(np.int64).reshape(-1, acc.shape[-1]), bias)
    return output_stage(acc, mult, shift, out_q.zero_point[0], clamp).reshape(tuple(out_shape))
