"""Tests of the TFLite builder and the generated models (example, single-op,
random CNNs), with TensorFlow Lite Micro as the judge."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tflite

from tinyir.example_model import example_model_case, make_example_model
from tinyir.example_model import main as example_main
from tinyir.testing.models import ModelCase, random_cnn, random_cnn_case, single_op_cases, single_op_models
from tinyir.testing.tflite_builder import ModelBuildError, TFLiteBuilder
from tinyir.testing.tflm import tflm_run

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")

RANDOM_CNN_SEEDS = range(12)
OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}


# ---------------------------------------------------------------- helpers

def tflm_all_tensors(data: bytes, inputs: list[np.ndarray]) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Run in TFLite Micro keeping every tensor: (outputs, activations by name)."""
    interp = runtime.Interpreter.from_bytes(
        data, arena_size=4 << 20, intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    for i, x in enumerate(inputs):
        interp.set_input(x, i)
    interp.invoke()
    sg = tflite.Model.GetRootAsModel(data, 0).Subgraphs(0)
    outputs = [np.array(interp.get_output(i)) for i in range(sg.OutputsLength())]
    tensors = {sg.Tensors(i).Name().decode(): interp.GetTensor(i, 0)["tensor_data"]
               for i in range(sg.TensorsLength()) if sg.Tensors(i).Buffer() == 0}
    return outputs, tensors


def declared_outputs(data: bytes) -> list[tuple[tuple[int, ...], int]]:
    """(shape, TensorType) of each model output as written in the flatbuffer."""
    sg = tflite.Model.GetRootAsModel(data, 0).Subgraphs(0)
    return [(tuple(sg.Tensors(i).ShapeAsNumpy()), sg.Tensors(i).Type()) for i in sg.OutputsAsNumpy()]


_NP_TYPE = {tflite.TensorType.INT8: np.int8, tflite.TensorType.FLOAT32: np.float32, tflite.TensorType.INT32: np.int32}


def assert_outputs_match_declaration(data: bytes, outputs: list[np.ndarray]) -> None:
    declared = declared_outputs(data)
    assert len(outputs) == len(declared)
    for out, (shape, ttype) in zip(outputs, declared):
        assert out.shape == shape
        assert out.dtype == _NP_TYPE[ttype]


def assert_close_to_reference(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """int8: at most 1 LSB apart (rounding); float: equal to float32 precision."""
    assert got.shape == want.shape and got.dtype == want.dtype, what
    if want.dtype == np.int8:
        diff = np.abs(got.astype(np.int32) - want.astype(np.int32)).max()
        assert diff <= 1, f"{what}: {diff} LSB from the reference"
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=what)


def check_layer_by_layer(case: ModelCase, rng: np.random.Generator) -> None:
    """Every activation TFLite Micro computes is within rounding of the
    reference evaluated on TFLite Micro's own inputs to that operator."""
    inputs = case.random_inputs(rng)
    outputs, tensors = tflm_all_tensors(case.data, inputs)
    assert_outputs_match_declaration(case.data, outputs)
    reference = case.reference_tensors(inputs, given=tensors)
    assert set(reference) <= set(tensors)
    for name, want in reference.items():
        assert_close_to_reference(tensors[name], want, f"{case.name}: tensor {name}")


def operators(data: bytes):
    """(op name, input tensors, output tensors) of each operator."""
    model = tflite.Model.GetRootAsModel(data, 0)
    sg = model.Subgraphs(0)
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        ins = [sg.Tensors(j) if j >= 0 else None for j in op.InputsAsNumpy()]
        outs = [sg.Tensors(j) for j in op.OutputsAsNumpy()]
        yield OP_NAMES[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())], ins, outs


def tensor_scales(t) -> np.ndarray:
    return t.Quantization().ScaleAsNumpy()


# ---------------------------------------------------------------- builder

def tiny_conv_model(**conv_options) -> tuple[TFLiteBuilder, dict]:
    b = TFLiteBuilder()
    x = b.input("x", (1, 4, 4, 2), scale=0.5, zero_point=3)
    w = b.const("w", np.ones((3, 3, 3, 2), np.int8), scales=[0.1, 0.2, 0.3])
    bias = b.const("b", np.zeros(3, np.int32), scales=[0.05, 0.1, 0.15])
    return b, dict(x=x, w=w, bias=bias)


