"""Quantization folding: which ONNX tensors become int8 buffers, and with what
scale and zero point.

ONNX writes quantized models two ways. QDQ: float operators between
QuantizeLinear / DequantizeLinear pairs (Q gives an int8 tensor, DQ reads it
back as float). QOperator: QLinearConv, QLinearMatMul, ... on int8 tensors.
Both fold into the same int8 `tiny` ops the TFLite frontend makes:

* A DequantizeLinear of an activation costs nothing: its float output *is*
  the int8 tensor read with the DQ's scale and zero point (`act`).
* The float output of an operator gets the quantization of the
  QuantizeLinear that reads it (looking through Reshape-like ops), so the
  operator is lowered as one int8 op and the Q vanishes; a Relu or Clip in
  between is the op's fused clamp (graph.rewrite).
* Weights and biases behind a DequantizeLinear (or a Q/DQ pair on a float
  constant) stay integer data with their per-channel scales (`qconsts`).
* Float tensors inside a quantized model that no Q quantizes (an Add that
  onnxruntime left in float, the float tail after the last QLinear op) are
  "islands": they stay int8 with a quantization that holds every value the
  inputs can produce (interval arithmetic), so the whole model stays int8.
* uint8 is int8 shifted by 128: data - 128 and zero point - 128, exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tinyir.errors import TinyIRError
from tinyir.frontends.onnx.graph import Graph, Node, is_constant_like
from tinyir.numerics.quantization import QParams

# Ops that move or select int8 values without arithmetic: on an int8 tensor
# they give an int8 tensor of the same quantization.
MOVEMENT = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Identity", "MaxPool", "Pad", "Concat"}
# Pure reshuffles through which a QuantizeLinear's quantization is looked up.
_RESHAPES = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose"}
# Float ops whose int8 form keeps the input's quantization (TFLite's rule for
# pools, means and resizes; Relu/Clip only cut the range).
SAME_QUANT = MOVEMENT | {"AveragePool", "GlobalAveragePool", "ReduceMean", "GlobalMaxPool", "Relu", "Clip", "Resize",
                         "Upsample"}
# (scale, zero point) TFLite's int8 SOFTMAX and LOGISTIC write.
UNIT_INTERVAL = QParams.per_tensor(1.0 / 256, -128)

QLINEAR_OUTPUT = {  # op: (x inputs as (scale, zero point) positions, output (scale, zp) positions)
    "QLinearConv": ([(0, 1, 2)], (6, 7)),
    "QLinearMatMul": ([(0, 1, 2)], (6, 7)),
    "QGemm": ([(0, 1, 2)], (7, 8)),
    "QLinearAdd": ([(0, 1, 2), (3, 4, 5)], (6, 7)),
    "QLinearMul": ([(0, 1, 2), (3, 4, 5)], (6, 7)),
    "QLinearAveragePool": ([(0, 1, 2)], (3, 4)),
    "QLinearGlobalAveragePool": ([(0, 1, 2)], (3, 4)),
    "QLinearSigmoid": ([(0, 1, 2)], (3, 4)),
    "QLinearLeakyRelu": ([(0, 1, 2)], (3, 4)),
    "QLinearSoftmax": ([(0, 1, 2)], (3, 4)),
}


@dataclass(frozen=True)
class QConst:
    """Integer constant data (int8, uint8 shifted to int8, or int32) and its
    quantization; `q.axis` is an axis of `data`."""

    data: np.ndarray
    q: QParams

    def dequantized(self) -> np.ndarray:
        """(data - zero_point) * scale in float32, as DequantizeLinear computes it."""
        shape = [1] * self.data.ndim
        if self.q.axis is not None:
            shape[self.q.axis] = -1
        scale = np.asarray(self.q.scale, np.float32).reshape(shape)
        zp = np.asarray(self.q.zero_point, np.int64).reshape(shape)
        return ((self.data.astype(np.int64) - zp).astype(np.float32) * scale).astype(np.float32)


def to_int8(data: np.ndarray) -> np.ndarray:
    """uint8 data as int8 (minus 128, exactly); other types unchanged."""
    if data.dtype == np.uint8:
        return (data.astype(np.int16) - 128).astype(np.int8)
    return data


def node_qparams(node: Node, graph: Graph, scale_at: int, zp_at: int, *, rank: int | None = None,
                 data_dtype: np.dtype | None = None) -> QParams:
    """The quantization a node's (scale, zero point) inputs give, uint8 shifted to int8."""
    scale_name, zp_name = node.input(scale_at), node.input(zp_at)
    if scale_name not in graph.consts:
        raise node.error("the scale must be a constant")
    scale = graph.consts[scale_name].astype(np.float64).reshape(-1)
    if zp_name:
        if zp_name not in graph.consts:
            raise node.error("the zero point must be a constant")
        zp = graph.consts[zp_name]
    else:
        zp = np.zeros(1, data_dtype if data_dtype is not None else np.uint8)
    if zp.dtype not in (np.int8, np.uint8, np.int32):
        raise node.error(f"{zp.dtype} quantization is not supported (int8 and uint8 are)")
    if node.attr("block_size", 0):
        raise node.error("blocked quantization is not supported")
    zp = zp.astype(np.int64).reshape(-1) - (128 if zp.dtype == np.uint8 else 0)
    if zp_name and zp.size != scale.size:  # ONNX: the same shape (onnxruntime refuses the model)
        raise node.error(f"{scale.size} scales but {zp.size} zero points")
    if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
        raise node.error(f"scales must be positive and finite, got {scale[:4].tolist()}")
    if scale.size == 1:
        return QParams.per_tensor(float(scale[0]), int(zp[0]))
    axis = int(node.attr("axis", 1))
    if rank is not None:
        axis %= rank
    return QParams(tuple(scale), tuple(int(z) for z in np.broadcast_to(zp, scale.shape)), axis)


