"""TensorFlow Lite Micro as the numerical oracle (PyPI `tflite-micro`).

Only tests and benchmarks import this: `tflite-micro` is a test dependency.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def tflm_run(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The outputs TensorFlow Lite Micro computes for `inputs`."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model)
    for i, x in enumerate(inputs):
        interpreter.set_input(np.ascontiguousarray(x), i)
    interpreter.invoke()
    outputs = []
    while True:
        try:  # the runtime has no output count; it raises IndexError past the last
            outputs.append(np.array(interpreter.get_output(len(outputs))))
        except IndexError:
            return outputs


def max_abs_diff(ours: Sequence[np.ndarray], theirs: Sequence[np.ndarray]) -> int | float:
    """max |difference| over all outputs (shapes must agree in element count)."""
    assert len(ours) == len(theirs), f"{len(ours)} outputs vs {len(theirs)}"
    worst = 0
    for a, b in zip(ours, theirs):
        assert a.size == b.size, f"output sizes differ: {a.shape} vs {b.shape}"
        diff = np.abs(a.astype(np.float64).ravel() - b.astype(np.float64).ravel())
        worst = max(worst, diff.max(initial=0))
    return worst
