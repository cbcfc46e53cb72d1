"""The memory report: its fields and values, the table, the plot, the flags."""

from __future__ import annotations

import json
import re
import struct
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import baselines, model_params, require_model
from test_tools import assert_one_line_error, tool

import tinyir
from tinyir import api
from tinyir.analysis.liveness import analyze
from tinyir.analysis.macs import module_macs
from tinyir.analysis.names import value_names
from tinyir.report.memory import format_table, memory_report
from tinyir.report.plot import plot_memory

# Hand-allocated IR (offsets, arena size, a conv with scratch, a residual add),
# shared with the FileCheck test of `--report -`, which explains its numbers.
ALLOCATED = Path(__file__).parent / "filecheck" / "tools" / "report.mlir"
RESIDUAL = "hanlab_mcunet-5fps_vww.tflite"
CNN = "mlperf_kws_dscnn_int8.tflite"


def allocated() -> tinyir.api.ModuleOp:
    return tinyir.import_model(ALLOCATED)


def unallocated():
    text = ALLOCATED.read_text()
    text = re.sub(r" offset \d+", "", text).replace(" attributes {tiny.arena_size = 112 : i64}", "")
    return tinyir.parse_ir(text)


def run_or_skip(module, pipeline: str) -> None:
    try:
        tinyir.run_pipeline(module, pipeline)
    except NotImplementedError as e:
        pytest.skip(f"{pipeline}: {e}")


# -- values -------------------------------------------------------------------


def test_allocated_ir():
    r = memory_report(allocated())
    assert r["function"] == "main"
    assert (r["arena_bytes"], r["live_peak_bytes"], r["peak_step"]) == (112, 112, 0)
    assert r["macs"] == 288 + 144 + 144 + 12 and r["macs_baseline"] is None and "baseline" not in r
    assert [(s["op"], s["output"], s["live_bytes"], s["macs"]) for s in r["steps"]] == [
        ("tiny.conv_2d", "c", 112, 288),
        ("tiny.depthwise_conv_2d", "d", 32, 144),
        ("tiny.depthwise_conv_2d", "e", 48, 144),
        ("tiny.add", "a", 48, 0),
        ("tiny.avg_pool_2d", "p", 20, 0),
        ("tiny.fully_connected", "y", 7, 12),
    ]
    assert [(b["name"], b["bytes"], b["offset"], b["first"], b["last"], b["kind"]) for b in r["buffers"]] == [
        ("x", 32, None, 0, 0, "input"),
        ("s", 64, 32, 0, 0, "scratch"),
        ("c", 16, 96, 0, 3, "activation"),
        ("d", 16, 0, 1, 2, "activation"),
        ("e", 16, 16, 2, 3, "activation"),
        ("a", 16, 32, 3, 4, "activation"),
        ("p", 4, 0, 4, 5, "activation"),
        ("y", 3, 16, 5, 5, "output"),
    ]
    conv, _, second_dw, add, _, fc = r["steps"]
    assert (conv["input_bytes"], conv["output_bytes"], conv["scratch_bytes"], conv["held_bytes"]) == (32, 16, 64, 0)
    assert conv["scratch"] == "s" and conv["reads"] == ["x"] and conv["writes"] == "c"
    assert second_dw["held_bytes"] == 16  # %c waits for the add
    assert add["reads"] == ["c", "e"] and add["held_bytes"] == 0
    assert fc["reads"] == ["p"]  # through the view %f
    assert r["buffers"][1]["shape"] == [64] and r["buffers"][2]["element_type"] == "i8"


def test_unallocated_ir():
    r = memory_report(unallocated())
    assert r["arena_bytes"] is None
    assert all(b["offset"] is None for b in r["buffers"])
    assert r["live_peak_bytes"] == 112


def test_baseline_from_module_or_report():
    before = allocated()
    after = allocated()
    tinyir.run_pipeline(after, "strip-names")
    from_module = memory_report(after, baseline=before)
    from_report = memory_report(after, baseline=memory_report(before))
    assert from_module == from_report
    assert from_module["macs_baseline"] == 588
    assert from_module["baseline"]["steps"][0]["output"] == "c"
    assert from_module["steps"][0]["output"] == "4"  # what print_ir calls it now
    assert "baseline" not in from_module["baseline"]
    # A report of a report's baseline does not nest further.
    again = memory_report(after, baseline=from_module)
    assert "baseline" not in again["baseline"]


def test_api_memory_report_is_json():
    module = allocated()
    r = api.memory_report(module, baseline=module)
    assert json.loads(json.dumps(r)) == r


