"""Row loops in C (`tiny.tile_loop %t < N rows`): what each op of the body
does at tile t, as C expressions the op emitters put in their dims, padding
and pointers (Emitter.in_shape, out_shape, elements, pad_top, input, output).

tiny.row_schedule gives, per tile and op, a band (output rows, the input rows
it reads, their top padding, where they sit in the buffers) and a shift of the
op's line buffer. The geometry differs only at the edges of the tensors, so
each field of an op becomes, over the tiles:

- a literal, when every tile that uses it has the same value;
- `t * b + a`, when the values are that line (a whole output written a band
  of H/N rows per tile: `out_at` is `t * H/N`);
- else a column of the op's table in flash, `static const struct {...}
  op<n>_band[N]`, read as `op<n>_band[t].<field>`: the narrowest unsigned
  type that holds every column (uint8_t for rows < 256).

A tile where the op has no band has `rows` 0 and the call is skipped; there
its other fields are free (so are `shift_from` where nothing moves), which
lets more of them be literals. A field whose values a column of the same
kind in the loop's tables already holds reads that column (`in_rows` of an
elementwise op is its `rows`; a chain of elementwise ops shares one `rows`).
The shift is a memmove of `shift_rows` rows from row `shift_from` to row 0
of the op's line buffer (0 rows where nothing moves), before the op's call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tinyir.dialects import tiny

from .text import dims


@dataclass(frozen=True)
class RowBand:
    """An op's band at tile `t`, in C: `rows` output rows, written from row
    `out_at` of its output buffer; `in_rows` input rows read from row
    `in_at[i]` of input i's buffer (None: read whole), `pad_top` padding rows
    above them; before the call, `shift_rows` rows of the output line buffer
    move from row `shift_from` to row 0 (None: it never moves)."""

    rows: str
    out_at: str
    in_rows: str
    in_at: tuple[str | None, ...]
    pad_top: str
    shift_from: str | None
    shift_rows: str | None

    @property
    def always(self) -> bool:
        """The op runs at every tile: no test of `rows`."""
        return self.rows.isdigit() and int(self.rows) > 0


def times(expr: str | int, factor: int) -> str:
    """`expr * factor` as C, a literal when `expr` is one."""
    text = str(expr)
    if text.lstrip("-").isdigit():
        return str(int(text) * factor)
    if factor == 1:
        return text
    return f"{text} * {factor}" if " " not in text else f"({text}) * {factor}"


def _line(points: list[tuple[int, int]]) -> str | None:
    """`points` (tile, value) as a C expression in t: a literal or `t * b + a`; None if they are not on a line."""
    if not points:
        return "0"
    (t0, v0), rest = points[0], points[1:]
    if not rest:
        return str(v0)
    t1, v1 = rest[0]
    b, remainder = divmod(v1 - v0, t1 - t0)
    if remainder or any(v != v0 + b * (t - t0) for t, v in points):
        return None
    a = v0 - b * t0
    if b == 0:
        return str(a)
    term = "t" if abs(b) == 1 else f"t * {abs(b)}"
    if b < 0:
        return f"{a} - {term}"
    return term if a == 0 else f"{term} + {a}" if a > 0 else f"{term} - {-a}"


def _fits(free: list[int | None], known: list[int | None]) -> bool:
    """Column `known` holds `free`'s values wherever `free` has one."""
    return all(v is None or v == k for v, k in zip(free, known))


def _kind(field: str) -> str:
    """What a field counts: fields of one kind may share a column (the input
    rows of one op and the output rows of another are both `rows`)."""
    return "rows" if field == "in_rows" else "in_at" if field.endswith("_at") and field != "out_at" else field


def _c_int_type(values: Sequence[int]) -> str:
    lo, hi = min(values, default=0), max(values, default=0)
    if lo >= 0:
        return "uint8_t" if hi < 2**8 else "uint16_t" if hi < 2**16 else "int32_t"
    return "int16_t" if -(2**15) <= lo and hi < 2**15 else "int32_t"


