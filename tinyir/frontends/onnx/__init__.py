"""ONNX frontend: a .onnx model lowered to tiny IR.

    graph.py      reading: checks, topological order, constants
    rewrite.py    fusions before lowering (BatchNorm, Pad, bias, Relu/Clip)
    quant.py      quantization folding: QDQ and QOperator into int8 buffers
    layout.py     NCHW -> NHWC, lowered values, IR building
    ops/          one lowering per ONNX operator
    calibrate.py  --quantize: onnxruntime's static quantizer on a float model

Float models import as f32 buffers (run on the reference executor); QDQ and
QOperator models as the int8 ops the TFLite frontend makes (see docs/ONNX.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from tinyir.frontends.onnx.graph import read_graph
from tinyir.frontends.onnx.layout import Entry, Lowering
from tinyir.frontends.onnx.ops import LOWERINGS
from tinyir.frontends.onnx.quant import analyze
from tinyir.frontends.onnx.rewrite import rewrite

__all__ = ["Entry", "SUPPORTED_OPERATORS", "import_onnx"]

SUPPORTED_OPERATORS = tuple(sorted(LOWERINGS))


def import_onnx(data: bytes, *, base_dir: str | Path | None = None,
                tensor_map: dict[str, Entry] | None = None) -> ModuleOp:
    """Lower an ONNX model (the bytes of a .onnx file) to a tiny IR module.

    `base_dir` is where external data files are looked for. `tensor_map`, if
    given, is filled with every lowered ONNX tensor's IR value and layout
    (for comparing with onnxruntime tensor by tensor).
    """
    # Float weights may hold inf or NaN: folding and scaling them follows IEEE
    # as onnxruntime does, without numpy's warnings on stderr.
    with np.errstate(all="ignore"):
        graph = read_graph(bytes(data), base_dir)
        rewrite(graph)
        lowering = Lowering(graph, analyze(graph), LOWERINGS)
        module = lowering.run()
    if tensor_map is not None:
        tensor_map.update({k: v for k, v in lowering.entries.items() if "\0" not in k})
    return module
