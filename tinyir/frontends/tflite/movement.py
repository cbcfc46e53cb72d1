"""Data movement: slices, splits, squeezes, and shape computations on
constants evaluated at import (`FOLDINGS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import tflite
from xdsl.ir import SSAValue

from tinyir.dialects import tiny
from tinyir.frontends.tflite.reader import OpContext, Tensor, value_name
from tinyir.numerics import kernels


@dataclass
class _Window:
    """A strided window of a tensor: per dimension the first index, the step
    and the count; `keep` are the dimensions the output keeps (STRIDED_SLICE's
    shrink_axis_mask drops some)."""

    begin: list[int]
    stride: list[int]
    shape: list[int]
    keep: list[int]

    @property
    def out_shape(self) -> tuple[int, ...]:
        return tuple(self.shape[d] for d in self.keep)

    def of(self, x: np.ndarray) -> np.ndarray:
        return kernels.strided_slice(x, begin=self.begin, stride=self.stride, out_shape=self.shape).reshape(
            self.out_shape
        )


def _index_vector(ctx: OpContext, i: int, rank: int, what: str) -> list[int]:
    values = ctx.const_ints(i)
    if len(values) != rank:
        raise ctx.error(f"{what} has {len(values)} values for a rank-{rank} input")
    return values


def _strided_slice_window(ctx: OpContext) -> _Window:
    """STRIDED_SLICE's window as TFLite Micro computes it
    (strided_slice_logic.h, StridedSliceStartForAxis / EndForAxis)."""
    options = ctx.options(tflite.StridedSliceOptions)
    if options.EllipsisMask() or options.NewAxisMask() or options.Offset():
        raise ctx.error("ellipsis_mask, new_axis_mask and offset are not supported (TFLite Micro ignores them)")
    shape = ctx.input(0).shape
    for i in (1, 2, 3):
        if ctx.input(i).type_name != "INT32":  # TFLite Micro reads them as int32 whatever their type
            raise ctx.error(f"input {i} ('{ctx.input(i).name}') must be int32, got {ctx.input(i).type_name}")
    begins, ends, strides = (
        _index_vector(ctx, i, len(shape), what) for i, what in ((1, "begin"), (2, "end"), (3, "strides"))
    )
    window = _Window([], strides, [], [])
    for d, (size, begin, end, stride) in enumerate(zip(shape, begins, ends, strides)):
        if stride == 0:
            raise ctx.error(f"stride of dimension {d} is 0")
        lo, hi = (0, size) if stride > 0 else (-1, size - 1)  # stop points one past the last index either way
        start = min(max(begin + size if begin < 0 else begin, lo), hi)
        if options.BeginMask() >> d & 1:
            start = lo if stride > 0 else hi
        if options.ShrinkAxisMask() >> d & 1:
            if stride < 0 or start >= size:  # TFLite Micro copies nothing then
                raise ctx.error(f"shrink_axis_mask drops dimension {d} with stride {stride} from index {start}")
            stop = start + 1
        else:
            window.keep.append(d)
            stop = min(max(end + size if end < 0 else end, lo), hi)
            if options.EndMask() >> d & 1:
                stop = hi if stride > 0 else lo
        window.begin.append(start)
        window.shape.append(max(0, -((start - stop) // stride)))  # ceil((stop - start) / stride)
    return window


def _slice_window(ctx: OpContext) -> _Window:
    """SLICE's window: begin and size (-1: to the end) per dimension."""
    shape = ctx.input(0).shape
    begins, sizes = _index_vector(ctx, 1, len(shape), "begin"), _index_vector(ctx, 2, len(shape), "size")
    counts = []
    for d, (size, begin, count) in enumerate(zip(shape, begins, sizes)):
        count = size - begin if count == -1 else count
        if not (0 <= begin <= size and 0 <= count <= size - begin):
            raise ctx.error(f"dimension {d}: begin {begin} and size {sizes[d]} do not fit size {size}")
        counts.append(count)
    return _Window(begins, [1] * len(shape), counts, list(range(len(shape))))


def _view(ctx: OpContext, source: SSAValue, out: Tensor) -> None:
    """`out` is `source` read with the output's shape (and quantization): no copy."""
    ctx.check_fresh(out)
    importer = ctx.importer
    view = importer.builder.insert(tiny.ReshapeOp(source, importer._type(out)))
    view.result.name_hint = value_name(out.name)
    importer.values[out.index] = view.result


