"""Channel-split partial execution (Pex): which chains to split, into how many tiles.

Liberis & Lane, "Pex: memory-efficient microcontroller deep learning
through partial execution" (2022): most operators need not see
or produce all channels at once, so a chain of them can run a window of
channels at a time and the large tensors inside the chain never exist whole.

A *run* is a sequence of consecutive steps o_1 .. o_n where o_k's output is
read by o_{k+1} alone (a plain `tiny.alloc`, not a model output, not viewed).
A *candidate* splits o_a .. o_b of a run (a < b) into K tiles:

- head: o_a is a conv / fully connected layer computing K output tiles from
  its whole input ("produce"), or a channelwise op reading a copied tile of
  its whole input ("extract");
- middle: channelwise ops (depthwise conv, pools, activations, requantize);
- tail: o_b is a conv / fully connected layer reading input tiles and summing
  into an int32 accumulator ("accumulate", 4 bytes per output element), or a
  channelwise op whose output tiles are copied into its whole output
  ("insert").

Every op computes each output element once over the K tiles: MACs are
unchanged. The cost of a candidate is the peak of live bytes over its steps
once it is a `tiny.tile_loop`, exactly as `tinyir.analysis.liveness` counts the loop
and `--arena-alloc` sizes it: the buffers live across the region (the head's
input, the tail's output, residuals, the accumulator) plus the largest step
of one tile (its input and output tiles and its CMSIS-NN scratch for the
tile's shapes), every buffer rounded up to the alignment. Steps outside a
region keep their live bytes, so candidates in different places are
independent, and the best set is found exactly: binary search on the peak
T, and for each T a dynamic program per run that covers every step above T
by disjoint candidates whose own peak is at most T, at the least cost: the
instructions the splits add, as tinyir.analysis.cost predicts the C
backend's calls on the module's CPU. The least T is the least whose cheapest
cover stays within `max-slowdown`. The result is never worse than not splitting.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xdsl.dialects import func
from xdsl.ir import Block, SSAValue

from tinyir.analysis.cost import call_features, calls_cost, kernel_of, op_cost
from tinyir.analysis.liveness import analyze_block, buffer_root, enclosing_loop, returned_roots, walk
from tinyir.analysis.scratch import is_inplace_depthwise, scratch_bytes
from tinyir.analysis.target import Family
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.passes.partial_exec import rows as row_regions

CHANNELWISE_OPS = (
    tiny.DepthwiseConv2DOp,
    tiny.AvgPool2DOp,
    tiny.MaxPool2DOp,
    tiny.ClampOp,
    tiny.LogisticOp,
    tiny.TanhOp,
    tiny.HardSwishOp,
    tiny.LeakyReluOp,
    tiny.QuantizeOp,
)
WEIGHTED_OPS = (tiny.Conv2DOp, tiny.FullyConnectedOp)


def is_int8(op: tiny.ComputeOp) -> bool:
    """int8 in and out: what CMSIS-NN and the tile kernels run (not float models)."""
    return op.in_type(0).dtype.name == "int8" and op.out_type.dtype.name == "int8"


def is_channelwise(op: tiny.ComputeOp) -> bool:
    """Output channel window j reads input channel window j only."""
    if not isinstance(op, CHANNELWISE_OPS) or op.tile is not None or is_inplace_depthwise(op) or not is_int8(op):
        return False
    x = op.in_type(0)
    if isinstance(op, tiny.QuantizeOp) and x.dtype.kind != "i":
        return False
    return bool(x.shape) and x.shape[-1] > 0


def is_weighted(op: tiny.ComputeOp) -> bool:
    return isinstance(op, WEIGHTED_OPS) and op.tile is None and is_int8(op)


def reads_whole_rows(op: tiny.ComputeOp) -> bool:
    """A fully connected layer can read input tiles only if its rows are the
    input's last axis (not a flattened [H, W, C])."""
    return not isinstance(op, tiny.FullyConnectedOp) or op.in_type(0).shape[-1] == op.in_type(1).shape[1]


