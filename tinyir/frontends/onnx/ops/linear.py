"""Conv, Gemm, MatMul and their QOperator forms: convolutions and fully
connected layers, with their weights permuted to tiny's layouts."""

from __future__ import annotations

import math

import numpy as np

from tinyir.dialects import tiny
from tinyir.frontends.onnx.graph import Node
from tinyir.frontends.onnx.layout import F32, I8, I32, NHWC, Lowering, float_clamp, identity
from tinyir.frontends.onnx.ops.common import clamp_of, float_value, int_list, window_of
from tinyir.frontends.onnx.ops.elementwise import lower_elementwise
from tinyir.frontends.onnx.quant import QConst, node_qparams, to_int8
from tinyir.numerics.quantization import QParams


def _normalized_weights(node: Node, qc: QConst, axis: int) -> tuple[np.ndarray, QParams]:
    """int8 weights with zero points 0 (tiny's kernels ignore filter zero
    points, as TFLite's do): w - zp, which must fit int8."""
    data, q = qc.data, qc.q
    if data.dtype != np.int8:
        raise node.error(f"weights of type {data.dtype}: int8 or uint8 expected")
    if q.is_per_channel and q.axis != axis:
        raise node.error(f"weights quantized per channel on axis {q.axis}: tinyir needs axis {axis}")
    if any(q.zero_point):
        shape = [1] * data.ndim
        if q.is_per_channel:
            shape[axis] = -1
        shifted = data.astype(np.int64) - np.asarray(q.zero_point, np.int64).reshape(shape)
        if shifted.min() < -128 or shifted.max() > 127:
            raise node.error("weights with a zero point whose (weight - zero point) does not fit int8")
        data = shifted.astype(np.int8)
        q = QParams(q.scale, (0,) * len(q.scale), q.axis)
    return data, q


def _weights(L: Lowering, node: Node, name: str, axis: int) -> tuple[np.ndarray, QParams]:
    """Weights as int8 + quantization; float weights are quantized here
    (symmetric, per channel along `axis`)."""
    if name in L.q.qconsts:
        return _normalized_weights(node, L.q.qconsts[name], axis)
    if name not in L.g.consts:
        raise node.error(f"weights '{name}' must be a constant")
    w = np.asarray(L.g.consts[name], np.float32)
    other = tuple(i for i in range(w.ndim) if i != axis)
    scale = np.abs(w).max(axis=other) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    data = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return data, QParams(tuple(scale.tolist()), (0,) * len(scale), axis)


def _int_bias(L: Lowering, node: Node, name: str, x_q: QParams, w_q: QParams, channels: int) -> np.ndarray:
    """An int32 bias at scale input_scale * filter_scale (what TFLite's kernels assume)."""
    expected = np.asarray(w_q.scale, np.float64) * x_q.scale[0] * np.ones(channels)
    qc = L.q.qconsts.get(name)
    if qc is not None and qc.data.dtype == np.int32 and not any(qc.q.zero_point):
        scale = np.broadcast_to(np.asarray(qc.q.scale, np.float64), (channels,))
        if np.allclose(scale, expected, rtol=1e-3, atol=0):
            return np.broadcast_to(qc.data.reshape(-1), (channels,)).astype(np.int32)
    real = np.broadcast_to(L.float_const(name).astype(np.float64).reshape(-1), (channels,))
    return np.clip(np.rint(real / expected), -(2**31), 2**31 - 1).astype(np.int32)


def _conv(L: Lowering, node: Node, x: str, w: np.ndarray, w_q: QParams | None, bias: np.ndarray | None,
          out_q: QParams | None, names: tuple[str, str] = ("", "")) -> None:
    """Conv (ONNX filter [O, C/group, KH, KW]) as conv_2d, depthwise_conv_2d,
    or (other groups) a conv_2d with a block-diagonal filter."""
    shape = L.onnx_shape(x)
    if len(shape) != 4 or w.ndim != 4:
        raise node.error(f"only 2-D convolutions are supported (input {list(shape)}, filter {list(w.shape)})")
    n, c, h, wd = shape
    o, ig, kh, kw = w.shape
    group = int(node.attr("group", 1))
    if ig * group != c or o % group:
        raise node.error(f"filter {list(w.shape)} with group {group} does not fit {c} input channels")
    dilation = int_list(node, "dilations", [1, 1], 2)
    stride, pad, (oh, ow) = window_of(node, (h, wd), (kh, kw), dilation)
    depthwise = group == c and ig == 1 and group > 1
    axis = 0
    if depthwise:
        filt = w.reshape(o, kh, kw).transpose(1, 2, 0)[None]
        axis = 3
    elif group == 1:
        filt = w.transpose(0, 2, 3, 1)
    else:  # grouped: one dense filter, zero outside each group (exact; group x the MACs)
        filt = np.zeros((o, kh, kw, c), w.dtype)
        per = o // group
        for g in range(group):
            filt[g * per:(g + 1) * per, :, :, g * ig:(g + 1) * ig] = w[g * per:(g + 1) * per].transpose(0, 2, 3, 1)
    op_class = tiny.DepthwiseConv2DOp if depthwise else tiny.Conv2DOp
    props = dict(stride=tiny.i64_array(stride), dilation=tiny.i64_array(dilation), pad=tiny.i64_array(pad))
    out = node.outputs[0]
    filter_name, bias_name = names[0] or out + "/filter", names[1] or out + "/bias"
    if out_q is not None:
        x_value = L.as_int8(x, node, NHWC)
        fq = w_q if not w_q.is_per_channel else QParams(w_q.scale, w_q.zero_point, axis)
        ins = [x_value, L.const(filt, I8, fq, filter_name)]
        if bias is not None:
            ins.append(L.const(bias, I32, None, bias_name))
        value = L.compute(op_class, ins, out, (n, oh, ow, o), I8, out_q, clamp=clamp_of(node, out_q), **props)
    else:
        ins = [L.as_float(x, node, NHWC), L.const(filt, F32, None, filter_name)]
        if bias is not None:
            ins.append(L.const(bias, F32, None, bias_name))
        value = L.compute(op_class, ins, out, (n, oh, ow, o), F32, None, clamp=float_clamp(node), **props)
    L.set(out, value, NHWC)


