"""End to end over the real ONNX models in ../shared/models/onnx (skipped when absent).

* every model imports, verifies, prints and parses back, with no transpose;
* tf2onnx_*_qdq.onnx: bit-exact with TensorFlow Lite Micro on the .tflite it
  was converted from;
* the other quantized models: within 1 int8 step of onnxruntime layer by
  layer (each layer fed onnxruntime's inputs), and the same top-1 class;
* float models: onnxruntime (and mnist-8's reference outputs) to 1e-5;
* the int8 models through `fuse,arena-alloc` and compiled C: bit-exact with
  the reference executor.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import MODELS, input_sets

import tinyir
from tinyir.frontends.onnx import import_onnx

ONNX = MODELS / "onnx"


def onnx_models() -> list[str]:
    return sorted(p.name for p in ONNX.glob("*.onnx")) if ONNX.is_dir() else []


def params(predicate=lambda name: True):
    names = [n for n in onnx_models() if predicate(n)]
    if not names:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no shared ONNX models at {ONNX}"))]
    return [pytest.param(n, id=n.removesuffix(".onnx")) for n in names]


def is_tf2onnx_qdq(name: str) -> bool:
    return name.startswith("tf2onnx_") and name.endswith("_qdq.onnx")


def is_float(name: str) -> bool:
    return "fp32" in name or "mnist" in name


_CACHE: dict[str, tuple] = {}


def load(name: str):
    """(onnx bytes, module, tensor map) of a shared model, imported once per session."""
    if name not in _CACHE:
        data = (ONNX / name).read_bytes()
        tensor_map: dict = {}
        _CACHE[name] = data, import_onnx(data, tensor_map=tensor_map), tensor_map
    return _CACHE[name]


def quantized_input_feeds(data: bytes, count: int) -> list[dict[str, np.ndarray]]:
    """Inputs for a model whose float input goes into a QuantizeLinear:
    uniform over 90% of what that quantization represents (seeded)."""
    import onnx
    from onnx import numpy_helper

    from tinyir.testing.ort import graph_inputs

    proto = onnx.load_model_from_string(data)
    inits = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    rng = np.random.default_rng(7)
    feeds = [{} for _ in range(count)]
    for name, shape, dtype in graph_inputs(data):
        lo, hi = -1.0, 1.0
        frontier = {name}
        for node in proto.graph.node:  # the first QuantizeLinear downstream of the input
            if frontier & set(node.input):
                if node.op_type == "QuantizeLinear":
                    scale, zp = inits[node.input[1]], inits[node.input[2]]
                    info = np.iinfo(zp.dtype)
                    lo, hi = float(scale) * (info.min - int(zp)), float(scale) * (info.max - int(zp))
                    break
                frontier |= set(node.output)
        for f in feeds:
            f[name] = rng.uniform(0.9 * lo, 0.9 * hi, shape).astype(dtype)
    return feeds


@pytest.mark.parametrize("name", params())
def test_imports_without_transposes(name):
    _, module, _ = load(name)
    text = tinyir.print_ir(module)
    assert tinyir.print_ir(tinyir.parse_ir(text)) == text
    assert "tiny.transpose" not in text  # NCHW is NHWC; Transpose pairs cancel


@pytest.mark.parametrize("name", params(is_tf2onnx_qdq))
def test_tf2onnx_qdq_bit_exact_with_tflite_micro(name):
    from tinyir.testing.tflm import max_abs_diff, tflm_run

    tflite = MODELS / (name.removeprefix("tf2onnx_").removesuffix("_qdq.onnx") + ".tflite")
    if not tflite.is_file():
        pytest.skip(f"{tflite.name} (the model {name} was converted from) not found")
    _, module, _ = load(name)
    for inputs in input_sets(module, count=2):
        assert max_abs_diff(tinyir.execute(module, inputs), tflm_run(tflite.read_bytes(), inputs)) == 0


@pytest.mark.parametrize("name", params(lambda n: not is_tf2onnx_qdq(n) and not is_float(n)))
def test_quantized_within_one_step_per_layer_of_onnxruntime(name):
    pytest.importorskip("onnxruntime")
    from tinyir.testing.ort import ir_inputs, ort_run, per_layer_diff

    data, module, tensor_map = load(name)
    for feeds in quantized_input_feeds(data, 3):
        diffs = per_layer_diff(module, tensor_map, data, feeds)
        assert len(diffs) >= 8 and max(diffs.values()) <= 1, diffs
        (ours,), (theirs,) = tinyir.execute(module, ir_inputs(tensor_map, feeds)), ort_run(data, feeds).values()
        assert ours.argmax() == theirs.argmax()


@pytest.mark.parametrize("name", params(lambda n: is_float(n) and "mnist" not in n))
def test_float_matches_onnxruntime(name):
    pytest.importorskip("onnxruntime")
    from tinyir.testing.ort import graph_inputs, ir_inputs, ort_run

    data, module, tensor_map = load(name)
    rng = np.random.default_rng(3)
    for _ in range(3):
        feeds = {n: rng.uniform(0, 255, s).astype(d) for n, s, d in graph_inputs(data)}
        (ours,), (theirs,) = tinyir.execute(module, ir_inputs(tensor_map, feeds)), ort_run(data, feeds).values()
        np.testing.assert_allclose(ours, theirs.reshape(ours.shape), rtol=1e-5, atol=1e-5 * np.abs(theirs).max())


@pytest.mark.parametrize("name", params(lambda n: "mnist" in n))
def test_mnist_reproduces_its_reference_outputs(name):
    import onnx
    from onnx import numpy_helper

    from tinyir.testing.ort import ir_inputs

    _, module, tensor_map = load(name)
    cases = sorted((ONNX / "testdata" / name.removesuffix(".onnx")).glob("*/input_0.pb"))
    if not cases:
        pytest.skip("no mnist-8 test data")
    for case in cases:
        x = numpy_helper.to_array(onnx.load_tensor(str(case)))
        expected = numpy_helper.to_array(onnx.load_tensor(str(case.with_name("output_0.pb"))))
        (y,) = tinyir.execute(module, ir_inputs(tensor_map, {"Input3": x}))
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


@pytest.mark.parametrize("name", params(lambda n: not is_float(n)))
def test_int8_through_arena_and_c_bit_exact(name):
    from tinyir.api import execute_c

    data = (ONNX / name).read_bytes()
    module = import_onnx(data)
    (inputs,) = input_sets(module, count=1)[:1]
    expected = tinyir.execute(module, inputs)
    tinyir.run_pipeline(module, "fuse,arena-alloc")
    assert "tiny.transpose" not in tinyir.print_ir(module)
    for ours in (tinyir.execute(module, inputs), execute_c(module, inputs)):
        for a, b in zip(ours, expected):
            assert np.array_equal(a, b)
