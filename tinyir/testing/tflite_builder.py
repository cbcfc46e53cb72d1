"""A small builder for int8 TFLite models.

TFLite models are flatbuffers (schema: ``tensorflow/compiler/mlir/lite/schema/
schema.fbs``). This module writes them with the generated builder functions of
the ``tflite`` package, laid out the way the TFLite converter lays them out:
schema version 3, file identifier ``TFL3``, buffer 0 empty (the sentinel that
tensors without data point at), 16-byte aligned constant buffers, operator codes
carrying both ``deprecated_builtin_code`` (``min(code, 127)``) and
``builtin_code``.

Usage::

    b = TFLiteBuilder()
    x = b.input("input", (1, 32, 32, 3), scale=0.02, zero_point=-10)
    w = b.const("conv1/w", w_int8, scales=w_scales, axis=0)     # per-channel
    bias = b.const("conv1/b", b_int32, scales=0.02 * w_scales)
    y = b.tensor("conv1", (1, 16, 16, 8), scale=0.05, zero_point=-128)
    b.op("CONV_2D", [x, w, bias], [y], padding="SAME", stride=(2, 2),
         activation="RELU6")
    b.output(y)
    data: bytes = b.finish()

The builder checks what it cheaply can while the model is built, so that a
mistake fails where it is made rather than as a wrong number in TFLite Micro:
operator options (unknown names are a ``TypeError``), output shapes of the
supported operators, topological order of the operators, and the quantization
rules of the int8 kernels that TFLite Micro does not itself check (operators
that move int8 data without rescaling need equal input and output quantization).
RELU6 is not held to that rule although TFLite Micro's int8 kernel ignores the
output quantization: such a model is valid TFLite, TFLite Micro runs it (clamping
in the input's quantization), and tinyir's frontend must reproduce that, so tests
need to be able to build one.

Supported operators and their options (keyword arguments of :meth:`op`):

=================  ===========================================================
CONV_2D            padding, stride, dilation, activation
DEPTHWISE_CONV_2D  padding, stride, dilation, depth_multiplier, activation
FULLY_CONNECTED    activation, keep_num_dims
ADD, MUL, SUB      activation
AVERAGE_POOL_2D,   padding, stride, filter, activation
MAX_POOL_2D
MEAN               keep_dims (axis: second input, const int32)
PAD, PADV2         (paddings: const int32 [rank, 2]; PADV2: constant value)
RESHAPE            new_shape (the shape may also be a second, const int32 input;
                   a computed one needs new_shape too, for the builder's check)
SOFTMAX            beta
CONCATENATION      axis, activation
TRANSPOSE          (perm: second input, const int32)
SQUEEZE            squeeze_dims
EXPAND_DIMS        (axis: second input, const int32)
SLICE              (begin, size: const int32 inputs)
STRIDED_SLICE      begin_mask, end_mask, ellipsis_mask, new_axis_mask,
                   shrink_axis_mask, offset (begin, end, strides: const int32)
SPLIT              num_splits (axis: FIRST input, const int32; several outputs)
SPLIT_V            num_splits (size_splits, axis: const int32 inputs)
SHAPE              out_type ("int32" or "int64")
PACK, UNPACK       values_count / num, axis
GATHER             axis, batch_dims (indices: second input)
CAST               no options
RESIZE_BILINEAR,   align_corners, half_pixel_centers (size: second input, const
RESIZE_NEAREST_    int32 [height, width])
NEIGHBOR
SPACE_TO_BATCH_ND  (block_shape, paddings: const int32 [2], [2, 2]; the data
BATCH_TO_SPACE_ND  input 4-D; BATCH_TO_SPACE_ND: block_shape, crops)
LEAKY_RELU         alpha
ARG_MAX            output_type ("int32"; axis: second input, const int32)
LOGISTIC, HARD_SWISH, QUANTIZE, DEQUANTIZE, RELU, RELU6, RELU_N1_TO_1, TANH,
LOG_SOFTMAX, MINIMUM, MAXIMUM, SQUARED_DIFFERENCE, PRELU (alpha: second input): no options
=================  ===========================================================

``padding`` is ``"SAME"`` or ``"VALID"``; ``stride``, ``dilation`` and
``filter`` are ``(height, width)`` pairs (an int means both); ``activation``
is ``"NONE"``, ``"RELU"``, ``"RELU_N1_TO_1"`` or ``"RELU6"``.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import flatbuffers
import numpy as np
import tflite

__all__ = ["ModelBuildError", "Tensor", "TFLiteBuilder", "SCHEMA_VERSION", "DTYPES"]

SCHEMA_VERSION = 3
FILE_IDENTIFIER = b"TFL3"
BUFFER_ALIGNMENT = 16

#: Element types the builder can write: name -> (TensorType, numpy dtype).
DTYPES: dict[str, tuple[int, type]] = {
    "float32": (tflite.TensorType.FLOAT32, np.float32),
    "int8": (tflite.TensorType.INT8, np.int8),
    "uint8": (tflite.TensorType.UINT8, np.uint8),
    "int16": (tflite.TensorType.INT16, np.int16),
    "int32": (tflite.TensorType.INT32, np.int32),
    "int64": (tflite.TensorType.INT64, np.int64),
}


class ModelBuildError(ValueError):
    """The model being built is inconsistent (shape, order, quantization)."""


@dataclass(frozen=True, eq=False)
class Tensor:
    """Handle to a tensor of the model being built.

    ``scales``/``zero_points`` are empty for unquantized tensors, of length one
    for per-tensor quantization, and one per slice along ``axis`` (the
    ``quantized_dimension``) for per-channel quantization. ``data`` is the
    value of a constant tensor, ``None`` for activations.
    """

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scales: tuple[float, ...] = ()
    zero_points: tuple[int, ...] = ()
    axis: int = 0
    data: np.ndarray | None = field(default=None, repr=False)

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def scale(self) -> float:
        """The per-tensor scale (error for per-channel or unquantized tensors)."""
        if len(self.scales) != 1:
            raise ModelBuildError(f"{self.name}: not per-tensor quantized")
        return self.scales[0]

    @property
    def zero_point(self) -> int:
        """The per-tensor zero point (error for per-channel or unquantized)."""
        if len(self.zero_points) != 1:
            raise ModelBuildError(f"{self.name}: not per-tensor quantized")
        return self.zero_points[0]


# --------------------------------------------------------------------------
# Operator options: one writer per options table. The writer's keyword
# arguments and their defaults are the operator's options in `TFLiteBuilder.op`.
# --------------------------------------------------------------------------

_PADDING = {"SAME": tflite.Padding.SAME, "VALID": tflite.Padding.VALID}
_ACTIVATION = {
    "NONE": tflite.ActivationFunctionType.NONE,
    "RELU": tflite.ActivationFunctionType.RELU,
    "RELU_N1_TO_1": tflite.ActivationFunctionType.RELU_N1_TO_1,
    "RELU6": tflite.ActivationFunctionType.RELU6,
}


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    """``2`` -> ``(2, 2)``; ``(h, w)`` stays."""
    if isinstance(value, int):
        return (value, value)
    h, w = value
    return (int(h), int(w))


def _lookup(table: dict[str, int], key: str, what: str) -> int:
    try:
        return table[key]
    except KeyError:
        raise ModelBuildError(f"unknown {what} {key!r}; expected one of {sorted(table)}") from None


def _conv2d_options(fb, padding="SAME", stride=1, dilation=1, activation="NONE"):
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    tflite.Conv2DOptionsStart(fb)
    tflite.Conv2DOptionsAddPadding(fb, _lookup(_PADDING, padding, "padding"))
    tflite.Conv2DOptionsAddStrideW(fb, sw)
    tflite.Conv2DOptionsAddStrideH(fb, sh)
    tflite.Conv2DOptionsAddFusedActivationFunction(fb, _lookup(_ACTIVATION, activation, "activation"))
    tflite.Conv2DOptionsAddDilationWFactor(fb, dw)
    tflite.Conv2DOptionsAddDilationHFactor(fb, dh)
    return tflite.Conv2DOptionsEnd(fb)


def _depthwise_options(fb, padding="SAME", stride=1, dilation=1, depth_multiplier=1, activation="NONE"):
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    tflite.DepthwiseConv2DOptionsStart(fb)
    tflite.DepthwiseConv2DOptionsAddPadding(fb, _lookup(_PADDING, padding, "padding"))
    tflite.DepthwiseConv2DOptionsAddStrideW(fb, sw)
    tflite.DepthwiseConv2DOptionsAddStrideH(fb, sh)
    tflite.DepthwiseConv2DOptionsAddDepthMultiplier(fb, depth_multiplier)
    tflite.DepthwiseConv2DOptionsAddFusedActivationFunction(fb, _lookup(_ACTIVATION, activation, "activation"))
    tflite.DepthwiseConv2DOptionsAddDilationWFactor(fb, dw)
    tflite.DepthwiseConv2DOptionsAddDilationHFactor(fb, dh)
    return tflite.DepthwiseConv2DOptionsEnd(fb)


def _fully_connected_options(fb, activation="NONE", keep_num_dims=False):
    tflite.FullyConnectedOptionsStart(fb)
    tflite.FullyConnectedOptionsAddFusedActivationFunction(fb, _lookup(_ACTIVATION, activation, "activation"))
    tflite.FullyConnectedOptionsAddKeepNumDims(fb, bool(keep_num_dims))
    return tflite.FullyConnectedOptionsEnd(fb)


def _add_options(fb, activation="NONE"):
    tflite.AddOptionsStart(fb)
    tflite.AddOptionsAddFusedActivationFunction(fb, _lookup(_ACTIVATION, activation, "activation"))
    return tflite.AddOptionsEnd(fb)


def _mul_options(fb, activation="NONE"):
    tflite.MulOptionsStart(fb)
    tflite.MulOptionsAddFusedActivationFunction(fb, _lookup(_ACTIVATION, activation, "activation"))
    return tflite.MulOptionsEnd(fb)


def _sub_options(fb, activation="NONE"):
    tflite.SubOptionsStart(fb)
    tflite.SubOptionsAddFusedActivationFunction(fb, _lookup(_ACTIVATION, activation, "activation"))
    return tflite.SubOptionsEnd(fb)


def _leaky_relu_options(fb, alpha=0.2):
    tflite.LeakyReluOptionsStart(fb)
    tflite.LeakyReluOptionsAddAlpha(fb, float(alpha))
    return tflite.LeakyReluOptionsEnd(fb)


_TENSOR_TYPE = {"int32": tflite.TensorType.INT32, "int64": tflite.TensorType.INT64}


def _arg_max_options(fb, output_type="int32"):
    tflite.ArgMaxOptionsStart(fb)
    tflite.ArgMaxOptionsAddOutputType(fb, _lookup(_TENSOR_TYPE, output_type, "output_type"))
    return tflite.ArgMaxOptionsEnd(fb)


def _resize_options(table: str) -> Callable:
    """Writer of ResizeBilinearOptions or ResizeNearestNeighborOptions (the same two fields)."""
    start, end = getattr(tflite, table + "Start"), getattr(tflite, table + "End")
    add_align, add_half = getattr(tflite, table + "AddAlignCorners"), getattr(tflite, table + "AddHalfPixelCenters")

    def write(fb, align_corners=False, half_pixel_centers=False):
        start(fb)
        add_align(fb, bool(align_corners))
        add_half(fb, bool(half_pixel_centers))
        return end(fb)

    return write


def _pool2d_options(fb, padding="VALID", stride=1, filter=1, activation="NONE"):
    (sh, sw), (fh, fw) = _pair(stride), _pair(filter)
    tflite.Pool2DOptionsStart(fb)
    tflite.Pool2DOptionsAddPadding(fb, _lookup(_PADDING, padding, "padding"))
    tflite.Pool2DOptionsAddStrideW(fb, sw)
    tflite.Pool2DOptionsAddStrideH(fb, sh)
    tflite.Pool2DOptionsAddFilterWidth(fb, fw)
    tflite.Pool2DOptionsAddFilterHeight(fb, fh)
    tflite.Pool2DOptionsAddFusedActivationFunction(fb, _lookup(_ACTIVATION, activation, "activation"))
    return tflite.Pool2DOptionsEnd(fb)


def _reducer_options(fb, keep_dims=False):
    tflite.ReducerOptionsStart(fb)
    tflite.ReducerOptionsAddKeepDims(fb, bool(keep_dims))
    return tflite.ReducerOptionsEnd(fb)


def _reshape_options(fb, new_shape=None):
    shape_vec = None if new_shape is None else fb.CreateNumpyVector(np.asarray(new_shape, np.int32))
    tflite.ReshapeOptionsStart(fb)
    if shape_vec is not None:
        tflite.ReshapeOptionsAddNewShape(fb, shape_vec)
    return tflite.ReshapeOptionsEnd(fb)


def _softmax_options(fb, beta=1.0):
    tflite.SoftmaxOptionsStart(fb)
    tflite.SoftmaxOptionsAddBeta(fb, float(beta))
    return tflite.SoftmaxOptionsEnd(fb)


def _concatenation_options(fb, axis=-1, activation="NONE"):
    tflite.ConcatenationOptionsStart(fb)
    tflite.ConcatenationOptionsAddAxis(fb, axis)
    tflite.ConcatenationOptionsAddFusedActivationFunction(fb, _lookup(_ACTIVATION, activation, "activation"))
    return tflite.ConcatenationOptionsEnd(fb)


def _squeeze_options(fb, squeeze_dims=()):
    dims = fb.CreateNumpyVector(np.asarray(squeeze_dims, np.int32)) if len(squeeze_dims) else None
    tflite.SqueezeOptionsStart(fb)
    if dims is not None:
        tflite.SqueezeOptionsAddSqueezeDims(fb, dims)
    return tflite.SqueezeOptionsEnd(fb)


def _strided_slice_options(fb, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0,
                           offset=False):
    tflite.StridedSliceOptionsStart(fb)
    tflite.StridedSliceOptionsAddBeginMask(fb, begin_mask)
    tflite.StridedSliceOptionsAddEndMask(fb, end_mask)
    tflite.StridedSliceOptionsAddEllipsisMask(fb, ellipsis_mask)
    tflite.StridedSliceOptionsAddNewAxisMask(fb, new_axis_mask)
    tflite.StridedSliceOptionsAddShrinkAxisMask(fb, shrink_axis_mask)
    tflite.StridedSliceOptionsAddOffset(fb, bool(offset))
    return tflite.StridedSliceOptionsEnd(fb)


def _split_options(table: str) -> Callable:
    """Writer of SplitOptions or SplitVOptions (num_splits, required)."""
    start, add, end = (getattr(tflite, table + part) for part in ("Start", "AddNumSplits", "End"))

    def write(fb, num_splits):
        start(fb)
        add(fb, num_splits)
        return end(fb)

    return write


def _shape_options(fb, out_type="int32"):
    tflite.ShapeOptionsStart(fb)
    tflite.ShapeOptionsAddOutType(fb, _lookup(_TENSOR_TYPE, out_type, "out_type"))
    return tflite.ShapeOptionsEnd(fb)


def _pack_options(fb, values_count, axis=0):
    tflite.PackOptionsStart(fb)
    tflite.PackOptionsAddValuesCount(fb, values_count)
    tflite.PackOptionsAddAxis(fb, axis)
    return tflite.PackOptionsEnd(fb)


def _unpack_options(fb, num, axis=0):
    tflite.UnpackOptionsStart(fb)
    tflite.UnpackOptionsAddNum(fb, num)
    tflite.UnpackOptionsAddAxis(fb, axis)
    return tflite.UnpackOptionsEnd(fb)


def _gather_options(fb, axis=0, batch_dims=0):
    tflite.GatherOptionsStart(fb)
    tflite.GatherOptionsAddAxis(fb, axis)
    tflite.GatherOptionsAddBatchDims(fb, batch_dims)
    return tflite.GatherOptionsEnd(fb)


def _empty_options(table: str) -> Callable:
    """Writer of an options table without fields (PadOptions, ...), as the
    converter writes them."""
    start, end = getattr(tflite, table + "Start"), getattr(tflite, table + "End")

    def write(fb):
        start(fb)
        return end(fb)

    return write


#: operator name -> (BuiltinOptions union member or None, writer or None)
_OPTIONS: dict[str, tuple[str | None, Callable | None]] = {
    "CONV_2D": ("Conv2DOptions", _conv2d_options),
    "DEPTHWISE_CONV_2D": ("DepthwiseConv2DOptions", _depthwise_options),
    "FULLY_CONNECTED": ("FullyConnectedOptions", _fully_connected_options),
    "ADD": ("AddOptions", _add_options),
    "MUL": ("MulOptions", _mul_options),
    "SUB": ("SubOptions", _sub_options),
    "MINIMUM": ("MaximumMinimumOptions", _empty_options("MaximumMinimumOptions")),
    "MAXIMUM": ("MaximumMinimumOptions", _empty_options("MaximumMinimumOptions")),
    "SQUARED_DIFFERENCE": ("SquaredDifferenceOptions", _empty_options("SquaredDifferenceOptions")),
    "AVERAGE_POOL_2D": ("Pool2DOptions", _pool2d_options),
    "MAX_POOL_2D": ("Pool2DOptions", _pool2d_options),
    "MEAN": ("ReducerOptions", _reducer_options),
    "PAD": ("PadOptions", _empty_options("PadOptions")),
    "PADV2": ("PadV2Options", _empty_options("PadV2Options")),
    "RESHAPE": ("ReshapeOptions", _reshape_options),
    "SOFTMAX": ("SoftmaxOptions", _softmax_options),
    "LOGISTIC": (None, None),
    "RELU": (None, None),
    "RELU6": (None, None),
    "RELU_N1_TO_1": (None, None),
    "HARD_SWISH": ("HardSwishOptions", _empty_options("HardSwishOptions")),
    "CONCATENATION": ("ConcatenationOptions", _concatenation_options),
    "TRANSPOSE": ("TransposeOptions", _empty_options("TransposeOptions")),
    "SQUEEZE": ("SqueezeOptions", _squeeze_options),
    "EXPAND_DIMS": ("ExpandDimsOptions", _empty_options("ExpandDimsOptions")),
    "SLICE": ("SliceOptions", _empty_options("SliceOptions")),
    "STRIDED_SLICE": ("StridedSliceOptions", _strided_slice_options),
    "SPLIT": ("SplitOptions", _split_options("SplitOptions")),
    "SPLIT_V": ("SplitVOptions", _split_options("SplitVOptions")),
    "SHAPE": ("ShapeOptions", _shape_options),
    "PACK": ("PackOptions", _pack_options),
    "UNPACK": ("UnpackOptions", _unpack_options),
    "GATHER": ("GatherOptions", _gather_options),
    "CAST": (None, None),
    "RESIZE_BILINEAR": ("ResizeBilinearOptions", _resize_options("ResizeBilinearOptions")),
    "RESIZE_NEAREST_NEIGHBOR": ("ResizeNearestNeighborOptions", _resize_options("ResizeNearestNeighborOptions")),
    "SPACE_TO_BATCH_ND": ("SpaceToBatchNDOptions", _empty_options("SpaceToBatchNDOptions")),
    "BATCH_TO_SPACE_ND": ("BatchToSpaceNDOptions", _empty_options("BatchToSpaceNDOptions")),
    "QUANTIZE": ("QuantizeOptions", _empty_options("QuantizeOptions")),
    "DEQUANTIZE": ("DequantizeOptions", _empty_options("DequantizeOptions")),
    "LEAKY_RELU": ("LeakyReluOptions", _leaky_relu_options),
    "PRELU": (None, None),
    "TANH": (None, None),
    "LOG_SOFTMAX": ("LogSoftmaxOptions", _empty_options("LogSoftmaxOptions")),
    "ARG_MAX": ("ArgMaxOptions", _arg_max_options),
}

#: Operator versions the TFLite converter writes for int8 operands
#: (tensorflow/lite/tools/versioning/op_version.cc). TFLite Micro ignores the
#: version; it is written so that other readers see what they expect.
_INT8_VERSIONS = {
    "CONV_2D": 3, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 4, "ADD": 2,
    "MUL": 2, "AVERAGE_POOL_2D": 2, "MAX_POOL_2D": 2, "MEAN": 2, "PAD": 2,
    "PADV2": 2, "SOFTMAX": 2, "LOGISTIC": 2, "CONCATENATION": 2,
    "TRANSPOSE": 2, "QUANTIZE": 2, "DEQUANTIZE": 2, "RELU": 2, "RELU6": 2,
    "SUB": 2, "MINIMUM": 2, "MAXIMUM": 2, "SQUARED_DIFFERENCE": 2, "LEAKY_RELU": 2,
    "TANH": 2, "LOG_SOFTMAX": 2, "ARG_MAX": 2,
}


def _op_version(opname: str, inputs: Sequence[Tensor | None]) -> int:
    first = inputs[0] if inputs else None
    if first is not None and first.dtype == "int8":
        return _INT8_VERSIONS.get(opname, 1)
    return 1


def _resolve_options(opname: str, options: dict) -> dict:
    """Validate ``options`` against the writer's signature; fill defaults."""
    if opname not in _OPTIONS:
        raise ModelBuildError(f"unsupported operator {opname!r}; supported: {sorted(_OPTIONS)}")
    _, writer = _OPTIONS[opname]
    if writer is None:
        if options:
            raise TypeError(f"{opname} takes no options, got {sorted(options)}")
        return {}
    bound = inspect.signature(writer).bind(None, **options)  # TypeError if unknown
    bound.apply_defaults()
    return {k: v for k, v in bound.arguments.items() if k != "fb"}


