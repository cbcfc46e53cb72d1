"""Compute operators: convolutions, fully connected, elementwise and
activation ops, pools, reductions, concatenation, transpose.
"""

from __future__ import annotations

from collections.abc import Callable

import tflite
from xdsl.dialects.builtin import (
    FloatAttr,
    IntegerAttr,
    f32,
    i64,
)

from tinyir.dialects import tiny
from tinyir.frontends.tflite.reader import OpContext, Tensor, padding, value_name
from tinyir.frontends.tflite.spatial import dilated_conv
from tinyir.numerics import quantization
from tinyir.numerics.kernels import floating
from tinyir.numerics.quantization import QParams, activation_range


def _conv(ctx: OpContext, op_class: type[tiny.ComputeOp], options) -> None:
    dilated = ctx.importer.dilated.get(ctx.input(0).index)
    if dilated is not None:
        return dilated_conv(ctx, op_class, options, dilated)
    w = ctx.input(1)
    if len(w.shape) != 4 or len(ctx.input(0).shape) != 4:
        raise ctx.error(f"expects a 4-D input and filter, got {list(ctx.input(0).shape)} and {list(w.shape)}")
    dilation = (options.DilationHFactor(), options.DilationWFactor())
    ins = [ctx.input_value(0), ctx.input_value(1)]
    bias = ctx.optional_value(2)
    ctx.emit(
        op_class,
        ins + ([bias] if bias is not None else []),
        stride=tiny.i64_array((options.StrideH(), options.StrideW())),
        dilation=tiny.i64_array(dilation),
        pad=padding(ctx, options, (w.shape[1], w.shape[2]), dilation),
        clamp=ctx.clamp(options.FusedActivationFunction()),
    )


def _lower_conv_2d(ctx: OpContext) -> None:
    _conv(ctx, tiny.Conv2DOp, ctx.options(tflite.Conv2DOptions))


def _lower_depthwise_conv_2d(ctx: OpContext) -> None:
    options = ctx.options(tflite.DepthwiseConv2DOptions)
    x, w = ctx.input(0), ctx.input(1)
    if len(x.shape) == 4 and len(w.shape) == 4 and options.DepthMultiplier() * x.shape[3] != w.shape[3]:
        # TFLite Micro's kernel loops over depth_multiplier: another value computes another thing
        raise ctx.error(
            f"depth_multiplier {options.DepthMultiplier()} disagrees with {x.shape[3]} input and {w.shape[3]} filter channels"
        )
    _conv(ctx, tiny.DepthwiseConv2DOp, options)


def _lower_fully_connected(ctx: OpContext) -> None:
    options = ctx.options(tflite.FullyConnectedOptions)
    if options.WeightsFormat() != 0:
        raise ctx.error("only the DEFAULT weights format is supported")
    ins = [ctx.input_value(0), ctx.input_value(1)]
    bias = ctx.optional_value(2)
    ctx.emit(
        tiny.FullyConnectedOp,
        ins + ([bias] if bias is not None else []),
        clamp=ctx.clamp(options.FusedActivationFunction()),
    )


def _binary(op_class: type[tiny.ComputeOp], options_class: type) -> Callable[[OpContext], None]:
    def lower(ctx: OpContext) -> None:
        has_options = ctx.op.BuiltinOptionsType() != tflite.BuiltinOptions.NONE
        activation = ctx.options(options_class).FusedActivationFunction() if has_options else 0
        ctx.emit(op_class, [ctx.input_value(0), ctx.input_value(1)], clamp=ctx.clamp(activation))

    return lower


def _pool(op_class: type[tiny.ComputeOp]) -> Callable[[OpContext], None]:
    def lower(ctx: OpContext) -> None:
        options = ctx.options(tflite.Pool2DOptions)
        kernel = (options.FilterHeight(), options.FilterWidth())
        ctx.emit(
            op_class,
            [ctx.input_value(0)],
            kernel=tiny.i64_array(kernel),
            stride=tiny.i64_array((options.StrideH(), options.StrideW())),
            pad=padding(ctx, options, kernel, (1, 1)),
            clamp=ctx.clamp(options.FusedActivationFunction()),
        )

    return lower


def _lower_mean(ctx: OpContext) -> None:
    rank = len(ctx.input(0).shape)
    axes = sorted({a % rank for a in ctx.const_ints(1)})
    ctx.emit(tiny.MeanOp, [ctx.input_value(0)], axes=tiny.i64_array(axes))


