"""TFLite frontend: a .tflite flatbuffer lowered to tiny IR.

The model is read with the `tflite` schema package. Each subgraph-0 tensor
becomes a value: graph inputs are function arguments, constant tensors
`tiny.const` (placed just before their first use), every other tensor a
`tiny.alloc` written by the operator that produces it. RESHAPE becomes a view.
Shape computations on constants (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE's
shape, ...) are evaluated at import and leave nothing in the IR (`movement.FOLDINGS`).
Anything outside the supported set fails with one line naming the operator.

The modules: reader.py (the flatbuffer, its tensors, the importer and each
operator's `OpContext`), operators.py (convolutions, elementwise ops,
activations, pools, ...), movement.py (slices, splits, views, the shape
computations folded at import), spatial.py (resizing, dilated convolutions
written as SPACE_TO_BATCH_ND). Each has its LOWERINGS; the table is theirs.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects.builtin import ModuleOp

from tinyir.errors import TinyIRError
from tinyir.frontends.tflite import movement, operators, spatial
from tinyir.frontends.tflite.movement import FOLDINGS
from tinyir.frontends.tflite.reader import Importer, OpContext, value_name

__all__ = ["import_tflite", "value_name"]


def import_tflite(data: bytes) -> ModuleOp:
    """Lower a TFLite model (the bytes of a .tflite file) to a tiny IR module."""
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise TinyIRError("not a TFLite model: the file lacks the 'TFL3' identifier")
    return Importer(bytes(data)).run(LOWERINGS, FOLDINGS)


LOWERINGS: dict[str, Callable[[OpContext], None]] = {**operators.LOWERINGS, **movement.LOWERINGS, **spatial.LOWERINGS}
"""Each supported TFLite operator's lowering, by operator name."""
