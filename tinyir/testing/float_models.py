"""Float32 TFLite models for tests of float models through the whole
pipeline (seeded random weights, written with TFLiteBuilder, float32
tensors throughout, as TensorFlow's converter writes an unquantized model).

* `float_cnn()`: a small CNN with every float operator tinyir compiles:
  conv (fused RELU6), depthwise conv, pad, residual ADD, HARD_SWISH, MUL,
  LOGISTIC, RELU, TRANSPOSE, concatenation, average and max pool, MEAN,
  fully connected, softmax;
* `float_rows_chain()`: a full-resolution conv chain whose intermediates
  dominate the arena, where row loops pay off.
"""

from __future__ import annotations

import numpy as np

from tinyir.testing.tflite_builder import Tensor, TFLiteBuilder


class FloatNet:
    """A float32 TFLite graph under construction: each layer method returns its output tensor."""

    def __init__(self, seed: int = 0):
        self.b = TFLiteBuilder("tinyir.testing.float_models")
        self.rng = np.random.default_rng(seed)
        self.count = 0

    def _name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"

    def _out(self, kind: str, shape) -> Tensor:
        return self.b.tensor(self._name(kind), shape, dtype="float32")

    def _weights(self, shape, fan_in: int) -> Tensor:
        w = self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        return self.b.const(self._name("w"), w.astype(np.float32))

    def _bias(self, channels: int) -> Tensor:
        return self.b.const(self._name("b"), (self.rng.standard_normal(channels) * 0.1).astype(np.float32))

    def input(self, shape) -> Tensor:
        return self.b.input("image", shape, dtype="float32")

    def conv(self, x: Tensor, c_out: int, k: int = 3, stride: int = 1, padding: str = "SAME",
             activation: str = "NONE") -> Tensor:
        n, h, w, c_in = x.shape
        oh, ow = ((h + stride - 1) // stride, (w + stride - 1) // stride) if padding == "SAME" else (
            (h - k) // stride + 1, (w - k) // stride + 1)
        y = self._out("conv", (n, oh, ow, c_out))
        self.b.op("CONV_2D", [x, self._weights((c_out, k, k, c_in), k * k * c_in), self._bias(c_out)], [y],
                  padding=padding, stride=stride, activation=activation)
        return y

    def depthwise(self, x: Tensor, k: int = 3, stride: int = 1, activation: str = "NONE") -> Tensor:
        n, h, w, c = x.shape
        y = self._out("depthwise", (n, (h + stride - 1) // stride, (w + stride - 1) // stride, c))
        self.b.op("DEPTHWISE_CONV_2D", [x, self._weights((1, k, k, c), k * k), self._bias(c)], [y],
                  padding="SAME", stride=stride, depth_multiplier=1, activation=activation)
        return y

    def binary(self, opname: str, a: Tensor, b: Tensor, activation: str = "NONE") -> Tensor:
        y = self._out(opname.lower(), a.shape)
        self.b.op(opname, [a, b], [y], activation=activation)
        return y

    def unary(self, opname: str, x: Tensor) -> Tensor:
        y = self._out(opname.lower(), x.shape)
        self.b.op(opname, [x], [y])
        return y

    def pad(self, x: Tensor, before: int, after: int) -> Tensor:
        paddings = np.array([[0, 0], [before, after], [before, after], [0, 0]], np.int32)
        n, h, w, c = x.shape
        y = self._out("pad", (n, h + before + after, w + before + after, c))
        self.b.op("PAD", [x, self.b.const(self._name("paddings"), paddings)], [y])
        return y

    def pool(self, opname: str, x: Tensor, k: int, stride: int, padding: str = "VALID") -> Tensor:
        n, h, w, c = x.shape
        size = (lambda s: (s + stride - 1) // stride) if padding == "SAME" else (lambda s: (s - k) // stride + 1)
        y = self._out(opname.lower(), (n, size(h), size(w), c))
        self.b.op(opname, [x], [y], padding=padding, stride=stride, filter=k)
        return y

    def concat(self, *xs: Tensor) -> Tensor:
        n, h, w, _ = xs[0].shape
        y = self._out("concat", (n, h, w, sum(x.shape[3] for x in xs)))
        self.b.op("CONCATENATION", list(xs), [y], axis=3)
        return y

    def transpose(self, x: Tensor, perm) -> Tensor:
        y = self._out("transpose", tuple(x.shape[p] for p in perm))
        self.b.op("TRANSPOSE", [x, self.b.const(self._name("perm"), np.array(perm, np.int32))], [y])
        return y

    def mean(self, x: Tensor) -> Tensor:
        y = self._out("mean", (x.shape[0], x.shape[3]))
        self.b.op("MEAN", [x, self.b.const(self._name("axes"), np.array([1, 2], np.int32))], [y], keep_dims=False)
        return y

    def fully_connected(self, x: Tensor, units: int, activation: str = "NONE") -> Tensor:
        depth = x.shape[-1]
        y = self._out("fc", (x.shape[0], units))
        self.b.op("FULLY_CONNECTED", [x, self._weights((units, depth), depth), self._bias(units)], [y],
                  activation=activation)
        return y

    def softmax(self, x: Tensor) -> Tensor:
        y = self._out("softmax", x.shape)
        self.b.op("SOFTMAX", [x], [y], beta=1.0)
        return y

    def finish(self, *outputs: Tensor) -> bytes:
        self.b.output(*outputs)
        return self.b.finish()


def float_cnn(seed: int = 0) -> bytes:
    net = FloatNet(seed)
    x = net.input((1, 12, 12, 3))
    h = net.conv(x, 8, activation="RELU6")
    d = net.depthwise(h, activation="RELU")
    h = net.binary("ADD", h, net.conv(d, 8, k=1))
    h = net.unary("HARD_SWISH", h)
    g = net.unary("LOGISTIC", net.conv(h, 8, k=1))
    h = net.binary("MUL", h, g)
    p = net.pad(h, 1, 1)
    h = net.unary("RELU", net.conv(p, 8, stride=2, padding="VALID"))
    t = net.transpose(h, (0, 2, 1, 3))
    h = net.concat(net.pool("AVERAGE_POOL_2D", h, 3, 1, "SAME"), net.pool("MAX_POOL_2D", t, 3, 1, "SAME"))
    h = net.pool("MAX_POOL_2D", h, 2, 2)
    y = net.fully_connected(net.mean(h), 10)
    return net.finish(net.softmax(y))


def float_rows_chain(seed: int = 0, size: int = 24) -> bytes:
    """conv 3x3 (16 channels) -> depthwise 3x3 -> conv 1x1 -> max pool 2x2 at
    full resolution: the 16-channel intermediates are the peak unsplit."""
    net = FloatNet(seed)
    x = net.input((1, size, size, 3))
    h = net.conv(x, 16, activation="RELU")
    h = net.depthwise(h, activation="RELU6")
    h = net.conv(h, 8, k=1)
    h = net.pool("MAX_POOL_2D", h, 2, 2)
    y = net.fully_connected(net.mean(h), 4)
    return net.finish(y)