# --------------------------------------------------------------------------
# Output shapes (used to check the shapes the caller declares).
# --------------------------------------------------------------------------

def _spatial_out(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """TFLite's output size of a windowed op (ComputeOutSize)."""
    effective = (kernel - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size - effective + stride) // stride


def _const_data(t: Tensor | None, opname: str, what: str) -> np.ndarray:
    if t is None or t.data is None:
        raise ModelBuildError(f"{opname}: {what} must be a constant tensor")
    return t.data


def _shape_conv(ins, o):
    n, h, w, c = ins[0].shape
    oc, kh, kw, ic = ins[1].shape
    if c % ic:
        raise ModelBuildError(f"CONV_2D: input depth {c} not a multiple of filter depth {ic}")
    (sh, sw), (dh, dw) = _pair(o["stride"]), _pair(o["dilation"])
    return [(n, _spatial_out(h, kh, sh, dh, o["padding"]), _spatial_out(w, kw, sw, dw, o["padding"]), oc)]


def _shape_depthwise(ins, o):
    n, h, w, c = ins[0].shape
    one, kh, kw, oc = ins[1].shape
    if one != 1 or oc != c * o["depth_multiplier"]:
        raise ModelBuildError(
            f"DEPTHWISE_CONV_2D: filter {ins[1].shape} does not fit input depth {c} "
            f"x depth_multiplier {o['depth_multiplier']} (want [1, KH, KW, C*M])")
    (sh, sw), (dh, dw) = _pair(o["stride"]), _pair(o["dilation"])
    return [(n, _spatial_out(h, kh, sh, dh, o["padding"]), _spatial_out(w, kw, sw, dw, o["padding"]), oc)]


def _shape_fully_connected(ins, o):
    units, depth = ins[1].shape
    total = math.prod(ins[0].shape)
    if total % depth:
        raise ModelBuildError(f"FULLY_CONNECTED: input {ins[0].shape} does not fit weights {ins[1].shape}")
    if o["keep_num_dims"]:
        return [tuple(ins[0].shape[:-1]) + (units,)]
    return [(total // depth, units)]


def _shape_broadcast(ins, o):
    try:
        return [tuple(np.broadcast_shapes(ins[0].shape, ins[1].shape))]
    except ValueError as e:
        raise ModelBuildError(f"cannot broadcast {ins[0].shape} and {ins[1].shape}") from e


def _shape_pool(ins, o):
    n, h, w, c = ins[0].shape
    (sh, sw), (fh, fw) = _pair(o["stride"]), _pair(o["filter"])
    return [(n, _spatial_out(h, fh, sh, 1, o["padding"]), _spatial_out(w, fw, sw, 1, o["padding"]), c)]


def _shape_mean(ins, o):
    shape = ins[0].shape
    axes = {int(a) % len(shape) for a in _const_data(ins[1], "MEAN", "axis").ravel()}
    if o["keep_dims"]:
        return [tuple(1 if i in axes else d for i, d in enumerate(shape))]
    return [tuple(d for i, d in enumerate(shape) if i not in axes)]


def _shape_pad(ins, o):
    paddings = _const_data(ins[1], "PAD", "paddings").reshape(-1, 2)
    if len(paddings) != len(ins[0].shape):
        raise ModelBuildError(f"PAD: paddings {paddings.tolist()} do not fit rank {len(ins[0].shape)}")
    return [tuple(int(d + a + b) for d, (a, b) in zip(ins[0].shape, paddings))]


def _shape_reshape(ins, o):
    if len(ins) > 1 and ins[1] is not None and (ins[1].is_const or o["new_shape"] is None):
        shape = [int(d) for d in _const_data(ins[1], "RESHAPE", "shape").ravel()]
    elif o["new_shape"] is not None:
        shape = [int(d) for d in o["new_shape"]]
    else:
        raise ModelBuildError("RESHAPE: give a shape input or new_shape")
    total = math.prod(ins[0].shape)
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        shape[shape.index(-1)] = total // known
    if math.prod(shape) != total:
        raise ModelBuildError(f"RESHAPE: {ins[0].shape} has {total} elements, {shape} does not")
    return [tuple(shape)]


def _shape_concatenation(ins, o):
    rank = len(ins[0].shape)
    axis = o["axis"] % rank
    for t in ins[1:]:
        if len(t.shape) != rank or any(a != b for i, (a, b) in enumerate(zip(t.shape, ins[0].shape)) if i != axis):
            raise ModelBuildError(f"CONCATENATION: {t.shape} does not fit {ins[0].shape} on axis {axis}")
    out = list(ins[0].shape)
    out[axis] = sum(t.shape[axis] for t in ins)
    return [tuple(out)]


def _shape_transpose(ins, o):
    perm = [int(p) for p in _const_data(ins[1], "TRANSPOSE", "perm").ravel()]
    if sorted(perm) != list(range(len(ins[0].shape))):
        raise ModelBuildError(f"TRANSPOSE: {perm} is not a permutation of rank {len(ins[0].shape)}")
    return [tuple(ins[0].shape[p] for p in perm)]


def _shape_resize(ins, o):
    n, _, _, c = ins[0].shape
    height, width = (int(d) for d in _const_data(ins[1], "RESIZE", "size").ravel())
    return [(n, height, width, c)]


def _shape_space_to_batch(ins, o):
    n, h, w, c = ins[0].shape
    (bh, bw) = (int(d) for d in _const_data(ins[1], "SPACE_TO_BATCH_ND", "block_shape").ravel())
    (top, bottom), (left, right) = _const_data(ins[2], "SPACE_TO_BATCH_ND", "paddings").reshape(2, 2).tolist()
    if (h + top + bottom) % bh or (w + left + right) % bw:
        raise ModelBuildError(f"SPACE_TO_BATCH_ND: padded {h + top + bottom}x{w + left + right} not a multiple of {bh}x{bw}")
    return [(n * bh * bw, (h + top + bottom) // bh, (w + left + right) // bw, c)]


def _shape_batch_to_space(ins, o):
    n, h, w, c = ins[0].shape
    (bh, bw) = (int(d) for d in _const_data(ins[1], "BATCH_TO_SPACE_ND", "block_shape").ravel())
    (top, bottom), (left, right) = _const_data(ins[2], "BATCH_TO_SPACE_ND", "crops").reshape(2, 2).tolist()
    if n % (bh * bw):
        raise ModelBuildError(f"BATCH_TO_SPACE_ND: batch {n} not a multiple of {bh}x{bw}")
    return [(n // (bh * bw), h * bh - top - bottom, w * bw - left - right, c)]


def strided_slice_index(begin, end, strides, begin_mask=0, end_mask=0, shrink_axis_mask=0) -> tuple:
    """STRIDED_SLICE as a numpy index (Python's slice semantics: negative
    indices count from the end, out-of-range ones clamp, a mask bit means
    from the start / to the end, a shrink bit takes the one index `begin`)."""
    index = []
    for d, (b, e, s) in enumerate(zip(begin, end, strides)):
        if shrink_axis_mask >> d & 1:
            index.append(int(b))
        else:
            index.append(slice(None if begin_mask >> d & 1 else int(b), None if end_mask >> d & 1 else int(e), int(s)))
    return tuple(index)


def _shape_strided_slice(ins, o):
    if o["ellipsis_mask"] or o["new_axis_mask"] or o["offset"]:
        raise ModelBuildError("STRIDED_SLICE: the builder knows no ellipsis_mask, new_axis_mask or offset")
    begin, end, strides = (_const_data(t, "STRIDED_SLICE", what)
                           for t, what in zip(ins[1:4], ("begin", "end", "strides")))
    index = strided_slice_index(begin, end, strides, o["begin_mask"], o["end_mask"], o["shrink_axis_mask"])
    return [np.empty(ins[0].shape)[index].shape]


def _shape_slice(ins, o):
    begin, size = _const_data(ins[1], "SLICE", "begin"), _const_data(ins[2], "SLICE", "size")
    return [tuple(int(n - b if s == -1 else s) for n, b, s in zip(ins[0].shape, begin, size))]


def _split_shapes(shape, axis, sizes):
    axis %= len(shape)
    if sum(sizes) != shape[axis]:
        raise ModelBuildError(f"SPLIT: sizes {list(sizes)} do not add up to dimension {axis} of {shape}")
    return [tuple(int(n) if d == axis else m for d, m in enumerate(shape)) for n in sizes]


def _shape_split(ins, o):
    shape, axis, parts = ins[1].shape, int(_const_data(ins[0], "SPLIT", "axis").ravel()[0]), o["num_splits"]
    return _split_shapes(shape, axis, [shape[axis % len(shape)] // parts] * parts)


def _shape_split_v(ins, o):
    sizes = [int(n) for n in _const_data(ins[1], "SPLIT_V", "size_splits").ravel()]
    axis = int(_const_data(ins[2], "SPLIT_V", "axis").ravel()[0])
    if -1 in sizes:
        sizes[sizes.index(-1)] = ins[0].shape[axis % len(ins[0].shape)] - sum(sizes) - 1
    return _split_shapes(ins[0].shape, axis, sizes)


def _shape_squeeze(ins, o):
    shape = ins[0].shape
    dims = {d % len(shape) for d in o["squeeze_dims"]} or {d for d, n in enumerate(shape) if n == 1}
    return [tuple(n for d, n in enumerate(shape) if d not in dims)]


def _shape_expand_dims(ins, o):
    shape = ins[0].shape
    axis = int(_const_data(ins[1], "EXPAND_DIMS", "axis").ravel()[0]) % (len(shape) + 1)
    return [shape[:axis] + (1,) + shape[axis:]]


def _shape_pack(ins, o):
    return [np.stack([np.empty(t.shape) for t in ins], axis=o["axis"]).shape]


def _shape_unpack(ins, o):
    shape = list(ins[0].shape)
    del shape[o["axis"]]
    return [tuple(shape)] * o["num"]


def _shape_gather(ins, o):
    axis = o["axis"] % len(ins[0].shape)
    return [ins[0].shape[:axis] + ins[1].shape + ins[0].shape[axis + 1:]]


def _shape_same(ins, o):
    return [ins[0].shape]


def _shape_arg_max(ins, o):
    shape = ins[0].shape
    axis = int(_const_data(ins[1], "ARG_MAX", "axis").ravel()[0]) % len(shape)
    return [tuple(d for i, d in enumerate(shape) if i != axis)]


_SHAPE_RULES: dict[str, Callable] = {
    "CONV_2D": _shape_conv,
    "DEPTHWISE_CONV_2D": _shape_depthwise,
    "FULLY_CONNECTED": _shape_fully_connected,
    "ADD": _shape_broadcast,
    "MUL": _shape_broadcast,
    "SUB": _shape_broadcast,
    "MINIMUM": _shape_broadcast,
    "MAXIMUM": _shape_broadcast,
    "SQUARED_DIFFERENCE": _shape_broadcast,
    "PRELU": _shape_broadcast,
    "AVERAGE_POOL_2D": _shape_pool,
    "MAX_POOL_2D": _shape_pool,
    "MEAN": _shape_mean,
    "PAD": _shape_pad,
    "PADV2": _shape_pad,
    "RESHAPE": _shape_reshape,
    "SOFTMAX": _shape_same,
    "LOGISTIC": _shape_same,
    "HARD_SWISH": _shape_same,
    "RELU": _shape_same,
    "RELU6": _shape_same,
    "RELU_N1_TO_1": _shape_same,
    "CONCATENATION": _shape_concatenation,
    "TRANSPOSE": _shape_transpose,
    "SQUEEZE": _shape_squeeze,
    "EXPAND_DIMS": _shape_expand_dims,
    "SLICE": _shape_slice,
    "STRIDED_SLICE": _shape_strided_slice,
    "SPLIT": _shape_split,
    "SPLIT_V": _shape_split_v,
    "SHAPE": lambda ins, o: [(len(ins[0].shape),)],
    "PACK": _shape_pack,
    "UNPACK": _shape_unpack,
    "GATHER": _shape_gather,
    "CAST": _shape_same,
    "RESIZE_BILINEAR": _shape_resize,
    "RESIZE_NEAREST_NEIGHBOR": _shape_resize,
    "SPACE_TO_BATCH_ND": _shape_space_to_batch,
    "BATCH_TO_SPACE_ND": _shape_batch_to_space,
    "QUANTIZE": _shape_same,
    "DEQUANTIZE": _shape_same,
    "LEAKY_RELU": _shape_same,
    "TANH": _shape_same,
    "LOG_SOFTMAX": _shape_same,
    "ARG_MAX": _shape_arg_max,
}

#: int8 operators that copy or select values without rescaling: TFLite's
#: kernels assume (TFLite Micro checks only some of them) that the output has
#: the quantization of the (data) inputs.
_SAME_QUANT_OPS = {"AVERAGE_POOL_2D", "MAX_POOL_2D", "RESHAPE", "TRANSPOSE", "PAD", "PADV2", "CONCATENATION",
                   "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND",
                   "MINIMUM", "MAXIMUM", "SQUEEZE", "EXPAND_DIMS", "SLICE", "STRIDED_SLICE", "SPLIT", "SPLIT_V"}

#: int8 operators whose output quantization is fixed by the kernel.
_FIXED_OUTPUT_QUANT = {"LOGISTIC": (1.0 / 256, -128), "SOFTMAX": (1.0 / 256, -128), "TANH": (1.0 / 128, 0),
                       "LOG_SOFTMAX": (16.0 / 256, 127)}


def _check_quantization(opname: str, ins: Sequence[Tensor], outs: Sequence[Tensor]) -> None:
    if opname == "SPLIT":  # the axis comes first, the data second
        ins = ins[1:]
    if not ins or ins[0].dtype != "int8":
        return
    if opname in _SAME_QUANT_OPS:
        data = ins if opname in ("CONCATENATION", "MINIMUM", "MAXIMUM") else ins[:1]  # the others: input 0
        for t in data:
            for out in outs:  # SPLIT, SPLIT_V: every output
                if (t.scales, t.zero_points) != (out.scales, out.zero_points):
                    raise ModelBuildError(
                        f"{opname}: input {t.name!r} quantization {t.scales, t.zero_points} differs "
                        f"from output {out.name!r} {out.scales, out.zero_points}")
    if opname in _FIXED_OUTPUT_QUANT:
        scale, zp = _FIXED_OUTPUT_QUANT[opname]
        if outs[0].scales != (scale,) or outs[0].zero_points != (zp,):
            raise ModelBuildError(f"{opname}: int8 output must have scale {scale} and zero point {zp}")


# --------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------

@dataclass
class _Operator:
    opname: str
    inputs: list[int]
    outputs: list[int]
    options: dict


class TFLiteBuilder:
    """Collects tensors and operators of one subgraph; :meth:`finish` writes
    the flatbuffer. Operators must be added in execution order."""

    def __init__(self, description: str = "tinyir.testing.tflite_builder") -> None:
        self.description = description
        self._tensors: list[Tensor] = []
        self._buffers: list[bytes] = [b""]  # buffer 0: the empty sentinel
        self._tensor_buffer: list[int] = []
        self._operators: list[_Operator] = []
        self._inputs: list[int] = []
        self._outputs: list[int] = []
        self._available: set[int] = set()  # tensors that have a value so far

    # ---- tensors ---------------------------------------------------------

    def input(self, name: str, shape: Sequence[int], *, dtype: str = "int8",
              scale: float | None = None, zero_point: int | None = None) -> Tensor:
        """A model input (in the order of calls). int8 inputs need scale and
        zero point; float32 inputs have none."""
        t = self.tensor(name, shape, dtype=dtype, scale=scale, zero_point=zero_point)
        self._inputs.append(t.index)
        self._available.add(t.index)
        return t

    def tensor(self, name: str, shape: Sequence[int], *, dtype: str = "int8",
               scale: float | None = None, zero_point: int | None = None) -> Tensor:
        """An activation tensor (written by an operator), per-tensor quantized."""
        if dtype in ("int8", "uint8", "int16") and (scale is None or zero_point is None):
            raise ModelBuildError(f"{name}: {dtype} activation needs scale and zero_point")
        scales = () if scale is None else (float(np.float32(scale)),)
        zero_points = () if zero_point is None else (int(zero_point),)
        return self._add_tensor(name, shape, dtype, scales, zero_points, 0, None)

    def const(self, name: str, array: np.ndarray, *, dtype: str | None = None,
              scales: float | Sequence[float] | None = None,
              zero_points: int | Sequence[int] | None = None, axis: int = 0) -> Tensor:
        """A constant tensor holding ``array`` (its numpy dtype is the tensor
        type unless ``dtype`` is given). Quantized when ``scales`` is given:
        one scale is per-tensor, several are per-channel along ``axis``;
        ``zero_points`` defaults to zeros."""
        array = np.asarray(array, dtype=DTYPES[dtype][1] if dtype else None)
        dtype = self._dtype_name(array.dtype)
        scales_t: tuple[float, ...] = ()
        zps_t: tuple[int, ...] = ()
        if scales is not None:
            scales_t = tuple(float(np.float32(s)) for s in np.atleast_1d(scales))
            zps = np.zeros(len(scales_t), np.int64) if zero_points is None else np.atleast_1d(zero_points)
            zps_t = tuple(int(z) for z in zps)
            if len(zps_t) != len(scales_t):
                raise ModelBuildError(f"{name}: {len(scales_t)} scales but {len(zps_t)} zero points")
            if len(scales_t) > 1 and array.shape[axis] != len(scales_t):
                raise ModelBuildError(f"{name}: {len(scales_t)} scales for dimension {axis} of {array.shape}")
        t = self._add_tensor(name, array.shape, dtype, scales_t, zps_t, axis, array)
        self._available.add(t.index)
        return t

    @staticmethod
    def _dtype_name(np_dtype) -> str:
        for name, (_, dt) in DTYPES.items():
            if np.dtype(dt) == np_dtype:
                return name
        raise ModelBuildError(f"unsupported constant dtype {np_dtype}")

    def _add_tensor(self, name, shape, dtype, scales, zero_points, axis, data) -> Tensor:
        if dtype not in DTYPES:
            raise ModelBuildError(f"{name}: unsupported dtype {dtype!r}")
        t = Tensor(len(self._tensors), name, tuple(int(d) for d in shape), dtype,
                   scales, zero_points, axis, data)
        self._tensors.append(t)
        if data is None:
            self._tensor_buffer.append(0)
        else:
            self._buffers.append(np.ascontiguousarray(data).astype(data.dtype.newbyteorder("<")).tobytes())
            self._tensor_buffer.append(len(self._buffers) - 1)
        return t

    # ---- operators -------------------------------------------------------

    def op(self, opname: str, inputs: Sequence[Tensor | None], outputs: Sequence[Tensor], **options) -> None:
        """Append operator ``opname`` (a BuiltinOperator name such as
        ``"CONV_2D"``). ``None`` in ``inputs`` is an omitted optional input.
        Checks the options, the order, the output shapes and the int8
        quantization rules described in the module docstring."""
        resolved = _resolve_options(opname, options)
        if opname == "DEPTHWISE_CONV_2D" and len(inputs) == 3 and inputs[2] is None:
            # TFLite Micro's depthwise Prepare takes 3 inputs as "has bias" and
            # dereferences the missing tensor (segfault): omit it instead.
            raise ModelBuildError("DEPTHWISE_CONV_2D: give a bias or only 2 inputs, not an omitted (-1) bias")
        present = [t for t in inputs if t is not None]
        for t in present:
            if t.index not in self._available:
                raise ModelBuildError(f"{opname}: input {t.name!r} has no value yet (operators out of order?)")
        for t in outputs:
            if t.is_const or t.index in self._available:
                raise ModelBuildError(f"{opname}: output {t.name!r} is already written or constant")
        expected = _SHAPE_RULES[opname](list(inputs), resolved)
        got = [t.shape for t in outputs]
        if got != expected:
            raise ModelBuildError(f"{opname}: output shapes {got}, expected {expected}")
        _check_quantization(opname, present, outputs)
        self._operators.append(_Operator(
            opname, [-1 if t is None else t.index for t in inputs], [t.index for t in outputs], resolved))
        self._available.update(t.index for t in outputs)

    def output(self, *tensors: Tensor) -> None:
        """Mark model outputs (in the order of calls)."""
        for t in tensors:
            if t.index not in self._available:
                raise ModelBuildError(f"output {t.name!r} is never written")
            self._outputs.append(t.index)

    # ---- serialization ---------------------------------------------------

    def finish(self) -> bytes:
        """Serialize the model to TFLite flatbuffer bytes."""
        if not self._outputs:
            raise ModelBuildError("the model has no outputs")
        fb = flatbuffers.Builder(1024)
        buffers = [self._write_buffer(fb, data) for data in self._buffers]
        tensors = [self._write_tensor(fb, t, buf) for t, buf in zip(self._tensors, self._tensor_buffer)]
        opcode_index: dict[tuple[str, int], int] = {}
        operators = []
        for op in self._operators:
            version = _op_version(op.opname, [self._tensors[i] if i >= 0 else None for i in op.inputs])
            index = opcode_index.setdefault((op.opname, version), len(opcode_index))
            operators.append(self._write_operator(fb, op, index))
        subgraph = self._write_subgraph(fb, tensors, operators)
        opcodes = [self._write_opcode(fb, name, version) for name, version in opcode_index]
        description = fb.CreateString(self.description)
        opcodes_vec = _offset_vector(fb, tflite.ModelStartOperatorCodesVector, opcodes)
        subgraphs_vec = _offset_vector(fb, tflite.ModelStartSubgraphsVector, [subgraph])
        buffers_vec = _offset_vector(fb, tflite.ModelStartBuffersVector, buffers)
        tflite.ModelStart(fb)
        tflite.ModelAddVersion(fb, SCHEMA_VERSION)
        tflite.ModelAddOperatorCodes(fb, opcodes_vec)
        tflite.ModelAddSubgraphs(fb, subgraphs_vec)
        tflite.ModelAddDescription(fb, description)
        tflite.ModelAddBuffers(fb, buffers_vec)
        fb.Finish(tflite.ModelEnd(fb), file_identifier=FILE_IDENTIFIER)
        return bytes(fb.Output())

    @staticmethod
    def _write_buffer(fb, data: bytes) -> int:
        vec = None
        if data:
            # Align the payload to 16 bytes (schema: force_align 16), then write
            # it as an ordinary byte vector.
            fb.Prep(BUFFER_ALIGNMENT, len(data))
            vec = fb.CreateByteVector(data)
        tflite.BufferStart(fb)
        if vec is not None:
            tflite.BufferAddData(fb, vec)
        return tflite.BufferEnd(fb)

    @staticmethod
    def _write_tensor(fb, t: Tensor, buffer: int) -> int:
        name = fb.CreateString(t.name)
        shape = fb.CreateNumpyVector(np.asarray(t.shape, np.int32))
        quant = None
        if t.scales:
            scale_vec = fb.CreateNumpyVector(np.asarray(t.scales, np.float32))
            zp_vec = fb.CreateNumpyVector(np.asarray(t.zero_points, np.int64))
            tflite.QuantizationParametersStart(fb)
            tflite.QuantizationParametersAddScale(fb, scale_vec)
            tflite.QuantizationParametersAddZeroPoint(fb, zp_vec)
            tflite.QuantizationParametersAddQuantizedDimension(fb, t.axis)
            quant = tflite.QuantizationParametersEnd(fb)
        tflite.TensorStart(fb)
        tflite.TensorAddShape(fb, shape)
        tflite.TensorAddType(fb, DTYPES[t.dtype][0])
        tflite.TensorAddBuffer(fb, buffer)
        tflite.TensorAddName(fb, name)
        if quant is not None:
            tflite.TensorAddQuantization(fb, quant)
        return tflite.TensorEnd(fb)

    @staticmethod
    def _write_operator(fb, op: _Operator, opcode_index: int) -> int:
        inputs = fb.CreateNumpyVector(np.asarray(op.inputs, np.int32))
        outputs = fb.CreateNumpyVector(np.asarray(op.outputs, np.int32))
        union_member, writer = _OPTIONS[op.opname]
        options = writer(fb, **op.options) if writer is not None else None
        tflite.OperatorStart(fb)
        tflite.OperatorAddOpcodeIndex(fb, opcode_index)
        tflite.OperatorAddInputs(fb, inputs)
        tflite.OperatorAddOutputs(fb, outputs)
        if options is not None:
            tflite.OperatorAddBuiltinOptionsType(fb, getattr(tflite.BuiltinOptions, union_member))
            tflite.OperatorAddBuiltinOptions(fb, options)
        return tflite.OperatorEnd(fb)

    def _write_subgraph(self, fb, tensors: list[int], operators: list[int]) -> int:
        tensors_vec = _offset_vector(fb, tflite.SubGraphStartTensorsVector, tensors)
        inputs = fb.CreateNumpyVector(np.asarray(self._inputs, np.int32))
        outputs = fb.CreateNumpyVector(np.asarray(self._outputs, np.int32))
        operators_vec = _offset_vector(fb, tflite.SubGraphStartOperatorsVector, operators)
        name = fb.CreateString("main")
        tflite.SubGraphStart(fb)
        tflite.SubGraphAddTensors(fb, tensors_vec)
        tflite.SubGraphAddInputs(fb, inputs)
        tflite.SubGraphAddOutputs(fb, outputs)
        tflite.SubGraphAddOperators(fb, operators_vec)
        tflite.SubGraphAddName(fb, name)
        return tflite.SubGraphEnd(fb)

    @staticmethod
    def _write_opcode(fb, opname: str, version: int) -> int:
        code = getattr(tflite.BuiltinOperator, opname)
        tflite.OperatorCodeStart(fb)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(fb, min(code, 127))
        tflite.OperatorCodeAddBuiltinCode(fb, code)
        tflite.OperatorCodeAddVersion(fb, version)
        return tflite.OperatorCodeEnd(fb)


def _offset_vector(fb, start: Callable, offsets: Sequence[int]) -> int:
    """A vector of tables (``offsets`` written earlier), in order."""
    start(fb, len(offsets))
    for off in reversed(offsets):
        fb.PrependUOffsetTRelative(off)
    return fb.EndVector()
