"""The names xDSL's printer gives the values of a function body: how plan
files, reports and error messages name a buffer as the user reads it."""

from __future__ import annotations

from xdsl.ir import Block, SSAValue

from tinyir.analysis.liveness import walk


def value_names(block: Block) -> dict[SSAValue, str]:
    """The names xDSL's printer gives the values of a function body.

    Arguments, then op results in order: a name hint as is, repeated hints
    suffixed `_1`, `_2`, ..., values without a hint numbered from 0 (what
    `strip-names` leaves). The same rule as `xdsl.printer.Printer`, without
    printing the weights.
    """
    names: dict[SSAValue, str] = {}
    used: dict[str, int] = {}
    next_id = 0
    values = [*block.args, *(r for op in walk(block) for r in op.results)]
    for value in values:
        hint = value.name_hint
        if hint:
            count = used.get(hint, 0)
            names[value] = f"{hint}_{count}" if count else hint
            used[hint] = count + 1
        else:
            names[value] = str(next_id)
            next_id += 1
    return names
