"""`arena-alloc`: give every SRAM buffer an offset in one arena (issue #3).

The last pass of a pipeline, and the one the C backend needs: it refuses IR
without an arena. It does, in order:

1. scratch: each op whose CMSIS-NN kernel needs working memory on the
   module's CPU (`tinyir.analysis.target`) gets `%s = tiny.alloc :
   !tiny.buffer<Nxi8>` right before it, passed as its `scratch` operand
   (sizes: `tinyir.analysis.scratch`). A previous allocation's scratch is
   dropped first, so the pass can run again.
2. in place (option `inplace`): an elementwise op may write over an input
   that dies there; its output becomes a `tiny.reshape` view of that input
   (`tinyir.passes.arena_alloc.inplace` says which ops and why).
3. in-place depthwise (option `inplace-depthwise`, off by default): a
   depthwise convolution with depth multiplier 1 may write its output into the
   first bytes of an input that dies there (a `tiny.view` of it), one channel
   at a time through a temporary of in_h x in_w bytes that becomes its
   scratch. Kept only where the peak of live bytes does not rise
   (`tinyir.passes.arena_alloc.inplace` has the rule and the proof).
4. row loops writing over their input (option `inplace-rows`, on by
   default): an output of a row loop becomes a `tiny.view` of an input that
   dies in the loop, where its verifier proves that every band writes below
   the rows still to be read (the image and the first stage's output need
   not both be whole).
5. offsets: liveness (`tinyir.analysis.liveness`) gives each buffer its
   steps, and `allocator.py` packs them into one arena, every buffer's size
   rounded up to `alignment`. Allocs that no op touches are erased.
6. the independent checker (`check.py`, also the `check-arena` pass) proves
   the result, so a broken allocation never leaves the pass.

The result (see `tinyir.analysis.arena`):

    builtin.module attributes {tiny.arena_size = N : i64, tiny.arena_lower_bound = L : i64,
                               tiny.alignment = 16 : i64, tiny.target_cpu = "cortex-m4"} {
      func.func @main(%x: !tiny.buffer<...> {tiny.offset = 0 : i64}) -> ... {
        %y = tiny.alloc offset 2048 : !tiny.buffer<...>

Every SRAM buffer is a `tiny.alloc` with an offset or a function argument with
`tiny.offset` (the model's inputs and outputs live in the arena, as in TFLite
Micro); views have none. `tiny.arena_lower_bound` is the most bytes live at
one step, rounded as the arena is: the arena can be no smaller.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import Block, Operation

from tinyir.analysis import arena
from tinyir.analysis.arena import DEFAULT_ALIGNMENT, MAX_ALIGNMENT
from tinyir.analysis.liveness import analyze_block, main_function, walk
from tinyir.analysis.scratch import drop_scratch, materialize_scratch
from tinyir.analysis.target import CPUS, family_of, pass_cpu
from tinyir.dialects import tiny
from tinyir.passes import TinyPass
from tinyir.passes.arena_alloc.allocator import plan
from tinyir.passes.arena_alloc.check import check_arena
from tinyir.passes.arena_alloc.inplace import alias_depthwise, alias_elementwise, alias_row_outputs


@dataclass(frozen=True)
class ArenaAllocPass(TinyPass):
    """Place every SRAM buffer (inputs, activations, CMSIS-NN scratch) in one arena."""

    name = "arena-alloc"

    OPTION_CHOICES = {"target_cpu": tuple(CPUS)}
    OPTION_RANGES = {"alignment": (4, MAX_ALIGNMENT)}
    OPTION_POWERS_OF_TWO = ("alignment",)

    target_cpu: str = ""
    """The CPU CMSIS-NN is built for, which decides scratch sizes; empty: the
    module's (--mcpu, default cortex-m4). Another CPU than the module's is an
    error."""

    alignment: int = DEFAULT_ALIGNMENT
    """Byte alignment of every buffer (a power of two, at least 4)."""

    inplace: bool = True
    """Let elementwise ops write over an input that dies there."""

    inplace_depthwise: bool = False
    """Let depthwise convolutions (depth multiplier 1) write into an input that
    dies there, one channel at a time through an in_h x in_w temporary, where
    that does not raise the peak of live bytes."""

    inplace_rows: bool = True
    """Let a row loop write an output into the buffer of an input that dies
    in the loop, over the rows it has finished reading."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        block = main_function(op).body.block
        cpu = pass_cpu(op, self.target_cpu, self.name)
        drop_scratch(block)
        materialize_scratch(block, family_of(cpu))
        if self.inplace:
            alias_elementwise(block)
        if self.inplace_depthwise:
            alias_depthwise(block, self.alignment)
        if self.inplace_rows:
            alias_row_outputs(block, self.alignment)
        _erase_dead_allocs(block)
        buffers = [(b.value, b.interval) for b in analyze_block(block).buffers]
        result = plan([interval for _, interval in buffers], self.alignment)
        offsets = dict(zip((value for value, _ in buffers), result.offsets))
        arena.set_argument_offsets(main_function(op), [offsets.get(arg) for arg in block.args])  # None: streamed
        for alloc in walk(block):
            if isinstance(alloc, tiny.AllocOp):
                alloc.offset = IntegerAttr(offsets[alloc.result], i64)
        arena.set_module_attributes(
            op, size=result.arena_size, bound=result.lower_bound, align=self.alignment, cpu=cpu
        )
        check_arena(op)


def _erase_dead_allocs(block: Block) -> None:
    """Erase allocs that no op reads or writes, with the views of them."""
    live = {b.value for b in analyze_block(block).buffers}
    for alloc in [op for op in walk(block) if isinstance(op, tiny.AllocOp) and op.result not in live]:
        doomed: list[Operation] = [alloc]
        for op in doomed:  # grows as views of views are found
            doomed += [use.operation for result in op.results for use in result.uses]
        for dead in reversed(doomed):
            dead.detach()
            dead.erase()
