"""tiny.resize (TFLite's RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR) and
SPACE_TO_BATCH_ND -> convolution -> BATCH_TO_SPACE_ND folded into a dilated
convolution, beyond the generated single-op models (test_generated_models.py,
test_c_emitter.py): a small upsampling network through the whole pipeline and
in QEMU, and the patterns the frontend refuses."""

from __future__ import annotations

import numpy as np
import pytest

import tinyir
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.numerics.kernels.resize import bilinear_taps, nearest_indices
from tinyir.testing.models import QuantNet, dilated_by_space_to_batch
from tinyir.testing.tflite_builder import TFLiteBuilder
from tinyir.testing.tflm import max_abs_diff, tflm_run


def upsampling_net() -> bytes:
    """A segmentation-style neck: downsample, a dilated conv as TF writes it,
    bilinear and nearest upsampling back, a skip concatenation."""
    net = QuantNet(seed=3)
    x = net.input("image", (1, 12, 12, 3))
    skip = net.conv2d(x, 6, 3, activation="RELU6", name="stem")
    h = net.conv2d(skip, 8, 3, stride=2, activation="RELU", name="down")
    # VALID, on a multiple of the block: no SPACE_TO_BATCH_ND padding, which
    # TFLite Micro fills with whatever its arena held (see the frontend)
    h = dilated_by_space_to_batch(net, h, 2, lambda s: net.conv2d(s, 8, 3, padding="VALID", activation="RELU"),
                                  same=False)
    h = net.resize(h, (12, 12), bilinear=True, half_pixel_centers=True, name="up")
    h = net.conv2d(net.concat([h, skip], axis=3), 4, 1, name="fuse")
    net.output(net.resize(h, (24, 24), name="upsample"))
    return net.build("upsampling").data


def test_upsampling_net_matches_tflite_micro_through_the_passes():
    data = upsampling_net()
    module = tinyir.import_model(data)
    names = [op.name for op in module.walk()]
    assert names.count("tiny.resize") == 2
    assert "tiny.pad" not in names and names.count("tiny.conv_2d") == 4  # the dilated convolution is one op
    tinyir.run_pipeline(module, "fuse,partial-exec,reorder,arena-alloc")
    for seed in range(3):
        inputs = tinyir.random_inputs(module, seed=seed)
        assert max_abs_diff(tinyir.execute(module, inputs), tflm_run(data, inputs)) == 0


def test_upsampling_net_runs_in_qemu_bit_exact(tmp_path):
    from tinyir.backends.cortex_m import build as cortex_m

    if cortex_m.missing_tools():
        pytest.skip(f"{' and '.join(cortex_m.missing_tools())} not on PATH")
    data = upsampling_net()
    module = tinyir.import_model(data, mcpu=cortex_m.RUN_CPU)
    tinyir.run_pipeline(module, "fuse,arena-alloc")
    built = cortex_m.build_model(module, tmp_path, "m", cortex_m.RUN_CPU, None)
    for seed in range(2):
        inputs = tinyir.random_inputs(module, seed=seed)
        expected = tflm_run(data, inputs)
        result = cortex_m.run(built.elf, inputs={"in.bin": inputs[0].tobytes()}, outputs=["out.bin"], timeout=120)
        assert result.returncode == 0, result.stderr.decode()
        assert result.outputs["out.bin"] == b"".join(a.tobytes() for a in expected)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("half_pixel_centers", [False, True])
def test_source_coordinates_stay_in_the_image(align_corners, half_pixel_centers):
    for in_size in (1, 2, 5, 9):
        for out_size in (1, 3, 7, 10, 31):
            index = nearest_indices(in_size, out_size, align_corners, half_pixel_centers)
            assert 0 <= index.min() and index.max() < in_size
            if align_corners and half_pixel_centers:
                continue  # bilinear refuses the pair
            taps = bilinear_taps(in_size, out_size, align_corners, half_pixel_centers, integer=True)
            assert (0 <= taps.lower).all() and (taps.lower <= taps.upper).all() and (taps.upper < in_size).all()


# ---------------------------------------------------------------------------
# What the frontend refuses, in one line
# ---------------------------------------------------------------------------


def _quantized(b: TFLiteBuilder, name: str, shape) -> object:
    return b.tensor(name, shape, scale=0.05, zero_point=-3)


def _refused(build) -> str:
    b = TFLiteBuilder()
    x = b.input("x", (1, 8, 8, 2), scale=0.05, zero_point=-3)
    b.output(build(b, x))
    with pytest.raises(TinyIRError) as e:
        tinyir.import_model(b.finish())
    message = str(e.value)
    assert "\n" not in message
    return message


