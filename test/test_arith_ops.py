"""SUB, MINIMUM, MAXIMUM, SQUARED_DIFFERENCE, PRELU, LEAKY_RELU, TANH,
LOG_SOFTMAX and ARG_MAX (dialects/tiny/arith.py) beyond their single-op
models (test_generated_models.py, test_c_emitter.py): quantizations where
TFLite Micro's arithmetic could go two ways, every int8 input value, the
frontend's refusals, the ops in row and channel loops, and a model holding all
nine on Cortex-M4 in QEMU, bit-exact with TensorFlow Lite Micro."""

from __future__ import annotations

import numpy as np
import pytest

import tinyir
from tinyir.backends import c as c_backend
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.testing.models import QuantNet, arith_ops_case
from tinyir.testing.tflite_builder import TFLiteBuilder
from tinyir.testing.tflm import tflm_run

EVERY_INT8 = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
ARITH_OPS = {"tiny.sub", "tiny.minimum", "tiny.maximum", "tiny.squared_difference", "tiny.prelu",
             "tiny.leaky_relu", "tiny.tanh", "tiny.log_softmax", "tiny.arg_max"}  # fmt: skip


def _unary_model(op: str, shape, x_q: tuple[float, int], y_q: tuple[float, int], **options) -> bytes:
    b = TFLiteBuilder()
    x = b.input("x", shape, scale=x_q[0], zero_point=x_q[1])
    y = b.tensor("y", shape, scale=y_q[0], zero_point=y_q[1])
    b.op(op, [x], [y], **options)
    b.output(y)
    return b.finish()


