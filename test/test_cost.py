"""tinyir.analysis.cost: the kernel each op runs, what its calls do, and the
predicted instructions, against counts in QEMU where upstream CMSIS-NN is
available (CMSIS_NN=/path)."""

import csv
import io
import json
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest
from conftest import require_model

import tinyir
from tinyir.analysis.cost import DATA_DIR, FEATURES, coefficients, kernel_of, module_cost, op_features
from tinyir.analysis.liveness import main_function, walk
from tinyir.analysis.target import Family
from tinyir.dialects import tiny

KWS = "mlperf_kws_dscnn_int8.tflite"


def compute_ops(module):
    return [op for op in walk(main_function(module).body.block) if isinstance(op, tiny.ComputeOp)]


def test_kernels_follow_cmsis_nns_dispatch():
    module = tinyir.run_pipeline(tinyir.import_model(require_model(KWS)), "fuse")
    kernels = [kernel_of(op, Family.DSP) for op in compute_ops(module)]
    # a 10x4 conv over one channel, then depthwise-separable blocks: 3x3 depthwise, 1x1 conv
    assert kernels[:3] == ["arm_convolve_s8", "arm_depthwise_conv_3x3_s8", "arm_convolve_1x1_s8_fast"]
    # MVE has no 3x3 depthwise kernel: the _opt one runs
    assert kernel_of(compute_ops(module)[1], Family.MVE) == "arm_depthwise_conv_s8_opt"


def test_features_of_a_split_model_add_up_to_the_unsplit_work():
    path = require_model(KWS)
    whole = tinyir.run_pipeline(tinyir.import_model(path), "fuse")
    split = tinyir.run_pipeline(tinyir.import_model(path), "fuse,partial-exec{max-slowdown=0}")
    total = lambda module, name: sum(op_features(op)[name] for op in compute_ops(module))  # noqa: E731
    assert total(split, "macs") == total(whole, "macs")  # zero extra compute
    assert total(split, "calls") > total(whole, "calls")  # but more, smaller calls
    assert all(set(op_features(op)) == set(FEATURES) for op in compute_ops(split))


def test_predictions_rise_with_the_plans_extra_calls():
    path = require_model(KWS)
    whole = tinyir.run_pipeline(tinyir.import_model(path), "fuse,arena-alloc")
    split = tinyir.run_pipeline(tinyir.import_model(path), "fuse,partial-exec{max-slowdown=0},arena-alloc")
    assert 0 < module_cost(whole, Family.DSP) < module_cost(split, Family.DSP)


@pytest.mark.parametrize("family", list(Family))
def test_no_kernel_is_free_in_any_family(family):
    """A kernel a family's calibration never ran borrows the DSP family's
    coefficients: priced at 0, the search took it for free (on Cortex-M55 it
    split models into channel tiles whose copies cost 1.6 x the model)."""
    kernels = coefficients(family)
    assert coefficients(Family.DSP).keys() <= kernels.keys()
    assert all(any(c > 0 for c in kernels[k].values()) for k in kernels)
    split = tinyir.run_pipeline(tinyir.import_model(require_model(KWS)), "fuse,partial-exec{max-slowdown=0}")
    assert all(kernel_of(op, family) in kernels for op in compute_ops(split))


@pytest.mark.parametrize("family", list(Family))
def test_the_kept_measurements_refit_to_the_kept_coefficients(family):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import calibrate_cost

    with open(DATA_DIR / f"cost_{family.value}.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    with redirect_stdout(io.StringIO()):
        refit = calibrate_cost.fit(rows)
    kept = json.loads((DATA_DIR / f"cost_{family.value}.json").read_text())["kernels"]
    assert refit.keys() == kept.keys()
    for kernel, fitted in kept.items():
        assert refit[kernel] == pytest.approx(fitted, rel=1e-6), kernel


@pytest.mark.skipif(not os.environ.get("CMSIS_NN"), reason="set CMSIS_NN to a CMSIS-NN checkout to count upstream's instructions")
@pytest.mark.parametrize("pipeline", ["fuse,arena-alloc", "fuse,partial-exec,reorder,arena-alloc"])
@pytest.mark.parametrize("cpu", ["cortex-m3", "cortex-m4", "cortex-m55"])  # one per family: C, DSP, MVE
def test_predicted_within_5_percent_of_upstream_counted_in_qemu(pipeline, cpu, tmp_path):
    from tinyir.analysis.target import family_of
    from tinyir.backends.cortex_m import build as cortex_m
    from tinyir.backends.cortex_m.count import count_invoke

    if cortex_m.missing_tools():
        pytest.skip(f"not on PATH: {', '.join(cortex_m.missing_tools())}")
    module = tinyir.run_pipeline(tinyir.import_model(require_model(KWS), mcpu=cpu), pipeline)
    x = b"".join(np.ascontiguousarray(a).tobytes() for a in tinyir.random_inputs(module, seed=0))
    counted = count_invoke(cortex_m.build_model(module, tmp_path, "kws", cmsis_nn=os.environ["CMSIS_NN"]), x)
    assert module_cost(module, family_of(cpu)) == pytest.approx(counted.instructions, rel=0.05)
