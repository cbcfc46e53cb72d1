"""tinyir's passes, one module each; registered here by their kebab-case names.

Each entry maps a pass name to a function returning the pass class, so that
listing the passes does not import them all.
"""

from collections.abc import Callable

from xdsl.passes import ModulePass


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Every tinyir pass by name (the `--name` flags of tinyir-opt)."""

    def strip_names():
        from tinyir.passes.strip_names import StripNamesPass

        return StripNamesPass

    def fuse():
        from tinyir.passes.fuse import FusePass

        return FusePass

    def reorder():
        from tinyir.passes.reorder import ReorderPass

        return ReorderPass

    def partial_exec():
        from tinyir.passes.partial_exec import PartialExecPass

        return PartialExecPass

    def arena_alloc():
        from tinyir.passes.arena_alloc import ArenaAllocPass

        return ArenaAllocPass

    def check_arena():
        from tinyir.passes.check_arena import CheckArenaPass

        return CheckArenaPass

    return {
        "strip-names": strip_names,
        "fuse": fuse,
        "reorder": reorder,
        "partial-exec": partial_exec,
        "arena-alloc": arena_alloc,
        "check-arena": check_arena,
    }
