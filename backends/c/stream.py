"""A streamed input in C (tinyir.dialects.tiny.stream): the caller's callback.

A model whose input is streamed has no input in its arena. Its header
declares the callback the caller gives, typed by the input's elements:

    typedef int (*tinyir_m_read_rows_fn)(void *ctx, int first_row, int n_rows, int8_t *dst);
    int tinyir_m_invoke_streamed(tinyir_m_read_rows_fn read_rows, void *ctx);

Each `tiny.read_rows` asks it for the rows its band needs at tile t, in
order, into the line buffer: `read_rows(ctx, first_row, n_rows, dst)` writes
n_rows NHWC rows (TINYIR_M_INPUT0_ROW_SIZE elements each) from row first_row
on; a non-zero return ends the invocation, which returns the op's number.
The copying `tinyir_m_invoke(input, output)` streams from the caller's
input array (`copy_source`).
"""

from __future__ import annotations

from tinyir.dialects import tiny

from .text import c_type, check

READ_ROWS, CTX = "read_rows", "ctx"
"""The callback and its context, as the run function's parameters name them."""


def callback_type(model: str) -> str:
    return f"tinyir_{model}_read_rows_fn"


def callback_typedef(model: str, stream: tiny.BufferType) -> str:
    return f"typedef int (*{callback_type(model)})(void *ctx, int first_row, int n_rows, {c_type(stream)} *dst);"


def row_size(stream: tiny.BufferType) -> int:
    """Elements of one NHWC row."""
    return stream.num_elements // stream.shape[1]


def emit_read_rows(e, op: tiny.ReadRowsOp, step: str):
    band = e.bands.get(op)
    stream = tiny.buffer_type(op.ins[0])
    first, rows = ("0", str(stream.shape[1])) if band is None else (band.in_at[0], band.rows)
    call = f"{READ_ROWS}({CTX}, {first}, {rows}, {e.output(op)})"
    return check(call, step), f": {READ_ROWS}() of the caller, {row_size(stream)} elements a row"


def copy_source(model: str, stream: tiny.BufferType) -> tuple[list[str], str]:
    """The copying invoke's callback, reading rows of the caller's array (C
    lines), and the name of its context's struct."""
    source, t = f"tinyir_{model}_source", c_type(stream)
    lines = [
        "/* The copying invoke streams the rows of the caller's input. */",
        f"struct {source} {{ const {t} *input; }};",
        "",
        f"static int tinyir_{model}_rows_of(void *ctx, int first_row, int n_rows, {t} *dst)",
        "{",
        f"    const struct {source} *source = (const struct {source} *)ctx;",
        f"    memcpy(dst, source->input + (size_t)first_row * {row_size(stream)}, "
        f"(size_t)n_rows * {row_size(stream)} * sizeof *dst);",
        "    return 0;",
        "}",
        "",
    ]
    return lines, source


KERNELS = {tiny.ReadRowsOp: emit_read_rows}