def _fields(steps: Sequence[tiny.Step]) -> dict[str, list[int | None]]:
    """The per-tile values of an op's band fields (None: free at that tile)."""
    op = steps[0].op
    bands = [s.band for s in steps]

    def of(get) -> list[int | None]:
        return [None if b is None else get(b) for b in bands]

    fields = {
        "rows": [0 if b is None else b.rows for b in bands],
        "out_at": of(lambda b: b.out_at),
        "in_rows": of(lambda b: b.in_rows),
    }
    for i in tiny.row_inputs(op):
        fields["in_at" if i == 0 else f"in{i}_at"] = of(lambda b, i=i: b.in_at[i])
    if isinstance(op, (tiny.ConvLikeOp, tiny.PoolOp)):
        fields["pad_top"] = of(lambda b: b.pad_top)
    if any(s.shift is not None for s in steps):
        fields["shift_from"] = [None if s.shift is None else s.shift.source for s in steps]
        fields["shift_rows"] = [0 if s.shift is None else s.shift.rows for s in steps]
    return fields


C_INT_BYTES = {"uint8_t": 1, "uint16_t": 2, "int16_t": 2, "int32_t": 4}


def row_bands(
    loop: tiny.TileLoopOp, first_step: int
) -> tuple[list[str], dict[tiny.ComputeOp, RowBand], list[tuple[str, int, int]]]:
    """The flash tables (C lines), the band of each op of row loop `loop`,
    whose ops are numbered from `first_step`, and (name, bytes, alignment)
    of each table."""
    schedule = tiny.row_schedule(loop)
    lines: list[str] = []
    sizes: list[tuple[str, int, int]] = []
    bands: dict[tiny.ComputeOp, RowBand] = {}
    tabled: list[tuple[str, list[int], str]] = []  # the columns of the loop's tables: (kind, values, expression)
    for k, op in enumerate(step.op for step in schedule.tiles[0]):
        table = f"op{first_step + k}_band"
        exprs: dict[str, str] = {}
        columns: dict[str, list[int]] = {}
        for name, values in _fields([steps[k] for steps in schedule.tiles]).items():
            line = _line([(t, v) for t, v in enumerate(values) if v is not None])
            same = next((expr for kind, column, expr in tabled if kind == _kind(name) and _fits(values, column)), None)
            if line is not None or same is not None:
                exprs[name] = line if line is not None else same
                continue
            exprs[name] = f"{table}[t].{name}"
            columns[name] = [0 if v is None else v for v in values]
            tabled.append((_kind(name), columns[name], exprs[name]))
        if columns:
            ctype = _c_int_type([v for column in columns.values() for v in column])
            rows = [f"{{{', '.join(str(c[t]) for c in columns.values())}}}" for t in range(loop.tiles)]
            per_line = max(1, 96 // (len(rows[0]) + 2))
            body = ",\n    ".join(", ".join(rows[i : i + per_line]) for i in range(0, len(rows), per_line))
            skip = " (rows 0: no band at t)" if "rows" in columns else ""
            lines.append(f"/* op{first_step + k}: {op.name} by rows, per tile t: {', '.join(columns)}{skip} */")
            lines.append(
                f"static const struct {{ {ctype} {', '.join(columns)}; }} {table}[{loop.tiles}] TINYIR_FLASH(4) = {{\n    {body}\n}};"
            )
            sizes.append((table, loop.tiles * len(columns) * C_INT_BYTES[ctype], C_INT_BYTES[ctype]))
        in_at = tuple(
            exprs["in_at" if i == 0 else f"in{i}_at"] if i in tiny.row_inputs(op) else None for i in range(len(op.ins))
        )
        bands[op] = RowBand(
            exprs["rows"], exprs["out_at"], exprs["in_rows"], in_at, exprs.get("pad_top", "0"),
            exprs.get("shift_from"), exprs.get("shift_rows"),
        )  # fmt: skip
    return lines, bands, sizes


def describe(op: tiny.ComputeOp, value) -> str:
    """An operand of an op in a row loop for comments: its tensor, and the rows its line buffer holds."""
    whole, own = op.tensor_type(value), tiny.buffer_type(value)
    text = dims(whole.shape)
    return text if own.shape == whole.shape else f"{text} ({own.shape[1]}-row line buffer)"
