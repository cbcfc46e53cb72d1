"""TensorFlow Lite Micro as the numerical oracle (PyPI `tflite-micro`).

Only tests and benchmarks import this: `tflite-micro` is a test dependency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def tflm_run(model: bytes, inputs: Sequence[np.ndarray], arena_size: int = 4 << 20) -> list[np.ndarray]:
    """The outputs TensorFlow Lite Micro computes for `inputs`.

    The arena is given explicitly: the runtime's default (10 x the model size)
    is too small for tiny models with large activations.
    """
    import tflite
    from tflite_micro.python.tflite_micro import runtime

    num_outputs = tflite.Model.GetRootAsModel(model, 0).Subgraphs(0).OutputsLength()
    interpreter = runtime.Interpreter.from_bytes(model, arena_size=arena_size)
    for i, x in enumerate(inputs):
        interpreter.set_input(np.ascontiguousarray(x), i)
    interpreter.invoke()
    return [np.array(interpreter.get_output(i)) for i in range(num_outputs)]


def tflm_tensors(model: bytes, inputs: Sequence[np.ndarray]) -> Callable[[int], np.ndarray]:
    """Run TensorFlow Lite Micro keeping every tensor; returns tensor index -> array."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(
        model, arena_size=256 << 20, intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors
    )
    for i, x in enumerate(inputs):
        interpreter.set_input(np.ascontiguousarray(x), i)
    interpreter.invoke()
    return lambda index: np.array(interpreter.GetTensor(index, 0)["tensor_data"])


def max_abs_diff(ours: Sequence[np.ndarray], theirs: Sequence[np.ndarray]) -> int | float:
    """max |difference| over all outputs (shapes must agree in element count)."""
    assert len(ours) == len(theirs), f"{len(ours)} outputs vs {len(theirs)}"
    worst = 0
    for a, b in zip(ours, theirs):
        assert a.size == b.size, f"output sizes differ: {a.shape} vs {b.shape}"
        diff = np.abs(a.astype(np.float64).ravel() - b.astype(np.float64).ravel())
        worst = max(worst, diff.max(initial=0))
    return worst
