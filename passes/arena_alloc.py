"""`arena-alloc`: being written (issue #3)."""

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass


@dataclass(frozen=True)
class ArenaAllocPass(ModulePass):
    """Not implemented yet."""

    name = "arena-alloc"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise NotImplementedError("arena-alloc is being written")
