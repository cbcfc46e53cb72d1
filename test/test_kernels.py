"""tinyir.numerics.kernels against TensorFlow Lite Micro, bit for bit.

1. Unit tests of tinyir.numerics.quantization (QuantizeMultiplier, gemmlowp helpers)
   against straightforward scalar transcriptions of the C++ code.
2. The real-model harness: run every model in ../shared/models through TFLite
   Micro with all intermediate tensors preserved, then feed each operator's
   real inputs to our kernel and require max |difference| == 0 with TFLM's
   output tensor.
3. Single-operator models built with tinyir.testing.tflite_builder (when present) for
   the operators the shared models do not contain.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import MODELS, shared_models

from tinyir.numerics import fixedpoint as fx
from tinyir.numerics import kernels as K
from tinyir.numerics import quantization as qz
from tinyir.numerics.quantization import QParams
from tinyir.testing.tflm import tflm_tensors

MODEL_PATHS = shared_models()
needs_models = pytest.mark.skipif(not MODEL_PATHS, reason=f"shared models not found at {MODELS}")

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
    return _trunc_div(ab + nudge, 1 << 31)


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
        got = fx.multiply_by_quantized_multiplier(xs if s <= 0 else xs >> 4, m, s)
        for x, g in zip(xs if s <= 0 else xs >> 4, got):
            x = int(x)
            left, right = max(s, 0), max(-s, 0)
            assert g == _rdbpot_scalar(_srdhm_scalar(x * (1 << left), m), right)


def test_gemmlowp_primitives_edge_cases():
    big = np.array([-(1 << 31), -(1 << 31) + 1, -5, -1, 0, 1, 5, (1 << 31) - 1], dtype=np.int64)
    for a in big:
        for b in big:
            assert fx.saturating_rounding_doubling_high_mul(a, b) == _srdhm_scalar(int(a), int(b))
    for x in big:
        for e in (0, 1, 2, 7, 31):
            assert fx.rounding_divide_by_pot(x, e) == _rdbpot_scalar(int(x), e)
    assert list(fx.count_leading_zeros_u32(np.array([0, 1, 2, 3, 1 << 30, (1 << 31) - 1]))) == [32, 31, 30, 30, 1, 1]


def test_exp_and_reciprocal_are_accurate():
    # Not bit-exactness (the models test that) but a sanity check of the port.
    a = -np.arange(0, 1 << 31, 1 << 20, dtype=np.int64)  # F5 values in (-64, 0]
    got = fx.exp_on_negative_values(a, 5) / 2.0 ** 31
    want = np.exp(a / 2.0 ** 26)
    assert np.max(np.abs(got - want)) < 1e-6
    x = np.arange(0, 1 << 31, 1 << 22, dtype=np.int64)
    got = fx.one_over_one_plus_x_for_x_in_0_1(x) / 2.0 ** 31
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

    def __init__(self, source: Path | bytes, name: str = "model"):
        self.name = source.name if isinstance(source, Path) else name
        self.buf = source.read_bytes() if isinstance(source, Path) else bytes(source)
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
    """Evaluate one TFLite operator with tinyir.numerics.kernels. ``value(i)`` returns
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


def check_model_against_tflm(m: TfliteModel, seed: int,
                             inputs: list[np.ndarray] | None = None) -> Counter:
    """Feed each operator TFLM's real inputs; assert our output equals TFLM's.
    Returns the number of operators checked per type."""
    tflm = tflm_tensors(m.buf, random_inputs(m, seed) if inputs is None else inputs)

    def value(index: int) -> np.ndarray:
        const = m.constant(index)
        return const if const is not None else tflm(index)

    checked = Counter()
    for n, op in enumerate(m.operators()):
        name = m.op_name(op)
        ours = run_tflite_op(m, op, value)
        want = tflm(op.Outputs(0))
        assert ours.shape == want.shape, f"{m.name} op {n} {name}: shape {ours.shape} != {want.shape}"
        assert ours.dtype == want.dtype, f"{m.name} op {n} {name}: dtype {ours.dtype} != {want.dtype}"
        diff = np.max(np.abs(ours.astype(np.float64) - want.astype(np.float64))) if ours.size else 0.0
        assert diff == 0, f"{m.name} seed {seed} op {n} {name}: max |diff| = {diff}"
        checked[name] += 1
    return checked


