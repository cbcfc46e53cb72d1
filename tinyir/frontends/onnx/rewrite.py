"""Graph rewrites that do not depend on quantization, run before lowering:
Identity/Dropout removed; BatchNormalization folded into the Conv before it
(or made a 1x1 depthwise Conv); a Pad of zeros joined to the next Conv's
padding; a bias Add fused into the MatMul or Conv before it; Relu/Clip fused
into the op that produces their input (tiny's `clamp`)."""

from __future__ import annotations

import math

import numpy as np

from tinyir.frontends.onnx.graph import Graph, Node, activation_bounds, is_constant_like, pad_amounts

# Ops that can clamp their own result (tiny's `clamp` property).
_CLAMPING = {"Conv", "Gemm", "MatMul", "Add", "Mul", "Sub"}


def rewrite(graph: Graph) -> None:
    _drop_identities(graph)
    _fold_batch_norms(graph)
    _fuse_pads(graph)
    _fuse_bias(graph)
    _fuse_activations(graph)


def _drop_identities(graph: Graph) -> None:
    for node in list(graph.nodes):
        if node.op in ("Identity", "Dropout") and len([o for o in node.outputs if o]) == 1:
            if node.op == "Dropout" and len(node.outputs) > 1 and node.outputs[1] and graph.consumers(node.outputs[1]):
                continue
            source, out = node.inputs[0], node.outputs[0]
            graph.remove(node)
            graph.rename(out, source)


def constant_value(name: str, graph: Graph) -> np.ndarray | None:
    """The value of a constant, or of a Q/DQ chain on one (evaluated), else None."""
    if name in graph.consts:
        return graph.consts[name]
    p = graph.producer(name)
    if p is None or p.op not in ("DequantizeLinear", "QuantizeLinear") or not is_constant_like(p.inputs[0], graph):
        return None
    x = np.asarray(constant_value(p.inputs[0], graph))
    scale = graph.consts[p.inputs[1]].astype(np.float32)
    zp = graph.consts[p.input(2)] if p.input(2) else np.zeros((), np.uint8)
    shape = [1] * x.ndim
    if scale.size > 1:
        shape[int(p.attr("axis", 1)) % x.ndim] = -1
    scale, zp_values = scale.reshape(shape), zp.astype(np.int64).reshape(shape if zp.size > 1 else ())
    if p.op == "DequantizeLinear":
        return ((x.astype(np.int64) - zp_values).astype(np.float32) * scale).astype(np.float32)
    info = np.iinfo(zp.dtype)
    return np.clip(np.rint(x.astype(np.float32) / scale) + zp_values, info.min, info.max).astype(zp.dtype)


def _fold_batch_norms(graph: Graph) -> None:
    """BatchNormalization (inference, constant statistics): folded into the
    Conv before it; else a 1x1 depthwise Conv (4-D input: one int8 op), or a
    per-channel Mul and Add."""
    for bn in list(graph.nodes):
        if bn.op != "BatchNormalization":
            continue
        params = [constant_value(n, graph) for n in bn.inputs[1:5]]
        if any(v is None for v in params):
            raise bn.error("the scale, bias, mean and variance must be constants")
        if len([o for o in bn.outputs if o]) != 1 or bn.attr("training_mode", 0):
            raise bn.error("only inference mode (one output) is supported")
        gamma, beta, mean, var = (v.astype(np.float64) for v in params)
        scale = gamma / np.sqrt(var + float(bn.attr("epsilon", 1e-5)))
        shift = beta - mean * scale
        conv = graph.producer(bn.inputs[0])
        name = bn.outputs[0]
        if (conv is not None and conv.op == "Conv" and graph.only_consumer(conv.outputs[0]) is bn
                and all(n in graph.consts for n in conv.inputs[1:] if n)):
            w = graph.consts[conv.inputs[1]].astype(np.float64)
            b = graph.consts[conv.input(2)].astype(np.float64) if conv.input(2) else np.zeros(w.shape[0])
            graph.consts[name + "/folded_weights"] = (w * scale.reshape(-1, 1, 1, 1)).astype(np.float32)
            graph.consts[name + "/folded_bias"] = (b * scale + shift).astype(np.float32)
            conv.inputs = [conv.inputs[0], name + "/folded_weights", name + "/folded_bias"]
            conv.outputs = [name]
            graph.remove(bn)
            continue
        channels = scale.size
        graph.consts[name + "/scale"] = scale.astype(np.float32).reshape(channels, 1, 1, 1)
        graph.consts[name + "/shift"] = shift.astype(np.float32)
        at = graph.nodes.index(bn)
        graph.nodes[at:at + 1] = [Node("Conv", [bn.inputs[0], name + "/scale", name + "/shift"], [name],
                                       {"group": channels, "kernel_shape": [1, 1], "_batch_norm": True},
                                       bn.name, "", bn.index)]
        graph.changed()


