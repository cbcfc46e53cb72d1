"""`reorder`: run the compute ops in an order with the least peak of live bytes.

The order of the ops in a function body is the schedule, and which buffers
are live together depends on it. This pass finds a topological order of the
compute ops with the least peak live bytes, as `tinyir.analysis.liveness` counts them,
by the search of `tinyir.passes.reorder.search` (exact under a budget of `max_states`
stored states, then a beam search), and keeps the order it was given unless
the new one is strictly better.

Dependencies are on buffers, seen through views (`tinyir.analysis.liveness.buffer_root`):
read after write, write after read, write after write; a scratch buffer counts
as written. After the compute ops are ordered, every `tiny.alloc`, `tiny.const`
and view (`tiny.reshape`, `tiny.view`) moves to just before its first use; `func.return` stays last.
A `tiny.tile_loop` is one step: it reads and writes the outside buffers its
body touches, and holds its tile buffers (their peak over the body) while it
runs. A function holding any other op (one this pass does not know to be free of
side effects, or a view it cannot see through) is left as it is. IR whose
buffers --arena-alloc has placed is refused: a new order would invalidate the
offsets.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, SSAValue

from tinyir.analysis.arena import require_unallocated
from tinyir.analysis.liveness import Liveness, analyze_block, buffer_root, is_tile_local
from tinyir.dialects import tiny
from tinyir.passes import TinyPass
from tinyir.passes.reorder.search import Problem, Schedule, minimize_peak

# Ops that only define a value (a buffer, weights, a view of a buffer): they
# are placed just before their first use.
DEFINITIONS = (tiny.AllocOp, tiny.ConstOp, tiny.ViewOp)
# Ops that are steps of the schedule.
STEPS = (tiny.ComputeOp, tiny.TileLoopOp)


@dataclass(frozen=True)
class ReorderPass(TinyPass):
    """Reorder compute ops for the least peak of live bytes (exact search within max-states, else beam search)."""

    name = "reorder"

    OPTION_RANGES = {"max_states": (1, 100_000_000)}

    max_states: int = 100_000
    """Sets of executed ops the exact search may store (its memory and time grow
    with it: about 0.4 KB and 40 us a set). Past it, beam searches keeping about
    max_states / (32 x ops) sets per step find the order, not proven minimal."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        require_unallocated(op, self.name)
        for function in op.walk():
            if isinstance(function, func.FuncOp) and function.body.blocks:
                reorder_block(function.body.block, self.max_states)


def reorder_block(block: Block, max_states: int = 100_000) -> Schedule | None:
    """Reorder a function body in place; returns how, or None when the block
    holds an op the pass does not know (then it is left as it is)."""
    built = scheduling_problem(block)
    if built is None:
        return None
    steps, problem = built
    schedule = minimize_peak(problem, max_states=max_states)
    if schedule.peak < schedule.given_peak:
        place_ops(block, [steps[i] for i in schedule.order])
    return schedule


def scheduling_problem(block: Block) -> tuple[list[tiny.ComputeOp], Problem] | None:
    """The compute ops of a block and their scheduling problem (ops in block
    order over SRAM buffers: function arguments and allocs), or None when the
    block holds an op other than compute ops, definitions and func.return."""
    for op in block.ops:
        if not isinstance(op, (*STEPS, *DEFINITIONS)) and not (op is block.last_op and isinstance(op, func.ReturnOp)):
            return None
    steps = [op for op in block.ops if isinstance(op, STEPS)]
    index: dict[SSAValue, int] = {}
    sizes: list[int] = []

    def buffer(value: SSAValue) -> int | None:
        root = buffer_root(value)
        if root is None:
            return None
        if root not in index:
            index[root] = len(sizes)
            sizes.append(root.type.nbytes)
        return index[root]

    inputs = frozenset(buffer(arg) for arg in block.args)
    reads, writes = [], []
    liveness: Liveness | None = None
    for op in steps:
        if isinstance(op, tiny.TileLoopOp):
            read, written = _loop_accesses(op, buffer)
            liveness = liveness or analyze_block(block)  # once, for every loop
            sizes.append(_tile_peak(liveness, op))  # the tile buffers, live while the loop runs
            written.add(len(sizes) - 1)
        else:
            read = {buffer(v) for v in op.ins} - {None}
            written = {buffer(v) for v in (op.out, *([op.scratch] if op.scratch is not None else []))} - {None}
        reads.append(frozenset(read - written))
        writes.append(frozenset(written))
    outputs = frozenset()
    if isinstance(block.last_op, func.ReturnOp):
        outputs = frozenset(buffer(v) for v in block.last_op.arguments) - {None}
    return steps, Problem(sizes, reads, writes, inputs, outputs)


def _loop_accesses(loop: tiny.TileLoopOp, buffer) -> tuple[set[int], set[int]]:
    """The outside buffers a tile loop's body reads and writes."""
    read, written = set(), set()
    for op in loop.body.block.ops:
        if not isinstance(op, tiny.ComputeOp):
            continue
        outside = lambda v: (root := buffer_root(v)) is not None and not is_tile_local(root, loop)  # noqa: E731
        read |= {buffer(v) for v in op.ins if outside(v)}
        written |= {buffer(v) for v in (op.out, op.acc) if v is not None and outside(v)}
    return read, written


def _tile_peak(liveness: Liveness, loop: tiny.TileLoopOp) -> int:
    """The most bytes of a tile loop's own buffers live at one of its steps."""
    body = loop.body.block.ops  # the loop's own, not every buffer and step (a deep model has thousands)
    local = [b for op in body if isinstance(op, tiny.AllocOp) and (b := liveness.buffer_of(op.result)) is not None]
    steps = [liveness.step_of[op] for op in body if op in liveness.step_of]
    return max((sum(b.nbytes for b in local if b.live_at(s)) for s in steps), default=0)


def _used_values(op: Operation) -> list[SSAValue]:
    """The values `op` uses, those of a tile loop's body included."""
    if isinstance(op, tiny.TileLoopOp):
        return [v for inner in op.body.block.ops for v in inner.operands]
    return list(op.operands)


def place_ops(block: Block, order: list[tiny.ComputeOp]) -> None:
    """Put the compute ops of `block` in `order`, each just after the
    definitions it needs that are not placed yet (in their order in the
    block); definitions nobody uses go before func.return."""
    position = {op: i for i, op in enumerate(block.ops)}
    placed: list[Operation] = []
    seen: set[Operation] = set()

    def place(op: Operation) -> None:
        needed, stack = [], [op]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            needed.append(current)
            for operand in _used_values(current):
                owner = operand.owner
                if isinstance(owner, Operation) and owner.parent_block() is block:
                    stack.append(owner)
        placed.extend(sorted(needed, key=position.__getitem__))

    for op in order:
        place(op)
    terminator = block.last_op if isinstance(block.last_op, func.ReturnOp) else None
    for op in block.ops:
        if op is not terminator:
            place(op)
    if terminator is not None:
        place(terminator)
    for op in placed:
        op.detach()
    block.add_ops(placed)
