"""Row tiles: what a `tiny.tile_loop %t < N rows` does, tile by tile.

A row loop runs a chain of ops a band of rows at a time (spatial partial
execution, zero extra compute). Its body reads whole buffers from outside
(the chain's inputs) and writes whole buffers outside (its outputs) a band of
rows per tile; the buffers it allocates are *line buffers*: each holds a
window of consecutive rows of a tensor (`!tiny.buffer<1x3x44x96xi8>` holds 3
rows of a 1x44x44x96 tensor), whose whole height follows from the ops.

    tiny.tile_loop %t < 44 rows {
      %e = tiny.alloc : !tiny.buffer<1x3x44x96xi8, ...>
      tiny.conv_2d %x, %w1, %b1 -> %e {...}               // 1x1 expand
      %d = tiny.alloc : !tiny.buffer<1x1x44x96xi8, ...>
      tiny.depthwise_conv_2d %e, %w2, %b2 -> %d {...}     // 3x3, pad 1
      tiny.conv_2d %d, %w3, %b3 -> %y {...}               // 1x1 project
    }

The schedule is derived from the body alone, backwards from the outputs:

- an op writing a whole buffer of H rows computes rows [t*H//N, (t+1)*H//N)
  at tile t;
- an op writing a line buffer computes, at tile t, the rows its readers need
  at tile t that it has not computed yet (all remaining rows at the last
  tile). Every row of every op is computed exactly once: the MACs are those
  of the unsplit ops;
- a line buffer holds, at tile t, the rows from the first one still to be
  read (now or later) up to the last one computed. Before its writer runs,
  the rows kept from tile t-1 move to the buffer's first rows (a memmove of
  the overlap, the price of computing nothing twice); its type must have room
  for the most rows it ever holds.

Each op is called on a band the way CMSIS-NN takes one: the input rows it
reads (clipped to the tensor), the padding rows above them, and the number
of output rows; rows past the end of the input are padding. That is exactly
the arithmetic of the whole op for those rows.

An output may be a view of an input's buffer (`tiny.view %x`): the loop
then writes its rows over input rows it has finished with, which the verifier
checks band by band (no band writes bytes that this or a later band reads).
`--arena-alloc` does this where the input dies in the loop, so that a large
input (the image) and the output of the first stage need not both be whole.

Which ops run by rows: conv_2d and depthwise_conv_2d (not channel-tiled),
the pools, add and mul (inputs of the output's shape, or constants that do
not vary along rows; sub, minimum, maximum, squared_difference and prelu
too), logistic, tanh, hard_swish, leaky_relu, clamp, quantize (of int8 or
float rows) and read_rows (rows of a streamed input: tinyir.dialects.tiny.stream).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from xdsl.ir import SSAValue
from xdsl.irdl import AttrSizedOperandSegments
from xdsl.utils.exceptions import VerifyException

from tinyir.dialects.tiny.arith import LeakyReluOp, TanhOp
from tinyir.dialects.tiny.base import ComputeOp
from tinyir.dialects.tiny.buffers import AllocOp, ConstOp, ViewOp, view_root
from tinyir.dialects.tiny.nn import (
    BinaryOp,
    ClampOp,
    ConvLikeOp,
    HardSwishOp,
    LogisticOp,
    PoolOp,
    QuantizeOp,
    window_output_size,
)
from tinyir.dialects.tiny.stream import ReadRowsOp
from tinyir.dialects.tiny.tiles import TileLoopOp
from tinyir.dialects.tiny.types import BufferType, buffer_type

T = TypeVar("T")
SEGMENTS = AttrSizedOperandSegments.attribute_name  # which operands are which: changes with a scratch added


@dataclass(frozen=True)
class RowMap:
    """Which input rows an op's output rows read: a window of `kernel` rows,
    `stride` apart, `dilation` between taps, `top`/`bottom` padding rows.
    Elementwise ops are the identity map (the defaults)."""

    kernel: int = 1
    stride: int = 1
    dilation: int = 1
    top: int = 0
    bottom: int = 0

    def out_height(self, height: int) -> int:
        return window_output_size(height, self.kernel, self.stride, self.dilation, self.top, self.bottom)

    def in_rows(self, first: int, end: int, height: int) -> tuple[int, int]:
        """Input rows [a, b) that output rows [first, end) read (end > first),
        clipped to the `height` rows of the input."""
        a = first * self.stride - self.top
        b = (end - 1) * self.stride - self.top + (self.kernel - 1) * self.dilation + 1
        a = min(max(a, 0), height)
        return a, max(min(b, height), a)  # empty when every tap is padding

    def pad_top(self, first: int) -> int:
        """Padding rows above the input rows of output rows from `first` on."""
        return max(self.top - first * self.stride, 0)


def row_map(op: ComputeOp) -> RowMap | None:
    """How `op` maps rows, or None: it cannot run by rows. A band is rows of
    one image: a batch of several is not run by rows (its bands and line
    buffers would hold rows of every image)."""
    if any(buffer_type(v).shape[:1] not in ((1,), ()) for v in (op.ins[0], op.out)):
        return None
    if isinstance(op, ConvLikeOp) and op.tile is None and op.acc is None:
        pad = op.ints("pad")
        kernel = buffer_type(op.ins[1]).shape[1]
        return RowMap(kernel, op.ints("stride")[0], op.ints("dilation")[0], pad[0], pad[1])
    if isinstance(op, PoolOp):
        pad = op.ints("pad")
        return RowMap(op.ints("kernel")[0], op.ints("stride")[0], 1, pad[0], pad[1])
    if isinstance(op, (BinaryOp, LogisticOp, TanhOp, HardSwishOp, LeakyReluOp, ClampOp, QuantizeOp, ReadRowsOp)):
        return RowMap()
    return None


def varies_along_rows(op: ComputeOp, whole: tuple[int, ...]) -> bool:
    """Whether an input of `op` of shape `whole` that it reads whole (not
    in row_inputs: a constant) varies along rows, which no band can read
    whole (PRELU's slopes of Keras's default, one per element)."""
    return not isinstance(op, (ConvLikeOp, PoolOp)) and len(whole) >= 3 and whole[-3] != 1


def reads_varying_whole(op: ComputeOp) -> bool:
    """Whether `op` reads an input whole that varies along rows (varies_along_rows)."""
    data = row_inputs(op)
    return any(i not in data and varies_along_rows(op, buffer_type(v).shape) for i, v in enumerate(op.ins))


def row_inputs(op: ComputeOp) -> list[int]:
    """Indices of the inputs `op` reads by rows (the others are constants
    read whole: weights, or an operand that does not vary along rows)."""
    if isinstance(op, (ConvLikeOp, PoolOp)):
        return [0]
    return [i for i, v in enumerate(op.ins) if not isinstance(view_root(v).owner, ConstOp)]


@dataclass(frozen=True)
class RowOp:
    """An op as a row schedule reads it, looked up once: a planner weighing
    thousands of loops over the same ops passes these (`facts`) instead of
    reading the IR each time (xDSL's accessors are slow)."""

    op: ComputeOp
    map: RowMap
    ins: tuple[SSAValue, ...]
    out: SSAValue
    data: tuple[int, ...]
    """row_inputs(op)."""

    @staticmethod
    def of(op: ComputeOp) -> RowOp:
        return RowOp(op, row_map(op), tuple(op.ins), op.out, tuple(row_inputs(op)))


def _row_ops(ops: list[ComputeOp], facts: Mapping[ComputeOp, RowOp] | None) -> list[RowOp]:
    return [facts[op] for op in ops] if facts is not None else [RowOp.of(op) for op in ops]


@dataclass(frozen=True)
class Shift:
    """Before the writer of `buffer` runs: its rows [source, source + rows)
    (kept from the last tile) move to rows [0, rows)."""

    buffer: SSAValue
    source: int
    rows: int


@dataclass(frozen=True)
class Band:
    """One call of an op: output rows [first, end) of its tensor, written from
    row `out_at` of its output buffer; input rows [in_first, in_end), read
    from row `in_at[i]` of each input buffer (None: read whole); `pad_top`
    padding rows above them."""

    first: int
    end: int
    out_at: int
    in_first: int
    in_end: int
    in_at: tuple[int | None, ...]
    pad_top: int

    @property
    def rows(self) -> int:
        return self.end - self.first

    @property
    def in_rows(self) -> int:
        return self.in_end - self.in_first


@dataclass(frozen=True)
class Step:
    """What one op does at one tile: a shift of its output line buffer
    (or None), then a band (or None: nothing new to compute at this tile)."""

    op: ComputeOp
    shift: Shift | None
    band: Band | None


@dataclass
class RowSchedule:
    """The tiles of a row loop, each a list of steps in body order."""

    facts: list[RowOp]
    """The body's ops, in order."""
    local: set[SSAValue]
    heights: dict[SSAValue, int]
    """Whole height of the tensor each line buffer holds rows of."""
    rows: dict[SSAValue, int]
    """The most rows each line buffer holds at once."""
    retains: set[SSAValue]
    """Line buffers that keep rows from one tile to the next (live across the loop)."""
    begun: dict[ComputeOp, list[int]] = field(repr=False)
    """Rows of each op's output computed before tile t ..."""
    done: dict[ComputeOp, list[int]] = field(repr=False)
    """... and by the end of it."""
    start: dict[SSAValue, list[int]] = field(repr=False)
    """The first row each line buffer holds at tile t."""

    @property
    def ops(self) -> list[ComputeOp]:
        return [r.op for r in self.facts]

    @property
    def count(self) -> int:
        return len(next(iter(self.done.values())))

    def in_height(self, r: RowOp) -> int:
        """Height of the tensor an op reads by rows."""
        v = r.ins[r.data[0]]
        return self.heights[v] if v in self.local else buffer_type(v).shape[1]

    @functools.cached_property
    def tiles(self) -> list[list[Step]]:
        """The steps of each tile, made when first asked for: a planner
        weighing thousands of loops needs only its line buffers."""
        local, start = self.local, self.start
        facts = [(r.op, r.out, r.ins, r.data, r.map, self.in_height(r)) for r in self.facts]
        tiles = []
        for t in range(self.count):
            steps = []
            for op, out, ins, data, m, in_height in facts:
                first, end = self.begun[op][t], self.done[op][t]
                shift = None
                if out in local and t:
                    kept = first - start[out][t]
                    moved = start[out][t] - start[out][t - 1]
                    if kept > 0 and moved > 0:
                        shift = Shift(out, moved, kept)
                band = None
                if end > first:
                    in_first, in_end = m.in_rows(first, end, in_height)
                    in_at = tuple(
                        (in_first - start[v][t] if v in local else in_first) if i in data else None
                        for i, v in enumerate(ins)
                    )
                    out_at = first - start[out][t] if out in local else first
                    band = Band(first, end, out_at, in_first, in_end, in_at, m.pad_top(first))
                steps.append(Step(op, shift, band))
            tiles.append(steps)
        return tiles


def _fail(message: str) -> VerifyException:
    return VerifyException(f"tiny.tile_loop (rows): {message}")


def _name(value: SSAValue) -> str:
    return f"%{value.name_hint}" if value.name_hint else "a buffer"


def _body(loop: TileLoopOp) -> tuple[list[ComputeOp], set[SSAValue]]:
    """The compute ops of the body and its line buffers."""
    ops: list[ComputeOp] = []
    local: set[SSAValue] = set()
    for op in loop.body.block.ops:
        if isinstance(op, AllocOp):
            local.add(op.result)
        elif isinstance(op, ViewOp):
            raise _fail(f"{op.name} in a row loop: take views outside it")
        elif isinstance(op, ComputeOp):
            if row_map(op) is None:
                raise _fail(f"{op.name} cannot run by rows")
            ops.append(op)
    return ops, local


def line_heights(
    ops: list[ComputeOp], local: set[SSAValue], facts: Mapping[ComputeOp, RowOp] | None = None
) -> dict[SSAValue, int]:
    """Whole height of the tensor of each line buffer (`local`) written by
    `ops`, forwards from their other inputs; checks that the rows of the
    chain fit together."""
    return _heights(_row_ops(ops, facts), local)


def _heights(rows: list[RowOp], local: set[SSAValue]) -> dict[SSAValue, int]:
    heights: dict[SSAValue, int] = {}
    written = {r.out for r in rows if r.out not in local}

    def height(value: SSAValue) -> int:
        t = buffer_type(value)
        if len(t.shape) != 4:
            raise _fail(f"{_name(value)} {list(t.shape)} is not NHWC")
        return heights[value] if value in local else t.shape[1]

    for r in rows:
        op, data = r.op, r.data
        for i, v in enumerate(r.ins):
            whole = buffer_type(v).shape
            if i not in data and varies_along_rows(op, whole):
                raise _fail(f"{op.name} reads {_name(v)} whole, but it varies along rows")
            if i in data and v in written:
                raise _fail(f"{op.name} reads {_name(v)}, which the loop writes whole: use a line buffer")
            if i in data and v in local and v not in heights:
                raise _fail(f"{op.name} reads line buffer {_name(v)} before any op wrote it")
        in_heights = {height(r.ins[i]) for i in data}
        if len(in_heights) != 1:
            raise _fail(f"{op.name} reads inputs of different heights {sorted(in_heights)}")
        h = r.map.out_height(in_heights.pop())
        out = r.out
        if out in local:
            if out in heights:
                raise _fail(f"line buffer {_name(out)} is written twice")
            heights[out] = h
            height(out)
        elif height(out) != h:
            raise _fail(f"{op.name} makes {h} rows, its output {_name(out)} has {height(out)}")
    return heights


def tensor_type(loop: TileLoopOp, value: SSAValue) -> BufferType:
    """The type of the whole tensor `value` holds: its own type, but for a
    line buffer of a row loop, its whole height."""
    if isinstance(value.owner, AllocOp) and value.owner.parent_op() is loop:
        return _kept(loop, "_tensor_types", lambda: _line_tensor_types(loop)).get(value, buffer_type(value))
    return buffer_type(value)


def _line_tensor_types(loop: TileLoopOp) -> dict[SSAValue, BufferType]:
    types = {}
    for value, height in line_heights(*_body(loop)).items():
        t = buffer_type(value)
        types[value] = t.with_shape((t.shape[0], height, *t.shape[2:]))
    return types


def row_schedule(loop: TileLoopOp) -> RowSchedule:
    """The schedule of a row loop (see the module doc); raises
    VerifyException where the body cannot run by rows."""
    return _kept(loop, "_row_schedule", lambda: schedule_rows(*_body(loop), loop.tiles), roots=True)


def _kept(loop: TileLoopOp, name: str, compute: Callable[[], T], roots: bool = False) -> T:
    """compute(), kept with the loop until its body or tile count change
    (with `roots`, also the buffers its operands live in: the schedule checks
    overwrites), as liveness, the verifier and the in-place rewrites ask
    again and again."""
    unchanged = loop.__dict__.get("_unchanged")
    if unchanged is not None and name in unchanged:
        return loop.__dict__[name][1]  # checked once already while the body cannot change
    key: list = [loop.tiles]
    for op in loop.body.block.ops:
        if not isinstance(op, ComputeOp):
            continue  # allocs: the line buffers are the ops' operands; scratch buffers do not count
        operands = (*op.ins, op.out)  # not the scratch --arena-alloc adds
        key += (op, operands, *(v for k, v in op.properties.items() if k != SEGMENTS))
        if roots:
            key += map(view_root, operands)
    cached = loop.__dict__.get(name)
    if cached is None or cached[0] != key:
        cached = loop.__dict__[name] = (key, compute())
    if unchanged is not None:
        unchanged.add(name)
    return cached[1]


@contextmanager
def bodies_unchanged(*loops: TileLoopOp) -> Iterator[None]:
    """Within it, what is kept with these loops is checked against their
    bodies once, not at every question: for readers that ask a body's tensor
    types again and again and change nothing the kept facts depend on (the
    loop's verifier; the scratch sizes, read before any scratch is added)."""
    mine = [loop for loop in loops if "_unchanged" not in loop.__dict__]
    for loop in mine:
        loop.__dict__["_unchanged"] = set()
    try:
        yield
    finally:
        for loop in mine:
            del loop.__dict__["_unchanged"]


def schedule_rows(
    ops: list[ComputeOp], local: set[SSAValue], count: int, facts: Mapping[ComputeOp, RowOp] | None = None
) -> RowSchedule:
    """The schedule of `ops` run by rows in `count` tiles, the values in
    `local` being their line buffers (which may still be whole buffers: a
    planner weighing the loop before it builds it; it may pass the ops'
    `facts`)."""
    rows_of = _row_ops(ops, facts)
    heights = _heights(rows_of, local)
    maps = {r.op: r.map for r in rows_of}
    ins = {r.op: r.ins for r in rows_of}
    outs = {r.op: r.out for r in rows_of}
    data = {r.op: r.data for r in rows_of}
    readers: dict[SSAValue, list[ComputeOp]] = {v: [] for v in local}
    for op in ops:
        for i in data[op]:
            if ins[op][i] in local:
                readers[ins[op][i]].append(op)
    if all(outs[op] in local for op in ops):
        raise _fail("writes no buffer outside the loop")

    # done[op][t]: rows of op's output computed by the end of tile t;
    # begun[op][t]: by the end of tile t - 1.
    done: dict[ComputeOp, list[int]] = {}
    begun: dict[ComputeOp, list[int]] = {}
    for op in reversed(ops):
        out = outs[op]
        if out not in local:
            ends = whole_rows_done(buffer_type(out).shape[1], count)
        else:
            if not readers[out]:
                raise _fail(f"nothing in the loop reads line buffer {_name(out)}")
            ends = line_rows_done(heights[out], count, [(maps[r], begun[r], done[r]) for r in readers[out]])
        done[op], begun[op] = ends, [0, *ends[:-1]]

    # start[b][t]: first row line buffer b holds at tile t.
    start: dict[SSAValue, list[int]] = {}
    rows: dict[SSAValue, int] = {}
    retains: set[SSAValue] = set()
    for b in local:
        if b not in heights:
            continue  # allocated, never written: not part of the schedule
        writer = next(op for op in ops if outs[op] is b)
        bands = [(maps[r], begun[r], done[r]) for r in readers[b]]
        start[b], rows[b], retained = line_window(heights[b], bands, begun[writer], done[writer])
        if retained:
            retains.add(b)
        have = buffer_type(b).shape[1]
        if have < rows[b]:
            raise _fail(f"line buffer {_name(b)} holds {have} rows, the loop needs {rows[b]}")

    schedule = RowSchedule(rows_of, local, heights, rows, retains, begun, done, start)
    if (conflict := overwrite_conflict(schedule, local)) is not None:
        raise _fail(conflict)
    return schedule


Bands = list[tuple[RowMap, list[int], list[int]]]
"""The readers of a line buffer: (row map, rows begun, rows done) of each."""


def whole_rows_done(height: int, count: int) -> list[int]:
    """Rows of a whole output computed by the end of each tile: an even share."""
    return [(t + 1) * height // count for t in range(count)]


def line_rows_done(height: int, count: int, readers: Bands) -> list[int]:
    """Rows of a line buffer's tensor computed by the end of each tile: those
    its readers' bands read that are not computed yet (all of them at the last)."""
    ends, last = [], 0
    for t in range(count - 1):
        for m, firsts, reader_ends in readers:
            first, end = firsts[t], reader_ends[t]
            if end > first:  # RowMap.in_rows(first, end, height)[1], inlined: the hot loop of a search
                a = min(max(first * m.stride - m.top, 0), height)
                b = (end - 1) * m.stride - m.top + (m.kernel - 1) * m.dilation + 1
                last = max(last, min(b, height), a)
        ends.append(last)
    ends.append(height)
    return ends


def line_window(height: int, readers: Bands, begun: list[int], done: list[int]) -> tuple[list[int], int, bool]:
    """A line buffer's first row at each tile, the most rows it holds and
    whether it keeps rows from one tile to the next, given its writer's rows
    begun and done."""
    count = len(done)
    later = height
    starts = [0] * count
    for t in reversed(range(count)):
        for m, firsts, reader_ends in readers:
            first, end = firsts[t], reader_ends[t]
            if end > first:  # RowMap.in_rows(first, end, height)[0], inlined
                later = min(later, min(max(first * m.stride - m.top, 0), height))
        starts[t] = min(begun[t], later)
    rows = max(done[t] - starts[t] for t in range(count))
    return starts, rows, any(begun[t] > starts[t] for t in range(1, count))


Access = tuple[RowOp, list[tuple[bool, SSAValue]], "SSAValue | None"]
"""What one op of a row loop does to one buffer: the values it reads in it
(and whether by rows, else whole) and the value it writes in it (or None)."""


def overwrite_conflict(
    schedule: RowSchedule, local: set[SSAValue], buffer_of: Callable[[SSAValue], SSAValue] = view_root
) -> str | None:
    """Why the loop's bands would overwrite rows still to be read, or None.

    An output of the loop may live in the buffer of an input (a view of it:
    both start at its first byte) when every band writes below the bytes that
    bands from then on read: the loop overwrites input rows it is done with.
    `buffer_of` maps a value to its buffer (a planner may ask about a buffer
    it has not made yet). Of several conflicts, the first in execution order."""
    # Each op's outside buffers, looked up once.
    reads = {r.op: [(i in r.data, buffer_of(v), v) for i, v in enumerate(r.ins) if v not in local] for r in schedule.facts}
    writes = {r.op: (buffer_of(r.out), r.out) for r in schedule.facts if r.out not in local}
    written = {buffer: None for buffer, _ in writes.values()}  # in body order: the same message every run
    read_buffers = {buffer for found in reads.values() for _, buffer, _ in found}
    shared = [b for b in written if b in read_buffers]
    order = {r.op: n for n, r in enumerate(schedule.facts)}
    conflicts = []
    for b in shared:
        accesses: list[Access] = []
        for r in schedule.facts:
            read = [(by_rows, v) for by_rows, buffer, v in reads[r.op] if buffer is b]
            out = writes[r.op][1] if r.op in writes and writes[r.op][0] is b else None
            if read or out is not None:
                accesses.append((r, read, out))
        if (found := buffer_conflict(schedule, accesses)) is not None:
            t, op, message = found
            conflicts.append((t, order[op], message))
    return min(conflicts)[2] if conflicts else None


def buffer_conflict(schedule: RowSchedule, accesses: list[Access]) -> tuple[int, ComputeOp, str] | None:
    """The first band that writes bytes of one buffer that it or a later band
    reads, given the loop's `accesses` to that buffer in body order: (tile,
    op, why), the tile -1 for what no band order can fix; None if none."""
    row_bytes: dict[SSAValue, int] = {}
    writer = None
    for r, read, out in accesses:
        for v in [v for _, v in read] + ([out] if out is not None else []):
            t = buffer_type(v)
            if t.shape[0] != 1:
                return -1, r.op, f"{_name(v)} shares its buffer with another tensor of the loop, but its batch is not 1"
            row_bytes[v] = t.nbytes // t.shape[1]
        if out is not None:
            if writer is not None:
                return -1, r.op, f"{writer.name} and {r.op.name} write the same buffer"
            writer = r.op
    # Later first: floor is the lowest byte read from this step on; the
    # conflict kept is the first in execution order (RowSchedule.tiles's rows).
    bands = [
        (r, schedule.begun[r.op], schedule.done[r.op], r.map, schedule.in_height(r), read, out)
        for r, read, out in reversed(accesses)
    ]
    floor: tuple[int, ComputeOp, SSAValue] | None = None
    conflict = None
    for t in reversed(range(schedule.count)):
        for r, begun, done, m, in_height, read, out in bands:
            first, end = begun[t], done[t]
            if end <= first:
                continue  # no band at this tile
            in_first = min(max(first * m.stride - m.top, 0), in_height)  # m.in_rows(first, end, in_height)[0]
            for by_rows, v in read:
                low = in_first * row_bytes[v] if by_rows else 0
                if floor is None or low < floor[0]:
                    floor = (low, r.op, v)
            if out is not None and floor is not None and end * row_bytes[out] > floor[0]:
                _, reader, v = floor
                conflict = t, r.op, (
                    f"{r.op.name} writes rows [{first}, {end}) of {_name(out)} over bytes of "
                    f"{_name(v)} that {reader.name} still reads"
                )
    return conflict
