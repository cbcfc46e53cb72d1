"""In-place ops: write the output over an input that dies there.

In place is structural: an op runs in place when its output is a view of the
buffer its input lives in (`buffer_root(op.out) is buffer_root(op.ins[0])`);
no attribute says so. Three kinds: elementwise ops (always, option `inplace`
of --arena-alloc), depthwise convolutions (option `inplace-depthwise`, only
where it lowers the peak) and row loops (option `inplace-rows`).

A view takes the first bytes of its source; once the source is dead, only
the bytes of the views still live count (tinyir.analysis.liveness, `Buffer.extents`),
so a smaller output in a larger input's buffer holds its own bytes only.

## Elementwise ops

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
- tiny.sub, tiny.squared_difference, tiny.prelu, and tiny.minimum /
  tiny.maximum without broadcasting: the portable loops, one element at a
  time; arm_minimum_s8 / arm_maximum_s8 load before they store, as add's.
- tiny.logistic, tiny.tanh, tiny.hard_swish, tiny.leaky_relu: portable C, one
  element at a time.
- tiny.quantize int8 -> int8 (requantize): one element at a time; float -> int8
  changes the byte size and is left alone.
- tiny.clamp (the fused activation, when the dialect has it).

Not in place: softmax (arm_softmax_s8 reads a whole row three times; its last
pass happens to read before it writes, but that is not a documented contract),
pooling, mean, pad, concat, transpose (output element i depends on other
input elements), dequantize (the output is 4x larger), and the convolutions
(but see the depthwise convolution below).

The input must not be a model output (it is still needed after the op). A
function argument may be overwritten: the model's input dies like any buffer,
as in TFLite Micro, whose planner reuses the input's memory.

## Depthwise convolution, one channel at a time

`%y = tiny.alloc; tiny.depthwise_conv_2d %x, %w, %b -> %y` becomes
`%y = tiny.view %x : <type of %y>; %t = tiny.alloc : !tiny.buffer<{in_h*in_w}xi8>;
tiny.depthwise_conv_2d %x, %w, %b -> %y scratch %t`: the output takes the first
out_h*out_w*C bytes of the input's buffer (`tiny.view`, which may be smaller
than its source: a stride-2 output is a quarter of its input). Such an op runs
no CMSIS-NN kernel; its own kernel does, for c = 0 .. C-1: copy input channel
c (in_h*in_w bytes, stride C) into the temporary %t, then compute output
channel c from %t and the weights and write it into the shared buffer.

Why this is safe, when the depth multiplier is 1 (C_out = C_in = C), the batch
is 1 and out_h*out_w <= in_h*in_w. In NHWC, input pixel p, channel c is the
byte p*C + c (p < in_h*in_w) and output pixel q, channel c the byte q*C + c
(q < out_h*out_w). Output channel c therefore lands only on bytes = c (mod C)
below out_h*out_w*C <= in_h*in_w*C: bytes that held input channel c, which is
already saved in %t. Bytes = c' (mod C) for c' > c are not touched before
channel c' runs, so each channel is copied out intact; the output of channel c
depends only on %t and constants. The bytes from out_h*out_w*C on keep stale
input and are dead. With a multiplier m > 1, output channel c*m + k lands on
bytes = c*m + k (mod C*m), over input channels not yet saved: never in place.

The temporary is counted honestly: it is the op's `scratch` (tinyir.analysis.scratch
sizes it in_h*in_w bytes for an in-place depthwise conv, instead of CMSIS-NN's
wrapper scratch). It is not always a win: the temporary may outweigh the
output's bytes (stride 2 with fewer than 4 channels). So `alias_depthwise`
tries the eligible ops greedily in schedule order and keeps a rewrite only if
the peak of live bytes (scratch included, each buffer rounded up to the
arena's alignment) does not increase.

Eligible: a batch-1 int8 depthwise conv with multiplier 1 and
out_h*out_w <= in_h*in_w, whose input buffer is a `tiny.alloc` (not a function
argument: the caller's input stays as given), is read for the last time by
this op and is not returned, and whose output is a plain `tiny.alloc` written
first by this op and not returned (a model output is live to the end, where
keeping the larger input buffer rarely pays, and it stays a buffer of its own).

## Row loops

A row loop (`tiny.tile_loop ... rows`) reads its inputs top to bottom and
writes its outputs top to bottom, so an output may go into the buffer of an
input that dies in the loop: its rows land on input rows already read. The
loop's verifier (`tiny.overwrite_conflict`) proves it band by band for the
view, so `alias_row_outputs` only proposes views and keeps those that verify
and do not raise the peak. It takes the model's input too: the C code and the
executor copy it into the arena first, as for elementwise ops. The search for
row regions (`tinyir.passes.partial_exec.rows`) counts the same choice.
"""

from __future__ import annotations

import numpy as np
from xdsl.ir import Block, Operation, SSAValue
from xdsl.utils.exceptions import VerifyException

