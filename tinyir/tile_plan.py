"""The text format of tiling plans (`--partial-exec{plan=FILE}`), parsed with lark.

A plan pins what to split, one entry per line; `#` starts a comment:

    # split the ops from the one writing %expand to the one writing %project
    split %expand to %project tiles 4

Values are named as tinyir prints them (`%name`, or `%7` after strip-names),
by the outputs of the first and the last op of the region. Spatial patches
(MCUNetV2) will add entries of their own to the same format.
"""

from __future__ import annotations

from dataclasses import dataclass

from lark import Lark, UnexpectedInput

from tinyir.errors import TinyIRError

GRAMMAR = r"""
    plan: entry*
    entry: "split" VALUE "to" VALUE "tiles" INT
    VALUE: /%[A-Za-z0-9_$.\-\/:]+/
    COMMENT: /#[^\n]*/
    %import common.INT
    %import common.WS
    %ignore WS
    %ignore COMMENT
"""

_PARSER = Lark(GRAMMAR, start="plan", parser="lalr", propagate_positions=True)


@dataclass(frozen=True)
class Split:
    """`split %first to %last tiles N`, and where it was written."""

    first: str
    last: str
    tiles: int
    line: int
    column: int


def parse_plan(text: str, source: str = "<plan>") -> list[Split]:
    """The entries of a plan; a syntax error names the line and column."""
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as e:
        found = getattr(e, "token", None) or getattr(e, "char", None)
        what = f"unexpected '{found}'" if found else "unexpected end of plan"
        raise TinyIRError(f"{source}:{e.line}:{e.column}: {what} (expected: split %first to %last tiles N)") from None
    splits = []
    for entry in tree.children:
        first, last, tiles = entry.children
        splits.append(Split(str(first)[1:], str(last)[1:], int(tiles), first.line, first.column))
    return splits
