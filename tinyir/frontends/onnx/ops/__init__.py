"""Per-operator lowering of ONNX nodes to tiny ops (`LOWERINGS`: op type -> lowering).

Each function lowers one node with a `Lowering` (layout.py). A float ONNX op
becomes an int8 tiny op when quant analysis gave its output an int8
quantization and its inputs are int8 (QDQ models; see quant.py), else an f32
op (float models). QOperator ops (QLinearConv, ...) are int8 by definition.
The int8 forms are the ones the TFLite frontend makes, so they compute what
TFLite Micro computes; all requantization math is tinyir.numerics.quantization's.

    common.py       clamps, attributes, sliding windows
    linear.py       Conv, Gemm, MatMul, QLinearConv, QLinearMatMul, QGemm
    elementwise.py  Add, Sub, Mul, Div, activations, Softmax (and QLinear forms)
    pooling.py      pools, ReduceMean (and QLinear forms)
    movement.py     reshapes, Transpose, Pad, Concat, Quantize/DequantizeLinear
    resize.py       Resize, Upsample
"""

from __future__ import annotations

from tinyir.frontends.onnx.ops.elementwise import (
    lower_clip,
    lower_elementwise,
    lower_hard_sigmoid,
    lower_hard_swish,
    lower_qlinear_binary,
    lower_sigmoid,
    lower_softmax,
)
from tinyir.frontends.onnx.ops.linear import (
    lower_conv,
    lower_gemm,
    lower_matmul,
    lower_qgemm,
    lower_qlinear_conv,
    lower_qlinear_matmul,
)
from tinyir.frontends.onnx.ops.movement import (
    lower_concat,
    lower_dequantize,
    lower_flatten,
    lower_pad,
    lower_qlinear_concat,
    lower_quantize,
    lower_reshape,
    lower_squeeze,
    lower_transpose,
)
from tinyir.frontends.onnx.ops.pooling import lower_global_pool, lower_pool, lower_reduce_mean
from tinyir.frontends.onnx.ops.resize import lower_resize

LOWERINGS = {
    "Conv": lower_conv,
    "QLinearConv": lower_qlinear_conv,
    "Gemm": lower_gemm,
    "MatMul": lower_matmul,
    "QLinearMatMul": lower_qlinear_matmul,
    "QGemm": lower_qgemm,
    "Add": lower_elementwise,
    "Sub": lower_elementwise,
    "Mul": lower_elementwise,
    "Div": lower_elementwise,
    "QLinearAdd": lower_qlinear_binary,
    "QLinearMul": lower_qlinear_binary,
    "Relu": lower_clip,
    "Clip": lower_clip,
    "Sigmoid": lower_sigmoid,
    "QLinearSigmoid": lower_sigmoid,
    "HardSwish": lower_hard_swish,
    "HardSigmoid": lower_hard_sigmoid,
    "Softmax": lower_softmax,
    "QLinearSoftmax": lower_softmax,
    "MaxPool": lower_pool,
    "AveragePool": lower_pool,
    "QLinearAveragePool": lower_pool,
    "GlobalAveragePool": lower_global_pool,
    "GlobalMaxPool": lower_global_pool,
    "QLinearGlobalAveragePool": lower_global_pool,
    "ReduceMean": lower_reduce_mean,
    "Reshape": lower_reshape,
    "Flatten": lower_flatten,
    "Squeeze": lower_squeeze,
    "Unsqueeze": lower_squeeze,
    "Transpose": lower_transpose,
    "Pad": lower_pad,
    "Resize": lower_resize,
    "Upsample": lower_resize,
    "Concat": lower_concat,
    "QLinearConcat": lower_qlinear_concat,
    "QuantizeLinear": lower_quantize,
    "DequantizeLinear": lower_dequantize,
}