@needs_models
@pytest.mark.parametrize("path", MODEL_PATHS, ids=[p.stem for p in MODEL_PATHS])
def test_model_ops_bit_exact_with_tflm(path: Path):
    m = TfliteModel(path)
    for seed in (0, 1, 2):
        checked = check_model_against_tflm(m, seed)
    assert sum(checked.values()) == m.graph.OperatorsLength()


# ---------------------------------------------------------------------------
# 3. Single-operator models (tinyir.testing.tflite_builder), for ops absent from the
#    shared models. Skipped until the builder exists.
# ---------------------------------------------------------------------------


def _builder():
    mod = pytest.importorskip("tinyir.testing.tflite_builder", reason="tinyir.testing.tflite_builder is not available")
    return mod.TFLiteBuilder()


def _check_built(b, name: str, seeds=(0, 1), inputs=None) -> Counter:
    m = TfliteModel(b.finish(), name)
    checked = Counter()
    for seed in seeds:
        checked = check_model_against_tflm(m, seed, inputs=inputs(seed) if inputs else None)
    assert sum(checked.values()) == m.graph.OperatorsLength()
    return checked


def _act_q(rng, lo=0.005, hi=0.08) -> tuple[float, int]:
    return float(np.float32(rng.uniform(lo, hi))), int(rng.integers(-128, 128))


def _all_int8_values(shape):
    """Inputs holding every int8 value (then random), for lookup-like ops."""
    def make(seed):
        rng = np.random.default_rng(seed)
        x = rng.integers(-128, 128, size=int(np.prod(shape)), dtype=np.int8)
        x[:256] = np.arange(-128, 128)
        return [x.reshape(shape)]
    return make


@pytest.mark.parametrize("case", range(12))
def test_builder_conv_variants(case):
    """CONV_2D / DEPTHWISE_CONV_2D: per-tensor and per-channel filters, SAME and
    VALID, strides, dilation, depth multiplier, groups, fused activations."""
    rng = np.random.default_rng(1000 + case)
    b = _builder()
    depthwise = case % 3 == 2
    h, w = int(rng.integers(5, 14)), int(rng.integers(5, 14))
    c_in = int(rng.integers(1, 9))
    kh, kw = int(rng.choice([1, 2, 3, 5])), int(rng.choice([1, 3, 4]))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
    dilation = (1, 1) if case % 4 else (2, int(rng.integers(1, 3)))
    padding = "SAME" if case % 2 == 0 else "VALID"
    activation = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"][case % 4]
    per_channel = case % 5 != 1
    in_s, in_zp = _act_q(rng)
    x = b.input("x", (1, h, w, c_in), scale=in_s, zero_point=in_zp)
    if depthwise:
        mult = int(rng.integers(1, 4))
        c_out, k = c_in * mult, kh * kw
        wt = rng.integers(-127, 128, size=(1, kh, kw, c_out), dtype=np.int8)
        axis, options = 3, dict(depth_multiplier=mult)
    else:
        groups = 2 if case == 4 else 1
        c_in_f, c_out = c_in, int(rng.integers(1, 12)) * groups
        if groups > 1:
            x = b.input("x2", (1, h, w, 2 * c_in), scale=in_s, zero_point=in_zp)
        k = kh * kw * c_in_f
        wt = rng.integers(-127, 128, size=(c_out, kh, kw, c_in_f), dtype=np.int8)
        axis, options = 0, {}
    w_s = rng.uniform(0.002, 0.02, size=c_out if per_channel else 1).astype(np.float32)
    wq = b.const("w", wt, scales=w_s, axis=axis)
    bias = b.const("b", rng.integers(-20000, 20000, size=c_out, dtype=np.int32),
                   scales=(np.float32(in_s) * w_s).astype(np.float32), axis=0)
    out_s = float(in_s * float(np.mean(w_s)) * math.sqrt(k) * 137 * rng.uniform(0.5, 2))
    oh = (h + stride[0] - 1) // stride[0] if padding == "SAME" else (h - (kh - 1) * dilation[0] - 1) // stride[0] + 1
    ow = (w + stride[1] - 1) // stride[1] if padding == "SAME" else (w - (kw - 1) * dilation[1] - 1) // stride[1] + 1
    if oh <= 0 or ow <= 0:
        pytest.skip("filter larger than the input")
    y = b.tensor("y", (1, oh, ow, c_out), scale=out_s, zero_point=int(rng.integers(-128, 128)))
    b.op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", [x, wq, bias if case != 3 else None], [y],
         padding=padding, stride=stride, dilation=dilation, activation=activation, **options)
    b.output(y)
    _check_built(b, f"conv{case}")


