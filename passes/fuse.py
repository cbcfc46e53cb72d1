"""`fuse`: fold explicit PADs into the convolution that reads them, and
standalone clamps (TFLite's RELU, RELU6, RELU_N1_TO_1) into the op that
produces their input. Both rewrites keep the output bit for bit and remove an
intermediate buffer, which is often the one that sets the peak (MCUNet's PADs).

PAD into conv_2d / depthwise_conv_2d
------------------------------------
TFLite's convolutions skip taps outside the image, which is the same as
reading the input zero point there (input_offset = -zero_point). So a PAD of
H and W with the consumer's input zero point is the convolution's own padding:

    %p = tiny.alloc : !tiny.buffer<1x18x18x8xi8, 0.02:-128>
    tiny.pad %x -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = -128 : i64}
    %y = tiny.alloc : !tiny.buffer<1x8x8x8xi8, 0.05:-3>
    tiny.depthwise_conv_2d %p, %w, %b -> %y {stride = array<i64: 2, 2>,
        dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -3, 127>}

becomes

    %y = tiny.alloc : !tiny.buffer<1x8x8x8xi8, 0.05:-3>
    tiny.depthwise_conv_2d %x, %w, %b -> %y {stride = array<i64: 2, 2>,
        dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -3, 127>}

The output size is unchanged: (H + pad_top + pad_bottom + top + bottom - k) / s
is the same sum either way. Conditions: the PAD's output is read by that one
op alone, as its input; only dimensions 1 and 2 (H, W of NHWC) are padded;
the pad value is the consumer's input zero point. Pools are left alone:
TFLite's average pool divides by the number of in-image taps (padding is not
counted), and a max pool would see the pad value where it now sees nothing.

clamp into its producer
-----------------------
A `tiny.clamp` with equal input and output quantization requantizes by
exactly 1 (tinyir.numerics.quantization.is_identity_requantization), so it only
clamps; an op with a `clamp` property (conv, depthwise, fully connected, add,
mul, pools, clamp) clamps its result as its last step. Two clamps in a row are
one: [lo1, hi1] then [lo2, hi2] is [clip(lo1, lo2, hi2), clip(hi1, lo2, hi2)],
the intersection when the ranges overlap (and the right constant when not):

    %c = tiny.alloc : !tiny.buffer<1x8x8x16xi8, 0.05:-3>
    tiny.conv_2d %x, %w, %b -> %c {..., clamp = array<i64: -128, 127>}
    %r = tiny.alloc : !tiny.buffer<1x8x8x16xi8, 0.05:-3>
    tiny.clamp %c -> %r {clamp = array<i64: -3, 117>}

becomes

    %r = tiny.alloc : !tiny.buffer<1x8x8x16xi8, 0.05:-3>
    tiny.conv_2d %x, %w, %b -> %r {..., clamp = array<i64: -3, 117>}

Conditions: the producer's output is read by the clamp alone, and nothing
between the two ops touches the clamp's output buffer (the producer now
writes it earlier; its `tiny.alloc` moves up in front of the producer).

Both rewrites change which buffers are live when, so the pass refuses IR that
--arena-alloc has already placed (it comes last in a pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint

from tinyir.analysis.liveness import buffer_root
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.numerics.quantization import is_identity_requantization
from tinyir.passes import TinyPass

# ---------------------------------------------------------------------------
# Who reads and writes a buffer
# ---------------------------------------------------------------------------


def _only_writer_and_reader(buffer: SSAValue) -> tuple[tiny.ComputeOp, tiny.ComputeOp] | None:
    """(writer, reader) when `buffer` is written by one compute op (as its
    output), read by one (as an input), and used by nothing else: no view, no
    second reader, not returned. None otherwise."""
    writers, readers = [], []
    for use in buffer.uses:
        op = use.operation
        if not isinstance(op, tiny.ComputeOp):
            return None
        if use.index < len(op.ins):
            readers.append(op)
        elif use.index == len(op.ins):
            writers.append(op)
        else:
            return None  # a scratch buffer
    if len(writers) != 1 or len(readers) != 1 or writers[0] is readers[0]:
        return None
    return writers[0], readers[0]


def _ops_between(first: Operation, last: Operation) -> list[Operation] | None:
    """The ops strictly between `first` and `last` in one block, None if
    `last` does not come after `first` there."""
    if first.parent_block() is not last.parent_block() or not first.is_before_in_block(last):
        return None
    between = []
    op = first.next_op
    while op is not last:
        assert op is not None
        between.append(op)
        op = op.next_op
    return between


def _touches(op: Operation, root: SSAValue, *, writes_only: bool = False) -> bool:
    """Whether compute op `op` reads or writes (or, with `writes_only`, writes)
    the SRAM buffer `root`, directly or through a view."""
    if not isinstance(op, tiny.ComputeOp):
        return False
    values = [op.out, *([op.scratch] if op.scratch is not None else [])]
    if not writes_only:
        values += list(op.ins)
    return any(buffer_root(v) is root for v in values)


def _erase_if_dead_alloc(value: SSAValue | None, rewriter: PatternRewriter) -> None:
    if value is not None and isinstance(value.owner, tiny.AllocOp) and not value.uses:
        rewriter.erase(value.owner)


def _with_operands_and_props(op: tiny.ComputeOp, operands: list[SSAValue], **props) -> tiny.ComputeOp:
    """A copy of `op` with other operands (same segment sizes) and some properties replaced."""
    return type(op).create(
        operands=operands,
        properties={**op.properties, **props},
        attributes=dict(op.attributes),
    )


# ---------------------------------------------------------------------------
# The rewrites
# ---------------------------------------------------------------------------


class FusePadIntoConv(RewritePattern):
    """`tiny.pad` of H and W with the zero point -> the conv's `pad` property."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, pad: tiny.PadOp, rewriter: PatternRewriter) -> None:
        padded = pad.out
        pair = _only_writer_and_reader(padded)
        if pair is None or not isinstance(padded.owner, tiny.AllocOp):
            return
        conv = pair[1]
        if not isinstance(conv, tiny.Conv2DOp | tiny.DepthwiseConv2DOp) or conv.ins[0] is not padded:
            return
        paddings = pad.ints("paddings")
        if len(paddings) != 8 or any(paddings[i] for i in (0, 1, 6, 7)):
            return  # not NHWC, or pads the batch or the channels
        x_q = conv.in_type(0).quant  # None: a float conv, whose padding is 0.0
        if pad.value.value.data != (x_q.zero_point[0] if x_q is not None else 0):
            return
        source = pad.ins[0]
        between = _ops_between(pad, conv)
        if between is None:
            return
        root = buffer_root(source)  # None for a constant: never overwritten
        if root is not None and any(_touches(op, root, writes_only=True) for op in [*between, conv]):
            return  # the conv would read the source after it was overwritten (or while writing it)
        top, bottom, left, right = conv.ints("pad")
        fused = (top + paddings[2], bottom + paddings[3], left + paddings[4], right + paddings[5])
        rewriter.replace(conv, _with_operands_and_props(conv, [source, *conv.operands[1:]], pad=tiny.i64_array(fused)))
        scratch = pad.scratch
        rewriter.erase(pad)
        _erase_if_dead_alloc(padded, rewriter)
        _erase_if_dead_alloc(scratch, rewriter)


