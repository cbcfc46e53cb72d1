"""Bad input never gives a traceback, a hang or a silently wrong answer.

Each case here is a class of failure bench/fuzz.py found (mutated .tflite,
.onnx and .mlir files), made again from a small generated model by changing
one field of its flatbuffer in place: the tools must answer with one line
`error: <file>: ...` naming the operator or tensor and the field, exit status 1.
An exception that still escapes is tinyir's own bug: one line `error:
internal error in <stage>: ...`, exit status 2 (the traceback with
--traceback).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import numpy as np
import pytest
import tflite

import tinyir
from tinyir.passes.fuse import FusePass
from tinyir.testing.quantnet import QuantNet
from tinyir.tools import opt

# Table fields by vtable slot (tflite's schema.fbs, 4 + 2 x field number).
OPERATOR_OPCODE_INDEX, OPERATOR_INPUTS, OPERATOR_OUTPUTS, OPERATOR_OPTIONS_TYPE, OPERATOR_OPTIONS = 4, 6, 8, 10, 12
CONV_STRIDE_H, CONV_DILATION_H, DEPTHWISE_MULTIPLIER = 8, 14, 10
TENSOR_SHAPE, TENSOR_QUANTIZATION = 4, 12
QUANT_SCALE, QUANT_ZERO_POINT = 8, 10


def conv_model() -> bytes:
    """A conv, then a depthwise conv: the flatbuffer stores the fields changed
    below (a default value, such as operator #0's opcode index, is left out)."""
    net = QuantNet(seed=0)
    x = net.input("input", (1, 8, 8, 3))
    net.output(net.depthwise_conv2d(net.conv2d(x, 4, 3, dilation=2), 3))
    return net.build("conv").data


def patched(data: bytes, where, value: int, width: int = 4) -> bytes:
    """`data` with the `width` bytes at where(model) set to `value` (little-endian)."""
    position = where(tflite.Model.GetRootAsModel(data, 0))
    out = bytearray(data)
    out[position : position + width] = (value & ((1 << 8 * width) - 1)).to_bytes(width, "little")
    return bytes(out)


def field(table, slot: int) -> int:
    return table._tab.Pos + table._tab.Offset(slot)


def element(table, slot: int, index: int, width: int) -> int:
    return table._tab.Vector(table._tab.Offset(slot)) + index * width


def conv_op(model):
    return model.Subgraphs(0).Operators(0)


def depthwise_op(model):
    return model.Subgraphs(0).Operators(1)


def conv_options(model):
    table = conv_op(model).BuiltinOptions()
    options = tflite.Conv2DOptions()
    options.Init(table.Bytes, table.Pos)
    return options


def depthwise_options(model):
    table = depthwise_op(model).BuiltinOptions()
    options = tflite.DepthwiseConv2DOptions()
    options.Init(table.Bytes, table.Pos)
    return options


def input_tensor(model):
    return model.Subgraphs(0).Tensors(model.Subgraphs(0).Inputs(0))


def conv_bias(model):
    return model.Subgraphs(0).Tensors(conv_op(model).Inputs(2))


def shape_length(tensor) -> int:
    """Where the length of a tensor's shape vector is stored."""
    return tensor._tab.Vector(tensor._tab.Offset(TENSOR_SHAPE)) - 4


CORRUPTIONS = {
    "stride 0": (lambda m: field(conv_options(m), CONV_STRIDE_H), 0, r"CONV_2D \(operator #0\): stride_h must be at least 1, got 0"),
    "dilation 2^31-1": (lambda m: field(conv_options(m), CONV_DILATION_H), 2**31 - 1, r"tiny.conv_2d: padding .* more than 2 GiB"),
    "opcode index past the table": (lambda m: field(depthwise_op(m), OPERATOR_OPCODE_INDEX), 7, r"operator #1 has opcode index 7, the model has 2 operator codes"),
    "input tensor past the list": (lambda m: element(conv_op(m), OPERATOR_INPUTS, 1, 4), 999, r"CONV_2D \(operator #0\) input 1 is tensor #999, the model has \d+ tensors"),
    "options offset out of the file": (lambda m: field(conv_op(m), OPERATOR_OPTIONS), 2**31 - 1, r"corrupt or truncated TFLite file: cannot read CONV_2D \(operator #0\) Conv2DOptions\.\w+\(\)"),
    "zero point 255 on int8": (lambda m: element(input_tensor(m).Quantization(), QUANT_ZERO_POINT, 0, 8), 255, r"zero point \[255\] out of range for i8"),
    "options of another type": (lambda m: field(conv_op(m), OPERATOR_OPTIONS_TYPE), 0, r"CONV_2D \(operator #0\): its builtin options are NONE, not Conv2DOptions"),
    "depth multiplier against the shapes": (lambda m: field(depthwise_options(m), DEPTHWISE_MULTIPLIER), 2, r"DEPTHWISE_CONV_2D \(operator #1\): depth_multiplier 2 disagrees with 4 input and 4 filter channels"),
    "input scale -0.5": (lambda m: element(input_tensor(m).Quantization(), QUANT_SCALE, 0, 4), 0xBF000000, r"tensor 'input' \(#0\): tiny.buffer: an activation's scale must be positive, got -0.5"),
    "a rank-0 constant of 4 values": (lambda m: shape_length(conv_bias(m)), 0, r"tensor 'conv/bias' \(#\d+\) has 16 bytes of data, its shape needs 4"),
    "an output bound to a constant": (lambda m: element(conv_op(m), OPERATOR_OUTPUTS, 0, 4), 2, r"CONV_2D \(operator #0\): output 'conv/bias' \(tensor #2\) is a constant"),
    "shape of 2^40 elements": (lambda m: element(input_tensor(m), TENSOR_SHAPE, 1, 4), 2**30, r"tensor 'input' \(#\d+\) of shape \[1, 1073741824, 8, 3\] is larger than 2 GiB"),
}  # fmt: skip


def run_tool(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", f"tinyir.tools.{tool}", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_a_corrupt_tflite_field_is_one_line_naming_it(case, tmp_path):
    where, value, message = CORRUPTIONS[case]
    path = tmp_path / "bad.tflite"
    width = 8 if "zero point" in case else 1 if "options of" in case else 4  # int64, a ubyte union type, int32
    path.write_bytes(patched(conv_model(), where, value, width))
    result = run_tool("run", str(path), "--fuse", "--partial-exec", "--arena-alloc")
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {path}: ")
    assert re.search(message, result.stderr), result.stderr


def test_the_unpatched_model_runs():
    """The corruptions above are the only thing wrong with their files."""
    module = tinyir.run_pipeline(tinyir.import_model(conv_model(), format="tflite"), "fuse,partial-exec,arena-alloc")
    assert tinyir.execute(module, tinyir.random_inputs(module))


@pytest.mark.parametrize("tail", ['"', '"0x0102', '"abc\\q', '"abc\n"'])
def test_a_bad_string_literal_is_refused_at_once(tail, tmp_path):
    """xDSL's lexer backtracks exponentially on a string literal that does
    not close (a 41-byte file never finished): tinyir checks them first."""
    path = tmp_path / "bad.mlir"
    path.write_text(f"%w = tiny.const dense<{tail}{'F7' * 40}> : !tiny.buffer<16x1xi8>\n")
    start = time.monotonic()
    result = run_tool("opt", str(path))
    assert time.monotonic() - start < 20
    assert result.returncode == 1 and result.stderr.startswith(f"error: {path}:1:")
    assert "string literal not closed on its line, or with an invalid escape" in result.stderr


def test_an_internal_error_is_one_line_with_its_stage(tmp_path, monkeypatch, capsys):
    """An exception tinyir did not mean (a bug) is not a traceback either:
    `error: internal error in pass fuse: ...`, exit status 2."""
    path = tmp_path / "m.tflite"
    path.write_bytes(conv_model())

    def broken(self, ctx, module):
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr(FusePass, "apply", broken)
    monkeypatch.setattr(sys, "argv", ["tinyir-opt", str(path), "--fuse"])
    assert opt.main() == 2
    err = capsys.readouterr().err
    assert err == "error: internal error in pass fuse: RuntimeError: a bug over two lines (rerun with --traceback to see where)\n"
    monkeypatch.setattr(sys, "argv", ["tinyir-opt", str(path), "--fuse", "--traceback"])
    with pytest.raises(RuntimeError, match="a bug"):
        opt.main()


def onnx_cnn_with(change) -> bytes:
    """tinyir.testing.onnx_models.cnn() with `change(model)` applied to its protobuf."""
    import onnx

    from tinyir.testing.onnx_models import cnn

    model = onnx.load_model_from_string(cnn())
    change(model)
    return model.SerializeToString()


def _first(model, op: str):
    return next(n for n in model.graph.node if n.op_type == op)


def _attribute(model, op: str, name: str):
    return next(a for a in _first(model, op).attribute if a.name == name)


def _strides_as_float(model):
    a = _attribute(model, "MaxPool", "strides")
    a.ClearField("ints")
    a.f, a.type = 1.5, 1  # FLOAT


def _auto_pad_not_utf8(model):
    _attribute(model, "Conv", "auto_pad").s = b"\xff\xfe"


def _drop_add_input(model):
    del _first(model, "Add").input[1]


def _elem_type_99(model):
    model.graph.input[0].type.tensor_type.elem_type = 99


def _conv_reads_nothing(model):
    _first(model, "Conv").input[0] = "nothing"


def _stride_0(model):
    _attribute(model, "MaxPool", "strides").ints[1] = 0


def _add_input_empty(model):
    _first(model, "Add").input[1] = ""


def _input_dim_dropped(model):
    del model.graph.input[0].type.tensor_type.shape.dim[1]


def _input_dim_2_40(model):
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_value = 2**40


ONNX_CORRUPTIONS = {
    "stride 0": (_stride_0, r"MaxPool node .*: 'strides' must be at least 1, got \[2, 0\]"),
    "a required input left empty": (_add_input_empty, r"Add node .*: input 1 \(B\) is required, but left empty"),
    "attribute of the wrong type": (_strides_as_float, r"MaxPool node .*: attribute 'strides' must be INTS, got FLOAT"),
    "attribute not UTF-8": (_auto_pad_not_utf8, r"Conv node .*: attribute 'auto_pad' is not UTF-8 text"),
    "a node input dropped": (_drop_add_input, r"Add node .*: has 1 inputs, the operator takes 2"),
    "unknown element type": (_elem_type_99, r"graph input 'image' has unknown element type 99"),
    "an input nothing defines": (_conv_reads_nothing, r"Conv node .*: reads 'nothing', which no node produces"),
    "an input dimension dropped": (_input_dim_dropped, r"Conv node .*: only 2-D convolutions are supported \(input \[1, 12, 12\]"),
    "an input of 2^40 elements": (_input_dim_2_40, r"tensor 'image': tiny.buffer: \d+ bytes, more than the 2 GiB a buffer may hold"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(ONNX_CORRUPTIONS))
def test_a_malformed_onnx_node_is_one_line_naming_it(case, tmp_path):
    change, message = ONNX_CORRUPTIONS[case]
    path = tmp_path / "bad.onnx"
    path.write_bytes(onnx_cnn_with(change))
    result = run_tool("run", str(path), "--fuse")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {path}: ") and re.search(message, result.stderr), result.stderr


@pytest.mark.parametrize("clamp", ["array<i256: -128, 127>", "array<i0: -128, 127>"])
def test_ir_the_parser_cannot_take_is_one_line(clamp, tmp_path):
    """xDSL's parser raises NotImplementedError on `array<i256: ...>` and
    VerifyException on values out of range of their type."""
    path = tmp_path / "bad.mlir"
    path.write_text(
        "func.func @main(%x: !tiny.buffer<1x4xi8, 0.5:0>) -> !tiny.buffer<1x4xi8, 0.5:0> {\n"
        "  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.5:0>\n"
        f"  tiny.clamp %x -> %y {{clamp = {clamp}}}\n"
        "  func.return %y : !tiny.buffer<1x4xi8, 0.5:0>\n"
        "}\n"
    )
    result = run_tool("opt", str(path))
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {path}")
    assert "out of range" in result.stderr or "the IR does not parse" in result.stderr


@pytest.mark.parametrize("size", [-16, 2**62])
def test_an_arena_size_out_of_range_is_refused(size, tmp_path):
    """`tiny.arena_size = 2**62` passed --check-arena, then the executor tried to allocate 4 EiB."""
    module = tinyir.run_pipeline(tinyir.import_model(conv_model(), format="tflite"), "arena-alloc")
    text = re.sub(r"tiny.arena_size = \d+", f"tiny.arena_size = {size}", tinyir.print_ir(module))
    path = tmp_path / "big.mlir"
    path.write_text(text)
    for tool, args in (("opt", ["--check-arena"]), ("run", [])):
        result = run_tool(tool, str(path), *args)
        assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
        assert f"module attribute tiny.arena_size must be in 0..2147483647, got {size}" in result.stderr


def test_a_read_of_a_buffer_nothing_wrote_is_refused(tmp_path):
    """What such a buffer holds is whatever the arena held there: the result
    changed with --arena-alloc (the fuzzer's one silent change on IR)."""
    path = tmp_path / "unwritten.mlir"
    path.write_text(
        "func.func @main(%x: !tiny.buffer<1x8xi8, 0.1:0>) -> !tiny.buffer<1x8xi8, 0.1:0> {\n"
        "  %junk = tiny.alloc : !tiny.buffer<1x8xi8, 0.1:0>\n"
        "  %y = tiny.alloc : !tiny.buffer<1x8xi8, 0.1:0>\n"
        "  tiny.add %x, %junk -> %y {clamp = array<i64: -128, 127>}\n"
        "  func.return %y : !tiny.buffer<1x8xi8, 0.1:0>\n"
        "}\n"
    )
    result = run_tool("run", str(path))
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {path}: tiny.add reads %junk before any operation writes it [operation #4 (%y)]")


def test_int32_accumulation_wraps_as_tflm_does(tmp_path):
    """A bias of INT32_MIN is spec-valid; TFLite Micro's and CMSIS-NN's int32
    accumulator wraps around with it, and so must tinyir's (the executor
    saturated: 127 where TFLM gave -128), split by channels or rows, in C too."""
    from tinyir import api
    from tinyir.testing.tflm import tflm_run

    net = QuantNet(seed=0)
    x = net.input("input", (1, 8, 8, 3))
    net.output(net.conv2d(net.depthwise_conv2d(net.conv2d(x, 4, 3), 3), 4, 1))
    data = bytearray(net.build("wrap").data)
    model = tflite.Model.GetRootAsModel(data, 0)
    for i in range(3):
        bias = model.Subgraphs(0).Tensors(model.Subgraphs(0).Operators(i).Inputs(2))
        buffer = model.Buffers(bias.Buffer())
        start = buffer._tab.Vector(buffer._tab.Offset(4))
        data[start : start + 16] = np.full(4, -(2**31), np.int32).tobytes()
    inputs = tinyir.random_inputs(tinyir.import_model(bytes(data), format="tflite"), seed=1)
    expected = tflm_run(bytes(data), inputs)[0]
    assert (expected == 127).any()  # sums that wrapped: without the wrap, all would be -128
    for split in ("", "split %conv to %conv_1 tiles 2", "split %conv to %conv_1 tiles 2 by rows"):
        (tmp_path / "plan.txt").write_text(split)
        pipeline = f'fuse,partial-exec{{plan="{tmp_path / "plan.txt"}"}},arena-alloc'
        module = tinyir.run_pipeline(tinyir.import_model(bytes(data), format="tflite"), pipeline)
        assert (split == "") != ("tiny.tile_loop" in tinyir.print_ir(module))
        assert np.array_equal(tinyir.execute(module, inputs)[0], expected), split
        assert np.array_equal(api.execute_c(module, inputs)[0], expected), split


ADD_IR = """func.func @main(%x: !tiny.buffer<1x4xi8, {x}>) -> !tiny.buffer<1x4xi8, {y}> {{
  %y = tiny.alloc : !tiny.buffer<1x4xi8, {y}>
  tiny.add %x, %x -> %y {{clamp = array<i64: -128, 127>}}
  func.return %y : !tiny.buffer<1x4xi8, {y}>
}}
"""


@pytest.mark.parametrize("x, y, message", [
    ("0.5:0", "0.0:0", r"tiny.alloc: tiny.buffer: an activation's scale must be positive, got 0.0 \[operation #2 \(%y\)\]"),
    ("-0.5:0", "0.5:0", r"func.func @main: argument #0: tiny.buffer: an activation's scale must be positive, got -0.5"),
])  # fmt: skip
def test_an_activation_scale_of_zero_or_less_is_refused(x, y, message, tmp_path):
    """Scale 0 was a ZeroDivisionError in the executor (weights may have such
    scales: real models do, and TFLite Micro runs them)."""
    path = tmp_path / "scale.mlir"
    path.write_text(ADD_IR.format(x=x, y=y))
    result = run_tool("run", str(path))
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert re.search(message, result.stderr), result.stderr


def test_partial_exec_without_a_convolution():
    """A function with nothing to split (its only conv deleted was a
    `min() arg is an empty sequence`) is left as it is."""
    text = ADD_IR.format(x="0.5:0", y="0.5:0")
    module = tinyir.run_pipeline(tinyir.parse_ir(text), "fuse,reorder,partial-exec{max-slowdown=0},arena-alloc")
    assert "tiny.tile_loop" not in tinyir.print_ir(module)
    x = np.arange(-2, 2, dtype=np.int8).reshape(1, 4)
    assert np.array_equal(tinyir.execute(module, [x])[0], 2 * x)


def test_tinyir_run_outputs_go_where_asked(tmp_path):
    """--output into a missing directory was a FileNotFoundError after the
    run, a directory silently became DIR.npy; a name is kept as given."""
    model = tmp_path / "m.tflite"
    model.write_bytes(conv_model())
    (tmp_path / "d").mkdir()
    for output, message in ((tmp_path / "no" / "y.npy", "no such directory"), (tmp_path / "d", "is a directory")):
        result = run_tool("run", str(model), "--output", str(output))
        assert result.returncode == 1 and result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"error: --output {output}: {message}")
    result = run_tool("run", str(model), "--output", str(tmp_path / "y.out"))
    assert result.returncode == 0 and np.load(tmp_path / "y.out").shape == (1, 8, 8, 4)


def test_zero_points_of_another_shape_than_the_scales_are_refused(tmp_path):
    """ONNX wants them of one shape; onnxruntime refuses the model, tinyir took the first."""
    import onnx
    from onnx import numpy_helper

    from tinyir.testing.onnx_models import hand_qdq

    model = onnx.load_model_from_string(hand_qdq())
    (zp,) = [t for t in model.graph.initializer if t.name == "z_x"]
    zp.CopyFrom(numpy_helper.from_array(np.array([0, 1, 2], np.int8), "z_x"))
    path = tmp_path / "zp.onnx"
    path.write_bytes(model.SerializeToString())
    result = run_tool("run", str(path))
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert re.search(r"DequantizeLinear node '\w+': 1 scales but 3 zero points", result.stderr), result.stderr
