"""TFLite frontend: a .tflite flatbuffer lowered to tiny IR.

The model is read with the `tflite` schema package. Each subgraph-0 tensor
becomes a value: graph inputs are function arguments, constant tensors
`tiny.const` (placed just before their first use), every other tensor a
`tiny.alloc` written by the operator that produces it. RESHAPE becomes a view.
Anything outside the supported set fails with one line naming the operator.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import tflite
from xdsl.builder import Builder, InsertPoint
from xdsl.dialects import func
from xdsl.dialects.builtin import Float32Type, FloatAttr, IntegerAttr, IntegerType, ModuleOp, f32, i64
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.numerics.quantization import QParams, activation_range, same_padding

_OPERATOR_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_TENSOR_TYPES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
_ACTIVATIONS = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}
_OPTION_TYPES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}

_ELEMENT_TYPES: dict[str, Attribute] = {
    "INT8": IntegerType(8),
    "INT16": IntegerType(16),
    "INT32": IntegerType(32),
    "INT64": IntegerType(64),
    "FLOAT32": Float32Type(),
}
_NUMPY_TYPES = {"INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64, "FLOAT32": np.float32}

_VALID_NAME = re.compile(r"[A-Za-z_$.-][\w$.-]*")


def value_name(tensor_name: str) -> str | None:
    """The tensor name as an SSA value name: kept where valid, else made valid.

    TFLite names such as `model/conv2d/Relu;model/conv2d/BiasAdd` keep their
    first part with `/` and `:` turned into `.`.
    """
    name = tensor_name.split(";")[0].replace("/", ".").replace(":", ".")
    name = re.sub(r"[^\w$.-]", "_", name)
    if not name:
        return None
    if not _VALID_NAME.fullmatch(name):
        name = "_" + name
    # xDSL strips a trailing `_<digits>` (it re-numbers clashes itself).
    return re.sub(r"_\d+$", "", name) or None


@dataclass
class _Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    type_name: str
    quant: QParams | None
    data: bytes | None

    def array(self) -> np.ndarray:
        assert self.data is not None
        return np.frombuffer(self.data, dtype=np.dtype(_NUMPY_TYPES[self.type_name]).newbyteorder("<")).reshape(self.shape)


def import_tflite(data: bytes) -> ModuleOp:
    """Lower a TFLite model (the bytes of a .tflite file) to a tiny IR module."""
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise TinyIRError("not a TFLite model: the file lacks the 'TFL3' identifier")
    return _Importer(bytes(data)).run()


class _Checked:
    """A flatbuffer table of the model whose every read either succeeds or
    raises TinyIRError naming the table and the field. The `tflite` package
    reads wherever an offset points: in a corrupt or cut file, past the end
    (struct.error, IndexError), a negative number (TypeError), a missing
    table (AttributeError on None), an invalid string (UnicodeDecodeError)."""

    def __init__(self, table, what: str):
        self._table, self._what = table, what

    def __getattr__(self, field: str):
        read = getattr(self._table, field)
        if not callable(read):
            return read

        def checked(*args):
            where = f"{self._what}.{field}({', '.join(map(str, args))})"
            found = _read(where, read, *args)
            return _Checked(found, where) if hasattr(found, "_tab") else found  # a table: its reads are checked too

        return checked


def _read(what: str, read: Callable, *args):
    """read(*args), or TinyIRError naming `what` when the flatbuffer does not hold it."""
    try:
        return read(*args)
    except TinyIRError:
        raise
    except Exception:  # flatbuffers followed an offset out of the file, or to what is not there
        raise TinyIRError(f"corrupt or truncated TFLite file: cannot read {what}") from None


class _Importer:
    def __init__(self, data: bytes):
        self.data = data
        self.model = _Checked(tflite.Model.GetRootAsModel(data, 0), "model")
        if self.model.SubgraphsLength() < 1:
            raise TinyIRError("TFLite model has no subgraph")
        if self.model.SubgraphsLength() > 1:
            raise TinyIRError(
                f"unsupported TFLite model with {self.model.SubgraphsLength()} subgraphs (control flow)"
            )
        self.graph = self.model.Subgraphs(0)
        self.tensors = [self._read_tensor(i) for i in range(self.graph.TensorsLength())]
        self.values: dict[int, SSAValue] = {}
        self.builder: Builder

    # -- reading the flatbuffer ------------------------------------------------

    def _read_tensor(self, index: int) -> _Tensor:
        t = self.graph.Tensors(index)
        name = (t.Name() or b"").decode(errors="replace")
        type_name = _TENSOR_TYPES.get(t.Type(), f"type {t.Type()}")
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        if any(d < 1 for d in shape):
            raise TinyIRError(f"tensor '{name}' (#{index}) has a dynamic or empty shape {list(shape)}")
        if math.prod(shape) > tiny.MAX_BUFFER_BYTES:
            raise TinyIRError(f"tensor '{name}' (#{index}) of shape {list(shape)} is larger than 2 GiB")
        quant = None
        q = t.Quantization()
        if q is not None and q.ScaleLength() > 0:
            scales = tuple(float(s) for s in q.ScaleAsNumpy())
            zps = tuple(int(z) for z in q.ZeroPointAsNumpy()) if q.ZeroPointLength() else ()
            if len(zps) != len(scales):  # TFLite takes a tensor with scales and no zero points as not quantized
                raise TinyIRError(f"tensor '{name}' (#{index}) has {len(scales)} scales but {len(zps)} zero points")
            axis = q.QuantizedDimension() if len(scales) > 1 else None
            quant = QParams(scale=scales, zero_point=zps, axis=axis)
        return _Tensor(index, name, shape, type_name, quant, self._read_buffer(t.Buffer(), name, index))

    def _read_buffer(self, buffer_index: int, name: str, index: int) -> bytes | None:
        if buffer_index == 0 or buffer_index >= self.model.BuffersLength():
            return None
        buffer = self.model.Buffers(buffer_index)
        if buffer.Offset() > 1:  # large models keep data outside the flatbuffer
            start, size = buffer.Offset(), buffer.Size()
            if start + size > len(self.data):
                raise TinyIRError(f"truncated TFLite file: data of tensor '{name}' (#{index}) is cut off")
            return self.data[start : start + size]
        if buffer.DataLength() == 0:
            return None
        return buffer.DataAsNumpy().tobytes()

    def _operator_name(self, op: tflite.Operator, index: int) -> str:
        code = op.OpcodeIndex()
        if code >= self.model.OperatorCodesLength():
            raise TinyIRError(
                f"operator #{index} has opcode index {code}, the model has {self.model.OperatorCodesLength()} operator codes"
            )
        code = self.model.OperatorCodes(code)
        number = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        return _OPERATOR_NAMES.get(number, f"#{number}")

    def _tensor(self, index: int, what: str) -> _Tensor:
        """Tensor #index, which `what` names (an operator's input, a graph output)."""
        if not 0 <= index < len(self.tensors):
            raise TinyIRError(f"{what} is tensor #{index}, the model has {len(self.tensors)} tensors")
        return self.tensors[index]

    # -- building IR -----------------------------------------------------------

    def run(self) -> ModuleOp:
        graph = self.graph
        inputs = [self._tensor(graph.Inputs(i), f"graph input {i}") for i in range(graph.InputsLength())]
        outputs = [self._tensor(graph.Outputs(i), f"graph output {i}") for i in range(graph.OutputsLength())]
        block = Block(arg_types=[self._type(t) for t in inputs])
        for arg, t in zip(block.args, inputs):
            arg.name_hint = value_name(t.name)
            self.values[t.index] = arg
        self.builder = Builder(InsertPoint.at_end(block))

        for i in range(graph.OperatorsLength()):
            op = graph.Operators(i)
            name = self._operator_name(op, i)
            lower = _LOWERINGS.get(name)
            if lower is None:
                raise TinyIRError(f"unsupported TFLite operator {name} (operator #{i})")
            where = f"{name} (operator #{i})"
            ins = [None if j == -1 else self._tensor(int(j), f"{where} input {k}")  # -1: an optional input left out
                   for k, j in enumerate(op.InputsAsNumpy() if op.InputsLength() else [])]  # fmt: skip
            outs = [self._tensor(int(j), f"{where} output {k}")
                    for k, j in enumerate(op.OutputsAsNumpy() if op.OutputsLength() else [])]  # fmt: skip
            lower(_OpContext(self, i, name, op, ins, outs))

        results = [self.value(t, "graph output") for t in outputs]
        self.builder.insert(func.ReturnOp(*results))
        function = func.FuncOp(
            "main",
            ([self._type(t) for t in inputs], [r.type for r in results]),
            Region(block),
        )
        return ModuleOp([function])

    def _type(self, t: _Tensor) -> tiny.BufferType:
        element = _ELEMENT_TYPES.get(t.type_name)
        if element is None:
            raise TinyIRError(f"unsupported TFLite tensor type {t.type_name} (tensor '{t.name}', #{t.index})")
        # Bias quantization is input_scale x filter_scale by construction: not kept.
        quant = t.quant if t.type_name in ("INT8", "INT16") else None
        try:
            result = tiny.BufferType(t.shape, element, quant)
            if t.data is None:  # computed at run time
                result.verify_activation()
            return result
        except VerifyException as e:
            raise TinyIRError(f"tensor '{t.name}' (#{t.index}): {e}") from None

    def value(self, t: _Tensor, what: str) -> SSAValue:
        """The value of a tensor, materializing constants at their first use."""
        if t.index in self.values:
            return self.values[t.index]
        if t.data is None:
            raise TinyIRError(f"{what} '{t.name}' (tensor #{t.index}) is read before any operator writes it")
        buffer = self._type(t)
        if len(t.data) != buffer.nbytes:
            raise TinyIRError(f"tensor '{t.name}' (#{t.index}) has {len(t.data)} bytes of data, its shape needs {buffer.nbytes}")
        const = self.builder.insert(tiny.ConstOp(t.data, buffer))
        const.result.name_hint = value_name(t.name)
        self.values[t.index] = const.result
        return const.result

    def define(self, t: _Tensor) -> SSAValue:
        """A fresh SRAM buffer for an operator's output tensor."""
        alloc = self.builder.insert(tiny.AllocOp(self._type(t)))
        alloc.result.name_hint = value_name(t.name)
        self.values[t.index] = alloc.result
        return alloc.result


