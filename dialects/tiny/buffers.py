"""Buffers: `tiny.alloc` (SRAM), `tiny.const` (flash), and views of buffers."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    TensorType,
    i64,
)
from xdsl.ir import SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from tinyir.dialects.tiny.base import parse_defined_operand
from tinyir.dialects.tiny.types import BufferType, buffer_type

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
        buffer_type(self.result).verify_activation()

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
            raise VerifyException(f"tiny.const: {len(self.data)} bytes of data for a buffer of {t.nbytes} bytes")

    @classmethod
    def parse(cls, parser: Parser) -> ConstOp:
        parser.parse_keyword("dense")
        with parser.in_angle_brackets():
            pos = parser.pos
            text = parser.parse_str_literal()
        if not text.startswith("0x"):
            parser.raise_error('tiny.const data must be a hex string "0x..."', pos)
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
            properties={"value": DenseIntOrFPElementsAttr(TensorType(type.element_type, type.shape), BytesAttr(data))},
        )

    def print(self, printer: Printer) -> None:
        printer.print_string(f' dense<"0x{self.data.hex().upper()}"> : ')
        printer.print_attribute(self.result.type)


class ViewOp(IRDLOperation):
    """Base of the views: a value that aliases its `source`'s buffer, no copy.

    Views own no memory: liveness, the allocator, the arena checker and the
    executor follow `source` to the buffer (`tinyir.analysis.liveness.buffer_root`).
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
        dst.verify_activation()
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


def view_op_definition(cls: type[ViewOp]) -> type[ViewOp]:
    """`irdl_op_definition` for a view, with a plain `source` accessor:
    xDSL's generic one is slow, and liveness follows the views of a deep
    model's residual stream (a view of a view of ...) millions of times."""
    cls = irdl_op_definition(cls)
    cls.source = property(lambda op: op.operands[0])
    return cls


@view_op_definition
class ReshapeOp(ViewOp):
    """A view of its input with another shape: no copy, same bytes.

    %flat = tiny.reshape %x : !tiny.buffer<1x1024xi8, 0.0235:-128>
    """

    name = "tiny.reshape"

    def verify_view(self, src: BufferType, dst: BufferType) -> None:
        if src.num_elements != dst.num_elements:
            raise self.fail(f"{list(src.shape)} and {list(dst.shape)} have different element counts")


@view_op_definition
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


def view_root(value: SSAValue) -> SSAValue:
    """The value a (chain of) views aliases."""
    while isinstance(value.owner, ViewOp):
        value = value.owner.source
    return value