def _fuse_pads(graph: Graph) -> None:
    """Pad (zeros, H and W only) -> Conv: the convolution's own padding."""
    for pad in list(graph.nodes):
        conv = graph.only_consumer(pad.outputs[0]) if pad.op == "Pad" else None
        if conv is None or conv.op != "Conv" or conv.inputs[0] != pad.outputs[0]:
            continue
        amounts = pad_amounts(pad, graph)
        if amounts is None or len(amounts[0]) != 8 or amounts[1] != 0.0:
            continue
        pads = amounts[0]
        if min(pads) < 0 or any(pads[i] for i in (0, 1, 4, 5)) or conv.attr("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
            continue
        top, left, bottom, right = conv.attr("pads", [0, 0, 0, 0]) if conv.attr("auto_pad", "NOTSET") == "NOTSET" else [0] * 4
        conv.attrs["pads"] = [top + pads[2], left + pads[3], bottom + pads[6], right + pads[7]]
        conv.attrs["auto_pad"] = "NOTSET"
        conv.inputs[0] = pad.inputs[0]
        graph.remove(pad)


def _fuse_bias(graph: Graph) -> None:
    """MatMul + Add(const [N]) -> MatMul with a third (bias) input, as Gemm
    has; Conv (no bias) + Add(const [C, 1, 1]) -> Conv with that bias."""
    for node in list(graph.nodes):
        if node.op not in ("MatMul", "Conv") or len(node.inputs) > 2 + (node.op == "Conv"):
            continue
        if not is_constant_like(node.inputs[1], graph):
            continue
        add = graph.only_consumer(node.outputs[0])
        if add is None or add.op != "Add":
            continue
        other = add.inputs[1] if add.inputs[0] == node.outputs[0] else add.inputs[0]
        if other == node.outputs[0] or not is_constant_like(other, graph):
            continue
        shape = _const_shape(other, graph)
        if node.op == "MatMul":
            ok = len(shape) <= 2 and math.prod(shape) == shape[-1] if shape else False
        else:
            ok = len(node.inputs) == 2 and other in graph.consts and len(shape) in (3, 4) and \
                math.prod(shape) == shape[-3] and shape[-2:] == (1, 1)
            if ok:
                graph.consts[other + "/bias"] = graph.consts[other].reshape(-1)
                other = other + "/bias"
        if not ok:
            continue
        node.inputs = node.inputs[:2] + [other]
        node.outputs = [add.outputs[0]]
        graph.remove(add)


def _const_shape(name: str, graph: Graph) -> tuple[int, ...]:
    while name not in graph.consts:
        name = graph.producer(name).inputs[0]
    return tuple(graph.consts[name].shape)


def _fuse_activations(graph: Graph) -> None:
    for node in list(graph.nodes):
        if node.op not in _CLAMPING or node not in graph.nodes:
            continue
        while True:
            act = graph.only_consumer(node.outputs[0])
            bounds = activation_bounds(act, graph) if act is not None else None
            if bounds is None:
                break
            lo, hi = node.attrs.get("_activation", (-math.inf, math.inf))
            node.attrs["_activation"] = (max(lo, bounds[0]), min(hi, max(bounds[1], bounds[0])))
            node.outputs = [act.outputs[0]]
            graph.remove(act)