from tinyir.analysis.liveness import (
    Liveness,
    add_live_bytes,
    analyze_block,
    dying_row_inputs,
    enclosing_loop,
    fits_in,
    merged,
    returned_roots,
)
from tinyir.analysis.scratch import inplace_depthwise_scratch_bytes, is_inplace_depthwise, new_scratch, set_scratch
from tinyir.dialects import tiny


def _elementwise_ops() -> tuple[type[tiny.ComputeOp], ...]:
    ops: list[type[tiny.ComputeOp]] = [tiny.AddOp, tiny.MulOp, tiny.LogisticOp, tiny.HardSwishOp, tiny.QuantizeOp,
                                       tiny.SubOp, tiny.MinimumOp, tiny.MaximumOp, tiny.SquaredDifferenceOp,
                                       tiny.PReluOp, tiny.TanhOp, tiny.LeakyReluOp]
    clamp = getattr(tiny, "ClampOp", None)  # added with --fuse
    if clamp is not None:
        ops.append(clamp)
    return tuple(ops)


def _same_layout(a: SSAValue, b: SSAValue) -> bool:
    ta, tb = tiny.buffer_type(a), tiny.buffer_type(b)
    return ta.shape == tb.shape and ta.element_type == tb.element_type


def _input_to_overwrite(op: tiny.ComputeOp, step: int, liveness: Liveness, returned: set[SSAValue]) -> SSAValue | None:
    """The input of `op` whose buffer its output may take over, if any."""
    if not isinstance(op, _elementwise_ops()) or not isinstance(op.out.owner, tiny.AllocOp):
        return None
    if enclosing_loop(op) is not None:  # tile buffers: left to partial execution
        return None
    if not all(_same_layout(x, op.out) for x in op.ins):  # no broadcasting, same element type
        return None
    out = liveness.buffer_of(op.out)
    if out is None or out.first != step:  # written or read before this op
        return None
    for x in op.ins:
        root = liveness.root_of(x)
        buffer = liveness.buffer_of(x)
        if root is None or buffer is None or root in returned or root is out.value:
            continue
        if buffer.last == step:
            return x
    return None


def _insertion_point(block: Block, alloc: tiny.AllocOp, source: SSAValue) -> Operation | None:
    """Where the view replacing `alloc` goes: after `source` is defined and
    before every use of the alloc; None if no such place."""
    owner = source.owner
    if not (isinstance(owner, Operation) and _precedes(alloc, owner)):
        return alloc  # every use of the alloc follows it
    anchor = owner.next_op
    if anchor is None:
        return None
    for use in alloc.result.uses:
        user = block.find_ancestor_op_in_block(use.operation)
        if user is not anchor and _precedes(user, anchor):
            return None
    return anchor


def _precedes(a: Operation, b: Operation) -> bool:
    """Whether `a` comes before `b` in their block: a walk out from `a` both
    ways as far as `b` (they are near each other; a deep model's block is long)."""
    later, earlier = a.next_op, a.prev_op
    while later is not None or earlier is not None:
        if later is b:
            return True
        if earlier is b:
            return False
        later = later.next_op if later is not None else None
        earlier = earlier.prev_op if earlier is not None else None
    return False


def alias_elementwise(block: Block) -> int:
    """Rewrite elementwise outputs as views of a dying input; returns how many."""
    rewritten = 0
    liveness = analyze_block(block)
    step = 0
    while step < len(liveness.steps):
        op = liveness.steps[step]
        source = _input_to_overwrite(op, step, liveness, returned_roots(block, liveness))
        if source is not None:
            alloc = op.out.owner
            assert isinstance(alloc, tiny.AllocOp)
            anchor = _insertion_point(block, alloc, source)
            if anchor is not None:
                view = tiny.ReshapeOp(source, tiny.buffer_type(alloc.result))
                view.result.name_hint = alloc.result.name_hint
                block.insert_op_before(view, anchor)
                alloc.result.replace_all_uses_with(view.result)
                root = liveness.root_of(source)
                # The input's buffer now holds the output too: only these two buffers change.
                moved = merged(liveness.buffer_of(root), liveness.buffer_of(alloc.result))
                liveness = liveness.with_buffers({root: moved, alloc.result: None})
                alloc.detach()
                alloc.erase()
                rewritten += 1
        step += 1
    return rewritten


# -- depthwise convolution ------------------------------------------------------


def depthwise_in_place_eligible(op: tiny.ComputeOp, step: int, liveness: Liveness, returned: set[SSAValue]) -> bool:
    """Whether depthwise conv `op` (step `step`) may write into its input's
    buffer; the module docstring says why these conditions."""
    if not isinstance(op, tiny.DepthwiseConv2DOp) or is_inplace_depthwise(op) or enclosing_loop(op) is not None:
        return False
    x, y = op.in_type(0), op.out_type
    if x.dtype != np.int8 or y.dtype != np.int8 or x.shape[0] != 1:
        return False
    if y.shape[3] != x.shape[3]:  # depth multiplier 1
        return False
    if y.shape[1] * y.shape[2] > x.shape[1] * x.shape[2]:
        return False
    if not isinstance(op.out.owner, tiny.AllocOp):
        return False
    out = liveness.buffer_of(op.out)
    if out is None or out.first != step or out.value in returned:
        return False
    root = liveness.root_of(op.ins[0])
    source = liveness.buffer_of(op.ins[0])
    if root is None or source is None or not isinstance(root.owner, tiny.AllocOp):
        return False
    return root not in returned and source.last == step and root is not out.value


