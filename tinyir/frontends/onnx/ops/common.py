"""What the per-operator lowerings share: clamps, attributes, windows."""

from __future__ import annotations

import math

import numpy as np

from tinyir.dialects import tiny
from tinyir.frontends.onnx.graph import Node
from tinyir.frontends.onnx.layout import F32, Lowering, float_clamp
from tinyir.frontends.onnx.quant import QConst, to_int8
from tinyir.numerics.quantization import QParams, _quantize_scalar, activation_range, same_padding


def clamp_of(node: Node, q: QParams | None, bounds: tuple[float, float] | None = None):
    """The `clamp` of an int8 op (q given) or a float op: the fused Relu/Clip."""
    lo, hi = bounds if bounds is not None else node.attrs.get("_activation", (-math.inf, math.inf))
    if q is None:
        return float_clamp(node, (lo, hi))
    named = {(-math.inf, math.inf): "NONE", (0.0, math.inf): "RELU", (0.0, 6.0): "RELU6", (-1.0, 1.0): "RELU_N1_TO_1"}
    if (lo, hi) in named:
        return tiny.i64_array(activation_range(named[(lo, hi)], q))
    low = -128 if math.isinf(lo) else max(-128, _quantize_scalar(q.scale[0], q.zp, lo))
    high = 127 if math.isinf(hi) else min(127, _quantize_scalar(q.scale[0], q.zp, hi))
    return tiny.i64_array((low, max(low, high)))


def int_list(node: Node, name: str, default, length: int | None = None) -> list[int]:
    values = [int(v) for v in node.attr(name, default)]
    if length is not None and len(values) != length:
        raise node.error(f"'{name}' needs {length} values, got {values}")
    return values


def window_of(node: Node, hw: tuple[int, int], kernel: tuple[int, int], dilation=(1, 1)):
    """(stride, pad as (top, bottom, left, right), output (h, w)) of a 2-D window op."""
    stride = int_list(node, "strides", [1, 1], 2)
    for name, values in (("strides", stride), ("dilations", dilation), ("kernel_shape", kernel)):
        if min(values) < 1:  # the window arithmetic divides by them
            raise node.error(f"'{name}' must be at least 1, got {list(values)}")
    auto_pad = node.attr("auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for i in range(2):
            before, after, _ = same_padding(hw[i], kernel[i], stride[i], dilation[i])
            pads.append((before, after) if auto_pad == "SAME_UPPER" else (after, before))
        (top, bottom), (left, right) = pads
    elif auto_pad == "VALID":
        top = bottom = left = right = 0
    elif auto_pad == "NOTSET":
        top, left, bottom, right = int_list(node, "pads", [0, 0, 0, 0], 4)
    else:
        raise node.error(f"unknown auto_pad '{auto_pad}'")
    if min(top, bottom, left, right) < 0:
        raise node.error("negative padding is not supported")
    pad = [top, bottom, left, right]
    out = []
    for i in range(2):
        span = hw[i] + pad[2 * i] + pad[2 * i + 1] - ((kernel[i] - 1) * dilation[i] + 1)
        if span < 0:
            raise node.error(f"the window {list(kernel)} is larger than the padded input {list(hw)}")
        size = span // stride[i] + 1
        if node.attr("ceil_mode", 0) and span % stride[i]:
            size += 1
            if (size - 1) * stride[i] >= hw[i] + pad[2 * i]:  # a window starting in the padding
                size -= 1
            pad[2 * i + 1] += (size - 1) * stride[i] - span  # more padding: the floor formula gives `size`
        out.append(size)
    return stride, pad, out


def float_value(L: Lowering, value, name: str):
    t = tiny.buffer_type(value)
    return value if t.dtype == np.float32 else L.convert(value, F32, None, name + "/dequantized")


def quantized_const(L: Lowering, node: Node, name: str, q: QParams) -> str:
    """An integer constant a QLinear node reads, as a quantized constant of its own."""
    key = f"{name}/{node.index}"
    L.q.qconsts[key] = QConst(to_int8(L.g.consts[name]), q)
    L.display_names[key] = name
    return key
