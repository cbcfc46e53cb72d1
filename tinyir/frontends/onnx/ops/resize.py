"""Resize and Upsample (nearest and linear, 2-D) as `tiny.resize`.

tiny.resize computes TFLite's source coordinates (align_corners,
half_pixel_centers). Rather than trusting a table from ONNX's
coordinate_transformation_mode and nearest_mode to those flags, the lowering
computes ONNX's source coordinates along each axis as onnxruntime does and
takes the first pair of flags that gives the same ones: the same pixels for
nearest, the same positions (to float rounding) for linear. Whatever no pair
reproduces (a `scales` that is not the exact size ratio for linear, an
output of one pixel under pytorch_half_pixel, ...) is refused in one line.
Int8 (QDQ) linear interpolates in TFLite's fixed point: within one step of
onnxruntime's float interpolation.
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
from xdsl.dialects.builtin import BoolAttr, StringAttr

from tinyir.dialects import tiny
from tinyir.frontends.onnx.graph import Node
from tinyir.frontends.onnx.layout import F32, I8, NHWC, Lowering
from tinyir.numerics.kernels.resize import bilinear_taps, nearest_indices

_TRANSFORMS = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn")
_NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple")


def _source_coordinates(transform: str, in_size: int, out_size: int, scale: float) -> np.ndarray:
    """onnxruntime's GetOriginalCoordinate along one axis, in float32."""
    x = np.arange(out_size, dtype=np.float32)
    scale = np.float32(scale)
    if transform == "half_pixel":
        return (x + np.float32(0.5)) / scale - np.float32(0.5)
    if transform == "pytorch_half_pixel":
        return (x + np.float32(0.5)) / scale - np.float32(0.5) if out_size > 1 else np.zeros(1, np.float32)
    if transform == "tf_half_pixel_for_nn":
        return (x + np.float32(0.5)) / scale
    if transform == "align_corners":
        return x * np.float32(in_size - 1) / np.float32(out_size - 1) if out_size > 1 else np.zeros(1, np.float32)
    return x / scale  # asymmetric


def _nearest(coordinates: np.ndarray, mode: str, scale: float, in_size: int) -> np.ndarray:
    """onnxruntime's nearest pixel for each source coordinate, clamped to the image."""
    floor = np.floor(coordinates)
    if mode == "simple":  # Upsample and Resize-10: down-sampling takes the ceiling
        index = np.ceil(coordinates) if scale < 1 else floor
    elif mode == "floor":
        index = floor
    elif mode == "ceil":
        index = np.ceil(coordinates)
    else:
        half = coordinates - floor == np.float32(0.5)
        rounded = np.where(coordinates >= 0, floor + (coordinates - floor >= 0.5), np.ceil(coordinates - 0.5))
        index = np.where(half, floor if mode == "round_prefer_floor" else floor + 1, rounded)
    return np.clip(index, 0, in_size - 1).astype(np.int64)


def _flags(node: Node, mode: str, axes: list[tuple[int, int, float]], transform: str, nearest_mode: str):
    """The (align_corners, half_pixel_centers) under which TFLite's resize picks
    ONNX's pixels (nearest) or positions (linear) along every axis."""
    candidates = product((False, True), repeat=2) if mode == "nearest" else ((False, False), (True, False), (False, True))
    for align_corners, half_pixel_centers in candidates:
        for in_size, out_size, scale in axes:
            onnx = _source_coordinates(transform, in_size, out_size, scale)
            if mode == "nearest":
                same = np.array_equal(_nearest(onnx, nearest_mode, scale, in_size),
                                      nearest_indices(in_size, out_size, align_corners, half_pixel_centers))
            else:
                taps = bilinear_taps(in_size, out_size, align_corners, half_pixel_centers, integer=False)
                ours = np.clip(taps.coordinate, 0, in_size - 1)
                same = np.allclose(ours, np.clip(onnx, 0, in_size - 1), rtol=0, atol=1e-4)
            if not same:
                break
        else:
            return align_corners, half_pixel_centers
    what = f"nearest_mode '{nearest_mode}'" if mode == "nearest" else "linear"
    sizes = " and ".join(f"{i} -> {o}" for i, o, _ in axes)
    raise node.error(f"{what} with coordinate_transformation_mode '{transform}' for sizes {sizes} "
                     f"matches no coordinates of TFLite's resize (align_corners, half_pixel_centers)")