@dataclass
class _OpContext:
    """One TFLite operator being lowered, with helpers that name it in errors."""

    importer: _Importer
    index: int
    name: str
    op: tflite.Operator
    ins: list[_Tensor | None]
    outs: list[_Tensor]

    def error(self, message: str) -> TinyIRError:
        return TinyIRError(f"{self.name} (operator #{self.index}): {message}")

    def options(self, cls: type) -> object:
        table = self.op.BuiltinOptions()
        options = cls()
        if table is None:
            raise self.error(f"missing {cls.__name__}")
        kind = self.op.BuiltinOptionsType()
        if kind != getattr(tflite.BuiltinOptions, cls.__name__):  # TFLM would run on default options
            found = _OPTION_TYPES.get(kind, f"type {kind}")
            raise self.error(f"its builtin options are {found}, not {cls.__name__}")
        what = f"{self.name} (operator #{self.index}) {cls.__name__}"
        _read(what, options.Init, table.Bytes, table.Pos)
        return _Checked(options, what)

    def positive(self, **values: int) -> None:
        """Refuse a stride, dilation or window size below 1 (TFLite's kernels divide by them)."""
        for name, value in values.items():
            if value < 1:
                raise self.error(f"{name} must be at least 1, got {value}")

    def input(self, i: int) -> _Tensor:
        if i >= len(self.ins) or self.ins[i] is None:
            raise self.error(f"missing input {i}")
        return self.ins[i]

    def input_value(self, i: int) -> SSAValue:
        return self.importer.value(self.input(i), f"input {i} of {self.name} (operator #{self.index})")

    def optional_value(self, i: int) -> SSAValue | None:
        return None if i >= len(self.ins) or self.ins[i] is None else self.input_value(i)

    def const_ints(self, i: int) -> list[int]:
        t = self.input(i)
        if t.data is None:
            raise self.error(f"input {i} ('{t.name}') must be a constant")
        return [int(v) for v in t.array().reshape(-1)]

    def output(self) -> _Tensor:
        if len(self.outs) != 1:
            raise self.error(f"expects one output, has {len(self.outs)}")
        return self.outs[0]

    def clamp(self, activation: int) -> Attribute:
        name = _ACTIVATIONS.get(activation, str(activation))
        out = self.output()
        if name not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            raise self.error(f"unsupported fused activation {name}")
        if out.quant is None:
            raise self.error(f"output '{out.name}' is not quantized")
        return tiny.i64_array(activation_range(name, out.quant))

    def emit(self, op_class: type[tiny.ComputeOp], ins: list[SSAValue], **props: Attribute) -> None:
        t = self.output()
        if t.data is not None:  # TFLite Micro would write over the weights in flash
            raise self.error(f"output '{t.name}' (tensor #{t.index}) is a constant")
        if t.index in self.importer.values:
            raise self.error(f"output '{t.name}' (tensor #{t.index}) is a graph input or an earlier operator's output")
        out = self.importer.define(t)
        self.importer.builder.insert(op_class([*ins], out, **props))


