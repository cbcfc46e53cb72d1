"""Buffer liveness over the schedule, live bytes per step, and the peak.

The schedule is the order of the compute ops in a function body: step i is
the i-th compute op. A buffer is SRAM that some value lives in: a `tiny.alloc`
or a function argument (the model's input, which TFLite Micro also keeps in its
arena), unless it is streamed (tinyir.dialects.tiny.stream: only the rows its
line buffer holds are). Views (`tiny.reshape`, `tiny.view`) alias their source's buffer; constants live in
flash and are not buffers.

A buffer is live from the first step that writes it (step 0 for an input)
to the last step that reads it (the last step for a model output), both
included: an op's inputs and its output are live together. The peak of live
bytes is the lower bound any allocator can reach for this schedule.

A buffer's live bytes may shrink: views take the first bytes of their source,
so once the values that span a buffer are dead, only the first bytes of the
values still live are (an output written into the buffer of an input that
died: `tinyir.passes.arena_alloc.inplace`). `Buffer.extents` says how many bytes at which steps.

A `tiny.tile_loop` contributes the steps of its body once: every iteration
runs them in the same buffers. A buffer allocated in the body holds one tile
and lives as its steps say; a buffer from outside that the body touches is
read or written by every iteration, so it is live over all the loop's steps,
and so is a line buffer of a row loop that keeps rows from one tile to the
next (tiny.RowSchedule.retains).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, SSAValue

from tinyir.dialects import tiny


def align_up(n: int, alignment: int) -> int:
    return -(-n // alignment) * alignment


@dataclass(frozen=True)
class Interval:
    """A buffer's lifetime: `size` bytes, live from step `first` to `last` inclusive."""

    size: int
    first: int
    last: int
    parts: tuple[Interval, ...] = ()
    """Where fewer than `size` bytes are live: `part.size` bytes from the
    start over each part's steps (no part, the whole buffer throughout)."""

    def overlaps_in_time(self, other: Interval) -> bool:
        return self.first <= other.last and other.first <= self.last

    def pieces(self) -> tuple[Interval, ...]:
        return self.parts or (self,)

    def in_units(self, alignment: int) -> Interval:
        """Sizes rounded up to `alignment`, in units of it."""
        parts = tuple(p.in_units(alignment) for p in self.parts)
        return Interval(align_up(self.size, alignment) // alignment, self.first, self.last, parts)


def remembered_root(
    roots: dict[SSAValue, SSAValue | None], value: SSAValue, valid: Callable[[SSAValue], bool] = lambda root: True
) -> SSAValue | None:
    """buffer_root(value), remembering the root of every view on the way in
    `roots` and trusting what it remembers where `valid` (a residual stream is
    a view of a view of ..., thousands deep in a deep model)."""
    chain = []
    while True:
        known = roots.get(value)
        if known is not None and valid(known):
            root = known
            break
        if not isinstance(value.owner, tiny.ViewOp):
            root = None if isinstance(value.owner, tiny.ConstOp) else value
            break
        chain.append(value)
        value = value.owner.source
    for link in chain:
        roots[link] = root
    return root


def buffer_root(value: SSAValue) -> SSAValue | None:
    """The SRAM buffer a value lives in, following views; None for constants."""
    while isinstance(value.owner, tiny.ViewOp):
        value = value.owner.source
    if isinstance(value.owner, tiny.ConstOp):
        return None
    return value


@dataclass
class Buffer:
    """One SRAM buffer and the steps it is live in (first..last, inclusive)."""

    value: SSAValue
    nbytes: int
    first: int
    last: int
    extents: tuple[Interval, ...] = ()
    """The bytes live (from the buffer's start) over runs of steps, where
    fewer than `nbytes` are; empty: all of them from first to last."""

    @property
    def name(self) -> str:
        return self.value.name_hint or ""

    def live_at(self, step: int) -> bool:
        return self.first <= step <= self.last

    def bytes_at(self, step: int) -> int:
        """The bytes live at `step` (a row loop's line buffer holds a band of rows)."""
        return sum(p.size for p in self.interval.pieces() if p.first <= step <= p.last)

    @property
    def interval(self) -> Interval:
        """The buffer as the allocator places it."""
        return Interval(self.nbytes, self.first, self.last, self.extents)


@dataclass
class Liveness:
    """The buffers of one schedule and the bytes live at each step."""

    steps: list[tiny.ComputeOp]
    buffers: list[Buffer]
    loop_steps: dict[tiny.TileLoopOp, tuple[int, int]] = field(default_factory=dict)
    """The first and last step of each tile loop."""
    retained: set[SSAValue] = field(default_factory=set)
    """Line buffers of row loops that keep rows from one tile to the next."""
    roots: dict[SSAValue, SSAValue | None] = field(default_factory=dict, repr=False)
    """Values' buffers found so far (root_of)."""

    @functools.cached_property
    def live_bytes(self) -> list[int]:
        return self.aligned_live_bytes(1)

    def aligned_live_bytes(self, alignment: int) -> list[int]:
        """Live bytes at each step, each buffer's rounded up to `alignment`
        as the allocator places them."""
        # A body without compute ops (a lone reshape) still holds its input
        # and output at a step 0.
        live = [0] * max([len(self.steps)] + [b.last + 1 for b in self.buffers])
        for b in self.buffers:
            add_live_bytes(live, b, alignment)
        return live

    @property
    def peak(self) -> int:
        """Max live bytes over the schedule: the lower bound of any arena."""
        return max(self.live_bytes, default=0)

    def buffer_of(self, value: SSAValue) -> Buffer | None:
        return self._by_root.get(self.root_of(value))

    def root_of(self, value: SSAValue) -> SSAValue | None:
        """buffer_root(value), remembered: a residual stream is a long chain
        of views. A root remembered that is no longer a buffer (a rewrite
        merged it into another) is looked up again."""
        return remembered_root(self.roots, value, lambda root: root in self._by_root)

    def with_buffers(self, changed: dict[SSAValue, Buffer | None]) -> Liveness:
        """The liveness with the buffers of these roots replaced (None: gone),
        after a rewrite that changed only them (`merged`)."""
        by_root = dict(self._by_root)  # in the buffers' order, copied without hashing every root again
        for root, buffer in changed.items():
            if buffer is None:
                del by_root[root]
            else:
                by_root[root] = buffer
        updated = Liveness(self.steps, list(by_root.values()), self.loop_steps, self.retained, self.roots)
        updated.__dict__["_by_root"] = by_root
        updated.__dict__["step_of"] = self.step_of
        return updated

    @functools.cached_property
    def row_reads(self) -> dict[tiny.ComputeOp, list[tuple[SSAValue, int]]]:
        """(buffer, last step) of what each op reads by rows, filled in by
        dying_row_inputs: a planner asks of the same ops again and again."""
        return {}

    @functools.cached_property
    def _by_root(self) -> dict[SSAValue, Buffer]:
        return {b.value: b for b in self.buffers}

    @functools.cached_property
    def step_of(self) -> dict[tiny.ComputeOp, int]:
        """The step of each op of the schedule."""
        return {op: i for i, op in enumerate(self.steps)}


def add_live_bytes(live: list[int], buffer: Buffer, alignment: int, sign: int = 1) -> None:
    """Add (sign -1: take away) a buffer's bytes, rounded up to `alignment`,
    at the steps it is live."""
    for part in buffer.interval.pieces():
        n = sign * align_up(part.size, alignment)
        for step in range(part.first, part.last + 1):
            live[step] += n


def walk(block: Block) -> Iterator[Operation]:
    """The ops of a function body in program order, the bodies of tile loops
    in place of the loops."""
    for op in block.ops:
        if isinstance(op, tiny.TileLoopOp):
            yield from op.body.block.ops
        else:
            yield op


def schedule(block: Block) -> list[tiny.ComputeOp]:
    return [op for op in walk(block) if isinstance(op, tiny.ComputeOp)]


def enclosing_loop(op: Operation) -> tiny.TileLoopOp | None:
    parent = op.parent_op()
    return parent if isinstance(parent, tiny.TileLoopOp) else None


def is_tile_local(root: SSAValue, loop: tiny.TileLoopOp) -> bool:
    """Whether buffer `root` is allocated in the body of `loop` (one tile)."""
    return isinstance(root.owner, tiny.AllocOp) and root.owner.parent_op() is loop


def analyze_block(block: Block) -> Liveness:
    """Liveness of the buffers of a function body."""
    steps = schedule(block)
    streamed = {arg for arg in block.args if tiny.is_streamed(arg)}  # not in SRAM: its rows are in line buffers
    spans: dict[SSAValue, dict[SSAValue, list[int]]] = {arg: {arg: [0, 0]} for arg in block.args if arg not in streamed}
    loop_steps: dict[tiny.TileLoopOp, tuple[int, int]] = {}
    for step, op in enumerate(steps):
        if (loop := enclosing_loop(op)) is not None:
            start, _ = loop_steps.get(loop, (step, step))
            loop_steps[loop] = (start, step)
    retained = {b for loop in loop_steps if loop.by_rows for b in tiny.row_schedule(loop).retains}
    roots: dict[SSAValue, SSAValue | None] = {}  # a residual stream is a long chain of views: follow each link once
    root_of = functools.partial(remembered_root, roots)

    for step, op in enumerate(steps):
        loop = enclosing_loop(op)
        for value in op.operands:  # ins, out, acc and scratch alike
            root = root_of(value)
            if root is not None and isinstance(root.type, tiny.BufferType) and root not in streamed:
                for at in _touched_at(step, loop, root, loop_steps, retained):
                    _touch(spans, root, value, at)
    end = max(len(steps) - 1, 0)
    terminator = block.last_op
    if isinstance(terminator, func.ReturnOp):
        for value in terminator.arguments:
            root = root_of(value)
            if root is not None and isinstance(root.type, tiny.BufferType):
                _touch(spans, root, value, end)
    buffers = [_buffer(root, spans[root]) for root in _roots_in_order(block) if root in spans]
    return Liveness(steps, buffers, loop_steps, retained, roots)


def merged(buffer: Buffer, moved: Buffer) -> Buffer:
    """`buffer` once the values that lived in `moved` live in it too (an
    in-place rewrite made a view of it stand for `moved`'s root): at each step
    the larger of their live bytes, as analyze_block would find it, without
    walking the values of a buffer that may hold a whole residual stream."""
    first, last = min(buffer.first, moved.first), max(buffer.last, moved.last)
    if not buffer.extents and not moved.extents and moved.nbytes == buffer.nbytes:
        return Buffer(buffer.value, buffer.nbytes, first, last)  # every value still spans all of it
    pieces = {(p.size, p.first, p.last): None for b in (buffer, moved) for p in b.interval.pieces()}
    return Buffer(buffer.value, buffer.nbytes, first, last, _runs(list(pieces)))


def _touched_at(
    step: int,
    loop: tiny.TileLoopOp | None,
    root: SSAValue,
    loop_steps: dict[tiny.TileLoopOp, tuple[int, int]],
    retained: set[SSAValue],
) -> tuple[int, ...]:
    """The steps at which an op at `step` touches buffer `root`: its own, or
    for a buffer from outside its loop (or a line buffer kept across tiles),
    the loop's first and last (touched by every iteration)."""
    if loop is None or (is_tile_local(root, loop) and root not in retained):
        return (step,)
    return loop_steps[loop]


def _touch(spans: dict[SSAValue, dict[SSAValue, list[int]]], root: SSAValue, value: SSAValue, step: int) -> None:
    span = spans.setdefault(root, {}).setdefault(value, [step, step])
    span[0], span[1] = min(span[0], step), max(span[1], step)


def _buffer(root: SSAValue, spans: dict[SSAValue, list[int]]) -> Buffer:
    first = min(a for a, _ in spans.values())
    last = max(b for _, b in spans.values())
    return Buffer(root, root.type.nbytes, first, last, _extents(root, spans))


def _extents(root: SSAValue, spans: dict[SSAValue, list[int]]) -> tuple[Interval, ...]:
    """Runs of steps with the bytes of `root` that its live values span
    (views start at the buffer's first byte); () when always all of them."""
    size = {value: tiny.buffer_type(value).nbytes for value in spans}
    if all(n == root.type.nbytes for n in size.values()):
        return ()
    return _runs([(size[v], a, b) for v, (a, b) in spans.items()])


def _runs(pieces: list[tuple[int, int, int]]) -> tuple[Interval, ...]:
    """Runs of steps of equal bytes, the most of the (size, first, last)
    pieces live at each step (a sweep: a residual stream is one buffer seen
    through thousands of views)."""
    starting: dict[int, list[int]] = {}
    ending: dict[int, list[int]] = {}
    for n, a, b in pieces:
        starting.setdefault(a, []).append(n)
        ending.setdefault(b + 1, []).append(n)
    active: dict[int, int] = {}  # size -> how many pieces of it are live
    runs: list[list[int]] = []  # [first, last, bytes]
    for step in range(min(a for _, a, _ in pieces), max(b for _, _, b in pieces) + 1):
        for n in ending.get(step, ()):
            active[n] -= 1
            if not active[n]:
                del active[n]
        for n in starting.get(step, ()):
            active[n] = active.get(n, 0) + 1
        n = max(active, default=0)
        if runs and runs[-1][2] == n:
            runs[-1][1] = step
        else:
            runs.append([step, step, n])
    return tuple(Interval(n, a, b) for a, b, n in runs if n)


def _roots_in_order(block: Block) -> list[SSAValue]:
    """Function arguments, then allocs, in program order."""
    roots: list[SSAValue] = list(block.args)
    roots += [op.result for op in walk(block) if isinstance(op, tiny.AllocOp)]
    return roots


def main_function(module: ModuleOp) -> func.FuncOp:
    functions = [op for op in module.ops if isinstance(op, func.FuncOp)]
    if len(functions) != 1:
        from tinyir.errors import TinyIRError

        raise TinyIRError(f"expected one function in the module, found {len(functions)}")
    return functions[0]


def analyze(module: ModuleOp) -> Liveness:
    """Liveness of the model's function."""
    body = main_function(module).body.block
    return analyze_block(body)


# -- what in-place rewrites may take over (arena-alloc places them, partial-exec weighs them)


def returned_roots(block: Block, liveness: Liveness | None = None) -> set[SSAValue]:
    """The buffers of the model's outputs (with the roots `liveness` remembers)."""
    terminator = block.last_op
    if not isinstance(terminator, func.ReturnOp):
        return set()
    root_of = liveness.root_of if liveness is not None else buffer_root
    return {root for v in terminator.arguments if (root := root_of(v)) is not None}


def dying_row_inputs(
    ops: Sequence[tiny.ComputeOp],
    local: set[SSAValue],
    liveness: Liveness,
    returned: set[SSAValue],
    facts: dict[tiny.ComputeOp, tiny.RowOp] | None = None,
) -> list[SSAValue]:
    """Buffers (not `local`, not returned) that `ops` read by rows and that
    are read for the last time by them, largest first (`facts`: the ops'
    tiny.RowOp, when a planner has them)."""
    last = liveness.step_of[ops[-1]]
    found: dict[SSAValue, None] = {}
    read = liveness.row_reads
    for op in ops:
        if op not in read:
            row_op = facts[op] if facts is not None else tiny.RowOp.of(op)
            buffers = ((liveness.root_of(row_op.ins[i]), liveness.buffer_of(row_op.ins[i])) for i in row_op.data)
            read[op] = [(root, buffer.last) for root, buffer in buffers if buffer is not None]
        for root, ends in read[op]:
            if ends <= last and root not in returned and root not in local:
                found[root] = None
    return sorted(found, key=lambda root: -tiny.buffer_type(root).nbytes)


def fits_in(value: SSAValue, source: SSAValue) -> bool:
    """Whether `value` can be a view of the first bytes of `source`."""
    t, whole = tiny.buffer_type(value), tiny.buffer_type(source)
    return t.nbytes <= whole.nbytes and t.element_type == whole.element_type
