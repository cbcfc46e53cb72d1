"""The `tiny` dialect: types print exactly, ops verify with messages naming them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from xdsl.dialects.builtin import IntegerType, f32
from xdsl.utils.exceptions import VerifyException

import tinyir
from tinyir.dialects.tiny import AllocOp, BufferType, ConstOp, format_scale
from tinyir.numerics.quantization import QParams

i8, i32 = IntegerType(8), IntegerType(32)


def _module_with_type(t: BufferType) -> str:
    return f"func.func @main() {{\n  %x = tiny.alloc : {t}\n  func.return\n}}\n"


def _module_with_weights(t: BufferType) -> str:
    """A constant of type t (weights may have zero or negative scales; an alloc's must be positive)."""
    return f'func.func @main() {{\n  %w = tiny.const dense<"0x{"00" * t.nbytes}"> : {t}\n  func.return\n}}\n'


@given(st.floats(min_value=2.0**-100, max_value=2.0**40, allow_nan=False, width=32))
def test_scales_print_and_parse_back_exactly(scale):
    t = BufferType((2, 3), i8, QParams(scale=(scale,), zero_point=(-5,)))
    text = tinyir.print_ir(tinyir.parse_ir(_module_with_type(t)))
    (alloc,) = [op for op in tinyir.parse_ir(text).walk() if isinstance(op, AllocOp)]
    assert alloc.result.type.quant.scale == (float(np.float32(scale)),)
    assert "." in format_scale(scale)  # MLIR float literals need the dot


@given(
    st.lists(st.floats(min_value=-10, max_value=10, allow_nan=False, width=32), min_size=1, max_size=8),
    st.integers(min_value=0, max_value=3),
)
def test_per_channel_type_round_trips(scales, axis):
    shape = [2, 2, 2, 2]
    shape[axis] = len(scales)
    t = BufferType(shape, i8, QParams(scale=tuple(scales), zero_point=(0,) * len(scales), axis=axis))
    text = tinyir.print_ir(tinyir.parse_ir(_module_with_weights(t)))
    assert f"axis {axis}: {{" in text
    assert tinyir.print_ir(tinyir.parse_ir(text)) == text


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: BufferType((0, 4), i8), "dimensions must be static and positive, got 0x4"),
        (lambda: BufferType((3, 4), i8, QParams((0.1, 0.2), (0, 0), axis=0)), "2 scales for 3 channels"),
        (lambda: BufferType((3,), i8, QParams((0.1, 0.2), (0, 0))), "several scales need a quantized axis"),
        (lambda: BufferType((3,), i8, QParams((float("inf"),), (0,))), "finite"),
    ],
)
def test_invalid_buffer_types(make, message):
    with pytest.raises(VerifyException, match=message):
        make()


def test_const_checks_its_byte_count():
    op = ConstOp(b"\x00" * 3, BufferType((4,), i8))
    with pytest.raises(VerifyException, match="tiny.const: 3 bytes of data for a buffer of 4 bytes"):
        op.verify_()


def test_const_reads_little_endian_values():
    values = np.array([1, -2, 70000], dtype=np.int32)
    op = ConstOp.from_array(values, BufferType((3,), i32))
    assert op.as_array().tolist() == [1, -2, 70000]


def test_float_buffer_has_no_quantization():
    t = BufferType((1, 10), f32)
    assert t.quant is None and t.nbytes == 40 and str(t) == "!tiny.buffer<1x10xf32>"
