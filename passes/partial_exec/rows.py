"""Row regions: which runs of steps to execute a band of rows at a time.

The spatial half of partial execution. A *row region* is a run of
consecutive steps whose ops all map rows to rows (tiny.row_map: convolutions,
depthwise, pools, elementwise ops) and whose outputs are either read only
inside the region (they become line buffers of a few rows) or only after it
(whole outputs, written a band per tile). Rewritten into a
`tiny.tile_loop %t < N rows`, the large tensors inside never exist whole and
no row is computed twice: MACs are unchanged, the price is a memmove of the
rows a line buffer keeps from one tile to the next, and more kernel calls.

Unlike a channel split, a row region may cross residual connections: an
inverted-residual block's input is read whole by its expand conv and its add,
and the block after it reads the add's output as a line buffer. The input
image and the region's outputs stay whole, so what is left is the image, the
stage output and a few rows of everything in between; and where the loop's
bands allow, the output lives in the image's buffer, over rows already read
(--arena-alloc's `inplace-rows`, counted here as it will do it).

Each candidate is weighed exactly as tinyir.analysis.liveness and --arena-alloc will
see the loop: buffers live across the region, line buffers that keep rows
across tiles, and at each step the line buffers live there and the op's
CMSIS-NN scratch (sized for the whole op), every buffer rounded up to the
alignment.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import func
from xdsl.ir import Block, SSAValue
from xdsl.utils.exceptions import VerifyException

from tinyir.analysis.liveness import dying_row_inputs, enclosing_loop, fits_in, returned_roots
from tinyir.analysis.scratch import is_inplace_depthwise
from tinyir.dialects import tiny

BAND_ROWS = (1, 2, 4)
"""Output rows per tile the search tries (tiles = height // rows)."""

MAX_OPS = 16
"""Longest region the search tries, in ops."""


def row_capable(op: tiny.ComputeOp, block: Block) -> bool:
    """An int8 op outside any loop that can run by rows, writing a plain
    buffer of `block`."""
    out = op.out
    return (
        enclosing_loop(op) is None
        and op.tile is None
        and op.acc is None
        and tiny.row_map(op) is not None
        and not is_inplace_depthwise(op)
        and all(t.dtype.name == "int8" for t in (op.in_type(0), op.out_type))
        and len(op.out_type.shape) == 4
        and isinstance(out.owner, tiny.AllocOp)
        and out.owner.parent_block() is block
    )


def line_values(block: Block, ops: Sequence[tiny.ComputeOp]) -> set[SSAValue] | None:
    """The outputs of `ops` that only `ops` read (their line buffers), or
    None if the region is not one: an output read both inside and after it."""
    inside = set(ops)
    returned = block.last_op.arguments if isinstance(block.last_op, func.ReturnOp) else ()
    local: set[SSAValue] = set()
    for op in ops:
        readers = {use.operation for use in op.out.uses} - {op}
        if readers <= inside and op.out not in returned:
            local.add(op.out)
        elif any(r in inside for r in readers):
            return None
    return local


def tile_counts(heights: Sequence[int]) -> list[int]:
    """Tile counts to try for outputs of these heights (at least 2 tiles)."""
    lowest = min(heights)
    return sorted({lowest // rows for rows in BAND_ROWS if lowest // rows >= 2})


def region_peak(analysis, ops: Sequence[tiny.ComputeOp], local: set[SSAValue], tiles: int) -> int | None:
    """The peak over the region's steps once it is a row loop of `tiles`
    tiles (module docstring), or None if it cannot run by rows."""
    try:
        schedule = tiny.schedule_rows(list(ops), local, tiles, analysis.row_facts)
    except VerifyException:
        return None
    aligned = analysis.aligned
    first, last = analysis.step_of[ops[0]], analysis.step_of[ops[-1]]
    base = analysis.crossing_bytes(first, last, local)
    if analysis.inplace_rows:
        base -= _written_over(analysis, ops, local, schedule)
    line = {v: aligned(schedule.rows[v] * row_bytes(v)) for v in local}
    held = sum(line[v] for v in schedule.retains)
    span: dict[SSAValue, list[int]] = {}  # line buffer -> [writer, last reader] positions
    for k, op in enumerate(ops):
        facts = analysis.row_facts[op]
        if facts.out in local:
            span[facts.out] = [k, k]
        for v in facts.ins:
            if v in local:
                span[v][1] = k
    steps = []
    for k, op in enumerate(ops):
        live = sum(line[v] for v in local if v not in schedule.retains and span[v][0] <= k <= span[v][1])
        steps.append(live + analysis.scratch(op))
    return base + held + max(steps)


def _written_over(analysis, ops: Sequence[tiny.ComputeOp], local: set[SSAValue], schedule: tiny.RowSchedule) -> int:
    """Bytes of the region's outputs that --arena-alloc will place in the
    buffer of an input dying in the loop (tinyir.passes.arena_alloc.inplace.alias_row_outputs):
    the same choice, largest dying input first, checked the same way."""
    returned = returned_roots(analysis.block)
    taken: dict[SSAValue, SSAValue] = {}  # output -> the input whose buffer it takes
    for op in ops:
        y = op.out
        if y in local or y in returned or not isinstance(y.owner, tiny.AllocOp):
            continue
        for x in dying_row_inputs(ops, local, analysis.liveness, returned):
            if x in taken.values() or not fits_in(y, x):
                continue
            trial = {**taken, y: x}
            if tiny.overwrite_conflict(schedule, local, lambda v: trial.get(tiny.view_root(v), tiny.view_root(v))) is None:
                taken = trial
                break
    return sum(analysis.aligned(tiny.buffer_type(y).nbytes) for y in taken)


def row_bytes(value: SSAValue) -> int:
    _, _, w, c = tiny.buffer_type(value).shape
    return w * c * tiny.buffer_type(value).element_bytes


def candidates(analysis) -> list[tuple[int, int, int, int]]:
    """(first step, last step, tiles, peak) of every row region worth weighing."""
    steps = analysis.liveness.steps
    block = analysis.block
    usable = [row_capable(op, block) for op in steps]
    found = []
    for i in range(len(steps)):
        for j in range(i + 1, min(i + MAX_OPS, len(steps)) if usable[i] else i + 1):
            if not usable[j]:
                break
            ops = steps[i : j + 1]
            local = line_values(block, ops)
            if not local:
                continue
            sinks = [op.out for op in ops if op.out not in local]
            for tiles in tile_counts([tiny.buffer_type(v).shape[1] for v in sinks]):
                peak = region_peak(analysis, ops, local, tiles)
                if peak is not None:
                    found.append((i, j, tiles, peak))
    return found


def build_row_loop(block: Block, ops: Sequence[tiny.ComputeOp], tiles: int) -> tiny.TileLoopOp:
    """Rewrite `ops` (consecutive steps of `block`) into a row loop at the
    place of the last one, their line buffers sized by the schedule."""
    local = line_values(block, ops)
    schedule = tiny.schedule_rows(list(ops), local, tiles)
    loop = tiny.TileLoopOp(tiles, rows=True)
    block.insert_op_before(loop, ops[-1])
    body = loop.body.block
    lines: dict[SSAValue, SSAValue] = {}
    for op in ops:
        if op.out in local:
            t = tiny.buffer_type(op.out)
            alloc = tiny.AllocOp(t.with_shape((t.shape[0], schedule.rows[op.out], *t.shape[2:])))
            alloc.result.name_hint = op.out.name_hint
            body.add_op(alloc)
            lines[op.out] = alloc.result
        ins = [lines.get(v, v) for v in op.ins]
        body.add_op(op.rebuilt(ins, lines.get(op.out, op.out)))
    for op in reversed(ops):
        op.detach()
        op.erase()
    for value in local:
        alloc = value.owner
        alloc.detach()
        alloc.erase()
    return loop
