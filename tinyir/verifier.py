"""Verification of a module with one-line diagnostics.

xDSL's own `verify()` reports a failure by printing the whole module in generic
form; for a model with megabytes of weights that is neither fast nor readable.
This walks the ops itself and names the failing op and where it stands.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.traits import IsTerminator, NoTerminator
from xdsl.utils.exceptions import VerifyException

from tinyir.dialects import tiny
from tinyir.errors import TinyIRError


def describe(op: Operation, index: int) -> str:
    """`operation #7 (%conv1)`: an op by its place in the schedule and its values."""
    names = [f"%{v.name_hint}" for v in (*op.results, *op.operands[-1:]) if v.name_hint]
    where = f"operation #{index}"
    return f"{where} ({names[0]})" if names else where


def verify_module(module: ModuleOp) -> None:
    """Raise TinyIRError naming the first op that does not verify, or that
    reads a buffer no op wrote before it."""
    written: set[SSAValue] = set()  # buffers (view roots) an op wrote, in schedule order
    roots: dict[SSAValue, SSAValue] = {}  # each view's root: in-place ops chain thousands of views
    for index, op in enumerate(module.walk()):
        if isinstance(op, tiny.ViewOp):
            roots[op.result] = roots.get(op.source) or tiny.view_root(op.source)
        parent = op.parent_op()
        try:
            if not (isinstance(parent, tiny.TileLoopOp) and parent.by_rows):  # a row loop verified its body first
                _verify_structure(op)
                op.verify_()
            if isinstance(op, tiny.ComputeOp):
                _check_reads_written(op, written, roots)
        except VerifyException as e:
            message = " ".join(str(e).split())  # xDSL's constraint messages span lines
            if not message.startswith(op.name):
                message = f"{op.name}: {message}"
            raise TinyIRError(f"{message} [{describe(op, index)}]") from None


def _check_reads_written(op: tiny.ComputeOp, written: set[SSAValue], roots: dict[SSAValue, SSAValue]) -> None:
    """An op may read a function argument, a constant, or a buffer an op
    wrote before it: what an allocated buffer holds before any write is
    whatever the arena held there, and --arena-alloc may change it."""
    for value in op.ins:
        root = roots.get(value) or tiny.view_root(value)
        if isinstance(root.owner, tiny.AllocOp) and root not in written:
            raise VerifyException(f"{op.name} reads %{root.name_hint or '?'} before any operation writes it")
    written.update(roots.get(v) or tiny.view_root(v) for v in (op.out, op.acc) if v is not None)  # an accumulator: its first tile writes it


def _verify_structure(op: Operation) -> None:
    """What xDSL's Operation.verify checks besides verify_: terminators; and
    what tinyir adds: functions take and return buffers."""
    block = op.parent_block()
    parent = op.parent_op()
    if block is not None and block.last_op is op and parent is not None:
        if not parent.has_trait(NoTerminator) and not op.has_trait(IsTerminator):
            raise VerifyException(f"the body of {parent.name} must end with a terminator, not {op.name}")
    if isinstance(op, func.FuncOp):
        from tinyir.dialects.tiny import BufferType

        types = (*op.function_type.inputs.data, *op.function_type.outputs.data)
        if not all(isinstance(t, BufferType) for t in types):
            raise VerifyException(f"func.func @{op.sym_name.data}: arguments and results must be !tiny.buffer types")
        for i, t in enumerate(op.function_type.inputs.data):
            try:
                t.verify_activation()
            except VerifyException as e:
                raise VerifyException(f"func.func @{op.sym_name.data}: argument #{i}: {e}") from None
        for arg, streamed in zip(op.body.block.args, tiny.streamed_arguments(op)):
            if streamed and any(not isinstance(use.operation, tiny.ReadRowsOp) for use in arg.uses):
                where = f"func.func @{op.sym_name.data}: argument #{arg.index}"
                raise VerifyException(f"{where} is streamed ({tiny.STREAM}): only tiny.read_rows reads it")
