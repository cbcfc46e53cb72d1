"""`prune-channels`: remove output channels of layers, and the matching
input channels of everything that reads them, as a plan file says.

    # keep output channels 0..23 and 40..47 of the layer writing %conv3
    prune %conv3 keep 0..23, 40..47
    # remove output channels 8 and 12..15 of the layer writing %conv5
    prune %conv5 drop 8, 12..15

Ranges are inclusive; layers are named by their outputs, as tinyir prints
them (and as `--partial-exec{plan=...}` names them). For co-design
experiments: what would the arena be if these channels were gone? **The
model's outputs change by design.** What stays exact is every kept channel of
a pruned tensor, and whatever is computed from kept channels only: a
convolution or fully connected layer reading a pruned tensor loses those
terms of its sums, so from there on values differ.

A pruned layer is a convolution, a depthwise convolution or a fully
connected layer. Channels are tied where an op maps channel c to channel c:
depthwise convolutions (depth multiplier 1), elementwise ops, pools, pads,
clamps and activations, spatial means, and the inputs of an ADD or MUL of
the output's depth: a residual stream loses the same channels in every block
it passes through, back to the layers that write it. A concatenation keeps
the channels of its other inputs. Pruning stops at the input of a
convolution or fully connected layer (its filter loses those input
channels; a flatten of NHWC rows into a fully connected layer too). It is an
error where it would change a model input or output, or cross an op that
mixes channels otherwise (softmax, transpose, other reshapes). Runs before
--partial-exec and --arena-alloc.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseArrayBase, ModuleOp
from xdsl.ir import Block, BlockArgument, SSAValue

from tinyir.analysis.arena import require_unallocated
from tinyir.analysis.liveness import main_function
from tinyir.analysis.names import value_names
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.numerics.quantization import QParams
from tinyir.passes import TinyPass
from tinyir.passes.plan_files import plan_entries, plan_parser, read_plan

_PARSER = plan_parser(r"""
    plan: entry*
    entry: "prune" VALUE MODE channels
    MODE: "keep" | "drop"
    channels: span ("," span)*
    span: INT [".." INT]