def test_builder_layout_matches_converter():
    b, t = tiny_conv_model()
    y = b.tensor("y", (1, 2, 2, 3), scale=0.25, zero_point=-128)
    b.op("CONV_2D", [t["x"], t["w"], t["bias"]], [y], stride=2, activation="RELU6")
    z = b.tensor("z", (1, 12), scale=0.25, zero_point=-128)
    b.op("RESHAPE", [y, b.const("shape", np.array([1, 12], np.int32))], [z], new_shape=[1, 12])
    b.output(z)
    data = b.finish()

    assert data[4:8] == b"TFL3"
    model = tflite.Model.GetRootAsModel(data, 0)
    assert model.Version() == 3
    assert model.Buffers(0).DataLength() == 0
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        assert code.DeprecatedBuiltinCode() == min(code.BuiltinCode(), 127)
    assert [name for name, _, _ in operators(data)] == ["CONV_2D", "RESHAPE"]
    sg = model.Subgraphs(0)
    for i in range(sg.TensorsLength()):
        buf = model.Buffers(sg.Tensors(i).Buffer())
        if buf.DataLength():
            assert buf._tab.Vector(buf._tab.Offset(4)) % 16 == 0, "constant data not 16-byte aligned"
    w = sg.Tensors(t["w"].index)
    assert list(tensor_scales(w)) == pytest.approx([0.1, 0.2, 0.3])
    assert list(w.Quantization().ZeroPointAsNumpy()) == [0, 0, 0]
    conv = sg.Operators(0)
    assert conv.BuiltinOptionsType() == tflite.BuiltinOptions.Conv2DOptions
    opts = tflite.Conv2DOptions()
    opts.Init(conv.BuiltinOptions().Bytes, conv.BuiltinOptions().Pos)
    assert (opts.StrideH(), opts.StrideW(), opts.Padding()) == (2, 2, tflite.Padding.SAME)
    assert opts.FusedActivationFunction() == tflite.ActivationFunctionType.RELU6
    # and TFLite Micro agrees with the layout
    out = tflm_run(data, [np.zeros((1, 4, 4, 2), np.int8)])[0]
    assert out.shape == (1, 12) and out.dtype == np.int8


def read_options(data: bytes, index: int):
    """The decoded builtin options table of operator ``index``."""
    op = tflite.Model.GetRootAsModel(data, 0).Subgraphs(0).Operators(index)
    member = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}
    table = getattr(tflite, member[op.BuiltinOptionsType()])()
    table.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
    return table


def test_builder_writes_options_tflite_micro_ignores():
    """Options that TFLite Micro does not need (it takes output shapes from
    the model) must still be right for other readers, tinyir's frontend first."""
    b = TFLiteBuilder()
    x = b.input("x", (1, 4, 6, 8), scale=0.5, zero_point=1)
    fc = b.tensor("fc", (1, 4, 6, 3), scale=0.5, zero_point=1)
    b.op("FULLY_CONNECTED", [x, b.const("w", np.ones((3, 8), np.int8), scales=0.1), None], [fc],
         keep_num_dims=True, activation="RELU")
    dw = b.tensor("dw", (1, 4, 6, 6), scale=0.5, zero_point=1)
    b.op("DEPTHWISE_CONV_2D", [fc, b.const("k", np.ones((1, 3, 3, 6), np.int8), scales=0.1)], [dw],
         depth_multiplier=2)
    mean = b.tensor("mean", (1, 6), scale=0.5, zero_point=1)
    b.op("MEAN", [dw, b.const("axes", np.array([1, 2], np.int32))], [mean], keep_dims=False)
    flat = b.tensor("flat", (2, 3), scale=0.5, zero_point=1)
    b.op("RESHAPE", [mean], [flat], new_shape=[2, -1])
    cat = b.tensor("cat", (2, 6), scale=0.5, zero_point=1)
    b.op("CONCATENATION", [flat, flat], [cat], axis=-1)
    b.output(cat)
    data = b.finish()
    assert read_options(data, 0).KeepNumDims() is True
    assert read_options(data, 1).DepthMultiplier() == 2
    assert read_options(data, 2).KeepDims() is False
    assert list(read_options(data, 3).NewShapeAsNumpy()) == [2, -1]
    assert read_options(data, 4).Axis() == -1
    out = tflm_run(data, [np.ones((1, 4, 6, 8), np.int8)])[0]
    assert out.shape == (2, 6)