def lower_conv(L: Lowering, node: Node) -> None:
    x, w, b = node.input(0), node.input(1), node.input(2)
    if node.attrs.get("_batch_norm") and len(L.onnx_shape(x)) != 4:  # not an image: Mul + Add
        scaled = node.outputs[0] + "/scaled"
        shape = (-1,) + (1,) * (len(L.onnx_shape(x)) - 2)
        L.g.consts[w + "/flat"] = L.g.consts[w].reshape(shape)
        L.g.consts[b + "/flat"] = L.g.consts[b].reshape(shape)
        mul = Node("Mul", [x, w + "/flat"], [scaled], {}, node.name, "", node.index)
        lower_elementwise(L, mul)
        lower_elementwise(L, Node("Add", [scaled, b + "/flat"], node.outputs, {}, node.name, "", node.index))
        return
    if not L.is_const(w):
        raise node.error("the filter must be a constant")
    if L.int8_ready(node, [x]):
        x_q = L.entries[x].type.quant
        data, w_q = _weights(L, node, w, 0)
        bias = _int_bias(L, node, b, x_q, w_q, data.shape[0]) if b else None
        _conv(L, node, x, data, w_q, bias, L.q.act[node.outputs[0]], (w, b))
    else:
        _conv(L, node, x, L.float_const(w), None, L.float_const(b).reshape(-1) if b else None, None, (w, b))


def lower_qlinear_conv(L: Lowering, node: Node) -> None:
    x, w = node.input(0), node.input(3)
    if w not in L.g.consts:
        raise node.error("the filter must be a constant")
    w_data = to_int8(L.g.consts[w])
    w_q = node_qparams(node, L.g, 4, 5, rank=4, data_dtype=L.g.consts[w].dtype)
    if w_q.is_per_channel:
        w_q = QParams(w_q.scale, w_q.zero_point, 0)
    data, w_q = _normalized_weights(node, QConst(w_data, w_q), 0)
    bias = None
    if node.input(8):
        bias = np.broadcast_to(L.g.consts[node.input(8)].astype(np.int32).reshape(-1), (data.shape[0],))
    _conv(L, node, x, data, w_q, bias, L.q.act[node.outputs[0]], (w, node.input(8)))


def _fully_connected(L: Lowering, node: Node, a: str, filt: np.ndarray, w_q: QParams | None,
                     bias: np.ndarray | None, out_q: QParams | None) -> None:
    """Rows of `a` ([..., K], ONNX order) times filter [N, K]."""
    shape = L.onnx_shape(a)
    n, k = filt.shape
    if not shape or shape[-1] != k:
        raise node.error(f"input {list(shape)} does not end in the filter's depth {k}")
    e = L.entry(a, node, columns_ok=True)
    if e.columns is not None:  # a flattened NHWC image: the weights follow its order
        filt = np.ascontiguousarray(filt[:, e.columns])
    out = node.outputs[0]
    out_shape = shape[:-1] + (n,)
    rank = len(shape)
    if out_q is not None:
        x = e.value if e.columns is not None else L.as_int8(a, node, identity(rank))
        ins = [x, L.const(filt, I8, w_q, out + "/filter")]
        if bias is not None:
            ins.append(L.const(bias, I32, None, out + "/bias"))
        value = L.compute(tiny.FullyConnectedOp, ins, out, out_shape, I8, out_q, clamp=clamp_of(node, out_q))
    else:
        x = float_value(L, e.value, a) if e.columns is not None else L.as_float(a, node, identity(rank))
        ins = [x, L.const(filt, F32, None, out + "/filter")]
        if bias is not None:
            ins.append(L.const(bias, F32, None, out + "/bias"))
        value = L.compute(tiny.FullyConnectedOp, ins, out, out_shape, F32, None, clamp=float_clamp(node))
    L.set(out, value, identity(rank))


