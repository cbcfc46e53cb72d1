"""Reading a .tflite flatbuffer: its tensors, and the importer that lowers
its operators one at a time (`Importer`, each operator an `OpContext`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import tflite
from xdsl.builder import Builder, InsertPoint
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    Float32Type,
    IntegerType,
    ModuleOp,
)
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.numerics.kernels import floating
from tinyir.numerics.quantization import QParams, activation_range, same_padding

if TYPE_CHECKING:  # spatial.py reads the importer
    from tinyir.frontends.tflite.spatial import DilatedConv

_OPERATOR_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_TENSOR_TYPES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
ACTIVATIONS = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}
_OPTION_TYPES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}

_ELEMENT_TYPES: dict[str, Attribute] = {
    "INT8": IntegerType(8),
    "INT16": IntegerType(16),
    "INT32": IntegerType(32),
    "INT64": IntegerType(64),
    "FLOAT32": Float32Type(),
}
NUMPY_TYPES = {"INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64, "FLOAT32": np.float32}

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
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    type_name: str
    quant: QParams | None
    data: bytes | None

    def array(self) -> np.ndarray:
        assert self.data is not None
        return np.frombuffer(self.data, dtype=np.dtype(NUMPY_TYPES[self.type_name]).newbyteorder("<")).reshape(self.shape)


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


class Importer:
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
        # SPACE_TO_BATCH_ND output -> the dilated convolution it starts (see lower_space_to_batch_nd)
        self.dilated: dict[int, DilatedConv] = {}
        self._readers: dict[int, list[tuple[int, int]]] | None = None

    # -- reading the flatbuffer ------------------------------------------------

    def _read_tensor(self, index: int) -> Tensor:
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
        return Tensor(index, name, shape, type_name, quant, self._read_buffer(t.Buffer(), name, index))

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

    def _tensor(self, index: int, what: str) -> Tensor:
        """Tensor #index, which `what` names (an operator's input, a graph output)."""
        if not 0 <= index < len(self.tensors):
            raise TinyIRError(f"{what} is tensor #{index}, the model has {len(self.tensors)} tensors")
        return self.tensors[index]

    def readers(self, index: int) -> list[tuple[int, int]]:
        """(operator, input position) of every read of tensor #index, a graph
        output counting as a read by operator -1."""
        if self._readers is None:
            self._readers = {}
            graph = self.graph
            for i in range(graph.OperatorsLength()):
                op = graph.Operators(i)
                for k, j in enumerate(op.InputsAsNumpy() if op.InputsLength() else []):
                    self._readers.setdefault(int(j), []).append((i, k))
            for k in range(graph.OutputsLength()):
                self._readers.setdefault(graph.Outputs(k), []).append((-1, k))
        return self._readers.get(index, [])

    def operator_context(self, i: int) -> OpContext:
        """Operator #i with its input and output tensors."""
        op = self.graph.Operators(i)
        name = self._operator_name(op, i)
        where = f"{name} (operator #{i})"
        ins = [None if j == -1 else self._tensor(int(j), f"{where} input {k}")  # -1: an optional input left out
               for k, j in enumerate(op.InputsAsNumpy() if op.InputsLength() else [])]  # fmt: skip
        outs = [self._tensor(int(j), f"{where} output {k}")
                for k, j in enumerate(op.OutputsAsNumpy() if op.OutputsLength() else [])]  # fmt: skip
        return OpContext(self, i, name, op, ins, outs)

    # -- building IR -----------------------------------------------------------

    def run(self, lowerings: Mapping[str, Callable[[OpContext], None]],
            foldings: Mapping[str, Callable[[OpContext], list[np.ndarray]]]) -> ModuleOp:
        """The module: each operator lowered (`lowerings`), or evaluated at
        import where its inputs are constants (`foldings`)."""
        graph = self.graph
        inputs = [self._tensor(graph.Inputs(i), f"graph input {i}") for i in range(graph.InputsLength())]
        outputs = [self._tensor(graph.Outputs(i), f"graph output {i}") for i in range(graph.OutputsLength())]
        block = Block(arg_types=[self._type(t) for t in inputs])
        for arg, t in zip(block.args, inputs):
            arg.name_hint = value_name(t.name)
            self.values[t.index] = arg
        self.builder = Builder(InsertPoint.at_end(block))

        for i in range(graph.OperatorsLength()):
            name = self._operator_name(graph.Operators(i), i)
            lower = lowerings.get(name)
            if lower is None:
                raise TinyIRError(f"unsupported TFLite operator {name} (operator #{i})")
            ctx = self.operator_context(i)
            if name in foldings and ctx.foldable():
                ctx.set_constants(foldings[name](ctx))
            else:
                lower(ctx)

        results = [self.value(t, "graph output") for t in outputs]
        self.builder.insert(func.ReturnOp(*results))
        function = func.FuncOp(
            "main",
            ([self._type(t) for t in inputs], [r.type for r in results]),
            Region(block),
        )
        return ModuleOp([function])

    def _type(self, t: Tensor) -> tiny.BufferType:
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

    def value(self, t: Tensor, what: str) -> SSAValue:
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

    def define(self, t: Tensor) -> SSAValue:
        """A fresh SRAM buffer for an operator's output tensor."""
        alloc = self.builder.insert(tiny.AllocOp(self._type(t)))
        alloc.result.name_hint = value_name(t.name)
        self.values[t.index] = alloc.result
        return alloc.result