def tile_type(t: tiny.BufferType, tiles: int) -> tiny.BufferType:
    """The type of one of `tiles` channel tiles of `t` (channels last)."""
    return t.with_shape((*t.shape[:-1], t.shape[-1] // tiles))


@dataclass(frozen=True)
class Candidate:
    """Steps first..last split into `tiles` tiles (of channels, or of rows:
    tinyir.passes.partial_exec.rows), and the peak that gives."""

    first: int
    last: int
    tiles: int
    peak: int
    rows: bool = False

    extra: float = 0.0
    """Predicted instructions the split adds (tinyir.analysis.cost)."""

    @property
    def cost(self) -> float:
        """The extra, or 0 where a split is predicted to save instructions:
        such savings are within the model's error (mbv2: 17 row loops
        predicted to save 0.5% counted 0.0%), and a loop taken for nothing
        is code and a plan to verify."""
        return max(self.extra, 0.0)


@dataclass
class Region:
    """A chosen split: ops (consecutive steps), tile count, by rows or by
    channels, and (by channels) head and tail kind."""

    ops: list[tiny.ComputeOp]
    tiles: int
    rows: bool = False

    @property
    def head(self) -> str:
        return "produce" if is_weighted(self.ops[0]) else "extract"

    @property
    def tail(self) -> str:
        return "accumulate" if is_weighted(self.ops[-1]) else "insert"


def _chunked_values(ops: Sequence[tiny.ComputeOp]) -> list[SSAValue]:
    """The values split into tiles by a region of `ops`."""
    values = [op.out for op in ops[:-1]]
    if not is_weighted(ops[0]):
        values.insert(0, ops[0].ins[0])
    if not is_weighted(ops[-1]):
        values.append(ops[-1].out)
    return values


def valid_region(ops: Sequence[tiny.ComputeOp]) -> bool:
    """Whether consecutive linked ops make a head, channelwise middle ops and a tail."""
    if len(ops) < 2 or not all(is_channelwise(op) for op in ops[1:-1]):
        return False
    head, tail = ops[0], ops[-1]
    if not (is_weighted(head) or is_channelwise(head)):
        return False
    if is_weighted(tail):
        return reads_whole_rows(tail)
    return is_channelwise(tail)


def tile_counts(ops: Sequence[tiny.ComputeOp], max_tiles: int) -> list[int]:
    """Tile counts 2..max_tiles that divide every split tensor's channels
    (none when nothing is split)."""
    channels = [tiny.buffer_type(v).shape[-1] for v in _chunked_values(ops)]
    most = min(channels, default=1)  # a bound the search's time keeps to, whatever max_tiles
    return [k for k in range(2, min(max_tiles, most) + 1) if all(c % k == 0 for c in channels)]


class Analysis:
    """Runs, step live bytes and candidate costs of one function body."""

    def __init__(self, block: Block, family: Family, alignment: int, inplace_rows: bool = True):
        self.block, self.family, self.alignment = block, family, alignment
        self.inplace_rows = inplace_rows
        """Whether --arena-alloc will let row loops write over their input."""
        self.liveness = analyze_block(block)
        steps = self.liveness.steps
        self.step_of = self.liveness.step_of
        # Thousands of candidates share a few hundred ops: what they ask of
        # each op is looked up once.
        self._kernels: dict[tuple[tiny.ComputeOp, bool], str] = {}
        self._op_costs: dict[tiny.ComputeOp, float] = {}
        self._scratch: dict[tuple[tiny.ComputeOp, int, bool], int] = {}
        self._calls: dict[tuple[tiny.ComputeOp, int, str], float] = {}
        self.live = self.liveness.aligned_live_bytes(alignment)
        for i, op in enumerate(steps):
            if op.scratch is None and is_int8(op):  # scratch not materialized: count it as arena-alloc will
                self.live[i] += self.scratch(op)
        self.runs = self._runs()
        self.row_facts = {op: tiny.RowOp.of(op) for op in steps if row_regions.row_capable(op, block)}
        """The ops that can run by rows, as row schedules read them."""
        self.returned = returned_roots(block, self.liveness)
        """The buffers of the model's outputs."""
        self.view_roots = {v: tiny.view_root(v) for f in self.row_facts.values() for v in (*f.ins, f.out)}
        """tiny.view_root of the operands of those ops."""
        self.root_steps: dict[SSAValue, list[int]] = {}
        """The steps of those ops, by the buffers (view roots) they read or write."""
        for op, facts in self.row_facts.items():
            for root in {self.view_roots[v] for v in (*facts.ins, facts.out)}:
                self.root_steps.setdefault(root, []).append(self.step_of[op])

    def aligned(self, n: int) -> int:
        return -(-n // self.alignment) * self.alignment

    @functools.cached_property
    def _lifetimes(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """Buffers' first steps and last steps, each sorted, with running
        sums of their aligned bytes (for crossing_bytes)."""
        by_first = sorted((b.first, self.aligned(b.nbytes)) for b in self.liveness.buffers)
        by_last = sorted((b.last, self.aligned(b.nbytes)) for b in self.liveness.buffers)
        sums = lambda pairs: list(itertools.accumulate((n for _, n in pairs), initial=0))  # noqa: E731
        return [f for f, _ in by_first], sums(by_first), [l for l, _ in by_last], sums(by_last)

    def crossing_bytes(self, first: int, last: int, inside: Iterable[SSAValue]) -> int:
        """Aligned bytes of the buffers live at some step of first..last, but
        the buffers `inside` (written in those steps). Buffers starting by
        `last`, less those over before `first`: no walk over all buffers per
        candidate, which made the search quadratic in the model's depth."""
        firsts, first_sums, lasts, last_sums = self._lifetimes
        total = first_sums[bisect.bisect_right(firsts, last)] - last_sums[bisect.bisect_left(lasts, first)]
        return total - sum(self.aligned(self.liveness.buffer_of(v).nbytes) for v in inside)

    @property
    def peak(self) -> int:
        return max(self.live, default=0)

    def _linked(self, op: tiny.ComputeOp, nxt: tiny.ComputeOp) -> bool:
        """Whether op's output goes to nxt alone, as its first input."""
        out = op.out
        if not isinstance(out.owner, tiny.AllocOp) or out.owner.parent_block() is not self.block:
            return False
        if not nxt.ins or nxt.ins[0] is not out or out in nxt.ins[1:]:
            return False
        users = {use.operation for use in out.uses}
        if users != {op, nxt} or any(use.operation is op and use.index != len(op.ins) for use in out.uses):
            return False
        returned = self.block.last_op
        return not (isinstance(returned, func.ReturnOp) and out in returned.arguments)

    def _runs(self) -> list[list[tiny.ComputeOp]]:
        steps = self.liveness.steps
        runs: list[list[tiny.ComputeOp]] = []
        current: list[tiny.ComputeOp] = []
        for op in steps:
            usable = enclosing_loop(op) is None and (is_weighted(op) or is_channelwise(op))
            if current and usable and self._linked(current[-1], op):
                current.append(op)
                continue
            if len(current) > 1:
                runs.append(current)
            current = [op] if usable else []
        if len(current) > 1:
            runs.append(current)
        return runs

    def region_peak(self, ops: Sequence[tiny.ComputeOp], tiles: int, rows: bool = False) -> int:
        """Peak live bytes over the region's steps once split (module
        docstring; by rows: tinyir.passes.partial_exec.rows)."""
        if rows:
            return row_regions.region_peak(self, ops, row_regions.line_values(self.block, ops), tiles)
        first, last = self.step_of[ops[0]], self.step_of[ops[-1]]
        base = self.crossing_bytes(first, last, {buffer_root(op.out) for op in ops[:-1]})
        head_produces, tail_accumulates = is_weighted(ops[0]), is_weighted(ops[-1])
        if tail_accumulates:
            base += self.aligned(4 * ops[-1].out_type.num_elements)
        tile_live = []
        x_tiled = not head_produces
        tile_bytes = lambda t: self.aligned(t.nbytes // tiles)  # noqa: E731  (the channels divide: tile_counts)
        if x_tiled:  # extract_tile
            tile_live.append(tile_bytes(ops[0].in_type(0)))
        for k, op in enumerate(ops):
            y_tiled = k < len(ops) - 1 or not tail_accumulates
            live = (tile_bytes(op.in_type(0)) if x_tiled else 0) + (tile_bytes(op.out_type) if y_tiled else 0)
            if y_tiled:  # an input tile runs tinyir's own kernel, without scratch
                live += self.scratch(op, tiles, x_tiled)
            tile_live.append(live)
            x_tiled = True
        if not tail_accumulates:  # insert_tile
            tile_live.append(tile_bytes(ops[-1].out_type))
        return base + max(tile_live)

    @functools.cached_property
    def unsplit_cost(self) -> float:
        """Predicted instructions of the body as it is (tinyir.analysis.cost)."""
        return sum(self._op_cost(op) for op in walk(self.block) if isinstance(op, tiny.ComputeOp))

    def scratch(self, op: tiny.ComputeOp, tiles: int = 1, input_tiled: bool = True) -> int:
        """Aligned CMSIS-NN scratch bytes of `op`, or of one of its `tiles`
        output channel tiles (reading a tile of its input or all of it)."""
        key = (op, tiles, input_tiled)
        if key not in self._scratch:
            tile = None
            if tiles > 1:
                x = tile_type(op.in_type(0), tiles) if input_tiled else op.in_type(0)
                tile = (x, tile_type(op.out_type, tiles))
            self._scratch[key] = self.aligned(scratch_bytes(op, self.family, tile=tile))
        return self._scratch[key]

    def _kernel(self, op: tiny.ComputeOp, input_tile: bool) -> str:
        key = (op, input_tile)
        if key not in self._kernels:
            self._kernels[key] = kernel_of(op, self.family, input_tile)
        return self._kernels[key]

    def _op_cost(self, op: tiny.ComputeOp) -> float:
        if op not in self._op_costs:
            self._op_costs[op] = op_cost(op, self.family)
        return self._op_costs[op]

    def region_extra(self, ops: Sequence[tiny.ComputeOp], tiles: int, rows: bool = False) -> float:
        """Predicted instructions the region adds once split: its calls, as the
        C backend makes them, priced by tinyir.analysis.cost, less the whole ops'."""
        whole = sum(self._op_cost(op) for op in ops)
        if rows:  # every op runs once per band, on its rows
            return sum(self._calls_cost(op, tiles, "rows") for op in ops) - whole
        split = 0.0
        x_tiled, tail_accumulates = not is_weighted(ops[0]), is_weighted(ops[-1])
        if x_tiled:  # the head's input tiles are copied out of it
            split += self._calls_cost(ops[0], tiles, "extract")
        for k, op in enumerate(ops):
            y_tiled = k < len(ops) - 1 or not tail_accumulates
            how = ("tiles" if x_tiled else "output tiles") if y_tiled else "input tiles"
            split += self._calls_cost(op, tiles, how)
            x_tiled = True
        if not tail_accumulates:  # the tail's output tiles are copied into it
            split += self._calls_cost(ops[-1], tiles, "insert")
        return split - whole

    def _calls_cost(self, op: tiny.ComputeOp, tiles: int, how: str) -> float:
        """Predicted instructions of `op`'s calls in a split of `tiles` tiles:
        by `rows`; on channel tiles of its input and output (`tiles`), of
        its output only (`output tiles`) or of its input only (`input
        tiles`: into an accumulator); or the copies of its input's tiles out
        (`extract`) or of its output's tiles in (`insert`)."""
        key = (op, tiles, how)
        if key not in self._calls:
            x, y = op.in_type(0), op.out_type
            kernel = None
            if how == "extract":
                op, kernel, y = None, "tiny.extract_tile", tile_type(x, tiles)
            elif how == "insert":
                op, kernel, x = None, "tiny.insert_tile", tile_type(y, tiles)
            elif how != "rows":
                x = tile_type(x, tiles) if how in ("tiles", "input tiles") else x
                y = tile_type(y, tiles) if how in ("tiles", "output tiles") else y
            features = call_features(op, x, y, tiles, shared=how == "rows")
            self._calls[key] = calls_cost(kernel or self._kernel(op, how == "input tiles"), features, self.family)
        return self._calls[key]

    def candidates(self, max_tiles: int, rows: bool = True) -> list[Candidate]:
        """Channel splits of the runs, and (with `rows`) row regions."""
        found = []
        for run in self.runs:
            for a in range(len(run)):
                for b in range(a + 1, len(run)):
                    ops = run[a : b + 1]
                    if not valid_region(ops):
                        continue
                    first, last = self.step_of[ops[0]], self.step_of[ops[-1]]
                    for k in tile_counts(ops, max_tiles):
                        found.append(Candidate(first, last, k, self.region_peak(ops, k), extra=self.region_extra(ops, k)))
        if rows:
            for first, last, tiles, peak in row_regions.candidates(self):
                extra = self.region_extra(self.liveness.steps[first : last + 1], tiles, rows=True)
                found.append(Candidate(first, last, tiles, peak, rows=True, extra=extra))
        return found

    def region(self, c: Candidate) -> Region:
        return Region(self.liveness.steps[c.first : c.last + 1], c.tiles, c.rows)


def _cover(
    analysis: Analysis, candidates: list[Candidate], target: int, required: frozenset[int] = frozenset()
) -> list[Candidate] | None:
    """The cheapest disjoint candidates that bring every step to at most
    `target`, and put the `required` steps in row loops, or None if there
    are none: a dynamic program over the steps."""
    starting: dict[int, list[Candidate]] = {}
    for c in candidates:
        if c.peak <= target:
            starting.setdefault(c.first, []).append(c)
    steps = len(analysis.live)
    # best[p]: (cost, picks) covering steps [0, p)
    best: list[tuple[int, list[Candidate]] | None] = [None] * (steps + 1)
    best[0] = (0, [])
    for p in range(steps):
        if best[p] is None:
            continue
        cost, picks = best[p]
        if analysis.live[p] <= target and p not in required and (best[p + 1] is None or cost < best[p + 1][0]):
            best[p + 1] = (cost, picks)
        for c in starting.get(p, ()):
            if not c.rows and any(c.first <= r <= c.last for r in required):
                continue
            if best[c.last + 1] is None or cost + c.cost < best[c.last + 1][0]:
                best[c.last + 1] = (cost + c.cost, [*picks, c])
    return None if best[steps] is None else best[steps][1]


def plan_regions(
    analysis: Analysis,
    max_tiles: int,
    budget: int | None = None,
    rows: bool = True,
    max_slowdown: float = 0.0,
    required: frozenset[int] = frozenset(),
) -> list[Region] | None:
    """The regions to split: the least peak among the plans whose predicted
    instructions are at most `max_slowdown` x the body's as it is (0: any),
    then the cheapest such plan; with a budget, the cheapest plan within it
    whatever it costs (a `TinyIRError` when even the least peak exceeds it).
    The `required` steps are in row loops (a streamed input's read_rows:
    None when no plan can do that; the slowdown limit gives way to them)."""
    candidates = analysis.candidates(max_tiles, rows)
    targets = sorted({*analysis.live, *(c.peak for c in candidates)})
    if not required:  # not splitting at all is a plan
        targets = [t for t in targets if t <= analysis.peak]
    elif not targets or _cover(analysis, candidates, targets[-1], required) is None:
        return None
    if not targets:
        return []
    allowed = (max_slowdown - 1) * analysis.unsplit_cost if max_slowdown and budget is None else math.inf

    def feasible(target: int, allowed: float) -> bool:
        cover = _cover(analysis, candidates, target, required)
        return cover is not None and sum(c.cost for c in cover) <= allowed

    def least(allowed: float) -> int:
        """The least target with a cover adding at most `allowed` instructions."""
        if not feasible(targets[-1], allowed):  # only where steps are required
            allowed = math.inf
        lo, hi = 0, len(targets) - 1  # targets[hi] is feasible
        while lo < hi:
            mid = (lo + hi) // 2
            if feasible(targets[mid], allowed):
                hi = mid
            else:
                lo = mid + 1
        return targets[lo]

    target = least(allowed)
    if budget is not None:
        if budget < target:  # never a silent fallback to a plan that does not fit
            extra = sum(c.cost for c in _cover(analysis, candidates, target, required) or [])
            slowdown = (analysis.unsplit_cost + extra) / analysis.unsplit_cost if analysis.unsplit_cost else 1.0
            raise TinyIRError(
                f"partial-exec: no plan fits budget={budget} B: the least peak reachable is {target} B "
                f"(unsplit {analysis.peak} B), at {slowdown:.3f} x the unsplit model's predicted instructions"
            )
        target = max(t for t in targets if t <= budget)  # at least `target`: feasible
    picks = _cover(analysis, candidates, target, required) or []
    return [analysis.region(c) for c in picks]


def pareto_front(
    analysis: Analysis, max_tiles: int, rows: bool = True, required: frozenset[int] = frozenset()
) -> list[tuple[int, float]]:
    """(peak bytes, predicted instructions) of the plans no other beats on both:
    at each peak the search can reach, its cheapest plan, priced as the search
    prices it (`Candidate.cost`); the last point is the body unsplit (but
    where steps are `required` in row loops)."""
    candidates = analysis.candidates(max_tiles, rows)
    front: list[tuple[int, float]] = []
    for target in sorted({*analysis.live, *(c.peak for c in candidates)}):
        if target > analysis.peak and not required:
            break
        cover = _cover(analysis, candidates, target, required)
        if cover is None:
            continue
        cost = analysis.unsplit_cost + sum(c.cost for c in cover)
        if not front or cost < front[-1][1]:  # a higher peak must buy fewer instructions
            front.append((target, cost))
    return front


def region_of(analysis: Analysis, first: tiny.ComputeOp, last: tiny.ComputeOp) -> list[tiny.ComputeOp] | None:
    """The ops first..last if they are a region of one run, else None."""
    for run in analysis.runs:
        if first in run and last in run:
            a, b = run.index(first), run.index(last)
            if a < b and valid_region(run[a : b + 1]):
                return run[a : b + 1]
    return None
