"""tinyir.kernels against TensorFlow Lite Micro, bit for bit.

1. Unit tests of tinyir.quantization (QuantizeMultiplier, gemmlowp helpers)
   against straightforward scalar transcriptions of the C++ code.
2. The real-model harness: run every model in ../shared/models through TFLite
   Micro with all intermediate tensors preserved, then feed each operator's
   real inputs to our kernel and require max |difference| == 0 with TFLM's
   output tensor.
3. Single-operator models built with tinyir.tflite_builder (when present) for
   the operators the shared models do not contain.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tinyir import kernels as K
from tinyir import quantization as qz
from tinyir.quantization import QParams

MODELS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "models"
MODEL_PATHS = sorted(MODELS_DIR.glob("*.tflite")) if MODELS_DIR.is_dir() else []
needs_models = pytest.mark.skipif(not MODEL_PATHS, reason=f"shared models not found at {MODELS_DIR}")

tflite = pytest.importorskip("tflite", reason="the `tflite` flatbuffer schema package is required")
runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="tflite-micro is required")


# ---------------------------------------------------------------------------
# 1. quantization.py unit tests (scalar C++ transcriptions as the oracle)
# ---------------------------------------------------------------------------


def _srdhm_scalar(a: int, b: int) -> int:
    if a == b == -(1 << 31):
        return (1 << 31) - 1
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return int((ab + nudge) / (1 << 31)) if abs(ab) < (1 << 52) else _trunc_div(ab + nudge, 1 << 31)


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _rdbpot_scalar(x: int, e: int) -> int:
    mask = (1 << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if remainder > threshold else 0)


def test_quantize_multiplier_known_values():
    assert qz.quantize_multiplier(0.0) == (0, 0)
    assert qz.quantize_multiplier(0.5) == (1 << 30, 0)
    assert qz.quantize_multiplier(1.0) == (1 << 30, 1)
    assert qz.quantize_multiplier(0.75) == (3 << 29, 0)
    # q * 2^31 rounds up to 2^31: the significand is halved, the shift bumped.
    assert qz.quantize_multiplier(1.0 - 2.0 ** -40) == (1 << 30, 1)
    # Below 2^-32 everything is flushed to zero.
    assert qz.quantize_multiplier(2.0 ** -40) == (0, 0)
    m, s = qz.quantize_multiplier(0.0123)
    assert (1 << 30) <= m < (1 << 31) and abs(m * 2.0 ** (s - 31) - 0.0123) < 1e-11


def test_multiply_by_quantized_multiplier_matches_scalar():
    rng = np.random.default_rng(0)
    xs = rng.integers(-(1 << 24), 1 << 24, size=2000)
    for real in (0.0007, 0.0123, 0.4999, 0.75, 1.9, 3.3):
        m, s = qz.quantize_multiplier(real)
        got = qz.multiply_by_quantized_multiplier(xs if s <= 0 else xs >> 4, m, s)
        for x, g in zip(xs if s <= 0 else xs >> 4, got):
            x = int(x)
            left, right = max(s, 0), max(-s, 0)
            assert g == _rdbpot_scalar(_srdhm_scalar(x * (1 << left), m), right)


def test_gemmlowp_primitives_edge_cases():
    big = np.array([-(1 << 31), -(1 << 31) + 1, -5, -1, 0, 1, 5, (1 << 31) - 1], dtype=np.int64)
    for a in big:
        for b in big:
            assert qz.saturating_rounding_doubling_high_mul(a, b) == _srdhm_scalar(int(a), int(b))
    for x in big:
        for e in (0, 1, 2, 7, 31):
            assert qz.rounding_divide_by_pot(x, e) == _rdbpot_scalar(int(x), e)
    assert list(qz.count_leading_zeros_u32(np.array([0, 1, 2, 3, 1 << 30, (1 << 31) - 1]))) == [32, 31, 30, 30, 1, 1]


def test_exp_and_reciprocal_are_accurate():
    # Not bit-exactness (the models test that) but a sanity check of the port.
    a = -np.arange(0, 1 << 31, 1 << 20, dtype=np.int64)  # F5 values in (-64, 0]
    got = qz.exp_on_negative_values(a, 5) / 2.0 ** 31
    want = np.exp(a / 2.0 ** 26)
    assert np.max(np.abs(got - want)) < 1e-6
    x = np.arange(0, 1 << 31, 1 << 22, dtype=np.int64)
    got = qz.one_over_one_plus_x_for_x_in_0_1(x) / 2.0 ** 31
    assert np.max(np.abs(got - 1.0 / (1.0 + x / 2.0 ** 31))) < 1e-6


def test_activation_range_and_padding():
    q = QParams.per_tensor(0.05, -10)
    assert qz.activation_range("NONE", q) == (-128, 127)
    assert qz.activation_range("RELU", q) == (-10, 127)
    assert qz.activation_range("RELU6", q) == (-10, 110)
    assert qz.activation_range("RELU_N1_TO_1", q) == (-30, 10)
    assert qz.same_padding(224, 3, 2, 1) == (0, 1, 112)
    assert qz.same_padding(7, 3, 1, 2) == (2, 2, 7)
    assert qz.valid_padding(10, 3, 2) == (0, 0, 4)


# ---------------------------------------------------------------------------
# 2. Real models: every operator, real inputs from TFLite Micro
# ---------------------------------------------------------------------------

_OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_ACT_NAMES = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}


class TfliteModel:
    """Just enough of a .tflite reader for the harness: operators, tensor
    quantization, constant buffers and builtin options."""

    def __init__(self, path: Path):
        self.path = path
        self.buf = path.read_bytes()
        self.model = tflite.Model.GetRootAsModel(self.buf, 0)
        self.graph = self.model.Subgraphs(0)

    def op_name(self, op) -> str:
        code = self.model.OperatorCodes(op.OpcodeIndex())
        return _OP_NAMES[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]

    def operators(self):
        return [self.graph.Operators(i) for i in range(self.graph.OperatorsLength())]

    def qparams(self, index: int) -> QParams | None:
        q = self.graph.Tensors(index).Quantization()
        if q is None or q.ScaleLength() == 0:
            return None
        axis = q.QuantizedDimension() if q.ScaleLength() > 1 else None
        return QParams(tuple(q.ScaleAsNumpy()), tuple(q.ZeroPointAsNumpy()), axis)

    def constant(self, index: int) -> np.ndarray | None:
        t = self.graph.Tensors(index)
        b = self.model.Buffers(t.Buffer())
        if b is None:
            return None
        if b.DataLength():
            raw = b.DataAsNumpy().tobytes()
        elif b.Offset() > 1:
            raw = self.buf[b.Offset():b.Offset() + b.Size()]
        else:
            return None
        dtype = {tflite.TensorType.INT8: np.int8, tflite.TensorType.INT32: np.int32,
                 tflite.TensorType.INT64: np.int64, tflite.TensorType.FLOAT32: np.float32,
                 tflite.TensorType.INT16: np.int16}[t.Type()]
        return np.frombuffer(raw, dtype=dtype).reshape(t.ShapeAsNumpy() if t.ShapeLength() else ())

    def options(self, op, cls):
        table = op.BuiltinOptions()
        opts = cls()
        opts.Init(table.Bytes, table.Pos)
        return opts


def _explicit_padding(padding: int, in_hw, k_hw, stride, dilation):
    """TFLite SAME/VALID -> (top, bottom, left, right)."""
    fn = qz.same_padding if padding == tflite.Padding.SAME else qz.valid_padding
    top, bottom, _ = fn(in_hw[0], k_hw[0], stride[0], dilation[0])
    left, right, _ = fn(in_hw[1], k_hw[1], stride[1], dilation[1])
    return top, bottom, left, right


def run_tflite_op(m: TfliteModel, op, value) -> np.ndarray:
    """Evaluate one TFLite operator with tinyir.kernels. ``value(i)`` returns
    tensor i (a constant from the file, or TFLM's activation)."""
    name = m.op_name(op)
    ins = [op.Inputs(i) for i in range(op.InputsLength())]
    out = op.Outputs(0)
    out_shape = tuple(m.graph.Tensors(out).ShapeAsNumpy())
    out_q = m.qparams(out)
    q = [m.qparams(i) if i >= 0 else None for i in ins]

    if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        cls = tflite.Conv2DOptions if name == "CONV_2D" else tflite.DepthwiseConv2DOptions
        o = m.options(op, cls)
        x, w = value(ins[0]), value(ins[1])
        bias = value(ins[2]) if len(ins) > 2 and ins[2] >= 0 else None
        stride, dilation = (o.StrideH(), o.StrideW()), (o.DilationHFactor(), o.DilationWFactor())
        pad = _explicit_padding(o.Padding(), x.shape[1:3], w.shape[1:3], stride, dilation)
        clamp = qz.activation_range(_ACT_NAMES[o.FusedActivationFunction()], out_q)
        fn = K.conv_2d if name == "CONV_2D" else K.depthwise_conv_2d
        return fn(x, q[0], w, q[1], bias, out_q, stride=stride, dilation=dilation, pad=pad,
                  clamp=clamp, out_shape=out_shape)
    if name == "FULLY_CONNECTED":
        o = m.options(op, tflite.FullyConnectedOptions)
        bias = value(ins[2]) if len(ins) > 2 and ins[2] >= 0 else None
        clamp = qz.activation_range(_ACT_NAMES[o.FusedActivationFunction()], out_q)
        return K.fully_connected(value(ins[0]), q[0], value(ins[1]), q[1], bias, out_q,
                                 clamp=clamp, out_shape=out_shape)
    if name in ("ADD", "MUL"):
        o = m.options(op, tflite.AddOptions if name == "ADD" else tflite.MulOptions)
        clamp = qz.activation_range(_ACT_NAMES[o.FusedActivationFunction()], out_q)
        fn = K.add if name == "ADD" else K.mul
        return fn(value(ins[0]), q[0], value(ins[1]), q[1], out_q, clamp=clamp, out_shape=out_shape)
    if name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        o = m.options(op, tflite.Pool2DOptions)
        x = value(ins[0])
        kernel, stride = (o.FilterHeight(), o.FilterWidth()), (o.StrideH(), o.StrideW())
        pad = _explicit_padding(o.Padding(), x.shape[1:3], kernel, stride, (1, 1))
        clamp = qz.activation_range(_ACT_NAMES[o.FusedActivationFunction()], out_q)
        fn = K.avg_pool_2d if name == "AVERAGE_POOL_2D" else K.max_pool_2d
        return fn(x, q[0], out_q, kernel=kernel, stride=stride, pad=pad, clamp=clamp, out_shape=out_shape)
    if name == "MEAN":
        return K.mean(value(ins[0]), q[0], out_q, axes=value(ins[1]), out_shape=out_shape)
    if name in ("PAD", "PADV2"):
        pad_value = out_q.zero_point[0] if len(ins) < 3 else int(value(ins[2]).reshape(-1)[0])
        return K.pad(value(ins[0]), paddings=value(ins[1]).tolist(), value=pad_value)
    if name == "RESHAPE":
        return K.reshape(value(ins[0]), out_shape=out_shape)
    if name == "TRANSPOSE":
        return K.transpose(value(ins[0]), perm=value(ins[1]))
    if name == "SOFTMAX":
        return K.softmax(value(ins[0]), q[0], out_q, beta=m.options(op, tflite.SoftmaxOptions).Beta())
    if name == "LOGISTIC":
        return K.logistic(value(ins[0]), q[0], out_q)
    if name == "HARD_SWISH":
        return K.hard_swish(value(ins[0]), q[0], out_q)
    if name == "CONCATENATION":
        o = m.options(op, tflite.ConcatenationOptions)
        return K.concatenation([value(i) for i in ins], q, out_q, axis=o.Axis())
    if name == "QUANTIZE":
        x = value(ins[0])
        return K.quantize(x, out_q) if x.dtype == np.float32 else K.requantize(x, q[0], out_q)
    if name == "DEQUANTIZE":
        return K.dequantize(value(ins[0]), q[0])
    raise NotImplementedError(name)


def run_tflm(model_bytes: bytes, inputs: list[np.ndarray]):
    """Invoke TFLM keeping every tensor; returns get(tensor_index) -> array."""
    interp = runtime.Interpreter.from_bytes(
        model_bytes, arena_size=256 << 20, intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    for i, x in enumerate(inputs):
        interp.set_input(x, i)
    interp.invoke()
    return lambda index: np.array(interp.GetTensor(index, 0)["tensor_data"])


def random_inputs(m: TfliteModel, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    xs = []
    for i in range(m.graph.InputsLength()):
        t = m.graph.Tensors(m.graph.Inputs(i))
        shape = tuple(t.ShapeAsNumpy())
        if t.Type() == tflite.TensorType.INT8:
            xs.append(rng.integers(-128, 128, size=shape, dtype=np.int8))
        elif t.Type() == tflite.TensorType.FLOAT32:
            xs.append(rng.normal(0, 2, size=shape).astype(np.float32))
        else:
            raise NotImplementedError(f"input type {t.Type()}")
    return xs


def check_model_against_tflm(m: TfliteModel, seed: int, timings: Counter | None = None) -> Counter:
    """Feed each operator TFLM's real inputs; assert our output equals TFLM's.
    Returns the number of operators checked per type."""
    tflm = run_tflm(m.buf, random_inputs(m, seed))

    def value(index: int) -> np.ndarray:
        const = m.constant(index)
        return const if const is not None else tflm(index)

    checked = Counter()
    for n, op in enumerate(m.operators()):
        name = m.op_name(op)
        t0 = time.perf_counter()
        ours = run_tflite_op(m, op, value)
        if timings is not None:
            timings[name] += time.perf_counter() - t0
        want = tflm(op.Outputs(0))
        assert ours.shape == want.shape, f"{m.path.name} op {n} {name}: shape {ours.shape} != {want.shape}"
        assert ours.dtype == want.dtype, f"{m.path.name} op {n} {name}: dtype {ours.dtype} != {want.dtype}"
        diff = np.max(np.abs(ours.astype(np.float64) - want.astype(np.float64))) if ours.size else 0.0
        assert diff == 0, f"{m.path.name} seed {seed} op {n} {name}: max |diff| = {diff}"
        checked[name] += 1
    return checked


@needs_models
@pytest.mark.parametrize("path", MODEL_PATHS, ids=[p.stem for p in MODEL_PATHS])
def test_model_ops_bit_exact_with_tflm(path: Path):
    m = TfliteModel(path)
    for seed in (0, 1, 2):
        checked = check_model_against_tflm(m, seed)
    assert sum(checked.values()) == m.graph.OperatorsLength()


@needs_models
def test_mobilenet_v2_kernels_are_fast():
    """All kernels of the largest model (224x224 MobileNetV2, ~300M MACs)."""
    path = MODELS_DIR / "tflm_mobilenet_v2_pt_224_int8.tflite"
    if not path.exists():
        pytest.skip(f"{path.name} not in {MODELS_DIR}")
    timings = Counter()
    check_model_against_tflm(TfliteModel(path), 0, timings)
    total = sum(timings.values())
    assert total < 10.0, f"kernels took {total:.2f} s: {dict(timings)}"


# ---------------------------------------------------------------------------
# 3. Single-operator models (tinyir.tflite_builder), for ops absent from the
#    shared models. Skipped until the builder exists.
# ---------------------------------------------------------------------------