@pytest.mark.parametrize("per_channel", [False, True])
def test_builder_fully_connected(per_channel):
    """FULLY_CONNECTED with many outputs: per-tensor derives its multiplier from
    a float product of the scales, per-channel from a double one."""
    rng = np.random.default_rng(7 + per_channel)
    b = _builder()
    rows, k, units = 32, 200, 48
    in_s, in_zp = _act_q(rng)
    x = b.input("x", (rows, k), scale=in_s, zero_point=in_zp)
    w_s = rng.uniform(0.002, 0.02, size=units if per_channel else 1).astype(np.float32)
    w = b.const("w", rng.integers(-127, 128, size=(units, k), dtype=np.int8), scales=w_s, axis=0)
    bias = b.const("b", rng.integers(-30000, 30000, size=units, dtype=np.int32),
                   scales=(np.float32(in_s) * w_s).astype(np.float32), axis=0)
    y = b.tensor("y", (rows, units), scale=in_s * float(np.mean(w_s)) * math.sqrt(k) * 60, zero_point=3)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], activation="RELU")
    b.output(y)
    _check_built(b, "fc", seeds=range(4))


@pytest.mark.parametrize("opname", ["FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D"])
@pytest.mark.parametrize("per_channel", [False, True])
def test_builder_filter_zero_points(opname, per_channel):
    """Non-zero filter zero points: per-tensor FULLY_CONNECTED subtracts it,
    CONV_2D, DEPTHWISE_CONV_2D and per-channel FULLY_CONNECTED ignore it."""
    rng = np.random.default_rng(11)
    b = _builder()
    if opname == "FULLY_CONNECTED":
        x, wshape, axis, yshape, kw = b.input("x", (4, 16), scale=0.02, zero_point=5), (8, 16), 0, (4, 8), {}
    elif opname == "CONV_2D":
        x, wshape, axis, yshape = b.input("x", (1, 5, 5, 4), scale=0.02, zero_point=5), (8, 3, 3, 4), 0, (1, 5, 5, 8)
        kw = dict(padding="SAME")
    else:
        x, wshape, axis, yshape = b.input("x", (1, 5, 5, 8), scale=0.02, zero_point=5), (1, 3, 3, 8), 3, (1, 5, 5, 8)
        kw = dict(padding="SAME")
    n = 8 if per_channel else 1
    w = b.const("w", rng.integers(-100, 100, size=wshape, dtype=np.int8), scales=np.full(n, 0.01, np.float32),
                zero_points=np.full(n, 9), axis=axis)
    y = b.tensor("y", yshape, scale=0.05, zero_point=-3)
    b.op(opname, [x, w], [y], **kw)  # no bias
    b.output(y)
    _check_built(b, f"{opname}-filter-zp")