""")


@dataclass(frozen=True)
class Prune:
    """`prune %layer keep|drop CHANNELS`, and where it was written."""

    layer: str
    keep: bool
    channels: tuple[int, ...]
    where: str


def parse_prune_plan(text: str, source: str = "<plan>") -> list[Prune]:
    """The entries of a pruning plan; a syntax error names the line and column."""
    entries = []
    for entry in plan_entries(_PARSER, text, source, "prune %layer keep|drop 0..7, 9"):
        value, mode, spans = entry.children
        where = f"{source}:{value.line}:{value.column}"
        channels: list[int] = []
        for span in spans.children:
            first, last = int(span.children[0]), int(span.children[1] if span.children[1] is not None else span.children[0])
            if last < first:
                raise TinyIRError(f"{where}: empty range {first}..{last}")
            if last - first >= 1 << 20:
                raise TinyIRError(f"{where}: range {first}..{last} is longer than any layer")
            channels.extend(range(first, last + 1))
        entries.append(Prune(str(value)[1:], str(mode) == "keep", tuple(channels), where))
    return entries


# Ops whose output channel c is computed from channel c of each input of the
# output's depth alone.
_CHANNELWISE = (
    tiny.BinaryOp,
    tiny.PoolOp,
    tiny.LogisticOp,
    tiny.TanhOp,
    tiny.HardSwishOp,
    tiny.LeakyReluOp,
    tiny.ClampOp,
    tiny.QuantizeOp,
    tiny.DequantizeOp,
)
# Layers whose output channels can be pruned by slicing their filter.
LAYERS = (tiny.Conv2DOp, tiny.DepthwiseConv2DOp, tiny.FullyConnectedOp)


class _Pruning:
    """Which channels every tensor keeps, found by following ties from the
    pruned layers; then the rewrite."""

    def __init__(self, block: Block):
        self.block = block
        self.names = value_names(block)
        self.ops = [op for op in block.ops if isinstance(op, tiny.ComputeOp)]
        self.writer = {op.out: op for op in self.ops}
        self.returned = {v for op in block.ops if isinstance(op, func.ReturnOp) for v in op.operands}
        self.kept: dict[SSAValue, tuple[int, ...]] = {}
        self.out_channels: dict[tiny.ComputeOp, tuple[int, ...]] = {}  # filters losing output channels
        self.in_channels: dict[tiny.ComputeOp, tuple[int, ...]] = {}  # filters losing input channels
        self.flattens: dict[tiny.ReshapeOp, int] = {}  # flatten views: their new element count
        self.queue: deque[SSAValue] = deque()
        self.why = ""

    def name(self, value: SSAValue) -> str:
        return f"%{self.names.get(value, '?')}"

    def fail(self, message: str) -> TinyIRError:
        return TinyIRError(f"{self.why}: {message}")

    # -- following the ties ------------------------------------------------------

    def prune(self, entry: Prune, producers: dict[str, tiny.ComputeOp]) -> None:
        self.why = f"{entry.where}: pruning %{entry.layer}"
        op = producers.get(entry.layer)
        if op is None:
            raise TinyIRError(f"{entry.where}: no op writes %{entry.layer}")
        if not isinstance(op, LAYERS):
            raise self.fail(f"{op.name} is not a convolution, depthwise convolution or fully connected layer")
        depth = op.out_type.shape[-1]
        outside = [c for c in entry.channels if c >= depth]
        if outside:
            raise self.fail(f"channel {outside[0]} is out of range: the layer has {depth} output channels")
        chosen = set(entry.channels)
        keep = tuple(c for c in range(depth) if (c in chosen) == entry.keep)
        if not keep:
            raise self.fail("it would keep no channel")
        self.assign(op.out, keep)
        while self.queue:
            value = self.queue.popleft()
            self._backward(value)
            self._forward(value)

    def assign(self, value: SSAValue, keep: tuple[int, ...]) -> None:
        if isinstance(value.owner, tiny.ViewOp):
            raise self.fail(f"cannot prune through {value.owner.name} {self.name(value)}")
        old = self.kept.get(value)
        if old == keep or old is None and keep == tuple(range(tiny.buffer_type(value).shape[-1])):
            return  # nothing new: the same channels, or all of them
        if old is not None and not isinstance(self.writer.get(value), tiny.ConcatOp):
            raise self.fail(f"{self.name(value)} would keep channels {_spans(old)} and {_spans(keep)}")
        if isinstance(value, BlockArgument):
            raise self.fail(f"it would remove channels of the model input {self.name(value)}")
        if value in self.returned:
            raise self.fail(f"it would remove channels of the model output {self.name(value)}")
        self.kept[value] = keep
        self.queue.append(value)

    def _tied_inputs(self, op: tiny.ComputeOp) -> list[SSAValue]:
        """The inputs of `op` whose channel c makes its output channel c; raise
        where it mixes channels in another way."""
        depth = op.out_type.shape[-1]
        if isinstance(op, _CHANNELWISE) or isinstance(op, tiny.PadOp) and _pads_no_channels(op):
            return [v for v in op.ins if tiny.buffer_type(v).shape[-1] == depth]
        if isinstance(op, tiny.DepthwiseConv2DOp) and op.in_type(0).shape[-1] == depth:
            return [op.ins[0]]
        if isinstance(op, tiny.MeanOp) and len(op.in_type(0).shape) - 1 not in _axes(op, "axes"):
            return [op.ins[0]]
        raise self.fail(f"{op.name} writing {self.name(op.out)} mixes channels: it cannot be pruned through")

    def _backward(self, value: SSAValue) -> None:
        """Make the op writing `value` write only its kept channels."""
        op, keep = self.writer.get(value), self.kept[value]
        if op is None:
            return
        if isinstance(op, (tiny.Conv2DOp, tiny.FullyConnectedOp)):
            self.out_channels[op] = keep
            return
        if isinstance(op, tiny.DepthwiseConv2DOp):
            self.out_channels[op] = keep
        if isinstance(op, tiny.ConcatOp) and _axes(op, "axis") == [len(op.out_type.shape) - 1]:
            start = 0
            for v in op.ins:
                depth = tiny.buffer_type(v).shape[-1]
                part = tuple(c - start for c in keep if start <= c < start + depth)
                if not part:
                    raise self.fail(f"{op.name} {self.name(value)} would keep no channel of its input {self.name(v)}")
                self.assign(v, part)
                start += depth
            return
        for v in self._tied_inputs(op):
            self.assign(v, keep)

    def _forward(self, value: SSAValue) -> None:
        """Make every reader of `value` read only its kept channels."""
        keep = self.kept[value]
        for use in list(value.uses):
            user = use.operation
            if isinstance(user, tiny.ReshapeOp):
                self._flatten(user, keep)
            elif isinstance(user, func.ReturnOp):
                raise self.fail(f"it would remove channels of the model output {self.name(value)}")
            elif isinstance(user, tiny.ComputeOp) and value in user.ins:
                self._reader(user, value, keep)
            elif not (isinstance(user, tiny.ComputeOp) and value is user.out):
                raise self.fail(f"{user.name} reads {self.name(value)} in a way that cannot be pruned")

    def _reader(self, op: tiny.ComputeOp, value: SSAValue, keep: tuple[int, ...]) -> None:
        if isinstance(op, tiny.Conv2DOp) and op.ins[0] is value:
            if op.in_type(1).shape[3] != op.in_type(0).shape[3]:
                raise self.fail(f"{op.name} writing {self.name(op.out)} is a grouped convolution")
            self.in_channels[op] = keep
        elif isinstance(op, tiny.FullyConnectedOp) and op.ins[0] is value:
            self.in_channels[op] = keep
        elif isinstance(op, tiny.ConcatOp) and _axes(op, "axis") == [len(op.out_type.shape) - 1]:
            combined, start = [], 0
            for v in op.ins:
                depth = tiny.buffer_type(v).shape[-1]
                combined += [start + c for c in self.kept.get(v, range(depth))]
                start += depth
            self.assign(op.out, tuple(combined))
        else:
            tied = self._tied_inputs(op)
            if value not in tied:
                raise self.fail(f"{op.name} writing {self.name(op.out)} reads {self.name(value)} in a way that cannot be pruned")
            self.assign(op.out, keep)
            for v in tied:
                self.assign(v, keep)

    def _flatten(self, view: tiny.ReshapeOp, keep: tuple[int, ...]) -> None:
        """A flatten of NHWC rows (channels last) read only by fully
        connected layers: each loses the columns of the removed channels, at
        every position of a row."""
        depth, flat = tiny.buffer_type(view.source).shape[-1], tiny.buffer_type(view.result)
        readers = [u.operation for u in view.result.uses]
        if not readers or flat.shape[-1] % depth or not all(
            isinstance(r, tiny.FullyConnectedOp) and r.ins[0] is view.result for r in readers
        ):
            raise self.fail(f"cannot prune through tiny.reshape {self.name(view.result)} (only a flatten into fully connected layers)")
        columns = tuple(p * depth + c for p in range(flat.shape[-1] // depth) for c in keep)
        self.flattens[view] = len(columns)
        for reader in readers:
            self.in_channels[reader] = columns

    # -- the rewrite -------------------------------------------------------------

    def rewrite(self) -> None:
        for value, keep in self.kept.items():
            alloc = value.owner
            assert isinstance(alloc, tiny.AllocOp)
            new = tiny.AllocOp(_sliced_type(tiny.buffer_type(value), keep))
            new.result.name_hint = value.name_hint
            self.block.insert_op_before(new, alloc)
            value.replace_all_uses_with(new.result)
            alloc.detach()
            alloc.erase()
        for view, columns in self.flattens.items():
            t = tiny.buffer_type(view.result)
            new = tiny.ReshapeOp(view.source, t.with_shape((*t.shape[:-1], columns)))
            new.result.name_hint = view.result.name_hint
            self.block.insert_op_before(new, view)
            view.result.replace_all_uses_with(new.result)
            view.detach()
            view.erase()
        for op in {*self.out_channels, *self.in_channels}:
            weights = list(op.ins)
            w = weights[1]
            if op in self.out_channels:
                w = self._sliced_const(op, w, op.FILTER_OUT_AXIS, self.out_channels[op])
                if len(weights) == 3:
                    weights[2] = self._sliced_const(op, weights[2], 0, self.out_channels[op])
            if op in self.in_channels:
                w = self._sliced_const(op, w, op.FILTER_IN_AXIS, self.in_channels[op])
            weights[1] = w
            for i, v in enumerate(weights):
                op.operands[i] = v
        for op in self.block.ops:  # filters no longer read
            if isinstance(op, tiny.ConstOp) and not op.result.uses:
                op.detach()
                op.erase()

    def _sliced_const(self, op: tiny.ComputeOp, value: SSAValue, axis: int, keep: Sequence[int]) -> SSAValue:
        const = value.owner
        if not isinstance(const, tiny.ConstOp):
            raise self.fail(f"{op.name} writing {self.name(op.out)} has weights that are not constants")
        t = _sliced_type(tiny.buffer_type(value), keep, axis)
        new = tiny.ConstOp.from_array(np.take(const.as_array(), list(keep), axis=axis), t)
        new.result.name_hint = value.name_hint
        self.block.insert_op_before(new, const)
        return new.result


def _axes(op: tiny.ComputeOp, name: str) -> list[int]:
    """An op's `axes` (array) or `axis` (integer) property as a list, negative axes normalized."""
    rank = len(op.in_type(0).shape)
    attr = op.properties[name]
    values = tiny.int_values(attr) if isinstance(attr, DenseArrayBase) else [attr.value.data]
    return [a % rank for a in values]


