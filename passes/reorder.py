"""`reorder`: being written (issue #3)."""

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass


@dataclass(frozen=True)
class ReorderPass(ModulePass):
    """Not implemented yet."""

    name = "reorder"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise NotImplementedError("reorder is being written")