def aligned_peak(liveness: Liveness, alignment: int = 1) -> int:
    """The most bytes live at one step, each buffer rounded up to `alignment`."""
    return max(liveness.aligned_live_bytes(alignment), default=0)


def alias_depthwise(block: Block, alignment: int = 1) -> int:
    """Run eligible depthwise convolutions in place where that does not raise
    the peak of live bytes (greedily, in schedule order); returns how many."""
    rewritten = 0
    liveness = analyze_block(block)
    peak = aligned_peak(liveness, alignment)
    for step, op in enumerate(list(liveness.steps)):
        if not depthwise_in_place_eligible(op, step, liveness, returned_roots(block, liveness)):
            continue
        alloc = op.out.owner
        assert isinstance(alloc, tiny.AllocOp)
        anchor = _insertion_point(block, alloc, op.ins[0])
        if anchor is None:
            continue
        view = tiny.PrefixViewOp(op.ins[0], tiny.buffer_type(alloc.result))
        view.result.name_hint = alloc.result.name_hint
        block.insert_op_before(view, anchor)
        alloc.result.replace_all_uses_with(view.result)
        old_scratch = op.scratch
        set_scratch(op, new_scratch(block, op, inplace_depthwise_scratch_bytes(op)))
        after = analyze_block(block)
        new_peak = aligned_peak(after, alignment)
        if new_peak <= peak:  # keep it
            _erase_unused(alloc)
            if old_scratch is not None:
                _erase_unused(old_scratch.owner)
            liveness, peak = after, new_peak
            rewritten += 1
        else:  # undo
            temporary = op.scratch
            set_scratch(op, old_scratch)
            _erase_unused(temporary.owner)
            view.result.replace_all_uses_with(alloc.result)
            _erase_unused(view)
    return rewritten


def _erase_unused(op: Operation) -> None:
    if isinstance(op, (tiny.AllocOp, tiny.ViewOp)) and not op.result.uses:
        op.detach()
        op.erase()


# -- row loops ------------------------------------------------------------------


def alias_row_outputs(block: Block, alignment: int = 1) -> int:
    """Let row loops write an output into the buffer of an input that dies in
    the loop (the output a `tiny.view` of it), where the loop's verifier finds
    that no band writes over rows still to be read (tinyir.dialects.tiny.rows)
    and the peak of live bytes does not rise; returns how many."""
    rewritten = 0
    liveness = analyze_block(block)
    live = liveness.aligned_live_bytes(alignment)
    peak = max(live, default=0)
    returned = returned_roots(block)
    for loop in [op for op in block.ops if isinstance(op, tiny.TileLoopOp) and op.by_rows]:
        ops = [op for op in loop.body.block.ops if isinstance(op, tiny.ComputeOp)]
        local = {op.result for op in loop.body.block.ops if isinstance(op, tiny.AllocOp)}
        outputs = [op.out for op in ops if isinstance(op.out.owner, tiny.AllocOp) and op.out not in local]
        for y in outputs:
            if y in returned:
                continue
            alloc = y.owner
            for x in dying_row_inputs(ops, local, liveness, returned):
                view = _write_over(block, loop, alloc, x)
                if view is None:
                    continue
                # Only x's buffer and y's (now in it) change: their live bytes, not the body's, are counted again.
                changed = {x: merged(liveness.buffer_of(x), liveness.buffer_of(y)), y: None}
                trial = list(live)
                for root, new in changed.items():
                    add_live_bytes(trial, liveness.buffer_of(root), alignment, -1)
                    if new is not None:
                        add_live_bytes(trial, new, alignment)
                if max(trial, default=0) <= peak:  # keep it
                    _erase_unused(alloc)
                    liveness, live, peak = liveness.with_buffers(changed), trial, max(trial, default=0)
                    rewritten += 1
                    break
                view.result.replace_all_uses_with(alloc.result)
                _erase_unused(view)
    return rewritten


def _write_over(block: Block, loop: tiny.TileLoopOp, alloc: tiny.AllocOp, source: SSAValue) -> tiny.PrefixViewOp | None:
    """Make the uses of `alloc` use a view of `source` instead if it fits and
    the loop still verifies: the view; None (nothing changed) otherwise."""
    t = tiny.buffer_type(alloc.result)
    if not fits_in(alloc.result, source):
        return None
    anchor = _insertion_point(block, alloc, source)
    if anchor is None:
        return None
    view = tiny.PrefixViewOp(source, t)
    view.result.name_hint = alloc.result.name_hint
    block.insert_op_before(view, anchor)
    alloc.result.replace_all_uses_with(view.result)
    try:
        tiny.row_schedule(loop)
    except VerifyException:
        view.result.replace_all_uses_with(alloc.result)
        _erase_unused(view)
        return None
    return view
