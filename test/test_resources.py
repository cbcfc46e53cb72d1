"""tinyir.resources and tinyir.layer_sensitivity: the resource model for
pruning and architecture search (issue #16)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import require_model

import tinyir


def cli_arena(path, *args: str) -> int:
    """The arena tinyir-opt reports for `path` after `args`."""
    result = subprocess.run(
        [sys.executable, "-m", "tinyir.tools.opt", str(path), *args, "--report", "-"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("arena "))
    return int(line.split()[1])


PIPELINE = ("--fuse", "--partial-exec", "--reorder", "--arena-alloc")


@pytest.mark.parametrize("name", ["mlperf_ic_resnet8_int8", "hanlab_mcunet-5fps_vww"])
def test_resources_match_the_command_line(name):
    path = require_model(f"{name}.tflite")
    found = tinyir.resources(path)
    assert found.arena_bytes == cli_arena(path, *PIPELINE)
    assert found.lower_bound <= found.arena_bytes
    assert found.macs > 0 and found.instructions > found.macs / 4 and found.flash_bytes > 0
    peak = found.bottleneck
    assert sum(b["bytes"] for b in peak["buffers"]) == peak["live_bytes"]  # every byte at the peak, once
    assert peak["live_bytes"] <= found.lower_bound


def test_resources_take_a_path_bytes_or_a_module_and_leave_the_module_alone():
    path = require_model("mlperf_kws_dscnn_int8.tflite")
    module = tinyir.import_model(path)
    text = tinyir.print_ir(module)
    arenas = {tinyir.resources(m).arena_bytes for m in (path, path.read_bytes(), module)}
    assert len(arenas) == 1 and tinyir.print_ir(module) == text
    m55 = tinyir.resources(path, target="cortex-m55")
    assert m55.target == "cortex-m55"


def test_a_budget_is_fitted_or_refused():
    path = require_model("mlperf_vww_mbv1_025_96_int8.tflite")
    free = tinyir.resources(path)
    loose = tinyir.resources(path, sram_budget=free.arena_bytes * 2)
    assert loose.arena_bytes <= free.arena_bytes * 2 and loose.instructions <= free.instructions
    with pytest.raises(tinyir.TinyIRError, match="no plan fits budget=1000 B"):
        tinyir.resources(path, sram_budget=1000)


@pytest.mark.parametrize("name", ["mlperf_ic_resnet8_int8", "mlperf_vww_mbv1_025_96_int8"])
def test_sensitivity_matches_the_pipeline_on_the_pruned_model(name, tmp_path):
    """Each trial's arena is what tinyir-opt gives the model pruned as the
    trial says (prune-channels, then the same passes)."""
    path = require_model(f"{name}.tflite")
    rows = tinyir.layer_sensitivity(path)
    assert rows and all(r["trials"] for r in rows)
    base = cli_arena(path, *PIPELINE)
    row = rows[0]
    for trial in row["trials"]:
        plan = tmp_path / "plan.txt"
        plan.write_text(f"prune %{row['layer']} drop {', '.join(map(str, trial['dropped']))}\n")
        pruned = cli_arena(path, "--fuse", f"--prune-channels=plan={plan}", *PIPELINE[1:])
        assert trial["arena_bytes"] == pruned and trial["saved"] == base - pruned


def test_resources_on_the_command_line(tmp_path):
    path = require_model("mlperf_ic_resnet8_int8.tflite")
    result = subprocess.run([sys.executable, "-m", "tinyir.tools.opt", str(path), "--resources"],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["arena_bytes"] == tinyir.resources(path).arena_bytes
    result = subprocess.run([sys.executable, "-m", "tinyir.tools.opt", str(path), "--resources", "--fuse"],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 1 and "--resources runs the default pipeline itself" in result.stderr


def test_report_sensitivity_on_the_command_line(tmp_path):
    path = require_model("mlperf_ic_resnet8_int8.tflite")
    out = tmp_path / "r.json"
    result = subprocess.run([sys.executable, "-m", "tinyir.tools.opt", str(path), *PIPELINE, "--report", str(out),
                             "--report-sensitivity", "-o", str(tmp_path / "m.mlir")],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["sensitivity"] == tinyir.layer_sensitivity(path)
    held = {b["layer"] for b in report["bottleneck"]["buffers"]}
    assert {row["layer"] for row in report["sensitivity"]} <= held
