"""Test support: generated int8 TFLite models and a TFLite Micro runner.

See :mod:`tinyir.testing.models`.
"""

from tinyir.testing.models import (
    ModelCase,
    QuantNet,
    random_cnn,
    random_cnn_case,
    single_op_cases,
    single_op_models,
)
from tinyir.testing.tflm import tflm_run

__all__ = [
    "ModelCase", "QuantNet", "random_cnn", "random_cnn_case", "tflm_run",
    "single_op_cases", "single_op_models",
]
