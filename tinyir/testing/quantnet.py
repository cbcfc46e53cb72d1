"""QuantNet: a float network builder that writes int8 TFLite models the way a
training framework plus the TFLite converter would (see tinyir.testing.models
for how and why), with a fake-quantized float reference of each model."""


from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np

from tinyir.numerics.kernels.resize import resize as _resize
from tinyir.testing.tflite_builder import TFLiteBuilder

# ==========================================================================
# Float kernels (numpy). Arrays carry a leading sample axis in front of the
# model's shape: a batch-1 NHWC tensor is held as (samples, 1, H, W, C).
# ==========================================================================

_ACTIVATION_RANGE = {"NONE": (-np.inf, np.inf), "RELU": (0.0, np.inf),
                     "RELU_N1_TO_1": (-1.0, 1.0), "RELU6": (0.0, 6.0)}


def _activate(x: np.ndarray, activation: str) -> np.ndarray:
    lo, hi = _ACTIVATION_RANGE[activation]
    return np.clip(x, lo, hi)


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _pads_and_size(size: int, k: int, stride: int, dilation: int, padding: str) -> tuple[int, int, int]:
    """(pad_before, pad_after, out_size) as TFLite computes them."""
    eff = (k - 1) * dilation + 1
    if padding == "VALID":
        return 0, 0, (size - eff + stride) // stride
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2, out


def _window_taps(x: np.ndarray, kernel, stride, dilation, padding, fill: float) -> Iterator[tuple[int, int, np.ndarray]]:
    """For each kernel tap (i, j): the input values it sees at every output
    position. ``x`` is (N, H, W, C); padding positions hold ``fill``."""
    (kh, kw), (sh, sw), (dh, dw) = _pair(kernel), _pair(stride), _pair(dilation)
    top, bottom, oh = _pads_and_size(x.shape[1], kh, sh, dh, padding)
    left, right, ow = _pads_and_size(x.shape[2], kw, sw, dw, padding)
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    for i in range(kh):
        for j in range(kw):
            yield i, j, xp[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw, :]


def _as_images(x: np.ndarray) -> np.ndarray:
    """(samples, 1, H, W, C) -> (samples, H, W, C)."""
    return x.reshape((-1,) + x.shape[2:])


def _conv2d(x, filt, bias, o):
    xi = _as_images(x)
    out = sum(tap @ filt[:, i, j, :].T for i, j, tap in
              _window_taps(xi, filt.shape[1:3], o["stride"], o["dilation"], o["padding"], 0.0))
    return (out + bias).reshape(x.shape[:2] + out.shape[1:])  # (samples, N, ...)


def _depthwise_conv2d(x, filt, bias, o):
    xi = np.repeat(_as_images(x), o["depth_multiplier"], axis=-1)  # channel c*M+m reads c
    out = sum(tap * filt[0, i, j, :] for i, j, tap in
              _window_taps(xi, filt.shape[1:3], o["stride"], o["dilation"], o["padding"], 0.0))
    return (out + bias).reshape(x.shape[:2] + out.shape[1:])  # (samples, N, ...)


def _fully_connected(x, filt, bias, o):
    out = x.reshape(x.shape[0], -1, filt.shape[1]) @ filt.T + bias
    if o["keep_num_dims"]:
        return out.reshape(x.shape[:-1] + (filt.shape[0],))
    return out


def _average_pool(x, o):
    xi = _as_images(x)
    ones = np.ones_like(xi[..., :1])
    total = sum(t for _, _, t in _window_taps(xi, o["filter"], o["stride"], 1, o["padding"], 0.0))
    count = sum(t for _, _, t in _window_taps(ones, o["filter"], o["stride"], 1, o["padding"], 0.0))
    return (total / count)[:, None]


def _max_pool(x, o):
    taps = [t for _, _, t in _window_taps(_as_images(x), o["filter"], o["stride"], 1, o["padding"], -np.inf)]
    return np.max(taps, axis=0)[:, None]


