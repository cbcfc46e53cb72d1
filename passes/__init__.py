"""tinyir's passes, one module or package each; registered here by their kebab-case names.

Each entry maps a pass name to a function returning the pass class, so that
listing the passes does not import them all. `pass_options` reads a pass's
options from its declaration (dataclass fields and the docstring under each),
for `tinyir-opt --help`: options are documented once, where they are declared.
`TinyPass` checks them, as declared, when a pass is made.
"""

import ast
import dataclasses
import inspect
import math
import textwrap
import typing
from collections.abc import Callable
from typing import ClassVar, NamedTuple, get_type_hints

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

    def prune_channels():
        from tinyir.passes.prune_channels import PruneChannelsPass

        return PruneChannelsPass

    def check_arena():
        from tinyir.passes.arena_alloc.check import CheckArenaPass

        return CheckArenaPass

    return {
        "strip-names": strip_names,
        "fuse": fuse,
        "reorder": reorder,
        "partial-exec": partial_exec,
        "arena-alloc": arena_alloc,
        "check-arena": check_arena,
        "prune-channels": prune_channels,
    }


class TinyPass(ModulePass):
    """A pass whose options are checked when it is made, from its declaration:
    a number is not a boolean (`budget=true` is refused) and is finite, and
    lies in its `OPTION_RANGES` entry (a power of two if in
    `OPTION_POWERS_OF_TWO`); a string is one of its `OPTION_CHOICES`.
    A ValueError here is one line from the pipeline parser."""

    OPTION_CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Allowed values of string options, by field name (an empty string
    always passes: it means the option is not given)."""

    OPTION_RANGES: ClassVar[dict[str, tuple[int | float, int | float]]] = {}
    """Least and greatest values of numeric options, by field name."""

    OPTION_POWERS_OF_TWO: ClassVar[tuple[str, ...]] = ()
    """Integer options that must be powers of two (alignments), by field name."""

    def __post_init__(self) -> None:
        types = get_type_hints(type(self))
        for field in dataclasses.fields(self):
            value, name = getattr(self, field.name), field.name.replace("_", "-")
            if types[field.name] is not bool and isinstance(value, bool):
                raise ValueError(f"{name} must be a number, got {str(value).lower()}")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value}")
            if field.name in self.OPTION_RANGES:
                least, most = self.OPTION_RANGES[field.name]
                if not least <= value <= most:
                    raise ValueError(f"{name} must be in {least}..{most}, got {value}")
            if field.name in self.OPTION_POWERS_OF_TWO and value & (value - 1):
                raise ValueError(f"{name} must be a power of two, got {value}")
            choices = self.OPTION_CHOICES.get(field.name, ())
            if choices and value and value not in choices:
                raise ValueError(f"{name} must be one of {', '.join(choices)}, got '{value}'")


class PassOption(NamedTuple):
    """One option of a pass, as `--help` shows it."""

    name: str  # kebab-case, as written on the command line
    type: str
    default: str
    choices: tuple[str, ...]
    range: tuple[int | float, int | float] | None
    doc: str


def pass_options(pass_class: type[ModulePass]) -> list[PassOption]:
    """The options of a pass: name, type, default, choices and range (a
    TinyPass's `OPTION_CHOICES` and `OPTION_RANGES`) and the docstring under
    the field."""
    docs = _field_docs(pass_class)
    choices = getattr(pass_class, "OPTION_CHOICES", {})
    ranges = getattr(pass_class, "OPTION_RANGES", {})
    types = get_type_hints(pass_class)
    options = []
    for field in dataclasses.fields(pass_class):
        default = field.default
        if default is dataclasses.MISSING:
            default = ""
        shown = str(default).lower() if isinstance(default, bool) else str(default)
        kind = types[field.name]
        options.append(
            PassOption(
                field.name.replace("_", "-"),
                _type_name(kind),
                shown,
                tuple(choices.get(field.name, ())),
                ranges.get(field.name),
                docs.get(field.name, ""),
            )
        )
    return options


def _type_name(kind) -> str:
    """int, bool, str; a number written either way (`float | int`, so that
    `max-slowdown=0` parses as well as `=1.5`) is a float."""
    if isinstance(kind, type):
        return kind.__name__
    return "float" if set(typing.get_args(kind)) == {float, int} else str(kind)


def _field_docs(cls: type) -> dict[str, str]:
    """{field: the string literal right under its declaration}, one paragraph each."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body
    docs = {}
    for stmt, after in zip(body, body[1:]):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[stmt.target.id] = " ".join(after.value.value.split())
    return docs