def _padding(ctx: _OpContext, options, kernel: tuple[int, int], dilation: tuple[int, int]) -> Attribute:
    """Explicit (top, bottom, left, right) padding from TFLite's SAME/VALID."""
    x = ctx.input(0)
    stride = (options.StrideH(), options.StrideW())
    ctx.positive(stride_h=stride[0], stride_w=stride[1], dilation_h=dilation[0], dilation_w=dilation[1])
    ctx.positive(window_h=kernel[0], window_w=kernel[1])
    if options.Padding() == tflite.Padding.VALID:
        return tiny.i64_array((0, 0, 0, 0))
    if options.Padding() != tflite.Padding.SAME:
        raise ctx.error(f"unknown padding {options.Padding()}")
    top, bottom, _ = same_padding(x.shape[1], kernel[0], stride[0], dilation[0])
    left, right, _ = same_padding(x.shape[2], kernel[1], stride[1], dilation[1])
    return tiny.i64_array((top, bottom, left, right))


def _conv(ctx: _OpContext, op_class: type[tiny.ComputeOp], options) -> None:
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
        pad=_padding(ctx, options, (w.shape[1], w.shape[2]), dilation),
        clamp=ctx.clamp(options.FusedActivationFunction()),
    )


def _lower_conv_2d(ctx: _OpContext) -> None:
    _conv(ctx, tiny.Conv2DOp, ctx.options(tflite.Conv2DOptions))


