"""TFLite's slices, splits, squeezes and shape computations (issue #13).

The single-op models (tinyir.testing.models.movement_cases) run in
test_generated_models.py (executor vs TensorFlow Lite Micro) and
test_c_emitter.py (host C); here: shape computations fold away, refusals
are one line, the ops survive the memory passes, and a model with all of
them runs bit-exact on Cortex-M4 in QEMU."""

from __future__ import annotations

import numpy as np
import pytest

import tinyir
from tinyir.errors import TinyIRError
from tinyir.testing.models import (
    Moved,
    expand_dims,
    movement_case,
    reshaped_by_shape_chain,
    slice_,
    split,
    squeeze,
    strided_slice,
)
from tinyir.testing.tflite_builder import TFLiteBuilder
from tinyir.testing.tflm import tflm_run


def _tiny_ops(module) -> set[str]:
    return {op.name for op in module.walk() if op.name.startswith("tiny.")}


@pytest.mark.parametrize("chain", ["strided_slice_pack", "slice_concat", "unpack_pack", "gather"])
def test_shape_computations_fold_away(chain):
    """SHAPE -> ... -> RESHAPE leaves a view of the input and nothing else:
    no constant, no op on int32 shapes."""
    case = movement_case(chain, (1, 4, 6, 8), lambda b, x: [reshaped_by_shape_chain(b, x, chain)])
    module = tinyir.import_model(case.data)
    assert _tiny_ops(module) == {"tiny.reshape"}
    inputs = case.random_inputs(np.random.default_rng(0))
    [ours], [expected] = tinyir.execute(module, inputs), case.reference(inputs)
    assert ours.shape == expected.shape and np.array_equal(ours, expected)


def test_cast_and_squeeze_of_a_shape_fold_away():
    b = TFLiteBuilder()
    x = b.input("x", (1, 4, 6, 8), scale=0.1, zero_point=0)
    shape = b.tensor("shape", (4,), dtype="int32")
    b.op("SHAPE", [x], [shape])
    wide = b.tensor("wide", (4,), dtype="int64")
    b.op("CAST", [shape], [wide])
    column = b.tensor("column", (4, 1), dtype="int64")
    b.op("EXPAND_DIMS", [wide, b.const("axis", np.array([1], np.int32))], [column])
    row = b.tensor("row", (4,), dtype="int64")
    b.op("SQUEEZE", [column], [row])
    y = b.tensor("y", (1, 4, 6, 8), scale=0.1, zero_point=0)
    b.op("RESHAPE", [x, row], [y], new_shape=(1, 4, 6, 8))
    b.output(y)
    module = tinyir.import_model(b.finish())
    assert _tiny_ops(module) == {"tiny.reshape"}


def _shrink_reversed_model() -> bytes:
    b = TFLiteBuilder()
    x = b.input("x", (1, 4, 6), scale=0.1, zero_point=0)
    ends = [b.const(name, np.array(v, np.int32))
            for name, v in (("begin", (0, 3, 0)), ("end", (1, 0, 6)), ("strides", (1, -1, 1)))]
    y = b.tensor("y", (1, 6), scale=0.1, zero_point=0)
    b.op("STRIDED_SLICE", [x, *ends], [y], shrink_axis_mask=2)
    b.output(y)
    return b.finish()


def _pack_of_activations_model() -> bytes:
    b = TFLiteBuilder()
    x, y = (b.input(name, (1, 4), scale=0.1, zero_point=0) for name in ("x", "y"))
    out = b.tensor("packed", (2, 1, 4), scale=0.1, zero_point=0)
    b.op("PACK", [x, y], [out], values_count=2)
    b.output(out)
    return b.finish()


def _gather_batch_dims_model() -> bytes:
    b = TFLiteBuilder()
    x = b.input("x", (1, 4, 6, 8), scale=0.1, zero_point=0)
    shape = b.tensor("shape", (4,), dtype="int32")
    b.op("SHAPE", [x], [shape])
    picked = b.tensor("picked", (1,), dtype="int32")
    b.op("GATHER", [shape, b.const("indices", np.array([0], np.int32))], [picked], batch_dims=1)
    y = b.tensor("y", (1, 192), scale=0.1, zero_point=0)
    b.op("RESHAPE", [x, b.const("target", np.array([1, 192], np.int32))], [y])
    b.output(y)
    return b.finish()


@pytest.mark.parametrize(
    "model, message",
    [
        (_shrink_reversed_model,
         "STRIDED_SLICE (operator #0): shrink_axis_mask drops dimension 1 with stride -1 from index 3"),
        (_pack_of_activations_model,
         "PACK (operator #0): supported only on constants (shape computations), which are folded at import"),
        (_gather_batch_dims_model, "GATHER (operator #1): batch_dims 1 is not supported (only 0)"),
    ],
)
def test_unsupported_variants_fail_with_one_line(model, message):
    with pytest.raises(TinyIRError) as error:
        tinyir.import_model(model())
    assert str(error.value) == f"<input>: {message}"