def _output_size(L: Lowering, node: Node, shape: tuple[int, ...]) -> tuple[list[int], list[float]]:
    """The output shape and the scale ONNX uses per axis (`scales`, else size ratio)."""
    if node.op == "Upsample" and L.g.opset < 9:
        scales_name, sizes_name = None, None
        given = node.attr("scales")
    elif node.op == "Upsample" or L.g.opset < 11:
        scales_name, sizes_name, given = node.input(1), "", None
    else:
        scales_name, sizes_name, given = node.input(2), node.input(3), None
    if sizes_name:
        if sizes_name not in L.g.consts:
            raise node.error("the sizes must be a constant")
        sizes = [int(v) for v in np.asarray(L.g.consts[sizes_name]).reshape(-1)]
        if len(sizes) != len(shape):
            raise node.error(f"sizes {sizes} do not fit the input {list(shape)}")
        return sizes, [o / i for o, i in zip(sizes, shape)]
    if given is None:
        if not scales_name or scales_name not in L.g.consts:
            raise node.error("the scales must be a constant")
        given = np.asarray(L.g.consts[scales_name]).reshape(-1)
    scales = [float(np.float32(s)) for s in given]
    if len(scales) != len(shape) or min(scales) <= 0:
        raise node.error(f"scales {scales} do not fit the input {list(shape)}")
    return [int(math.floor(d * s)) for d, s in zip(shape, scales)], scales


def lower_resize(L: Lowering, node: Node) -> None:
    x, out = node.inputs[0], node.outputs[0]
    shape = L.onnx_shape(x)
    if len(shape) != 4:
        raise node.error(f"only 2-D images (N, C, H, W) are resized, got {list(shape)}")
    mode = node.attr("mode", "nearest")
    if mode not in ("nearest", "linear", "bilinear"):
        raise node.error(f"mode '{mode}' is not supported (nearest, linear)")
    legacy = node.op == "Upsample" or L.g.opset < 11  # asymmetric, onnxruntime's "simple" nearest
    transform = "asymmetric" if legacy else node.attr("coordinate_transformation_mode", "half_pixel")
    nearest_mode = "simple" if legacy else node.attr("nearest_mode", "round_prefer_floor")
    if transform not in _TRANSFORMS or (transform == "tf_half_pixel_for_nn" and mode != "nearest"):
        raise node.error(f"coordinate_transformation_mode '{transform}' is not supported with mode '{mode}'")
    if nearest_mode not in _NEAREST_MODES:
        raise node.error(f"nearest_mode '{nearest_mode}' is not supported")
    for name, default in (("antialias", 0), ("axes", None), ("keep_aspect_ratio_policy", "stretch")):
        if node.attr(name, default) != default:
            raise node.error(f"'{name}' = {node.attr(name)} is not supported")
    sizes, scales = _output_size(L, node, shape)
    n, c, h, w = shape
    if sizes[:2] != [n, c]:
        raise node.error(f"only height and width are resized, not {list(shape)} to {sizes}")
    out_h, out_w = sizes[2:]
    if min(out_h, out_w) < 1:
        raise node.error(f"the output {sizes} is empty")
    tiny_mode = "nearest" if mode == "nearest" else "bilinear"
    align_corners, half_pixel_centers = _flags(
        node, tiny_mode, [(h, out_h, scales[2]), (w, out_w, scales[3])], transform, nearest_mode
    )
    props = dict(mode=StringAttr(tiny_mode), align_corners=BoolAttr.from_bool(align_corners),
                 half_pixel_centers=BoolAttr.from_bool(half_pixel_centers))
    if L.entry(x, node).is_int8 and out in L.q.act:  # interpolated in the input's quantization, then requantized
        source = L.as_int8(x, node, NHWC)
        value = L.compute(tiny.ResizeOp, [source], out, (n, out_h, out_w, c), I8, tiny.buffer_type(source).quant,
                          **props)
    else:
        value = L.compute(tiny.ResizeOp, [L.as_float(x, node, NHWC)], out, (n, out_h, out_w, c), F32, None, **props)
    L.set(out, value, NHWC)
