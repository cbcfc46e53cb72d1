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

    return {
        "strip-names": strip_names,
    }
