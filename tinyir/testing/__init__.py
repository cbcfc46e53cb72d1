"""Test support: generated int8 TFLite models and a TFLite Micro runner.

See :mod:`tinyir.testing.models`.
"""

from tinyir.testing.models import (
    ModelCase,
    QuantNet,
    random_cnn,
    random_cnn_case,
    run_tflm,
    single_op_cases,
    single_op_models,
)

__all__ = [
    "ModelCase", "QuantNet", "random_cnn", "random_cnn_case", "run_tflm",
    "single_op_cases", "single_op_models",
]