def test_builder_rejects_wrong_output_shape():
    b, t = tiny_conv_model()
    y = b.tensor("y", (1, 4, 4, 3), scale=0.25, zero_point=-128)
    with pytest.raises(ModelBuildError, match="output shapes"):
        b.op("CONV_2D", [t["x"], t["w"], t["bias"]], [y], stride=2)


def test_builder_rejects_unknown_option():
    b, t = tiny_conv_model()
    y = b.tensor("y", (1, 4, 4, 3), scale=0.25, zero_point=-128)
    with pytest.raises(TypeError):
        b.op("CONV_2D", [t["x"], t["w"], t["bias"]], [y], strides=1)


def test_builder_rejects_out_of_order_operators():
    b, t = tiny_conv_model()
    never_written = b.tensor("h", (1, 4, 4, 2), scale=0.5, zero_point=3)
    y = b.tensor("y", (1, 4, 4, 3), scale=0.25, zero_point=-128)
    with pytest.raises(ModelBuildError, match="no value yet"):
        b.op("CONV_2D", [never_written, t["w"], t["bias"]], [y])


def test_builder_enforces_int8_quantization_rules():
    b = TFLiteBuilder()
    x1 = b.input("x1", (1, 2, 2, 1), scale=0.5, zero_point=0)
    x2 = b.input("x2", (1, 2, 2, 1), scale=0.25, zero_point=0)
    cat = b.tensor("cat", (1, 2, 2, 2), scale=0.5, zero_point=0)
    with pytest.raises(ModelBuildError, match="CONCATENATION"):
        b.op("CONCATENATION", [x1, x2], [cat], axis=3)
    sig = b.tensor("sig", (1, 2, 2, 1), scale=0.5, zero_point=0)
    with pytest.raises(ModelBuildError, match="LOGISTIC"):
        b.op("LOGISTIC", [x1], [sig])
    pooled = b.tensor("pool", (1, 1, 1, 1), scale=0.25, zero_point=0)
    with pytest.raises(ModelBuildError, match="AVERAGE_POOL_2D"):
        b.op("AVERAGE_POOL_2D", [x1], [pooled], filter=2, stride=2)


def test_builder_rejects_omitted_depthwise_bias():
    """TFLite Micro segfaults on a DEPTHWISE_CONV_2D whose bias is index -1."""
    b = TFLiteBuilder()
    x = b.input("x", (1, 4, 4, 2), scale=0.5, zero_point=0)
    k = b.const("k", np.ones((1, 3, 3, 2), np.int8), scales=0.1)
    y = b.tensor("y", (1, 4, 4, 2), scale=0.5, zero_point=0)
    with pytest.raises(ModelBuildError, match="bias"):
        b.op("DEPTHWISE_CONV_2D", [x, k, None], [y])
    b.op("DEPTHWISE_CONV_2D", [x, k], [y])  # two inputs: fine


def test_builder_requires_an_output():
    b, _ = tiny_conv_model()
    with pytest.raises(ModelBuildError):
        b.finish()


# ---------------------------------------------------------------- single-op models

SINGLE_OP_CASES = list(single_op_cases())


def test_single_op_models_cover_the_operator_set():
    seen = {name for _, data in single_op_models() for name, _, _ in operators(data)}
    assert seen == {
        "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MUL", "AVERAGE_POOL_2D",
        "MAX_POOL_2D", "MEAN", "PAD", "PADV2", "RESHAPE", "SOFTMAX", "LOGISTIC", "HARD_SWISH",
        "CONCATENATION", "TRANSPOSE", "QUANTIZE", "DEQUANTIZE", "RELU", "RELU6",
        "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND",
        "SQUEEZE", "EXPAND_DIMS", "SLICE", "STRIDED_SLICE", "SPLIT", "SPLIT_V", "SHAPE", "PACK", "UNPACK",
        "SUB", "MINIMUM", "MAXIMUM", "SQUARED_DIFFERENCE", "PRELU", "LEAKY_RELU", "TANH", "LOG_SOFTMAX", "ARG_MAX"}


