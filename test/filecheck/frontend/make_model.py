"""Write a small int8 .tflite model for the frontend lit tests.

    python make_model.py NAME OUT.tflite [--truncate BYTES]

NAME is one of the models below (`--list` prints them). The models are built
with tinyir.testing.tflite_builder from fixed data, so the imported IR is the same every run.
`--truncate` keeps only the first BYTES bytes of the file (a negative number
drops that many from the end), to test how a cut-off file is refused.

This is a helper of the RUN lines, not a test itself (lit only runs *.mlir).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from tinyir.testing.tflite_builder import TFLiteBuilder


def _int8(shape, step: int = 1) -> np.ndarray:
    """Weights that are easy to recognise in the IR: -127, -127 + step, ... (mod 255)."""
    n = int(np.prod(shape))
    return ((np.arange(n) * step) % 255 - 127).astype(np.int8).reshape(shape)


def net() -> bytes:
    """A tiny classifier: CONV_2D (SAME, stride 2, RELU6, per-channel weights),
    DEPTHWISE_CONV_2D (SAME, multiplier 2, RELU), MAX_POOL_2D, RESHAPE,
    FULLY_CONNECTED, SOFTMAX; tensor names as the TFLite converter writes them."""
    b = TFLiteBuilder()
    x = b.input("serving_default_input:0", (1, 8, 8, 3), scale=0.0235, zero_point=-128)

    w1_scales = [0.01, 0.02, 0.03, 0.04]
    w1 = b.const("model/conv1/Conv2D", _int8((4, 3, 3, 3), step=37), scales=w1_scales, axis=0)
    b1 = b.const("model/conv1/BiasAdd/ReadVariableOp", np.array([100, -200, 300, -400], np.int32),
                 scales=[0.0235 * s for s in w1_scales], axis=0)
    c1 = b.tensor("model/conv1/Relu6;model/conv1/BiasAdd;model/conv1/Conv2D", (1, 4, 4, 4),
                  scale=0.05, zero_point=-128)
    b.op("CONV_2D", [x, w1, b1], [c1], padding="SAME", stride=2, activation="RELU6")

    w2_scales = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    w2 = b.const("model/dw/depthwise", _int8((1, 3, 3, 8), step=7), scales=w2_scales, axis=3)
    b2 = b.const("model/dw/BiasAdd", np.arange(-4, 4, dtype=np.int32) * 1000, scales=[0.05 * s for s in w2_scales], axis=0)
    c2 = b.tensor("model/dw/Relu;model/dw/BiasAdd", (1, 4, 4, 8), scale=0.1, zero_point=-10)
    b.op("DEPTHWISE_CONV_2D", [c1, w2, b2], [c2], padding="SAME", depth_multiplier=2, activation="RELU")

    p = b.tensor("model/pool/MaxPool", (1, 2, 2, 8), scale=0.1, zero_point=-10)
    b.op("MAX_POOL_2D", [c2], [p], padding="VALID", stride=2, filter=2)

    shape = b.const("model/flatten/Const", np.array([1, 32], np.int32))
    flat = b.tensor("model/flatten/Reshape", (1, 32), scale=0.1, zero_point=-10)
    b.op("RESHAPE", [p, shape], [flat])

    w3 = b.const("model/dense/MatMul", _int8((10, 32), step=3), scales=0.005)
    b3 = b.const("model/dense/BiasAdd/ReadVariableOp", np.arange(10, dtype=np.int32) - 5, scales=0.1 * 0.005)
    logits = b.tensor("model/dense/MatMul;model/dense/BiasAdd", (1, 10), scale=0.2, zero_point=7)
    b.op("FULLY_CONNECTED", [flat, w3, b3], [logits])

    probs = b.tensor("StatefulPartitionedCall:0", (1, 10), scale=1 / 256, zero_point=-128)
    b.op("SOFTMAX", [logits], [probs], beta=1.0)
    b.output(probs)
    return b.finish()


def ops() -> bytes:
    """The other operators: QUANTIZE, PAD, AVERAGE_POOL_2D, HARD_SWISH, ADD (RELU),
    MUL, CONCATENATION (axis -1), TRANSPOSE, MEAN, LOGISTIC, DEQUANTIZE; three outputs."""
    b = TFLiteBuilder()
    x = b.input("input", (1, 4, 4, 2), dtype="float32")
    q = b.tensor("quantized", (1, 4, 4, 2), scale=0.02, zero_point=5)
    b.op("QUANTIZE", [x], [q])

    pads = b.const("pad/paddings", np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32))
    padded = b.tensor("padded", (1, 6, 6, 2), scale=0.02, zero_point=5)
    b.op("PAD", [q, pads], [padded])

    pool = b.tensor("pool", (1, 6, 6, 2), scale=0.02, zero_point=5)
    b.op("AVERAGE_POOL_2D", [padded], [pool], padding="SAME", filter=3, stride=1)

    hs = b.tensor("hswish", (1, 6, 6, 2), scale=0.03, zero_point=-20)
    b.op("HARD_SWISH", [pool], [hs])

    total = b.tensor("sum", (1, 6, 6, 2), scale=0.04, zero_point=-30)
    b.op("ADD", [hs, pool], [total], activation="RELU")

    prod = b.tensor("product", (1, 6, 6, 2), scale=0.001, zero_point=0)
    b.op("MUL", [total, hs], [prod])

    cat = b.tensor("concat", (1, 6, 6, 4), scale=0.02, zero_point=5)
    b.op("CONCATENATION", [pool, padded], [cat], axis=-1)

    perm = b.const("transpose/perm", np.array([0, 3, 1, 2], np.int32))
    nchw = b.tensor("nchw", (1, 4, 6, 6), scale=0.02, zero_point=5)
    b.op("TRANSPOSE", [cat, perm], [nchw])

    axes = b.const("mean/axes", np.array([2, -3], np.int32))
    mean = b.tensor("mean", (1, 2), scale=0.04, zero_point=-30)
    b.op("MEAN", [total, axes], [mean], keep_dims=False)

    sig = b.tensor("sigmoid", (1, 2), scale=1 / 256, zero_point=-128)
    b.op("LOGISTIC", [mean], [sig])

    out = b.tensor("probability", (1, 2), dtype="float32")
    b.op("DEQUANTIZE", [sig], [out])
    b.output(nchw, out, prod)
    return b.finish()


def exp() -> bytes:
    """One EXP operator, which tinyir does not support.

    The builder only writes operators tinyir supports, so this writes a
    LOGISTIC model and turns its operator code into EXP in place, at the
    positions the flatbuffer reader gives for the two code fields."""
    import tflite

    b = TFLiteBuilder()
    x = b.input("x", (1, 4), scale=0.05, zero_point=0)
    y = b.tensor("y", (1, 4), scale=1 / 256, zero_point=-128)
    b.op("LOGISTIC", [x], [y])
    b.output(y)
    data = bytearray(b.finish())

    code = tflite.Model.GetRootAsModel(data, 0).OperatorCodes(0)
    tab = code._tab
    deprecated, builtin = tab.Offset(4), tab.Offset(10)  # fields 0 and 3 of OperatorCode
    assert deprecated and builtin, "both operator code fields are written"
    data[tab.Pos + deprecated] = tflite.BuiltinOperator.EXP
    data[tab.Pos + builtin : tab.Pos + builtin + 4] = int(tflite.BuiltinOperator.EXP).to_bytes(4, "little")
    assert tflite.Model.GetRootAsModel(data, 0).OperatorCodes(0).BuiltinCode() == tflite.BuiltinOperator.EXP
    return bytes(data)


MODELS = {"net": net, "ops": ops, "exp": exp}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("name", nargs="?", choices=sorted(MODELS))
    p.add_argument("out", nargs="?")
    p.add_argument("--truncate", type=int, metavar="BYTES")
    p.add_argument("--list", action="store_true")
    args = p.parse_args()
    if args.list or args.name is None or args.out is None:
        for name, make in MODELS.items():
            print(f"{name}: {make.__doc__.splitlines()[0]}")
        return 0 if args.list else 2
    data = MODELS[args.name]()
    if args.truncate is not None:
        data = data[: args.truncate]
    with open(args.out, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
