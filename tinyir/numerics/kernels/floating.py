"""float32 kernels: the compute ops of float models (the ONNX frontend imports
float ONNX models as f32 buffers).

They match onnxruntime's float kernels to rounding (about 1e-6 relative):
sums are taken in float64 and rounded to float32 once, at the end. Layouts are
tiny's: NHWC activations, conv filters [C_out, KH, KW, C_in], depthwise
filters [1, KH, KW, C_out], fully connected filters [C_out, K]. `clamp` is the
fused activation's range (integer bounds, as the ops carry them).

`KERNELS` maps op names to kernels; each takes the op's input arrays, the
output shape and the op's properties as keywords (integer arrays as tuples).
"""

from __future__ import annotations

import numpy as np

from tinyir.numerics.kernels.common import padded_input, window_tap


def _finish(y: np.ndarray, clamp, out_shape) -> np.ndarray:
    if clamp is not None:  # the int64 extremes stand for no bound
        lo = -np.inf if clamp[0] <= -(2**63) else float(clamp[0])
        hi = np.inf if clamp[1] >= 2**63 - 1 else float(clamp[1])
        y = np.clip(y, lo, hi)
    return y.astype(np.float32).reshape(tuple(int(d) for d in out_shape))


def _windows(x: np.ndarray, kernel, stride, dilation, pad, out_shape, fill: float) -> list[np.ndarray]:
    """The input (float64) under each filter tap, [N, OH, OW, C] per tap, row-major over (ky, kx)."""
    oh, ow = int(out_shape[1]), int(out_shape[2])
    xp = padded_input(x.astype(np.float64), pad[0], pad[2], (oh, ow), tuple(kernel), tuple(stride),
                      tuple(dilation), fill)
    return [window_tap(xp, ky, kx, (oh, ow), tuple(stride), tuple(dilation))
            for ky in range(kernel[0]) for kx in range(kernel[1])]


def conv_2d(x, w, b=None, *, stride=(1, 1), dilation=(1, 1), pad=(0, 0, 0, 0), clamp=None, out_shape):
    """CONV_2D, groups allowed (filter depth dividing the input depth)."""
    c_out, kh, kw, c_in = w.shape
    groups = x.shape[3] // c_in
    taps = _windows(x, (kh, kw), stride, dilation, pad, out_shape, 0.0)
    cols = np.stack(taps, axis=3)  # [N, OH, OW, KH*KW, C]
    rows = cols.shape[0] * cols.shape[1] * cols.shape[2]
    wf = w.astype(np.float64).reshape(c_out, kh * kw, c_in)
    per_group = c_out // groups
    y = np.empty((rows, c_out), dtype=np.float64)
    for g in range(groups):
        xg = cols[..., g * c_in:(g + 1) * c_in].reshape(rows, -1)
        wg = wf[g * per_group:(g + 1) * per_group].reshape(per_group, -1)
        y[:, g * per_group:(g + 1) * per_group] = xg @ wg.T
    if b is not None:
        y += b.astype(np.float64)
    return _finish(y, clamp, out_shape)


def depthwise_conv_2d(x, w, b=None, *, stride=(1, 1), dilation=(1, 1), pad=(0, 0, 0, 0), clamp=None, out_shape):
    """DEPTHWISE_CONV_2D: output channel o reads input channel o // multiplier."""
    _, kh, kw, c_out = w.shape
    multiplier = c_out // x.shape[3]
    taps = _windows(x, (kh, kw), stride, dilation, pad, out_shape, 0.0)
    wf = w.astype(np.float64).reshape(kh * kw, c_out)
    y = np.zeros(taps[0].shape[:3] + (c_out,), dtype=np.float64)
    for tap, wt in zip(taps, wf):
        y += (np.repeat(tap, multiplier, axis=3) if multiplier > 1 else tap) * wt
    if b is not None:
        y += b.astype(np.float64)
    return _finish(y, clamp, out_shape)


def fully_connected(x, w, b=None, *, clamp=None, out_shape):
    """FULLY_CONNECTED: rows of x [..., K] times w [C_out, K]^T."""
    y = x.reshape(-1, w.shape[1]).astype(np.float64) @ w.astype(np.float64).T
    if b is not None:
        y += b.astype(np.float64)
    return _finish(y, clamp, out_shape)


def _broadcast(y: np.ndarray, clamp, out_shape) -> np.ndarray:
    return _finish(np.broadcast_to(y, tuple(out_shape)), clamp, out_shape)


def add(a, b, *, clamp=None, out_shape):
    return _broadcast(a.astype(np.float64) + b.astype(np.float64), clamp, out_shape)


def mul(a, b, *, clamp=None, out_shape):
    return _broadcast(a.astype(np.float64) * b.astype(np.float64), clamp, out_shape)


def avg_pool_2d(x, *, kernel, stride, pad, clamp=None, out_shape):
    """Average of the in-image taps of each window (padding is not counted)."""
    taps = _windows(x, kernel, stride, (1, 1), pad, out_shape, 0.0)
    ones = np.ones((1,) + x.shape[1:3] + (1,))
    counts = _windows(ones, kernel, stride, (1, 1), pad, out_shape, 0.0)
    return _finish(sum(taps) / sum(counts), clamp, out_shape)


def max_pool_2d(x, *, kernel, stride, pad, clamp=None, out_shape):
    taps = _windows(x, kernel, stride, (1, 1), pad, out_shape, -np.inf)
    return _finish(np.maximum.reduce(taps), clamp, out_shape)


def mean(x, *, axes, out_shape):
    return _finish(x.astype(np.float64).mean(axis=tuple(axes)), None, out_shape)


def softmax(x, *, beta=1.0, out_shape):
    """Softmax over the last axis."""
    z = (x.astype(np.float64) - x.max(axis=-1, keepdims=True)) * beta
    e = np.exp(z)
    return _finish(e / e.sum(axis=-1, keepdims=True), None, out_shape)


def logistic(x, *, out_shape):
    with np.errstate(over="ignore"):
        return _finish(1.0 / (1.0 + np.exp(-x.astype(np.float64))), None, out_shape)


def hard_swish(x, *, out_shape):
    xf = x.astype(np.float64)
    return _finish(xf * np.clip(xf + 3.0, 0.0, 6.0) / 6.0, None, out_shape)


def clamp(x, *, clamp, out_shape):
    return _finish(x.astype(np.float64), clamp, out_shape)


KERNELS = {
    "tiny.conv_2d": conv_2d,
    "tiny.depthwise_conv_2d": depthwise_conv_2d,
    "tiny.fully_connected": fully_connected,
    "tiny.add": add,
    "tiny.mul": mul,
    "tiny.avg_pool_2d": avg_pool_2d,
    "tiny.max_pool_2d": max_pool_2d,
    "tiny.mean": mean,
    "tiny.softmax": softmax,
    "tiny.logistic": logistic,
    "tiny.hard_swish": hard_swish,
    "tiny.clamp": clamp,
}
