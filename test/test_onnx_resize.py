"""ONNX Resize and Upsample as tiny.resize (tinyir/frontends/onnx/ops/resize.py):
float models within 1e-5 of onnxruntime (nearest: the same pixels), QDQ models
within one int8 step per layer, and what maps onto no TFLite resize refused
in one line."""

from __future__ import annotations

import numpy as np
import pytest

import tinyir
from tinyir.errors import TinyIRError
from tinyir.frontends.onnx import import_onnx
from tinyir.testing import onnx_models
from tinyir.testing.onnx_models import Builder
from tinyir.testing.ort import ir_inputs, ort_run, per_layer_diff, to_ir

pytest.importorskip("onnxruntime")

SHAPE = (1, 3, 5, 6)


def resize_model(opset: int, *, op: str = "Resize", sizes=None, scales=None, conv: bool = False, **attrs) -> bytes:
    """x -> [conv ->] Resize (or Upsample) -> [conv]; `scales` or `sizes` as constants."""
    b = Builder(seed=opset)
    x = b.input("x", SHAPE)
    if conv:
        x = b.conv(x, 3, 4)
    if op == "Upsample" and opset < 9:
        y = b.node("Upsample", [x], scales=[float(s) for s in scales], **attrs)
    elif op == "Upsample" or opset < 11:
        y = b.node(op, [x, b.const(np.array(scales, np.float32))], **attrs)
    elif sizes is not None:
        no_scales = b.const(np.array([], np.float32)) if opset < 13 else ""  # required before opset 13
        y = b.node("Resize", [x, b.const(np.array([], np.float32)), no_scales, b.const(np.array(sizes, np.int64))],
                   **attrs)
    else:
        y = b.node("Resize", [x, b.const(np.array([], np.float32)), b.const(np.array(scales, np.float32))], **attrs)
    if conv:
        y = b.conv(y, 4, 2, k=1)
    return b.model([y], opset)


FLOAT_CASES = {
    "pytorch_nearest_2x": (13, dict(scales=[1, 1, 2, 2], mode="nearest", coordinate_transformation_mode="asymmetric",
                                    nearest_mode="floor")),
    "default_nearest_1.5x": (13, dict(scales=[1, 1, 1.5, 1.5])),
    "nearest_half_pixel_round_prefer_ceil_to_8x11": (
        18, dict(sizes=[1, 3, 8, 11], coordinate_transformation_mode="half_pixel", nearest_mode="round_prefer_ceil")),
    "nearest_align_corners_to_3x4": (
        11, dict(sizes=[1, 3, 3, 4], coordinate_transformation_mode="align_corners", nearest_mode="round_prefer_ceil")),
    "nearest_tf_half_pixel_to_8x11": (
        11, dict(sizes=[1, 3, 8, 11], coordinate_transformation_mode="tf_half_pixel_for_nn", nearest_mode="floor")),
    "linear_half_pixel_2x": (13, dict(scales=[1, 1, 2, 2], mode="linear")),
    "linear_pytorch_half_pixel_to_8x11": (
        13, dict(sizes=[1, 3, 8, 11], mode="linear", coordinate_transformation_mode="pytorch_half_pixel")),
    "linear_align_corners_1.5x": (
        21, dict(scales=[1, 1, 1.5, 1.5], mode="linear", coordinate_transformation_mode="align_corners")),
    "linear_asymmetric_down_to_3x4": (
        13, dict(sizes=[1, 3, 3, 4], mode="linear", coordinate_transformation_mode="asymmetric")),
    "resize10_nearest_2x3": (10, dict(scales=[1, 1, 2, 3], mode="nearest")),
    "resize10_linear_2x": (10, dict(scales=[1, 1, 2, 2], mode="linear")),
    "upsample7_nearest_2x3": (8, dict(op="Upsample", scales=[1, 1, 2, 3], mode="nearest")),
    "upsample9_linear_2x": (9, dict(op="Upsample", scales=[1, 1, 2, 2], mode="linear")),
}


@pytest.mark.parametrize("name", FLOAT_CASES)
def test_float_resize_matches_onnxruntime(name):
    opset, kwargs = FLOAT_CASES[name]
    data = resize_model(opset, **kwargs)
    tensor_map: dict = {}
    module = import_onnx(data, tensor_map=tensor_map)
    assert "tiny.resize" in tinyir.print_ir(module)
    for feeds in onnx_models.calibration(data, count=2, seed=5):
        (ours,) = tinyir.execute(module, ir_inputs(tensor_map, feeds))
        ((name, theirs),) = ort_run(data, feeds).items()
        theirs = to_ir(theirs, tensor_map[name])
        if kwargs.get("mode", "nearest") == "nearest":
            assert np.array_equal(ours, theirs)
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5 * np.abs(theirs).max())


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_qdq_resize_within_one_step(mode):
    model = resize_model(13, scales=[1, 1, 2, 2], mode=mode, conv=True)
    data = onnx_models.ort_quantized(model, "QDQ")
    tensor_map: dict = {}
    module = import_onnx(data, tensor_map=tensor_map)
    resizes = [op for op in module.walk() if op.name == "tiny.resize"]
    assert len(resizes) == 1 and resizes[0].out_type.dtype == np.int8
    worst: dict[str, int] = {}
    for feeds in onnx_models.calibration(model, count=2, seed=11):
        for name, diff in per_layer_diff(module, tensor_map, data, feeds).items():
            worst[name] = max(worst.get(name, 0), diff)
    assert worst and max(worst.values()) <= 1, worst


REFUSED = {
    "cubic": (dict(scales=[1, 1, 2, 2], mode="cubic"), "mode 'cubic' is not supported (nearest, linear)"),
    "crop_and_resize": (dict(scales=[1, 1, 2, 2], mode="linear", coordinate_transformation_mode="tf_crop_and_resize"),
                        "coordinate_transformation_mode 'tf_crop_and_resize' is not supported with mode 'linear'"),
    "inexact_linear_scales": (dict(scales=[1, 1, 1.5, 1.5], mode="linear"),
                              "linear with coordinate_transformation_mode 'half_pixel' for sizes 5 -> 7 and 6 -> 9 "
                              "matches no coordinates of TFLite's resize"),
    "nearest_floor_half_pixel": (dict(scales=[1, 1, 2, 2], nearest_mode="floor"), "nearest_mode 'floor' with"),
    "channels": (dict(scales=[1, 2, 2, 2]), "only height and width are resized"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_unsupported_resize_is_refused_in_one_line(name):
    kwargs, message = REFUSED[name]
    with pytest.raises(TinyIRError) as e:
        import_onnx(resize_model(13, **kwargs))
    assert message in str(e.value) and "\n" not in str(e.value)
    assert str(e.value).startswith("Resize node")