def test_names_are_the_printed_names():
    module = tinyir.import_model(require_model(CNN))
    body = module.body.block.first_op.body.block
    # Two values with one name hint print as `x` and `x_1`; hintless ones as numbers.
    allocs = [op.result for op in body.ops if isinstance(op, tinyir.dialects.tiny.AllocOp)]
    allocs[0].name_hint = allocs[1].name_hint = "twin"
    allocs[2].name_hint = None
    text = tinyir.print_ir(module)
    names = value_names(body)
    assert names[allocs[0]] == "twin" and names[allocs[1]] == "twin_1" and names[allocs[2]] == "0"
    r = memory_report(module)
    for b in r["buffers"]:
        if b["kind"] == "input":
            assert f"(%{b['name']}: " in text
        else:
            assert f"%{b['name']} = tiny.alloc" in text
    for s in r["steps"]:
        assert f"-> %{s['output']}" in text


def test_steps_add_up_on_a_residual_model():
    module = tinyir.import_model(require_model(RESIDUAL))
    r = memory_report(module)
    live = analyze(module)
    assert [s["live_bytes"] for s in r["steps"]] == live.live_bytes
    for s in r["steps"]:
        assert s["input_bytes"] + s["output_bytes"] + s["scratch_bytes"] + s["held_bytes"] == s["live_bytes"]
        assert s["held_bytes"] >= 0
    assert any(s["held_bytes"] > 0 for s in r["steps"])  # skip connections wait
    assert r["steps"][r["peak_step"]]["live_bytes"] == r["live_peak_bytes"] == max(live.live_bytes)
    assert r["macs"] == module_macs(module) == sum(s["macs"] for s in r["steps"])
    for b in r["buffers"]:
        live_steps = [s for s in r["steps"] if b["name"] in (*s["reads"], s["writes"], s["scratch"])]
        assert live_steps[0]["step"] >= b["first"] and live_steps[-1]["step"] <= b["last"]



@pytest.mark.parametrize("path", model_params())
def test_shared_model_peak_matches_tflite_tools(path):
    """The report's peak, as imported, is tflite-tools' peak for the file order."""
    expected = baselines().get(path.name)
    if expected is None:
        pytest.skip("no BASELINES.tsv row")
    r = memory_report(tinyir.import_model(path))
    assert r["live_peak_bytes"] == int(expected["tflite_tools_default_peak"])
    assert r["arena_bytes"] is None and r["macs"] > 0
    assert len(r["steps"]) >= 1 and len(r["buffers"]) == len({b["name"] for b in r["buffers"]})


def test_function_without_compute_ops(tmp_path):
    module = tinyir.parse_ir(
        "func.func @main(%a: !tiny.buffer<4xi8, 0.5:0>) -> !tiny.buffer<4xi8, 0.5:0> {\n"
        "  func.return %a : !tiny.buffer<4xi8, 0.5:0>\n}"
    )
    r = memory_report(module, baseline=module)
    # No step runs, but the input (also the output) is held in SRAM.
    assert (r["steps"], r["live_peak_bytes"], r["peak_step"], r["macs"]) == ([], 4, None, 0)
    assert "steps          0" in format_table(r)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns on an empty legend
        plot_memory(r, tmp_path / "m.png", baseline=True)


# -- after the real passes (skipped until they land) ---------------------------


def test_arena_alloc_report():
    module = tinyir.import_model(require_model(RESIDUAL))
    run_or_skip(module, "arena-alloc")
    r = memory_report(module)
    assert r["arena_bytes"] is not None and r["arena_bytes"] >= r["live_peak_bytes"]
    # Every buffer is placed, the model's input too (its argument's tiny.offset).
    assert all(b["offset"] is not None for b in r["buffers"])
    assert all(b["offset"] + b["bytes"] <= r["arena_bytes"] for b in r["buffers"])
    assert r["arena_lower_bound"] is not None and r["arena_lower_bound"] <= r["arena_bytes"]
    assert r["target_cpu"] == "cortex-m4" and r["alignment"] == 16
    assert any(b["kind"] == "scratch" for b in r["buffers"])  # CMSIS-NN DSP convolutions


def test_fuse_keeps_macs():
    before = tinyir.import_model(require_model("tflm_mobilenet_v2_pt_224_int8.tflite"))
    module = tinyir.import_model(require_model("tflm_mobilenet_v2_pt_224_int8.tflite"))
    run_or_skip(module, "fuse")
    r = memory_report(module, baseline=before)
    assert r["macs"] == r["macs_baseline"]
    assert r["live_peak_bytes"] <= r["baseline"]["live_peak_bytes"]


# -- the table ------------------------------------------------------------------


def test_table():
    module = allocated()
    text = format_table(memory_report(module, baseline=module))
    lines = text.splitlines()
    assert lines[0] == "memory report of @main"
    assert "  arena          112 B, 1.000 x the live peak" in lines
    assert any(line.startswith("*    0         112  ") and line.endswith("tiny.conv_2d              %c") for line in lines)
    assert lines[-1].endswith("output       %y")


def test_table_of_a_large_model_uses_readable_units():
    r = memory_report(tinyir.import_model(require_model(RESIDUAL)))
    r["arena_bytes"] = r["live_peak_bytes"] + 1000
    text = format_table(r)
    assert f"  live peak      {r['live_peak_bytes']} B (" in text and "KiB" in text
    assert f"  MACs           {r['macs']} (11.6 M)" in text
    # The title, 7 summary lines (the last: what the peak holds), a blank and a
    # header; the steps; legend, blank, header; the buffers.
    assert len(text.splitlines()) == 10 + len(r["steps"]) + 3 + len(r["buffers"])
    assert "  at the peak    %" in text