def _matmul_like(L: Lowering, node: Node, a: str, b: str, c: str, *, trans_b: bool, alpha: float, beta: float):
    if not L.is_const(b):
        raise node.error("only a constant right-hand side is supported (a fully connected layer)")
    k_axis = 1 if trans_b else 0
    if L.int8_ready(node, [a]):
        data, w_q = _weights(L, node, b, 1 - k_axis)
        filt = data if trans_b else data.T
        w_q = QParams(tuple(s * alpha for s in w_q.scale), w_q.zero_point, 0 if w_q.is_per_channel else None)
        x_q = L.entries[a].type.quant
        bias = None
        if c:
            bias = _int_bias(L, node, c, x_q, w_q, filt.shape[0])
            if beta != 1.0:
                bias = np.rint(bias * beta).astype(np.int32)
        _fully_connected(L, node, a, np.ascontiguousarray(filt), w_q, bias, L.q.act[node.outputs[0]])
        return
    w = L.float_const(b)
    filt = (w if trans_b else w.T) * np.float32(alpha)
    bias = None
    if c:
        bias = np.broadcast_to(L.float_const(c).reshape(-1), (filt.shape[0],)) * np.float32(beta)
    _fully_connected(L, node, a, np.ascontiguousarray(filt, np.float32), None, bias, None)


def lower_matmul(L: Lowering, node: Node) -> None:
    if L.is_const(node.inputs[0]):
        raise node.error("only a constant right-hand side is supported (a fully connected layer)")
    if len(L.onnx_shape(node.inputs[1])) != 2:
        raise node.error("the right-hand side must be a 2-D constant")
    _matmul_like(L, node, node.inputs[0], node.inputs[1], node.input(2), trans_b=False, alpha=1.0, beta=1.0)


def lower_gemm(L: Lowering, node: Node) -> None:
    a = node.inputs[0]
    if node.attr("transA", 0):
        shape = L.onnx_shape(a)
        if shape[1] != 1:
            raise node.error("transA = 1 is supported only for a single row")
    alpha, beta = float(node.attr("alpha", 1.0)), float(node.attr("beta", 1.0))
    if not (math.isfinite(alpha) and math.isfinite(beta)):
        raise node.error(f"alpha {alpha} and beta {beta} must be finite")
    _matmul_like(L, node, a, node.inputs[1], node.input(2), trans_b=bool(node.attr("transB", 0)), alpha=alpha, beta=beta)


def lower_qlinear_matmul(L: Lowering, node: Node) -> None:
    a, b = node.input(0), node.input(3)
    if b not in L.g.consts or L.g.consts[b].ndim != 2:
        raise node.error("only a 2-D constant right-hand side is supported (a fully connected layer)")
    b_q = node_qparams(node, L.g, 4, 5, rank=2, data_dtype=L.g.consts[b].dtype)
    if b_q.is_per_channel:
        b_q = QParams(b_q.scale, b_q.zero_point, 1)
    data, w_q = _normalized_weights(node, QConst(to_int8(L.g.consts[b]), b_q), 1)
    if w_q.is_per_channel:
        w_q = QParams(w_q.scale, w_q.zero_point, 0)
    _fully_connected(L, node, a, np.ascontiguousarray(data.T), w_q, None, L.q.act[node.outputs[0]])


def lower_qgemm(L: Lowering, node: Node) -> None:
    """com.microsoft QGemm (onnxruntime's QOperator Gemm): int8 A x constant B + int32 C."""
    a, b, c = node.input(0), node.input(3), node.input(6)
    if not node.input(7):
        raise node.error("a float output (no y_scale) is not supported")
    if node.attr("alpha", 1.0) != 1.0 or node.attr("transA", 0):
        raise node.error("alpha != 1 and transA = 1 are not supported")
    if b not in L.g.consts or L.g.consts[b].ndim != 2:
        raise node.error("only a 2-D constant B is supported (a fully connected layer)")
    trans_b = bool(node.attr("transB", 0))
    out_axis = 0 if trans_b else 1
    b_q = node_qparams(node, L.g, 4, 5, rank=2, data_dtype=L.g.consts[b].dtype)
    if b_q.is_per_channel:
        b_q = QParams(b_q.scale, b_q.zero_point, out_axis)
    data, w_q = _normalized_weights(node, QConst(to_int8(L.g.consts[b]), b_q), out_axis)
    if w_q.is_per_channel:
        w_q = QParams(w_q.scale, w_q.zero_point, 0)
    filt = np.ascontiguousarray(data if trans_b else data.T)
    bias = None
    if c:
        bias = np.broadcast_to(L.g.consts[c].astype(np.int32).reshape(-1), (filt.shape[0],))
    _fully_connected(L, node, a, filt, w_q, bias, L.q.act[node.outputs[0]])