def _lower_pad(ctx: OpContext) -> None:
    paddings = ctx.const_ints(1)
    out = ctx.output()
    if ctx.name == "PADV2" and len(ctx.ins) > 2 and ctx.ins[2] is not None:
        value = ctx.const_ints(2)[0]
    else:
        value = out.quant.zero_point[0] if out.quant is not None else 0
    ctx.emit(
        tiny.PadOp,
        [ctx.input_value(0)],
        paddings=tiny.i64_array(paddings),
        value=IntegerAttr(value, i64),
    )


def _lower_reshape(ctx: OpContext) -> None:
    source = ctx.input_value(0)
    out = ctx.output()
    view = ctx.importer.builder.insert(tiny.ReshapeOp(source, ctx.importer._type(out)))
    view.result.name_hint = value_name(out.name)
    ctx.importer.values[out.index] = view.result


def _lower_softmax(ctx: OpContext) -> None:
    beta = ctx.options(tflite.SoftmaxOptions).Beta()
    ctx.emit(tiny.SoftmaxOp, [ctx.input_value(0)], beta=FloatAttr(beta, f32))


def _unary(op_class: type[tiny.ComputeOp]) -> Callable[[OpContext], None]:
    def lower(ctx: OpContext) -> None:
        ctx.emit(op_class, [ctx.input_value(0)])

    return lower


def _lower_relu(ctx: OpContext) -> None:
    """RELU, RELU6, RELU_N1_TO_1 as `tiny.clamp`, the range from the output
    quantization (CalculateActivationRangeQuantized, as for fused activations).

    RELU requantizes to the output (TFLM's ReluQuantized), and so does
    RELU_N1_TO_1 (TFLite's ReluX; TFLM has no kernel for it). TFLM's int8
    RELU6 does *not*: it clamps to [zp, zp + round(6 / scale)] in the input's
    quantization and hands the bytes on as they are, whatever the output
    quantization says. With equal quantization that is a plain clamp; with
    different ones the clamp writes a buffer of the input's quantization and
    the output is a view of it that reinterprets the bytes (as RESHAPE does).
    """
    x, out = ctx.input(0), ctx.output()
    if x.type_name == out.type_name == "FLOAT32":
        ctx.emit(tiny.ClampOp, [ctx.input_value(0)], clamp=tiny.i64_array(floating.ACTIVATION_CLAMPS[ctx.name]))
        return
    _require_int8(ctx, x, out)
    reinterpret = ctx.name == "RELU6" and x.quant != out.quant
    try:
        clamp = tiny.i64_array(activation_range(ctx.name, x.quant if reinterpret else out.quant))
    except ValueError as e:
        raise ctx.error(str(e)) from None
    if not reinterpret:
        ctx.emit(tiny.ClampOp, [ctx.input_value(0)], clamp=clamp)
        return
    importer = ctx.importer
    source = ctx.input_value(0)
    out_type = importer._type(out)
    clamped = importer.builder.insert(tiny.AllocOp(tiny.BufferType(out_type.shape, out_type.element_type, x.quant)))
    clamped.result.name_hint = value_name(out.name + "/clamped")
    importer.builder.insert(tiny.ClampOp([source], clamped.result, clamp=clamp))
    view = importer.builder.insert(tiny.ReshapeOp(clamped.result, out_type))
    view.result.name_hint = value_name(out.name)
    importer.values[out.index] = view.result


def _require_int8(ctx: OpContext, *tensors: Tensor) -> None:
    for t in tensors:
        if t.type_name != "INT8" or t.quant is None or t.quant.is_per_channel:
            raise ctx.error(f"'{t.name}' is not a per-tensor quantized int8 tensor (the only kind supported)")


_FULL_RANGE = (-128, 127)


def _int8_binary(op_class: type[tiny.ComputeOp], options_class: type | None = None, *,
                 raw: bool = False) -> Callable[[OpContext], None]:
    """SUB (a fused activation), MINIMUM, MAXIMUM, SQUARED_DIFFERENCE, PRELU
    (none: the clamp is int8's range): int8 only. `raw`: the kernel compares
    the int8 values as they are, which means something only in one quantization."""

    def lower(ctx: OpContext) -> None:
        _require_int8(ctx, ctx.input(0), ctx.input(1), ctx.output())
        if raw and not ctx.input(0).quant == ctx.input(1).quant == ctx.output().quant:
            raise ctx.error("inputs and output must share one quantization (TFLite compares the raw int8 values)")
        clamp = tiny.i64_array(_FULL_RANGE)
        if options_class is not None and ctx.op.BuiltinOptionsType() != tflite.BuiltinOptions.NONE:
            clamp = ctx.clamp(ctx.options(options_class).FusedActivationFunction())
        ctx.emit(op_class, [ctx.input_value(0), ctx.input_value(1)], clamp=clamp)

    return lower


