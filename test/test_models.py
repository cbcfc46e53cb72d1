"""End to end on the real models: import, text round trip, bit-exact against TFLite Micro."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import input_sets, model_params

import tinyir
from tinyir.testing.tflm import max_abs_diff, tflm_run


@pytest.fixture(scope="module", params=model_params())
def model(request):
    path = request.param
    return path, tinyir.import_model(path)


def test_bit_exact_against_tflite_micro(model):
    path, module = model
    data = path.read_bytes()
    outputs = []
    for i, inputs in enumerate(input_sets(module)):
        ours = tinyir.execute(module, inputs)
        theirs = tflm_run(data, inputs)
        assert [o.dtype for o in ours] == [t.dtype for t in theirs]
        assert max_abs_diff(ours, theirs) == 0, f"{path.name}, input set {i}"
        outputs.append(ours[0])
    # Different inputs must reach the output: a constant output would make the
    # comparison above meaningless.
    assert any(not np.array_equal(outputs[0], o) for o in outputs[1:])


def test_text_round_trip(model):
    path, module = model
    text = tinyir.print_ir(module)
    reparsed = tinyir.parse_ir(text)
    assert tinyir.print_ir(reparsed) == text
    # The parsed module computes the same as the imported one.
    inputs = tinyir.random_inputs(module, seed=7)
    assert max_abs_diff(tinyir.execute(reparsed, inputs), tinyir.execute(module, inputs)) == 0
