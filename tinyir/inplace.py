"""In-place elementwise ops: write the output over an input that dies there.

`%y = tiny.alloc; tiny.add %a, %b -> %y` becomes
`%y = tiny.reshape %a : <type of %y>; tiny.add %a, %b -> %y` when %a's buffer
is read for the last time by the add and has the same shape and element type
as %y. Liveness then sees one buffer where there were two, and the step's live
bytes drop by the size of %y. The view takes %y's quantization: a reshape may
change it, as TFLite's RESHAPE does.

Which ops may run in place: those whose kernel reads element i of its inputs
before it writes element i of its output and never reads element j < i again,
so that output and input may be the same memory, index for index:

- tiny.add, tiny.mul without broadcasting: arm_elementwise_add_s8 /
  arm_elementwise_mul_s8 (C, DSP: 4 elements loaded then stored; MVE: 16-lane
  loads then stores) and the portable loops. With broadcasting an input
  element is read again for later outputs, so never in place.
- tiny.logistic, tiny.hard_swish: portable C, one element at a time.
- tiny.quantize int8 -> int8 (requantize): one element at a time; float -> int8
  changes the byte size and is left alone.
- tiny.clamp (the fused activation, when the dialect has it).

Not in place: softmax (arm_softmax_s8 reads a whole row three times; its last
pass happens to read before it writes, but that is not a documented contract),
pooling, mean, pad, concat, transpose (output element i depends on other
input elements), dequantize (the output is 4x larger), and the convolutions
(the in-place depthwise convolution of the issue is not done here).

The input must not be a model output (it is still needed after the op). A
function argument may be overwritten: the model's input dies like any buffer,
as in TFLite Micro, whose planner reuses the input's memory.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.ir import Block, Operation, SSAValue

from tinyir.dialects import tiny
from tinyir.liveness import Liveness, analyze_block, buffer_root


def _elementwise_ops() -> tuple[type[tiny.ComputeOp], ...]:
    ops: list[type[tiny.ComputeOp]] = [tiny.AddOp, tiny.MulOp, tiny.LogisticOp, tiny.HardSwishOp, tiny.QuantizeOp]
    clamp = getattr(tiny, "ClampOp", None)  # added with --fuse
    if clamp is not None:
        ops.append(clamp)
    return tuple(ops)


def _same_layout(a: SSAValue, b: SSAValue) -> bool:
    ta, tb = tiny.buffer_type(a), tiny.buffer_type(b)
    return ta.shape == tb.shape and ta.element_type == tb.element_type


def _returned_roots(block: Block) -> set[SSAValue]:
    terminator = block.last_op
    if not isinstance(terminator, func.ReturnOp):
        return set()
    return {root for v in terminator.arguments if (root := buffer_root(v)) is not None}


def _input_to_overwrite(op: tiny.ComputeOp, step: int, liveness: Liveness, returned: set[SSAValue]) -> SSAValue | None:
    """The input of `op` whose buffer its output may take over, if any."""
    if not isinstance(op, _elementwise_ops()) or not isinstance(op.out.owner, tiny.AllocOp):
        return None
    if not all(_same_layout(x, op.out) for x in op.ins):  # no broadcasting, same element type
        return None
    out = liveness.buffer_of(op.out)
    if out is None or out.first != step:  # written or read before this op
        return None
    for x in op.ins:
        root = buffer_root(x)
        buffer = liveness.buffer_of(x)
        if root is None or buffer is None or root in returned or root is out.value:
            continue
        if buffer.last == step:
            return x
    return None


def _insertion_point(block: Block, alloc: tiny.AllocOp, source: SSAValue) -> Operation | None:
    """Where the view replacing `alloc` goes: after `source` is defined and
    before every use of the alloc; None if no such place."""
    index = {op: i for i, op in enumerate(block.ops)}
    anchor = alloc
    if isinstance(source.owner, Operation) and index[source.owner] > index[alloc]:
        anchor = source.owner.next_op
    if anchor is None:
        return None
    first_use = min(index[use.operation] for use in alloc.result.uses)
    return anchor if index[anchor] <= first_use else None


def alias_elementwise(block: Block) -> int:
    """Rewrite elementwise outputs as views of a dying input; returns how many."""
    rewritten = 0
    liveness = analyze_block(block)
    step = 0
    while step < len(liveness.steps):
        op = liveness.steps[step]
        source = _input_to_overwrite(op, step, liveness, _returned_roots(block))
        if source is not None:
            alloc = op.out.owner
            assert isinstance(alloc, tiny.AllocOp)
            anchor = _insertion_point(block, alloc, source)
            if anchor is not None:
                view = tiny.ReshapeOp(source, tiny.buffer_type(alloc.result))
                view.result.name_hint = alloc.result.name_hint
                block.insert_op_before(view, anchor)
                alloc.result.replace_all_uses_with(view.result)
                alloc.detach()
                alloc.erase()
                rewritten += 1
                liveness = analyze_block(block)  # the input now lives as long as the output
        step += 1
    return rewritten
