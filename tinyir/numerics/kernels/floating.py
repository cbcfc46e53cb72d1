"""float32 kernels: the compute ops of float models (float ONNX and TFLite
models import as f32 buffers).

Every output element is computed in float32 in one fixed order, the order of
tinyir's portable C float kernels (backends/runtime/tinyir_kernels_f32.c,
`tinyir_*_f32`) and of TFLite's reference float kernels: a convolution sums
its products from 0 over (ky, kx, ci) in that order, skipping taps in the
padding, adds the bias last, then clamps; a pool or mean sums its taps in
row-major order and divides by their count. Vectorized over the output
elements, the loops over taps and channels run in Python: never np.sum,
np.dot or einsum, whose order of summation is numpy's choice. So the C,
built without FMA contraction, is bit-exact with these kernels, and so
(within float rounding order, 1e-5 relative) with TFLite Micro and
onnxruntime.

exp is computed in float64 and rounded to float32 (`exp_f32`), in C as
`(float)exp((double)x)`: a double exp within an ulp of the true value,
rounded to float, is the same on every libm unless the value lies within
1e-16 relative of a rounding boundary, where float expf implementations
(numpy's own, glibc's, newlib's) differ in the last bit far more often.

Layouts are tiny's: NHWC activations, conv filters [C_out, KH, KW, C_in],
depthwise filters [1, KH, KW, C_out], fully connected filters [C_out, K].
`clamp` is the fused activation's range (integer bounds, as the ops carry
them; the int64 extremes stand for no bound).

`KERNELS` maps op names to kernels; each takes the op's input arrays, the
output shape and the op's properties as keywords (integer arrays as tuples).
"""

from __future__ import annotations

import numpy as np

from tinyir.numerics.kernels.common import padded_input, window_tap

F32 = np.float32

LOGISTIC_CUTOFFS = (F32(-9.0), F32(16.619047164916992188))
"""TFLite's reference float LOGISTIC: exp(x) below the first, 1 above the second."""


UNBOUNDED = (-(2**63), 2**63 - 1)
"""The clamp attribute of a float op without one: the int64 extremes."""

ACTIVATION_CLAMPS = {"NONE": UNBOUNDED, "RELU": (0, UNBOUNDED[1]), "RELU6": (0, 6), "RELU_N1_TO_1": (-1, 1)}
"""The clamp attribute of a float op with TFLite's fused activation (or the standalone op) of that name."""


def clamp_bounds(clamp) -> tuple[float, float]:
    """The float bounds of an op's clamp attribute (infinities for the int64 extremes)."""
    lo = -np.inf if clamp[0] <= UNBOUNDED[0] else float(clamp[0])
    hi = np.inf if clamp[1] >= UNBOUNDED[1] else float(clamp[1])
    return lo, hi


def exp_f32(x: np.ndarray) -> np.ndarray:
    """exp of float32 values, in float64 rounded to float32 (see the module docstring)."""
    return np.exp(x.astype(np.float64)).astype(F32)


def _finish(y: np.ndarray, clamp, out_shape) -> np.ndarray:
    y = y.astype(F32, copy=False)
    if clamp is not None:  # min(max(y, lo), hi), as the C
        lo, hi = clamp_bounds(clamp)
        y = np.minimum(np.maximum(y, F32(lo)), F32(hi))
    return y.reshape(tuple(int(d) for d in out_shape))


def _taps(x: np.ndarray, kernel, stride, dilation, pad, out_shape, fill: float):
    """(ky, kx, the input under that filter tap [N, OH, OW, C]) per tap, row-major over (ky, kx)."""
    oh, ow = int(out_shape[1]), int(out_shape[2])
    xp = padded_input(x.astype(F32, copy=False), pad[0], pad[2], (oh, ow), tuple(kernel), tuple(stride),
                      tuple(dilation), F32(fill))
    for ky in range(kernel[0]):
        for kx in range(kernel[1]):
            yield ky, kx, window_tap(xp, ky, kx, (oh, ow), tuple(stride), tuple(dilation))


def _with_bias(acc: np.ndarray, b) -> np.ndarray:
    """The bias added last (a product of a tap in the padding added 0 before it)."""
    return acc if b is None else acc + b.astype(F32)