@dataclass
class OpContext:
    """One TFLite operator being lowered, with helpers that name it in errors."""

    importer: Importer
    index: int
    name: str
    op: tflite.Operator
    ins: list[Tensor | None]
    outs: list[Tensor]

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

    def input(self, i: int) -> Tensor:
        if i >= len(self.ins) or self.ins[i] is None:
            raise self.error(f"missing input {i}")
        return self.ins[i]

    def input_value(self, i: int) -> SSAValue:
        return self.importer.value(self.input(i), f"input {i} of {self.name} (operator #{self.index})")

    def optional_value(self, i: int) -> SSAValue | None:
        return None if i >= len(self.ins) or self.ins[i] is None else self.input_value(i)

    def constant(self, i: int) -> np.ndarray:
        """The value of constant input i."""
        t = self.input(i)
        if t.data is None:
            raise self.error(f"input {i} ('{t.name}') must be a constant")
        try:
            return t.array()
        except (KeyError, ValueError):
            raise self.error(f"input {i} ('{t.name}') of type {t.type_name} cannot be read") from None

    def const_ints(self, i: int) -> list[int]:
        return [int(v) for v in self.constant(i).reshape(-1)]

    def output(self) -> Tensor:
        if len(self.outs) != 1:
            raise self.error(f"expects one output, has {len(self.outs)}")
        return self.outs[0]

    def clamp(self, activation: int) -> Attribute:
        name = ACTIVATIONS.get(activation, str(activation))
        out = self.output()
        if name not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            raise self.error(f"unsupported fused activation {name}")
        if out.type_name == "FLOAT32":
            for t in self.ins:
                if t is not None and t.type_name != "FLOAT32":  # hybrid kernels: int8 weights, float activations
                    raise self.error(
                        f"float output '{out.name}' from {t.type_name} input '{t.name}' (float ops take float inputs)"
                    )
            return tiny.i64_array(floating.ACTIVATION_CLAMPS[name])
        if out.quant is None:
            raise self.error(f"output '{out.name}' is not quantized")
        return tiny.i64_array(activation_range(name, out.quant))

    def check_fresh(self, t: Tensor) -> None:
        """Refuse an output tensor that already has a value."""
        if t.data is not None:  # TFLite Micro would write over the weights in flash
            raise self.error(f"output '{t.name}' (tensor #{t.index}) is a constant")
        if t.index in self.importer.values:
            raise self.error(f"output '{t.name}' (tensor #{t.index}) is a graph input or an earlier operator's output")

    def emit(self, op_class: type[tiny.ComputeOp], ins: list[SSAValue], **props: Attribute) -> None:
        t = self.output()
        self.check_fresh(t)
        out = self.importer.define(t)
        self.importer.builder.insert(op_class([*ins], out, **props))

    # -- folding shape computations into constants ------------------------------

    def foldable(self) -> bool:
        """Whether the operator computes on constants only: every input a
        constant without quantization (shape vectors, indices; SHAPE needs
        only its input's static shape), every output unquantized."""
        data = self.ins[1:] if self.name == "SHAPE" else self.ins
        return all(t is None or (t.data is not None and t.quant is None) for t in data) and all(
            t.quant is None for t in self.outs
        )

    def set_constants(self, values: list[np.ndarray]) -> None:
        """The outputs become constants holding `values`, in the output
        tensors' types and declared shapes."""
        if len(values) != len(self.outs):
            raise self.error(f"computes {len(values)} outputs, has {len(self.outs)}")
        for t, value in zip(self.outs, values):
            self.check_fresh(t)
            if t.type_name not in NUMPY_TYPES:
                raise self.error(f"output '{t.name}' has unsupported type {t.type_name}")
            if value.size != math.prod(t.shape):
                raise self.error(f"computes shape {list(value.shape)}, output '{t.name}' is declared {list(t.shape)}")
            t.data = np.ascontiguousarray(value, dtype=np.dtype(NUMPY_TYPES[t.type_name]).newbyteorder("<")).tobytes()


def padding(ctx: OpContext, options, kernel: tuple[int, int], dilation: tuple[int, int]) -> Attribute:
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


