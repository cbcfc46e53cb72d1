"""The `tiny` dialect: int8 neural-network operators on explicit buffers.

Every activation is a value of type `!tiny.buffer<shape x elt, quant>`. Buffers
are created by `tiny.alloc` (SRAM) or `tiny.const` (weights, flash) and written
by compute ops in destination-passing style: a compute op reads its input
buffers and writes its output buffer, and returns nothing. The order of the ops
in a function body is the schedule.

    %x = tiny.alloc : !tiny.buffer<1x16x16x8xi8, 0.0235:-128>
    %w = tiny.const dense<"0x0102..."> : !tiny.buffer<16x1x1x8xi8, axis 0: {0.01:0, ...}>
    tiny.conv_2d %in, %w, %b -> %x {stride = array<i64: 1, 1>, ...}

Views (`tiny.reshape`, `tiny.view`) alias their input and return a new value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    BytesAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float32Type,
    FloatAttr,
    FloatData,
    IntAttr,
    IntegerAttr,
    IndexType,
    IntegerType,
    TensorType,
    i32,
    i64,
)
from xdsl.ir import Attribute, Block, Dialect, ParametrizedAttribute, Region, SSAValue, TypeAttribute
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import AttrParser, Parser
from xdsl.printer import Printer
from xdsl.traits import NoTerminator
from xdsl.utils.exceptions import VerifyException

from tinyir import quantization
from tinyir.quantization import QParams

# ---------------------------------------------------------------------------
# The buffer type
# ---------------------------------------------------------------------------


def format_scale(scale: float) -> str:
    """The shortest text that reads back as the same float32 (always with a '.')."""
    return np.format_float_positional(np.float32(scale), unique=True, trim="0")


def _as_f32(value: float) -> float:
    with np.errstate(over="ignore"):  # an out-of-range scale becomes inf, refused by verify
        return float(np.float32(value))


@irdl_attr_definition
class BufferType(ParametrizedAttribute, TypeAttribute):
    """A buffer of a tensor: shape, element type and (optional) quantization.

    Per-tensor:  `!tiny.buffer<1x8x8x16xi8, 0.0235:-128>`
    Per-channel: `!tiny.buffer<16x3x3x8xi8, axis 0: {0.01:0, 0.02:0, ...}>`
    Plain:       `!tiny.buffer<16xi32>`, `!tiny.buffer<1x10xf32>`
    """

    name = "tiny.buffer"

    shape_attr: ArrayAttr[IntAttr]
    element_type: Attribute
    scales: ArrayAttr[FloatData]
    zero_points: ArrayAttr[IntAttr]
    # Quantized dimension; -1 for per-tensor (or unquantized) buffers.
    axis: IntAttr

    def __init__(
        self,
        shape: Sequence[int],
        element_type: Attribute,
        quant: QParams | None = None,
    ):
        scales = () if quant is None else quant.scale
        zps = () if quant is None else quant.zero_point
        axis = -1 if quant is None or quant.axis is None else quant.axis
        super().__init__(
            ArrayAttr([IntAttr(d) for d in shape]),
            element_type,
            ArrayAttr([FloatData(_as_f32(s)) for s in scales]),
            ArrayAttr([IntAttr(z) for z in zps]),
            IntAttr(axis),
        )

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(d.data for d in self.shape_attr.data)

    @property
    def num_elements(self) -> int:
        return math.prod(self.shape)

    @property
    def element_bytes(self) -> int:
        return element_bytes(self.element_type)

    @property
    def nbytes(self) -> int:
        return self.num_elements * self.element_bytes

    @property
    def dtype(self) -> np.dtype:
        return numpy_dtype(self.element_type)

    @property
    def quant(self) -> QParams | None:
        if not self.scales.data:
            return None
        return QParams(
            scale=tuple(s.data for s in self.scales.data),
            zero_point=tuple(z.data for z in self.zero_points.data),
            axis=None if self.axis.data < 0 else self.axis.data,
        )

    def with_shape(self, shape: Sequence[int]) -> BufferType:
        """The same element type and quantization with another shape."""
        return BufferType(shape, self.element_type, self.quant)

    def verify(self) -> None:
        if any(d.data < 1 for d in self.shape_attr.data):
            shape = "x".join("?" if d < 0 else str(d) for d in self.shape)
            raise VerifyException(f"tiny.buffer: dimensions must be static and positive, got {shape}")
        element_bytes(self.element_type)  # raises on an unsupported element type
        n_scales, n_zps = len(self.scales.data), len(self.zero_points.data)
        if n_scales != n_zps:
            raise VerifyException(
                f"tiny.buffer: {n_scales} scales but {n_zps} zero points"
            )
        if self.axis.data >= 0:
            if self.axis.data >= len(self.shape):
                raise VerifyException(
                    f"tiny.buffer: quantized axis {self.axis.data} out of range for rank {len(self.shape)}"
                )
            if n_scales != self.shape[self.axis.data]:
                raise VerifyException(
                    f"tiny.buffer: {n_scales} scales for {self.shape[self.axis.data]} channels on axis {self.axis.data}"
                )
        elif n_scales > 1:
            raise VerifyException("tiny.buffer: several scales need a quantized axis")
        # Real models have zero scales (all-zero weight channels) and even
        # negative ones (hanlab_mcunet-320kb-1mb); TFLite accepts any finite scale.
        if not all(math.isfinite(s.data) for s in self.scales.data):
            raise VerifyException("tiny.buffer: scales must be finite")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        start = parser.pos
        params = cls._parse_parameters(parser)
        try:
            cls.new(params)  # report an invalid type where it is written
        except VerifyException as e:
            parser.raise_error(str(e), start, parser.pos)
        return params

    @classmethod
    def _parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            shape, elt = parser.parse_ranked_shape()
            scales: list[float] = []
            zps: list[int] = []
            axis = -1
            if parser.parse_optional_punctuation(",") is not None:
                if parser.parse_optional_keyword("axis") is not None:
                    axis = parser.parse_integer(allow_boolean=False, allow_negative=False)
                    parser.parse_punctuation(":")

                    def pair() -> None:
                        scales.append(float(parser.parse_number()))
                        parser.parse_punctuation(":")
                        zps.append(parser.parse_integer(allow_boolean=False))

                    parser.parse_comma_separated_list(parser.Delimiter.BRACES, pair)
                else:
                    scales.append(float(parser.parse_number()))
                    parser.parse_punctuation(":")
                    zps.append(parser.parse_integer(allow_boolean=False))
        return [
            ArrayAttr([IntAttr(d) for d in shape]),
            elt,
            ArrayAttr([FloatData(_as_f32(s)) for s in scales]),
            ArrayAttr([IntAttr(z) for z in zps]),
            IntAttr(axis),
        ]

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string("".join(f"{d}x" for d in self.shape))
            printer.print_attribute(self.element_type)
            pairs = [
                f"{format_scale(s.data)}:{z.data}"
                for s, z in zip(self.scales.data, self.zero_points.data)
            ]
            if self.axis.data >= 0:
                printer.print_string(f", axis {self.axis.data}: {{{', '.join(pairs)}}}")
            elif pairs:
                printer.print_string(f", {pairs[0]}")


_DTYPES = {"i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64, "f32": np.float32}


def numpy_dtype(element_type: Attribute) -> np.dtype:
    """The numpy dtype of a buffer element type (i8, i16, i32, i64, f32)."""
    if isinstance(element_type, IntegerType):
        key = f"i{element_type.width.data}"
    elif isinstance(element_type, Float32Type):
        key = "f32"
    else:
        key = None
    if key not in _DTYPES:
        raise VerifyException(f"tiny.buffer: unsupported element type {element_type}")
    return np.dtype(_DTYPES[key])


def element_bytes(element_type: Attribute) -> int:
    return numpy_dtype(element_type).itemsize


def buffer_type(value: SSAValue) -> BufferType:
    assert isinstance(value.type, BufferType)
    return value.type


# ---------------------------------------------------------------------------
# Shared parsing/printing: `tiny.op %a, %b -> %out {props}`
# ---------------------------------------------------------------------------


def parse_defined_operand(parser: Parser) -> SSAValue:
    """An operand defined above its use; its type is the one it was defined with.

    tiny IR is a straight-line schedule, so no value is used before it is
    defined and operands need not repeat their (long, quantized) types.
    """
    operand = parser.parse_unresolved_operand()
    values = parser.ssa_values.get(operand.operand_name)
    if values is None or operand.index >= len(values):
        parser.raise_error(
            f"value %{operand.operand_name} is used before it is defined", operand.span
        )
    return parser.resolve_operand(operand, values[operand.index].type)


_SEGMENTS = AttrSizedOperandSegments.attribute_name


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


class ComputeOp(IRDLOperation):
    """Base of the destination-passing compute ops: reads `ins`, writes `out`.

    An op may also be given a `scratch` buffer (CMSIS-NN's working memory, sized
    for the target CPU), live for that op alone:
    `tiny.conv_2d %x, %w, %b -> %y scratch %s {...}`.

    In the body of a `tiny.tile_loop`, an op whose constants cover more
    channels than its buffers (a TiledOp) takes the loop's `tile %t` to say
    which window it computes, and a conv or fully connected layer reading a
    window of its input channels sums into an int32 `acc` buffer:
    `tiny.conv_2d %xt, %w, %b -> %y acc %acc tile %t {...}`.
    """

    ins = var_operand_def(BufferType)
    out = operand_def(BufferType)
    acc = opt_operand_def(BufferType)
    scratch = opt_operand_def(BufferType)
    tile = opt_operand_def(IndexType)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    # Names of the operands in `ins`, for accessors and messages; an entry
    # ending in `?` is optional (only the last one may be).
    INPUT_NAMES: ClassVar[tuple[str, ...]] = ("input",)

    # The optional operands after `out`, in order, as printed: `-> %y acc %a scratch %s tile %t`.
    OPTIONAL_OPERANDS: ClassVar[tuple[str, ...]] = ("acc", "scratch", "tile")

    def __init__(
        self,
        ins: Sequence[SSAValue],
        out: SSAValue,
        scratch: SSAValue | None = None,
        *,
        acc: SSAValue | None = None,
        tile: SSAValue | None = None,
        **props: Attribute,
    ):
        optional = [[] if v is None else [v] for v in (acc, scratch, tile)]
        super().__init__(operands=[list(ins), out, *optional], properties=props)

    def set_optional_operands(self, **values: SSAValue | None) -> None:
        """Set (or, with None, drop) some of `acc`, `scratch`, `tile`."""
        current = {name: getattr(self, name) for name in self.OPTIONAL_OPERANDS}
        current.update(values)
        optional = [current[name] for name in self.OPTIONAL_OPERANDS]
        self.operands = [*self.ins, self.out, *(v for v in optional if v is not None)]
        sizes = [len(self.ins), 1, *(int(v is not None) for v in optional)]
        self.properties[_SEGMENTS] = DenseArrayBase.from_list(i32, sizes)

    @classmethod
    def parse(cls, parser: Parser) -> ComputeOp:
        ins = parser.parse_comma_separated_list(
            parser.Delimiter.NONE, lambda: parse_defined_operand(parser)
        )
        parser.parse_punctuation("->")
        out = parse_defined_operand(parser)
        optional = []
        for keyword in cls.OPTIONAL_OPERANDS:
            found = parser.parse_optional_keyword(keyword) is not None
            optional.append([parse_defined_operand(parser)] if found else [])
        props = parser.parse_optional_attr_dict()
        props[_SEGMENTS] = DenseArrayBase.from_list(i32, [len(ins), 1, *map(len, optional)])
        return cls.create(operands=[*ins, out, *(v for vs in optional for v in vs)], properties=props)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_list(self.ins, printer.print_operand)
        printer.print_string(" -> ")
        printer.print_operand(self.out)
        for keyword in self.OPTIONAL_OPERANDS:
            value = getattr(self, keyword)
            if value is not None:
                printer.print_string(f" {keyword} ")
                printer.print_operand(value)
        props = {k: v for k, v in self.properties.items() if k != _SEGMENTS}
        if props:
            printer.print_string(" ")
            printer.print_attr_dict(props)

    # -- helpers for verifiers ------------------------------------------------

    def fail(self, message: str) -> VerifyException:
        return VerifyException(f"{self.name}: {message}")

    def in_type(self, index: int) -> BufferType:
        return buffer_type(self.ins[index])

    @property
    def out_type(self) -> BufferType:
        return buffer_type(self.out)

    def ints(self, prop: str) -> tuple[int, ...]:
        attr = self.properties[prop]
        assert isinstance(attr, DenseArrayBase)
        return tuple(int(v) for v in attr.get_values())

    def check_arity(self) -> None:
        required = [n for n in self.INPUT_NAMES if not n.endswith("?")]
        if not len(required) <= len(self.ins) <= len(self.INPUT_NAMES):
            expected = ", ".join(self.INPUT_NAMES)
            raise self.fail(f"expects inputs ({expected}), got {len(self.ins)}")

    def check_array(self, prop: str, length: int, minimum: int | None = None) -> tuple[int, ...]:
        values = self.ints(prop)
        if len(values) != length:
            raise self.fail(f"'{prop}' needs {length} values, got {len(values)}")
        if minimum is not None and any(v < minimum for v in values):
            raise self.fail(f"'{prop}' values must be >= {minimum}, got {list(values)}")
        return values

    def check_clamp(self) -> None:
        lo, hi = self.check_array("clamp", 2)
        info = np.iinfo(self.out_type.dtype) if self.out_type.dtype.kind == "i" else None
        if lo > hi or (info is not None and (lo < info.min or hi > info.max)):
            raise self.fail(f"clamp [{lo}, {hi}] is not a range of {self.out_type.element_type}")

    def check_quantized(self, *types: BufferType) -> None:
        for t in types:
            if t.quant is None:
                raise self.fail(f"buffer {list(t.shape)} of {t.element_type} needs quantization")

    def check_quantized_or_float(self, *types: BufferType) -> bool:
        """Quantized buffers, or (float models: the ONNX frontend) all f32 and
        unquantized; returns True for the latter."""
        if all(t.dtype == np.float32 and t.quant is None for t in types):
            return True
        self.check_quantized(*types)
        return False

    def check_same_encoding(self, x: BufferType, y: BufferType) -> None:
        """Ops that move int8 data without rescaling keep type and quantization."""
        if x.element_type != y.element_type or x.quant != y.quant:
            raise self.fail("input and output element type and quantization must be equal")

    def check_same_shape(self, a: BufferType, b: BufferType, what: str) -> None:
        if a.shape != b.shape:
            raise self.fail(f"{what}: shapes {list(a.shape)} and {list(b.shape)} differ")

    def verify_(self) -> None:
        self.check_arity()
        self.check_tile()
        self.verify_op()

    def verify_op(self) -> None:
        """Operator-specific checks, with messages that start with the op name."""

    def check_tile(self) -> None:
        """Only tiled ops (TiledOp, the tile copies) take `tile` and `acc`."""
        if self.tile is not None or self.acc is not None:
            raise self.fail("takes no 'tile' or 'acc' operand")

    # The whole op a tile belongs to; a tile-less op is its own whole.
    def whole_input(self) -> BufferType:
        return self.in_type(0)

    def whole_output(self) -> BufferType:
        return self.out_type


# ---------------------------------------------------------------------------
# Buffers: alloc, const, views
# ---------------------------------------------------------------------------


@irdl_op_definition
class AllocOp(IRDLOperation):
    """A buffer in SRAM, alive from its first write to its last read; after
    --arena-alloc, at a byte offset in the arena.

        %x = tiny.alloc : !tiny.buffer<1x8x8x16xi8, 0.0235:-128>
        %y = tiny.alloc offset 4096 : !tiny.buffer<1x8x8x16xi8, 0.0235:-128>
    """

    name = "tiny.alloc"
    result = result_def(BufferType)
    # Byte offset in the arena, set by --arena-alloc.
    offset = opt_prop_def(IntegerAttr)

    def __init__(self, type: BufferType, offset: int | None = None):
        props = {} if offset is None else {"offset": IntegerAttr(offset, i64)}
        super().__init__(result_types=[type], properties=props)

    @property
    def arena_offset(self) -> int | None:
        return None if self.offset is None else self.offset.value.data

    def verify_(self) -> None:
        if self.offset is not None and self.offset.value.data < 0:
            raise VerifyException(f"tiny.alloc: negative arena offset {self.offset.value.data}")

    @classmethod
    def parse(cls, parser: Parser) -> AllocOp:
        props = {}
        if parser.parse_optional_keyword("offset") is not None:
            props["offset"] = IntegerAttr(parser.parse_integer(allow_boolean=False), i64)
        parser.parse_punctuation(":")
        return cls.create(result_types=[parser.parse_type()], properties=props)

    def print(self, printer: Printer) -> None:
        if self.offset is not None:
            printer.print_string(f" offset {self.offset.value.data}")
        printer.print_string(" : ")
        printer.print_attribute(self.result.type)


@irdl_op_definition
class ConstOp(IRDLOperation):
    """Constant data (weights, biases) in flash, stored as raw little-endian bytes.

        %w = tiny.const dense<"0x01FF..."> : !tiny.buffer<16x1x1x8xi8, axis 0: {...}>
    """

    name = "tiny.const"
    value = prop_def(DenseIntOrFPElementsAttr)
    result = result_def(BufferType)

    def __init__(self, data: bytes, type: BufferType):
        tensor = TensorType(type.element_type, type.shape)
        value = DenseIntOrFPElementsAttr(tensor, BytesAttr(data))
        super().__init__(result_types=[type], properties={"value": value})

    @staticmethod
    def from_array(array: np.ndarray, type: BufferType) -> ConstOp:
        return ConstOp(np.ascontiguousarray(array, dtype=type.dtype).tobytes(), type)

    @property
    def data(self) -> bytes:
        return self.value.data.data

    def as_array(self) -> np.ndarray:
        t = buffer_type(self.result)
        return np.frombuffer(self.data, dtype=t.dtype.newbyteorder("<")).reshape(t.shape)

    def verify_(self) -> None:
        t = buffer_type(self.result)
        if len(self.data) != t.nbytes:
            raise VerifyException(
                f"tiny.const: {len(self.data)} bytes of data for a buffer of {t.nbytes} bytes"
            )

    @classmethod
    def parse(cls, parser: Parser) -> ConstOp:
        parser.parse_keyword("dense")
        with parser.in_angle_brackets():
            pos = parser.pos
            text = parser.parse_str_literal()
        if not text.startswith("0x"):
            parser.raise_error("tiny.const data must be a hex string \"0x...\"", pos)
        try:
            data = bytes.fromhex(text[2:])
        except ValueError:
            parser.raise_error("tiny.const data is not valid hex", pos)
        parser.parse_punctuation(":")
        type = parser.parse_type()
        if not isinstance(type, BufferType):
            parser.raise_error("tiny.const needs a !tiny.buffer type", pos)
        return cls.create(
            result_types=[type],
            properties={
                "value": DenseIntOrFPElementsAttr(
                    TensorType(type.element_type, type.shape), BytesAttr(data)
                )
            },
        )

    def print(self, printer: Printer) -> None:
        printer.print_string(f' dense<"0x{self.data.hex().upper()}"> : ')
        printer.print_attribute(self.result.type)


class ViewOp(IRDLOperation):
    """Base of the views: a value that aliases its `source`'s buffer, no copy.

    Views own no memory: liveness, the allocator, the arena checker and the
    executor follow `source` to the buffer (`tinyir.liveness.buffer_root`).
    Subclasses say which bytes of the source the view covers.
    """

    source = operand_def(BufferType)
    result = result_def(BufferType)

    def __init__(self, source: SSAValue, type: BufferType):
        super().__init__(operands=[source], result_types=[type])

    def fail(self, message: str) -> VerifyException:
        return VerifyException(f"{self.name}: {message}")

    def verify_(self) -> None:
        src, dst = buffer_type(self.source), buffer_type(self.result)
        # The quantization may change: TFLite's RESHAPE reinterprets the bytes
        # (hanlab_mbv2-w0.35-r144 does this on its classifier output).
        if src.element_type != dst.element_type:
            raise self.fail("the element type must not change")
        self.verify_view(src, dst)

    def verify_view(self, src: BufferType, dst: BufferType) -> None:
        """View-specific checks, with messages that start with the op name."""

    @classmethod
    def parse(cls, parser: Parser) -> ViewOp:
        source = parse_defined_operand(parser)
        parser.parse_punctuation(":")
        type = parser.parse_type()
        return cls.create(operands=[source], result_types=[type])

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.source)
        printer.print_string(" : ")
        printer.print_attribute(self.result.type)


@irdl_op_definition
class ReshapeOp(ViewOp):
    """A view of its input with another shape: no copy, same bytes.

        %flat = tiny.reshape %x : !tiny.buffer<1x1024xi8, 0.0235:-128>
    """

    name = "tiny.reshape"

    def verify_view(self, src: BufferType, dst: BufferType) -> None:
        if src.num_elements != dst.num_elements:
            raise self.fail(f"{list(src.shape)} and {list(dst.shape)} have different element counts")


@irdl_op_definition
class PrefixViewOp(ViewOp):
    """The first bytes of its source's buffer, read with another shape and
    quantization: no copy. The element type stays; the view may be smaller
    than its source, never larger.

        %y = tiny.view %x : !tiny.buffer<1x8x8x16xi8, 0.02:-128>

    --arena-alloc{inplace-depthwise=true} writes a stride-2 depthwise
    convolution's output into the first quarter of its input this way.
    """

    name = "tiny.view"

    def verify_view(self, src: BufferType, dst: BufferType) -> None:
        if dst.nbytes > src.nbytes:
            raise self.fail(
                f"a view of {dst.nbytes} bytes {list(dst.shape)} does not fit its source "
                f"of {src.nbytes} bytes {list(src.shape)}"
            )


# ---------------------------------------------------------------------------
# Compute ops
# ---------------------------------------------------------------------------


def window_output_size(size: int, kernel: int, stride: int, dilation: int, before: int, after: int) -> int:
    """Output length of a sliding window over `size` with explicit padding."""
    effective = (kernel - 1) * dilation + 1
    return (size + before + after - effective) // stride + 1


class WindowOp(ComputeOp):
    """Shared checks of the 2-D sliding-window ops (conv, depthwise, pools)."""

    def check_window(self, kernel: tuple[int, int], dilation: tuple[int, int]) -> None:
        x, y = self.whole_input(), self.whole_output()
        if len(x.shape) != 4 or len(y.shape) != 4:
            raise self.fail(f"input and output must be NHWC, got {list(x.shape)} -> {list(y.shape)}")
        stride = self.check_array("stride", 2, minimum=1)
        top, bottom, left, right = self.check_array("pad", 4, minimum=0)
        expected = (
            window_output_size(x.shape[1], kernel[0], stride[0], dilation[0], top, bottom),
            window_output_size(x.shape[2], kernel[1], stride[1], dilation[1], left, right),
        )
        if y.shape[0] != x.shape[0]:
            raise self.fail(f"batch of output {list(y.shape)} differs from input {list(x.shape)}")
        if tuple(y.shape[1:3]) != expected:
            raise self.fail(
                f"output {list(y.shape)} does not match input {list(x.shape)} with kernel "
                f"{list(kernel)}, stride {list(stride)}, pad {[top, bottom, left, right]}: "
                f"expected spatial size {list(expected)}"
            )
        self.check_clamp()


class TiledOp(ComputeOp):
    """An op with per-channel constants (filter, bias, multipliers) that, in
    the body of a `tiny.tile_loop`, computes one window of its channels, the
    window of the loop's `tile %t`:

    - output tile (no `acc`): the output holds output channels [t*c, (t+1)*c)
      of the whole op, c being its channel count; depthwise reads the
      matching input channels. Filter, bias and multipliers are sliced.
    - input tile (conv and fully connected, with `acc`): the input holds input
      channels [t*c, (t+1)*c). Their partial sums go into `acc` (i32, the
      output's shape): stored at t = 0, added after. At the last tile the
      bias is added and the sums are requantized and clamped into the output,
      which is the whole op's: the same integers as one pass over all inputs.

        tiny.conv_2d %x, %w1, %b1 -> %e tile %t {...}
        tiny.conv_2d %e, %w2, %b2 -> %y acc %acc tile %t {...}
    """

    INPUT_NAMES: ClassVar[tuple[str, ...]] = ("input", "filter", "bias?")
    FILTER_OUT_AXIS: ClassVar[int]
    """Axis of the filter along the output channels."""
    FILTER_IN_AXIS: ClassVar[int | None]
    """Axis of the filter along the input channels; None: no input tiles."""
    CHANNELWISE: ClassVar[bool] = False
    """Output channel o reads only input channels of its own (depthwise)."""

    @property
    def tile_mode(self) -> str | None:
        """None (the whole op), "out" (output tile) or "in" (input tile)."""
        if self.tile is None:
            return None
        return "in" if self.acc is not None else "out"

    @property
    def tile_count(self) -> int:
        """How many tiles make the whole op."""
        w = self.in_type(1).shape
        if self.tile_mode == "out":
            return w[self.FILTER_OUT_AXIS] // max(self.out_type.shape[-1], 1)
        if self.tile_mode == "in":
            return w[self.FILTER_IN_AXIS] // max(self.in_type(0).shape[-1], 1)
        return 1

    def _widened(self, t: BufferType) -> BufferType:
        return t.with_shape((*t.shape[:-1], t.shape[-1] * self.tile_count))

    def whole_input(self) -> BufferType:
        x = self.in_type(0)
        mode = self.tile_mode
        return self._widened(x) if mode == "in" or (mode == "out" and self.CHANNELWISE) else x

    def whole_output(self) -> BufferType:
        return self._widened(self.out_type) if self.tile_mode == "out" else self.out_type

    def channel_window(self) -> tuple[int, int]:
        """(channels per tile, tiles) of the tiled side; (all, 1) untiled."""
        side = self.in_type(0) if self.tile_mode == "in" else self.out_type
        return side.shape[-1], self.tile_count

    def check_tile(self) -> None:
        if self.tile is None:
            if self.acc is not None:
                raise self.fail("an 'acc' operand needs a 'tile'")
            return
        check_tile_operand(self)
        w = self.in_type(1).shape
        if self.tile_mode == "out":
            axis, part = self.FILTER_OUT_AXIS, self.out_type.shape[-1]
        else:
            if self.FILTER_IN_AXIS is None:
                raise self.fail("reads no input tiles: it takes no 'acc'")
            axis, part = self.FILTER_IN_AXIS, self.in_type(0).shape[-1]
            acc, y = buffer_type(self.acc), self.out_type
            if acc.dtype != np.int32 or acc.quant is not None or acc.shape != y.shape:
                raise self.fail(f"'acc' must be i32 of the output's shape {list(y.shape)}, got {acc}")
        if part == 0 or len(w) <= axis or w[axis] % part:
            raise self.fail(f"a tile of {part} channels does not divide filter {list(w)} on axis {axis}")
        if self.tile_mode == "out" and self.CHANNELWISE and part % max(self.in_type(0).shape[-1], 1):
            raise self.fail(f"input tile of {self.in_type(0).shape[-1]} channels does not feed {part} outputs")


def check_tile_operand(op: ComputeOp) -> None:
    """`tile` must be the index of the `tiny.tile_loop` the op is in."""
    tile = op.tile
    loop = op.parent_op()
    if not isinstance(loop, TileLoopOp) or tile is not loop.index:
        raise op.fail("'tile' must be the index of the enclosing tiny.tile_loop")


class ConvLikeOp(WindowOp, TiledOp):
    INPUT_NAMES: ClassVar[tuple[str, ...]] = ("input", "filter", "bias?")

    def check_conv(self, filter_channels_axis: int) -> None:
        x, w, y = self.whole_input(), self.in_type(1), self.whole_output()
        if len(w.shape) != 4:
            raise self.fail(f"filter must have rank 4, got {list(w.shape)}")
        floating = self.check_quantized_or_float(x, w, y)
        dilation = self.check_array("dilation", 2, minimum=1)
        self.check_window((w.shape[1], w.shape[2]), dilation)
        out_channels = w.shape[filter_channels_axis]
        if y.shape[3] != out_channels:
            raise self.fail(f"output has {y.shape[3]} channels, filter {list(w.shape)} gives {out_channels}")
        if len(self.ins) == 3:
            b = self.in_type(2)
            if b.shape != (out_channels,) or b.dtype != (np.float32 if floating else np.int32):
                element = "f32" if floating else "i32"
                raise self.fail(f"bias must be {out_channels} x {element}, got {list(b.shape)} x {b.element_type}")


@irdl_op_definition
class Conv2DOp(ConvLikeOp):
    """2-D convolution, NHWC input, filter [C_out, KH, KW, C_in], int32 bias.

        tiny.conv_2d %x, %w, %b -> %y {stride = array<i64: 1, 1>,
            dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>,
            clamp = array<i64: -128, 127>}
    """

    name = "tiny.conv_2d"
    FILTER_OUT_AXIS: ClassVar[int] = 0
    FILTER_IN_AXIS: ClassVar[int | None] = 3
    stride = prop_def(DenseArrayBase)
    dilation = prop_def(DenseArrayBase)
    pad = prop_def(DenseArrayBase)
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        self.check_conv(filter_channels_axis=0)
        x, w = self.whole_input(), self.in_type(1)
        if w.shape[3] != x.shape[3]:
            raise self.fail(f"filter {list(w.shape)} expects {w.shape[3]} input channels, input has {x.shape[3]}")


@irdl_op_definition
class DepthwiseConv2DOp(ConvLikeOp):
    """Depthwise 2-D convolution, filter [1, KH, KW, C_out], C_out = C_in x multiplier.

        tiny.depthwise_conv_2d %x, %w, %b -> %y {stride = ..., dilation = ...,
            pad = ..., clamp = ...}
    """

    name = "tiny.depthwise_conv_2d"
    FILTER_OUT_AXIS: ClassVar[int] = 3
    FILTER_IN_AXIS: ClassVar[int | None] = None
    CHANNELWISE: ClassVar[bool] = True
    stride = prop_def(DenseArrayBase)
    dilation = prop_def(DenseArrayBase)
    pad = prop_def(DenseArrayBase)
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        self.check_conv(filter_channels_axis=3)
        x, w = self.whole_input(), self.in_type(1)
        if w.shape[0] != 1 or w.shape[3] % x.shape[3] != 0:
            raise self.fail(f"filter {list(w.shape)} is not [1, KH, KW, k x {x.shape[3]}]")


@irdl_op_definition
class FullyConnectedOp(TiledOp):
    """Fully connected layer: input [..., K] as rows, filter [C_out, K], int32 bias.

        tiny.fully_connected %x, %w, %b -> %y {clamp = array<i64: -128, 127>}
    """

    name = "tiny.fully_connected"
    FILTER_OUT_AXIS: ClassVar[int] = 0
    FILTER_IN_AXIS: ClassVar[int | None] = 1
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        x, w, y = self.whole_input(), self.in_type(1), self.whole_output()
        floating = self.check_quantized_or_float(x, w, y)
        if len(w.shape) != 2:
            raise self.fail(f"filter must be [C_out, K], got {list(w.shape)}")
        if not x.shape or not y.shape:
            raise self.fail("input and output must have at least one dimension")
        out_channels, depth = w.shape
        if x.num_elements % depth != 0:
            raise self.fail(f"input {list(x.shape)} is not a whole number of rows of {depth}")
        rows = x.num_elements // depth
        if y.shape[-1] != out_channels or y.num_elements != rows * out_channels:
            raise self.fail(f"output {list(y.shape)} should hold {rows} rows of {out_channels}")
        if len(self.ins) == 3:
            b = self.in_type(2)
            if b.shape != (out_channels,) or b.dtype != (np.float32 if floating else np.int32):
                element = "f32" if floating else "i32"
                raise self.fail(f"bias must be {out_channels} x {element}, got {list(b.shape)} x {b.element_type}")
        self.check_clamp()


class BinaryOp(ComputeOp):
    """Elementwise op on two inputs with numpy/TFLite broadcasting."""

    INPUT_NAMES: ClassVar[tuple[str, ...]] = ("lhs", "rhs")
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        a, b, y = self.in_type(0), self.in_type(1), self.out_type
        self.check_quantized_or_float(a, b, y)
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise self.fail(f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast") from None
        if shape != y.shape:
            raise self.fail(f"output {list(y.shape)} is not the broadcast shape {list(shape)}")
        self.check_clamp()


@irdl_op_definition
class AddOp(BinaryOp):
    """Quantized addition: `tiny.add %a, %b -> %y {clamp = array<i64: -128, 127>}`"""

    name = "tiny.add"


@irdl_op_definition
class MulOp(BinaryOp):
    """Quantized multiplication: `tiny.mul %a, %b -> %y {clamp = array<i64: -128, 127>}`"""

    name = "tiny.mul"


class PoolOp(WindowOp):
    kernel = prop_def(DenseArrayBase)
    stride = prop_def(DenseArrayBase)
    pad = prop_def(DenseArrayBase)
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        self.check_quantized_or_float(x, y)
        kernel = self.check_array("kernel", 2, minimum=1)
        self.check_window((kernel[0], kernel[1]), (1, 1))
        if x.shape[3] != y.shape[3]:
            raise self.fail(f"input has {x.shape[3]} channels, output {y.shape[3]}")
        self.check_same_encoding(x, y)


@irdl_op_definition
class AvgPool2DOp(PoolOp):
    """Average pooling over in-image taps: `tiny.avg_pool_2d %x -> %y {kernel = ..., stride = ..., pad = ..., clamp = ...}`"""

    name = "tiny.avg_pool_2d"


@irdl_op_definition
class MaxPool2DOp(PoolOp):
    """Max pooling: `tiny.max_pool_2d %x -> %y {kernel = ..., stride = ..., pad = ..., clamp = ...}`"""

    name = "tiny.max_pool_2d"


@irdl_op_definition
class MeanOp(ComputeOp):
    """Mean over `axes`, requantized to the output.

        tiny.mean %x -> %y {axes = array<i64: 1, 2>}
    """

    name = "tiny.mean"
    axes = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        self.check_quantized_or_float(x, y)
        axes = self.ints("axes")
        if not axes or any(not 0 <= a < len(x.shape) for a in axes) or len(set(axes)) != len(axes):
            raise self.fail(f"axes {list(axes)} are not distinct dimensions of {list(x.shape)}")
        kept = [1 if i in axes else d for i, d in enumerate(x.shape)]
        dropped = [d for i, d in enumerate(x.shape) if i not in axes]
        if list(y.shape) not in (kept, dropped):
            raise self.fail(f"output {list(y.shape)} is not {list(x.shape)} reduced over {list(axes)}")


@irdl_op_definition
class PadOp(ComputeOp):
    """Pad with a constant: `paddings` holds (before, after) for each dimension.

        tiny.pad %x -> %y {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = -128 : i64}
    """

    name = "tiny.pad"
    paddings = prop_def(DenseArrayBase)
    value = prop_def(IntegerAttr)

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        pads = self.check_array("paddings", 2 * len(x.shape), minimum=0)
        expected = [d + pads[2 * i] + pads[2 * i + 1] for i, d in enumerate(x.shape)]
        if list(y.shape) != expected:
            raise self.fail(f"output {list(y.shape)} should be {expected}")
        self.check_same_encoding(x, y)
        value = self.value.value.data
        if y.dtype.kind == "i" and not np.iinfo(y.dtype).min <= value <= np.iinfo(y.dtype).max:
            raise self.fail(f"pad value {value} does not fit {y.element_type}")


class UnaryOp(ComputeOp):
    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        floating = self.check_quantized_or_float(x, y)
        self.check_same_shape(x, y, "input and output")
        if floating:
            return
        try:
            self.check_kernel_quantization(x.quant, y.quant)
        except ValueError as e:
            raise self.fail(str(e)) from None

    def check_kernel_quantization(self, x_q: QParams, y_q: QParams) -> None:
        """Raise ValueError where TFLite's kernel refuses this quantization."""


@irdl_op_definition
class SoftmaxOp(UnaryOp):
    """Softmax over the last axis: `tiny.softmax %x -> %y {beta = 1.0 : f32}`"""

    name = "tiny.softmax"
    beta = prop_def(FloatAttr)

    def check_kernel_quantization(self, x_q: QParams, y_q: QParams) -> None:
        quantization.check_softmax_output(y_q)


@irdl_op_definition
class LogisticOp(UnaryOp):
    """Logistic (sigmoid): `tiny.logistic %x -> %y`"""

    name = "tiny.logistic"

    def check_kernel_quantization(self, x_q: QParams, y_q: QParams) -> None:
        quantization.check_logistic_output(y_q)


@irdl_op_definition
class HardSwishOp(UnaryOp):
    """Hard swish, x * relu6(x + 3) / 6: `tiny.hard_swish %x -> %y`"""

    name = "tiny.hard_swish"

    def check_kernel_quantization(self, x_q: QParams, y_q: QParams) -> None:
        quantization.hard_swish_params(x_q, y_q)


@irdl_op_definition
class ClampOp(UnaryOp):
    """Requantize int8 to the output's quantization, then clamp: TFLite's
    RELU, RELU6 and RELU_N1_TO_1 as standalone operators.

        tiny.clamp %x -> %y {clamp = array<i64: -128, 127>}

    y = min(max(zp_y + MultiplyByQuantizedMultiplier(x - zp_x, M, shift), lo), hi)
    with (M, shift) from s_x / s_y (tinyir.quantization.clamp_params). With equal
    input and output quantization the requantization is the identity and this
    is a plain clamp, which --fuse folds into the producer's own `clamp`.
    """

    name = "tiny.clamp"
    clamp = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        super().verify_op()
        x, y = self.in_type(0), self.out_type
        for what, t in (("input", x), ("output", y)):
            if t.dtype == np.float32 and t.quant is None:
                continue  # a float clamp (float models, the ONNX frontend)
            if t.dtype != np.int8 or t.quant.is_per_channel:
                kind = "per-channel" if t.quant.is_per_channel else "per-tensor"
                raise self.fail(f"{what} must be per-tensor quantized i8, got {kind} {t.element_type}")
        self.check_clamp()


@irdl_op_definition
class ConcatOp(ComputeOp):
    """Concatenation along `axis`: `tiny.concat %a, %b -> %y {axis = 3 : i64}`"""

    name = "tiny.concat"
    INPUT_NAMES: ClassVar[tuple[str, ...]] = ("inputs...",)
    axis = prop_def(IntegerAttr)

    def check_arity(self) -> None:
        if not self.ins:
            raise self.fail("needs at least one input")

    def verify_op(self) -> None:
        y = self.out_type
        axis = self.axis.value.data
        if not 0 <= axis < len(y.shape):
            raise self.fail(f"axis {axis} out of range for rank {len(y.shape)}")
        total = 0
        for i in range(len(self.ins)):
            x = self.in_type(i)
            others = [d for j, d in enumerate(x.shape) if j != axis]
            if len(x.shape) != len(y.shape) or others != [d for j, d in enumerate(y.shape) if j != axis]:
                raise self.fail(f"input {i} {list(x.shape)} does not fit output {list(y.shape)} on axis {axis}")
            if x.element_type != y.element_type or x.quant != y.quant:
                raise self.fail(f"input {i} has another element type or quantization than the output")
            total += x.shape[axis]
        if total != y.shape[axis]:
            raise self.fail(f"inputs add up to {total} on axis {axis}, output has {y.shape[axis]}")


@irdl_op_definition
class TransposeOp(ComputeOp):
    """Permutation of dimensions: `tiny.transpose %x -> %y {perm = array<i64: 0, 2, 3, 1>}`"""

    name = "tiny.transpose"
    perm = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        perm = self.ints("perm")
        if sorted(perm) != list(range(len(x.shape))):
            raise self.fail(f"perm {list(perm)} is not a permutation of {len(x.shape)} dimensions")
        if list(y.shape) != [x.shape[p] for p in perm]:
            raise self.fail(f"output {list(y.shape)} is not {list(x.shape)} permuted by {list(perm)}")
        self.check_same_encoding(x, y)


@irdl_op_definition
class QuantizeOp(ComputeOp):
    """Float to int8, or int8 to int8 with another scale: `tiny.quantize %x -> %y`"""

    name = "tiny.quantize"

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        self.check_same_shape(x, y, "input and output")
        self.check_quantized(y)
        if y.dtype.kind != "i":
            raise self.fail(f"output must be an integer buffer, got {y.element_type}")
        if x.dtype.kind == "i":
            self.check_quantized(x)
        elif x.dtype != np.float32:
            raise self.fail(f"input must be f32 or quantized integers, got {x.element_type}")


@irdl_op_definition
class DequantizeOp(ComputeOp):
    """Int8 to float: `tiny.dequantize %x -> %y`"""

    name = "tiny.dequantize"

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        self.check_same_shape(x, y, "input and output")
        self.check_quantized(x)
        if y.dtype != np.float32 or y.quant is not None:
            quantized = " with quantization" if y.quant is not None else ""
            raise self.fail(f"output must be f32 without quantization, got {y.element_type}{quantized}")




# ---------------------------------------------------------------------------
# Tiles: partial execution
# ---------------------------------------------------------------------------


class TileCopyOp(ComputeOp):
    """Copies tile `t` of a whole buffer along `axis` (a channel window of an
    NHWC buffer is strided, so a tile of it is a copy, not a view)."""

    axis = prop_def(IntegerAttr)

    def whole_and_part(self) -> tuple[BufferType, BufferType]:
        raise NotImplementedError

    @property
    def tile_count(self) -> int:
        whole, part = self.whole_and_part()
        return whole.shape[self.axis.value.data] // max(part.shape[self.axis.value.data], 1)

    def check_tile(self) -> None:
        if self.tile is None or self.acc is not None:
            raise self.fail("takes a 'tile' and no 'acc'")
        check_tile_operand(self)

    def verify_op(self) -> None:
        whole, part = self.whole_and_part()
        axis = self.axis.value.data
        if not 0 <= axis < len(whole.shape) or len(part.shape) != len(whole.shape):
            raise self.fail(f"axis {axis} does not fit {list(whole.shape)} and {list(part.shape)}")
        others = [d for i, d in enumerate(whole.shape) if i != axis]
        if others != [d for i, d in enumerate(part.shape) if i != axis] or (
            part.shape[axis] == 0 or whole.shape[axis] % part.shape[axis]
        ):
            raise self.fail(f"{list(part.shape)} is not a tile of {list(whole.shape)} along axis {axis}")
        self.check_same_encoding(whole, part)


@irdl_op_definition
class ExtractTileOp(TileCopyOp):
    """Copies tile `t` of a whole buffer out:
    `tiny.extract_tile %x -> %xt tile %t {axis = 3 : i64}` (channels
    [t*c, (t+1)*c) of %x, c the channels of %xt)."""

    name = "tiny.extract_tile"

    def whole_and_part(self) -> tuple[BufferType, BufferType]:
        return self.in_type(0), self.out_type


@irdl_op_definition
class InsertTileOp(TileCopyOp):
    """Copies a tile into its window of a whole buffer:
    `tiny.insert_tile %yt -> %y tile %t {axis = 3 : i64}`; the rest of %y is
    left as it is (the other tiles write it)."""

    name = "tiny.insert_tile"

    def whole_and_part(self) -> tuple[BufferType, BufferType]:
        return self.out_type, self.in_type(0)


@irdl_op_definition
class TileLoopOp(IRDLOperation):
    """Runs its body once per tile, %t = 0 .. count-1: partial execution.

    Ops of the body that take `tile %t` compute that tile of themselves
    (TiledOp, the tile copies); the others work on whole (tile-sized)
    buffers. Buffers allocated in the body hold one tile and are rewritten by
    every iteration before they are read; buffers from outside persist
    across iterations (inputs, accumulators, whole outputs).

        tiny.tile_loop %t < 4 {
          %e = tiny.alloc : !tiny.buffer<1x16x16x24xi8, 0.05:-128>
          tiny.conv_2d %x, %w1, %b1 -> %e tile %t {...}
          %d = tiny.alloc : !tiny.buffer<1x16x16x24xi8, 0.04:-128>
          tiny.depthwise_conv_2d %e, %w2, %b2 -> %d tile %t {...}
          tiny.conv_2d %d, %w3, %b3 -> %y acc %acc tile %t {...}
        }
    """

    name = "tiny.tile_loop"
    count = prop_def(IntegerAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator())

    def __init__(self, count: int, body: Region | None = None):
        if body is None:
            body = Region(Block(arg_types=[IndexType()]))
            body.block.args[0].name_hint = "t"
        super().__init__(properties={"count": IntegerAttr(count, i64)}, regions=[body])

    @property
    def index(self) -> SSAValue:
        return self.body.block.args[0]

    @property
    def tiles(self) -> int:
        return self.count.value.data

    @classmethod
    def parse(cls, parser: Parser) -> TileLoopOp:
        index = parser.parse_argument(expect_type=False).resolve(IndexType())
        parser.parse_punctuation("<")
        count = parser.parse_integer(allow_boolean=False, allow_negative=False)
        body = parser.parse_region([index])
        if not body.blocks:
            body.add_block(Block(arg_types=[IndexType()]))
        return cls(count, body)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_block_argument(self.index, print_type=False)
        printer.print_string(f" < {self.tiles} ")
        printer.print_region(self.body, print_entry_block_args=False, print_empty_block=False)

    def fail(self, message: str) -> VerifyException:
        return VerifyException(f"{self.name}: {message}")

    def verify_(self) -> None:
        if self.tiles < 1:
            raise self.fail(f"needs at least one tile, got {self.tiles}")
        block = self.body.block
        if len(block.args) != 1 or not isinstance(block.args[0].type, IndexType):
            raise self.fail("the body takes one index argument, the tile")
        local: set[SSAValue] = set()
        written: set[SSAValue] = set()
        for op in block.ops:
            if isinstance(op, AllocOp):
                local.add(op.result)
            elif isinstance(op, ComputeOp):
                tiled = isinstance(op, (TiledOp, TileCopyOp)) and op.tile is not None
                if tiled and op.tile_count != self.tiles:
                    raise self.fail(f"{op.name} makes {op.tile_count} tiles, the loop {self.tiles}")
                for value in (*op.ins, op.acc):
                    root = view_root(value) if value is not None else None
                    if root in local and root not in written:
                        raise self.fail(f"{op.name} reads a tile buffer no op of the body wrote before")
                if view_root(op.acc) in local if op.acc is not None else False:
                    raise self.fail(f"{op.name}: 'acc' must persist across tiles: allocate it outside the loop")
                written.add(view_root(op.out))
            elif not isinstance(op, ViewOp):
                raise self.fail(f"{op.name} cannot be in a tile loop (only allocs, views and compute ops)")


def view_root(value: SSAValue) -> SSAValue:
    """The value a (chain of) views aliases."""
    while isinstance(value.owner, ViewOp):
        value = value.owner.source
    return value


Tiny = Dialect(
    "tiny",
    [
        AllocOp,
        ConstOp,
        ReshapeOp,
        PrefixViewOp,
        Conv2DOp,
        DepthwiseConv2DOp,
        FullyConnectedOp,
        AddOp,
        MulOp,
        AvgPool2DOp,
        MaxPool2DOp,
        MeanOp,
        PadOp,
        SoftmaxOp,
        LogisticOp,
        HardSwishOp,
        ClampOp,
        ConcatOp,
        TransposeOp,
        QuantizeOp,
        DequantizeOp,
        ExtractTileOp,
        InsertTileOp,
        TileLoopOp,
    ],
    [BufferType],
)