class FuseClampIntoProducer(RewritePattern):
    """`tiny.clamp` without requantization -> the producer's `clamp` property."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, clamp: tiny.ClampOp, rewriter: PatternRewriter) -> None:
        middle, target = clamp.ins[0], clamp.out
        x_q, y_q = clamp.in_type(0).quant, clamp.out_type.quant
        if x_q is None or y_q is None or not is_identity_requantization(x_q, y_q):
            return  # float clamps keep their own op
        pair = _only_writer_and_reader(middle)
        if pair is None or not isinstance(middle.owner, tiny.AllocOp) or middle.type != target.type:
            return
        producer = pair[0]
        if "clamp" not in producer.properties:
            return
        between = _ops_between(producer, clamp)
        root = buffer_root(target)
        if between is None or root is None or any(_touches(op, root) for op in [producer, *between]):
            return  # the producer would write the target while something else uses it
        target = self._defined_before(target, producer, rewriter)
        if target is None:
            return
        lo1, hi1 = producer.ints("clamp")
        lo2, hi2 = clamp.ints("clamp")
        composed = (min(max(lo1, lo2), hi2), min(max(hi1, lo2), hi2))
        operands = [*producer.ins, target, *([producer.scratch] if producer.scratch is not None else [])]
        rewriter.replace(producer, _with_operands_and_props(producer, operands, clamp=tiny.i64_array(composed)))
        scratch = clamp.scratch
        rewriter.erase(clamp)
        _erase_if_dead_alloc(middle, rewriter)
        _erase_if_dead_alloc(scratch, rewriter)

    @staticmethod
    def _defined_before(value: SSAValue, op: Operation, rewriter: PatternRewriter) -> SSAValue | None:
        """`value`, made available to `op`: an alloc after `op` is recreated in
        front of it. None if it is some other op's result defined after `op`."""
        owner = value.owner
        if not isinstance(owner, Operation) or owner.parent_block() is not op.parent_block():
            return value  # a function argument (or defined in an enclosing block)
        if owner.is_before_in_block(op):
            return value
        if not isinstance(owner, tiny.AllocOp):
            return None
        alloc = rewriter.insert(tiny.AllocOp(owner.result.type), InsertPoint.before(op))
        alloc.result.name_hint = value.name_hint
        rewriter.replace_all_uses_with(value, alloc.result)
        rewriter.erase(owner)
        return alloc.result


# ---------------------------------------------------------------------------
# The pass
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FusePass(TinyPass):
    """Fold explicit PADs into convolutions and standalone clamps (RELU, RELU6) into their producers."""

    name = "fuse"

    pad: bool = True
    """Fold a `tiny.pad` with the zero point into the conv / depthwise conv that reads it."""

    clamp: bool = True
    """Fold a `tiny.clamp` with equal input and output quantization into the op that produces its input."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        placed = [a for a in op.walk() if isinstance(a, tiny.AllocOp) and a.offset is not None]
        if placed:
            raise TinyIRError(
                "fuse: the buffers are already placed in the arena (tiny.alloc offset); run --fuse before --arena-alloc"
            )
        patterns: list[RewritePattern] = []
        if self.pad:
            patterns.append(FusePadIntoConv())
        if self.clamp:
            patterns.append(FuseClampIntoProducer())
        if not patterns:
            return
        # The applier's dead-code elimination knows nothing of tiny's buffers: off.
        applier = GreedyRewritePatternApplier(patterns, dce_enabled=False)
        PatternRewriteWalker(applier, apply_recursively=True).rewrite_module(op)
