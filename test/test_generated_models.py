"""Models that are not in ../shared/models: every operator alone in several
configurations, and random CNNs of the same operator family. tinyir must match
TensorFlow Lite Micro exactly on all of them."""

from __future__ import annotations

import numpy as np
import pytest

import tinyir
from tinyir.testing.models import random_cnn_case, single_op_cases
from tinyir.testing.tflm import max_abs_diff, tflm_run

RANDOM_CNN_SEEDS = range(24)


def assert_matches_tflite_micro(case, trials: int = 3) -> None:
    module = tinyir.import_model(case.data)
    text = tinyir.print_ir(module)
    assert tinyir.print_ir(tinyir.parse_ir(text)) == text
    rng = np.random.default_rng(0)
    for _ in range(trials):
        inputs = case.random_inputs(rng)
        ours = tinyir.execute(module, inputs)
        theirs = tflm_run(case.tflm_data or case.data, inputs)
        assert [o.dtype for o in ours] == [t.dtype for t in theirs]
        assert [o.shape for o in ours] == [t.shape for t in theirs]
        assert max_abs_diff(ours, theirs) == 0


@pytest.mark.parametrize("case", list(single_op_cases()), ids=lambda c: c.name)
def test_single_op_model(case):
    assert_matches_tflite_micro(case)


@pytest.mark.parametrize("seed", RANDOM_CNN_SEEDS)
def test_random_cnn(seed):
    assert_matches_tflite_micro(random_cnn_case(seed))


def test_generated_models_cover_every_supported_operator():
    ops = set()
    for case in single_op_cases():
        ops |= {op.name for op in tinyir.import_model(case.data).walk() if op.name.startswith("tiny.")}
    lowered = {
        f"tiny.{name}"
        for name in ("conv_2d", "depthwise_conv_2d", "fully_connected", "add", "mul", "avg_pool_2d", "max_pool_2d",
                     "mean", "pad", "reshape", "softmax", "logistic", "hard_swish", "clamp", "concat",
                     "transpose", "quantize", "dequantize", "resize", "sub", "minimum", "maximum",
                     "squared_difference", "prelu", "leaky_relu", "tanh", "log_softmax", "arg_max",
                     "slice")
    }
    assert lowered <= ops, f"no generated model for {sorted(lowered - ops)}"