def _align_ranks(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert axes after the sample axis so both have the same rank."""
    while a.ndim < b.ndim:
        a = a[:, None]
    while b.ndim < a.ndim:
        b = b[:, None]
    return a, b


def _softmax(x, beta):
    z = beta * (x - x.max(axis=-1, keepdims=True))
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _hard_swish(x):
    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


def _space_to_batch(x, block, paddings, fill: float):
    """SPACE_TO_BATCH_ND on (samples, N, H, W, C): batch (i * bw + j) * N + n holds
    rows i, i + bh, ... and columns j, j + bw, ... of image n padded with `fill`."""
    (bh, bw), ((top, bottom), (left, right)) = block, paddings
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    s, n, h, w, c = xp.shape
    y = xp.reshape(s, n, h // bh, bh, w // bw, bw, c).transpose(0, 3, 5, 1, 2, 4, 6)
    return y.reshape(s, bh * bw * n, h // bh, w // bw, c)


def _batch_to_space(x, block, crops):
    """BATCH_TO_SPACE_ND, the inverse of _space_to_batch, then the crops."""
    (bh, bw), ((top, bottom), (left, right)) = block, crops
    s, b, h, w, c = x.shape
    n = b // (bh * bw)
    y = x.reshape(s, bh, bw, n, h, w, c).transpose(0, 3, 4, 1, 5, 2, 6).reshape(s, n, h * bh, w * bw, c)
    return y[:, :, top:h * bh - bottom, left:w * bw - right]


_BINARY = {
    "ADD": np.add,
    "MUL": np.multiply,
    "SUB": np.subtract,
    "MINIMUM": np.minimum,
    "MAXIMUM": np.maximum,
    "SQUARED_DIFFERENCE": lambda a, b: (a - b) ** 2,
    "PRELU": lambda x, alpha: np.where(x >= 0, x, alpha * x),
}


def _sample_axes(axes: Sequence[int], rank: int) -> tuple[int, ...]:
    """Model axes -> axes of the sample-prefixed array."""
    return tuple(a % rank + 1 for a in axes)


def _evaluate(layer: "Layer", xs: list[np.ndarray], params: dict[str, np.ndarray]) -> np.ndarray:
    """The float value of ``layer``'s output for input values ``xs``."""
    o, k = layer.options, layer.kind
    act = o.get("activation", "NONE")
    rank = len(layer.inputs[0].shape)
    if k == "CONV_2D":
        y = _conv2d(xs[0], params["filter"], params["bias"], o)
    elif k == "DEPTHWISE_CONV_2D":
        y = _depthwise_conv2d(xs[0], params["filter"], params["bias"], o)
    elif k == "FULLY_CONNECTED":
        y = _fully_connected(xs[0], params["filter"], params["bias"], o)
    elif k in ("ADD", "MUL", "SUB", "MINIMUM", "MAXIMUM", "SQUARED_DIFFERENCE", "PRELU"):
        a, b = _align_ranks(xs[0], xs[1])
        y = _BINARY[k](a, b)
    elif k == "AVERAGE_POOL_2D":
        y = _average_pool(xs[0], o)
    elif k == "MAX_POOL_2D":
        y = _max_pool(xs[0], o)
    elif k == "MEAN":
        y = xs[0].mean(axis=_sample_axes(layer.attrs["axes"], rank), keepdims=o["keep_dims"])
    elif k in ("PAD", "PADV2"):
        y = np.pad(xs[0], [(0, 0)] + [tuple(p) for p in layer.attrs["paddings"]])
    elif k == "RESHAPE":
        y = xs[0].reshape((-1,) + tuple(layer.attrs["shape"]))
    elif k == "SOFTMAX":
        y = _softmax(xs[0], o["beta"])
    elif k == "LOGISTIC":
        y = 1.0 / (1.0 + np.exp(-xs[0]))
    elif k in ("RELU", "RELU6", "RELU_N1_TO_1"):
        y = _activate(xs[0], k)
    elif k == "HARD_SWISH":
        y = _hard_swish(xs[0])
    elif k == "LEAKY_RELU":
        y = np.where(xs[0] >= 0, xs[0], o["alpha"] * xs[0])
    elif k == "TANH":
        y = np.tanh(xs[0])
    elif k == "LOG_SOFTMAX":
        y = np.log(_softmax(xs[0], 1.0))
    elif k == "ARG_MAX":
        y = np.argmax(xs[0], axis=_sample_axes(layer.attrs["axes"], rank)[0])
    elif k == "CONCATENATION":
        y = np.concatenate(xs, axis=o["axis"] % rank + 1)
    elif k == "TRANSPOSE":
        y = np.transpose(xs[0], (0,) + _sample_axes(layer.attrs["perm"], rank))
    elif k in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"):
        mode = "bilinear" if k == "RESIZE_BILINEAR" else "nearest"
        y = _resize(_as_images(xs[0]).astype(np.float32), out_hw=tuple(layer.attrs["size"]), mode=mode,
                    **o)[:, None].astype(np.float64)
    elif k == "SPACE_TO_BATCH_ND":
        y = _space_to_batch(xs[0], layer.attrs["block_shape"], layer.attrs["paddings"], params.get("fill", 0.0))
    elif k == "BATCH_TO_SPACE_ND":
        y = _batch_to_space(xs[0], layer.attrs["block_shape"], layer.attrs["crops"])
    elif k in ("QUANTIZE", "DEQUANTIZE"):
        y = xs[0]
    else:
        raise NotImplementedError(k)
    return _activate(y, act)


# ==========================================================================
# Quantization helpers
# ==========================================================================

def _quant_from_range(lo: float, hi: float) -> tuple[float, int]:
    """Asymmetric int8 (scale, zero_point) covering [lo, hi] and 0."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-6:
        hi = lo + 1e-3
    scale = float(np.float32((hi - lo) / 255.0))
    zero_point = int(np.clip(np.round(-128 - lo / scale), -128, 127))
    return scale, zero_point


def _quantize(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    return np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)


def _dequantize(q: np.ndarray, scale, zero_point) -> np.ndarray:
    return (q.astype(np.float64) - zero_point) * scale


def _quantize_weights(w: np.ndarray, axis: int, per_channel: bool) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 weights: (int8 values, float32 scales; one per slice
    along ``axis`` if ``per_channel``, else one)."""
    if per_channel:
        reduce = tuple(a for a in range(w.ndim) if a != axis)
        max_abs = np.abs(w).max(axis=reduce)
    else:
        max_abs = np.array([np.abs(w).max()])
    scales = (np.maximum(max_abs, 1e-8) / 127.0).astype(np.float32)
    shape = [1] * w.ndim
    if per_channel:
        shape[axis] = -1
    q = np.clip(np.round(w / scales.astype(np.float64).reshape(shape)), -127, 127).astype(np.int8)
    return q, scales


# ==========================================================================
# The float network builder
# ==========================================================================

#: int8 operators whose output keeps the quantization of their data inputs.
#: (TFLite Micro's int8 RELU6 clamps in its input's quantization and ignores
#: the output's; other layers join by ``same_quant=True``.)
_SHARED_QUANT = {"AVERAGE_POOL_2D", "MAX_POOL_2D", "RESHAPE", "TRANSPOSE", "PAD", "PADV2", "CONCATENATION", "RELU6",
                 "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND",
                 "MINIMUM", "MAXIMUM"}
#: of those, the operators whose every input shares the output's quantization
_SHARED_QUANT_ALL_INPUTS = {"CONCATENATION", "MINIMUM", "MAXIMUM"}
#: int8 operators with a kernel-mandated output quantization.
_FIXED_QUANT = {"LOGISTIC": (1.0 / 256, -128), "SOFTMAX": (1.0 / 256, -128), "TANH": (1.0 / 128, 0),
                "LOG_SOFTMAX": (16.0 / 256, 127)}
#: weight layout: operator -> quantized dimension of its filter.
_FILTER_AXIS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0}


