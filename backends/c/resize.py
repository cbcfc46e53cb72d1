"""Op emitter of tiny.resize: tinyir's kernels (CMSIS-NN has no resize), on
tables of source coordinates in flash that tinyir.numerics.kernels.resize
computes, as it does for the executor."""

from __future__ import annotations

import numpy as np

from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.numerics.kernels.resize import bilinear_taps, nearest_indices

from .emitter import Emitter
from .text import block, check, dims, ints


def _tables(op: tiny.ResizeOp, in_size: int, out_size: int) -> np.ndarray:
    """The source coordinates along one axis: an index per output index
    (nearest), or lower index, upper index and fixed-point coordinate (bilinear)."""
    flags = (op.flag("align_corners"), op.flag("half_pixel_centers"))
    if op.mode.data == "nearest":
        return nearest_indices(in_size, out_size, *flags)
    taps = bilinear_taps(in_size, out_size, *flags, integer=True)
    return np.stack([taps.lower, taps.upper, taps.coordinate], axis=1).astype(np.int32)


def emit_resize(e: Emitter, op: tiny.ResizeOp, step: str):
    x, y = op.in_type(0), op.out_type
    if x.dtype != np.int8:
        raise TinyIRError(f"C backend: tiny.resize on {x.element_type} (int8 only)")
    n, in_h, in_w, c = x.shape
    out_h, out_w = y.shape[1:3]
    rows = e.table(f"{step}_rows", "int32_t", _tables(op, in_h, out_h), f"{step}: source rows")
    cols = e.table(f"{step}_cols", "int32_t", _tables(op, in_w, out_w), f"{step}: source columns")
    kernel = f"tinyir_resize_{op.mode.data}_s8"
    v = e.values
    call = block(
        [
            f"const tinyir_resize_dims resize_dims = {{{ints((n, in_h, in_w, c, out_h, out_w))}}};",
            *check(f"{kernel}({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, &resize_dims, {rows}, {cols})", step),
        ]
    )
    flags = [name for name in ("align_corners", "half_pixel_centers") if op.flag(name)]
    return call, f", {op.mode.data} {dims((in_h, in_w))} to {dims((out_h, out_w))}{''.join(', ' + f for f in flags)}: {kernel}"


KERNELS = {
    tiny.ResizeOp: emit_resize,
}