def quantize_array(x: np.ndarray, q: QParams, dtype: np.dtype) -> np.ndarray:
    """QuantizeLinear on constant data: round half to even, saturate (int8 out)."""
    shape = [1] * x.ndim
    if q.axis is not None:
        shape[q.axis] = -1
    scale = np.asarray(q.scale, np.float32).reshape(shape)
    zp = np.asarray(q.zero_point, np.int64).reshape(shape)
    v = np.rint(x.astype(np.float32) / scale).astype(np.int64) + zp
    info = np.iinfo(dtype)
    return np.clip(v, info.min, info.max).astype(dtype)


def qparams_for_range(lo: float, hi: float) -> QParams:
    """Asymmetric int8 quantization of [lo, hi] (widened to hold 0)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("unbounded range")
    if hi == lo:
        return QParams.per_tensor(1.0, 0)
    scale = float(np.float32((hi - lo) / 255.0))
    zp = int(np.clip(round(-128 - lo / scale), -128, 127))
    return QParams.per_tensor(scale, zp)


def q_range(q: QParams) -> tuple[float, float]:
    return q.scale[0] * (-128 - q.zp), q.scale[0] * (127 - q.zp)


@dataclass
class Quantization:
    """What quant analysis found: `act` holds the int8 quantization of every
    tensor that lowers to an int8 buffer (int8 tensors, and float tensors
    carried as int8); `qconsts` the quantized constants."""

    act: dict[str, QParams] = field(default_factory=dict)
    qconsts: dict[str, QConst] = field(default_factory=dict)
    integer: dict[str, np.dtype] = field(default_factory=dict)  # int8/uint8 tensors: their ONNX type


def analyze(graph: Graph) -> Quantization:
    result = Quantization()
    a = _Analysis(graph, result)
    for name, _, dtype in graph.inputs:
        if dtype != np.float32:
            result.integer[name] = dtype
            result.act[name] = a.input_quant(name, dtype)
    for node in graph.nodes:
        a.visit(node)
    return result


class _Analysis:
    def __init__(self, graph: Graph, result: Quantization):
        self.graph, self.r = graph, result

    def input_quant(self, name: str, dtype: np.dtype) -> QParams:
        """An int8 graph input's quantization: that of the first DQ (or
        QLinear op) reading it, looking through reshapes and transposes."""
        todo = [name]
        while todo:
            current = todo.pop(0)
            for user in self.graph.consumers(current):
                if user.op == "DequantizeLinear":
                    return node_qparams(user, self.graph, 1, 2, data_dtype=dtype)
                if user.op in QLINEAR_OUTPUT:
                    for x, s, z in QLINEAR_OUTPUT[user.op][0]:
                        if user.input(x) == current:
                            return node_qparams(user, self.graph, s, z)
                if user.op in _RESHAPES | {"Identity"}:
                    todo.append(user.outputs[0])
        raise TinyIRError(f"integer graph input '{name}' has no quantization: no DequantizeLinear reads it")

    def visit(self, node: Node) -> None:
        g, r = self.graph, self.r
        op = node.op
        if op == "QuantizeLinear":
            x = node.inputs[0]
            out = node.outputs[0]
            zp_dtype = _quantize_dtype(node, g)
            if x in g.consts or x in r.qconsts:
                value = g.consts[x] if x in g.consts else r.qconsts[x].dequantized()
                q = node_qparams(node, g, 1, 2, rank=value.ndim, data_dtype=zp_dtype)
                data = to_int8(quantize_array(value, _unshifted(q, zp_dtype), zp_dtype))
                r.qconsts[out] = QConst(data, q)
                return
            r.integer[out] = zp_dtype
            r.act[out] = self.activation_qparams(node, 1, 2, zp_dtype)
        elif op == "DequantizeLinear":
            x, out = node.inputs[0], node.outputs[0]
            if x in g.consts or x in r.qconsts:
                data = to_int8(g.consts[x]) if x in g.consts else r.qconsts[x].data
                r.qconsts[out] = QConst(data, node_qparams(node, g, 1, 2, rank=data.ndim, data_dtype=data.dtype))
                return
            r.act[out] = self.activation_qparams(node, 1, 2, r.integer.get(x))
            r.act.setdefault(x, r.act[out])
        elif op in QLINEAR_OUTPUT and node.input(QLINEAR_OUTPUT[op][1][0]):
            xs, (s, z) = QLINEAR_OUTPUT[op]
            for x, xs_, xz in xs:
                name = node.input(x)
                if name and name not in g.consts and name not in r.act:
                    r.act[name] = node_qparams(node, g, xs_, xz)
            r.integer[node.outputs[0]] = g.consts[node.input(z)].dtype if node.input(z) else np.dtype(np.uint8)
            r.act[node.outputs[0]] = node_qparams(node, g, s, z)
        elif op == "QLinearConcat":
            r.integer[node.outputs[0]] = g.consts[node.input(1)].dtype
            r.act[node.outputs[0]] = node_qparams(node, g, 0, 1)
        elif op in MOVEMENT and node.inputs[0] in r.integer:
            r.integer[node.outputs[0]] = r.integer[node.inputs[0]]
            if node.inputs[0] in r.act:
                r.act[node.outputs[0]] = r.act[node.inputs[0]]
        else:
            for out in node.outputs[:1]:
                q = self.float_target(node, out)
                if q is not None:
                    r.act[out] = q

    def activation_qparams(self, node: Node, s: int, z: int, data_dtype: np.dtype | None = None) -> QParams:
        q = node_qparams(node, self.graph, s, z, data_dtype=data_dtype)
        if q.is_per_channel:
            raise node.error("per-axis quantization of activations is not supported (only of constants)")
        return q

    def quantize_target(self, name: str) -> QParams | None:
        """The quantization a float tensor gets from the QuantizeLinear nodes
        reading it (all the same), through reshapes with one reader."""
        g = self.graph
        users = g.consumers(name)
        if not users or name in g.outputs:
            return None
        if all(u.op == "QuantizeLinear" and u.inputs[0] == name for u in users):
            qs = {self.activation_qparams(u, 1, 2, _quantize_dtype(u, g)) for u in users}
            return qs.pop() if len(qs) == 1 else None
        if len(users) == 1 and users[0].op in _RESHAPES and users[0].inputs[0] == name:
            return self.quantize_target(users[0].outputs[0])
        return None

    def float_target(self, node: Node, out: str) -> QParams | None:
        """The int8 quantization of a float op's output, or None (it stays float)."""
        target = self.quantize_target(out)
        if target is not None:
            return target
        g, act = self.graph, self.r.act
        data = [n for n in node.inputs if n and not is_constant_like(n, g)]
        if node.op in ("Pad", "Clip", "Reshape", "Squeeze", "Unsqueeze"):
            data = data[:1]
        if not data or not all(n in act for n in data):
            return None
        if node.op in SAME_QUANT:
            qs = {act[n] for n in data}
            if len(qs) == 1:
                return qs.pop()
        if node.op in ("Softmax", "Sigmoid"):
            return UNIT_INTERVAL
        if node.op == "HardSigmoid":
            return qparams_for_range(0.0, 1.0)
        bounds = self.interval(node)
        if bounds is None:
            return None
        lo, hi = bounds
        act_lo, act_hi = node.attrs.get("_activation", (-math.inf, math.inf))
        try:
            return qparams_for_range(max(lo, act_lo), min(hi, act_hi))
        except ValueError:
            return None

    def range_of(self, name: str) -> tuple[float, float]:
        g, r = self.graph, self.r
        if name in r.act:
            return q_range(r.act[name])
        value = r.qconsts[name].dequantized() if name in r.qconsts else g.consts[name]
        return float(np.min(value)), float(np.max(value))

    def interval(self, node: Node) -> tuple[float, float] | None:
        ins = [n for n in node.inputs if n]
        if node.op in ("Add", "Sub", "Mul") and len(ins) == 2:
            (a0, a1), (b0, b1) = self.range_of(ins[0]), self.range_of(ins[1])
            if node.op == "Add":
                return a0 + b0, a1 + b1
            if node.op == "Sub":
                return a0 - b1, a1 - b0
            products = [a0 * b0, a0 * b1, a1 * b0, a1 * b1]
            return min(products), max(products)
        if node.op == "Concat":
            ranges = [self.range_of(n) for n in ins]
            return min(lo for lo, _ in ranges), max(hi for _, hi in ranges)
        return None


def _quantize_dtype(node: Node, graph: Graph) -> np.dtype:
    """The element type a QuantizeLinear writes: its zero point's, else
    `output_dtype` (opset 21), else uint8."""
    if node.input(2):
        return graph.consts[node.input(2)].dtype if node.input(2) in graph.consts else np.dtype(np.uint8)
    from onnx import helper

    code = node.attr("output_dtype", 0)
    return np.dtype(helper.tensor_dtype_to_np_dtype(code)) if code else np.dtype(np.uint8)


def _unshifted(q: QParams, dtype: np.dtype) -> QParams:
    """Zero points back in the stored type (uint8: + 128), for quantizing data."""
    if np.dtype(dtype) != np.uint8:
        return q
    return QParams(q.scale, tuple(z + 128 for z in q.zero_point), q.axis)
