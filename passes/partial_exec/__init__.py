"""`partial-exec`: channel-split partial execution (Pex), as `tiny.tile_loop`s.

Finds chains of ops that can run a window of channels at a time and rewrites
the ones worth it (`tinyir.passes.partial_exec.search` decides which and into how many
tiles, weighing the peak exactly as `--arena-alloc` will see it) into

    %acc = tiny.alloc : !tiny.buffer<1x28x28x24xi32>
    tiny.tile_loop %t < 4 {
      %e = tiny.alloc : !tiny.buffer<1x56x56x18xi8, ...>      // one tile
      tiny.conv_2d %x, %w1, %b1 -> %e tile %t {...}           // output tile
      %d = tiny.alloc : !tiny.buffer<1x28x28x18xi8, ...>
      tiny.depthwise_conv_2d %e, %w2, %b2 -> %d tile %t {...}
      tiny.conv_2d %d, %w3, %b3 -> %y acc %acc tile %t {...}  // input tile
    }

Runs after --fuse and before --arena-alloc, with --reorder before or after.
MACs are unchanged (each output element is computed once, over the tiles).
Options: `max-chunks` (tiles per loop, at most), `max-slowdown` (the least
peak among plans whose predicted instructions, tinyir.analysis.cost, are
within this multiple of the unsplit model's), `budget` (bytes: the
cheapest plan whose peak fits; an error when even the least peak does not), `plan` (a file in
the format of `tinyir.passes.partial_exec.plan` that says what to split instead of the
search), `alignment` (as --arena-alloc's: the buffer rounding the peak is
weighed with). The CMSIS-NN scratch it weighs is the module's CPU's
(`tinyir.analysis.target`), which it records for --arena-alloc.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i32, i64
from xdsl.ir import Block, SSAValue
from xdsl.utils.exceptions import VerifyException

from tinyir.analysis.arena import DEFAULT_ALIGNMENT, MAX_ALIGNMENT, require_unallocated
from tinyir.analysis.liveness import main_function
from tinyir.analysis.names import value_names
from tinyir.analysis.scratch import drop_scratch
from tinyir.analysis.target import CPUS, family_of, pass_cpu
from tinyir.dialects import tiny
from tinyir.dialects.tiny import MAX_BUFFER_BYTES
from tinyir.errors import TinyIRError
from tinyir.passes import TinyPass
from tinyir.passes.partial_exec.plan import parse_plan
from tinyir.passes.partial_exec.rows import build_row_loop, line_values, row_capable
from tinyir.passes.partial_exec.search import (
    Analysis,
    Region,
    pareto_front,
    plan_regions,
    region_of,
    tile_counts,
    tile_type,
)
from tinyir.passes.partial_exec.stream import stream_input, unstreamable
from tinyir.passes.plan_files import read_plan


@dataclass(frozen=True)
class PartialExecPass(TinyPass):
    """Run chains of ops a window of channels at a time (Pex)."""

    name = "partial-exec"

    max_chunks: int = 16
    """Most channel tiles a chain is split into (row loops take a band of
    1, 2 or 4 rows per tile)."""

    rows: bool = True
    """Also run chains a band of rows at a time (row loops); false: channels only."""

    max_slowdown: float | int = 1.02
    """Most predicted instructions (tinyir.analysis.cost) a plan may take, as a
    multiple of the unsplit model's: the least peak within it; 0: no limit."""

    budget: int = 0
    """Peak bytes to fit (0: none): the cheapest plan within it; an error
    naming the least peak reachable when no plan fits."""

    plan: str = ""
    """A plan file (tinyir.passes.partial_exec.plan) pinning the splits; empty: search."""

    dump_plan: str = ""
    """Write the splits made to this file, in the plan format: to edit, and pin with `plan`."""

    OPTION_CHOICES = {"target_cpu": tuple(CPUS)}
    OPTION_RANGES = {
        "max_chunks": (2, 65536),
        "max_slowdown": (0, 1000),
        "budget": (0, MAX_BUFFER_BYTES),
        "alignment": (1, MAX_ALIGNMENT),
    }
    OPTION_POWERS_OF_TWO = ("alignment",)

    target_cpu: str = ""
    """The CPU whose CMSIS-NN scratch sizes are weighed; empty: the module's
    (--mcpu, default cortex-m4). Another CPU than the module's is an error."""

    alignment: int = DEFAULT_ALIGNMENT
    """Buffer alignment the peak is weighed with (as --arena-alloc)."""

    inplace_rows: bool = True
    """Weigh row loops writing over their input, as --arena-alloc's
    `inplace-rows` will place them (false: for `inplace-rows=false`)."""

    stream_input: bool = False
    """Read the model's input a band of rows at a time from the caller
    (tinyir.dialects.tiny.stream): it is never whole in SRAM; the first row
    loop must take it (an error where no row loop can)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if 0 < self.max_slowdown < 1:
            raise ValueError(f"max-slowdown must be 0 (no limit) or at least 1, got {self.max_slowdown}")

    def _analysis(self, op: ModuleOp) -> tuple[Analysis, tiny.ReadRowsOp | None, frozenset[int]]:
        """The analysis of `op`'s body, and (stream-input) the read_rows
        that a row loop must take, and its step (the search's `required`)."""
        require_unallocated(op, self.name)
        function = main_function(op)
        read = stream_input(function) if self.stream_input else None
        block = function.body.block
        drop_scratch(block)  # an earlier allocation's; --arena-alloc makes them again
        cpu = pass_cpu(op, self.target_cpu, self.name)
        analysis = Analysis(block, family_of(cpu), self.alignment, self.inplace_rows)
        return analysis, read, frozenset() if read is None else frozenset({analysis.step_of[read]})

    def front(self, op: ModuleOp) -> tuple[list[tuple[int, float]], tuple[int, float]]:
        """The (peak bytes, predicted instructions) trade-off of the plans the
        search would weigh on `op` (`search.pareto_front`), and the point of
        `op` unsplit, for --report-pareto."""
        analysis, _, required = self._analysis(op)
        return pareto_front(analysis, self.max_chunks, self.rows, required), (analysis.peak, analysis.unsplit_cost)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        analysis, read, required = self._analysis(op)
        block = analysis.block
        if self.plan:
            regions = planned_regions(analysis, self.plan)
            if read is not None and not any(r.rows and read in r.ops for r in regions):
                raise TinyIRError(f"{self.plan}: stream-input: no split by rows takes the input's tiny.read_rows")
        else:
            regions = plan_regions(
                analysis, self.max_chunks, self.budget or None, self.rows, self.max_slowdown, required
            )
            if regions is None:
                raise unstreamable(block, read)
        if self.dump_plan:
            write_plan(self.dump_plan, analysis, regions)
        for region in regions:
            if region.rows:
                build_row_loop(block, region.ops, region.tiles)
            else:
                split_region(block, region)


def write_plan(path: str, analysis: Analysis, regions: list[Region]) -> None:
    """The splits as a plan file (tinyir.passes.partial_exec.plan), in
    schedule order, naming values as they are before the rewrite, which is
    how `plan=` reads them."""
    names = value_names(analysis.block)
    lines = [f"# partial-exec: {len(regions)} splits of a model whose peak unsplit is {analysis.peak} B;",
             "# edit, then pin with --partial-exec=plan=FILE"]  # fmt: skip
    for r in sorted(regions, key=lambda r: analysis.step_of[r.ops[0]]):
        by = " by rows" if r.rows else ""
        lines.append(f"split %{names[r.ops[0].out]} to %{names[r.ops[-1].out]} tiles {r.tiles}{by}")
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    except OSError as e:
        raise TinyIRError(f"cannot write plan {path}: {e.strerror}") from None


def planned_regions(analysis: Analysis, path: str) -> list[Region]:
    text = read_plan(path)
    names = value_names(analysis.block)
    producers = {names[op.out]: op for op in analysis.liveness.steps if op.out in names}
    regions = []
    for split in parse_plan(text, path):
        where = f"{path}:{split.line}:{split.column}"
        ends = [producers.get(name) for name in (split.first, split.last)]
        for name, end in zip((split.first, split.last), ends):
            if end is None:
                raise TinyIRError(f"{where}: no op writes %{name}")
        if split.rows:
            ops = _row_region(analysis, *ends, split.tiles, f"{where}: %{split.first} to %{split.last}")
        else:
            ops = region_of(analysis, *ends)
            if ops is None:
                raise TinyIRError(f"{where}: %{split.first} to %{split.last} is not a chain that can be split by channels")
            if split.tiles not in tile_counts(ops, split.tiles):
                raise TinyIRError(f"{where}: {split.tiles} tiles do not divide the channels of %{split.first} .. %{split.last}")
        if any(op in r.ops for r in regions for op in ops):
            raise TinyIRError(f"{where}: %{split.first} .. %{split.last} overlaps another split")
        regions.append(Region(ops, split.tiles, split.rows))
    return regions


def _row_region(analysis: Analysis, first: tiny.ComputeOp, last: tiny.ComputeOp, tiles: int, what: str):
    """The steps first..last if they can run by rows in `tiles` tiles; else
    a one-line error saying why."""
    a, b = analysis.step_of[first], analysis.step_of[last]
    ops = analysis.liveness.steps[a : b + 1]
    if a >= b:
        raise TinyIRError(f"{what}: the first op must come before the last")
    for op in ops:
        if not row_capable(op, analysis.block):
            raise TinyIRError(f"{what}: {op.name} cannot run by rows")
    local = line_values(analysis.block, ops)
    if not local:
        raise TinyIRError(f"{what}: no tensor lives only inside it (an output read both inside and after it?)")
    height = min(tiny.buffer_type(op.out).shape[1] for op in ops if op.out not in local)
    if tiles > height:
        raise TinyIRError(f"{what}: {tiles} tiles of rows, but its output has {height} rows")
    try:
        tiny.schedule_rows(ops, local, tiles)
    except VerifyException as e:
        raise TinyIRError(f"{what}: {e}") from None
    return ops


def split_region(block: Block, region: Region) -> tiny.TileLoopOp:
    """Rewrite the region's ops (consecutive steps of `block`) into a tile loop
    at the place of its last op."""
    ops, tiles = region.ops, region.tiles
    last = ops[-1]
    loop = tiny.TileLoopOp(tiles)
    block.insert_op_before(loop, last)
    body, index = loop.body.block, loop.index

    def tile_buffer(value: SSAValue) -> SSAValue:
        alloc = tiny.AllocOp(tile_type(tiny.buffer_type(value), tiles))
        alloc.result.name_hint = value.name_hint
        body.add_op(alloc)
        return alloc.result

    def copy(kind: type[tiny.TileCopyOp], source: SSAValue, dest: SSAValue) -> None:
        axis = len(tiny.buffer_type(source).shape) - 1
        body.add_op(kind([source], dest, tile=index, axis=IntegerAttr(axis, i64)))

    current: SSAValue | None = None  # the tile the next op reads
    if region.head == "extract":
        current = tile_buffer(ops[0].ins[0])
        copy(tiny.ExtractTileOp, ops[0].ins[0], current)
    for op in ops:
        ins = list(op.ins)
        if current is not None:
            ins[0] = current
        acc = None
        if op is last and region.tail == "accumulate":
            out = op.out
            acc_alloc = tiny.AllocOp(tiny.BufferType(op.out_type.shape, i32))
            acc_alloc.result.name_hint = f"{op.out.name_hint}.acc" if op.out.name_hint else None
            block.insert_op_before(acc_alloc, loop)
            acc = acc_alloc.result
        else:
            out = tile_buffer(op.out)
        tiled = isinstance(op, tiny.TiledOp)
        body.add_op(op.rebuilt(ins, out, acc=acc, tile=index if tiled else None))
        current = out
    if region.tail == "insert":
        copy(tiny.InsertTileOp, current, last.out)
    internal = [op.out.owner for op in ops[:-1]]
    for op in reversed(ops):
        op.detach()
        op.erase()
    for alloc in internal:
        alloc.detach()
        alloc.erase()
    return loop
