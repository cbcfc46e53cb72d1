"""The ONNX frontend on models it has never seen: small float models built
with onnx.helper (opsets 8 to 21), the same made int8 by onnxruntime's static
quantizer (QDQ and QOperator), hand-written quantized models; the API and the
tools on .onnx files; errors.

Tolerances (docs/ONNX.md): float within 1e-5 of onnxruntime; quantized
within 1 int8 step of onnxruntime per layer, and the same top-1 class.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tinyir
from tinyir.frontends.onnx import import_onnx
from tinyir.testing import onnx_models
from tinyir.testing.ort import ir_inputs, ort_run, per_layer_diff

pytest.importorskip("onnxruntime")


def imported(data: bytes):
    tensor_map: dict = {}
    return import_onnx(data, tensor_map=tensor_map), tensor_map


def compare_float(data: bytes, feeds_list) -> None:
    module, tensor_map = imported(data)
    for feeds in feeds_list:
        ours = tinyir.execute(module, ir_inputs(tensor_map, feeds))
        for a, b in zip(ours, ort_run(data, feeds).values()):
            np.testing.assert_allclose(a, b.reshape(a.shape), rtol=1e-5, atol=1e-5 * np.abs(b).max())


def compare_quantized(data: bytes, feeds_list) -> dict[str, int]:
    module, tensor_map = imported(data)
    worst: dict[str, int] = {}
    for feeds in feeds_list:
        for name, diff in per_layer_diff(module, tensor_map, data, feeds).items():
            worst[name] = max(worst.get(name, 0), diff)
        ours = tinyir.execute(module, ir_inputs(tensor_map, feeds))
        for a, b in zip(ours, ort_run(data, feeds).values()):
            assert a.argmax() == b.argmax()
    assert worst and max(worst.values()) <= 1, worst
    return worst


FLOAT_MODELS = [onnx_models.cnn, onnx_models.mlp_head, onnx_models.branches, onnx_models.odds_and_ends,
                onnx_models.torch_export]


@pytest.mark.parametrize("opset", [8, 11, 13, 18, 21])
@pytest.mark.parametrize("build", FLOAT_MODELS, ids=lambda f: f.__name__)
def test_float_models_match_onnxruntime(build, opset):
    data = build(opset)
    compare_float(data, onnx_models.calibration(data, count=2, seed=11))
    assert "tiny.transpose" not in tinyir.print_ir(import_onnx(data))


@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
@pytest.mark.parametrize("build", FLOAT_MODELS, ids=lambda f: f.__name__)
def test_onnxruntime_quantized_models_within_one_step(build, fmt):
    model = build(14)
    data = onnx_models.ort_quantized(model, fmt)
    compare_quantized(data, onnx_models.calibration(model, count=2, seed=11))


@pytest.mark.parametrize("opset", [8, 21])
def test_onnxruntime_qdq_at_other_opsets(opset):
    model = onnx_models.cnn(opset)
    compare_quantized(onnx_models.ort_quantized(model, "QDQ"), onnx_models.calibration(model, count=2, seed=11))


def test_per_tensor_qdq():
    model = onnx_models.cnn(13)
    data = onnx_models.ort_quantized(model, "QDQ", per_channel=False)
    compare_quantized(data, onnx_models.calibration(model, count=2, seed=11))


def test_hand_written_quantized_models():
    rng = np.random.default_rng(0)
    qdq = onnx_models.hand_qdq()
    feeds = [{"input": rng.integers(-128, 128, (1, 4, 4, 2), dtype=np.int8)} for _ in range(3)]
    assert len(compare_quantized(qdq, feeds)) >= 3
    qop = onnx_models.hand_qoperator()
    feeds = [{"x": rng.uniform(-2.5, 2.5, (1, 2, 5, 5)).astype(np.float32)} for _ in range(3)]
    assert len(compare_quantized(qop, feeds)) >= 4


def test_uint8_input_is_int8_shifted():
    """A uint8 input becomes int8 (x - 128) with zero point - 128: exactly the same values."""
    from onnx import TensorProto

    b = onnx_models.Builder()
    x = b.input("x", (1, 6), TensorProto.UINT8)
    s, z = b.const(np.float32(0.1)), b.const(np.uint8(100))
    y = b.node("Relu", [b.node("DequantizeLinear", [x, s, z])])
    data = b.model([b.node("QuantizeLinear", [y, s, z])], elem=TensorProto.UINT8)
    module, tensor_map = imported(data)
    assert tensor_map["x"].type.quant.zp == -28
    u = np.array([[0, 50, 99, 100, 101, 255]], np.uint8)
    (ours,) = tinyir.execute(module, ir_inputs(tensor_map, {"x": u}))
    (theirs,) = ort_run(data, {"x": u}).values()
    assert np.array_equal(ours.astype(np.int16) + 128, theirs)


def test_generated_int8_model_through_c():
    from tinyir.api import execute_c

    module = import_onnx(onnx_models.ort_quantized(onnx_models.cnn(13), "QOperator"))
    inputs = tinyir.random_inputs(module)
    expected = tinyir.execute(module, inputs)
    tinyir.run_pipeline(module, "fuse,arena-alloc")
    assert all(np.array_equal(a, b) for a, b in zip(execute_c(module, inputs), expected))


@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
def test_a_pytorch_style_export_through_c(fmt):
    """Constant nodes (0-d, 1-D) and `x.view(x.size(0), -1)`'s shape
    computation fold at import; the int8 model compiles and runs in C."""
    from tinyir.api import execute_c

    module = import_onnx(onnx_models.ort_quantized(onnx_models.torch_export(), fmt))
    text = tinyir.print_ir(module)
    assert "tiny.fully_connected" in text and "tiny.transpose" not in text
    inputs = tinyir.random_inputs(module)
    expected = tinyir.execute(module, inputs)
    tinyir.run_pipeline(module, "fuse,partial-exec,reorder,arena-alloc")
    assert all(np.array_equal(a, b) for a, b in zip(execute_c(module, inputs), expected))


def test_unsorted_nodes_are_sorted():
    data = onnx_models.broken("unsorted")
    compare_float(data, [{"x": np.linspace(-3, 3, 4, dtype=np.float32).reshape(1, 4)}])


@pytest.mark.parametrize(
    "name, message",
    [
        ("unsupported", "unsupported ONNX operator Tanh (Tanh node 'the_tanh')"),
        ("dynamic", "graph input 'x' has a dynamic dimension 'height' (dimension 2)"),
        ("dynamic_reshape", "graph input 'shape' has element type int64"),
        ("opset7", "unsupported ONNX opset 7 (tinyir reads opsets 8 to 21)"),
        ("opset22", "unsupported ONNX opset 22 (tinyir reads opsets 8 to 21)"),
        ("external", "tensor 'offsets' keeps its data in the external file 'weights.bin'"),
    ],
)
def test_errors(name, message):
    with pytest.raises(tinyir.TinyIRError) as e:
        import_onnx(onnx_models.broken(name))
    assert message in str(e.value) and "\n" not in str(e.value)


def test_external_data_read_beside_the_model(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(onnx_models.broken("external"))
    with pytest.raises(tinyir.TinyIRError, match="external data file 'weights.bin' of tensor 'offsets' is missing"):
        tinyir.import_model(path)
    (tmp_path / "weights.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
    module = tinyir.import_model(path)
    (y,) = tinyir.execute(module, [np.ones((1, 4), np.float32)])
    assert y.tolist() == [[1, 2, 3, 4]]


def test_non_constant_operands_are_refused():
    b = onnx_models.Builder()
    x, w = b.input("x", (1, 4)), b.input("w", (4, 3))
    with pytest.raises(tinyir.TinyIRError, match=r"MatMul node .*: only a constant right-hand side"):
        import_onnx(b.model([b.node("MatMul", [x, w])]))


# -- API and tools -----------------------------------------------------------------


def test_import_model_detects_onnx_bytes_and_files(tmp_path):
    data = onnx_models.cnn(13)
    assert tinyir.print_ir(tinyir.import_model(data)) == tinyir.print_ir(import_onnx(data))
    path = tmp_path / "cnn.onnx"
    path.write_bytes(data)
    assert tinyir.print_ir(tinyir.import_model(path)) == tinyir.print_ir(import_onnx(data))


def test_quantize_with_calibration_file(tmp_path):
    model = onnx_models.cnn(13)
    path = tmp_path / "cnn.onnx"
    path.write_bytes(model)
    samples = np.stack([f["image"][0] for f in onnx_models.calibration(model, count=6)])
    np.save(tmp_path / "calib.npy", samples)  # [N, C, H, W]: the model's own layout
    module = tinyir.import_model(path, quantize=tmp_path / "calib.npy")
    text = tinyir.print_ir(module)
    assert "tiny.quantize" in text and "xf32>" not in text.split("tiny.quantize")[1].split("tiny.dequantize")[0]
    np.savez(tmp_path / "calib.npz", image=samples)
    assert tinyir.print_ir(tinyir.import_model(path, quantize=str(tmp_path / "calib.npz"))) == text
    with pytest.raises(tinyir.TinyIRError, match="calibration data for input 'image' has shape"):
        tinyir.import_model(path, quantize={"image": samples[:, :2]})
    with pytest.raises(tinyir.TinyIRError, match="--quantize needs a float model: this one is quantized already"):
        tinyir.import_model(onnx_models.hand_qoperator(), quantize="random")


def run_tool(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from tinyir.tools.{} import main; sys.argv[0] = '{}'; sys.exit(main())"
    tool = "opt" if args[0] == "tinyir-opt" else "run"
    return subprocess.run([sys.executable, "-c", code.format(tool, args[0]), *args[1:]],
                          capture_output=True, text=True, timeout=120)


def test_tools_on_onnx(tmp_path):
    path = tmp_path / "cnn.onnx"
    path.write_bytes(onnx_models.cnn(13))
    done = run_tool("tinyir-run", str(path), "--quantize", "random", "--fuse")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("warning: --quantize=random calibrates on random noise")
    assert "output 0: [1, 10] float32 checksum" in done.stdout
    done = run_tool("tinyir-opt", str(path), "--strip-names")
    assert done.returncode == 0 and "tiny.conv_2d" in done.stdout
    (tmp_path / "bad.onnx").write_bytes(onnx_models.broken("unsupported"))
    done = run_tool("tinyir-opt", str(tmp_path / "bad.onnx"))
    assert done.returncode == 1 and done.stderr == f"error: {tmp_path / 'bad.onnx'}: unsupported ONNX operator Tanh (Tanh node 'the_tanh')\n"


def _with_constant(**value) -> bytes:
    """onnx_models.cnn() with its Add's second input a Constant node's output."""
    import onnx
    from onnx import helper

    model = onnx.load_model_from_string(onnx_models.cnn())
    model.graph.node.insert(0, helper.make_node("Constant", [], ["k"], name="k", **value))
    next(n for n in model.graph.node if n.op_type == "Add").input[1] = "k"
    return model.SerializeToString()


@pytest.mark.parametrize("value", [
    {"value": np.array(0.75, np.float32)},  # 0-d: PyTorch's exports (a traceback before)
    {"value": np.full((1, 8, 1, 1), 0.75, np.float32)},
    {"value_float": 0.75},
    {"value_floats": [0.75]},
], ids=["0-d", "4-d", "value_float", "value_floats"])
def test_constant_nodes_in_every_numeric_form(value):
    from onnx import numpy_helper

    key, v = next(iter(value.items()))
    data = _with_constant(**{key: numpy_helper.from_array(v) if isinstance(v, np.ndarray) else v})
    compare_float(data, onnx_models.calibration(data, count=2))


@pytest.mark.parametrize("value, message", [
    ({"value_string": "x"}, "'value_string' constants are not supported"),
    ({"value_float": 1.0, "value_int": 1}, r"must have exactly one value attribute, got \['value_float', 'value_int'\]"),
])
def test_constant_nodes_tinyir_cannot_use_are_refused(value, message):
    with pytest.raises(tinyir.TinyIRError, match=f"Constant node 'k': {message}"):
        imported(_with_constant(**value))


def test_a_dynamically_quantized_model_is_refused_with_what_to_do(tmp_path):
    from onnxruntime.quantization import quantize_dynamic

    (tmp_path / "f.onnx").write_bytes(onnx_models.mlp_head())
    quantize_dynamic(str(tmp_path / "f.onnx"), str(tmp_path / "q.onnx"))
    with pytest.raises(tinyir.TinyIRError, match=r"unsupported ONNX operator DynamicQuantizeLinear .*quantize_dynamic"
                                                 r".*quantize it statically instead, e.g. .* --quantize calib.npz"):
        tinyir.import_model(tmp_path / "q.onnx")


def test_a_batch_is_warned_about_and_set_with_batch(tmp_path, capsys):
    """A model exported with a batch of 4 compiles with it, with a warning
    (the arena holds the whole batch); --batch 1 compiles it for one input:
    the same numbers for that input."""
    import onnx

    model = onnx.load_model_from_string(onnx_models.cnn())
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 4
    path = tmp_path / "batch4.onnx"
    path.write_bytes(model.SerializeToString())
    four = tinyir.import_model(path)
    assert "graph input 'image' has a batch of 4" in capsys.readouterr().err
    one = tinyir.import_model(path, batch=1)
    assert capsys.readouterr().err == ""
    (x,) = tinyir.random_inputs(four, seed=2)
    assert np.allclose(tinyir.execute(one, [x[:1]])[0], tinyir.execute(four, [x])[0][:1], rtol=1e-6, atol=1e-6)
    with pytest.raises(tinyir.TinyIRError, match="--batch must be in 1..65536, got 0"):
        tinyir.import_model(path, batch=0)
