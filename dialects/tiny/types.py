"""The buffer type `!tiny.buffer<shape x elt, quant>` and helpers to read it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    Float32Type,
    FloatData,
    IntAttr,
    IntegerType,
)
from xdsl.ir import Attribute, ParametrizedAttribute, SSAValue, TypeAttribute
from xdsl.irdl import (
    irdl_attr_definition,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from tinyir.numerics.quantization import QParams

# ---------------------------------------------------------------------------
# The buffer type
# ---------------------------------------------------------------------------

MAX_BUFFER_BYTES = 2**31 - 1
"""The most bytes a buffer may hold (CMSIS-NN and the C backend index with int32)."""


def format_scale(scale: float) -> str:
    """The shortest text that reads back as the same float32 (always with a '.')."""
    return np.format_float_positional(np.float32(scale), unique=True, trim="0")


def _as_f32(value: float) -> float:
    with np.errstate(over="ignore"):  # an out-of-range scale becomes inf, refused by verify
        return float(np.float32(value))


@irdl_attr_definition
class BufferType(ParametrizedAttribute, TypeAttribute):
    """A buffer of a tensor: shape, element type and (optional) quantization.

    Per-tensor:  `!tiny.buffer<1x8x8x16xi8, 0.0235:-128>`
    Per-channel: `!tiny.buffer<16x3x3x8xi8, axis 0: {0.01:0, 0.02:0, ...}>`
    Plain:       `!tiny.buffer<16xi32>`, `!tiny.buffer<1x10xf32>`
    """

    name = "tiny.buffer"

    shape_attr: ArrayAttr[IntAttr]
    element_type: Attribute
    scales: ArrayAttr[FloatData]
    zero_points: ArrayAttr[IntAttr]
    # Quantized dimension; -1 for per-tensor (or unquantized) buffers.
    axis: IntAttr

    def __init__(
        self,
        shape: Sequence[int],
        element_type: Attribute,
        quant: QParams | None = None,
    ):
        scales = () if quant is None else quant.scale
        zps = () if quant is None else quant.zero_point
        axis = -1 if quant is None or quant.axis is None else quant.axis
        super().__init__(
            ArrayAttr([IntAttr(d) for d in shape]),
            element_type,
            ArrayAttr([FloatData(_as_f32(s)) for s in scales]),
            ArrayAttr([IntAttr(z) for z in zps]),
            IntAttr(axis),
        )

    # Kept in the (immutable) type's __dict__ once read: the passes ask for
    # shapes millions of times (xDSL refuses functools.cached_property here).
    @property
    def shape(self) -> tuple[int, ...]:
        cached = self.__dict__.get("_shape")
        if cached is None:
            cached = self.__dict__["_shape"] = tuple(d.data for d in self.shape_attr.data)
        return cached

    @property
    def num_elements(self) -> int:
        return math.prod(self.shape)

    @property
    def element_bytes(self) -> int:
        return element_bytes(self.element_type)

    @property
    def nbytes(self) -> int:
        return self.num_elements * self.element_bytes

    @property
    def dtype(self) -> np.dtype:
        return numpy_dtype(self.element_type)

    @property
    def quant(self) -> QParams | None:
        if not self.scales.data:
            return None
        return QParams(
            scale=tuple(s.data for s in self.scales.data),
            zero_point=tuple(z.data for z in self.zero_points.data),
            axis=None if self.axis.data < 0 else self.axis.data,
        )

    def with_shape(self, shape: Sequence[int]) -> BufferType:
        """The same element type and quantization with another shape (kept:
        a search asks for the same tiles of the same type again and again,
        and building a type is slow)."""
        shapes = self.__dict__.setdefault("_with_shape", {})
        shape = tuple(shape)
        if shape not in shapes:
            shapes[shape] = BufferType(shape, self.element_type, self.quant)
        return shapes[shape]

    def verify(self) -> None:
        if any(d.data < 1 for d in self.shape_attr.data):
            shape = "x".join("?" if d < 0 else str(d) for d in self.shape)
            raise VerifyException(f"tiny.buffer: dimensions must be static and positive, got {shape}")
        element_bytes(self.element_type)  # raises on an unsupported element type
        if self.nbytes > MAX_BUFFER_BYTES:  # before anything allocates it
            raise VerifyException(f"tiny.buffer: {self.nbytes} bytes, more than the 2 GiB a buffer may hold")
        n_scales, n_zps = len(self.scales.data), len(self.zero_points.data)
        if n_scales != n_zps:
            raise VerifyException(f"tiny.buffer: {n_scales} scales but {n_zps} zero points")
        if self.axis.data >= 0:
            if self.axis.data >= len(self.shape):
                raise VerifyException(
                    f"tiny.buffer: quantized axis {self.axis.data} out of range for rank {len(self.shape)}"
                )
            if n_scales != self.shape[self.axis.data]:
                raise VerifyException(
                    f"tiny.buffer: {n_scales} scales for {self.shape[self.axis.data]} channels on axis {self.axis.data}"
                )
        elif n_scales > 1:
            raise VerifyException("tiny.buffer: several scales need a quantized axis")
        # Real models have zero scales (all-zero weight channels) and even
        # negative ones (hanlab_mcunet-320kb-1mb); TFLite accepts any finite scale.
        if not all(math.isfinite(s.data) for s in self.scales.data):
            raise VerifyException("tiny.buffer: scales must be finite")
        if isinstance(self.element_type, IntegerType) and self.zero_points.data:
            info = np.iinfo(self.dtype)
            if not all(info.min <= z.data <= info.max for z in self.zero_points.data):
                zps = [z.data for z in self.zero_points.data]
                raise VerifyException(f"tiny.buffer: zero point {zps} out of range for {self.element_type}")

    def verify_activation(self) -> None:
        """What a buffer computed at run time needs besides verify(): a
        positive scale. (Weights may have zero or negative ones, see verify;
        an activation's divides, and TFLite Micro's arithmetic fails on it.)"""
        if any(s.data <= 0 for s in self.scales.data):
            raise VerifyException(f"tiny.buffer: an activation's scale must be positive, got {format_scale(self.scales.data[0].data)}")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        start = parser.pos
        params = cls._parse_parameters(parser)
        try:
            cls.new(params)  # report an invalid type where it is written
        except VerifyException as e:
            parser.raise_error(str(e), start, parser.pos)
        return params

    @classmethod
    def _parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            shape, elt = parser.parse_ranked_shape()
            scales: list[float] = []
            zps: list[int] = []
            axis = -1
            if parser.parse_optional_punctuation(",") is not None:
                if parser.parse_optional_keyword("axis") is not None:
                    axis = parser.parse_integer(allow_boolean=False, allow_negative=False)
                    parser.parse_punctuation(":")

                    def pair() -> None:
                        scales.append(float(parser.parse_number()))
                        parser.parse_punctuation(":")
                        zps.append(parser.parse_integer(allow_boolean=False))

                    parser.parse_comma_separated_list(parser.Delimiter.BRACES, pair)
                else:
                    scales.append(float(parser.parse_number()))
                    parser.parse_punctuation(":")
                    zps.append(parser.parse_integer(allow_boolean=False))
        return [
            ArrayAttr([IntAttr(d) for d in shape]),
            elt,
            ArrayAttr([FloatData(_as_f32(s)) for s in scales]),
            ArrayAttr([IntAttr(z) for z in zps]),
            IntAttr(axis),
        ]

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string("".join(f"{d}x" for d in self.shape))
            printer.print_attribute(self.element_type)
            pairs = [f"{format_scale(s.data)}:{z.data}" for s, z in zip(self.scales.data, self.zero_points.data)]
            if self.axis.data >= 0:
                printer.print_string(f", axis {self.axis.data}: {{{', '.join(pairs)}}}")
            elif pairs:
                printer.print_string(f", {pairs[0]}")


_DTYPES = {"i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64, "f32": np.float32}


def numpy_dtype(element_type: Attribute) -> np.dtype:
    """The numpy dtype of a buffer element type (i8, i16, i32, i64, f32)."""
    if isinstance(element_type, IntegerType):
        key = f"i{element_type.width.data}"
    elif isinstance(element_type, Float32Type):
        key = "f32"
    else:
        key = None
    if key not in _DTYPES:
        raise VerifyException(f"tiny.buffer: unsupported element type {element_type}")
    return np.dtype(_DTYPES[key])


def element_bytes(element_type: Attribute) -> int:
    return numpy_dtype(element_type).itemsize


def buffer_type(value: SSAValue) -> BufferType:
    assert isinstance(value.type, BufferType)
    return value.type
