"""Small ONNX models built with onnx.helper, for tests of the ONNX frontend.

* `float_models(opset)`: float models covering the supported operators
  (seeded random weights; NCHW, as PyTorch exports them);
* `ort_quantized(model, fmt)`: one of them made int8 by onnxruntime's static
  quantizer, QDQ or QOperator (calibrated on seeded samples);
* `hand_qdq()`, `hand_qoperator()`: quantized models written out node by
  node, with fixed weights (the FileCheck tests print their IR);
* `broken(name)`: models the frontend must refuse with one line.

Only tests use this module (onnx is a dependency, onnxruntime a test one).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT


class Builder:
    """A graph under construction: `node(...)` returns its output name."""

    def __init__(self, seed: int = 0):
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.rng = np.random.default_rng(seed)
        self.count = 0

    def input(self, name: str, shape, elem=FLOAT) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem, list(shape)))
        return name

    def const(self, value, name: str | None = None) -> str:
        self.count += 1
        name = name or f"c{self.count}"
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def weight(self, shape, scale: float = 0.5) -> str:
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        return self.const((self.rng.standard_normal(shape) * scale / np.sqrt(fan_in) * 2).astype(np.float32))

    def node(self, op: str, inputs, outputs: int = 1, domain: str | None = None, name: str | None = None,
             **attrs) -> str:
        self.count += 1
        outs = [f"{op.lower()}{self.count}" + (f"_{i}" if i else "") for i in range(outputs)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=name or f"{op}_{self.count}",
                                           domain=domain, **attrs))
        return outs[0]

    def model(self, outputs, opset: int = 13, elem=FLOAT, extra_opsets=()) -> bytes:
        outs = [helper.make_tensor_value_info(o, elem, None) for o in outputs]
        graph = helper.make_graph(self.nodes, "g", self.inputs, outs, self.inits)
        opsets = [helper.make_opsetid("", opset), *(helper.make_opsetid(d, v) for d, v in extra_opsets)]
        model = helper.make_model(graph, opset_imports=opsets)
        model.ir_version = min(model.ir_version, 8 if opset <= 17 else 9)
        return model.SerializeToString()

    # -- layers ---------------------------------------------------------------

    def conv(self, x: str, c_in: int, c_out: int, k: int = 3, stride: int = 1, group: int = 1, pads=None,
             dilation: int = 1, bias: bool = True, **attrs) -> str:
        w = self.weight((c_out, c_in // group, k, k))
        ins = [x, w] + ([self.const((self.rng.standard_normal(c_out) * 0.1).astype(np.float32))] if bias else [])
        if pads is None and "auto_pad" not in attrs:
            pads = [k // 2 * dilation] * 4
        if pads is not None:
            attrs["pads"] = pads
        return self.node("Conv", ins, kernel_shape=[k, k], strides=[stride, stride], group=group,
                         dilations=[dilation, dilation], **attrs)


def _clip(b: Builder, x: str, lo: float, hi: float, opset: int) -> str:
    if opset < 11:
        return b.node("Clip", [x], min=lo, max=hi)
    return b.node("Clip", [x, b.const(np.float32(lo)), b.const(np.float32(hi))])


def _pad(b: Builder, x: str, pads: list[int], opset: int) -> str:
    if opset < 11:
        return b.node("Pad", [x], pads=pads, mode="constant", value=0.0)
    return b.node("Pad", [x, b.const(np.array(pads, np.int64))], mode="constant")


def _reshape(b: Builder, x: str, shape: list[int]) -> str:
    return b.node("Reshape", [x, b.const(np.array(shape, np.int64))])


def cnn(opset: int = 13, seed: int = 0) -> bytes:
    """A small CNN: conv (SAME_UPPER), relu, depthwise + clip (relu6),
    grouped conv, pad + conv (stride 2), residual add, max pool, global
    average pool, flatten, gemm, softmax."""
    b = Builder(seed)
    x = b.input("image", (1, 3, 12, 12))
    h = b.node("Relu", [b.conv(x, 3, 8, 3, pads=None, auto_pad="SAME_UPPER")])
    d = _clip(b, b.conv(h, 8, 8, 3, group=8), 0.0, 6.0, opset)
    g = b.conv(d, 8, 8, 3, group=2)
    h = b.node("Relu", [b.node("Add", [h, g])])
    p = _pad(b, h, [0, 0, 1, 1, 0, 0, 0, 0], opset)
    h = b.node("Relu", [b.conv(p, 8, 16, 3, stride=2, pads=[0, 0, 1, 1])])
    h = b.node("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])
    h = b.node("GlobalAveragePool", [h])
    f = b.node("Flatten", [h], axis=1)
    y = b.node("Gemm", [f, b.weight((10, 16)), b.const(np.zeros(10, np.float32) + 0.1)], transB=1)
    return b.model([b.node("Softmax", [y], axis=1)], opset)


def mlp_head(opset: int = 13, seed: int = 1) -> bytes:
    """NCHW conv, then a flatten of the whole image into a MatMul + Add bias
    (the weights follow the NHWC order: no transpose), sigmoid, mul."""
    b = Builder(seed)
    x = b.input("x", (1, 4, 6, 6))
    h = b.node("Relu", [b.conv(x, 4, 6, 3, stride=1)])
    h = b.node("AveragePool", [h], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)
    f = _reshape(b, h, [1, -1])
    y = b.node("Add", [b.node("MatMul", [f, b.weight((54, 12))]), b.const(np.linspace(-1, 1, 12).astype(np.float32))])
    s = b.node("Sigmoid", [y])
    return b.model([b.node("Mul", [s, y])], opset)


def branches(opset: int = 13, seed: int = 2) -> bytes:
    """Two branches concatenated on channels, a transpose pair, a Sub and a
    Div by constants, ReduceMean over H and W."""
    b = Builder(seed)
    x = b.input("x", (1, 4, 8, 8))
    a = b.node("Relu", [b.conv(x, 4, 6, 1)])
    c = _clip(b, b.conv(x, 4, 2, 3), -1.0, 1.0, opset)
    h = b.node("Concat", [a, c], axis=1)
    t = b.node("Transpose", [h], perm=[0, 2, 3, 1])
    t = b.node("Sub", [t, b.const(np.linspace(0, 1, 8).astype(np.float32))])
    h = b.node("Transpose", [t], perm=[0, 3, 1, 2])
    h = b.node("Div", [h, b.const(np.float32(2.0))])
    if opset >= 18:
        m = b.node("ReduceMean", [h, b.const(np.array([2, 3], np.int64))], keepdims=0)
    else:
        m = b.node("ReduceMean", [h], axes=[2, 3], keepdims=0)
    return b.model([m], opset)


def odds_and_ends(opset: int = 13, seed: int = 3) -> bytes:
    """Less common forms: BatchNormalization after a conv (folded) and alone
    (Mul + Add), a dilated conv without bias plus a per-channel Add (a bias),
    HardSwish (opset 14+), MaxPool with ceil_mode (opset 10+), GlobalMaxPool,
    Unsqueeze/Squeeze, Softmax over channels of a 4-D tensor."""
    b = Builder(seed)
    x = b.input("x", (1, 3, 9, 9))
    c = 6

    def bn(h):
        stats = [np.float32(1) + b.rng.random(c, np.float32), b.rng.standard_normal(c).astype(np.float32),
                 b.rng.standard_normal(c).astype(np.float32) * 0.1, np.float32(0.5) + b.rng.random(c, np.float32)]
        return b.node("BatchNormalization", [h, *(b.const(v) for v in stats)], epsilon=1e-3)

    h = bn(b.conv(x, 3, c, 3))
    h = b.node("Add", [b.conv(h, c, c, 3, dilation=2, bias=False), b.const(np.linspace(-1, 1, c, dtype=np.float32).reshape(c, 1, 1))])
    h = b.node("HardSwish", [h]) if opset >= 14 else b.node("Relu", [h])
    h = bn(h)
    h = b.node("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2], **({"ceil_mode": 1} if opset >= 10 else {}))
    g = b.node("GlobalMaxPool", [h])
    if opset >= 13:
        g = b.node("Squeeze", [g, b.const(np.array([3], np.int64))])
        g = b.node("Unsqueeze", [g, b.const(np.array([3], np.int64))])
    else:
        g = b.node("Unsqueeze", [b.node("Squeeze", [g], axes=[3])], axes=[3])
    return b.model([b.node("Softmax", [g], axis=1)], opset)


def torch_export(opset: int = 13, seed: int = 4) -> bytes:
    """What `torch.onnx.export` makes of a small CNN with `x.view(x.size(0), -1)`:
    Constant nodes holding a 0-d and a 1-D tensor (a scale, the flatten's -1),
    and the flatten as a shape computation: Shape, Gather, Unsqueeze, Concat,
    Reshape."""
    b = Builder(seed)
    x = b.input("input.1", (1, 3, 8, 8))
    h = b.node("Relu", [b.conv(x, 3, 8, 3)])
    half = b.node("Constant", [], value=numpy_helper.from_array(np.array(0.5, np.float32)))
    h = b.node("Mul", [h, half])
    h = b.node("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])
    shape = b.node("Shape", [h])
    batch = b.node("Gather", [shape, b.node("Constant", [], value=numpy_helper.from_array(np.array(0, np.int64)))], axis=0)
    rest = b.node("Constant", [], value=numpy_helper.from_array(np.array([-1], np.int64)))
    if opset < 13:
        batch = b.node("Unsqueeze", [batch], axes=[0])
    else:
        batch = b.node("Unsqueeze", [batch, b.const(np.array([0], np.int64))])
    new_shape = b.node("Concat", [batch, rest], axis=0)
    flat = b.node("Reshape", [h, new_shape])
    y = b.node("Gemm", [flat, b.weight((10, 8 * 4 * 4)), b.const(np.zeros(10, np.float32))], transB=1)
    return b.model([y], opset)


def float_models(opset: int = 13) -> Iterator[tuple[str, bytes]]:
    yield "cnn", cnn(opset)
    yield "mlp_head", mlp_head(opset)
    yield "branches", branches(opset)
    yield "odds_and_ends", odds_and_ends(opset)
    yield "torch_export", torch_export(opset)


def calibration(model: bytes, count: int = 8, seed: int = 0) -> list[dict[str, np.ndarray]]:
    """Seeded N(0, 1) samples for every input."""
    proto = onnx.load_model_from_string(model)
    rng = np.random.default_rng(seed)
    specs = [(v.name, [d.dim_value for d in v.type.tensor_type.shape.dim]) for v in proto.graph.input]
    return [{n: rng.standard_normal(s).astype(np.float32) for n, s in specs} for _ in range(count)]


def ort_quantized(model: bytes, fmt: str = "QDQ", per_channel: bool = True, seed: int = 0) -> bytes:
    """`model` made int8 by onnxruntime's static quantizer (QDQ or QOperator)."""
    from tinyir.frontends.onnx.calibrate import quantize_onnx

    return quantize_onnx(model, calibration(model, seed=seed), quant_format=fmt, per_channel=per_channel)


# -- hand-written quantized models (fixed data, for FileCheck) --------------------


def _ramp(shape, step: int = 7, dtype=np.int8) -> np.ndarray:
    n = int(np.prod(shape))
    info = np.iinfo(dtype)
    return ((np.arange(n) * step) % 255 + info.min).astype(dtype).reshape(shape)


def hand_qdq() -> bytes:
    """tf2onnx's pattern: an int8 NHWC input, Transpose to NCHW, DQ, Conv
    with per-channel DQ weights and an int32 bias, Relu, Q; Reshape; MatMul
    + Add bias; Q; DQ; Softmax; Q."""
    b = Builder()
    x = b.input("input", (1, 4, 4, 2), TensorProto.INT8)
    s_x, z_x = b.const(np.float32(0.05), "s_x"), b.const(np.int8(-3), "z_x")
    t = b.node("Transpose", [x], perm=[0, 3, 1, 2])
    xf = b.node("DequantizeLinear", [t, s_x, z_x])
    w = b.node("DequantizeLinear", [b.const(_ramp((3, 2, 1, 1), 37), "w"), b.const(np.array([0.01, 0.02, 0.04], np.float32)),
                                    b.const(np.zeros(3, np.int8))], axis=0)
    bias = b.node("DequantizeLinear", [b.const(np.array([10, -20, 30], np.int32), "bias"),
                                       b.const(np.array([0.0005, 0.001, 0.002], np.float32)),
                                       b.const(np.zeros(3, np.int32))], axis=0)
    y = b.node("Relu", [b.node("Conv", [xf, w, bias], kernel_shape=[1, 1])])
    s_y, z_y = b.const(np.float32(0.1), "s_y"), b.const(np.int8(-128), "z_y")
    q = b.node("QuantizeLinear", [y, s_y, z_y])
    r = _reshape(b, b.node("Transpose", [q], perm=[0, 2, 3, 1]), [1, 48])
    rf = b.node("DequantizeLinear", [r, s_y, z_y])
    fc_w = b.node("DequantizeLinear", [b.const(_ramp((48, 4), 11), "fc_w"), b.const(np.float32(0.02)), b.const(np.int8(0))])
    fc_b = b.node("DequantizeLinear", [b.const(np.array([1, 2, 3, 4], np.int32), "fc_b"), b.const(np.float32(0.002)),
                                       b.const(np.int32(0))])
    z = b.node("Add", [b.node("MatMul", [rf, fc_w]), fc_b])
    s_z, z_z = b.const(np.float32(0.2), "s_z"), b.const(np.int8(5), "z_z")
    zf = b.node("DequantizeLinear", [b.node("QuantizeLinear", [z, s_z, z_z]), s_z, z_z])
    out = b.node("QuantizeLinear", [b.node("Softmax", [zf], axis=-1), b.const(np.float32(1 / 256), "s_p"),
                                    b.const(np.int8(-128), "z_p")])
    return b.model([out], 17, TensorProto.INT8)


def hand_qoperator() -> bytes:
    """onnxruntime's QOperator form with uint8 activations: Q, QLinearConv
    (depthwise, SAME_UPPER), QLinearConv 1x1, DQ, GlobalAveragePool in
    float, Q, QLinearMatMul, com.microsoft QLinearAdd, DQ."""
    b = Builder()
    x = b.input("x", (1, 2, 5, 5))
    s0, z0 = b.const(np.float32(0.02), "s0"), b.const(np.uint8(128), "z0")
    q = b.node("QuantizeLinear", [x, s0, z0])
    s1, z1 = b.const(np.float32(0.05), "s1"), b.const(np.uint8(0), "z1")
    d = b.node("QLinearConv", [q, s0, z0, b.const(_ramp((2, 1, 3, 3), 29), "dw"),
                               b.const(np.array([0.01, 0.03], np.float32)), b.const(np.zeros(2, np.int8)),
                               s1, z1, b.const(np.array([100, -100], np.int32), "dw_bias")],
               kernel_shape=[3, 3], group=2, auto_pad="SAME_UPPER")
    s2, z2 = b.const(np.float32(0.08), "s2"), b.const(np.uint8(120), "z2")
    p = b.node("QLinearConv", [d, s1, z1, b.const(_ramp((4, 2, 1, 1), 53), "pw"), b.const(np.float32(0.02)),
                               b.const(np.int8(0)), s2, z2], kernel_shape=[1, 1])
    g = b.node("GlobalAveragePool", [b.node("DequantizeLinear", [p, s2, z2])])
    s3, z3 = b.const(np.float32(0.04), "s3"), b.const(np.uint8(128), "z3")
    f = b.node("QuantizeLinear", [_reshape(b, g, [1, 4]), s3, z3])
    s4, z4 = b.const(np.float32(0.1), "s4"), b.const(np.uint8(100), "z4")
    m = b.node("QLinearMatMul", [f, s3, z3, b.const(_ramp((4, 3), 17), "fc"), b.const(np.float32(0.03)),
                                 b.const(np.int8(0)), s4, z4])
    s5, z5 = b.const(np.float32(0.12), "s5"), b.const(np.uint8(110), "z5")
    a = b.node("QLinearAdd", [m, s4, z4, b.const(np.array([120, 128, 136], np.uint8), "offset"),
                              b.const(np.float32(0.05)), b.const(np.uint8(128)), s5, z5], domain="com.microsoft")
    out = b.node("DequantizeLinear", [a, s5, z5])
    return b.model([out], 13, extra_opsets=[("com.microsoft", 1)])


# -- models to refuse ----------------------------------------------------------------


def broken(name: str) -> bytes:
    b = Builder()
    if name == "unsupported":
        x = b.input("x", (1, 4))
        return b.model([b.node("Tanh", [x], name="the_tanh")])
    if name == "unsorted":  # valid, but the nodes are listed back to front
        x = b.input("x", (1, 4))
        y = b.node("Relu", [b.node("Sigmoid", [x])])
        data = b.model([y])
        proto = onnx.load_model_from_string(data)
        nodes = list(proto.graph.node)[::-1]
        del proto.graph.node[:]
        proto.graph.node.extend(nodes)
        return proto.SerializeToString()
    if name == "dynamic":
        b.inputs.append(helper.make_tensor_value_info("x", FLOAT, ["N", 3, "height", 8]))
        return b.model([b.node("Relu", ["x"])])
    if name == "batch":  # a symbolic batch dimension: fixed to 1
        b.inputs.append(helper.make_tensor_value_info("x", FLOAT, ["N", 3]))
        return b.model([b.node("Relu", ["x"])])
    if name == "dynamic_reshape":
        x, s = b.input("x", (1, 6)), b.input("shape", (2,), TensorProto.INT64)
        return b.model([b.node("Reshape", [x, s], name="reshape_by_input")])
    if name.startswith("opset"):
        x = b.input("x", (1, 4))
        return b.model([b.node("Relu", [x])], opset=int(name[5:]))
    if name == "external":
        x = b.input("x", (1, 4))
        y = b.node("Add", [x, b.const(np.arange(4, dtype=np.float32).reshape(1, 4), "offsets")])
        proto = onnx.load_model_from_string(b.model([y]))
        t = proto.graph.initializer[0]
        t.data_location = TensorProto.EXTERNAL
        t.ClearField("raw_data")
        t.external_data.add(key="location", value="weights.bin")
        return proto.SerializeToString()
    raise ValueError(f"no broken model {name!r}")