@dataclass(eq=False)
class FTensor:
    """A tensor of a :class:`QuantNet`: its calibration values (a leading
    sample axis in front of the model shape) and its element type in the
    model. ``const`` tensors become int8 constants."""

    name: str
    value: np.ndarray
    dtype: str = "int8"
    const: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape[1:]


@dataclass(eq=False)
class Layer:
    """One operator of a :class:`QuantNet`. ``options`` are the TFLite
    options (keyword arguments of ``TFLiteBuilder.op``), ``params`` the float
    filter/bias, ``attrs`` the values of its int32 constant inputs."""

    kind: str
    inputs: list[FTensor]
    output: FTensor
    options: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)
    per_channel: bool = True


@dataclass
class ModelCase:
    """A generated model and its fake-quant float reference.

    ``reference(inputs)`` maps raw model inputs (int8 or float32 arrays of
    the input shapes) to raw model outputs; ``reference_tensors(inputs)``
    gives every activation by tensor name. They agree with TFLite's int8
    kernels to within rounding: +-1 per operator, which a deep network can
    amplify. ``reference_tensors(inputs, given)`` evaluates each operator on
    the activations in ``given`` (raw values by tensor name, e.g. all
    tensors of a TFLite Micro run) where present: a layer-by-layer check
    without accumulated rounding. ``output_quant`` is (scale, zero_point)
    per output, None for float outputs.
    """

    name: str
    data: bytes
    input_shapes: list[tuple[int, ...]]
    input_dtypes: list[str]
    reference: Callable[[list[np.ndarray]], list[np.ndarray]]
    reference_tensors: Callable[[list[np.ndarray]], dict[str, np.ndarray]]
    output_quant: list[tuple[float, int] | None]
    tflm_data: bytes | None = None
    """A model TFLite Micro computes the same outputs of, where it cannot be
    trusted on `data` itself (SPACE_TO_BATCH_ND's padding: see
    dilated_by_space_to_batch); None: `data`."""

    def random_inputs(self, rng: np.random.Generator) -> list[np.ndarray]:
        """Uniform random inputs: all int8 values, or floats in [-1, 1]."""
        out = []
        for shape, dtype in zip(self.input_shapes, self.input_dtypes):
            if dtype == "int8":
                out.append(rng.integers(-128, 128, size=shape, dtype=np.int8))
            else:
                out.append(rng.uniform(-1.0, 1.0, size=shape).astype(np.float32))
        return out


