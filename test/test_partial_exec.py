"""--partial-exec: channel-split partial execution (Pex) as tiny.tile_loop.

Checked on every shared model against TensorFlow Lite Micro (bit-exact after
--fuse --partial-exec --arena-alloc, the arena checker passing inside
--arena-alloc), MACs equal to the unsplit model's, never worse than the best
pipeline without it; on random CNNs against the reference executor before
the pass; the cost model against the allocator's own lower bound; the plan
file format and its errors; the tile ops' verifiers.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import input_sets, model_params, require_model

import tinyir
from tinyir.analysis.arena import arena_size, lower_bound
from tinyir.analysis.cost import module_cost
from tinyir.analysis.liveness import main_function
from tinyir.analysis.macs import module_macs
from tinyir.analysis.target import family_of
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.passes.partial_exec.search import Analysis, pareto_front, plan_regions
from tinyir.testing.models import random_cnn_case
from tinyir.testing.tflm import tflm_run

# The least peak, whatever it costs: what most tests here are about. The
# default (max-slowdown=1.02) is the shared models' bit-exactness test's.
PIPELINE = "fuse,partial-exec{max-slowdown=0},arena-alloc"


def split(module, pipeline: str = PIPELINE):
    return tinyir.run_pipeline(tinyir.parse_ir(tinyir.print_ir(module)), pipeline)


def loops(module) -> list[tiny.TileLoopOp]:
    return [op for op in module.walk() if isinstance(op, tiny.TileLoopOp)]


@pytest.mark.parametrize("path", model_params())
def test_shared_model_bit_exact_with_tflm(path):
    module = tinyir.import_model(path)
    result = split(module, "fuse,partial-exec,arena-alloc")  # the default plan, within 2% more instructions
    data = path.read_bytes()
    for xs in input_sets(module, 1):
        for got, want in zip(tinyir.execute(result, xs), tflm_run(data, xs)):
            assert np.array_equal(got, want), f"max |diff| {np.abs(got.astype(int) - want.astype(int)).max()}"
    assert module_macs(result) == module_macs(module)
    assert arena_size(result) <= arena_size(split(module, "fuse,arena-alloc"))


def _with_inplace_rows() -> list:
    """Every shared model with inplace-rows on; the two whose stems it moves most, off."""
    params = [pytest.param(p.values[0], True, id=p.id, marks=p.marks) for p in model_params()]
    return params + [
        pytest.param(p.values[0], False, id=f"{p.id}-no-inplace-rows")
        for p in model_params()
        if p.id and ("mcunet-320kb" in p.id or "proxyless" in p.id)
    ]


@pytest.mark.parametrize("path, inplace_rows", _with_inplace_rows())
def test_predicted_peak_is_the_allocators_lower_bound(path, inplace_rows):
    """The search weighs a split as liveness and scratch will count it (with
    row loops writing over their input or not, as arena-alloc is told)."""
    module = tinyir.run_pipeline(tinyir.import_model(path), "fuse")
    analysis = Analysis(main_function(module).body.block, family_of("cortex-m4"), 16, inplace_rows)
    regions = plan_regions(analysis, 16)
    predicted = max(
        [live for s, live in enumerate(analysis.live) if not any(analysis.step_of[r.ops[0]] <= s <= analysis.step_of[r.ops[-1]] for r in regions)]
        + [analysis.region_peak(r.ops, r.tiles, r.rows) for r in regions]
    )
    flag = str(inplace_rows).lower()
    result = split(module, f"partial-exec{{inplace-rows={flag} max-slowdown=0}},arena-alloc{{inplace=false inplace-rows={flag}}}")
    assert lower_bound(result) == predicted


def test_big_models_save_memory():
    """The inverted-residual blocks of MobileNet-like models split (figures:
    bench/memory.py)."""
    import conftest

    path = conftest.MODELS / "hanlab_mcunet-10fps_imagenet.tflite"
    if not path.is_file():
        pytest.skip(f"shared model {path.name} not found")
    module = tinyir.import_model(path)
    before = arena_size(split(module, "fuse,arena-alloc"))
    after = split(module)
    assert loops(after) and arena_size(after) * 1.5 < before


def onnx_params():
    import conftest

    paths = sorted((conftest.MODELS / "onnx").glob("*.onnx"))
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no shared ONNX models in {conftest.MODELS}/onnx"))]
    return [pytest.param(p, id=p.stem) for p in paths]


@pytest.mark.parametrize("path", onnx_params())
def test_onnx_models_exact(path):
    """ONNX imports (int8, and float: float ops split by rows only) through fuse and partial-exec."""
    module = tinyir.import_model(path)
    result = split(module, "fuse,partial-exec")
    xs = tinyir.random_inputs(module, seed=1)
    for got, want in zip(tinyir.execute(result, xs), tinyir.execute(module, xs)):
        assert np.array_equal(got, want)
    assert module_macs(result) == module_macs(module)


@pytest.mark.parametrize("seed", range(12))
def test_random_cnn_exact(seed):
    case = random_cnn_case(seed)
    module = tinyir.run_pipeline(tinyir.import_model(case.data), "fuse")
    result = split(module, "partial-exec{max-chunks=4 max-slowdown=0},arena-alloc")
    assert module_macs(result) == module_macs(module)
    for s in range(2):
        xs = tinyir.random_inputs(module, seed=s)
        for got, want in zip(tinyir.execute(result, xs), tinyir.execute(module, xs)):
            assert np.array_equal(got, want)


# ---------------------------------------------------------------------------
# A hand-written block: expand 1x1 -> depthwise 3x3 -> project 1x1
# ---------------------------------------------------------------------------


def block_ir(expand: int = 32) -> str:
    rng = np.random.default_rng(0)

    def const(name, shape, quant, dtype=np.int8):
        data = rng.integers(-20, 20, shape).astype(dtype).tobytes().hex()
        elt = "i8" if dtype == np.int8 else "i32"
        dims = "x".join(map(str, shape))
        return f'%{name} = tiny.const dense<"0x{data}"> : !tiny.buffer<{dims}x{elt}{quant}>'

    per_channel = lambda n: ", axis 0: {" + ", ".join(f"0.0{1 + i % 9}:0" for i in range(n)) + "}"  # noqa: E731
    dw_quant = ", axis 3: {" + ", ".join(f"0.0{1 + i % 9}:0" for i in range(expand)) + "}"
    win = "stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: {p}, {p}, {p}, {p}>, clamp = array<i64: -128, 127>"
    return f"""