def _all_movements(b: TFLiteBuilder, x: Moved) -> list[Moved]:
    """Every new operator once, chained: a strided window, split by channels,
    sliced, squeezed and expanded again; an equal split; a folded reshape."""
    window = strided_slice(b, x, (0, 1, -1, 0), (1, 10, 0, 6), (1, 2, -2, 1))  # 1x5x4x6
    low, high = split(b, window, 3, (2, -1), name="channels")
    row = slice_(b, high, (0, 1, 0, 0), (1, 1, -1, -1))  # 1x1x4x4
    column = expand_dims(b, squeeze(b, row, (1,)), -1)  # 1x4x4x1
    top, _ = split(b, x, 1, (5, 5), name="halves")
    return [low, column, top, reshaped_by_shape_chain(b, x, "strided_slice_pack")]


ALL_MOVEMENTS = movement_case("all_movements", (1, 10, 9, 6), _all_movements)


def test_all_movements_match_tflite_micro_through_the_passes():
    module = tinyir.import_model(ALL_MOVEMENTS.data)
    assert {"tiny.slice", "tiny.reshape"} <= _tiny_ops(module)
    inputs = ALL_MOVEMENTS.random_inputs(np.random.default_rng(1))
    expected = tflm_run(ALL_MOVEMENTS.data, inputs)
    tinyir.run_pipeline(module, "fuse,partial-exec,reorder,arena-alloc")
    ours = tinyir.execute(module, inputs)
    assert all(np.array_equal(o, e) for o, e in zip(ours, expected, strict=True))


def _conv(b: TFLiteBuilder, x, name: str, channels: int, kernel: int, rng: np.random.Generator):
    """A CONV_2D (SAME, random int8 weights) whose output scale keeps most sums in range."""
    depth = x.shape[-1]
    w = rng.integers(-127, 128, size=(channels, kernel, kernel, depth), dtype=np.int8)
    w_scale = 0.01
    bias = b.const(f"{name}/bias", rng.integers(-500, 500, size=channels, dtype=np.int32), scales=x.scale * w_scale)
    y = b.tensor(name, x.shape[:3] + (channels,), scale=x.scale * w_scale * 40 * kernel * np.sqrt(depth), zero_point=3)
    b.op("CONV_2D", [x, b.const(f"{name}/filter", w, scales=w_scale), bias], [y], activation="RELU")
    return y


def test_slices_between_convolutions_survive_the_memory_passes():
    """Convolutions around a split and a strided slice: partial execution,
    reordering and allocation keep the output bit-exact with TFLite Micro."""
    rng = np.random.default_rng(3)
    b = TFLiteBuilder()
    x = b.input("x", (1, 12, 12, 4), scale=0.05, zero_point=-7)
    h = _conv(b, x, "expand", 16, 1, rng)
    parts = [b.tensor(f"part{i}", (1, 12, 12, 8), scale=h.scale, zero_point=h.zero_point) for i in range(2)]
    b.op("SPLIT", [b.const("axis", np.array([3], np.int32)), h], parts, num_splits=2)
    window = b.tensor("window", (1, 6, 12, 8), scale=h.scale, zero_point=h.zero_point)
    ends = [b.const(name, np.array(v, np.int32))
            for name, v in (("begin", (0, 0, 0, 0)), ("end", (1, 12, 12, 8)), ("strides", (1, 2, 1, 1)))]
    b.op("STRIDED_SLICE", [parts[1], *ends], [window])
    b.output(_conv(b, parts[0], "left", 8, 3, rng), _conv(b, window, "right", 8, 3, rng))
    data = b.finish()
    inputs = [rng.integers(-128, 128, size=(1, 12, 12, 4), dtype=np.int8)]
    expected = tflm_run(data, inputs)
    module = tinyir.import_model(data)
    tinyir.run_pipeline(module, "fuse,partial-exec{max-slowdown=0},reorder,arena-alloc")
    assert "tiny.slice" in _tiny_ops(module)
    ours = tinyir.execute(module, inputs)
    assert all(np.array_equal(o, e) for o, e in zip(ours, expected, strict=True))


def test_all_movements_run_in_qemu_bit_exact(tmp_path):
    from tinyir.backends.cortex_m import build as cortex_m

    if cortex_m.missing_tools():
        pytest.skip(f"{' and '.join(cortex_m.missing_tools())} not on PATH")
    module = tinyir.import_model(ALL_MOVEMENTS.data, mcpu=cortex_m.RUN_CPU)
    tinyir.run_pipeline(module, "fuse,reorder,arena-alloc")
    built = cortex_m.build_model(module, tmp_path, "m", cortex_m.RUN_CPU)
    for seed in range(2):
        inputs = ALL_MOVEMENTS.random_inputs(np.random.default_rng(seed))
        expected = tflm_run(ALL_MOVEMENTS.data, inputs)
        result = cortex_m.run(built.elf, inputs={"in.bin": inputs[0].tobytes()}, outputs=["out.bin"], timeout=120)
        assert result.returncode == 0, result.stderr.decode()
        assert result.outputs["out.bin"] == b"".join(np.ascontiguousarray(e).tobytes() for e in expected)
