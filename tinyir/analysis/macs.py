"""Multiply-accumulates (MACs): per op and per model.

A MAC is one multiply of an input element by a weight added into an
accumulator, the unit papers quote for CNNs ("MobileNetV2 224: 300 M MACs").
Only the weighted ops count, from their buffer shapes:

- `tiny.conv_2d`:           N x OH x OW x C_out x KH x KW x C_in
- `tiny.depthwise_conv_2d`: N x OH x OW x C_out x KH x KW
- `tiny.fully_connected`:   rows x C_out x K   (rows = input elements / K)

Every other op counts 0: elementwise ADD and MUL, pooling, MEAN, PAD,
SOFTMAX, LOGISTIC, HARD_SWISH, (de)quantization, copies and views. That is the
convention of the published figures (MobileNetV2, MCUNet) and of tools such as
thop, so totals compare with them directly. Padded taps count (the formulas
use the output size, not the in-image taps), dilation does not change a count,
and C_in / K are read from the filter, so an op that consumes a slice of the
input channels (partial execution) counts exactly its slice: channel-split
chunks add up to the unsplit op, and recomputed patch halos show up as extra
MACs, which is what a pass report wants to see.
"""

from __future__ import annotations

from collections.abc import Iterable

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from tinyir.dialects import tiny


def op_macs(op: Operation) -> int:
    """The MACs of one op (0 for every op that is not conv, depthwise or FC),
    all the tiles of a tiled op together."""
    loop = op.parent_op()
    if isinstance(loop, tiny.TileLoopOp) and loop.by_rows:
        return tile_macs(op)  # a row loop computes each row once: the whole tensor's MACs
    return tile_macs(op) * repeats(op)


def repeats(op: Operation) -> int:
    """How many times `op` runs: the tiles of the tile loop it is in, or 1."""
    loop = op.parent_op()
    return loop.tiles if isinstance(loop, tiny.TileLoopOp) else 1


def tile_macs(op: Operation) -> int:
    """The MACs of one run of `op` (of one tile in a channel tile loop), from
    the shapes of the tensors it works on (in a row loop: whole tensors)."""
    if isinstance(op, tiny.Conv2DOp):
        n, oh, ow, c_out = op.out_type.shape
        _, kh, kw, _ = op.in_type(1).shape
        c_in = op.in_type(0).shape[3]  # the input tile's channels in an input tile
        return n * oh * ow * c_out * kh * kw * c_in
    if isinstance(op, tiny.DepthwiseConv2DOp):
        n, oh, ow, c_out = op.out_type.shape
        _, kh, kw, _ = op.in_type(1).shape
        return n * oh * ow * c_out * kh * kw
    if isinstance(op, tiny.FullyConnectedOp):
        c_out, depth = op.in_type(1).shape
        if op.tile_mode == "in":
            depth = op.in_type(0).shape[-1]
        rows = op.in_type(0).num_elements // depth
        return rows * c_out * depth
    return 0


def ops_macs(ops: Iterable[Operation]) -> list[tuple[Operation, int]]:
    """(op, MACs) for each op, in order."""
    return [(op, op_macs(op)) for op in ops]


def module_macs(module: ModuleOp) -> int:
    """The MACs of a whole module: the sum over every op in it."""
    return sum(op_macs(op) for op in module.walk())


def format_macs(count: int) -> str:
    """A MAC count for people: 912, 45.3 k, 300.8 M, 1.21 G."""
    for unit, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if count >= size:
            value = count / size
            return f"{value:.2f} {unit}" if value < 10 else f"{value:.1f} {unit}"
    return str(count)