def _lower_depthwise_conv_2d(ctx: _OpContext) -> None:
    options = ctx.options(tflite.DepthwiseConv2DOptions)
    x, w = ctx.input(0), ctx.input(1)
    if len(x.shape) == 4 and len(w.shape) == 4 and options.DepthMultiplier() * x.shape[3] != w.shape[3]:
        # TFLite Micro's kernel loops over depth_multiplier: another value computes another thing
        raise ctx.error(
            f"depth_multiplier {options.DepthMultiplier()} disagrees with {x.shape[3]} input and {w.shape[3]} filter channels"
        )
    _conv(ctx, tiny.DepthwiseConv2DOp, options)


def _lower_fully_connected(ctx: _OpContext) -> None:
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


def _binary(op_class: type[tiny.ComputeOp], options_class: type) -> Callable[[_OpContext], None]:
    def lower(ctx: _OpContext) -> None:
        has_options = ctx.op.BuiltinOptionsType() != tflite.BuiltinOptions.NONE
        activation = ctx.options(options_class).FusedActivationFunction() if has_options else 0
        ctx.emit(op_class, [ctx.input_value(0), ctx.input_value(1)], clamp=ctx.clamp(activation))

    return lower


def _pool(op_class: type[tiny.ComputeOp]) -> Callable[[_OpContext], None]:
    def lower(ctx: _OpContext) -> None:
        options = ctx.options(tflite.Pool2DOptions)
        kernel = (options.FilterHeight(), options.FilterWidth())
        ctx.emit(
            op_class,
            [ctx.input_value(0)],
            kernel=tiny.i64_array(kernel),
            stride=tiny.i64_array((options.StrideH(), options.StrideW())),
            pad=_padding(ctx, options, kernel, (1, 1)),
            clamp=ctx.clamp(options.FusedActivationFunction()),
        )

    return lower


def _lower_mean(ctx: _OpContext) -> None:
    rank = len(ctx.input(0).shape)
    axes = sorted({a % rank for a in ctx.const_ints(1)})
    ctx.emit(tiny.MeanOp, [ctx.input_value(0)], axes=tiny.i64_array(axes))


def _lower_pad(ctx: _OpContext) -> None:
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


def _lower_reshape(ctx: _OpContext) -> None:
    source = ctx.input_value(0)
    out = ctx.output()
    view = ctx.importer.builder.insert(tiny.ReshapeOp(source, ctx.importer._type(out)))
    view.result.name_hint = value_name(out.name)
    ctx.importer.values[out.index] = view.result


def _lower_softmax(ctx: _OpContext) -> None:
    beta = ctx.options(tflite.SoftmaxOptions).Beta()
    ctx.emit(tiny.SoftmaxOp, [ctx.input_value(0)], beta=FloatAttr(beta, f32))


def _unary(op_class: type[tiny.ComputeOp]) -> Callable[[_OpContext], None]:
    def lower(ctx: _OpContext) -> None:
        ctx.emit(op_class, [ctx.input_value(0)])

    return lower


def _lower_relu(ctx: _OpContext) -> None:
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
    for t in (x, out):
        if t.type_name != "INT8" or t.quant is None or t.quant.is_per_channel:
            raise ctx.error(f"'{t.name}' is not a per-tensor quantized int8 tensor (the only kind supported)")
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


def _lower_concatenation(ctx: _OpContext) -> None:
    options = ctx.options(tflite.ConcatenationOptions)
    if options.FusedActivationFunction() != 0:
        raise ctx.error("a fused activation on CONCATENATION is not supported")
    rank = len(ctx.output().shape)
    ins = [ctx.input_value(i) for i in range(len(ctx.ins))]
    ctx.emit(tiny.ConcatOp, ins, axis=IntegerAttr(options.Axis() % rank, i64))


def _lower_transpose(ctx: _OpContext) -> None:
    ctx.emit(tiny.TransposeOp, [ctx.input_value(0)], perm=tiny.i64_array(ctx.const_ints(1)))


_LOWERINGS: dict[str, Callable[[_OpContext], None]] = {
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
}
