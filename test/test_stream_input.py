"""--partial-exec=stream-input=true: the model's input is read a band of rows
at a time (tiny.read_rows in the first row loop) and is never whole in SRAM.
Bit-exact with TensorFlow Lite Micro on the executor and in C; the arena
never grows; where the input cannot be streamed, one line says why. The
firmware runs in QEMU in test_cortex_m.py (test_streamed_model_runs_in_qemu_bit_exact)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import model_params, require_model

import tinyir
from tinyir.analysis import arena as arena_attrs
from tinyir.analysis.liveness import main_function
from tinyir.api import emit_c
from tinyir.backends.c import RUNTIME_SOURCES, execute_c
from tinyir.backends.cmsis_nn_host.sources import host_runtime
from tinyir.backends.cortex_m import build as cortex_m
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.testing.quantnet import QuantNet
from tinyir.testing.tflm import max_abs_diff, tflm_run

STREAMED = "fuse,partial-exec{stream-input=true},reorder,arena-alloc"
WHOLE = "fuse,partial-exec,reorder,arena-alloc"


def arena(path_or_data, pipeline: str) -> int:
    return arena_attrs.arena_size(tinyir.run_pipeline(tinyir.import_model(path_or_data), pipeline))


def float_input_cnn() -> bytes:
    """A float32 image in, QUANTIZE, an int8 network (as the vendor's visual
    wake words model): the float image and its int8 copy are the peak."""
    net = QuantNet(seed=3)
    x = net.input("image", (1, 48, 48, 3), dtype="float32")
    y = net.quantize(x)
    y = net.conv2d(y, 8, 3, stride=2, activation="RELU6")
    y = net.depthwise_conv2d(y, 3, activation="RELU6")
    y = net.conv2d(y, 16, 1, stride=1, activation="RELU6")
    y = net.depthwise_conv2d(y, 3, stride=2, activation="RELU6")
    y = net.conv2d(y, 16, 1)
    net.output(net.dequantize(net.mean(y)))
    return net.build("float_input_cnn").data


def test_hanlab_mbv2_streams_in_a_third_of_its_image():
    """The image is 62,208 B of the 66,880 B arena unstreamed; streamed, the
    whole arena is below 32,000 B and the output is TFLite Micro's."""
    path = require_model("hanlab_mbv2-w0.35-r144_imagenet.tflite")
    module = tinyir.run_pipeline(tinyir.import_model(path), STREAMED)
    image = tiny.buffer_type(main_function(module).body.block.args[0]).nbytes
    assert image == 62208
    assert arena_attrs.arena_size(module) < 32000 < image
    xs = tinyir.random_inputs(module, seed=1)
    assert max_abs_diff(tinyir.execute(module, xs), tflm_run(path.read_bytes(), xs)) == 0
    (streamed,) = tinyir.memory_report(module)["streamed"]  # the report says what it holds of the image
    assert streamed["bytes"] == image and 0 < streamed["rows_bytes"] <= image // 10


@pytest.mark.parametrize("path", model_params())
def test_streaming_never_grows_the_arena(path):
    """On every shared model, stream-input either plans an arena no larger
    than without it, with the input read by rows, or says in one line why it
    cannot stream."""
    whole = arena(path, WHOLE)
    try:
        module = tinyir.run_pipeline(tinyir.import_model(path), STREAMED)
    except TinyIRError as e:
        assert "stream-input" in str(e) and "\n" not in str(e)
        return
    (read,) = [op for op in module.walk() if isinstance(op, tiny.ReadRowsOp)]
    assert isinstance(read.parent_op(), tiny.TileLoopOp) and read.parent_op().by_rows
    assert arena_attrs.arena_size(module) <= whole


BIT_EXACT = ["mlperf_vww_mbv1_025_96_int8.tflite", "hanlab_mcunet-320kb-1mb_imagenet.tflite", "mlperf_ic_resnet8_int8.tflite"]


@pytest.mark.parametrize("name", BIT_EXACT)
def test_streamed_model_is_bit_exact_on_the_executor_and_in_c(name):
    path = require_model(name)
    module = tinyir.run_pipeline(tinyir.import_model(path), STREAMED)
    xs = tinyir.random_inputs(module, seed=2)
    ours = tinyir.execute(module, xs)
    assert max_abs_diff(ours, tflm_run(path.read_bytes(), xs)) == 0
    if shutil.which("gcc") is not None:  # the copying invoke: the rows come from the caller's array
        assert max_abs_diff(execute_c(module, xs), ours) == 0


