"""tinyir's own example model: a small MobileNetV2-style int8 classifier.

    input 1x64x64x3 int8 (image in [-1, 1])
    conv 3x3/2, 16, ReLU6                      -> 32x32x16
    inverted residual: expand 4, dw 3x3/2, 24  -> 16x16x24
    inverted residual: expand 4, dw 3x3/1, 24  -> 16x16x24  (+ residual ADD)
    inverted residual: expand 4, dw 3x3/2, 32  -> 8x8x32
    conv 1x1, 64, ReLU6                        -> 8x8x64
    average pool 8x8 -> reshape 1x64 -> fully connected 10 -> softmax

Weights are seeded random (``numpy.random.default_rng(seed)``), normalized
like folded batch norms, and quantized as the TFLite converter would
(per-channel int8 conv weights, per-tensor fully connected, int32 biases,
activation ranges calibrated on a batch of random images); see
:mod:`tinyir.testing.models`. The widest activation, the first block's
32x32x64 expansion, makes the memory-planning passes matter.

CLI: ``python -m tinyir.example_model OUT.tflite [--seed N]``.
"""

from __future__ import annotations

import argparse

from tinyir.testing.models import ModelCase, QuantNet, classifier_head, inverted_residual

INPUT_SHAPE = (1, 64, 64, 3)
NUM_CLASSES = 10


def example_model_case(seed: int = 0) -> ModelCase:
    """The example model with its fake-quant float reference."""
    net = QuantNet(seed=seed)
    x = net.input("image", INPUT_SHAPE, value_range=(-1.0, 1.0))
    x = net.conv2d(x, 16, 3, stride=2, activation="RELU6", name="stem")
    x = inverted_residual(net, x, 24, expand=4, stride=2, name="block1")
    x = inverted_residual(net, x, 24, expand=4, stride=1, name="block2")
    x = inverted_residual(net, x, 32, expand=4, stride=2, name="block3")
    x = net.conv2d(x, 64, 1, activation="RELU6", name="features")
    net.output(classifier_head(net, x, NUM_CLASSES, pooling="average", name="classifier"))
    return net.build("example_mbv2")


def make_example_model(seed: int = 0) -> bytes:
    """The example model as TFLite flatbuffer bytes (deterministic in ``seed``)."""
    return example_model_case(seed).data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tinyir.example_model",
                                     description="Write tinyir's example int8 MobileNetV2-style model.")
    parser.add_argument("output", help="path of the .tflite file to write")
    parser.add_argument("--seed", type=int, default=0, help="weight seed (default 0)")
    args = parser.parse_args(argv)
    data = make_example_model(args.seed)
    with open(args.output, "wb") as f:
        f.write(data)
    print(f"wrote {args.output} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
