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

import functools
from collections.abc import Callable, Sequence

from xdsl.dialects import func
from xdsl.ir import Block, SSAValue
from xdsl.utils.exceptions import VerifyException

from tinyir.analysis.liveness import dying_row_inputs, enclosing_loop, fits_in
from tinyir.analysis.scratch import is_inplace_depthwise
from tinyir.dialects import tiny

BAND_ROWS = (1, 2, 4)
"""Output rows per tile the search tries (tiles = height // rows)."""

MAX_OPS = 16
"""Longest region the search tries, in ops."""


def row_capable(op: tiny.ComputeOp, block: Block) -> bool:
    """An int8 or f32 op outside any loop that can run by rows, writing a plain
    buffer of `block`; or the read and quantize of a float input's rows."""
    out = op.out
    return (
        enclosing_loop(op) is None
        and op.tile is None
        and op.acc is None
        and tiny.row_map(op) is not None
        and not tiny.reads_varying_whole(op)
        and not is_inplace_depthwise(op)
        and _row_types(op)
        and len(op.out_type.shape) == 4
        and isinstance(out.owner, tiny.AllocOp)
        and out.owner.parent_block() is block
    )


def _row_types(op: tiny.ComputeOp) -> bool:
    """int8 in and out, as the kernels that run bands take them; f32 in and
    out too, for tinyir's float kernels compute each output element with the
    same sum in the same order, in a band as whole (exact); and a float
    image's rows may be read and quantized band by band."""
    x, y = op.in_type(0).dtype.name, op.out_type.dtype.name
    if x == "float32" and isinstance(op, (tiny.ReadRowsOp, tiny.QuantizeOp)):
        return y in ("float32", "int8")
    if y == "float32":
        return all(tiny.buffer_type(v).dtype.name == "float32" for v in op.ins)
    return x == y == "int8"


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
    if not heights:
        return []
    lowest = min(heights)
    return sorted({lowest // rows for rows in BAND_ROWS if lowest // rows >= 2})


def region_peak(analysis, ops: Sequence[tiny.ComputeOp], local: set[SSAValue], tiles: int) -> int | None:
    """The peak over the region's steps once it is a row loop of `tiles`
    tiles (module docstring), or None if it cannot run by rows."""
    try:
        schedule = tiny.schedule_rows(list(ops), local, tiles, analysis.row_facts)
    except VerifyException:
        return None
    return _peak(analysis, ops, local, schedule)


def _peak(analysis, ops: Sequence[tiny.ComputeOp], local: set[SSAValue], schedule: tiny.RowSchedule) -> int:
    aligned = analysis.aligned
    first, last = analysis.step_of[ops[0]], analysis.step_of[ops[-1]]
    base = analysis.crossing_bytes(first, last, local)
    if analysis.inplace_rows:
        base -= _written_over(analysis, ops, local, lambda: schedule)
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


def _written_over(
    analysis, ops: Sequence[tiny.ComputeOp], local: set[SSAValue], schedule_of: Callable[[], tiny.RowSchedule]
) -> int:
    """Bytes of the region's outputs that --arena-alloc will place in the
    buffer of an input dying in the loop (tinyir.passes.arena_alloc.inplace.alias_row_outputs):
    the same choice, largest dying input first, checked the same way
    (`schedule_of`: the loop's schedule, made if the check needs it)."""
    returned = analysis.returned
    outs = (analysis.row_facts[op].out for op in ops)
    outputs = [y for y in outs if y not in local and y not in returned and isinstance(y.owner, tiny.AllocOp)]
    if not outputs:
        return 0
    dying = dying_row_inputs(ops, local, analysis.liveness, returned, analysis.row_facts)
    first, last = analysis.step_of[ops[0]], analysis.step_of[ops[-1]]
    schedule = None
    taken: dict[SSAValue, SSAValue] = {}  # output -> the input whose buffer it takes
    for y in outputs:
        for x in dying:
            if x in taken.values() or not fits_in(y, x):
                continue
            # y's buffer becomes x's: only x's can gain a conflict (the loop
            # had none, and the outputs taken so far brought none).
            x_stays = None if x in taken else x  # else x's own values went to another buffer
            accesses = _accesses(analysis, first, last, local, y, x_stays)
            schedule = schedule or schedule_of()
            if tiny.buffer_conflict(schedule, accesses) is None:
                taken[y] = x
                break
    return sum(analysis.aligned(tiny.buffer_type(y).nbytes) for y in taken)


def _accesses(analysis, first: int, last: int, local: set[SSAValue], *buffers: SSAValue | None) -> list[tiny.Access]:
    """What steps first..last do to the values in `buffers` (tiny.view_root
    of the value is one of them), outside their line buffers `local`."""
    roots, steps = analysis.view_roots, analysis.liveness.steps
    touching = sorted({k for b in buffers if b is not None for k in analysis.root_steps.get(b, ()) if first <= k <= last})
    inside = lambda v: v not in local and any(roots[v] is b for b in buffers)  # noqa: E731
    accesses = []
    for k in touching:
        r = analysis.row_facts[steps[k]]
        read = [(i in r.data, v) for i, v in enumerate(r.ins) if inside(v)]
        out = r.out if inside(r.out) else None
        if read or out is not None:
            accesses.append((r, read, out))
    return accesses


def row_bytes(value: SSAValue) -> int:
    _, _, w, c = tiny.buffer_type(value).shape
    return w * c * tiny.buffer_type(value).element_bytes


def candidates(analysis) -> list[tuple[int, int, int, int]]:
    """(first step, last step, tiles, peak) of every row region worth weighing.

    The regions ending at one step share their schedule: an op's rows per
    tile follow from its readers (later ops) alone, so they are worked out
    once per last step and tile count (`_Schedules`), and each region adds
    only its first op's; no region is scheduled from scratch, and the search
    grows linearly with the model's depth. Bodies where that does not hold
    (an op read before it runs, rows that do not follow from the ops'
    shapes) take `candidates_one_by_one`, which gives the same candidates."""
    steps = analysis.liveness.steps
    block = analysis.block
    usable = [row_capable(op, block) for op in steps]
    facts = _StepFacts(analysis, usable)
    if not facts.regular:
        return candidates_one_by_one(analysis)
    found = []
    for j in range(len(steps)):
        if not usable[j]:
            continue
        schedules: dict[int, _Schedules] = {}
        for i in range(j - 1, max(j - MAX_OPS, -1), -1):
            if not usable[i]:
                break
            local = facts.line_values(i, j)
            if local is None:
                break  # an output read inside and after: so in every region from an earlier op
            if not local or facts.unread(local, i, j):
                continue
            sinks = [k for k in range(i, j + 1) if facts.out[k] not in local]
            if not sinks:
                continue  # writes nothing outside the loop
            for tiles in tile_counts([facts.height[k] for k in sinks]):
                if tiles not in schedules:
                    schedules[tiles] = _Schedules(facts, j, tiles)
                rows = schedules[tiles]
                schedule_of = functools.cache(lambda: rows.region(i, local))  # called in this iteration only
                if facts.may_overwrite(local, i, j) and tiny.overwrite_conflict(schedule_of(), local) is not None:
                    continue
                peak = rows.peak_but_written_over(i)
                if analysis.inplace_rows:
                    peak -= _written_over(analysis, steps[i : j + 1], local, schedule_of)
                found.append((i, j, tiles, peak))
    return sorted(found, key=lambda c: c[:3])


class _StepFacts:
    """What the region schedules need of each usable step, read once."""

    def __init__(self, analysis, usable: list[bool]):
        steps = analysis.liveness.steps
        block = analysis.block
        returned = set(block.last_op.arguments) if isinstance(block.last_op, func.ReturnOp) else set()
        self.steps, self.row_facts = steps, analysis.row_facts
        self.height: dict[int, int] = {}
        self.users: dict[int, list[int]] = {}  # the steps using the output, but its writer
        self.elsewhere: dict[int, bool] = {}  # used by an op that is no step (a view, the return), or returned
        self.readers: dict[int, list[int]] = {}  # the usable steps reading it by rows
        self.roots: dict[int, tuple[SSAValue, tuple[SSAValue, ...]]] = {}  # buffers of the output and inputs
        self.out: dict[int, SSAValue] = {}
        self.row_bytes: dict[int, int] = {}  # of the output
        self.scratch: dict[int, int] = {}  # analysis.scratch of the op
        self.whole_bytes: dict[int, int] = {}  # of the output's buffer, aligned
        self.analysis = analysis
        self.regular = True
        for k, op in enumerate(steps):
            if not usable[k]:
                continue
            facts = analysis.row_facts[op]
            users = [analysis.step_of.get(use.operation) for use in facts.out.uses if use.operation is not op]
            self.users[k] = sorted({m for m in users if m is not None})
            self.elsewhere[k] = None in users or facts.out in returned
            self.readers[k] = [
                m for m in self.users[k]
                if (reader := analysis.row_facts.get(steps[m])) is not None
                and any(reader.ins[d] is facts.out for d in reader.data)
            ]
            self.roots[k] = (analysis.view_roots[facts.out], tuple(analysis.view_roots[v] for v in facts.ins))
            self.out[k] = facts.out
            out = tiny.buffer_type(facts.out).shape
            self.height[k] = out[1]
            self.row_bytes[k] = row_bytes(facts.out)
            self.scratch[k] = analysis.scratch(op)
            self.whole_bytes[k] = analysis.aligned(analysis.liveness.buffer_of(facts.out).nbytes)
            data = [tiny.buffer_type(facts.ins[d]).shape for d in facts.data]
            self.regular &= (  # what tiny.line_heights checks, true of every op once: rows follow from shapes
                all(len(shape) == 4 for shape in data)
                and len({shape[1] for shape in data}) == 1
                and facts.map.out_height(data[0][1]) == out[1]
                and all(m > k for m in self.users[k])
            )

    def local(self, k: int, first: int, last: int) -> bool:
        return not self.elsewhere[k] and all(first <= m <= last for m in self.users[k])

    def line_values(self, first: int, last: int) -> set[SSAValue] | None:
        """line_values(block, steps[first..last]), from the users' steps."""
        local = set()
        for k in range(first, last + 1):
            if self.local(k, first, last):
                local.add(self.out[k])
            elif any(first <= m <= last for m in self.users[k]):
                return None
        return local

    def may_overwrite(self, local: set[SSAValue], first: int, last: int) -> bool:
        """Whether steps[first..last] write a buffer they also read (through
        views): only then can tiny.overwrite_conflict find anything."""
        steps = self.steps
        written = {self.roots[k][0] for k in range(first, last + 1) if self.out[k] not in local}
        return any(
            root in written
            for k in range(first, last + 1)
            for v, root in zip(self.row_facts[steps[k]].ins, self.roots[k][1])
            if v not in local
        )

    def unread(self, local: set[SSAValue], first: int, last: int) -> bool:
        """Whether a line buffer of steps[first..last] has no reader by rows
        (the schedule refuses it)."""
        return any(self.out[k] in local and not self.readers[k] for k in range(first, last + 1))


class _Schedules:
    """Rows per tile of the steps up to `last`, for regions ending there in
    `tiles` tiles, each worked out once (tiny.rows' recurrences)."""

    def __init__(self, facts: _StepFacts, last: int, tiles: int):
        self.facts, self.last, self.tiles = facts, last, tiles
        self.done: dict[int, list[int]] = {}
        self.begun: dict[int, list[int]] = {}
        self.window: dict[int, tuple[list[int], int, bool]] = {}
        # _peak's sums over the line buffers of steps `low`..last, grown as
        # the regions ending at `last` are weighed from the shortest up.
        self.low = last + 1
        self.whole = 0  # bytes of their whole buffers (crossing_bytes counts them)
        self.held = 0  # bytes of those keeping rows across tiles
        self.live = [0] * (MAX_OPS + 1)  # bytes of the others, at step last - n

    def _local(self, k: int) -> bool:
        return self.facts.local(k, k, self.last)  # its users come after it: the region's first step does not matter

    def _bands(self, k: int) -> list:
        bands = []
        for m in self.facts.readers[k]:
            self._rows(m)
            bands.append((self.facts.row_facts[self.facts.steps[m]].map, self.begun[m], self.done[m]))
        return bands

    def _rows(self, k: int) -> None:
        if k in self.done:
            return
        height = self.facts.height[k]
        if self._local(k):
            ends = tiny.line_rows_done(height, self.tiles, self._bands(k))
        else:
            ends = tiny.whole_rows_done(height, self.tiles)
        self.done[k], self.begun[k] = ends, [0, *ends[:-1]]

    def _window(self, k: int) -> tuple[list[int], int, bool]:
        if k not in self.window:
            self.window[k] = tiny.line_window(self.facts.height[k], self._bands(k), self.begun[k], self.done[k])
        return self.window[k]

    def peak_but_written_over(self, first: int) -> int:
        """_peak of the region first..last without its _written_over: the
        same sums, each step's line buffer added once."""
        facts, last, live = self.facts, self.last, self.live
        for k in range(self.low - 1, first - 1, -1):
            if not self._local(k):
                continue
            self._rows(k)
            _, rows, retained = self._window(k)
            line = facts.analysis.aligned(rows * facts.row_bytes[k])
            self.whole += facts.whole_bytes[k]
            if retained:
                self.held += line
            else:  # live from its writer to its last reader
                for p in range(k, max(facts.users[k], default=k) + 1):
                    live[last - p] += line
        self.low = min(self.low, first)
        steps = max(live[last - p] + facts.scratch[p] for p in range(first, last + 1))
        return facts.analysis.crossing_bytes(first, last, ()) - self.whole + self.held + steps

    def region(self, first: int, local: set[SSAValue]) -> tiny.RowSchedule:
        steps, row_facts = self.facts.steps, self.facts.row_facts
        ops = steps[first : self.last + 1]
        for k in range(first, self.last + 1):
            self._rows(k)
        heights, rows, retains, start = {}, {}, set(), {}
        for k in range(first, self.last + 1):
            out = self.facts.out[k]
            if out not in local:
                continue
            start[out], rows[out], retained = self._window(k)
            heights[out] = self.facts.height[k]
            if retained:
                retains.add(out)
        begun = {steps[k]: self.begun[k] for k in range(first, self.last + 1)}
        done = {steps[k]: self.done[k] for k in range(first, self.last + 1)}
        return tiny.RowSchedule([row_facts[op] for op in ops], local, heights, rows, retains, begun, done, start)


def candidates_one_by_one(analysis) -> list[tuple[int, int, int, int]]:
    """candidates(), each region scheduled from scratch (tiny.schedule_rows)."""
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
