"""Generated int8 TFLite models for tests: single operators and random CNNs.

The models are built with :class:`QuantNet`, a tiny float network builder that
does what a training framework plus the TFLite converter would do:

1. Each layer gets seeded random float weights, normalized like a folded
   batch norm: the layer's pre-activation is computed on a calibration batch,
   and each output channel is rescaled to a random gain and shifted by a
   random offset. Activations stay in a healthy range at every depth, and the
   per-channel weight scales spread like a trained network's.
2. :meth:`QuantNet.build` quantizes: activation scales/zero points from the
   ranges seen on the calibration batch (with the int8 kernels' rules: pools,
   reshapes, pads, transposes and concatenations keep their input's
   quantization; LOGISTIC and SOFTMAX output at 1/256, -128), symmetric int8
   weights (per-channel or per-tensor), int32 biases at input_scale *
   filter_scale. It writes the model with :class:`~tinyir.testing.tflite_builder.TFLiteBuilder`.
3. It also returns a fake-quantized float reference of the model (dequantized
   weights, every activation rounded to its int8 grid), which agrees with
   TFLite's int8 kernels to within rounding: a check that the model means
   what its generator meant.

Public entry points: :func:`single_op_models`, :func:`random_cnn` (bytes), their
richer twins :func:`single_op_cases`, :func:`random_cnn_case` (:class:`ModelCase`),
the blocks :func:`inverted_residual` and :func:`classifier_head`, and
:func:`tinyir.testing.tflm.tflm_run` to run a model in TensorFlow Lite Micro.
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

import numpy as np

from tinyir.testing.quantnet import FTensor, ModelCase, QuantNet

__all__ = [
    "FTensor", "ModelCase", "QuantNet", "classifier_head", "inverted_residual",
    "block_chain", "random_cnn", "random_cnn_case", "single_op_cases", "single_op_models",
]

# ==========================================================================
# Blocks shared by the example model and the random CNNs
# ==========================================================================

def inverted_residual(net: QuantNet, x: FTensor, out_channels: int, *, expand: int = 4, stride: int = 1,
                      kernel: int = 3, activation: str = "RELU6", name: str = "block") -> FTensor:
    """MobileNetV2 block: 1x1 expand, KxK depthwise, linear 1x1 project, and
    a residual ADD when the shapes allow it."""
    depth = x.shape[-1]
    h = x
    if expand != 1:
        h = net.conv2d(h, depth * expand, 1, activation=activation, name=f"{name}/expand")
    h = net.depthwise_conv2d(h, kernel, stride=stride, activation=activation, name=f"{name}/depthwise")
    h = net.conv2d(h, out_channels, 1, name=f"{name}/project")
    if stride == 1 and depth == out_channels:
        h = net.add(x, h, name=f"{name}/add")
    return h


def classifier_head(net: QuantNet, x: FTensor, classes: int, *, pooling: str = "average",
                    softmax: bool = True, name: str = "head") -> FTensor:
    """Global pooling (AVERAGE_POOL_2D over the whole map, or MEAN over H, W),
    RESHAPE to (1, C), FULLY_CONNECTED to ``classes`` logits, optional SOFTMAX.

    The logits are normalized on the calibration batch so that they vary
    from input to input (a random network's class scores otherwise differ
    mostly by a constant per class)."""
    _, h, w, c = x.shape
    if pooling == "average":
        p = net.avg_pool(x, (h, w), padding="VALID", name=f"{name}/pool")
    else:
        p = net.mean(x, (1, 2), keep_dims=True, name=f"{name}/mean")
    f = net.reshape(p, (1, c), name=f"{name}/flatten")
    logits = net.fully_connected(f, classes, gain=(1.0, 2.0), name=f"{name}/logits")
    return net.softmax(logits, name=f"{name}/softmax") if softmax else logits


# ==========================================================================
# Single-operator models
# ==========================================================================

_ASYM = (-1.0, 3.0)  # an input range whose zero point is not -128 or 0


def _single(name: str, shapes: Sequence[Sequence[int]], body: Callable, *, seed: int = 0,
            dtype: str = "int8", value_range=_ASYM) -> ModelCase:
    net = QuantNet(seed=seed)
    xs = [net.input(f"input{i}" if len(shapes) > 1 else "input", s, dtype=dtype, value_range=value_range)
          for i, s in enumerate(shapes)]
    net.output(body(net, *xs))
    return net.build(name)


def single_op_cases() -> Iterator[ModelCase]:
    """One small model per operator configuration."""
    img = (1, 9, 9, 4)
    yield _single("conv2d_per_channel_same", [img], lambda n, x: n.conv2d(x, 8, 3))
    yield _single("conv2d_per_tensor_valid", [img], lambda n, x: n.conv2d(x, 8, 3, padding="VALID", per_channel=False))
    yield _single("conv2d_stride2_relu6", [img], lambda n, x: n.conv2d(x, 8, 3, stride=2, activation="RELU6"))
    yield _single("conv2d_dilation2_relu", [img], lambda n, x: n.conv2d(x, 6, 3, dilation=2, activation="RELU"))
    yield _single("conv2d_1x1", [img], lambda n, x: n.conv2d(x, 16, 1))
    yield _single("conv2d_5x3_stride2x1_valid", [(1, 12, 10, 3)],
                  lambda n, x: n.conv2d(x, 8, (5, 3), stride=(2, 1), padding="VALID"))
    yield _single("conv2d_3x3_stride1x2_dilation1x2_same", [(1, 12, 10, 3)],
                  lambda n, x: n.conv2d(x, 8, 3, stride=(1, 2), dilation=(1, 2)))
    yield _single("depthwise_same", [img], lambda n, x: n.depthwise_conv2d(x, 3))
    yield _single("depthwise_per_tensor", [img], lambda n, x: n.depthwise_conv2d(x, 3, per_channel=False))
    yield _single("depthwise_mult2_stride2_valid_relu6", [img],
                  lambda n, x: n.depthwise_conv2d(x, 3, multiplier=2, stride=2, padding="VALID", activation="RELU6"))
    yield _single("depthwise_dilation2", [img], lambda n, x: n.depthwise_conv2d(x, 3, dilation=2))
    yield _single("depthwise_3x5_stride2x1_dilation2x1", [(1, 12, 10, 4)],
                  lambda n, x: n.depthwise_conv2d(x, (3, 5), stride=(2, 1), dilation=(2, 1)))
    yield _single("depthwise_stride1x2_valid", [(1, 12, 10, 4)],
                  lambda n, x: n.depthwise_conv2d(x, 3, stride=(1, 2), padding="VALID"))
    yield _single("fully_connected", [(1, 32)], lambda n, x: n.fully_connected(x, 10))
    yield _single("fully_connected_per_channel_relu", [(1, 32)],
                  lambda n, x: n.fully_connected(x, 10, per_channel=True, activation="RELU"))
    yield _single("fully_connected_keep_num_dims", [(1, 4, 16)],
                  lambda n, x: n.fully_connected(x, 8, keep_num_dims=True))
    yield _single("add", [img, img], lambda n, a, b: n.add(a, b))
    yield _single("add_broadcast_relu", [img, (1, 1, 1, 4)], lambda n, a, b: n.add(a, b, activation="RELU"))
    yield _single("add_const", [img], lambda n, x: n.add(x, n.constant("offset", n.rng.normal(size=(1, 1, 1, 4)))))
    yield _single("mul", [img, img], lambda n, a, b: n.mul(a, b))
    yield _single("mul_broadcast_relu6", [img, (1, 1, 1, 4)], lambda n, a, b: n.mul(a, b, activation="RELU6"))
    yield _single("mul_const", [img], lambda n, x: n.mul(x, n.constant("gain", n.rng.uniform(0.2, 2, (1, 1, 1, 4)))))
    yield _single("avg_pool_2x2_valid", [(1, 8, 8, 4)], lambda n, x: n.avg_pool(x, 2))
    yield _single("avg_pool_3x3_stride2_same", [img], lambda n, x: n.avg_pool(x, 3, stride=2, padding="SAME"))
    yield _single("avg_pool_3x2_stride2x1_same", [(1, 12, 10, 4)],
                  lambda n, x: n.avg_pool(x, (3, 2), stride=(2, 1), padding="SAME"))
    yield _single("max_pool_2x2_valid", [(1, 8, 8, 4)], lambda n, x: n.max_pool(x, 2))
    yield _single("max_pool_2x3_stride1x2_valid", [(1, 12, 10, 4)],
                  lambda n, x: n.max_pool(x, (2, 3), stride=(1, 2)))
    yield _single("max_pool_3x3_stride2_same", [img], lambda n, x: n.max_pool(x, 3, stride=2, padding="SAME"))
    yield _single("mean_hw_keep_dims", [img], lambda n, x: n.mean(x, (1, 2), keep_dims=True))
    yield _single("mean_hw", [img], lambda n, x: n.mean(x, (1, 2), keep_dims=False))
    yield _single("pad_hw", [img], lambda n, x: n.pad(x, [(0, 0), (1, 1), (2, 1), (0, 0)]))
    yield _single("padv2_hw", [img], lambda n, x: n.pad(x, [(0, 0), (0, 1), (1, 0), (0, 0)], v2=True))
    yield _single("reshape_flatten", [(1, 4, 4, 8)], lambda n, x: n.reshape(x, (1, 128)))
    yield _single("softmax", [(1, 10)], lambda n, x: n.softmax(x))
    yield _single("softmax_4d_beta", [(1, 3, 3, 8)], lambda n, x: n.softmax(x, beta=0.5), value_range=(-4.0, 4.0))
    yield _single("logistic", [img], lambda n, x: n.logistic(x), value_range=(-6.0, 4.0))
    yield _single("hard_swish", [img], lambda n, x: n.hard_swish(x), value_range=(-5.0, 5.0))
    yield _single("relu", [img], lambda n, x: n.relu(x))
    yield _single("relu_same_quant", [img], lambda n, x: n.relu(x, same_quant=True))
    yield _single("relu6", [img], lambda n, x: n.relu(x, "RELU6"), value_range=(-3.0, 9.0))
    yield _single("concat_channels", [img, (1, 9, 9, 3)], lambda n, a, b: n.concat([a, b], axis=3))
    yield _single("concat_three_negative_axis", [img, img, img], lambda n, a, b, c: n.concat([a, b, c], axis=-1))
    yield _single("transpose_hw", [(1, 4, 6, 8)], lambda n, x: n.transpose(x, (0, 2, 1, 3)))
    yield _single("transpose_nchw", [(1, 4, 6, 8)], lambda n, x: n.transpose(x, (0, 3, 1, 2)))
    yield _single("quantize_float_to_int8", [img], lambda n, x: n.quantize(x), dtype="float32")
    yield _single("requantize_int8", [img], lambda n, x: n.quantize(x))
    yield _single("dequantize_int8_to_float", [img], lambda n, x: n.dequantize(x))


def single_op_models() -> Iterator[tuple[str, bytes]]:
    """(name, TFLite bytes) for each configuration of :func:`single_op_cases`."""
    for case in single_op_cases():
        yield case.name, case.data


# ==========================================================================
# Random CNNs
# ==========================================================================

_ACTIVATIONS = ["NONE", "RELU", "RELU6"]


def _spatial(x: FTensor) -> int:
    return min(x.shape[1], x.shape[2])


def _block_conv(net: QuantNet, rng: np.random.Generator, x: FTensor) -> FTensor:
    kernel = int(rng.choice([1, 3, 5]))
    stride = 2 if _spatial(x) >= 6 and rng.random() < 0.4 else 1
    dilation = 2 if stride == 1 and kernel == 3 and _spatial(x) >= 6 and rng.random() < 0.3 else 1
    padding = "VALID" if _spatial(x) >= (kernel - 1) * dilation + 3 and rng.random() < 0.3 else "SAME"
    return net.conv2d(x, int(rng.integers(4, 25)), kernel, stride=stride, dilation=dilation, padding=padding,
                      activation=str(rng.choice(_ACTIVATIONS)), per_channel=bool(rng.random() < 0.8))


def _block_inverted_residual(net, rng, x):
    depth = x.shape[-1]
    out = depth if rng.random() < 0.6 else int(rng.integers(4, 25))
    stride = 2 if _spatial(x) >= 6 and rng.random() < 0.3 else 1
    return inverted_residual(net, x, out, expand=int(rng.choice([1, 2, 4])), stride=stride,
                             kernel=int(rng.choice([3, 5])), name="ir")


def _block_residual_add(net, rng, x):
    depth = x.shape[-1]
    h = net.conv2d(x, depth, 3, activation="RELU")
    h = net.conv2d(h, depth, 3)
    return net.add(x, h, activation=str(rng.choice(["NONE", "RELU"])))


def _block_concat(net, rng, x):
    a = net.conv2d(x, int(rng.integers(2, 13)), 1, activation="RELU6")
    b = net.depthwise_conv2d(x, 3, multiplier=int(rng.choice([1, 2])), activation="RELU6")
    return net.concat([a, b], axis=int(rng.choice([3, -1])))


def _block_squeeze_excite(net, rng, x):
    """x * logistic(conv(mean(x))): MEAN, LOGISTIC and a broadcasting MUL."""
    depth = x.shape[-1]
    s = net.mean(x, (1, 2), keep_dims=True)
    s = net.conv2d(s, max(depth // 4, 2), 1, activation="RELU")
    s = net.logistic(net.conv2d(s, depth, 1))
    return net.mul(x, s)


def _block_gated(net, rng, x):
    """conv(x) * logistic(conv(x)) or hard_swish(conv(x))."""
    h = net.conv2d(x, int(rng.integers(4, 17)), 3)
    if rng.random() < 0.5:
        return net.hard_swish(h)
    return net.mul(h, net.logistic(h))


def _block_pool(net, rng, x):
    if _spatial(x) < 4:
        return x
    pool = net.max_pool if rng.random() < 0.5 else net.avg_pool
    size = int(rng.choice([2, 3]))
    return pool(x, size, stride=2, padding=str(rng.choice(["SAME", "VALID"])))


def _block_pad_conv(net, rng, x):
    """Explicit PAD (with the zero point) then a VALID stride-2 conv, as in
    converted PyTorch / MCUNet models."""
    if _spatial(x) < 4:
        return x
    h = net.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], v2=bool(rng.random() < 0.3))
    return net.conv2d(h, int(rng.integers(4, 25)), 3, stride=2, padding="VALID", activation="RELU6")


def _block_transpose(net, rng, x):
    """Swap H and W, convolve, swap back."""
    h = net.transpose(x, (0, 2, 1, 3))
    h = net.conv2d(h, x.shape[-1], (1, 3), activation="RELU")
    return net.transpose(h, (0, 2, 1, 3))


_BLOCKS = [_block_conv, _block_inverted_residual, _block_residual_add, _block_concat,
           _block_squeeze_excite, _block_gated, _block_pool, _block_pad_conv, _block_transpose]


def random_cnn_case(seed: int) -> ModelCase:
    """A random small int8 CNN; see :func:`random_cnn`."""
    rng = np.random.default_rng([seed, 0x7e57])  # structure; QuantNet's stream draws weights
    net = QuantNet(seed=seed)
    float_io = bool(rng.random() < 0.35)
    side = int(rng.choice([12, 16, 20, 24, 32]))
    shape = (1, side, int(rng.choice([side, side - 4, side + 4])), int(rng.choice([1, 3, 4])))
    x = net.input("input", shape, dtype="float32" if float_io else "int8")
    if float_io:
        x = net.quantize(x)
    x = net.conv2d(x, int(rng.integers(4, 17)), 3, stride=int(rng.choice([1, 2])), activation="RELU6")
    for _ in range(int(rng.integers(2, 7))):
        x = _BLOCKS[int(rng.integers(len(_BLOCKS)))](net, rng, x)
    head = rng.random()
    if head < 0.6:
        outs = [classifier_head(net, x, int(rng.integers(2, 12)), pooling=str(rng.choice(["average", "mean"])),
                                softmax=bool(rng.random() < 0.6))]
    elif head < 0.8:
        outs = [net.conv2d(x, int(rng.integers(2, 9)), 1)]  # dense prediction
    else:
        outs = [classifier_head(net, x, 4, softmax=False), net.conv2d(x, 3, 1)]  # two outputs
    if float_io:
        outs = [net.dequantize(o) for o in outs]
    net.output(*outs)
    return net.build(f"random_cnn_{seed}")


def random_cnn(seed: int) -> bytes:
    """A random small int8 CNN of the single-op family: random depth, widths,
    kernels and strides; residual ADDs, CONCATENATION branches, squeeze-excite
    MUL with LOGISTIC, HARD_SWISH, pools, explicit PAD, TRANSPOSE; a
    classifier or dense head (some seeds: two outputs); for some seeds a float
    input with QUANTIZE and DEQUANTIZE at the end."""
    return random_cnn_case(seed).data


# ==========================================================================
# Deep chains: how the passes scale with depth
# ==========================================================================

def block_chain(blocks: int, *, size: int = 24, channels: int = 8, seed: int = 0) -> bytes:
    """A chain of `blocks` blocks of two inverted residuals (3x3, then 5x5
    depthwise; expand 4x, residual ADD), 8 ops each after --fuse, at one
    resolution: a model as deep as you like, for compile-time benchmarks."""
    net = QuantNet(seed=seed, samples=2)
    x = net.input("input", (1, size, size, channels))
    for b in range(blocks):
        x = inverted_residual(net, x, channels, kernel=3, name=f"block{b}a")
        x = inverted_residual(net, x, channels, kernel=5, name=f"block{b}b")
    net.output(x)
    return net.build(f"chain{blocks}").data


def op_chain(op: str, count: int, *, size: int = 8, channels: int = 8, seed: int = 0) -> bytes:
    """`count` ADDs of the model's input to the running sum ("add") or 1x1
    convolutions ("conv1x1") one after another: the many-small-ops extreme,
    for compile-time benchmarks (issue #15 found passes quadratic in it)."""
    net = QuantNet(seed=seed, samples=2)
    x = first = net.input("input", (1, size, size, channels))
    for i in range(count):
        x = net.add(x, first, name=f"add{i}") if op == "add" else net.conv2d(x, channels, 1, name=f"conv{i}")
    net.output(x)
    return net.build(f"{op}{count}").data