def conv_2d(x, w, b=None, *, stride=(1, 1), dilation=(1, 1), pad=(0, 0, 0, 0), clamp=None, out_shape):
    """CONV_2D, groups allowed (filter depth dividing the input depth)."""
    c_out, kh, kw, c_in = w.shape
    per_group = c_out // (x.shape[3] // c_in)
    w = w.astype(F32, copy=False)
    acc = np.zeros((x.shape[0], int(out_shape[1]), int(out_shape[2]), c_out), F32)
    # the input channel read by output channel o at filter channel ci: ci of o's group
    first = (np.arange(c_out) // per_group) * c_in
    for ky, kx, tap in _taps(x, (kh, kw), stride, dilation, pad, out_shape, 0.0):
        for ci in range(c_in):
            xs = tap[..., ci, None] if per_group == c_out else tap[..., first + ci]
            acc += xs * w[:, ky, kx, ci]
    return _finish(_with_bias(acc, b), clamp, out_shape)


def depthwise_conv_2d(x, w, b=None, *, stride=(1, 1), dilation=(1, 1), pad=(0, 0, 0, 0), clamp=None, out_shape):
    """DEPTHWISE_CONV_2D: output channel o reads input channel o // multiplier."""
    _, kh, kw, c_out = w.shape
    channel = np.arange(c_out) // (c_out // x.shape[3])
    w = w.astype(F32, copy=False)
    acc = np.zeros((x.shape[0], int(out_shape[1]), int(out_shape[2]), c_out), F32)
    for ky, kx, tap in _taps(x, (kh, kw), stride, dilation, pad, out_shape, 0.0):
        acc += tap[..., channel] * w[0, ky, kx]
    return _finish(_with_bias(acc, b), clamp, out_shape)


def fully_connected(x, w, b=None, *, clamp=None, out_shape):
    """FULLY_CONNECTED: rows of x [..., K] times w [C_out, K]^T, summed over k in order."""
    c_out, depth = w.shape
    rows = x.reshape(-1, depth).astype(F32, copy=False)
    w = w.astype(F32, copy=False)
    acc = np.zeros((rows.shape[0], c_out), F32)
    for k in range(depth):
        acc += rows[:, k : k + 1] * w[:, k]
    return _finish(_with_bias(acc, b), clamp, out_shape)


def _broadcast(y: np.ndarray, clamp, out_shape) -> np.ndarray:
    return _finish(np.broadcast_to(y, tuple(out_shape)), clamp, out_shape)


def add(a, b, *, clamp=None, out_shape):
    return _broadcast(a.astype(F32) + b.astype(F32), clamp, out_shape)


def mul(a, b, *, clamp=None, out_shape):
    return _broadcast(a.astype(F32) * b.astype(F32), clamp, out_shape)


def avg_pool_2d(x, *, kernel, stride, pad, clamp=None, out_shape):
    """The sum of the in-image taps of each window over their count (padding is not counted)."""
    total = np.zeros((x.shape[0], int(out_shape[1]), int(out_shape[2]), x.shape[3]), F32)
    count = np.zeros((1, int(out_shape[1]), int(out_shape[2]), 1), np.int32)
    ones = np.ones((1,) + x.shape[1:3] + (1,), F32)
    for (_, _, tap), (_, _, inside) in zip(_taps(x, kernel, stride, (1, 1), pad, out_shape, 0.0),
                                           _taps(ones, kernel, stride, (1, 1), pad, out_shape, 0.0)):  # fmt: skip
        total += tap
        count += inside.astype(np.int32)
    return _finish(total / count.astype(F32), clamp, out_shape)


def max_pool_2d(x, *, kernel, stride, pad, clamp=None, out_shape):
    y = np.full((x.shape[0], int(out_shape[1]), int(out_shape[2]), x.shape[3]), -np.inf, F32)
    for _, _, tap in _taps(x, kernel, stride, (1, 1), pad, out_shape, -np.inf):
        np.maximum(y, tap, out=y)
    return _finish(y, clamp, out_shape)


def mean(x, *, axes, out_shape):
    """The sum over `axes` in row-major order of their indices, over the count."""
    axes = sorted({int(a) % x.ndim for a in axes})
    kept = [d for d in range(x.ndim) if d not in axes]
    count = int(np.prod([x.shape[a] for a in axes]))
    reduced = np.transpose(x.astype(F32, copy=False), axes + kept).reshape(count, -1)
    acc = np.zeros(reduced.shape[1], F32)
    for i in range(count):
        acc += reduced[i]
    return _finish(acc / F32(count), None, out_shape)


def softmax(x, *, beta=1.0, out_shape):
    """Softmax over the last axis: exp((x - max) * beta), summed in order, each over the sum."""
    x = x.astype(F32, copy=False)
    e = exp_f32((x - x.max(axis=-1, keepdims=True)) * F32(beta))
    total = np.zeros(e.shape[:-1], F32)
    for c in range(e.shape[-1]):
        total += e[..., c]
    return _finish(e / total[..., None], None, out_shape)


def logistic(x, *, out_shape):
    """TFLite's reference float LOGISTIC: 1 / (1 + exp(-x)), with its cut-offs."""
    x = x.astype(F32, copy=False)
    lower, upper = LOGISTIC_CUTOFFS
    with np.errstate(over="ignore"):
        y = np.where(x > upper, F32(1.0), np.where(x < lower, exp_f32(x), F32(1.0) / (F32(1.0) + exp_f32(-x))))
    return _finish(y, None, out_shape)


def hard_swish(x, *, out_shape):
    """x * min(6, max(0, x + 3)) / 6, in this order, as TFLite's reference HardSwish."""
    x = x.astype(F32, copy=False)
    return _finish(x * np.minimum(F32(6.0), np.maximum(F32(0.0), x + F32(3.0))) / F32(6.0), None, out_shape)


def clamp(x, *, clamp, out_shape):
    return _finish(x.astype(F32), clamp, out_shape)


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
