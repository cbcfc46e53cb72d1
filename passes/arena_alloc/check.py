"""`check-arena`: an independent proof that an allocated module's arena is sound.

Runs on any IR that `--arena-alloc` (or a person) allocated, and at the end
of `--arena-alloc` itself; it changes nothing.

It shares nothing with the allocator (`tinyir.passes.arena_alloc.allocator`) but the IR and the
liveness analysis: it reads the offsets back from the IR (see `tinyir.analysis.arena`
for the representation) and checks, with each buffer's own byte size:

- every SRAM buffer (function argument or tiny.alloc) has an offset;
- every offset is a multiple of the module's `tiny.alignment` (if it has one);
- every buffer lies inside the arena: offset + bytes <= `tiny.arena_size`;
- no two buffers live at the same step share a byte (of a buffer whose live
  bytes shrink, those live at that step: `Buffer.extents`).

A failure is a TinyIRError with a one-line message naming the buffers.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import BlockArgument, SSAValue

from tinyir.analysis import arena
from tinyir.analysis.liveness import analyze_block, main_function, walk
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.passes import TinyPass


@dataclass(frozen=True)
class CheckArenaPass(TinyPass):
    """Check that no two buffers live at the same step overlap in the arena."""

    name = "check-arena"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_arena(op)


@dataclass(frozen=True)
class _Placed:
    value: SSAValue  # named (_label) only in a message: naming an unnamed alloc walks the body
    start: int
    end: int  # exclusive
    first: int  # live steps, inclusive; first > last for a buffer never live
    last: int


def _label(value: SSAValue) -> str:
    if value.name_hint:
        return f"%{value.name_hint}"
    if isinstance(value, BlockArgument):
        return f"argument #{value.index}"
    block = value.owner.parent_block()
    index = list(walk(block)).index(value.owner) if block is not None else "?"
    return f"the tiny.alloc at operation #{index}"


def check_arena(module: ModuleOp) -> None:
    """Raise TinyIRError unless the module's arena allocation is sound."""
    size = arena.arena_size(module)
    if size is None:
        raise TinyIRError(f"arena check: the module is not allocated (no {arena.ARENA_SIZE}); run --arena-alloc")
    align = arena.alignment(module) or 1
    function = main_function(module)
    block = function.body.block
    liveness = analyze_block(block)
    live = {b.value: b for b in liveness.buffers}
    step_names = [op.name for op in liveness.steps]
    arg_offsets = arena.argument_offsets(function)

    placed: list[_Placed] = []
    streamed = tiny.streamed_arguments(function)  # not in SRAM
    roots: list[tuple[SSAValue, int | None]] = [(a, o) for a, o, s in zip(block.args, arg_offsets, streamed) if not s]
    roots += [(op.result, op.arena_offset) for op in walk(block) if isinstance(op, tiny.AllocOp)]
    known = {value for value, _ in roots}
    for value in live:
        if value not in known:
            raise TinyIRError(
                f"arena check: {_label(value)} is an SRAM buffer that is neither an argument nor a tiny.alloc"
            )
    for arg, offset, stream in zip(block.args, arg_offsets, streamed):
        if stream and offset is not None:
            raise TinyIRError(f"arena check: {_label(arg)} is streamed ({tiny.STREAM}) but has an arena offset")
    for value, offset in roots:
        nbytes = tiny.buffer_type(value).nbytes
        if offset is None:
            raise TinyIRError(f"arena check: {_label(value)} has no arena offset")
        if offset % align:
            raise TinyIRError(f"arena check: {_label(value)} at offset {offset} is not aligned to {align} bytes")
        if offset < 0 or offset + nbytes > size:
            raise TinyIRError(
                f"arena check: {_label(value)} [{offset}, {offset + nbytes}) lies outside the arena of {size} bytes"
            )
        if value not in live:
            placed.append(_Placed(value, offset, offset + nbytes, 1, 0))  # never live
            continue
        for part in live[value].interval.pieces():  # the bytes live over each run of steps
            placed.append(_Placed(value, offset, offset + part.size, part.first, part.last))

    if not _any_overlap(placed):
        return
    # Name the collision: sweep by offset, a buffer can only collide with those starting before it ends.
    placed.sort(key=lambda p: (p.start, p.end))
    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            if b.start >= a.end:
                break
            if a.first > a.last or b.first > b.last or a.end == a.start or b.end == b.start:
                continue
            if a.first <= b.last and b.first <= a.last:
                step = max(a.first, b.first)
                op = f" ({step_names[step]})" if step < len(step_names) else ""
                raise TinyIRError(
                    f"arena check: {_label(a.value)} [{a.start}, {a.end}) and "
                    f"{_label(b.value)} [{b.start}, {b.end}) "
                    f"overlap while both are live at step {step}{op}"
                )


def _any_overlap(placed: list[_Placed]) -> bool:
    """Whether two placed runs share bytes while both are live: a sweep over
    the steps, each run against the few live with it (a deep model reuses
    the same offsets thousands of times, so a sweep by offset is quadratic)."""
    live: list[_Placed] = []
    for a in sorted((p for p in placed if p.first <= p.last and p.end > p.start), key=lambda p: p.first):
        live = [b for b in live if b.last >= a.first]
        if any(b.start < a.end and a.start < b.end for b in live):
            return True
        live.append(a)
    return False
