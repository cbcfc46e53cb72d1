"""Op emitters of the ops that move int8 data without arithmetic: tiny.pad
(tinyir's kernel), tiny.concat (arm_concatenation_s8_x per input, or tinyir's
kernel past its 16-bit sizes), tiny.transpose (arm_transpose_s8) and
tiny.slice (tinyir's kernel, any element type)."""

from __future__ import annotations

import math

import numpy as np

from tinyir.dialects import tiny
from tinyir.errors import TinyIRError

from .emitter import Emitter, require_rank
from .text import block, check, cmsis_check, ints, static_ints


def emit_pad(e: Emitter, op: tiny.PadOp, step: str):
    x, y = op.in_type(0), op.out_type
    if x.dtype != np.int8:
        raise TinyIRError(f"C backend: tiny.pad on {x.element_type} (int8 only)")
    rank = require_rank(op, len(x.shape))
    flat = op.ints("paddings")
    v = e.values
    call = block(
        [
            static_ints("int32_t", "input_shape", x.shape),
            static_ints("int32_t", "output_shape", y.shape),
            static_ints("int32_t", "before", [flat[2 * i] for i in range(rank)]),
            *check(
                f"tinyir_pad_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {rank}, input_shape, output_shape, "
                f"before, {op.value.value.data})",
                step,
            ),
        ]
    )
    return call, f", paddings {list(flat)}, value {op.value.value.data}: tinyir_pad_s8"


def emit_concat(e: Emitter, op: tiny.ConcatOp, step: str):
    y = op.out_type
    if y.dtype != np.int8:
        raise TinyIRError(f"C backend: tiny.concat of {y.element_type} (int8 only)")
    axis = op.axis.value.data
    outer = math.prod(y.shape[:axis])
    inner = math.prod(y.shape[axis + 1 :])
    v = e.values
    call: list[str] = []
    offset = 0
    used_cmsis = False
    for x_value in op.ins:
        x = tiny.buffer_type(x_value)
        row = x.shape[axis] * inner
        out_row = y.shape[axis] * inner
        if max(row, outer, out_row) <= 0xFFFF:
            used_cmsis = True
            call.append(
                f"arm_concatenation_s8_x({v.ptr(x_value, True)}, {row}, {outer}, 1, 1, {v.ptr(op.out)}, "
                f"{out_row}, {offset * inner});"
            )
        else:
            call += check(
                f"tinyir_concat_s8({v.ptr(x_value, True)}, {v.ptr(op.out)}, {outer}, {row}, {out_row}, "
                f"{offset * inner})",
                step,
            )
        offset += x.shape[axis]
    kernel = "arm_concatenation_s8_x" if used_cmsis else "tinyir_concat_s8"
    return call, f", axis {axis}: {kernel} per input"


def emit_transpose(e: Emitter, op: tiny.TransposeOp, step: str):
    x, y = op.in_type(0), op.out_type
    perm = list(op.ints("perm"))
    rank = len(perm)
    if rank > 4 or x.dtype != np.int8:
        raise TinyIRError(f"C backend: tiny.transpose of rank {rank} {x.element_type} (int8, rank <= 4)")
    pad = 4 - rank  # leading unit dimensions
    shape_in = (1,) * pad + tuple(x.shape)
    shape_out = (1,) * pad + tuple(y.shape)
    perm4 = list(range(pad)) + [p + pad for p in perm]
    v = e.values
    call = block(
        [
            static_ints("uint32_t", "perm", perm4),
            "const cmsis_nn_transpose_params params = {4, perm};",
            f"const cmsis_nn_dims input_dims = {{{ints(shape_in)}}};",
            f"const cmsis_nn_dims output_dims = {{{ints(shape_out)}}};",
            *cmsis_check(
                f"arm_transpose_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, &input_dims, &output_dims, &params)",
                step,
            ),
        ]
    )
    return call, f", perm {perm}: arm_transpose_s8"


def emit_slice(e: Emitter, op: tiny.SliceOp, step: str):
    x, y = op.in_type(0), op.out_type
    begin, stride = op.ints("begin"), op.ints("stride")
    # a scalar is a window of one element of a rank-1 buffer
    shapes = [x.shape, y.shape, begin, stride] if x.shape else [(1,), (1,), (0,), (1,)]
    rank = require_rank(op, len(shapes[0]))
    v = e.values
    call = block(
        [
            *(static_ints("int32_t", name, values)
              for name, values in zip(("input_shape", "output_shape", "begin", "stride"), shapes)),  # fmt: skip
            *check(
                f"tinyir_slice({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {x.element_bytes}, {rank}, "
                "input_shape, output_shape, begin, stride)",
                step,
            ),
        ]
    )
    return call, f", begin {list(begin)}, stride {list(stride)}: tinyir_slice"


KERNELS = {
    tiny.PadOp: emit_pad,
    tiny.ConcatOp: emit_concat,
    tiny.TransposeOp: emit_transpose,
    tiny.SliceOp: emit_slice,
}
