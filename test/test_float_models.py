"""Float (f32) models through the whole pipeline (issue #13): a float TFLite
model (tinyir.testing.float_models) and float ONNX models (generated, and
the shared fp32 ResNet-8 and mnist-8) through --fuse, --partial-exec (row
loops), --arena-alloc and the C backend's portable float kernels.

Exact (max |difference| = 0): the C on the host and in QEMU (Cortex-M4)
against the reference executor, and the executor after the passes against
before them. Within 1e-5 relative: the executor against TensorFlow Lite
Micro's and onnxruntime's float kernels.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import tinyir
from tinyir.analysis.arena import arena_size
from tinyir.backends.c import execute_c
from tinyir.dialects import tiny
from tinyir.testing import float_models, onnx_models

SHARED_ONNX = Path(__file__).resolve().parents[2] / "shared" / "models" / "onnx"
SHARED_FLOAT = {"resnet8_fp32": "tf2onnx_mlperf_ic_resnet8_fp32.onnx", "mnist8": "onnx2c_mnist-8_zoo_cntk.onnx"}

FULL = "fuse,partial-exec,arena-alloc"
PIPELINES = ["arena-alloc", "fuse,arena-alloc", FULL]


def _source(name: str):
    """The bytes (or path) of the float model called `name`."""
    if name in SHARED_FLOAT:
        path = SHARED_ONNX / SHARED_FLOAT[name]
        if not path.is_file():
            pytest.skip(f"{path} not found (the shared models are beside the checkout)")
        return str(path)
    if name.startswith("onnx_"):
        return dict(onnx_models.float_models(14))[name[len("onnx_"):]]
    return getattr(float_models, name)()


MODELS = ["float_cnn", "float_rows_chain", *(f"onnx_{n}" for n, _ in onnx_models.float_models(14)), *SHARED_FLOAT]


def _inputs(module, seed: int) -> list[np.ndarray]:
    """Seeded random inputs, spread wide (x4) so the activations' cut-offs and clamps are reached."""
    return [(x * 4).astype(np.float32) for x in tinyir.random_inputs(module, seed=seed)]


def _compiled(name: str, pipeline: str):
    module = tinyir.import_model(_source(name))
    inputs = [_inputs(module, s) for s in range(2)]
    before = [tinyir.execute(module, x) for x in inputs]
    tinyir.run_pipeline(module, pipeline)
    return module, inputs, before


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not found")
@pytest.mark.parametrize("pipeline", PIPELINES)
@pytest.mark.parametrize("name", MODELS)
def test_c_on_the_host_is_exact(name, pipeline):
    module, inputs, before = _compiled(name, pipeline)
    for x, expected in zip(inputs, before):
        after = tinyir.execute(module, x)
        c = execute_c(module, x)
        for e, a, y in zip(expected, after, c):
            assert e.dtype == np.float32 and np.isfinite(e).all()
            assert np.array_equal(a, e), f"executor after {pipeline}: max |diff| {np.abs(a - e).max()}"
            assert np.array_equal(y, e), f"C: max |diff| {np.abs(y - e).max()}"


def test_arena_alloc_gives_float_ops_no_scratch():
    module = tinyir.import_model(float_models.float_cnn())
    tinyir.run_pipeline(module, "fuse,arena-alloc")
    ops = [op for op in module.walk() if isinstance(op, tiny.ComputeOp)]
    assert any(isinstance(op, tiny.Conv2DOp) for op in ops)
    assert all(op.scratch is None for op in ops)
    assert arena_size(module) > 0


@pytest.mark.parametrize("name", ["float_rows_chain", "float_cnn", *SHARED_FLOAT])
def test_row_loops_lower_the_arena(name):
    unsplit = tinyir.import_model(_source(name))
    tinyir.run_pipeline(unsplit, "fuse,arena-alloc")
    module, inputs, before = _compiled(name, FULL)
    loops = [op for op in module.walk() if isinstance(op, tiny.TileLoopOp)]
    assert loops and all(loop.by_rows for loop in loops)
    assert arena_size(module) < arena_size(unsplit)
    for x, expected in zip(inputs, before):
        assert all(np.array_equal(a, e) for a, e in zip(tinyir.execute(module, x), expected))


def test_channel_splits_stay_int8():
    """Channel splits (int32 accumulators, requantization) are int8's: a float model is split by rows only."""
    module = tinyir.import_model(float_models.float_rows_chain())
    tinyir.run_pipeline(module, "fuse,partial-exec{rows=false},arena-alloc")
    assert not any(isinstance(op, tiny.TileLoopOp) for op in module.walk())


@pytest.mark.parametrize("build", [float_models.float_cnn, float_models.float_rows_chain])
def test_executor_matches_tflite_micro(build):
    pytest.importorskip("tflite_micro")
    from tinyir.testing.tflm import tflm_run

    data = build()
    module = tinyir.import_model(data)
    for seed in range(3):
        x = _inputs(module, seed)
        for ours, theirs in zip(tinyir.execute(module, x), tflm_run(data, x)):
            assert theirs.dtype == np.float32
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5 * np.abs(theirs).max())


@pytest.mark.parametrize("name", ["cnn", "mlp_head", "odds_and_ends"])
def test_compiled_c_matches_onnxruntime(name):
    pytest.importorskip("onnxruntime")
    from tinyir.frontends.onnx import import_onnx
    from tinyir.testing.ort import ir_inputs, ort_run

    data = dict(onnx_models.float_models(14))[name]
    tensor_map: dict = {}
    module = import_onnx(data, tensor_map=tensor_map)
    tinyir.run_pipeline(module, FULL)
    for feeds in onnx_models.calibration(data, count=2, seed=5):
        for ours, theirs in zip(execute_c(module, ir_inputs(tensor_map, feeds)), ort_run(data, feeds).values()):
            np.testing.assert_allclose(ours, theirs.reshape(ours.shape), rtol=1e-5, atol=1e-5 * np.abs(theirs).max())


@pytest.mark.parametrize("name", ["float_cnn", "onnx_cnn", "resnet8_fp32"])
def test_runs_in_qemu_exact(name, tmp_path):
    """--fuse --partial-exec --arena-alloc -t c, cross-compiled for Cortex-M4
    (FPU, no FMA contraction) and run in QEMU: the executor's bytes."""
    from tinyir.backends.cortex_m import build as cortex_m

    if cortex_m.missing_tools():
        pytest.skip(f"{' and '.join(cortex_m.missing_tools())} not on PATH")
    module, inputs, before = _compiled(name, FULL)
    assert any(isinstance(op, tiny.TileLoopOp) for op in module.walk())
    built = cortex_m.build_model(module, tmp_path, "m", cortex_m.RUN_CPU)
    for x, expected in zip(inputs, before):
        result = cortex_m.run(built.elf, inputs={"in.bin": b"".join(a.tobytes() for a in x)}, outputs=["out.bin"],
                              timeout=300)
        assert result.returncode == 0, result.stderr.decode()
        assert result.outputs["out.bin"] == b"".join(e.tobytes() for e in expected)
