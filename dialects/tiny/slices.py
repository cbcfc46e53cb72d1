"""Slices: a strided window of a buffer, copied (TFLite's SLICE, STRIDED_SLICE, SPLIT, SPLIT_V)."""

from __future__ import annotations

from xdsl.dialects.builtin import DenseArrayBase
from xdsl.irdl import prop_def

from tinyir.dialects.tiny.base import ComputeOp, compute_op_definition


@compute_op_definition
class SliceOp(ComputeOp):
    """A strided window of the input, copied into the output: output index i
    along dimension d reads input index begin[d] + i * stride[d]; the output's
    shape says how many indices. A stride may be negative (a reversed window).

        tiny.slice %x -> %y {begin = array<i64: 0, 1, 0, 8>, stride = array<i64: 1, 2, 1, 1>}

    The bytes are copied as they are: input and output share element type and
    quantization. A SPLIT is one slice per output; a STRIDED_SLICE that drops
    dimensions is a slice then a `tiny.reshape`.
    """

    name = "tiny.slice"
    begin = prop_def(DenseArrayBase)
    stride = prop_def(DenseArrayBase)

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        rank = len(x.shape)
        if len(y.shape) != rank:
            raise self.fail(f"input {list(x.shape)} and output {list(y.shape)} differ in rank")
        begin = self.check_array("begin", rank)
        stride = self.check_array("stride", rank)
        for d, (size, b, s, n) in enumerate(zip(x.shape, begin, stride, y.shape)):
            if s == 0:
                raise self.fail(f"stride of dimension {d} is 0")
            last = b + (n - 1) * s
            if not (0 <= b < size and 0 <= last < size):
                raise self.fail(
                    f"dimension {d}: {n} indices from {b} by {s} leave the input's 0..{size - 1}"
                )
        self.check_same_encoding(x, y)