# -- the plot -------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_plot_png_and_svg(tmp_path):
    module = tinyir.import_model(require_model(RESIDUAL))
    r = memory_report(module, baseline=module)
    plot_memory(r, tmp_path / "one.png")
    plot_memory(r, tmp_path / "two.png", baseline=True)
    plot_memory(r, tmp_path / "two.svg", baseline=True)
    one, two = (tmp_path / "one.png").read_bytes(), (tmp_path / "two.png").read_bytes()
    assert len(one) > 20_000 and len(two) > 20_000
    (w1, h1), (w2, h2) = png_size(one), png_size(two)
    assert w1 == w2 and h2 > 1.6 * h1  # the baseline panel above
    svg = (tmp_path / "two.svg").read_text()
    assert len(svg) > 50_000
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "peak" in svg and "as imported" in svg


def test_plot_allocated_ir(tmp_path):
    plot_memory(memory_report(allocated()), tmp_path / "m.pdf")
    assert (tmp_path / "m.pdf").read_bytes()[:5] == b"%PDF-"


def test_plot_refuses_what_it_cannot_draw(tmp_path):
    r = memory_report(allocated())
    with pytest.raises(tinyir.TinyIRError, match="unknown image format '.gif'"):
        plot_memory(r, tmp_path / "m.gif")
    with pytest.raises(tinyir.TinyIRError, match="no baseline"):
        plot_memory(r, tmp_path / "m.png", baseline=True)


# -- tinyir-opt ------------------------------------------------------------------


def test_opt_report_json_keeps_the_ir(tmp_path):
    model = require_model(CNN)
    plain = tool("tinyir-opt", str(model))
    result = tool("tinyir-opt", str(model), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == plain.stdout
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["source"] == str(model)
    assert r["arena_bytes"] is None
    assert r["live_peak_bytes"] == 16000 and r["macs"] == r["macs_baseline"] == 2_656_768
    assert len(r["steps"]) == 12 and r["steps"][1]["op"] == "tiny.depthwise_conv_2d"
    assert {"name", "bytes", "offset", "first", "last"} <= set(r["buffers"][0])
    assert r["baseline"]["live_peak_bytes"] == 16000


def test_opt_report_table_replaces_the_ir(tmp_path):
    model = require_model(CNN)
    result = tool("tinyir-opt", str(model), "--report", "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("memory report of @main") and "tiny.const" not in result.stdout
    assert "16000 B (15.6 KiB)  at step 1: tiny.depthwise_conv_2d" in result.stdout
    kept = tool("tinyir-opt", str(model), "--report", "-", "-o", str(tmp_path / "m.mlir"))
    assert kept.stdout == result.stdout
    assert (tmp_path / "m.mlir").read_text() == tool("tinyir-opt", str(model)).stdout


def test_opt_report_plot(tmp_path):
    model = require_model(CNN)
    result = tool(
        "tinyir-opt", str(model), "--strip-names", "--report-plot", str(tmp_path / "m.png"),
        "--report-plot-baseline", "-o", str(tmp_path / "m.mlir"),
    )
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
    assert len((tmp_path / "m.png").read_bytes()) > 20_000


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--report-plot", "{tmp}/m.bmp"], "unknown image format '.bmp'"),
        (["--report-plot", "{tmp}/no/m.png"], "no such directory"),
        (["--report", "{tmp}/no/r.json"], "no such directory"),
        (["--report", "{tmp}"], "cannot write report"),
        (["--report-plot-baseline"], "--report-plot-baseline needs --report-plot"),
    ],
)
def test_opt_report_bad_paths(tmp_path, args, fragment):
    model = require_model("tflm_hello_world_int8.tflite")
    result = tool("tinyir-opt", str(model), *(a.format(tmp=tmp_path) for a in args))
    assert_one_line_error(result, fragment)


def test_flash_of_the_c_once_allocated():
    """The report's flash: the C backend's arrays (exact: test_cortex_m checks
    them against the compiled object) and an estimate of the model's code."""
    from tinyir.dialects import tiny
    from tinyir.example_model import make_example_model

    module = tinyir.import_model(make_example_model())
    assert memory_report(module)["flash"] is None  # no arena, no C
    tinyir.run_pipeline(module, "fuse,arena-alloc")
    flash = memory_report(module)["flash"]
    weights = sum(tiny.buffer_type(op.result).nbytes for op in module.walk() if isinstance(op, tiny.ConstOp))
    assert flash["constants"] >= weights and flash["tables"] > 0 and flash["code"] > 0
    assert flash["total"] == flash["constants"] + flash["tables"] + flash["code"]
    assert f"flash          {flash['total']} B" in format_table(memory_report(module))
