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

import dataclasses
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from tinyir.testing.quantnet import FTensor, ModelCase, QuantNet
from tinyir.testing.tflite_builder import Tensor, TFLiteBuilder, strided_slice_index

__all__ = [
    "FTensor", "ModelCase", "QuantNet", "arith_ops_case", "classifier_head", "inverted_residual",
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
            dtype: str = "int8", value_range=_ASYM, tflm_body: Callable | None = None) -> ModelCase:
    """The model `body` builds on inputs of `shapes`; `tflm_body`: the same
    computation as TFLite Micro can be trusted to run (ModelCase.tflm_data)."""

    def build(body: Callable) -> ModelCase:
        net = QuantNet(seed=seed)
        xs = [net.input(f"input{i}" if len(shapes) > 1 else "input", s, dtype=dtype, value_range=value_range)
              for i, s in enumerate(shapes)]
        net.output(body(net, *xs))
        return net.build(name)

    case = build(body)
    return case if tflm_body is None else dataclasses.replace(case, tflm_data=build(tflm_body).data)


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
    yield from _arith_binary_cases(img)
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
    yield from _arith_unary_cases(img)
    yield _single("relu", [img], lambda n, x: n.relu(x))
    yield _single("relu_same_quant", [img], lambda n, x: n.relu(x, same_quant=True))
    yield _single("relu6", [img], lambda n, x: n.relu(x, "RELU6"), value_range=(-3.0, 9.0))
    yield _single("concat_channels", [img, (1, 9, 9, 3)], lambda n, a, b: n.concat([a, b], axis=3))
    yield _single("concat_three_negative_axis", [img, img, img], lambda n, a, b, c: n.concat([a, b, c], axis=-1))
    yield _single("transpose_hw", [(1, 4, 6, 8)], lambda n, x: n.transpose(x, (0, 2, 1, 3)))
    yield _single("transpose_nchw", [(1, 4, 6, 8)], lambda n, x: n.transpose(x, (0, 3, 1, 2)))
    yield _single("resize_nearest_2x", [(1, 5, 6, 4)], lambda n, x: n.resize(x, (10, 12)))
    yield _single("resize_nearest_7x9_to_10x5", [(1, 7, 9, 3)], lambda n, x: n.resize(x, (10, 5)))
    yield _single("resize_nearest_align_corners", [(1, 5, 6, 4)],
                  lambda n, x: n.resize(x, (9, 13), align_corners=True))
    yield _single("resize_nearest_half_pixel", [(1, 5, 6, 4)],
                  lambda n, x: n.resize(x, (8, 11), half_pixel_centers=True))
    yield _single("resize_nearest_align_corners_half_pixel", [(1, 6, 5, 2)],
                  lambda n, x: n.resize(x, (13, 7), align_corners=True, half_pixel_centers=True))
    yield _single("resize_bilinear_2x", [(1, 5, 6, 4)], lambda n, x: n.resize(x, (10, 12), bilinear=True))
    yield _single("resize_bilinear_7x9_to_10x5", [(1, 7, 9, 3)], lambda n, x: n.resize(x, (10, 5), bilinear=True))
    yield _single("resize_bilinear_align_corners", [(1, 5, 6, 4)],
                  lambda n, x: n.resize(x, (9, 13), bilinear=True, align_corners=True))
    yield _single("resize_bilinear_half_pixel", [(1, 5, 6, 4)],
                  lambda n, x: n.resize(x, (11, 8), bilinear=True, half_pixel_centers=True))
    yield _single("resize_bilinear_half_pixel_down", [(1, 9, 8, 3)],
                  lambda n, x: n.resize(x, (4, 3), bilinear=True, half_pixel_centers=True))
    # SAME: TFLite Micro's SPACE_TO_BATCH_ND pads with whatever its arena held:
    # compared on the convolution dilated natively (sizes a multiple of the
    # block, so that both calibrate the same ranges and quantize alike).
    yield _single("space_to_batch_conv2d_dilation2_same", [(1, 10, 8, 4)],
                  lambda n, x: dilated_by_space_to_batch(n, x, 2, lambda x: n.conv2d(x, 6, 3, padding="VALID")),
                  tflm_body=lambda n, x: n.conv2d(x, 6, 3, dilation=2))
    yield _single("space_to_batch_conv2d_dilation2x3_valid_relu", [(1, 12, 13, 3)],
                  lambda n, x: dilated_by_space_to_batch(
                      n, x, (2, 3), lambda x: n.conv2d(x, 5, 3, padding="VALID", activation="RELU"), same=False))
    yield _single("space_to_batch_depthwise_dilation3_same_zero_point_0", [img],
                  lambda n, x: dilated_by_space_to_batch(n, x, 3, lambda x: n.depthwise_conv2d(x, 3, padding="VALID")),
                  value_range=(-1.28, 1.27), tflm_body=lambda n, x: n.depthwise_conv2d(x, 3, dilation=3))
    yield _single("space_to_batch_depthwise_dilation2_inner_same", [(1, 10, 10, 4)],
                  lambda n, x: dilated_by_space_to_batch(n, x, 2, lambda x: n.depthwise_conv2d(x, 3), same=False))
    yield _single("quantize_float_to_int8", [img], lambda n, x: n.quantize(x), dtype="float32")
    yield _single("requantize_int8", [img], lambda n, x: n.quantize(x))
    yield _single("dequantize_int8_to_float", [img], lambda n, x: n.dequantize(x))
    yield from movement_cases()


