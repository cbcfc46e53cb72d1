"""A fixed-seed fuzz campaign (bench/fuzz.py) over .tflite, .onnx and .mlir:
every mutant gets a clean one-line error or runs (bit-exact with TFLite
Micro where it runs the .tflite too); no internal error, hang or crash."""

import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

from conftest import MODELS, require_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import fuzz  # noqa: E402


def test_a_small_campaign_finds_no_failure():
    require_model("tflm_hello_world_int8.tflite")  # the seed files are the shared models
    out = io.StringIO()
    with redirect_stdout(out):
        status = fuzz.main(["--cases", "600", "--seed", "7", "--jobs", "2", "--timeout", "30", "--models", str(MODELS)])
    assert status == 0, out.getvalue()
    assert "| tflite | 200 |" in out.getvalue() and "| onnx | 200 |" in out.getvalue()