@pytest.mark.parametrize("opname", ["ADD", "MUL"])
@pytest.mark.parametrize("shapes", [((2, 5, 6, 8), (2, 5, 6, 8)), ((1, 5, 6, 8), (8,)),
                                    ((3, 1, 8), (1, 4, 1)), ((1, 1, 1, 1), (1, 3, 4, 5))])
def test_builder_add_mul(opname, shapes):
    rng = np.random.default_rng(hash((opname, shapes)) % 2 ** 32)
    for case, activation in enumerate(["NONE", "RELU", "RELU6"]):
        b = _builder()
        (sa, za), (sb, zb) = _act_q(rng, 0.01, 0.2), _act_q(rng, 0.01, 0.2)
        a = b.input("a", shapes[0], scale=sa, zero_point=za)
        c = b.input("c", shapes[1], scale=sb, zero_point=zb)
        so = (sa + sb) * rng.uniform(0.6, 1.5) if opname == "ADD" else sa * sb * 60 * rng.uniform(0.5, 2)
        y = b.tensor("y", np.broadcast_shapes(*shapes), scale=so, zero_point=int(rng.integers(-100, 100)))
        b.op(opname, [a, c], [y], activation=activation)
        b.output(y)
        _check_built(b, f"{opname}{case}")


@pytest.mark.parametrize("opname", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("geometry", [((9, 11), (3, 3), (2, 2)), ((8, 8), (2, 2), (2, 2)),
                                      ((7, 10), (4, 3), (1, 3)), ((6, 6), (6, 6), (1, 1))])
def test_builder_pooling(opname, padding, geometry):
    (h, w), filt, stride = geometry
    for activation in ("NONE", "RELU6"):
        b = _builder()
        s, z = _act_q(np.random.default_rng(h * w))
        x = b.input("x", (2, h, w, 5), scale=s, zero_point=z)
        oh = (h + stride[0] - 1) // stride[0] if padding == "SAME" else (h - filt[0]) // stride[0] + 1
        ow = (w + stride[1] - 1) // stride[1] if padding == "SAME" else (w - filt[1]) // stride[1] + 1
        y = b.tensor("y", (2, oh, ow, 5), scale=s, zero_point=z)
        b.op(opname, [x], [y], padding=padding, filter=filt, stride=stride, activation=activation)
        b.output(y)
        _check_built(b, opname)


@pytest.mark.parametrize("axes,keep_dims", [([1, 2], True), ([1, 2], False), ([-1], False),
                                            ([0, 3], True), ([2], True), ([1, 2, 3], False)])
def test_builder_mean(axes, keep_dims):
    rng = np.random.default_rng(len(axes) * 10 + keep_dims)
    for case in range(3):
        b = _builder()
        s, z = _act_q(rng)
        shape = (2, 7, 5, 6)
        x = b.input("x", shape, scale=s, zero_point=z)
        red = {a % 4 for a in axes}
        out_shape = tuple(1 if i in red else d for i, d in enumerate(shape)) if keep_dims else \
            tuple(d for i, d in enumerate(shape) if i not in red)
        y = b.tensor("y", out_shape, scale=s * rng.uniform(0.2, 1.5), zero_point=int(rng.integers(-128, 128)))
        b.op("MEAN", [x, b.const("axes", np.array(axes, np.int32))], [y], keep_dims=keep_dims)
        b.output(y)
        _check_built(b, "mean")


@pytest.mark.parametrize("case", range(8))
def test_builder_softmax(case):
    """SOFTMAX over wide input ranges and several betas (gemmlowp exp/reciprocal)."""
    rng = np.random.default_rng(300 + case)
    b = _builder()
    in_s = float(np.float32(10 ** rng.uniform(-2.5, 0)))
    beta = [1.0, 0.5, 2.0, 0.25][case % 4]
    depth = [10, 2, 37, 500][case % 4]  # 512+ equal values per row make TFLite abort
    x = b.input("x", (6, depth), scale=in_s, zero_point=int(rng.integers(-128, 128)))
    y = b.tensor("y", (6, depth), scale=1 / 256, zero_point=-128)
    b.op("SOFTMAX", [x], [y], beta=beta)
    b.output(y)

    def inputs(seed):
        r = np.random.default_rng(seed)
        spread = [255, 40, 8, 2][seed % 4]  # from flat (many ties) to peaked rows
        x = np.clip(r.integers(-spread, spread + 1, size=(6, depth)) + r.integers(-128, 128, size=(6, 1)), -128, 127)
        return [x.astype(np.int8)]
    _check_built(b, "softmax", seeds=range(8), inputs=inputs)


def test_softmax_rejects_what_tflite_aborts_on():
    q = QParams.per_tensor(0.01, 0)
    with pytest.raises(ValueError):
        K.softmax(np.zeros((1, 1000), np.int8), q, QParams.per_tensor(1 / 256, -128))
    y = K.softmax(np.zeros((1, 500), np.int8), q, QParams.per_tensor(1 / 256, -128))
    assert y.shape == (1, 500)


@pytest.mark.parametrize("case", range(8))
def test_builder_logistic(case):
    rng = np.random.default_rng(400 + case)
    b = _builder()
    x = b.input("x", (4, 300), scale=float(10 ** rng.uniform(-3, 0)), zero_point=int(rng.integers(-128, 128)))
    y = b.tensor("y", (4, 300), scale=1 / 256, zero_point=-128)
    b.op("LOGISTIC", [x], [y])
    b.output(y)
    _check_built(b, "logistic", inputs=_all_int8_values((4, 300)))


@pytest.mark.parametrize("case", range(8))
def test_builder_hard_swish(case):
    rng = np.random.default_rng(500 + case)
    b = _builder()
    in_s = float(10 ** rng.uniform(-2.5, -0.5))
    x = b.input("x", (2, 4, 5, 16), scale=in_s, zero_point=int(rng.integers(-128, 128)))
    y = b.tensor("y", (2, 4, 5, 16), scale=in_s * rng.uniform(0.3, 3), zero_point=int(rng.integers(-128, 128)))
    b.op("HARD_SWISH", [x], [y])
    b.output(y)
    _check_built(b, "hard_swish", inputs=_all_int8_values((2, 4, 5, 16)))


def test_builder_layout_ops():
    """CONCATENATION, PAD, PADV2, TRANSPOSE, RESHAPE chained in one model."""
    b = _builder()
    s, z = 0.05, -7
    x1 = b.input("x1", (1, 4, 5, 3), scale=s, zero_point=z)
    x2 = b.input("x2", (1, 4, 5, 2), scale=s, zero_point=z)
    c = b.tensor("c", (1, 4, 5, 5), scale=s, zero_point=z)
    b.op("CONCATENATION", [x1, x2], [c], axis=3)
    p = b.tensor("p", (1, 7, 6, 5), scale=s, zero_point=z)
    b.op("PAD", [c, b.const("pads", np.array([[0, 0], [1, 2], [0, 1], [0, 0]], np.int32))], [p])
    p2 = b.tensor("p2", (2, 7, 8, 5), scale=s, zero_point=z)
    b.op("PADV2", [p, b.const("pads2", np.array([[1, 0], [0, 0], [2, 0], [0, 0]], np.int32)),
                   b.const("v", np.array([33], np.int8), scales=s, zero_points=z)], [p2])
    t = b.tensor("t", (5, 2, 8, 7), scale=s, zero_point=z)
    b.op("TRANSPOSE", [p2, b.const("perm", np.array([3, 0, 2, 1], np.int32))], [t])
    r = b.tensor("r", (10, 56), scale=s, zero_point=z)
    b.op("RESHAPE", [t], [r], new_shape=(10, 56))
    c2 = b.tensor("c2", (20, 56), scale=s, zero_point=z)
    b.op("CONCATENATION", [r, r], [c2], axis=0)
    b.output(c2)
    _check_built(b, "layout")


def test_builder_quantize_dequantize():
    """QUANTIZE float->int8 (including exact .5 ties, huge values), QUANTIZE
    int8->int8 (requantize) and DEQUANTIZE."""
    b = _builder()
    scale, zp = 0.0625, -3  # a power of two: k.5 * scale are exact ties
    x = b.input("x", (4, 64), dtype="float32")
    q = b.tensor("q", (4, 64), scale=scale, zero_point=zp)
    b.op("QUANTIZE", [x], [q])
    r = b.tensor("r", (4, 64), scale=0.0371, zero_point=11)
    b.op("QUANTIZE", [q], [r])
    r2 = b.tensor("r2", (4, 64), scale=0.5, zero_point=-100)
    b.op("QUANTIZE", [r], [r2])
    d = b.tensor("d", (4, 64), dtype="float32")
    b.op("DEQUANTIZE", [r2], [d])
    b.output(d)

    def inputs(seed):
        rng = np.random.default_rng(seed)
        x = rng.normal(0, 4, size=(4, 64)).astype(np.float32)
        x[0, :32] = (np.arange(-16, 16) + 0.5) * scale  # ties round away from zero
        x[0, 32:40] = [1e9, -1e9, 3e38, -3e38, 7.99, -8.2, 0.0, -0.0]
        return [x]
    _check_built(b, "quantize", seeds=range(3), inputs=inputs)


# ---------------------------------------------------------------------------
# Discriminating tests: inputs engineered so that the plausible alternatives
# (float vs double scale products, ...) give different outputs; TFLM decides.
# ---------------------------------------------------------------------------


def _float_product_multiplier(in_s, w_s, out_s):
    return qz.quantize_multiplier(float(np.float32(in_s) * np.float32(w_s)) / out_s)


def _double_product_multiplier(in_s, w_s, out_s):
    return qz.quantize_multiplier(in_s * w_s / out_s)


def _discriminating_accumulators(rng, count=6):
    """Scales and int32 accumulators for which requantizing with the
    float-product multiplier and with the double-product one disagree."""
    for _ in range(200):
        in_s, w_s = (float(np.float32(v)) for v in rng.uniform(0.001, 0.05, 2))
        out_s = float(np.float32(in_s * w_s * 2 ** rng.uniform(19, 21)))  # accumulators ~2^27
        (mf, sf), (md, sd) = _float_product_multiplier(in_s, w_s, out_s), _double_product_multiplier(in_s, w_s, out_s)
        if (mf, sf) == (md, sd):
            continue
        real = in_s * w_s / out_s
        found = []
        for k in range(-120, 120):
            window = np.arange(int((k + 0.5) / real) - 64, int((k + 0.5) / real) + 64)
            differ = fx.multiply_by_quantized_multiplier(window, mf, sf) != fx.multiply_by_quantized_multiplier(window, md, sd)
            found.extend(window[differ].tolist())
        if len(found) >= count:
            return in_s, w_s, out_s, np.array(found[:count], np.int32)
    raise AssertionError("no discriminating accumulators found")


@pytest.mark.parametrize("opname,per_channel,expect", [
    # The published GetQuantizedConvolutionMultipler source rounds the product
    # to float; the tflite-micro wheel computes it in double.
    ("FULLY_CONNECTED", False, "double"),
    ("FULLY_CONNECTED", True, "double"),
    ("CONV_2D", False, "double"),          # PopulateConvolutionQuantizationParams
    ("CONV_2D", True, "double"),
    ("DEPTHWISE_CONV_2D", True, "double"),
])
def test_multiplier_precision_matches_tflm(opname, per_channel, expect):
    rng = np.random.default_rng(42)
    in_s, w_s, out_s, accs = _discriminating_accumulators(rng)
    units, in_zp = len(accs), 7
    wq = QParams(tuple([w_s] * (units if per_channel else 1)), (0,))
    mult, shift = (qz.fully_connected_multipliers if opname == "FULLY_CONNECTED" else qz.conv_output_multipliers)(
        QParams.per_tensor(in_s, in_zp), wq, QParams.per_tensor(out_s, 0))
    want = (_float_product_multiplier if expect == "float" else _double_product_multiplier)(in_s, w_s, out_s)
    assert (int(mult[0]), int(shift[0])) == want

    b = _builder()
    w_scales = np.full(units if per_channel else 1, w_s, np.float32)
    bias = b.const("b", accs, scales=np.full(units, np.float32(in_s) * np.float32(w_s), np.float32))
    if opname == "FULLY_CONNECTED":
        x = b.input("x", (1, 1), scale=in_s, zero_point=in_zp)
        w = b.const("w", np.ones((units, 1), np.int8), scales=w_scales, axis=0)
        y = b.tensor("y", (1, units), scale=out_s, zero_point=0)
        b.op(opname, [x, w, bias], [y])
    elif opname == "CONV_2D":
        x = b.input("x", (1, 1, 1, 1), scale=in_s, zero_point=in_zp)
        w = b.const("w", np.ones((units, 1, 1, 1), np.int8), scales=w_scales, axis=0)
        y = b.tensor("y", (1, 1, 1, units), scale=out_s, zero_point=0)
        b.op(opname, [x, w, bias], [y], padding="VALID")
    else:
        x = b.input("x", (1, 1, 1, units), scale=in_s, zero_point=in_zp)
        w = b.const("w", np.ones((1, 1, 1, units), np.int8), scales=w_scales, axis=3)
        y = b.tensor("y", (1, 1, 1, units), scale=out_s, zero_point=0)
        b.op(opname, [x, w, bias], [y], padding="VALID")
    b.output(y)
    # Input == zero point, so every accumulator is exactly its bias.
    _check_built(b, opname, seeds=[0], inputs=lambda seed: [np.full(x.shape, in_zp, np.int8)])


def test_hard_swish_multiplier_precision_matches_tflm():
    """The wheel divides hires_input_scale (a float product) by the output
    scale in double; the published source divides in float. Pick scales for
    which the two give different outputs and let TFLM decide."""
    from tinyir.numerics.kernels.activation import hard_swish_with_params
    rng = np.random.default_rng(3)
    xs = np.arange(-128, 128, dtype=np.int8)
    for _ in range(100000):
        in_s, out_s = (float(np.float32(v)) for v in 10 ** rng.uniform(-2.5, -0.5, 2))
        zi, zo = (int(v) for v in rng.integers(-128, 128, 2))
        p = qz.hard_swish_params(QParams.per_tensor(in_s, zi), QParams.per_tensor(out_s, zo))
        hires = np.float32(1 / 128) * np.float32(in_s)
        m, e = qz.quantize_multiplier(float(hires / np.float32(out_s)))  # float division
        m16 = qz._downscale_int32_to_int16_multiplier(m)
        if (m16, e) == p[2:4] or p.output_multiplier_exponent > 0:
            continue
        alt = p._replace(output_multiplier_fixedpoint_int16=m16, output_multiplier_exponent=e)
        if np.any(hard_swish_with_params(xs, p) != hard_swish_with_params(xs, alt)):
            break
    else:
        pytest.fail("no discriminating hard_swish scales found")
    b = _builder()
    x = b.input("x", (1, 256), scale=in_s, zero_point=zi)
    y = b.tensor("y", (1, 256), scale=out_s, zero_point=zo)
    b.op("HARD_SWISH", [x], [y])
    b.output(y)
    _check_built(b, "hard_swish", seeds=[0], inputs=lambda seed: [xs.reshape(1, 256)])
