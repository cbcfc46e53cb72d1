"""Elementwise ops and activations: Add, Sub, Mul, Div (and QLinearAdd,
QLinearMul), Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Softmax."""

from __future__ import annotations

import math

import numpy as np
from xdsl.dialects.builtin import FloatAttr, f32

from tinyir.dialects import tiny
from tinyir.frontends.onnx.graph import Node, activation_bounds
from tinyir.frontends.onnx.layout import F32, I8, Lowering, float_clamp, identity
from tinyir.frontends.onnx.ops.common import clamp_of, float_value, quantized_const
from tinyir.frontends.onnx.quant import UNIT_INTERVAL, node_qparams
from tinyir.numerics.quantization import QParams


def _broadcast_layout(L: Lowering, node: Node, names: list[str]) -> tuple[tuple[int, ...], int]:
    """The layout of an elementwise result: that of its highest-rank computed input."""
    rank = max(len(L.onnx_shape(n)) for n in names)
    computed = [n for n in names if not L.is_const(n) and len(L.entries[n].perm) == rank]
    return (L.entries[computed[0]].perm if computed else identity(rank)), rank


def _binary(L: Lowering, node: Node, op_class, a: str, b: str, out_q: QParams | None) -> None:
    """An int8 op (out_q given; float constants are quantized) or an f32 one."""
    perm, rank = _broadcast_layout(L, node, [a, b])
    try:
        shape = np.broadcast_shapes(L.onnx_shape(a), L.onnx_shape(b))
    except ValueError:
        raise node.error(f"inputs of shapes {list(L.onnx_shape(a))} and {list(L.onnx_shape(b))} do not broadcast") from None
    out = node.outputs[0]
    ir_shape = [shape[p] for p in perm]
    if out_q is not None:
        ins = [L.as_int8(a, node, perm, rank), L.as_int8(b, node, perm, rank)]
        value = L.compute(op_class, ins, out, ir_shape, I8, out_q, clamp=clamp_of(node, out_q))
    else:
        ins = [L.as_float(a, node, perm, rank), L.as_float(b, node, perm, rank)]
        value = L.compute(op_class, ins, out, ir_shape, F32, None, clamp=float_clamp(node))
    L.set(out, value, perm)


def _negated(L: Lowering, name: str) -> str:
    neg = name + "/negated"
    if neg not in L.g.consts:
        L.g.consts[neg] = -L.float_const(name)
    return neg


def lower_elementwise(L: Lowering, node: Node) -> None:
    a, b = node.inputs[0], node.inputs[1]
    op_class = tiny.MulOp if node.op in ("Mul", "Div") else tiny.AddOp
    if node.op in ("Sub", "Div"):
        if not L.is_const(b):
            raise node.error(f"{node.op} is supported with a constant right-hand side only")
        if node.op == "Sub":
            b = _negated(L, b)
        else:
            recip = b + "/reciprocal"
            L.g.consts[recip] = (np.float32(1) / L.float_const(b)).astype(np.float32)
            b = recip
    if L.is_const(a) and L.is_const(b):
        raise node.error("both inputs are constants")
    out_q = L.q.act[node.outputs[0]] if L.int8_ready(node, [a, b]) else None
    _binary(L, node, op_class, a, b, out_q)


def lower_qlinear_binary(L: Lowering, node: Node) -> None:
    names = []
    for at in (0, 3):
        name = node.input(at)
        if name in L.g.consts:  # an integer constant, with this node's quantization for it
            q = node_qparams(node, L.g, at + 1, at + 2, data_dtype=L.g.consts[name].dtype)
            name = quantized_const(L, node, name, q)
        names.append(name)
    op_class = tiny.AddOp if node.op == "QLinearAdd" else tiny.MulOp
    _binary(L, node, op_class, names[0], names[1], L.q.act[node.outputs[0]])


def _unary(L: Lowering, node: Node, op_class, out_q: QParams | None, **props) -> None:
    x = node.inputs[0]
    e = L.entry(x, node)
    out = node.outputs[0]
    if out_q is not None:
        value = L.compute(op_class, [L.as_int8(x, node, e.perm)], out, e.type.shape, I8, out_q, **props)
    else:
        value = L.compute(op_class, [L.as_float(x, node, e.perm)], out, e.type.shape, F32, None, **props)
    L.set(out, value, e.perm)


