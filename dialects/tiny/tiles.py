"""Tiles: partial execution (`tiny.tile_loop`, tiled ops, tile copies)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    IndexType,
    IntegerAttr,
    UnitAttr,
    i64,
)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    traits_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import NoTerminator
from xdsl.utils.exceptions import VerifyException

from tinyir.dialects.tiny.base import ComputeOp, compute_op_definition
from tinyir.dialects.tiny.buffers import AllocOp, ViewOp, view_root
from tinyir.dialects.tiny.types import BufferType, buffer_type

# ---------------------------------------------------------------------------
# Tiled ops: what an op does with `tile %t`
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Tiles: partial execution
# ---------------------------------------------------------------------------


def _verifies(op: Operation) -> bool:
    """Whether `op` verifies; one that does not is reported with its own
    place when the walk reaches it, after its loop."""
    try:
        op.verify()
    except VerifyException:
        return False
    return True


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


@compute_op_definition
class ExtractTileOp(TileCopyOp):
    """Copies tile `t` of a whole buffer out:
    `tiny.extract_tile %x -> %xt tile %t {axis = 3 : i64}` (channels
    [t*c, (t+1)*c) of %x, c the channels of %xt)."""

    name = "tiny.extract_tile"

    def whole_and_part(self) -> tuple[BufferType, BufferType]:
        return self.in_type(0), self.out_type


@compute_op_definition
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

    With `rows`, the tiles are bands of rows instead of channels: the body
    reads whole buffers from outside, writes whole buffers outside a band
    per tile, and its allocs are line buffers holding a window of rows;
    no op takes `tile`. What each op computes at each tile follows from the
    body (tinyir.dialects.tiny.rows):

        tiny.tile_loop %t < 44 rows {
          %e = tiny.alloc : !tiny.buffer<1x3x44x96xi8, 0.05:-128>
          tiny.conv_2d %x, %w1, %b1 -> %e {...}
          tiny.depthwise_conv_2d %e, %w2, %b2 -> %y {...}
        }
    """

    name = "tiny.tile_loop"
    count = prop_def(IntegerAttr)
    rows = opt_prop_def(UnitAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator())

    def __init__(self, count: int, body: Region | None = None, *, rows: bool = False):
        if body is None:
            body = Region(Block(arg_types=[IndexType()]))
            body.block.args[0].name_hint = "t"
        props: dict = {"count": IntegerAttr(count, i64)}
        if rows:
            props["rows"] = UnitAttr()
        super().__init__(properties=props, regions=[body])

    @property
    def by_rows(self) -> bool:
        """Tiles of rows (spatial) rather than of channels."""
        return self.rows is not None

    def tensor_type(self, value: SSAValue) -> BufferType:
        """The whole tensor `value` holds a tile of (a line buffer: its rows)."""
        from tinyir.dialects.tiny.rows import tensor_type

        return tensor_type(self, value) if self.by_rows else buffer_type(value)

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
        rows = parser.parse_optional_keyword("rows") is not None
        body = parser.parse_region([index])
        if not body.blocks:
            body.add_block(Block(arg_types=[IndexType()]))
        return cls(count, body, rows=rows)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_block_argument(self.index, print_type=False)
        printer.print_string(f" < {self.tiles}{' rows' if self.by_rows else ''} ")
        printer.print_region(self.body, print_entry_block_args=False, print_empty_block=False)

    def fail(self, message: str) -> VerifyException:
        return VerifyException(f"{self.name}: {message}")

    def verify_(self) -> None:
        if self.tiles < 1:
            raise self.fail(f"needs at least one tile, got {self.tiles}")
        block = self.body.block
        if len(block.args) != 1 or not isinstance(block.args[0].type, IndexType):
            raise self.fail("the body takes one index argument, the tile")
        if self.by_rows:
            from tinyir.dialects.tiny.rows import bodies_unchanged, row_schedule

            with bodies_unchanged(self):
                for op in block.ops:
                    if isinstance(op, ComputeOp) and (op.tile is not None or op.acc is not None):
                        raise self.fail(f"{op.name} takes no 'tile' or 'acc' in a row loop")
                    op.verify()  # the schedule reads the ops' properties: check them first
                row_schedule(self)
            return
        local: set[SSAValue] = set()
        written: set[SSAValue] = set()
        for op in block.ops:
            if isinstance(op, AllocOp):
                local.add(op.result)
            elif isinstance(op, ComputeOp):
                tiled = isinstance(op, (TiledOp, TileCopyOp)) and op.tile is not None
                if tiled and _verifies(op) and op.tile_count != self.tiles:
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
