"""Data movement and the quantization nodes: Reshape, Flatten, Squeeze,
Unsqueeze, Transpose, Pad, Concat, QuantizeLinear, DequantizeLinear."""

from __future__ import annotations

import math

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, i64

from tinyir.dialects import tiny
from tinyir.frontends.onnx.graph import Node, pad_amounts
from tinyir.frontends.onnx.layout import F32, I8, Entry, Lowering, identity, same_bytes
from tinyir.frontends.onnx.ops.common import int_list, quantized_const
from tinyir.frontends.onnx.quant import node_qparams
from tinyir.numerics.quantization import QParams


def _reshaped(L: Lowering, node: Node, x: str, shape: tuple[int, ...]) -> None:
    e = L.entry(x, node)
    if math.prod(shape) != e.type.num_elements:
        raise node.error(f"cannot reshape {list(e.onnx_shape)} to {list(shape)}")
    rank = len(e.perm)
    old = e.onnx_shape
    if (len(shape) == 2 and rank > 2 and shape[0] == old[0] and e.perm[0] == 0
            and not same_bytes(old, e.perm, identity(rank))):
        # Flattening an NCHW image kept as NHWC: keep the bytes, note the column order.
        onnx_index = np.arange(math.prod(old[1:])).reshape(old[1:])
        columns = np.transpose(onnx_index, [p - 1 for p in e.perm[1:]]).reshape(-1)
        value = L.view(e.value, e.type.with_shape(shape))
        L.entries[node.outputs[0]] = Entry(value, identity(2), columns, (e.type.shape, e.perm))
        return
    source = L.relayout(x, identity(rank))
    L.set(node.outputs[0], L.view(source, e.type.with_shape(shape)), identity(len(shape)))


def lower_reshape(L: Lowering, node: Node) -> None:
    x = node.inputs[0]
    if node.input(1):
        if node.input(1) not in L.g.consts:
            raise node.error("the target shape is not a constant (a dynamic shape tinyir cannot fix)")
        target = [int(d) for d in L.g.consts[node.input(1)].reshape(-1)]
    else:
        target = int_list(node, "shape", [])
    old = L.onnx_shape(x)
    if not node.attr("allowzero", 0):
        target = [old[i] if d == 0 else d for i, d in enumerate(target)]
    if target.count(-1) > 1:
        raise node.error(f"shape {target} has more than one -1")
    if -1 in target:
        known = math.prod(d for d in target if d != -1)
        target[target.index(-1)] = math.prod(old) // known if known else 0
    _reshaped(L, node, x, tuple(target))


def lower_flatten(L: Lowering, node: Node) -> None:
    x = node.inputs[0]
    shape = L.onnx_shape(x)
    axis = int(node.attr("axis", 1)) % (len(shape) + 1) if shape else 0
    _reshaped(L, node, x, (math.prod(shape[:axis]), math.prod(shape[axis:])))


def lower_squeeze(L: Lowering, node: Node) -> None:
    x = node.inputs[0]
    shape = L.onnx_shape(x)
    axes = node.attr("axes")
    if axes is None and node.input(1):
        axes = [int(a) for a in L.g.consts[node.input(1)].reshape(-1)]
    if node.op == "Squeeze":
        drop = {a % len(shape) for a in axes} if axes else {i for i, d in enumerate(shape) if d == 1}
        new = tuple(d for i, d in enumerate(shape) if i not in drop)
    else:
        rank = len(shape) + len(axes)
        add = {a % rank for a in axes}
        rest = iter(shape)
        new = tuple(1 if i in add else next(rest) for i in range(rank))
    _reshaped(L, node, x, new)


def lower_transpose(L: Lowering, node: Node) -> None:
    """A Transpose only relabels the layout: no data moves (see layout.py)."""
    e = L.entry(node.inputs[0], node)
    rank = len(e.perm)
    perm = [int(p) % rank for p in node.attr("perm", list(range(rank - 1, -1, -1)))]
    L.set(node.outputs[0], e.value, tuple(perm.index(p) for p in e.perm))