def _copy_window(ctx: OpContext, data: int, out: Tensor, window: _Window) -> None:
    """`out` is the window of input `data`: a `tiny.slice`, then a view that
    drops the shrunk dimensions; a view alone when the window is the whole input."""
    x = ctx.input(data)
    if min(window.shape, default=1) < 1:
        raise ctx.error(f"the slice of {list(x.shape)} is empty")
    if window.out_shape != out.shape:
        raise ctx.error(f"output '{out.name}' is {list(out.shape)}, the slice gives {list(window.out_shape)}")
    if x.type_name != out.type_name:
        raise ctx.error(f"input is {x.type_name}, output '{out.name}' {out.type_name}")
    source = ctx.input_value(data)
    if window.begin == [0] * len(x.shape) and window.stride == [1] * len(x.shape) and tuple(window.shape) == x.shape:
        _view(ctx, source, out)
        return
    if x.quant != out.quant:  # the kernels copy bytes; TFLite's converter keeps the quantization
        raise ctx.error(f"output '{out.name}' is quantized otherwise than the input (the bytes are copied unchanged)")
    ctx.check_fresh(out)
    importer = ctx.importer
    out_type = importer._type(out)
    if tuple(window.shape) == out.shape:
        result = importer.define(out)
    else:
        window_type = tiny.BufferType(window.shape, out_type.element_type, out_type.quant)
        alloc = importer.builder.insert(tiny.AllocOp(window_type))
        alloc.result.name_hint = value_name(out.name + "/window")
        result = alloc.result
    importer.builder.insert(
        tiny.SliceOp([source], result, begin=tiny.i64_array(window.begin), stride=tiny.i64_array(window.stride))
    )
    if result is not importer.values.get(out.index):
        _view(ctx, result, out)


def _lower_strided_slice(ctx: OpContext) -> None:
    _copy_window(ctx, 0, ctx.output(), _strided_slice_window(ctx))


def _lower_slice(ctx: OpContext) -> None:
    _copy_window(ctx, 0, ctx.output(), _slice_window(ctx))


def _split_axis(ctx: OpContext, data: int, axis_input: int) -> int:
    rank = len(ctx.input(data).shape)
    axis = ctx.const_ints(axis_input)
    if len(axis) != 1 or not -rank <= axis[0] < rank:
        raise ctx.error(f"axis {axis} is not one dimension of a rank-{rank} input")
    return axis[0] % rank


def _lower_split_parts(ctx: OpContext, data: int, axis: int, sizes: list[int]) -> None:
    """One slice of input `data` per output, consecutive along `axis`: each
    as long as its output (TFLite Micro's SPLIT and SPLIT_V copy by the
    output shapes), which must agree with the operator's `sizes`."""
    shape = ctx.input(data).shape
    lengths = [t.shape[axis] if len(t.shape) == len(shape) else -1 for t in ctx.outs]
    if sizes != lengths or sum(lengths) != shape[axis]:
        raise ctx.error(
            f"outputs of {[list(t.shape) for t in ctx.outs]} do not split {list(shape)} into {sizes} on axis {axis}"
        )
    begin = 0
    for out, length in zip(ctx.outs, lengths):
        window_shape = [length if d == axis else n for d, n in enumerate(shape)]
        start = [begin if d == axis else 0 for d in range(len(shape))]
        _copy_window(ctx, data, out, _Window(start, [1] * len(shape), window_shape, list(range(len(shape)))))
        begin += length


