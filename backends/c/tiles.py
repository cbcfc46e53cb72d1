"""Op emitters of partial execution (the body of a `tiny.tile_loop`) that
CMSIS-NN has no kernel for, calling tinyir's backends/runtime/tinyir_tiles.c:

- tiny.extract_tile / tiny.insert_tile: a channel window copied between the
  whole buffer and the tile (`tinyir_extract_tile`, `tinyir_insert_tile`);
- input tiles of tiny.conv_2d and tiny.fully_connected (`acc`): partial sums
  over the tile's input channels into the int32 accumulator, requantized at
  the last tile. A 1x1 convolution whose taps all lie in the input, and every
  fully connected layer, take the fast path (`tinyir_pointwise_input_tile_s8`:
  plain int8 dot products; the input offset's share of the sums, and the
  bias, are one constant per output channel, computed here and added at the
  first tile); any other convolution the general one
  (`tinyir_conv_input_tile_s8`). Multipliers and shifts are the untiled
  op's, from tinyir.numerics.quantization.

(Output tiles are CMSIS-NN calls on slices: conv.py.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinyir.dialects import tiny
from tinyir.numerics import quantization

from .emitter import Emitter, Layout, const_data
from .text import block, check, dims


def emit_tile_copy(e: Emitter, op: tiny.TileCopyOp, step: str):
    whole, part = op.whole_and_part()
    axis = op.axis.value.data
    rows = math.prod(whole.shape[:axis])
    row_bytes = math.prod(part.shape[axis:]) * part.element_bytes
    v = e.values
    kernel = "tinyir_insert_tile" if isinstance(op, tiny.InsertTileOp) else "tinyir_extract_tile"
    # (from, to): extract (whole, part), insert (part, whole)
    args = f"{v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {rows}, {row_bytes}, {op.tile_count}, t"
    call = check(f"{kernel}({args})", step)
    return call, f": {kernel}, {rows} rows of {row_bytes} byte(s)"


def _wrap_int32(values: np.ndarray) -> np.ndarray:
    """int64 -> int32 modulo 2^32, as the int32 sums of the kernels wrap."""
    return ((np.asarray(values, np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)


@dataclass(frozen=True)
class InputTile:
    """The shapes of an input tile of a conv_2d / fully_connected layer as
    tinyir_input_tile_params has them (a fully connected layer: `batches`
    rows, spatial sizes 1)."""

    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    kernel_h: int
    kernel_w: int
    filter_row: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    dilation_h: int
    dilation_w: int
    input_offset: int
    filter_offset: int

    @staticmethod
    def of(op: tiny.TiledOp) -> InputTile:
        x, w = op.in_type(0), op.in_type(1)
        c = x.shape[-1]
        if isinstance(op, tiny.Conv2DOp):
            n, h, wd, _ = x.shape
            _, oh, ow, c_out = op.out_type.shape
            _, kh, kw, depth = w.shape
            top, _, left, _ = op.ints("pad")
            # TFLite's int8 conv ignores filter zero points
            return InputTile(n, h, wd, c, oh, ow, c_out, kh, kw, depth, *op.ints("stride"), top, left,
                             *op.ints("dilation"), -x.quant.zp, 0)  # fmt: skip
        c_out, depth = w.shape
        filter_offset = 0 if w.quant.is_per_channel else -w.quant.zp
        return InputTile(x.num_elements // c, 1, 1, c, 1, 1, c_out, 1, 1, depth, 1, 1, 0, 0, 1, 1, -x.quant.zp,
                         filter_offset)  # fmt: skip

    @property
    def pointwise(self) -> bool:
        """A 1x1 kernel whose every tap lies in the input (fully connected too)."""
        return (
            (self.kernel_h, self.kernel_w, self.pad_top, self.pad_left) == (1, 1, 0, 0)
            and (self.out_h - 1) * self.stride_h < self.in_h
            and (self.out_w - 1) * self.stride_w < self.in_w
        )

    def constants(self, filter_data: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        """What tinyir_pointwise_input_tile_s8 adds at the first tile, per
        output channel: with xo, fo the input and filter offsets,
        sum (x + xo)(w + fo) = sum x w + fo sum x    (per tile, at run time)
                             + xo sum (w + fo) + bias (here)."""
        rows = filter_data.astype(np.int64).reshape(self.out_c, -1)
        sums = self.input_offset * (rows + self.filter_offset).sum(axis=1)
        return _wrap_int32(sums if bias is None else sums + bias.astype(np.int64))


def layout(op, index: int) -> Layout | None:
    """The bias of a pointwise input tile is read with the constant part of
    the sums folded in (InputTile.constants)."""
    if not (isinstance(op, tiny.TiledOp) and op.tile_mode == "in" and index == 2):
        return None
    geometry = InputTile.of(op)
    if not geometry.pointwise:
        return None
    weights = const_data(op.ins[1])
    return Layout(
        ("input tile constants", id(op)),
        lambda bias: geometry.constants(weights, bias),
        "+ input offset x filter sums: the constant part of the sums of an input tile (added at the first tile)",
    )


def emit_input_tile(e: Emitter, op: tiny.TiledOp, step: str):
    """An input tile of a conv_2d or fully_connected layer (see the module doc)."""
    x, w, y = op.in_type(0), op.in_type(1), op.out_type
    g = InputTile.of(op)
    c, tiles = op.channel_window()
    if isinstance(op, tiny.Conv2DOp):
        mult, shift = quantization.conv_output_multipliers(x.quant, w.quant, y.quant, g.out_c)
        detail = f"filter {dims(w.shape)}, stride {g.stride_h}x{g.stride_w}, pad {','.join(map(str, op.ints('pad')))}"
        detail += f", dilation {g.dilation_h}x{g.dilation_w}"
    else:
        mult, shift = quantization.fully_connected_multipliers(x.quant, w.quant, y.quant)
        kind = "per-channel" if w.quant.is_per_channel else "per-tensor"
        detail = f"filter {dims(w.shape)} {kind}, {g.batches} row(s)"
    per_channel = int(len(mult) == g.out_c)  # else one multiplier for all (per-tensor fully connected)
    m, s = e.per_channel(step, mult, shift)
    lo, hi = op.ints("clamp")
    fields = ", ".join(f".{name} = {value}" for name, value in vars(g).items())
    params = (
        f"static const tinyir_input_tile_params params = {{{fields}, .output_offset = {y.quant.zp}, "
        f".activation_min = {lo}, .activation_max = {hi}, .per_channel = {per_channel}, .tiles = {tiles}}};"
    )
    v = e.values
    bias = op.ins[2] if len(op.ins) == 3 else None
    if g.pointwise:
        kernel = "tinyir_pointwise_input_tile_s8"
        if bias is not None:
            constants = e.laid_out(bias, layout(op, 2))
        else:
            constants = e.table(
                f"{step}_constants",
                "int32_t",
                g.constants(const_data(op.ins[1]), None),
                f"{step}: input offset x filter sums: the constant part of the sums (added at the first tile)",
            )
    else:
        kernel = "tinyir_conv_input_tile_s8"
        constants = "NULL" if bias is None else v.ptr(bias, True)
    filter_data = e.at_tile(op, v.ptr(op.ins[1], True), c)  # the tile's first channel of each filter row
    call = block(
        [
            params,
            *check(
                f"{kernel}(&params, t, {v.ptr(op.ins[0], True)}, {filter_data}, {constants}, {m}, {s}, "
                f"{v.ptr(op.acc)}, {v.ptr(op.out)})",
                step,
            ),
        ]
    )
    return call, f"; {detail}: {kernel}"


KERNELS = {
    tiny.ExtractTileOp: emit_tile_copy,
    tiny.InsertTileOp: emit_tile_copy,
}
