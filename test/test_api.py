"""The Python API and the xdsl-opt plugin."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import require_model

import tinyir
from tinyir.example_model import make_example_model


def test_import_from_bytes_equals_import_from_file(tmp_path):
    data = make_example_model(seed=0)
    path = tmp_path / "example.tflite"
    path.write_bytes(data)
    assert tinyir.print_ir(tinyir.import_model(data)) == tinyir.print_ir(tinyir.import_model(path))


def test_pipeline_from_string_keeps_results():
    module = tinyir.import_model(make_example_model(seed=1))
    inputs = tinyir.random_inputs(module, seed=0)
    before = tinyir.execute(module, inputs)
    tinyir.run_pipeline(module, "strip-names{keep_arguments=true}")
    text = tinyir.print_ir(module)
    # Only the model's input keeps its name; every other value is numbered.
    assert set(re.findall(r"%([A-Za-z_][\w.$-]*)", text)) == {"image"}
    after = tinyir.execute(module, inputs)
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


def test_execute_does_not_modify_inputs():
    module = tinyir.import_model(make_example_model(seed=2))
    (x,) = tinyir.random_inputs(module, seed=1)
    copy = x.copy()
    tinyir.execute(module, [x])
    assert np.array_equal(x, copy)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: tinyir.import_model(b"TFL3" * 2), "TFLite"),
        (lambda: tinyir.import_model("model.pb"), "unknown input format"),
        (lambda: tinyir.parse_ir("func.func @main( {"), "<input>:1:"),
        (lambda: tinyir.run_pipeline(tinyir.parse_ir(""), "no-such-pass"), "no-such-pass"),
    ],
)
def test_bad_input_raises_tinyir_error(call, message):
    with pytest.raises(tinyir.TinyIRError, match=message):
        call()


def test_xdsl_opt_plugin_registers_dialect_and_passes():
    from xdsl.universe import Universe

    multiverse = Universe.get_multiverse()
    assert multiverse.all_dialects["tiny"]().name == "tiny"
    assert set(tinyir.available_passes()) <= set(multiverse.all_passes)


def test_shared_model_through_api():
    path = require_model("mlperf_ic_resnet8_int8.tflite")
    module = tinyir.import_model(path.read_bytes())
    (y,) = tinyir.execute(module, tinyir.random_inputs(module, seed=0))
    assert y.shape == (1, 10) and y.dtype == np.int8
