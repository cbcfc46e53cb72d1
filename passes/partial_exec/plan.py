"""The text format of tiling plans (`--partial-exec{plan=FILE}`), parsed with lark.

A plan pins what to split, one entry per line; `#` starts a comment:

    # split the ops from the one writing %expand to the one writing %project
    split %expand to %project tiles 4
    # run the ops from %stem to %stage1 a band of rows at a time, 44 bands
    split %stem to %stage1 tiles 44 by rows

Tiles are of channels unless `by rows` says otherwise. Values are named as
tinyir prints them (`%name`, or `%7` after strip-names), by the outputs of
the first and the last op of the region.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyir.errors import TinyIRError
from tinyir.passes.plan_files import plan_entries, plan_parser

_PARSER = plan_parser(r"""
    plan: entry*
    entry: "split" VALUE "to" VALUE "tiles" INT [BY]
    BY: "by" WS+ ("rows" | "channels")
""")


@dataclass(frozen=True)
class Split:
    """`split %first to %last tiles N [by rows]`, and where it was written."""

    first: str
    last: str
    tiles: int
    line: int
    column: int
    rows: bool = False


def parse_plan(text: str, source: str = "<plan>") -> list[Split]:
    """The entries of a plan; a syntax error names the line and column."""
    splits = []
    for entry in plan_entries(_PARSER, text, source, "split %first to %last tiles N [by rows]"):
        first, last, tiles, by = entry.children
        rows = by is not None and str(by).split()[-1] == "rows"
        if int(tiles) < 2:  # one tile is the op unsplit
            raise TinyIRError(f"{source}:{tiles.line}:{tiles.column}: tiles must be at least 2, got {tiles}")
        splits.append(Split(str(first)[1:], str(last)[1:], int(tiles), first.line, first.column, rows))
    return splits