def test_float_input_runs_its_quantize_by_rows():
    """The float image's QUANTIZE runs in the first row loop, so the float
    image and its int8 copy are never both whole; streamed, the float image
    is not in SRAM either (its float rows are quantized as they come)."""
    data = float_input_cnn()
    module = tinyir.import_model(data)
    image = tiny.buffer_type(main_function(module).body.block.args[0])
    both = image.nbytes + image.nbytes // 4
    split = tinyir.run_pipeline(tinyir.import_model(data), WHOLE)
    streamed = tinyir.run_pipeline(tinyir.import_model(data), STREAMED)
    assert arena_attrs.arena_size(streamed) < arena_attrs.arena_size(split) < both
    (read,) = [op for op in streamed.walk() if isinstance(op, tiny.ReadRowsOp)]
    assert tiny.buffer_type(read.out).shape[1] < image.shape[1]  # a band of float rows, never the image
    quantize = next(op for op in split.walk() if isinstance(op, tiny.QuantizeOp))
    assert isinstance(quantize.parent_op(), tiny.TileLoopOp)
    xs = [np.random.default_rng(0).uniform(-1, 1, image.shape).astype(np.float32)]
    theirs = tflm_run(data, xs)
    for module in (split, streamed):
        ours = tinyir.execute(module, xs)
        assert max_abs_diff(ours, theirs) == 0
        if shutil.which("gcc") is not None:
            assert max_abs_diff(execute_c(module, xs), ours) == 0


def test_unstreamable_models_are_one_clear_line(tmp_path):
    net = QuantNet(seed=0)
    a, b = net.input("a", (1, 8, 8, 4)), net.input("b", (1, 8, 8, 4))
    net.output(net.add(a, b))
    two_inputs = tmp_path / "two.tflite"
    two_inputs.write_bytes(net.build("two").data)
    net = QuantNet(seed=0)
    net.output(net.fully_connected(net.input("x", (1, 16)), 4))
    flat = tmp_path / "flat.tflite"
    flat.write_bytes(net.build("flat").data)
    net = QuantNet(seed=0)
    x = net.input("x", (1, 8, 8, 4))
    net.output(net.mean(net.conv2d(x, 4, 3)), x)  # the image is also an output: it must be whole
    returned = tmp_path / "returned.tflite"
    returned.write_bytes(net.build("returned").data)
    expected = {
        two_inputs: "stream-input streams a model's one input; this model has 2",
        flat: "input %x [1, 16] is not one NHWC image",
        returned: "stream-input:",
    }
    for path, message in expected.items():
        run = subprocess.run([sys.executable, "-m", "tinyir.tools.opt", str(path), "--partial-exec=stream-input=true"],
                             capture_output=True, text=True)  # fmt: skip
        assert run.returncode == 1, run.stderr
        assert run.stderr.count("\n") == 1 and message in run.stderr and "Traceback" not in run.stderr


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not found")
def test_a_failing_read_rows_stops_the_run(tmp_path):
    """The harness's read_rows reads in.bin during the run: a file too short
    for the rows asked makes the callback fail, and invoke returns the
    read_rows op's number (1) instead of running on missing rows."""
    net = QuantNet(seed=0)
    net.output(net.conv2d(net.input("x", (1, 12, 6, 3)), 4, 3, stride=2))
    module = tinyir.run_pipeline(tinyir.import_model(net.build("small").data), STREAMED)
    built_dir = tmp_path / "c"
    files = emit_c(module, "small", directory=built_dir)
    (built_dir / "main.c").write_text(cortex_m.harness_c(files["small.h"], "small", in_place=True))
    src = host_runtime()
    runtime = [built_dir / f for f in RUNTIME_SOURCES if f.endswith(".c")]
    exe = cortex_m.compile_host([built_dir / "main.c", built_dir / "small.c", *runtime, *src.c_files], tmp_path / "small",
                                [built_dir, *src.include_dirs], src.defines)  # fmt: skip
    x = tinyir.random_inputs(module, seed=0)[0]
    full = cortex_m.run_host(exe, inputs={"in.bin": x.tobytes()}, outputs=["out.bin"])
    assert full.returncode == 0, full.stderr
    assert full.outputs["out.bin"] == tinyir.execute(module, [x])[0].tobytes()
    short = cortex_m.run_host(exe, inputs={"in.bin": x.tobytes()[: 6 * 3 * 5]}, outputs=[])
    assert short.returncode == 3 and b"op 1 refused" in short.stderr