def _lower_split(ctx: OpContext) -> None:
    """SPLIT: the axis (input 0), the input (input 1), num_splits equal parts."""
    axis = _split_axis(ctx, 1, 0)
    size, parts = ctx.input(1).shape[axis], ctx.options(tflite.SplitOptions).NumSplits()
    if parts < 1 or size % parts:
        raise ctx.error(f"dimension {axis} of {list(ctx.input(1).shape)} does not split into {parts} equal parts")
    _lower_split_parts(ctx, 1, axis, [size // parts] * parts)


def _lower_split_v(ctx: OpContext) -> None:
    """SPLIT_V: the input, size_splits (one may be -1: the rest), the axis."""
    axis = _split_axis(ctx, 0, 2)
    sizes = ctx.const_ints(1)
    if ctx.options(tflite.SplitVOptions).NumSplits() != len(sizes):
        raise ctx.error(f"num_splits {ctx.options(tflite.SplitVOptions).NumSplits()} for {len(sizes)} size_splits")
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = ctx.input(0).shape[axis] - (sum(sizes) + 1)
    _lower_split_parts(ctx, 0, axis, sizes)


def _squeezed_shape(ctx: OpContext) -> tuple[int, ...]:
    """SQUEEZE drops the squeeze_dims, or without them every dimension of 1."""
    shape = ctx.input(0).shape
    options = ctx.options(tflite.SqueezeOptions)
    given = [int(d) for d in options.SqueezeDimsAsNumpy()] if options.SqueezeDimsLength() else None
    if given is None:
        dims = {d for d, n in enumerate(shape) if n == 1}
    elif all(-len(shape) <= d < len(shape) for d in given):
        dims = {d % len(shape) for d in given}
    else:
        raise ctx.error(f"squeeze_dims {given} are not dimensions of {list(shape)}")
    if any(shape[d] != 1 for d in dims):
        raise ctx.error(f"squeeze_dims {given} of {list(shape)} are not all 1")
    return tuple(n for d, n in enumerate(shape) if d not in dims)


def _expanded_shape(ctx: OpContext) -> tuple[int, ...]:
    shape = ctx.input(0).shape
    axis = ctx.const_ints(1)
    if len(axis) != 1 or not -len(shape) - 1 <= axis[0] <= len(shape):
        raise ctx.error(f"axis {axis} is not a position in a rank-{len(shape)} input")
    at = axis[0] % (len(shape) + 1)
    return shape[:at] + (1,) + shape[at:]


def _reshaped_as(shape_of: Callable[[OpContext], tuple[int, ...]]) -> Callable[[OpContext], None]:
    """SQUEEZE and EXPAND_DIMS: a view of the input with the output's shape."""

    def lower(ctx: OpContext) -> None:
        out = ctx.output()
        if shape_of(ctx) != out.shape:
            raise ctx.error(f"output '{out.name}' is {list(out.shape)}, expected {list(shape_of(ctx))}")
        _view(ctx, ctx.input_value(0), out)

    return lower


def _constants_only(ctx: OpContext) -> None:
    raise ctx.error("supported only on constants (shape computations), which are folded at import")


# -- shape computations on constants, folded at import ------------------------------


def _fold_reshape(ctx: OpContext) -> list[np.ndarray]:
    """RESHAPE, SQUEEZE, EXPAND_DIMS, CAST: the values, in the output's shape and type."""
    return [ctx.constant(0)]


def _fold_pack(ctx: OpContext) -> list[np.ndarray]:
    options = ctx.options(tflite.PackOptions)
    values = [ctx.constant(i) for i in range(len(ctx.ins))]
    if options.ValuesCount() != len(values) or len({v.shape for v in values}) > 1:
        raise ctx.error(f"values_count {options.ValuesCount()} for inputs of {[list(v.shape) for v in values]}")
    return [np.stack(values, axis=options.Axis())]


def _fold_unpack(ctx: OpContext) -> list[np.ndarray]:
    options = ctx.options(tflite.UnpackOptions)
    x = ctx.constant(0)
    if not -x.ndim <= options.Axis() < x.ndim or not x.shape[options.Axis()] == options.Num() == len(ctx.outs):
        raise ctx.error(
            f"num {options.Num()} does not unpack {list(x.shape)} on axis {options.Axis()} into {len(ctx.outs)} outputs"
        )
    return list(np.moveaxis(x, options.Axis(), 0))


def _fold_gather(ctx: OpContext) -> list[np.ndarray]:
    options = ctx.options(tflite.GatherOptions)
    params, indices = ctx.constant(0), ctx.constant(1)
    if options.BatchDims() != 0:
        raise ctx.error(f"batch_dims {options.BatchDims()} is not supported (only 0)")
    axis = options.Axis()
    if not -params.ndim <= axis < params.ndim or ((indices < 0) | (indices >= params.shape[axis])).any():
        raise ctx.error(f"indices {indices.tolist()} on axis {axis} do not fit {list(params.shape)}")
    return [np.take(params, indices, axis=axis)]


def _fold_concatenation(ctx: OpContext) -> list[np.ndarray]:
    options = ctx.options(tflite.ConcatenationOptions)
    values = [ctx.constant(i) for i in range(len(ctx.ins))]
    if options.FusedActivationFunction() != 0:
        raise ctx.error("a fused activation on CONCATENATION is not supported")
    try:
        return [np.concatenate(values, axis=options.Axis())]
    except ValueError as e:  # numpy's AxisError is one
        raise ctx.error(f"cannot concatenate {[list(v.shape) for v in values]}: {e}") from None


FOLDINGS: dict[str, Callable[[OpContext], list[np.ndarray]]] = {
    "SHAPE": lambda ctx: [np.array(ctx.input(0).shape, np.int64)],
    "STRIDED_SLICE": lambda ctx: [_strided_slice_window(ctx).of(ctx.constant(0))],
    "SLICE": lambda ctx: [_slice_window(ctx).of(ctx.constant(0))],
    "PACK": _fold_pack,
    "UNPACK": _fold_unpack,
    "GATHER": _fold_gather,
    "CONCATENATION": _fold_concatenation,
    "RESHAPE": _fold_reshape,
    "SQUEEZE": _fold_reshape,
    "EXPAND_DIMS": _fold_reshape,
    "CAST": _fold_reshape,
}
"""Operators evaluated with numpy when their inputs are constants (see
`OpContext.foldable`): their outputs become constants, materialized (as
`tiny.const`) only where a lowered operator reads them."""


LOWERINGS: dict[str, Callable[[OpContext], None]] = {
    "SQUEEZE": _reshaped_as(_squeezed_shape),
    "EXPAND_DIMS": _reshaped_as(_expanded_shape),
    "SLICE": _lower_slice,
    "STRIDED_SLICE": _lower_strided_slice,
    "SPLIT": _lower_split,
    "SPLIT_V": _lower_split_v,
    "SHAPE": _constants_only,
    "PACK": _constants_only,
    "UNPACK": _constants_only,
    "GATHER": _constants_only,
    "CAST": _constants_only,
}
