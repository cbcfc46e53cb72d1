"""`stream-input`: the model's input read a band of rows at a time.

Before planning, the input becomes a stream (tinyir.dialects.tiny.stream)
and its readers read a copy of it made by `tiny.read_rows`:

    func.func @main(%x: !tiny.buffer<1x144x144x3xi8, ...> {tiny.stream}) -> ... {
      %x.rows = tiny.alloc : !tiny.buffer<1x144x144x3xi8, ...>
      tiny.read_rows %x -> %x.rows
      tiny.conv_2d %x.rows, %w, %b -> %y {...}

read_rows maps rows to rows like any elementwise op, so the row search
weighs it with the rest; the search must then put it in a row loop (its
step is `required`), where `%x.rows` becomes a line buffer of a few rows
and the image is never whole. Where no row loop can take it (the input's
first reader cannot run by rows, or a later op reads the input too) that
is an error naming the op.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.ir import Block

from tinyir.analysis.names import value_names
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.passes.partial_exec.rows import row_capable


def stream_input(function: func.FuncOp) -> tiny.ReadRowsOp | None:
    """Make the function's input a stream read by a `tiny.read_rows` at the
    top of the body (module doc); the read_rows that is not in a row loop
    yet, or None when the input is already streamed by one."""
    block = function.body.block
    if len(block.args) != 1:
        raise TinyIRError(f"partial-exec: stream-input streams a model's one input; this model has {len(block.args)}")
    (x,) = block.args
    name = f"%{x.name_hint or 'input'}"
    if tiny.is_streamed(x):
        (use,) = x.uses  # the verifier lets only one read_rows read it
        loop = use.operation.parent_op()
        return None if isinstance(loop, tiny.TileLoopOp) and loop.by_rows else use.operation
    t = tiny.buffer_type(x)
    if len(t.shape) != 4 or t.shape[0] != 1:
        raise TinyIRError(f"partial-exec: stream-input: input {name} {list(t.shape)} is not one NHWC image")
    rows = tiny.AllocOp(t)
    rows.result.name_hint = f"{x.name_hint or 'input'}.rows"
    x.replace_all_uses_with(rows.result)
    read = tiny.ReadRowsOp([x], rows.result)
    if block.first_op is None:
        block.add_ops([rows, read])
    else:
        block.insert_ops_before([rows, read], block.first_op)
    tiny.set_streamed(function, 0)
    return read


def unstreamable(block: Block, read: tiny.ReadRowsOp) -> TinyIRError:
    """Why no row loop can begin with `read` (the search found none)."""
    names = value_names(block)
    what = f"%{names.get(read.out, 'input')}"
    readers = [use.operation for use in read.out.uses if use.operation is not read]
    for op in readers:
        if not isinstance(op, tiny.ComputeOp):
            return TinyIRError(f"partial-exec: stream-input: {op.name} takes the input whole")
        if not row_capable(op, block):
            return TinyIRError(f"partial-exec: stream-input: {op.name} reads the input and cannot run by rows")
    return TinyIRError(
        f"partial-exec: stream-input: no row loop can read {what} band by band "
        f"(its readers, {', '.join(op.name for op in readers) or 'none'}, cannot all be in one)"
    )