def lower_pad(L: Lowering, node: Node) -> None:
    x = node.inputs[0]
    e = L.entry(x, node)
    rank = len(e.perm)
    if node.attr("mode", "constant") != "constant":
        raise node.error(f"pad mode '{node.attr('mode')}' is not supported (only 'constant')")
    if node.input(3) and node.input(3) in L.g.consts and node.input(1) in L.g.consts:
        value = float(L.g.consts[node.input(2)].reshape(-1)[0]) if node.input(2) else 0.0
        given = [int(p) for p in L.g.consts[node.input(1)].reshape(-1)]
        axes = [int(a) % rank for a in L.g.consts[node.input(3)].reshape(-1)]
        pads = [0] * (2 * rank)
        for i, a in enumerate(axes):
            pads[a], pads[a + rank] = given[i], given[i + len(axes)]
    else:
        amounts = pad_amounts(node, L.g)
        if amounts is None:
            raise node.error("the pads and the pad value must be constants")
        pads, value = amounts
    if len(pads) != 2 * rank or min(pads) < 0:
        raise node.error(f"pads {pads} do not fit rank {rank} (negative pads are not supported)")
    if not any(pads):
        L.set(node.outputs[0], e.value, e.perm)
        return
    paddings = [v for p in e.perm for v in (pads[p], pads[p + rank])]
    shape = [d + pads[p] + pads[p + rank] for d, p in zip(e.type.shape, e.perm)]
    if e.is_int8:
        q = e.type.quant
        if x in L.q.integer:  # Pad on integer data: the value is an integer of that type
            fill = int(value) - (128 if L.q.integer[x] == np.uint8 else 0)
        else:
            fill = int(np.clip(np.rint(np.float32(value) / np.float32(q.scale[0])) + q.zp, -128, 127))
        value_attr = IntegerAttr(fill, i64)
        out = L.compute(tiny.PadOp, [e.value], node.outputs[0], shape, I8, q,
                        paddings=tiny.i64_array(paddings), value=value_attr)
    else:
        if not value.is_integer():
            raise node.error(f"a float pad value {value} (tinyir's pad values are integers)")
        out = L.compute(tiny.PadOp, [L.as_float(x, node, e.perm)], node.outputs[0], shape, F32, None,
                        paddings=tiny.i64_array(paddings), value=IntegerAttr(int(value), i64))
    L.set(node.outputs[0], out, e.perm)


def lower_concat(L: Lowering, node: Node, names: list[str] | None = None, out_q: QParams | None = None) -> None:
    names = [n for n in (names or node.inputs) if n]
    computed = [n for n in names if not L.is_const(n)]
    if not computed:
        raise node.error("all inputs are constants")
    perm = L.entries[computed[0]].perm
    rank = len(perm)
    axis = int(node.attr("axis", 1)) % rank
    ir_axis = perm.index(axis)
    out = node.outputs[0]
    if out_q is None and all(L.entries[n].is_int8 for n in computed) and out in L.q.act:
        out_q = L.q.act[out]
    ins = []
    for n in names:
        if out_q is not None:
            v = L.as_int8(n, node, perm, rank, out_q)
            if tiny.buffer_type(v).quant != out_q:  # TFLite's CONCATENATION copies bytes: one quantization
                v = L.convert(v, I8, out_q, n + "/requantized")
        else:
            v = L.as_float(n, node, perm, rank)
        ins.append(v)
    shape = list(tiny.buffer_type(ins[0]).shape)
    shape[ir_axis] = sum(tiny.buffer_type(v).shape[ir_axis] for v in ins)
    value = L.compute(tiny.ConcatOp, ins, out, shape, I8 if out_q is not None else F32, out_q,
                      axis=IntegerAttr(ir_axis, i64))
    L.set(out, value, perm)


def lower_qlinear_concat(L: Lowering, node: Node) -> None:
    names = []
    for i in range(2, len(node.inputs), 3):
        name = node.inputs[i]
        if name in L.g.consts:
            q = node_qparams(node, L.g, i + 1, i + 2, data_dtype=L.g.consts[name].dtype)
            name = quantized_const(L, node, name, q)
        names.append(name)
    lower_concat(L, node, names, L.q.act[node.outputs[0]])


def lower_quantize(L: Lowering, node: Node) -> None:
    x, out = node.inputs[0], node.outputs[0]
    if out in L.q.qconsts:
        return  # a quantized constant: read by the ops that use it
    e = L.entry(x, node, columns_ok=True)
    q = L.q.act[out]
    if e.type.dtype == np.float32:
        L.entries[out] = e.moved(L.convert(e.value, I8, q, out))
    else:
        L.set(out, e.value, e)  # the same quantization: nothing to do; else requantize


def lower_dequantize(L: Lowering, node: Node) -> None:
    x, out = node.inputs[0], node.outputs[0]
    if out in L.q.qconsts:
        return
    e = L.entry(x, node, columns_ok=True)
    q = L.q.act[out]
    value = e.value
    if e.type.quant != q:  # read with other parameters: the same bytes, reinterpreted
        value = L.view(value, tiny.BufferType(e.type.shape, I8, q))
    L.entries[out] = e.moved(value)
