"""`check-arena`: prove an allocated module's arena sound (see `tinyir.arena_check`).

Runs on any IR that `--arena-alloc` (or a person) allocated; fails with one
line naming the two buffers that overlap, the buffer outside the arena or the
misaligned offset. It changes nothing.
"""

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from tinyir.arena_check import check_arena


@dataclass(frozen=True)
class CheckArenaPass(ModulePass):
    """Check that no two buffers live at the same step overlap in the arena."""

    name = "check-arena"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_arena(op)
