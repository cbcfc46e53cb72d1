"""Streamed input: a model input that is never a whole buffer.

A function argument with the attribute `tiny.stream` is not in SRAM: the
caller hands over its rows on request (a camera's lines, a DMA per line).
Only `tiny.read_rows` reads it, and only in a row loop, which asks for the
rows its next band needs and keeps them in a line buffer:

    func.func @main(%x: !tiny.buffer<1x144x144x3xi8, 0.0078:-1> {tiny.stream}) -> ... {
      tiny.tile_loop %t < 72 rows {
        %x.rows = tiny.alloc : !tiny.buffer<1x3x144x3xi8, 0.0078:-1>
        tiny.read_rows %x -> %x.rows
        %y = tiny.alloc : !tiny.buffer<1x3x72x16xi8, 0.0235:-128>
        tiny.conv_2d %x.rows, %w, %b -> %y {stride = array<i64: 2, 2>, ...}
        ...
      }

Rows are NHWC rows of the input tensor (W x C elements each), in order; a
float input streams float rows, quantized in the loop as they come.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, UnitAttr
from xdsl.ir import Block, BlockArgument, SSAValue

from tinyir.dialects.tiny.base import ComputeOp, compute_op_definition

STREAM = "tiny.stream"
"""The argument attribute of a streamed input."""


def streamed_arguments(function: func.FuncOp) -> list[bool]:
    """Which of the function's arguments are streamed."""
    n = len(function.function_type.inputs.data)
    if function.arg_attrs is None:
        return [False] * n
    return [STREAM in attrs.data for attrs in function.arg_attrs.data]


def is_streamed(value: SSAValue) -> bool:
    """Whether `value` is a streamed argument of its function."""
    if not isinstance(value, BlockArgument) or not isinstance(value.owner, Block):
        return False
    function = value.owner.parent_op()
    return isinstance(function, func.FuncOp) and streamed_arguments(function)[value.index]


def set_streamed(function: func.FuncOp, index: int) -> None:
    """Mark argument `index` streamed, keeping its other attributes."""
    n = len(function.function_type.inputs.data)
    old = function.arg_attrs.data if function.arg_attrs is not None else [DictionaryAttr({})] * n
    function.arg_attrs = ArrayAttr(
        [DictionaryAttr({**attrs.data, STREAM: UnitAttr()}) if i == index else attrs for i, attrs in enumerate(old)]
    )


@compute_op_definition
class ReadRowsOp(ComputeOp):
    """Rows of a streamed input into a buffer: `tiny.read_rows %x -> %rows`.

    In a row loop, at each tile, the rows of `%x` its readers need next (the
    loop's schedule says which, as for any op that maps rows to rows), written
    into line buffer `%rows`; the C backend asks the caller's `read_rows`
    callback for them. Outside a row loop it reads every row."""

    name = "tiny.read_rows"

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        if not is_streamed(self.ins[0]):
            raise self.fail(f"reads a streamed function argument ({STREAM}), not %{self.ins[0].name_hint or '?'}")
        self.check_same_shape(x, y, "stream and rows")
        self.check_same_encoding(x, y)
        if len(x.shape) != 4 or x.shape[0] != 1:
            raise self.fail(f"streams NHWC rows of one image, not {list(x.shape)}")