func.func @main(%x: !tiny.buffer<1x16x16x8xi8, 0.05:-3>) -> !tiny.buffer<1x16x16x8xi8, 0.07:4> {{
  {const("w1", (expand, 1, 1, 8), per_channel(expand))}
  {const("b1", (expand,), "", np.int32)}
  {const("w2", (1, 3, 3, expand), dw_quant)}
  {const("b2", (expand,), "", np.int32)}
  {const("w3", (8, 1, 1, expand), per_channel(8))}
  {const("b3", (8,), "", np.int32)}
  %e = tiny.alloc : !tiny.buffer<1x16x16x{expand}xi8, 0.04:-10>
  tiny.conv_2d %x, %w1, %b1 -> %e {{{win.format(p=0)}}}
  %d = tiny.alloc : !tiny.buffer<1x16x16x{expand}xi8, 0.03:5>
  tiny.depthwise_conv_2d %e, %w2, %b2 -> %d {{{win.format(p=1)}}}
  %y = tiny.alloc : !tiny.buffer<1x16x16x8xi8, 0.07:4>
  tiny.conv_2d %d, %w3, %b3 -> %y {{{win.format(p=0)}}}
  func.return %y : !tiny.buffer<1x16x16x8xi8, 0.07:4>
}}
"""


def test_block_splits_into_one_loop_and_stays_exact():
    module = tinyir.parse_ir(block_ir(expand=64))  # %d whole would cost more than the accumulator
    result = split(module, "partial-exec{rows=false max-slowdown=0},arena-alloc")
    (loop,) = loops(result)
    kinds = [op.name for op in loop.body.block.ops if isinstance(op, tiny.ComputeOp)]
    assert kinds == ["tiny.conv_2d", "tiny.depthwise_conv_2d", "tiny.conv_2d"]
    project = [op for op in loop.body.block.ops if isinstance(op, tiny.ComputeOp)][-1]
    assert project.tile_mode == "in" and project.acc is not None
    xs = tinyir.random_inputs(module, seed=3)
    assert np.array_equal(tinyir.execute(result, xs)[0], tinyir.execute(module, xs)[0])
    assert module_macs(result) == module_macs(module)
    assert arena_size(result) < arena_size(split(module, "arena-alloc"))


def test_budget_takes_the_cheapest_plan_that_fits():
    module = tinyir.parse_ir(block_ir())
    least = split(module, "partial-exec{max-slowdown=0},arena-alloc")
    roomy = split(module, f"partial-exec{{budget={arena_size(split(module, 'arena-alloc'))}}},arena-alloc")
    assert not loops(roomy)  # fits unsplit: nothing to pay for
    assert loops(least)


def test_max_slowdown_bounds_the_predicted_instructions():
    """kws: every split costs it more than 2% more instructions on Cortex-M4
    (its tiles and bands are small), so the default keeps it whole; without a
    limit the least peak is much lower, and a looser limit lands between."""
    module = tinyir.run_pipeline(tinyir.import_model(require_model("mlperf_kws_dscnn_int8.tflite")), "fuse")
    family = family_of("cortex-m4")
    whole = module_cost(split(module, "arena-alloc"), family)
    results = {limit: split(module, f"partial-exec{{max-slowdown={limit}}},arena-alloc") for limit in (1.02, 1.3, 0)}
    arenas = {limit: arena_size(r) for limit, r in results.items()}
    assert arenas[0] < arenas[1.3] <= arenas[1.02] == arena_size(split(module, "arena-alloc"))
    assert module_cost(results[1.3], family) <= 1.3 * whole < module_cost(results[0], family)


def test_max_chunks_bounds_the_tiles():
    module = tinyir.parse_ir(block_ir())
    for limit in (2, 4):
        result = split(module, f"partial-exec{{max-chunks={limit} rows=false max-slowdown=0}},arena-alloc")
        assert all(loop.tiles <= limit for loop in loops(result))


def test_allocated_ir_is_refused():
    allocated = split(tinyir.parse_ir(block_ir()), "arena-alloc")
    with pytest.raises(TinyIRError, match="partial-exec: the buffers are already placed in the arena"):
        tinyir.run_pipeline(allocated, "partial-exec")


@pytest.mark.parametrize("options, message", [
    ("max-chunks=1", "max-chunks must be in 2..65536, got 1"),
    ("max-chunks=2147483648", "max-chunks must be in 2..65536, got 2147483648"),
    ("budget=true", "budget must be a number, got true"),
    ("max-slowdown=5000", "max-slowdown must be in 0..1000, got 5000"),
    ("budget=-5", "budget must be"),
    ("max-slowdown=0.5", "max-slowdown must be 0 \\(no limit\\) or at least 1"),
    ("target-cpu=cortex-a53", "cortex-a53"),
])
def test_bad_options_are_one_line_errors(options, message):
    with pytest.raises(Exception, match=message):
        tinyir.run_pipeline(tinyir.parse_ir(block_ir()), f"partial-exec{{{options}}}")


# ---------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------


def test_plan_pins_the_split(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text("# expand, depthwise: tiles copied into %d\nsplit %e to %d tiles 8\n")
    result = split(tinyir.parse_ir(block_ir()), f'partial-exec{{plan="{plan}"}}')
    (loop,) = loops(result)
    assert loop.tiles == 8
    assert [op.name for op in loop.body.block.ops if isinstance(op, tiny.ComputeOp)] == [
        "tiny.conv_2d", "tiny.depthwise_conv_2d", "tiny.insert_tile"]


@pytest.mark.parametrize("text, message", [
    ("split %e to %d tiles 3\n", "plan.txt:1:7: 3 tiles do not divide"),
    ("\nsplit %nope to %d tiles 2\n", "plan.txt:2:7: no op writes %nope"),
    ("split %d to %e tiles 2\n", "is not a chain that can be split"),
    ("split %e to %y tiles 2\nsplit %d to %y tiles 2\n", "plan.txt:2:7: %d .. %y overlaps another split"),
    ("split %e into %d tiles 2\n", "plan.txt:1:10: unexpected"),
    ("split %e to %d tiles 0 by rows\n", "plan.txt:1:22: tiles must be at least 2, got 0"),
    ("split %e to %d tiles 99999999999999999999999\n", "99999999999999999999999 tiles do not divide"),
    (b"split %e to %d tiles 2 # \xff\n", r"cannot read plan .*plan.txt: not UTF-8 text \(byte 25\)"),
])
def test_plan_errors_name_line_and_column(tmp_path, text, message):
    plan = tmp_path / "plan.txt"
    plan.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(TinyIRError, match=message):
        split(tinyir.parse_ir(block_ir()), f'partial-exec{{plan="{plan}"}}')


# ---------------------------------------------------------------------------
# The tile ops' verifiers
# ---------------------------------------------------------------------------


def _loop_ir(body: str, tiles: int = 4) -> str:
    return tinyir.print_ir(tinyir.parse_ir(block_ir())).replace(
        "    func.return", f"    tiny.tile_loop %t < {tiles} {{\n{body}\n    }}\n    func.return")


@pytest.mark.parametrize("body, tiles, message", [
    ("      %k = tiny.alloc : !tiny.buffer<1x16x16x8xi8, 0.04:-10>\n"
     "      tiny.conv_2d %x, %w1, %b1 -> %k tile %t {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, "
     "pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}", 3, "makes 4 tiles, the loop 3"),
    ("      %k = tiny.alloc : !tiny.buffer<1x16x16x8xi8, 0.04:-10>\n"
     "      tiny.conv_2d %x, %w1, %b1 -> %k {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, "
     "pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}", 4, "output has 8 channels"),
    ("      %k = tiny.alloc : !tiny.buffer<1x16x16x8xi8, 0.04:-10>\n"
     "      %m = tiny.alloc : !tiny.buffer<1x16x16x8xi8, 0.04:-10>\n"
     "      tiny.extract_tile %k -> %m tile %t {axis = 3 : i64}", 1, "reads a tile buffer no op of the body wrote"),
    ("      %k = tiny.alloc : !tiny.buffer<1x16x16x7xi8, 0.04:-10>\n"
     "      tiny.extract_tile %e -> %k tile %t {axis = 3 : i64}", 4, "is not a tile of"),
])
def test_invalid_loops_are_refused(body, tiles, message):
    with pytest.raises(TinyIRError, match=message):
        tinyir.parse_ir(_loop_ir(body, tiles))


def test_tile_outside_a_loop_is_refused():
    text = tinyir.print_ir(tinyir.parse_ir(block_ir())).replace(
        "tiny.conv_2d %x, %w1, %b1 -> %e {", "tiny.conv_2d %x, %w1, %b1 -> %e acc %e {")
    with pytest.raises(TinyIRError, match="'acc' operand needs a 'tile'"):
        tinyir.parse_ir(text)


def test_loop_round_trips():
    result = split(tinyir.parse_ir(block_ir(expand=64)), "partial-exec{rows=false max-slowdown=0},arena-alloc")
    text = tinyir.print_ir(result)
    assert "tiny.tile_loop %t < " in text and "acc %" in text and "tile %t" in text
    assert tinyir.print_ir(tinyir.parse_ir(text)) == text


def test_pareto_front_runs_from_the_least_peak_to_the_unsplit_model():
    module = tinyir.run_pipeline(tinyir.import_model(require_model("hanlab_mcunet-5fps_vww.tflite")), "fuse")
    analysis = Analysis(main_function(module).body.block, family_of("cortex-m4"), 16)
    front = pareto_front(analysis, 16)
    peaks, costs = [p for p, _ in front], [c for _, c in front]
    assert peaks == sorted(set(peaks)) and costs == sorted(costs, reverse=True) and len(front) > 2
    assert front[-1] == (analysis.peak, analysis.unsplit_cost)
    least = split(module)  # max-slowdown=0: the least peak
    assert front[0][0] == lower_bound(least)


@pytest.mark.parametrize("name", ["chain", "hanlab_mcunet-5fps_vww.tflite", "mlperf_kws_dscnn_int8.tflite"])
@pytest.mark.parametrize("inplace_rows", [True, False])
def test_row_candidates_shared_per_last_step_are_those_scheduled_one_by_one(name, inplace_rows):
    """The row-region search works out each op's rows once per last step and
    tile count (rows.candidates); it must find the candidates, with their
    peaks, that scheduling every region from scratch finds."""
    from tinyir.passes.partial_exec import rows
    from tinyir.testing.models import block_chain

    source = block_chain(4) if name == "chain" else require_model(name)
    module = tinyir.run_pipeline(tinyir.import_model(source), "fuse")
    analysis = Analysis(main_function(module).body.block, family_of("cortex-m4"), 16, inplace_rows)
    found = rows.candidates(analysis)
    assert found and found == rows.candidates_one_by_one(analysis)


@pytest.mark.parametrize("name", ["chain", "hanlab_mcunet-5fps_vww.tflite", "hanlab_mbv2-w0.35-r144_imagenet.tflite"])
def test_written_over_checks_one_buffer_as_the_whole_loop_would(name):
    """The row search checks an output placed in a dying input's buffer on
    that buffer's accesses alone (tiny.buffer_conflict); checking the whole
    loop with the output there (tiny.overwrite_conflict) must give the same
    bytes written over, on every region it weighs."""
    from tinyir.analysis.liveness import dying_row_inputs, fits_in
    from tinyir.passes.partial_exec import rows
    from tinyir.testing.models import block_chain

    def whole_loop_check(analysis, ops, local, schedule) -> int:
        outputs = [analysis.row_facts[op].out for op in ops]
        outputs = [y for y in outputs if y not in local and y not in analysis.returned and isinstance(y.owner, tiny.AllocOp)]
        taken = {}
        for y in outputs:
            for x in dying_row_inputs(ops, local, analysis.liveness, analysis.returned):
                if x in taken.values() or not fits_in(y, x):
                    continue
                trial = {**taken, y: x}
                if tiny.overwrite_conflict(schedule, local, lambda v: trial.get(tiny.view_root(v), tiny.view_root(v))) is None:
                    taken = trial
                    break
        return sum(analysis.aligned(tiny.buffer_type(y).nbytes) for y in taken)

    source = block_chain(3) if name == "chain" else require_model(name)
    module = tinyir.run_pipeline(tinyir.import_model(source), "fuse")
    block = main_function(module).body.block
    analysis = Analysis(block, family_of("cortex-m4"), 16)
    written = []
    for first, last, tiles, _ in rows.candidates(analysis):
        ops = analysis.liveness.steps[first : last + 1]
        local = rows.line_values(block, ops)
        schedule = tiny.schedule_rows(ops, local, tiles, analysis.row_facts)
        written.append(rows._written_over(analysis, ops, local, lambda: schedule))
        assert written[-1] == whole_loop_check(analysis, ops, local, schedule), (first, last, tiles)
    assert any(written) and not all(written)


@pytest.mark.parametrize("name", ["hanlab_mcunet-5fps_vww", "mlperf_vww_mbv1_025_96_int8"])
def test_a_dumped_plan_pins_the_same_splits(name, tmp_path):
    """dump-plan writes the splits the search made in the plan format; the
    plan read back makes the same IR."""
    from conftest import require_model

    path = require_model(f"{name}.tflite")
    plan = tmp_path / "plan.txt"
    searched = tinyir.run_pipeline(tinyir.import_model(path), f'fuse,partial-exec{{dump-plan="{plan}"}}')
    text = plan.read_text()
    assert text.count("\nsplit %") >= 1 and "by rows" in text
    pinned = tinyir.run_pipeline(tinyir.import_model(path), f'fuse,partial-exec{{plan="{plan}"}}')
    assert tinyir.print_ir(pinned) == tinyir.print_ir(searched)


def test_a_batch_is_never_run_by_rows():
    """A band is rows of one image: with a batch of 16 the row search weighed
    bands of one image and chose a plan 1.8x the unsplit arena (ResNet-8,
    ONNX, QOperator). Now partial execution is never worse on any batch, and
    exact."""
    import onnx
    from conftest import require_model

    path = require_model("onnx/ortq_mlperf_ic_resnet8_int8_qop_stdops_perchannel.onnx")
    model = onnx.load(path)
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 16
    data = model.SerializeToString()

    def planned(pipeline):
        return tinyir.run_pipeline(tinyir.import_model(data, format="onnx"), pipeline)

    whole, split = planned("fuse,arena-alloc"), planned("fuse,partial-exec,arena-alloc")
    assert tinyir.memory_report(split)["arena_bytes"] <= tinyir.memory_report(whole)["arena_bytes"]
    inputs = tinyir.random_inputs(whole, seed=1)
    assert np.array_equal(tinyir.execute(split, inputs)[0], tinyir.execute(whole, inputs)[0])
