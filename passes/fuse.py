"""`fuse`: being written (issue #3)."""

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass


@dataclass(frozen=True)
class FusePass(ModulePass):
    """Not implemented yet."""

    name = "fuse"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise NotImplementedError("fuse is being written")
