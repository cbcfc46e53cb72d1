"""What the plan files of passes share (partial-exec's tiling plans,
prune-channels' pruning plans): an entry a line, values named `%name` as
tinyir prints them, `#` comments, parsed with lark; errors name the file,
line and column."""

from __future__ import annotations

from lark import Lark, Tree, UnexpectedInput

from tinyir.errors import TinyIRError

_COMMON = r"""
    VALUE: /%[A-Za-z0-9_$.\-\/:]+/
    COMMENT: /#[^\n]*/
    %import common.INT
    %import common.WS
    %ignore WS
    %ignore COMMENT
"""


def plan_parser(rules: str) -> Lark:
    """A parser of `rules` (starting at `plan`, with VALUE and INT) and the common lexemes."""
    return Lark(rules + _COMMON, start="plan", parser="lalr", propagate_positions=True)


def plan_entries(parser: Lark, text: str, source: str, expected: str) -> list[Tree]:
    """The entries of a plan; a syntax error names the line and column and `expected`."""
    try:
        return parser.parse(text).children
    except UnexpectedInput as e:
        found = getattr(e, "token", None) or getattr(e, "char", None)
        what = f"unexpected '{found}'" if found else "unexpected end of plan"
        raise TinyIRError(f"{source}:{e.line}:{e.column}: {what} (expected: {expected})") from None


def read_plan(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise TinyIRError(f"cannot read plan {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise TinyIRError(f"cannot read plan {path}: not UTF-8 text (byte {e.start})") from None