def _space_to_batch(b: TFLiteBuilder, x, paddings=((0, 0), (0, 0))):
    y = _quantized(b, "s2b", (4, (8 + sum(paddings[0])) // 2, (8 + sum(paddings[1])) // 2, 2))
    b.op("SPACE_TO_BATCH_ND", [x, b.const("block", np.array([2, 2], np.int32)),
                               b.const("pads", np.array(paddings, np.int32))], [y])
    return y


def _batch_to_space(b: TFLiteBuilder, x, shape):
    y = _quantized(b, "b2s", shape)
    b.op("BATCH_TO_SPACE_ND", [x, b.const("block2", np.array([2, 2], np.int32)),
                               b.const("crops", np.zeros((2, 2), np.int32))], [y])
    return y


def test_space_to_batch_without_a_convolution_is_refused():
    message = _refused(lambda b, x: _space_to_batch(b, x))
    assert "SPACE_TO_BATCH_ND (operator #0): supported only as SPACE_TO_BATCH_ND -> CONV_2D" in message


def test_batch_to_space_alone_is_refused():
    def build(b, x):
        return _batch_to_space(b, _space_to_batch(b, x), (1, 8, 8, 2))

    assert "SPACE_TO_BATCH_ND (operator #0): supported only as" in _refused(build)

    b = TFLiteBuilder()
    x = b.input("x", (4, 4, 4, 2), scale=0.05, zero_point=-3)
    b.output(_batch_to_space(b, x, (1, 8, 8, 2)))
    with pytest.raises(TinyIRError, match=r"BATCH_TO_SPACE_ND \(operator #0\): supported only as SPACE_TO_BATCH_ND"):
        tinyir.import_model(b.finish())


def test_strided_convolution_between_is_refused():
    def build(b, x):
        s = _space_to_batch(b, x)
        w = b.const("w", np.ones((2, 1, 1, 2), np.int8), scales=[0.01, 0.01])
        c = _quantized(b, "conv", (4, 2, 2, 2))
        b.op("CONV_2D", [s, w, None], [c], padding="VALID", stride=2)
        return _batch_to_space(b, c, (1, 4, 4, 2))

    assert "CONV_2D (operator #1): stride and dilation must be 1 in SPACE_TO_BATCH_ND ->" in _refused(build)


def test_dilated_convolution_folds_into_one_op():
    b = TFLiteBuilder()
    x = b.input("x", (1, 8, 8, 2), scale=0.05, zero_point=-3)
    s = _space_to_batch(b, x)
    w = b.const("w", np.arange(36, dtype=np.int8).reshape(2, 3, 3, 2) - 18, scales=[0.01, 0.02], axis=0)
    c = _quantized(b, "conv", (4, 4, 4, 2))
    b.op("CONV_2D", [s, w, None], [c], padding="SAME")
    b.output(_batch_to_space(b, c, (1, 8, 8, 2)))
    data = b.finish()
    module = tinyir.import_model(data)
    (conv,) = [op for op in module.walk() if isinstance(op, tiny.ComputeOp)]
    assert isinstance(conv, tiny.Conv2DOp)
    assert (conv.ints("dilation"), conv.ints("pad")) == ((2, 2), (2, 2, 2, 2))
    inputs = tinyir.random_inputs(module, seed=0)
    assert max_abs_diff(tinyir.execute(module, inputs), tflm_run(data, inputs)) == 0


def _resize_model(opname: str, size, **options) -> bytes:
    b = TFLiteBuilder()
    x = b.input("x", (1, 4, 4, 2), scale=0.05, zero_point=-3)
    y = _quantized(b, "y", (1, 8, 8, 2))
    b.op(opname, [x, b.const("size", np.array(size, np.int32))], [y], **options)
    b.output(y)
    return b.finish()


def test_bilinear_with_align_corners_and_half_pixel_centers_is_refused():
    data = _resize_model("RESIZE_BILINEAR", (8, 8), align_corners=True, half_pixel_centers=True)
    with pytest.raises(TinyIRError, match=r"RESIZE_BILINEAR \(operator #0\): align_corners and half_pixel_centers"):
        tinyir.import_model(data)


def test_nearest_with_align_corners_and_half_pixel_centers_is_tflite_micros():
    data = _resize_model("RESIZE_NEAREST_NEIGHBOR", (8, 8), align_corners=True, half_pixel_centers=True)
    module = tinyir.import_model(data)
    inputs = tinyir.random_inputs(module, seed=1)
    assert max_abs_diff(tinyir.execute(module, inputs), tflm_run(data, inputs)) == 0