def _matches_tflite_micro(data: bytes, inputs: list[np.ndarray]) -> None:
    ours = tinyir.execute(tinyir.import_model(data), inputs)
    theirs = tflm_run(data, inputs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.abs(a.astype(np.int64) - b.astype(np.int64)).max() == 0


def test_sub_computes_its_multipliers_in_double():
    """TFLM's published sub_common.cc divides the scales in float; the
    tflite-micro wheel in double, as ADD. With these scales the two differ
    at a = 54, b = 3 (the float multipliers give one step more)."""
    sa, za, sb, zb, so, zo = 0.2272009700536728, 86, 0.05058535188436508, 24, 0.27591729164123535, 120
    b = TFLiteBuilder()
    x = b.input("a", (256, 256), scale=sa, zero_point=za)
    y = b.input("b", (256, 256), scale=sb, zero_point=zb)
    out = b.tensor("out", (256, 256), scale=so, zero_point=zo)
    b.op("SUB", [x, y], [out])
    b.output(out)
    grid = np.repeat(EVERY_INT8.T, 256, axis=1)  # every pair of int8 values
    _matches_tflite_micro(b.finish(), [grid, np.ascontiguousarray(grid.T)])


@pytest.mark.parametrize("seed", range(4))
def test_activations_on_every_int8_value(seed):
    """TANH, LEAKY_RELU (alpha below and above 1) and LOG_SOFTMAX of all 256
    int8 values, random input quantizations: the executor is TFLite Micro's."""
    rng = np.random.default_rng(seed)

    def quant(lo: float, hi: float) -> tuple[float, int]:
        return float(np.float32(rng.uniform(lo, hi))), int(rng.integers(-128, 128))

    _matches_tflite_micro(_unary_model("TANH", (1, 256), quant(0.002, 0.3), (1 / 128, 0)), [EVERY_INT8])
    for alpha in (0.1, 1.7):
        data = _unary_model("LEAKY_RELU", (1, 256), quant(0.005, 0.2), quant(0.005, 0.2), alpha=alpha)
        _matches_tflite_micro(data, [EVERY_INT8])
    rows = np.stack([rng.permutation(EVERY_INT8[0]) for _ in range(4)]).reshape(4, 256)
    rows[1] //= 16  # a narrow row: most values count in the sum
    _matches_tflite_micro(_unary_model("LOG_SOFTMAX", (4, 256), quant(0.01, 0.5), (16 / 256, 127)), [rows])


def test_portable_c_kernels_on_every_int8_value(tmp_path):
    """tinyir_kernels.c's TANH, LEAKY_RELU, LOG_SOFTMAX and ARG_MAX against the executor, all 256 values."""
    ir = """
    func.func @main(%x: !tiny.buffer<1x256xi8, 0.043:-7>)
        -> (!tiny.buffer<1x256xi8, 0.0078125:0>, !tiny.buffer<1x256xi8, 0.031:40>, !tiny.buffer<1x256xi8, 0.0625:127>,
            !tiny.buffer<1xi32>) {
      %t = tiny.alloc : !tiny.buffer<1x256xi8, 0.0078125:0>
      tiny.tanh %x -> %t
      %l = tiny.alloc : !tiny.buffer<1x256xi8, 0.031:40>
      tiny.leaky_relu %x -> %l {alpha = 0.3 : f32}
      %s = tiny.alloc : !tiny.buffer<1x256xi8, 0.0625:127>
      tiny.log_softmax %x -> %s
      %i = tiny.alloc : !tiny.buffer<1xi32>
      tiny.arg_max %x -> %i {axis = 1 : i64}
      func.return %t, %l, %s, %i : !tiny.buffer<1x256xi8, 0.0078125:0>, !tiny.buffer<1x256xi8, 0.031:40>,
          !tiny.buffer<1x256xi8, 0.0625:127>, !tiny.buffer<1xi32>
    }
    """
    module = tinyir.run_pipeline(tinyir.parse_ir(ir), "arena-alloc")
    exe = c_backend.build_host(module, tmp_path, "m")
    for x in (EVERY_INT8, EVERY_INT8[:, ::-1].copy()):
        for want, got in zip(tinyir.execute(module, [x]), c_backend.run_host(exe, module, [x]), strict=True):
            np.testing.assert_array_equal(got, want)


REFUSED = {
    "leaky_relu_negative_alpha": (
        "LEAKY_RELU", dict(alpha=-0.5), (1, 8), dict(scale=0.1, zero_point=0),
        r"^<input>: LEAKY_RELU \(operator #0\): alpha -0.5 is negative \(only alpha >= 0 is supported\)$"),
    "arg_max_int64": (
        "ARG_MAX", dict(output_type="int64"), (1,), dict(dtype="int64"),
        r"^<input>: ARG_MAX \(operator #0\): output 'y' is INT64 \(TFLite Micro writes INT32 only\)$"),
    "sub_int16": (
        "SUB", {}, (1, 8), dict(scale=0.1, zero_point=0, dtype="int16"),
        r"^<input>: SUB \(operator #0\): 'y' is not a per-tensor quantized int8 tensor \(the only kind supported\)$"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(REFUSED))
def test_frontend_refuses_in_one_line(name):
    op, options, shape, y_type, message = REFUSED[name]
    b = TFLiteBuilder()
    x = b.input("x", (1, 8), scale=0.1, zero_point=0)
    second = {"SUB": x, "ARG_MAX": b.const("axis", np.array([1], np.int32))}.get(op)
    y = b.tensor("y", shape, **y_type)
    b.op(op, [x] if second is None else [x, second], [y], **options)
    b.output(y)
    with pytest.raises(TinyIRError, match=message):
        tinyir.import_model(b.finish())


def test_fused_relu_clamps_the_binary_ops(tmp_path):
    """--fuse folds a standalone RELU into the `clamp` of SUB, MAXIMUM,
    SQUARED_DIFFERENCE and PRELU (MAXIMUM then takes tinyir's kernel:
    CMSIS-NN's does not clamp): TFLite Micro's bits, in the executor and in C."""
    net = QuantNet(seed=5)
    a, b = net.input("a", (1, 6, 6, 4)), net.input("b", (1, 6, 6, 4))
    branches = [net.sub(a, b), net.maximum(a, b), net.squared_difference(a, b),
                net.prelu(a, net.constant("alpha", net.rng.uniform(-1, 1, (4,))))]
    net.output(*(net.relu(h, same_quant=True) for h in branches))
    case = net.build("fused_relu")
    module = tinyir.run_pipeline(tinyir.import_model(case.data), "fuse,arena-alloc")
    assert not any(isinstance(op, tiny.ClampOp) for op in module.walk())
    binary = [op for op in module.walk() if isinstance(op, tiny.BinaryOp)]
    assert len(binary) == 4 and all(op.ints("clamp")[0] == op.out_type.quant.zp for op in binary)  # RELU: from 0
    exe = c_backend.build_host(module, tmp_path, "m")
    rng = np.random.default_rng(0)
    for _ in range(3):
        inputs = case.random_inputs(rng)
        theirs = tflm_run(case.data, inputs)
        for results in (tinyir.execute(module, inputs), c_backend.run_host(exe, module, inputs)):
            for got, want in zip(results, theirs, strict=True):
                np.testing.assert_array_equal(got, want)


def _same_outputs(a, b, inputs) -> None:
    for want, got in zip(tinyir.execute(a, inputs), tinyir.execute(b, inputs), strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("split", ["rows", "channels"])
def test_partial_execution_runs_them_in_loops(split, tmp_path):
    """--partial-exec puts the elementwise ones in its loops (rows: every
    binary op and activation; channels: LEAKY_RELU and TANH between 1x1
    convolutions); the loops compute the unsplit model's bits, in the
    executor and in C."""
    case = arith_ops_case()
    options = "max-slowdown=0" if split == "rows" else "rows=false max-slowdown=0"
    if split == "channels":  # a chain Pex splits: expand, activations, depthwise, project
        net = QuantNet(seed=3)
        x = net.input("input", (1, 10, 10, 8))
        h = net.tanh(net.depthwise_conv2d(net.leaky_relu(net.conv2d(x, 48, 1), 0.2), 3))
        net.output(net.conv2d(h, 8, 1))
        case = net.build("channel_chain")
    unsplit = tinyir.import_model(case.data)
    module = tinyir.run_pipeline(tinyir.import_model(case.data), f"fuse,partial-exec{{{options}}},reorder,arena-alloc")
    in_loops = {op.name for loop in module.walk() if isinstance(loop, tiny.TileLoopOp)
                for op in loop.body.block.ops if loop.by_rows == (split == "rows")}  # fmt: skip
    expected = ARITH_OPS - {"tiny.log_softmax", "tiny.arg_max"} if split == "rows" else {"tiny.leaky_relu", "tiny.tanh"}
    assert expected <= in_loops
    exe = c_backend.build_host(module, tmp_path, "m")
    for s in range(3):
        inputs = tinyir.random_inputs(unsplit, seed=s)
        _same_outputs(unsplit, module, inputs)
        for want, got in zip(tinyir.execute(module, inputs), c_backend.run_host(exe, module, inputs), strict=True):
            np.testing.assert_array_equal(got, want)


def test_slopes_varying_along_rows_keep_prelu_out_of_row_loops():
    """PRELU's slopes one per element (Keras's default) vary along rows: a
    row loop cannot read them whole, so PRELU stays out of every row loop."""
    case = arith_ops_case(full_alpha=True)
    unsplit = tinyir.import_model(case.data)
    module = tinyir.run_pipeline(tinyir.import_model(case.data), "fuse,partial-exec{max-slowdown=0},arena-alloc")
    loops = [op for op in module.walk() if isinstance(op, tiny.TileLoopOp) and op.by_rows]
    assert loops and not any(isinstance(op, tiny.PReluOp) for loop in loops for op in loop.body.block.ops)
    _same_outputs(unsplit, module, tinyir.random_inputs(unsplit, seed=0))


@pytest.mark.parametrize("passes", ["fuse", "fuse,partial-exec,reorder"])
def test_runs_in_qemu_bit_exact_with_tflite_micro(passes, tmp_path):
    """The model with all nine ops on Cortex-M4 (mps2-an386), unsplit and
    split: QEMU's outputs are TensorFlow Lite Micro's, bit for bit."""
    from tinyir.backends.cortex_m import build as cortex_m

    if cortex_m.missing_tools():
        pytest.skip(f"{' and '.join(cortex_m.missing_tools())} not on PATH")
    case = arith_ops_case()
    module = tinyir.run_pipeline(tinyir.import_model(case.data, mcpu=cortex_m.RUN_CPU), f"{passes},arena-alloc")
    assert ARITH_OPS <= {op.name for op in module.walk()}
    built = cortex_m.build_model(module, tmp_path, "arith", cortex_m.RUN_CPU)
    rng = np.random.default_rng(0)
    for _ in range(2):
        inputs = case.random_inputs(rng)
        result = cortex_m.run(built.elf, inputs={"in.bin": inputs[0].tobytes()}, outputs=["out.bin"], timeout=120)
        assert result.returncode == 0, result.stderr.decode()
        expected = tflm_run(case.data, inputs)
        assert result.outputs["out.bin"] == b"".join(np.ascontiguousarray(t).tobytes() for t in expected)