def dilated_by_space_to_batch(net: QuantNet, x: FTensor, dilation, conv: Callable[[FTensor], FTensor], *,
                              same: bool = True) -> FTensor:
    """A dilated convolution as TensorFlow writes it: SPACE_TO_BATCH_ND ->
    `conv` (undilated) -> BATCH_TO_SPACE_ND, with the paddings and crops of
    tf.nn's required_space_to_batch_paddings: the dilated window's SAME
    padding (`same`), then padding up to a multiple of the block, cropped
    after."""
    block = (dilation, dilation) if isinstance(dilation, int) else tuple(dilation)
    paddings, crops = [], []
    for size, d in zip(x.shape[1:3], block):
        total = 2 * d if same else 0  # a 3x3 window dilated by d
        extra = -(size + total) % d
        paddings.append((total // 2, total - total // 2 + extra))
        crops.append((0, extra))
    h = conv(net.space_to_batch(x, block, paddings))
    return net.batch_to_space(h, block, crops)


# ==========================================================================
# Data movement: slices, splits, squeezes, shape computations
# ==========================================================================


@dataclass
class Moved:
    """A tensor of a data-movement model and its raw value as a function of
    the model input's raw value (the operators copy int8 values unchanged)."""

    tensor: Tensor
    of: Callable[[np.ndarray], np.ndarray]


def _moved(b: TFLiteBuilder, x: Moved, name: str, shape, of: Callable[[np.ndarray], np.ndarray]) -> Moved:
    """A new tensor quantized as `x`, its value `of(x's value)`."""
    t = b.tensor(name, shape, scale=x.tensor.scale, zero_point=x.tensor.zero_point)
    return Moved(t, lambda a: of(x.of(a)))


def _ints(b: TFLiteBuilder, name: str, values) -> Tensor:
    return b.const(name, np.asarray(values, np.int32))


def strided_slice(b: TFLiteBuilder, x: Moved, begin, end, strides, name="strided_slice", **masks) -> Moved:
    index = strided_slice_index(begin, end, strides, **masks)
    y = _moved(b, x, name, np.empty(x.tensor.shape)[index].shape, lambda a: a[index])
    consts = [_ints(b, f"{name}/{what}", v) for what, v in (("begin", begin), ("end", end), ("strides", strides))]
    b.op("STRIDED_SLICE", [x.tensor, *consts], [y.tensor], **masks)
    return y


def slice_(b: TFLiteBuilder, x: Moved, begin, size, name="slice") -> Moved:
    index = tuple(slice(p, None if n == -1 else p + n) for p, n in zip(begin, size))
    y = _moved(b, x, name, np.empty(x.tensor.shape)[index].shape, lambda a: a[index])
    b.op("SLICE", [x.tensor, _ints(b, f"{name}/begin", begin), _ints(b, f"{name}/size", size)], [y.tensor])
    return y


def split(b: TFLiteBuilder, x: Moved, axis: int, sizes, *, name="split") -> list[Moved]:
    """SPLIT (equal `sizes`) or SPLIT_V (any, one may be -1) along `axis`."""
    shape = x.tensor.shape
    resolved = [shape[axis] - sum(sizes) - 1 if n == -1 else n for n in sizes]
    bounds = np.cumsum([0, *resolved])
    ys = []
    for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        index = (slice(None),) * (axis % len(shape)) + (slice(int(lo), int(hi)),)
        ys.append(_moved(b, x, f"{name}{k}", np.empty(shape)[index].shape, lambda a, index=index: a[index]))
    axis_t = _ints(b, f"{name}/axis", [axis])
    if len(set(sizes)) == 1:
        b.op("SPLIT", [axis_t, x.tensor], [y.tensor for y in ys], num_splits=len(sizes))
    else:
        b.op("SPLIT_V", [x.tensor, _ints(b, f"{name}/sizes", sizes), axis_t], [y.tensor for y in ys],
             num_splits=len(sizes))
    return ys


def squeeze(b: TFLiteBuilder, x: Moved, dims=(), name="squeeze") -> Moved:
    shape = x.tensor.shape
    drop = {d % len(shape) for d in dims} or {d for d, n in enumerate(shape) if n == 1}
    out = tuple(n for d, n in enumerate(shape) if d not in drop)
    y = _moved(b, x, name, out, lambda a: a.reshape(out))
    b.op("SQUEEZE", [x.tensor], [y.tensor], squeeze_dims=tuple(dims))
    return y


def expand_dims(b: TFLiteBuilder, x: Moved, axis: int, name="expand_dims") -> Moved:
    shape = x.tensor.shape
    at = axis % (len(shape) + 1)
    out = shape[:at] + (1,) + shape[at:]
    y = _moved(b, x, name, out, lambda a: a.reshape(out))
    b.op("EXPAND_DIMS", [x.tensor, _ints(b, f"{name}/axis", [axis])], [y.tensor])
    return y


def movement_case(name: str, shape: Sequence[int], build: Callable[[TFLiteBuilder, Moved], list[Moved]]) -> ModelCase:
    """A model of operators that move int8 values without arithmetic, written
    with TFLiteBuilder directly (several outputs, int32 shape tensors): `build`
    adds them to the input. Its reference moves the raw input's values the
    same way, with numpy: exact."""
    b = TFLiteBuilder()
    x = Moved(b.input("input", shape, scale=0.05, zero_point=-7), lambda a: a)
    outs = build(b, x)
    b.output(*(y.tensor for y in outs))

    def reference(inputs: list[np.ndarray]) -> list[np.ndarray]:
        return [np.ascontiguousarray(y.of(inputs[0])) for y in outs]

    def reference_tensors(inputs: list[np.ndarray], given=None) -> dict[str, np.ndarray]:
        return {y.tensor.name: value for y, value in zip(outs, reference(inputs))}

    return ModelCase(name, b.finish(), [tuple(shape)], ["int8"], reference, reference_tensors,
                     [(x.tensor.scale, x.tensor.zero_point)] * len(outs))  # fmt: skip


def reshaped_by_shape_chain(b: TFLiteBuilder, x: Moved, chain: str) -> Moved:
    """RESHAPE whose shape operand a chain of shape operators computes from
    SHAPE(x), as exporters write `x.view(x.size(0), -1)` (the frontend folds
    the chain): "strided_slice_pack" [n, -1], "slice_concat" [n, h, -1],
    "unpack_pack" [n, -1, c], "gather" [n, -1, c] by GATHER, UNPACK, PACK
    (TFLite Micro has no int32 GATHER: that model only imports)."""
    n, h, _, c = x.tensor.shape
    shape = b.tensor(f"{chain}/shape", (4,), dtype="int32")
    b.op("SHAPE", [x.tensor], [shape])
    target = b.tensor(f"{chain}/target", (3,) if chain != "strided_slice_pack" else (2,), dtype="int32")
    rest = b.const(f"{chain}/rest", np.array(-1, np.int32))
    if chain == "strided_slice_pack":
        batch = b.tensor(f"{chain}/batch", (), dtype="int32")
        ends = [_ints(b, f"{chain}/{what}", [v]) for what, v in (("begin", 0), ("end", 1), ("strides", 1))]
        b.op("STRIDED_SLICE", [shape, *ends], [batch], shrink_axis_mask=1)
        b.op("PACK", [batch, rest], [target], values_count=2)
        out = (n, -1)
    elif chain == "slice_concat":
        leading = b.tensor(f"{chain}/leading", (2,), dtype="int32")
        b.op("SLICE", [shape, _ints(b, f"{chain}/begin", [0]), _ints(b, f"{chain}/size", [2])], [leading])
        b.op("CONCATENATION", [leading, _ints(b, f"{chain}/minus_one", [-1])], [target], axis=0)
        out = (n, h, -1)
    elif chain == "unpack_pack":
        dims = [b.tensor(f"{chain}/dim{d}", (), dtype="int32") for d in range(4)]
        b.op("UNPACK", [shape], dims, num=4)
        b.op("PACK", [dims[0], rest, dims[3]], [target], values_count=3)
        out = (n, -1, c)
    else:
        ends = b.tensor(f"{chain}/ends", (2,), dtype="int32")
        b.op("GATHER", [shape, _ints(b, f"{chain}/indices", [0, 3])], [ends])
        first, last = (b.tensor(f"{chain}/{what}", (), dtype="int32") for what in ("first", "last"))
        b.op("UNPACK", [ends], [first, last], num=2)
        b.op("PACK", [first, rest, last], [target], values_count=3)
        out = (n, -1, c)
    out = tuple(np.empty(x.tensor.shape).reshape(out).shape)
    y = _moved(b, x, f"{chain}/reshaped", out, lambda a: a.reshape(out))
    b.op("RESHAPE", [x.tensor, target], [y.tensor], new_shape=out)
    return y


def movement_cases() -> Iterator[ModelCase]:
    """Slices, splits, squeezes of int8 activations, several configurations
    each, and RESHAPEs by folded shape computations."""
    img = (1, 9, 9, 4)
    yield movement_case("squeeze_dim", (1, 1, 5, 4), lambda b, x: [squeeze(b, x, (1,))])
    yield movement_case("squeeze_all_ones", (1, 6, 1, 4), lambda b, x: [squeeze(b, x)])
    yield movement_case("expand_dims_inner", (1, 6, 4), lambda b, x: [expand_dims(b, x, 2)])
    yield movement_case("expand_dims_last", (1, 6, 4), lambda b, x: [expand_dims(b, x, -1)])
    yield movement_case("slice_window", img, lambda b, x: [slice_(b, x, (0, 2, 1, 1), (1, 5, -1, 2))])
    yield movement_case("slice_2d", (1, 32), lambda b, x: [slice_(b, x, (0, 5), (1, 20))])
    yield movement_case("strided_slice_channels", img,
                        lambda b, x: [strided_slice(b, x, (0, 0, 0, 1), (1, 9, 9, 3), (1, 1, 1, 1))])
    yield movement_case("strided_slice_stride2_reversed_w", img,
                        lambda b, x: [strided_slice(b, x, (0, 1, -1, 0), (1, 9, 0, 4), (1, 2, -2, 1))])
    yield movement_case("strided_slice_masks_shrink_row", img,
                        lambda b, x: [strided_slice(b, x, (0, 3, 0, 0), (0, 4, 0, 0), (1, 1, 1, 1), begin_mask=0b1101,
                                                    end_mask=0b1101, shrink_axis_mask=0b0010)])
    yield movement_case("strided_slice_reversed_channels_clamped", img,
                        lambda b, x: [strided_slice(b, x, (0, -20, 0, -1), (1, 20, 9, 0), (1, 3, 1, -1), end_mask=8)])
    yield movement_case("strided_slice_whole", (1, 4, 6), lambda b, x: [
        strided_slice(b, x, (0, 0, 0), (0, 0, 0), (1, 1, 1), begin_mask=7, end_mask=7)])
    yield movement_case("split_channels", (1, 6, 6, 8), lambda b, x: split(b, x, 3, (4, 4)))
    yield movement_case("split_rows_negative_axis", (1, 9, 5, 4), lambda b, x: split(b, x, -3, (3, 3, 3)))
    yield movement_case("split_v_channels", (1, 5, 5, 8), lambda b, x: split(b, x, -1, (2, -1, 3)))
    yield movement_case("split_v_width", (1, 4, 5, 3), lambda b, x: split(b, x, 2, (1, 4)))
    for chain in ("strided_slice_pack", "slice_concat", "unpack_pack"):
        yield movement_case(f"reshape_by_{chain}", (1, 4, 6, 8), lambda b, x, chain=chain: [
            reshaped_by_shape_chain(b, x, chain)])


def _arith_binary_cases(img: tuple[int, ...]) -> Iterator[ModelCase]:
    """SUB, MINIMUM, MAXIMUM, SQUARED_DIFFERENCE, PRELU: equal shapes,
    broadcasts, constant operands (either side), fused activations."""
    yield _single("sub", [img, img], lambda n, a, b: n.sub(a, b))
    yield _single("sub_broadcast_relu", [img, (1, 1, 1, 4)], lambda n, a, b: n.sub(a, b, activation="RELU"))
    yield _single("sub_from_const_relu6", [img],
                  lambda n, x: n.sub(n.constant("offset", n.rng.normal(size=(1, 1, 4))), x, activation="RELU6"))
    yield _single("sub_rank2_const", [(1, 32)], lambda n, x: n.sub(x, n.constant("mean", n.rng.normal(0, 3, (32,)))),
                  value_range=(-0.1, 0.2))
    yield _single("minimum", [img, img], lambda n, a, b: n.minimum(a, b))
    yield _single("minimum_const_scalar", [img], lambda n, x: n.minimum(x, n.constant("cap", np.full((1,), 1.5))))
    yield _single("maximum", [img, img], lambda n, a, b: n.maximum(a, b))
    yield _single("maximum_broadcast_rows", [img, (1, 9, 1, 4)], lambda n, a, b: n.maximum(a, b))
    yield _single("squared_difference", [img, img], lambda n, a, b: n.squared_difference(a, b))
    yield _single("squared_difference_broadcast", [img, (1, 1, 1, 4)],
                  lambda n, a, b: n.squared_difference(a, b), value_range=(-6.0, 2.0))
    yield _single("squared_difference_const_narrow", [img],
                  lambda n, x: n.squared_difference(x, n.constant("mean", n.rng.normal(0, 0.01, (4,)))),
                  value_range=(-0.05, 0.04))
    yield _single("prelu_per_channel_alpha", [img],
                  lambda n, x: n.prelu(x, n.constant("alpha", n.rng.uniform(-0.5, 0.5, (1, 1, 4)))))
    yield _single("prelu_full_alpha", [img],
                  lambda n, x: n.prelu(x, n.constant("alpha", n.rng.uniform(0.0, 2.0, img))), value_range=(-4.0, 1.0))


def _arith_unary_cases(img: tuple[int, ...]) -> Iterator[ModelCase]:
    """LEAKY_RELU, TANH, LOG_SOFTMAX, ARG_MAX: several alphas, input ranges
    narrow and wide (TANH saturating), axes."""
    yield _single("leaky_relu", [img], lambda n, x: n.leaky_relu(x, 0.2))
    yield _single("leaky_relu_alpha_0_01_wide", [img], lambda n, x: n.leaky_relu(x, 0.01), value_range=(-20.0, 6.0))
    yield _single("leaky_relu_alpha_1_5", [img], lambda n, x: n.leaky_relu(x, 1.5), value_range=(-2.0, 2.0))
    yield _single("tanh", [img], lambda n, x: n.tanh(x), value_range=(-4.0, 4.0))
    yield _single("tanh_narrow", [img], lambda n, x: n.tanh(x), value_range=(-0.3, 0.2))
    yield _single("tanh_saturating", [img], lambda n, x: n.tanh(x), value_range=(-40.0, 25.0))
    yield _single("log_softmax", [(1, 10)], lambda n, x: n.log_softmax(x), value_range=(-6.0, 6.0))
    yield _single("log_softmax_4d", [(1, 3, 3, 8)], lambda n, x: n.log_softmax(x), value_range=(-2.0, 3.0))
    yield _single("log_softmax_wide_1000", [(1, 1000)], lambda n, x: n.log_softmax(x), value_range=(-30.0, 30.0))
    yield _single("arg_max", [(1, 10)], lambda n, x: n.arg_max(x))
    yield _single("arg_max_channels", [img], lambda n, x: n.arg_max(x, 3))
    yield _single("arg_max_rows", [img], lambda n, x: n.arg_max(x, 1), value_range=(-0.02, 0.01))


def arith_ops_case(seed: int = 0, *, full_alpha: bool = False) -> ModelCase:
    """A small CNN with every operator of _arith_binary_cases and
    _arith_unary_cases: a conv stem, LEAKY_RELU and PRELU branches joined by
    MAXIMUM, a MINIMUM with a per-channel cap, TANH, SQUARED_DIFFERENCE and
    SUB against the branches, and a head of MEAN, FULLY_CONNECTED, then
    LOG_SOFTMAX and ARG_MAX (two outputs). PRELU's slopes are per channel, or
    with `full_alpha` one per element (Keras's default: they vary along rows)."""
    net = QuantNet(seed=seed)
    x = net.input("input", (1, 12, 12, 3))
    h = net.conv2d(x, 8, 3, activation="RELU")
    a = net.leaky_relu(net.conv2d(h, 8, 1), 0.1)
    alpha_shape = (12, 12, 8) if full_alpha else (1, 1, 8)
    b = net.prelu(net.depthwise_conv2d(h, 3), net.constant("alpha", net.rng.uniform(-0.3, 0.6, alpha_shape)))
    m = net.maximum(a, b)
    m = net.minimum(m, net.constant("cap", net.rng.uniform(0.5, 2.0, (1, 1, 1, 8))))
    t = net.tanh(net.depthwise_conv2d(m, 3))
    d = net.squared_difference(t, a)
    y = net.sub(net.conv2d(d, 8, 1), b, activation="RELU6")
    logits = classifier_head(net, y, 6, pooling="mean", softmax=False)
    net.output(net.log_softmax(logits), net.arg_max(logits))
    return net.build(f"arith_ops_{seed}" + ("_full_alpha" if full_alpha else ""))


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