def _int8_unary(op_class: type[tiny.ComputeOp], check_output: Callable[[QParams], None] | None = None,
                ) -> Callable[[OpContext], None]:
    """TANH, LOG_SOFTMAX (`check_output`: the output quantization TFLite
    Micro's kernel assumes): int8 only."""

    def lower(ctx: OpContext) -> None:
        _require_int8(ctx, ctx.input(0), ctx.output())
        if check_output is not None:
            try:
                check_output(ctx.output().quant)
            except ValueError as e:
                raise ctx.error(str(e)) from None
        ctx.emit(op_class, [ctx.input_value(0)])

    return lower


def _lower_leaky_relu(ctx: OpContext) -> None:
    _require_int8(ctx, ctx.input(0), ctx.output())
    alpha = ctx.options(tflite.LeakyReluOptions).Alpha()
    if not alpha >= 0.0:
        raise ctx.error(f"alpha {alpha} is negative (only alpha >= 0 is supported)")
    ctx.emit(tiny.LeakyReluOp, [ctx.input_value(0)], alpha=FloatAttr(alpha, f32))


def _lower_arg_max(ctx: OpContext) -> None:
    x, out = ctx.input(0), ctx.output()
    _require_int8(ctx, x)
    if out.type_name != "INT32":
        raise ctx.error(f"output '{out.name}' is {out.type_name} (TFLite Micro writes INT32 only)")
    axes = ctx.const_ints(1)
    if len(axes) != 1 or not -len(x.shape) <= axes[0] < len(x.shape):
        raise ctx.error(f"axis {axes} is not one dimension of {list(x.shape)}")
    ctx.emit(tiny.ArgMaxOp, [ctx.input_value(0)], axis=IntegerAttr(axes[0] % len(x.shape), i64))


def _lower_concatenation(ctx: OpContext) -> None:
    options = ctx.options(tflite.ConcatenationOptions)
    if options.FusedActivationFunction() != 0:
        raise ctx.error("a fused activation on CONCATENATION is not supported")
    rank = len(ctx.output().shape)
    ins = [ctx.input_value(i) for i in range(len(ctx.ins))]
    ctx.emit(tiny.ConcatOp, ins, axis=IntegerAttr(options.Axis() % rank, i64))


def _lower_transpose(ctx: OpContext) -> None:
    ctx.emit(tiny.TransposeOp, [ctx.input_value(0)], perm=tiny.i64_array(ctx.const_ints(1)))


# -- views, slices and splits of activations -------------------------------------


LOWERINGS: dict[str, Callable[[OpContext], None]] = {
    "CONV_2D": _lower_conv_2d,
    "DEPTHWISE_CONV_2D": _lower_depthwise_conv_2d,
    "FULLY_CONNECTED": _lower_fully_connected,
    "ADD": _binary(tiny.AddOp, tflite.AddOptions),
    "MUL": _binary(tiny.MulOp, tflite.MulOptions),
    "AVERAGE_POOL_2D": _pool(tiny.AvgPool2DOp),
    "MAX_POOL_2D": _pool(tiny.MaxPool2DOp),
    "MEAN": _lower_mean,
    "PAD": _lower_pad,
    "PADV2": _lower_pad,
    "RESHAPE": _lower_reshape,
    "SOFTMAX": _lower_softmax,
    "LOGISTIC": _unary(tiny.LogisticOp),
    "HARD_SWISH": _unary(tiny.HardSwishOp),
    "RELU": _lower_relu,
    "RELU6": _lower_relu,
    "RELU_N1_TO_1": _lower_relu,
    "CONCATENATION": _lower_concatenation,
    "TRANSPOSE": _lower_transpose,
    "QUANTIZE": _unary(tiny.QuantizeOp),
    "DEQUANTIZE": _unary(tiny.DequantizeOp),
    "SUB": _int8_binary(tiny.SubOp, tflite.SubOptions),
    "MINIMUM": _int8_binary(tiny.MinimumOp, raw=True),
    "MAXIMUM": _int8_binary(tiny.MaximumOp, raw=True),
    "SQUARED_DIFFERENCE": _int8_binary(tiny.SquaredDifferenceOp),
    "PRELU": _int8_binary(tiny.PReluOp),
    "LEAKY_RELU": _lower_leaky_relu,
    "TANH": _int8_unary(tiny.TanhOp, quantization.check_tanh_output),
    "LOG_SOFTMAX": _int8_unary(tiny.LogSoftmaxOp, quantization.check_log_softmax_output),
    "ARG_MAX": _lower_arg_max,
}
