"""Write small ONNX models for the frontend lit tests.

    python make_onnx_model.py NAME[:OPSET] OUT.onnx [NAME[:OPSET] OUT.onnx ...]

NAME is one of the models of tinyir.testing.onnx_models (`--list` prints
them): float models (OPSET picks the operator set, 13 by default),
hand-written QDQ and QOperator models, and models the frontend must refuse.
The data is fixed or seeded, so the imported IR is the same every run.
Several models in one call save the interpreter's start-up.

This is a helper of the RUN lines, not a test itself (lit only runs *.mlir).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tinyir.testing import onnx_models

FLOAT = {"cnn": onnx_models.cnn, "mlp_head": onnx_models.mlp_head, "branches": onnx_models.branches,
         "odds_and_ends": onnx_models.odds_and_ends}
QUANTIZED = {"qdq": onnx_models.hand_qdq, "qoperator": onnx_models.hand_qoperator}
BROKEN = ["unsupported", "unsorted", "dynamic", "batch", "dynamic_reshape", "opset7", "opset22", "external"]


def model(spec: str) -> bytes:
    name, _, opset = spec.partition(":")
    if name in FLOAT:
        return FLOAT[name](int(opset or 13))
    if name in QUANTIZED:
        return QUANTIZED[name]()
    if name in BROKEN:
        return onnx_models.broken(name)
    raise SystemExit(f"unknown model {name!r} (--list)")


def main(argv: list[str]) -> int:
    if argv == ["--list"] or not argv or len(argv) % 2:
        print("\n".join([*FLOAT, *QUANTIZED, *BROKEN]))
        return 0 if argv == ["--list"] else 2
    for spec, out in zip(argv[::2], argv[1::2]):
        Path(out).write_bytes(model(spec))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
