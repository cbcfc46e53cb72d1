"""The base of the compute ops: `tiny.X %ins -> %out [acc %a] [scratch %s] [tile %t] {props}`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    IndexType,
    i32,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from tinyir.dialects.tiny.types import BufferType, buffer_type

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
        parser.raise_error(f"value %{operand.operand_name} is used before it is defined", operand.span)
    return parser.resolve_operand(operand, values[operand.index].type)


_SEGMENTS = AttrSizedOperandSegments.attribute_name


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


def int_values(attr: DenseArrayBase) -> tuple[int, ...]:
    """The values of an integer array attribute, decoded once and kept in the
    (immutable) attribute: xDSL decodes them on every read, its operand
    accessors the segment sizes too, and the searches read the same few
    arrays millions of times."""
    values = attr.__dict__.get("_values")
    if values is None:
        values = attr.__dict__["_values"] = tuple(int(v) for v in attr.get_values())
    return values


def _segment_accessor(index: int, variadic: bool = False) -> property:
    """The operand group `index` of ComputeOp (ins, out, acc, scratch, tile),
    as xDSL's accessor gives it, from the decoded segment sizes."""

    def get(op: ComputeOp):
        sizes = int_values(op.properties[_SEGMENTS])
        start = sum(sizes[:index])
        if variadic:
            return op.operands[start : start + sizes[index]]
        return op.operands[start] if sizes[index] else None

    return property(get)


def compute_op_definition(cls: type[ComputeOp]) -> type[ComputeOp]:
    """`irdl_op_definition` for a compute op, with operand accessors that
    decode the segment sizes once (`int_values`)."""
    cls = irdl_op_definition(cls)
    cls.ins = _segment_accessor(0, variadic=True)
    for index, name in enumerate(("out", *cls.OPTIONAL_OPERANDS), start=1):
        setattr(cls, name, _segment_accessor(index))
    return cls


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

    def rebuilt(self, ins: Sequence[SSAValue], out: SSAValue, **optional: SSAValue | None) -> ComputeOp:
        """A new op of this kind and properties on other operands (`acc`,
        `tile` as keywords; no scratch: --arena-alloc adds it)."""
        props = {k: v for k, v in self.properties.items() if k != _SEGMENTS}
        return type(self)(ins, out, **optional, **props)

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
        ins = parser.parse_comma_separated_list(parser.Delimiter.NONE, lambda: parse_defined_operand(parser))
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
        return self.tensor_type(self.ins[index])

    @property
    def out_type(self) -> BufferType:
        return self.tensor_type(self.out)

    def tensor_type(self, value: SSAValue) -> BufferType:
        """The type of the tensor an operand holds: its buffer's, but in a
        row loop (`tiny.tile_loop ... rows`) a line buffer holds some rows of
        a taller tensor, and the op works on that tensor."""
        loop = self.parent_op()
        if getattr(loop, "by_rows", False):
            return loop.tensor_type(value)
        return buffer_type(value)

    def ints(self, prop: str) -> tuple[int, ...]:
        attr = self.properties[prop]
        assert isinstance(attr, DenseArrayBase)
        return int_values(attr)

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