class QuantNet:
    """Builds a float network with calibration values, then the int8 model.

    Every method that adds a layer returns its output :class:`FTensor`.
    ``samples`` is the size of the calibration batch; ``seed`` seeds weights
    and calibration data.
    """

    def __init__(self, seed: int = 0, samples: int = 8) -> None:
        self.rng = np.random.default_rng(seed)
        self.samples = samples
        self.layers: list[Layer] = []
        self.inputs: list[FTensor] = []
        self.outputs: list[FTensor] = []
        self._input_quant: dict[FTensor, tuple[float, int]] = {}
        self._range_override: dict[FTensor, tuple[float, float]] = {}
        self._names: Counter[str] = Counter()

    # ---- bookkeeping -----------------------------------------------------

    def _unique(self, base: str) -> str:
        self._names[base] += 1
        n = self._names[base]
        return base if n == 1 else f"{base}_{n - 1}"

    def _add(self, kind: str, inputs: list[FTensor], options: dict | None = None, *,
             params: dict | None = None, attrs: dict | None = None, per_channel: bool = True,
             name: str | None = None, dtype: str = "int8") -> FTensor:
        layer = Layer(kind, inputs, None, options or {}, params or {}, attrs or {}, per_channel)
        for t in inputs:
            if t.dtype != "int8" and kind != "DEQUANTIZE" and not (kind == "QUANTIZE" and t.dtype == "float32"):
                raise ValueError(f"{kind}: input {t.name} is {t.dtype}; quantize it first")
        value = _evaluate(layer, [t.value for t in inputs], layer.params)
        layer.output = FTensor(self._unique(name or kind.lower()), value, dtype)
        self.layers.append(layer)
        return layer.output

    def _calibration_values(self, shape: tuple[int, ...], lo: float, hi: float) -> np.ndarray:
        """Calibration data in [lo, hi]: uniform noise (what tests usually
        feed), and for 4-D inputs half of the samples image-like instead
        (smooth random fields with per-sample contrast, plus noise)."""
        full = (self.samples,) + tuple(shape)
        values = self.rng.uniform(lo, hi, size=full)
        if len(shape) != 4 or min(shape[1:3]) < 4:
            return values
        _, h, w, c = shape
        images = self.samples // 2
        coarse = self.rng.normal(size=(images, 1, -(-h // 4), -(-w // 4), c))
        smooth = np.repeat(np.repeat(coarse, 4, axis=2), 4, axis=3)[:, :, :h, :w, :]
        contrast = self.rng.uniform(0.3, 1.0, size=(images, 1, 1, 1, 1))
        x = 0.5 * contrast * smooth + 0.25 * self.rng.normal(size=smooth.shape)
        values[:images] = lo + (hi - lo) * np.clip(0.5 + 0.5 * x, 0.0, 1.0)
        return values

    def _folded_norm(self, pre: np.ndarray, *, gain=(0.5, 2.0), offset=0.5) -> tuple[np.ndarray, np.ndarray]:
        """Per-output-channel (multiplier, bias) of a folded batch norm that
        maps the pre-activation ``pre`` to mean ~N(0, offset), std in ``gain``."""
        axes = tuple(range(pre.ndim - 1))
        mean, std = pre.mean(axis=axes), pre.std(axis=axes)
        std = std + 1e-3 * std.max() + 1e-9  # no blow-up on (nearly) constant channels
        channels = pre.shape[-1]
        g = self.rng.uniform(*gain, size=channels) / std
        beta = self.rng.normal(0.0, offset, size=channels)
        return g, beta - mean * g

    def _weight_layer(self, kind: str, x: FTensor, filt: np.ndarray, options: dict, per_channel: bool,
                      name: str | None, gain=(0.5, 2.0), offset=0.5) -> FTensor:
        """Add a CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED layer with
        random filter ``filt`` normalized on the calibration batch."""
        channels = filt.shape[_FILTER_AXIS[kind]]
        probe = Layer(kind, [x], None, dict(options, activation="NONE"))
        pre = _evaluate(probe, [x.value], {"filter": filt, "bias": np.zeros(channels)})
        g, bias = self._folded_norm(pre, gain=gain, offset=offset)
        shape = [1] * filt.ndim
        shape[_FILTER_AXIS[kind]] = -1
        params = {"filter": filt * g.reshape(shape), "bias": bias}
        return self._add(kind, [x], options, params=params, per_channel=per_channel, name=name)

    # ---- inputs, outputs, constants -------------------------------------

    def input(self, name: str, shape: Sequence[int], *, dtype: str = "int8",
              value_range: tuple[float, float] = (-1.0, 1.0)) -> FTensor:
        """A model input holding values in ``value_range`` (int8 inputs are
        quantized to exactly cover it)."""
        value = self._calibration_values(tuple(shape), *value_range)
        t = FTensor(self._unique(name), value, dtype)
        if dtype == "int8":
            q = _quant_from_range(*value_range)
            self._input_quant[t] = q
            t.value = _dequantize(_quantize(value, *q), *q)
        self.inputs.append(t)
        return t

    def constant(self, name: str, value: np.ndarray) -> FTensor:
        """An int8 constant operand (of ADD, MUL, ...), quantized to its range."""
        value = np.asarray(value, np.float64)
        return FTensor(self._unique(name), np.broadcast_to(value, (self.samples,) + value.shape), "int8", True)

    def output(self, *tensors: FTensor) -> None:
        self.outputs.extend(tensors)

    # ---- layers ------------------------------------------------------------

    def conv2d(self, x: FTensor, channels: int, kernel=3, *, stride=1, dilation=1, padding="SAME",
               activation="NONE", per_channel=True, name=None) -> FTensor:
        kh, kw = _pair(kernel)
        depth = x.shape[-1]
        filt = self.rng.normal(0.0, np.sqrt(2.0 / (kh * kw * depth)), size=(channels, kh, kw, depth))
        options = dict(padding=padding, stride=_pair(stride), dilation=_pair(dilation), activation=activation)
        return self._weight_layer("CONV_2D", x, filt, options, per_channel, name or "conv")

    def depthwise_conv2d(self, x: FTensor, kernel=3, *, multiplier=1, stride=1, dilation=1, padding="SAME",
                         activation="NONE", per_channel=True, name=None) -> FTensor:
        kh, kw = _pair(kernel)
        filt = self.rng.normal(0.0, np.sqrt(2.0 / (kh * kw)), size=(1, kh, kw, x.shape[-1] * multiplier))
        options = dict(padding=padding, stride=_pair(stride), dilation=_pair(dilation),
                       depth_multiplier=multiplier, activation=activation)
        return self._weight_layer("DEPTHWISE_CONV_2D", x, filt, options, per_channel, name or "depthwise")

    def fully_connected(self, x: FTensor, units: int, *, activation="NONE", keep_num_dims=False,
                        per_channel=False, gain=(0.5, 2.0), name=None) -> FTensor:
        depth = x.shape[-1]
        filt = self.rng.normal(0.0, np.sqrt(2.0 / depth), size=(units, depth))
        options = dict(activation=activation, keep_num_dims=keep_num_dims)
        return self._weight_layer("FULLY_CONNECTED", x, filt, options, per_channel, name or "fc", gain=gain)

    def add(self, a: FTensor, b: FTensor, *, activation="NONE", name=None) -> FTensor:
        return self._add("ADD", [a, b], dict(activation=activation), name=name)

    def mul(self, a: FTensor, b: FTensor, *, activation="NONE", name=None) -> FTensor:
        return self._add("MUL", [a, b], dict(activation=activation), name=name)

    def sub(self, a: FTensor, b: FTensor, *, activation="NONE", name=None) -> FTensor:
        return self._add("SUB", [a, b], dict(activation=activation), name=name)

    def minimum(self, a: FTensor, b: FTensor, *, name=None) -> FTensor:
        """MINIMUM: inputs and output share one quantization (the converter's rule)."""
        return self._add("MINIMUM", [a, b], name=name)

    def maximum(self, a: FTensor, b: FTensor, *, name=None) -> FTensor:
        """MAXIMUM: inputs and output share one quantization (the converter's rule)."""
        return self._add("MAXIMUM", [a, b], name=name)

    def squared_difference(self, a: FTensor, b: FTensor, *, name=None) -> FTensor:
        return self._add("SQUARED_DIFFERENCE", [a, b], name=name)

    def prelu(self, x: FTensor, alpha: FTensor, *, name=None) -> FTensor:
        """PRELU with slopes `alpha` (a constant, broadcast against x)."""
        return self._add("PRELU", [x, alpha], name=name)

    def avg_pool(self, x: FTensor, size=2, *, stride=None, padding="VALID", name=None) -> FTensor:
        options = dict(padding=padding, stride=_pair(stride or size), filter=_pair(size))
        return self._add("AVERAGE_POOL_2D", [x], options, name=name or "avgpool")

    def max_pool(self, x: FTensor, size=2, *, stride=None, padding="VALID", name=None) -> FTensor:
        options = dict(padding=padding, stride=_pair(stride or size), filter=_pair(size))
        return self._add("MAX_POOL_2D", [x], options, name=name or "maxpool")

    def mean(self, x: FTensor, axes=(1, 2), *, keep_dims=True, name=None) -> FTensor:
        return self._add("MEAN", [x], dict(keep_dims=keep_dims), attrs={"axes": list(axes)}, name=name)

    def pad(self, x: FTensor, paddings, *, v2=False, name=None) -> FTensor:
        """Zero padding (the zero point in int8); PADV2 writes the pad value
        as an explicit constant."""
        kind = "PADV2" if v2 else "PAD"
        return self._add(kind, [x], attrs={"paddings": [list(p) for p in paddings]}, name=name)

    def reshape(self, x: FTensor, shape, *, name=None) -> FTensor:
        shape = [int(d) for d in shape]
        return self._add("RESHAPE", [x], dict(new_shape=shape), attrs={"shape": shape}, name=name)

    def softmax(self, x: FTensor, *, beta=1.0, name=None) -> FTensor:
        return self._add("SOFTMAX", [x], dict(beta=beta), name=name)

    def logistic(self, x: FTensor, *, name=None) -> FTensor:
        return self._add("LOGISTIC", [x], name=name)

    def relu(self, x: FTensor, kind: str = "RELU", *, same_quant: bool = False, name=None) -> FTensor:
        """A standalone RELU, RELU6 or RELU_N1_TO_1 operator. Its output is
        quantized to its own range (RELU6: always its input's, see
        ``_SHARED_QUANT``), or with ``same_quant`` to its input's."""
        if kind not in ("RELU", "RELU6", "RELU_N1_TO_1"):
            raise ValueError(f"relu: unknown kind {kind!r}")
        return self._add(kind, [x], attrs={"same_quant": same_quant}, name=name or kind.lower())

    def hard_swish(self, x: FTensor, *, name=None) -> FTensor:
        return self._add("HARD_SWISH", [x], name=name)

    def leaky_relu(self, x: FTensor, alpha: float = 0.2, *, name=None) -> FTensor:
        return self._add("LEAKY_RELU", [x], dict(alpha=float(np.float32(alpha))), name=name)

    def tanh(self, x: FTensor, *, name=None) -> FTensor:
        return self._add("TANH", [x], name=name)

    def log_softmax(self, x: FTensor, *, name=None) -> FTensor:
        return self._add("LOG_SOFTMAX", [x], name=name)

    def arg_max(self, x: FTensor, axis: int = -1, *, name=None) -> FTensor:
        """ARG_MAX along `axis`: an int32 output without that dimension."""
        return self._add("ARG_MAX", [x], dict(output_type="int32"), attrs={"axes": [axis]}, name=name,
                         dtype="int32")

    def concat(self, xs: Sequence[FTensor], axis=-1, *, name=None) -> FTensor:
        return self._add("CONCATENATION", list(xs), dict(axis=axis), name=name)

    def transpose(self, x: FTensor, perm, *, name=None) -> FTensor:
        return self._add("TRANSPOSE", [x], attrs={"perm": [int(p) for p in perm]}, name=name)

    def resize(self, x: FTensor, size, *, bilinear=False, align_corners=False, half_pixel_centers=False,
               name=None) -> FTensor:
        """RESIZE_BILINEAR or RESIZE_NEAREST_NEIGHBOR to `size` = (height, width)."""
        kind = "RESIZE_BILINEAR" if bilinear else "RESIZE_NEAREST_NEIGHBOR"
        options = dict(align_corners=align_corners, half_pixel_centers=half_pixel_centers)
        return self._add(kind, [x], options, attrs={"size": [int(d) for d in size]}, name=name or "resize")

    def space_to_batch(self, x: FTensor, block, paddings, *, name=None) -> FTensor:
        attrs = {"block_shape": list(_pair(block)), "paddings": [list(p) for p in paddings]}
        return self._add("SPACE_TO_BATCH_ND", [x], attrs=attrs, name=name or "space_to_batch")

    def batch_to_space(self, x: FTensor, block, crops, *, name=None) -> FTensor:
        attrs = {"block_shape": list(_pair(block)), "crops": [list(c) for c in crops]}
        return self._add("BATCH_TO_SPACE_ND", [x], attrs=attrs, name=name or "batch_to_space")

    def quantize(self, x: FTensor, *, value_range: tuple[float, float] | None = None, name=None) -> FTensor:
        """float32 -> int8, or int8 -> int8 requantization (by default to a
        range 1.5 times wider, so that the quantization really changes)."""
        y = self._add("QUANTIZE", [x], name=name)
        if value_range is None and x.dtype == "int8":
            value_range = (1.5 * min(x.value.min(), 0.0), 1.5 * max(x.value.max(), 0.0))
        if value_range is not None:
            self._range_override[y] = value_range
        return y

    def dequantize(self, x: FTensor, *, name=None) -> FTensor:
        return self._add("DEQUANTIZE", [x], name=name, dtype="float32")

    # ---- quantization and emission ------------------------------------

    def _activation_quant(self) -> dict[FTensor, tuple[float, int]]:
        """(scale, zero_point) of every int8 activation and constant operand.

        Tensors that must share quantization (inputs and output of pools,
        reshapes, ...) are grouped; a group takes the kernel-fixed or input
        quantization of a member if it has one, else its calibrated range."""
        parent: dict[FTensor, FTensor] = {}

        def find(t):
            while parent.setdefault(t, t) is not t:
                t = parent[t]
            return t

        fixed = dict(self._input_quant)
        tensors: list[FTensor] = list(self.inputs)
        for layer in self.layers:
            tensors += [t for t in layer.inputs if t.const] + [layer.output]
            if layer.kind in _SHARED_QUANT or layer.attrs.get("same_quant"):
                data = layer.inputs if layer.kind in _SHARED_QUANT_ALL_INPUTS else layer.inputs[:1]
                for t in data:
                    parent[find(t)] = find(layer.output)
            if layer.kind in _FIXED_QUANT:
                fixed[layer.output] = _FIXED_QUANT[layer.kind]
        groups: dict[FTensor, list[FTensor]] = {}
        for t in dict.fromkeys(tensors):
            if t.dtype == "int8":
                groups.setdefault(find(t), []).append(t)
        quant = {}
        for members in groups.values():
            pinned = {fixed[t] for t in members if t in fixed}
            if len(pinned) > 1:
                raise ValueError(f"conflicting fixed quantization in {[t.name for t in members]}")
            if pinned:
                q = pinned.pop()
            else:
                ranges = [self._range_override.get(t, (t.value.min(), t.value.max())) for t in members]
                q = _quant_from_range(min(r[0] for r in ranges), max(r[1] for r in ranges))
            quant.update((t, q) for t in members)
        return quant

    def _quantized_params(self, layer: Layer, in_scale: float) -> dict:
        """int8 filter and int32 bias of a weight layer, with their scales."""
        axis = _FILTER_AXIS[layer.kind]
        fq, fscales = _quantize_weights(layer.params["filter"], axis, layer.per_channel)
        bscales = in_scale * fscales.astype(np.float64)
        bq = np.round(layer.params["bias"] / np.resize(bscales, layer.params["bias"].shape)).astype(np.int32)
        return {"filter_q": fq, "filter_scales": fscales, "filter_axis": axis,
                "bias_q": bq, "bias_scales": bscales}

    def build(self, name: str = "model") -> ModelCase:
        """Quantize and write the model; return it with its reference."""
        if not self.outputs:
            raise ValueError("no outputs")
        quant = self._activation_quant()
        qparams = {layer: self._quantized_params(layer, quant[layer.inputs[0]][0])
                   for layer in self.layers if layer.kind in _FILTER_AXIS}
        data = _emit(self, quant, qparams)
        reference, reference_tensors = _make_reference(self, quant, qparams)
        return ModelCase(
            name=name, data=data,
            input_shapes=[t.shape for t in self.inputs],
            input_dtypes=[t.dtype for t in self.inputs],
            reference=reference,
            reference_tensors=reference_tensors,
            output_quant=[quant.get(t) for t in self.outputs],
        )


def _emit(net: QuantNet, quant: dict, qparams: dict) -> bytes:
    """Write ``net`` as a TFLite model."""
    b = TFLiteBuilder()
    handle = {}

    def tensor_quant(t: FTensor) -> dict:
        if t.dtype != "int8":
            return {"dtype": t.dtype}
        scale, zp = quant[t]
        return {"dtype": "int8", "scale": scale, "zero_point": zp}

    def operand(t: FTensor):
        if t.const and t not in handle:
            scale, zp = quant[t]
            handle[t] = b.const(t.name, _quantize(t.value[0], scale, zp), scales=scale, zero_points=zp)
        return handle[t]

    for t in net.inputs:
        handle[t] = b.input(t.name, t.shape, **tensor_quant(t))
    for layer in net.layers:
        out = layer.output
        ins = [operand(t) for t in layer.inputs]
        if layer in qparams:
            p = qparams[layer]
            ins.append(b.const(f"{out.name}/filter", p["filter_q"], scales=p["filter_scales"],
                               axis=p["filter_axis"]))
            ins.append(b.const(f"{out.name}/bias", p["bias_q"], scales=p["bias_scales"]))
        for key, suffix in (("axes", "axis"), ("size", "size"), ("block_shape", "block_shape"),
                            ("paddings", "paddings"), ("crops", "crops"), ("shape", "shape"), ("perm", "perm")):
            if key in layer.attrs:
                ins.append(b.const(f"{out.name}/{suffix}", np.asarray(layer.attrs[key], np.int32)))
        if layer.kind == "PADV2":
            scale, zp = quant[out]
            ins.append(b.const(f"{out.name}/value", np.array([zp], np.int8), scales=scale, zero_points=zp))
        handle[out] = b.tensor(out.name, out.shape, **tensor_quant(out))
        b.op(layer.kind, ins, [handle[out]], **layer.options)
    b.output(*(handle[t] for t in net.outputs))
    return b.finish()


def _make_reference(net: QuantNet, quant: dict, qparams: dict) -> Callable:
    """The fake-quant float model: raw model inputs -> raw model outputs."""

    def fake_quant(t: FTensor, value: np.ndarray) -> np.ndarray:
        if t.dtype != "int8":
            return value
        return _dequantize(_quantize(value, *quant[t]), *quant[t])

    def weights(layer: Layer) -> dict:
        if layer.kind == "SPACE_TO_BATCH_ND":  # TFLite Micro pads int8 with 0, not with the zero point
            return {"fill": float(_dequantize(np.int8(0), *quant[layer.inputs[0]]))}
        if layer not in qparams:
            return {}
        p = qparams[layer]
        shape = [1] * p["filter_q"].ndim
        shape[p["filter_axis"]] = -1
        scales = p["filter_scales"].astype(np.float64).reshape(shape)
        return {"filter": p["filter_q"] * scales, "bias": p["bias_q"] * p["bias_scales"]}

    layer_weights = {layer: weights(layer) for layer in net.layers}

    def raw(t: FTensor, value: np.ndarray) -> np.ndarray:
        v = value[0]
        return _quantize(v, *quant[t]) if t.dtype == "int8" else v.astype(np.dtype(t.dtype))

    def from_raw(t: FTensor, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)[None]
        return _dequantize(x, *quant[t]) if t.dtype == "int8" else x.astype(np.float64)

    def run(inputs: list[np.ndarray], given: dict[str, np.ndarray]) -> dict[FTensor, np.ndarray]:
        env = {t: from_raw(t, x) for t, x in zip(net.inputs, inputs)}
        for layer in net.layers:
            xs = [fake_quant(t, t.value[:1]) if t.const
                  else from_raw(t, given[t.name]) if t.name in given else env[t]
                  for t in layer.inputs]
            env[layer.output] = fake_quant(layer.output, _evaluate(layer, xs, layer_weights[layer]))
        return env

    def reference(inputs: list[np.ndarray]) -> list[np.ndarray]:
        env = run(inputs, {})
        return [raw(t, env[t]) for t in net.outputs]

    def reference_tensors(inputs: list[np.ndarray], given: dict[str, np.ndarray] | None = None
                          ) -> dict[str, np.ndarray]:
        return {t.name: raw(t, v) for t, v in run(inputs, given or {}).items()}

    return reference, reference_tensors