def _pads_no_channels(op: tiny.PadOp) -> bool:
    return list(tiny.int_values(op.paddings)[-2:]) == [0, 0]


def _sliced_type(t: tiny.BufferType, keep: Sequence[int], axis: int = -1) -> tiny.BufferType:
    """`t` with only the `keep` indices of `axis` (per-channel scales along it too)."""
    axis %= len(t.shape)
    shape = list(t.shape)
    shape[axis] = len(keep)
    q = t.quant
    if q is not None and q.axis == axis:
        q = QParams(scale=tuple(q.scale[c] for c in keep), zero_point=tuple(q.zero_point[c] for c in keep), axis=axis)
    return tiny.BufferType(tuple(shape), t.element_type, q)


def _spans(channels: Sequence[int]) -> str:
    """0..3, 8: channel lists as a plan writes them."""
    spans: list[list[int]] = []
    for c in channels:
        if spans and c == spans[-1][1] + 1:
            spans[-1][1] = c
        else:
            spans.append([c, c])
    return ", ".join(f"{a}..{b}" if a != b else str(a) for a, b in spans)


@dataclass(frozen=True)
class PruneChannelsPass(TinyPass):
    """Remove output channels of layers as a plan says (outputs change by design: for co-design experiments)."""

    name = "prune-channels"

    plan: str = ""
    """The plan file: lines `prune %layer keep|drop 0..7, 9` (see tinyir.passes.prune_channels)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        require_unallocated(op, self.name)
        if not self.plan:
            raise TinyIRError("prune-channels: give a plan file: --prune-channels=plan=FILE")
        prune_channels(op, parse_prune_plan(read_plan(self.plan), self.plan))


def prune_channels(module: ModuleOp, entries: Sequence[Prune]) -> None:
    """Prune `module` in place as `entries` say (parse_prune_plan's)."""
    block = main_function(module).body.block
    if any(isinstance(op, tiny.TileLoopOp) for op in block.ops):
        raise TinyIRError("prune-channels: run it before --partial-exec (the model has tile loops)")
    pruning = _Pruning(block)
    producers = {pruning.names[op.out]: op for op in pruning.ops if op.out in pruning.names}
    for entry in entries:
        pruning.prune(entry, producers)
    pruning.rewrite()
