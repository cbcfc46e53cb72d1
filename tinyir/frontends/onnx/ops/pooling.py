"""Pooling and reductions: MaxPool, AveragePool, their global forms,
ReduceMean, and the QOperator pools."""

from __future__ import annotations

import math

import numpy as np

from tinyir.dialects import tiny
from tinyir.frontends.onnx.graph import Node, reduce_axes
from tinyir.frontends.onnx.layout import F32, I8, NHWC, Lowering, float_clamp
from tinyir.frontends.onnx.ops.common import int_list, window_of
from tinyir.numerics.quantization import QParams


def _pool(L: Lowering, node: Node, op_class, x: str, kernel: tuple[int, int], out_q: QParams | None) -> None:
    """A pool keeps its input's quantization (TFLite's rule), then requantizes if told."""
    shape = L.onnx_shape(x)
    if len(shape) != 4:
        raise node.error(f"only 2-D pooling is supported (input {list(shape)})")
    n, c, h, w = shape
    if any(d != 1 for d in node.attr("dilations", [1, 1])):
        raise node.error("dilated pooling is not supported")
    stride, pad, (oh, ow) = window_of(node, (h, w), kernel)
    out = node.outputs[0]
    props = dict(kernel=tiny.i64_array(kernel), stride=tiny.i64_array(stride), pad=tiny.i64_array(pad))
    average = op_class is tiny.AvgPool2DOp
    include_pad = average and bool(node.attr("count_include_pad", 0)) and any(pad)
    if out_q is not None:
        source = L.as_int8(x, node, NHWC)
        x_q = tiny.buffer_type(source).quant
        global_pool = (kernel == (h, w) and not any(pad) and (oh, ow) == (1, 1))
        if average and global_pool and out_q != x_q:
            # The whole image: MEAN requantizes in the same step (one rounding).
            value = L.compute(tiny.MeanOp, [source], out, (n, 1, 1, c), I8, out_q, axes=tiny.i64_array((1, 2)))
        elif average and (include_pad or (out_q != x_q and not any(pad))):
            # A depthwise convolution with weights 1 (scale 1 / taps) averages and
            # requantizes with one rounding, and counts padding as zeros.
            taps = kernel[0] * kernel[1]
            ones = L.const(np.ones((1, *kernel, c), np.int8), I8, QParams.per_tensor(1.0 / taps, 0), out + "/ones")
            value = L.compute(tiny.DepthwiseConv2DOp, [source, ones], out, (n, oh, ow, c), I8, out_q,
                              stride=props["stride"], dilation=tiny.i64_array((1, 1)), pad=props["pad"],
                              clamp=tiny.i64_array((-128, 127)))
        else:
            value = L.compute(op_class, [source], out, (n, oh, ow, c), I8, x_q, clamp=tiny.i64_array((-128, 127)),
                              **props)
    elif include_pad:
        taps = kernel[0] * kernel[1]
        ones = L.const(np.full((1, *kernel, c), 1.0 / taps, np.float32), F32, None, out + "/weights")
        value = L.compute(tiny.DepthwiseConv2DOp, [L.as_float(x, node, NHWC), ones], out, (n, oh, ow, c), F32, None,
                          stride=props["stride"], dilation=tiny.i64_array((1, 1)), pad=props["pad"],
                          clamp=float_clamp(node, (-math.inf, math.inf)))
    else:
        value = L.compute(op_class, [L.as_float(x, node, NHWC)], out, (n, oh, ow, c), F32, None,
                          clamp=float_clamp(node, (-math.inf, math.inf)), **props)
    L.set(out, value, NHWC)


def _pool_q(L: Lowering, node: Node, x: str) -> QParams | None:
    if node.op.startswith("QLinear"):
        return L.q.act[node.outputs[0]]
    if L.entry(x, node).is_int8 and node.outputs[0] in L.q.act:
        return L.q.act[node.outputs[0]]
    return None


def lower_pool(L: Lowering, node: Node) -> None:
    x = node.inputs[0]
    if node.op == "MaxPool" and len(node.outputs) > 1 and node.outputs[1] and L.g.consumers(node.outputs[1]):
        raise node.error("the indices output of MaxPool is not supported")
    kernel = tuple(int_list(node, "kernel_shape", [], 2))
    op_class = tiny.MaxPool2DOp if node.op == "MaxPool" else tiny.AvgPool2DOp
    _pool(L, node, op_class, x, kernel, _pool_q(L, node, x))


def lower_global_pool(L: Lowering, node: Node) -> None:
    x = node.inputs[0]
    shape = L.onnx_shape(x)
    if len(shape) != 4:
        raise node.error(f"only 2-D pooling is supported (input {list(shape)})")
    if node.op == "QLinearGlobalAveragePool" and node.attr("channels_last", 0):
        raise node.error("channels_last = 1 is not supported")
    out_q = _pool_q(L, node, x)
    if node.op == "GlobalMaxPool":
        _pool(L, node, tiny.MaxPool2DOp, x, (shape[2], shape[3]), out_q)
        return
    n, c = shape[:2]
    out = node.outputs[0]
    axes = tiny.i64_array((1, 2))
    if out_q is not None:
        value = L.compute(tiny.MeanOp, [L.as_int8(x, node, NHWC)], out, (n, 1, 1, c), I8, out_q, axes=axes)
    else:
        value = L.compute(tiny.MeanOp, [L.as_float(x, node, NHWC)], out, (n, 1, 1, c), F32, None, axes=axes)
    L.set(out, value, NHWC)


def lower_reduce_mean(L: Lowering, node: Node) -> None:
    x = node.inputs[0]
    e = L.entry(x, node)
    rank = len(e.perm)
    axes = reduce_axes(node, L.g)
    if axes is None:
        raise node.error("the axes must be a constant")
    keep = bool(node.attr("keepdims", 1))
    if not axes:
        if node.attr("noop_with_empty_axes", 0):
            L.set(node.outputs[0], e.value, e.perm)
            return
        axes = list(range(rank))
    axes = sorted({a % rank for a in axes})
    last = node
    # A ReduceMean of a ReduceMean is one mean over both sets of axes.
    while True:
        nxt = L.g.only_consumer(last.outputs[0])
        if nxt is None or nxt.op != "ReduceMean" or bool(nxt.attr("keepdims", 1)) != keep:
            break
        more = reduce_axes(nxt, L.g)
        if not more:
            break
        remaining = list(range(rank)) if keep else [a for a in range(rank) if a not in axes]
        axes = sorted(set(axes) | {remaining[a % len(remaining)] for a in more})
        L.skip.add(id(nxt))
        last = nxt
    out = last.outputs[0]
    ir_axes = sorted(e.perm.index(a) for a in axes)
    shape = e.type.shape
    if keep:
        out_shape, perm = [1 if i in ir_axes else d for i, d in enumerate(shape)], e.perm
    else:
        kept = [p for p in e.perm if p not in axes]
        out_shape = [d for i, d in enumerate(shape) if i not in ir_axes]
        perm = tuple(sorted(kept).index(p) for p in kept)
    props = dict(axes=tiny.i64_array(ir_axes))
    out_q = L.q.act.get(out) if e.is_int8 else None
    if out_q is not None:
        value = L.compute(tiny.MeanOp, [e.value], out, out_shape, I8, out_q, **props)
    else:
        value = L.compute(tiny.MeanOp, [L.as_float(x, node, e.perm)], out, out_shape, F32, None, **props)
    L.set(out, value, perm)