@pytest.mark.parametrize("case", SINGLE_OP_CASES, ids=lambda c: c.name)
def test_single_op_model_runs_and_matches_reference(case: ModelCase):
    rng = np.random.default_rng(1234)
    for _ in range(3):
        inputs = case.random_inputs(rng)
        outputs = tflm_run(case.data, inputs)
        assert_outputs_match_declaration(case.data, outputs)
        for got, want in zip(outputs, case.reference(inputs)):
            assert_close_to_reference(got, want, case.name)


# ---------------------------------------------------------------- random CNNs

@pytest.mark.parametrize("seed", RANDOM_CNN_SEEDS)
def test_random_cnn_runs_and_matches_reference_layer_by_layer(seed):
    case = random_cnn_case(seed)
    assert case.data == random_cnn(seed), "random_cnn must be deterministic in its seed"
    check_layer_by_layer(case, np.random.default_rng(seed))


def test_random_cnns_differ_and_cover_the_family():
    models = [random_cnn(seed) for seed in RANDOM_CNN_SEEDS]
    assert len(set(models)) == len(models)
    seen = {name for data in models for name, _, _ in operators(data)}
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MUL", "CONCATENATION",
            "LOGISTIC", "MEAN", "QUANTIZE", "DEQUANTIZE"} <= seen
    input_types = {tflite.Model.GetRootAsModel(d, 0).Subgraphs(0).Tensors(0).Type() for d in models}
    assert input_types == {tflite.TensorType.INT8, tflite.TensorType.FLOAT32}


# ---------------------------------------------------------------- example model

@pytest.fixture(scope="module")
def example() -> ModelCase:
    return example_model_case(0)


def test_example_model_runs_with_expected_io(example):
    assert make_example_model(0) == example.data
    rng = np.random.default_rng(0)
    outputs = tflm_run(example.data, example.random_inputs(rng))
    assert_outputs_match_declaration(example.data, outputs)
    assert outputs[0].shape == (1, 10) and outputs[0].dtype == np.int8
    sg = tflite.Model.GetRootAsModel(example.data, 0).Subgraphs(0)
    image = sg.Tensors(sg.Inputs(0))
    assert tuple(image.ShapeAsNumpy()) == (1, 64, 64, 3) and image.Type() == tflite.TensorType.INT8


def test_example_model_output_depends_on_input(example):
    rng = np.random.default_rng(42)
    outputs = [tflm_run(example.data, example.random_inputs(rng))[0] for _ in range(8)]
    assert len({o.tobytes() for o in outputs}) >= 6, "outputs (nearly) constant across inputs"
    assert len({int(o.argmax()) for o in outputs}) >= 2, "the classifier always picks the same class"


def test_example_model_matches_reference_layer_by_layer(example):
    check_layer_by_layer(example, np.random.default_rng(7))


def test_example_model_follows_converter_quantization(example):
    data = example.data
    names = [name for name, _, _ in operators(data)]
    assert names.count("DEPTHWISE_CONV_2D") == 3 and "ADD" in names
    assert names[-4:] == ["AVERAGE_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"]
    for name, ins, outs in operators(data):
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            x, w, b = ins
            assert w.Type() == tflite.TensorType.INT8 and b.Type() == tflite.TensorType.INT32
            assert not w.Quantization().ZeroPointAsNumpy().any()
            w_scales = tensor_scales(w)
            channels = w.ShapeAsNumpy()[w.Quantization().QuantizedDimension()]
            assert len(w_scales) == (1 if name == "FULLY_CONNECTED" else channels)
            np.testing.assert_allclose(tensor_scales(b), tensor_scales(x)[0] * w_scales, rtol=1e-6)
        if name == "SOFTMAX":
            q = outs[0].Quantization()
            assert (q.Scale(0), q.ZeroPoint(0)) == (1 / 256, -128)


def test_example_model_cli(tmp_path):
    out = tmp_path / "example.tflite"
    example_main([str(out), "--seed", "3"])
    assert out.read_bytes() == make_example_model(3)
    assert make_example_model(3) != make_example_model(0)
    out2 = tmp_path / "cli.tflite"
    subprocess.run([sys.executable, "-m", "tinyir.example_model", str(out2)], check=True,
                   capture_output=True)
    assert out2.read_bytes() == make_example_model(0)
