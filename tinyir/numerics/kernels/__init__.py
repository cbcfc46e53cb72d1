"""Bit-exact (with TensorFlow Lite Micro) numpy kernels for int8 operators.

Each kernel is a pure function of numpy arrays, QParams and plain attributes
and returns a new array; all multipliers come from tinyir.numerics.quantization.
"""

from tinyir.numerics.kernels.activation import clamp, hard_swish, leaky_relu, log_softmax, logistic, softmax, tanh
from tinyir.numerics.kernels.conv import (
    conv_2d,
    conv_2d_sums,
    conv_output,
    depthwise_conv_2d,
    fully_connected,
    fully_connected_output,
    fully_connected_sums,
)
from tinyir.numerics.kernels.conversion import dequantize, quantize, requantize
from tinyir.numerics.kernels.elementwise import add, maximum, minimum, mul, prelu, squared_difference, sub
from tinyir.numerics.kernels.layout import concatenation, pad, reshape, strided_slice, transpose
from tinyir.numerics.kernels.pool import arg_max, avg_pool_2d, max_pool_2d, mean
from tinyir.numerics.kernels.resize import resize

__all__ = [
    "add", "arg_max", "avg_pool_2d", "clamp", "concatenation", "conv_2d", "conv_2d_sums", "conv_output",
    "depthwise_conv_2d", "dequantize", "fully_connected", "fully_connected_output",
    "fully_connected_sums", "hard_swish", "leaky_relu", "log_softmax", "logistic", "max_pool_2d", "maximum", "mean",
    "minimum", "mul", "pad", "prelu", "squared_difference", "sub", "tanh",
    "quantize", "requantize", "reshape", "resize", "softmax", "strided_slice", "transpose",
]
