"""C text for the C backend: identifiers, types, literals, array bodies, and
the `{ declarations; checked call }` blocks the op emitters build."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np

from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.numerics import quantization

INDENT = "    "

_C_TYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "float32": "float", "uint8": "uint8_t"}


def c_identifier(name: str) -> str:
    """A C identifier from a model or value name."""
    ident = re.sub(r"[^0-9A-Za-z_]", "_", name).strip("_") or "model"
    return f"m_{ident}" if ident[0].isdigit() else ident


def c_type(t: tiny.BufferType) -> str:
    """The C element type of a buffer."""
    try:
        return _C_TYPES[t.dtype.name]
    except KeyError:
        raise TinyIRError(f"C backend: no C type for {t.element_type}") from None


def dims(shape: Sequence[int]) -> str:
    """A shape for comments: `1x8x8x3`."""
    return "x".join(str(d) for d in shape)


def ints(values: Iterable[int]) -> str:
    """The items of a C initializer: `1, 8, 8, 3`."""
    return ", ".join(map(str, values))


def float_literal(value: float) -> str:
    """An exact C float literal (hexadecimal)."""
    value = float(np.float32(value))
    if math.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    if math.isnan(value):
        return "NAN"
    return f"{value.hex()}f"


def int32_literal(value: int) -> str:
    """An int32 as C: INT32_MIN has no literal of its own."""
    return f"{value}" if value != -(2**31) else "INT32_MIN"


def array_body(values: np.ndarray, per_line: int = 24) -> str:
    """The initializer of a const array: `per_line` items a line."""
    flat = values.reshape(-1)
    if flat.dtype == np.float32:
        items = [float_literal(v) for v in flat.tolist()]
    elif flat.dtype == np.int32:
        items = [int32_literal(v) for v in flat.tolist()]
    else:
        items = [str(v) for v in flat.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return ",\n    ".join(lines)


def block(lines: Iterable[str]) -> list[str]:
    """`{ lines }`: a C block, its lines indented (preprocessor lines stay at its margin)."""
    return ["{", *(line if line.startswith("#") else INDENT + line for line in lines), "}"]


def check(call: str, step: str, success: str = "0") -> list[str]:
    """A call returning a status: any status but `success` ends the invocation
    and returns the op's number (`step` is `op<number>`)."""
    return [f"if ({call} != {success}) {{", f"    return {step[2:]};", "}"]


def cmsis_check(call: str, step: str) -> list[str]:
    """A CMSIS-NN call, checked against ARM_CMSIS_NN_SUCCESS."""
    return check(call, step, "ARM_CMSIS_NN_SUCCESS")


def params_struct(c_type_name: str, params, **extra: int) -> str:
    """`const <c_type_name> params = {.field = value, ...};` from a NamedTuple
    of tinyir.numerics.quantization's whose field names the C struct shares
    (and the fields `extra`)."""
    fields = ", ".join(f".{k} = {int32_literal(int(v))}" for k, v in {**params._asdict(), **extra}.items())
    return f"const {c_type_name} params = {{{fields}}};"


def tile(pair: Sequence[int]) -> str:
    """cmsis_nn_tile from (h, w): {w, h}, named."""
    h, w = pair
    return f"{{.w = {w}, .h = {h}}}"


def static_ints(c_type_name: str, name: str, values: Sequence[int]) -> str:
    """A `static const` array of a kernel call's shape parameters."""
    return f"static const {c_type_name} {name}[{len(values)}] = {{{ints(values)}}};"


def quantization_text(q: quantization.QParams) -> str:
    """A buffer's quantization, for comments."""
    if q.is_per_channel:
        return f"per-channel on axis {q.axis}"
    return f"{tiny.format_scale(q.scale[0])}, zero point {q.zp}"