def lower_clip(L: Lowering, node: Node) -> None:
    bounds = activation_bounds(node, L.g)
    if bounds is None:
        raise node.error("the bounds must be constants")
    x = node.inputs[0]
    if L.int8_ready(node, [x]):
        q = L.q.act[node.outputs[0]]
        _unary(L, node, tiny.ClampOp, q, clamp=clamp_of(node, q, bounds))
    else:
        _unary(L, node, tiny.ClampOp, None, clamp=float_clamp(node, bounds))


def lower_sigmoid(L: Lowering, node: Node) -> None:
    """int8: TFLite's LOGISTIC, written at scale 1/256 (then requantized if the model says so)."""
    int8 = node.op == "QLinearSigmoid" or L.int8_ready(node, node.inputs[:1])
    _unary(L, node, tiny.LogisticOp, UNIT_INTERVAL if int8 else None)


def lower_hard_sigmoid(L: Lowering, node: Node) -> None:
    """max(0, min(1, alpha x + beta)) (onnxruntime writes HardSwish as
    x * HardSigmoid(x)): int8, x read with scale alpha * s_x (a view), plus
    beta, clamped to [0, 1], one add; float, a mul and a clamped add."""
    x, out = node.inputs[0], node.outputs[0]
    alpha, beta = float(node.attr("alpha", 0.2)), float(node.attr("beta", 0.5))
    e = L.entry(x, node)
    beta_name = out + "/beta"
    L.g.consts[beta_name] = np.array(beta, np.float32)
    if L.int8_ready(node, [x]) and alpha > 0:
        t = e.type
        scaled = L.view(e.value, tiny.BufferType(t.shape, I8, QParams.per_tensor(alpha * t.quant.scale[0], t.quant.zp)))
        out_q = L.q.act[out]
        ins = [scaled, L.as_int8(beta_name, node, e.perm, len(e.perm))]
        value = L.compute(tiny.AddOp, ins, out, t.shape, I8, out_q, clamp=clamp_of(node, out_q, (0.0, 1.0)))
    else:
        alpha_name = out + "/alpha"
        L.g.consts[alpha_name] = np.array(alpha, np.float32)
        rank = len(e.perm)
        scaled = L.compute(tiny.MulOp, [L.as_float(x, node, e.perm), L.as_float(alpha_name, node, e.perm, rank)],
                           out + "/scaled", e.type.shape, F32, None, clamp=float_clamp(node, (-math.inf, math.inf)))
        value = L.compute(tiny.AddOp, [scaled, L.as_float(beta_name, node, e.perm, rank)], out, e.type.shape, F32,
                          None, clamp=float_clamp(node, (0.0, 1.0)))
    L.set(out, value, e.perm)


def lower_hard_swish(L: Lowering, node: Node) -> None:
    _unary(L, node, tiny.HardSwishOp, L.q.act[node.outputs[0]] if L.int8_ready(node, node.inputs[:1]) else None)


def lower_softmax(L: Lowering, node: Node) -> None:
    x = node.inputs[0]
    e = L.entry(x, node)
    rank = len(e.perm)
    semantics = int(node.attr("opset", L.g.opset))  # QLinearSoftmax says which Softmax it is
    axis = int(node.attr("axis", 1 if semantics < 13 else -1)) % rank
    out = node.outputs[0]
    out_q = UNIT_INTERVAL if node.op == "QLinearSoftmax" or L.int8_ready(node, [x]) else None
    element = I8 if out_q is not None else F32
    beta = FloatAttr(1.0, f32)
    if semantics < 13 and axis != rank - 1:
        # Before opset 13: softmax over the flattened trailing dims [axis:].
        shape = e.onnx_shape
        flat_t = e.type.with_shape((math.prod(shape[:axis]), math.prod(shape[axis:])))
        source = L.view(L.relayout(x, identity(rank)), flat_t)
        if out_q is None:
            source = float_value(L, source, x)
        flat = L.compute(tiny.SoftmaxOp, [source], out + "/flat", flat_t.shape, element, out_q, beta=beta)
        value = L.view(flat, tiny.buffer_type(flat).with_shape(shape))
        L.set(out, value, identity(rank))
        return
    perm = e.perm if e.perm[-1] == axis else tuple(p for p in e.perm if p != axis) + (axis,)
    source = L.as_int8(x, node, perm) if out_q is not None else L.as_float(x, node, perm)
    shape = tiny.buffer_type(source).shape
    L.set(out, L.compute(tiny.SoftmaxOp, [source], out, shape, element, out_q, beta=beta), perm)
