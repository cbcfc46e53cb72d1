"""tinyir-opt and tinyir-run as a user runs them: outputs, and one-line errors."""

from __future__ import annotations

import struct
import subprocess
import sys

import numpy as np
import pytest
import tflite
from conftest import require_model

from tinyir.testing.tflm import tflm_run

SMALL = "tflm_hello_world_int8.tflite"
CNN = "mlperf_kws_dscnn_int8.tflite"


def tool(name: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    module = {"tinyir-opt": "tinyir.tools.opt", "tinyir-run": "tinyir.tools.run"}[name]
    script = f"import sys; from {module} import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", script, *args], input=stdin, capture_output=True, text=True, timeout=300
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def with_operator_code(model: bytes, code: int) -> bytes:
    """The model with its first operator code replaced (to make it unsupported)."""
    data = bytearray(model)
    op_code = tflite.Model.GetRootAsModel(data, 0).OperatorCodes(0)
    # Fields of OperatorCode: 0 deprecated_builtin_code (int8), 3 builtin_code (int32).
    deprecated, builtin = op_code._tab.Offset(4), op_code._tab.Offset(10)
    assert deprecated and builtin, "both opcode fields must be stored to patch them"
    struct.pack_into("<b", data, op_code._tab.Pos + deprecated, min(code, 127))
    struct.pack_into("<i", data, op_code._tab.Pos + builtin, code)
    return bytes(data)


def test_opt_output_round_trips_through_opt():
    model = require_model(CNN)
    first = tool("tinyir-opt", str(model))
    assert first.returncode == 0, first.stderr
    second = tool("tinyir-opt", stdin=first.stdout)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert "tiny.depthwise_conv_2d" in first.stdout


def test_opt_writes_output_file(tmp_path):
    model = require_model(SMALL)
    out = tmp_path / "m.mlir"
    result = tool("tinyir-opt", str(model), "-o", str(out), "--strip-names")
    assert result.returncode == 0 and result.stdout == ""
    text = out.read_text()
    assert "tiny.fully_connected %0, %1, %2 -> %3" in text


def test_run_matches_tflite_micro(tmp_path):
    model = require_model(CNN)
    x = np.random.default_rng(3).integers(-128, 128, (1, 49, 10, 1), dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    result = tool("tinyir-run", str(model), "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"))
    assert result.returncode == 0, result.stderr
    y = np.load(tmp_path / "y.npy")
    (expected,) = tflm_run(model.read_bytes(), [x])
    assert y.dtype == expected.dtype and np.array_equal(y.reshape(expected.shape), expected)


def test_run_without_input_prints_a_stable_checksum():
    model = require_model(SMALL)
    first, second = tool("tinyir-run", str(model)), tool("tinyir-run", str(model), "--seed", "0")
    assert first.returncode == 0 and "checksum" in first.stdout
    assert first.stdout == second.stdout
    assert tool("tinyir-run", str(model), "--seed", "5").stdout != first.stdout


def test_truncated_model(tmp_path):
    data = require_model(CNN).read_bytes()
    for length in (12, 600, len(data) // 2, len(data) - 100):
        path = tmp_path / f"cut{length}.tflite"
        path.write_bytes(data[:length])
        assert_one_line_error(tool("tinyir-opt", str(path)), "TFLite")


def test_not_a_model(tmp_path):
    path = tmp_path / "noise.tflite"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert_one_line_error(tool("tinyir-opt", str(path)), "not a TFLite model")


def test_unsupported_operator(tmp_path):
    path = tmp_path / "lstm.tflite"
    lstm = tflite.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM
    path.write_bytes(with_operator_code(require_model(SMALL).read_bytes(), lstm))
    assert_one_line_error(
        tool("tinyir-opt", str(path)), "unsupported TFLite operator UNIDIRECTIONAL_SEQUENCE_LSTM (operator #0)"
    )


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("func.func @main() {\n  %x = tiny.alloc : !tiny.buffer<0x4xi8>\n  func.return\n}", ["dimensions must be static and positive"]),
        ("func.func @main(", ["<stdin>:1:"]),
        ("func.func @main() {\n  tiny.logistic %a -> %b\n  func.return\n}", ["%a is used before it is defined"]),
        (
            "func.func @main(%a: !tiny.buffer<4xi8, 0.1:0>) {\n"
            "  %b = tiny.alloc : !tiny.buffer<5xi8, 0.1:0>\n"
            "  tiny.logistic %a -> %b\n  func.return\n}",
            ["tiny.logistic: input and output: shapes [4] and [5] differ", "operation #"],
        ),
    ],
)
def test_invalid_ir(text, fragments):
    assert_one_line_error(tool("tinyir-opt", stdin=text), *fragments)


def test_bad_pass_option():
    model = require_model(SMALL)
    assert_one_line_error(tool("tinyir-opt", str(model), "--strip-names=no_such_option=1"), "strip-names")
    assert_one_line_error(tool("tinyir-opt", str(model), "-p", "no-such-pass"), "no-such-pass")


def test_wrong_input_array(tmp_path):
    model = require_model(SMALL)
    np.save(tmp_path / "x.npy", np.zeros((2, 2), np.int8))
    assert_one_line_error(tool("tinyir-run", str(model), "--input", str(tmp_path / "x.npy")), "input 0 must be [1, 1]")


def test_missing_file():
    assert_one_line_error(tool("tinyir-opt", "/nonexistent/model.tflite"), "cannot read")


@pytest.mark.parametrize("options, pipeline", [
    ("max-chunks=4 budget=100", "max-chunks=4 budget=100"),
    ("plan=dir/plan.txt", 'plan="dir/plan.txt"'),
    ('plan="a b.txt" max-chunks=2', 'plan="a b.txt" max-chunks=2'),
    ("target-cpu=cortex-m4 alignment=16 inplace=true", "target-cpu=cortex-m4 alignment=16 inplace=true"),
])
def test_pass_flag_values_are_quoted_for_xdsl(options, pipeline):
    """`--pass=key=value`: a path needs quotes in xDSL's pipeline syntax; the flag adds them."""
    from tinyir.tools.common import quote_option_values

    assert quote_option_values(options) == pipeline


def test_plan_path_in_a_pass_flag(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text("split %nope to %y tiles 2\n")
    done = tool("tinyir-opt", str(require_model(CNN)), f"--partial-exec=plan={plan}")
    assert_one_line_error(done, f"{plan}:1:7: no op writes %nope")


# -- --help, --version, --mcpu, no input ---------------------------------------------


def test_help_lists_every_pass_option_with_default_and_choices():
    from tinyir.analysis.target import CPUS
    from tinyir.api import available_passes
    from tinyir.passes import pass_options

    text = " ".join(tool("tinyir-opt", "--help").stdout.split())  # argparse wraps lines
    for name, get_pass in available_passes().items():
        assert f"--{name} [OPTIONS]" in text
        for option in pass_options(get_pass()):
            assert option.doc, f"{name}: option {option.name} has no docstring"
            default = f"default {option.default}" if option.default else "default: none"
            assert f"{option.name}={option.type.upper()} ({default}" in text
    assert f"choices: {', '.join(CPUS)}) The CPU CMSIS-NN is built for" in text
    assert "--mcpu CPU the CPU to compile for: cortex-m0, cortex-m0plus, cortex-m3," in text
    assert "(default cortex-m4)" in text


def test_readme_pass_table_names_only_options_the_passes_have():
    """The README's table of passes points to --help for the options; the
    options its prose names must be options of that pass."""
    import re
    from pathlib import Path

    from tinyir.api import available_passes
    from tinyir.passes import pass_options

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "`tinyir-opt --help` lists every pass with each of its options" in readme
    rows = re.findall(r"^\| `--([a-z-]+)` \| (.*) \|$", readme, re.M)
    assert {name for name, _ in rows} >= {"fuse", "partial-exec", "reorder", "arena-alloc", "check-arena"}
    for name, text in rows:
        known = {o.name for o in pass_options(available_passes()[name]())}
        for key in re.findall(r"`([a-z][a-z-]*)(?:=[^`]*)?`", text):
            if key in {"tiny", "split"}:
                continue
            assert key in known, f"README's --{name} row names option '{key}', which --{name} does not have"


def test_version():
    result = tool("tinyir-opt", "--version")
    assert result.returncode == 0 and result.stdout.startswith("tinyir-opt 0.") and "xDSL 0.74.0" in result.stdout


def test_no_input_on_a_terminal_prints_usage_instead_of_waiting():
    import os
    import pty

    primary, secondary = pty.openpty()
    try:
        script = "import sys; from tinyir.tools.opt import main; sys.exit(main())"
        done = subprocess.run([sys.executable, "-c", script], stdin=secondary, capture_output=True, text=True, timeout=60)
    finally:
        os.close(primary)
        os.close(secondary)
    assert done.returncode == 1
    assert done.stderr.startswith("usage: tinyir-opt") and "pipe IR into stdin" in done.stderr
    assert "Traceback" not in done.stderr


def test_mcpu_drives_every_pass_and_a_pass_that_disagrees_is_an_error():
    model = str(require_model(CNN))
    chosen = tool("tinyir-opt", model, "--mcpu", "cortex-m55", "--fuse", "--partial-exec", "--arena-alloc")
    assert chosen.returncode == 0, chosen.stderr
    assert 'tiny.target_cpu = "cortex-m55"' in chosen.stdout.splitlines()[0]
    # the same IR as naming the CPU on both passes
    both = tool("tinyir-opt", model, "--fuse", "--partial-exec=target-cpu=cortex-m55",
                "--arena-alloc=target-cpu=cortex-m55")  # fmt: skip
    assert both.stdout == chosen.stdout
    # a pass that names another CPU than the module's: one line naming both
    assert_one_line_error(
        tool("tinyir-opt", model, "--fuse", "--partial-exec", "--arena-alloc=target-cpu=cortex-m55"),
        "arena-alloc: target-cpu=cortex-m55, but the module is compiled for cortex-m4",
    )
    assert_one_line_error(
        tool("tinyir-opt", model, "--mcpu", "cortex-m55", "--partial-exec=target-cpu=cortex-m7"),
        "partial-exec: target-cpu=cortex-m7, but the module is compiled for cortex-m55",
    )
    assert_one_line_error(tool("tinyir-opt", model, "--mcpu", "cortex-m9"), "--mcpu: unknown target cpu 'cortex-m9'")
    report = tool("tinyir-run", model, "--mcpu", "cortex-m3", "--arena-alloc")
    assert report.returncode == 0 and "checksum" in report.stdout


def test_max_arena_fails_when_the_arena_is_larger_and_budget_never_falls_back():
    model = str(require_model(CNN))
    fits = tool("tinyir-opt", model, "--fuse", "--arena-alloc", "--report", "-")
    arena = int(next(line for line in fits.stdout.splitlines() if "arena " in line).split()[1])
    assert tool("tinyir-opt", model, "--fuse", "--arena-alloc", "--max-arena", str(arena)).returncode == 0
    assert_one_line_error(
        tool("tinyir-opt", model, "--fuse", "--arena-alloc", "--max-arena", str(arena - 1)),
        f"the arena is {arena} B, 1 B over --max-arena {arena - 1} B",
    )
    assert_one_line_error(tool("tinyir-opt", model, "--fuse", "--max-arena", "100"), "no arena (add --arena-alloc)")
    assert_one_line_error(tool("tinyir-opt", model, "--max-arena", "0"), "--max-arena must be")
    # a budget below the least peak partial-exec reaches is an error, not the least plan
    assert_one_line_error(
        tool("tinyir-opt", model, "--fuse", "--partial-exec=budget=1000", "--arena-alloc"),
        "partial-exec: no plan fits budget=1000 B: the least peak reachable is",
    )


def test_report_pareto_draws_the_trade_off(tmp_path):
    model = str(require_model(CNN))
    image = tmp_path / "pareto.png"
    done = tool("tinyir-opt", model, "--fuse", "--partial-exec", "--arena-alloc", "--report-pareto", str(image), "-o", "-")
    assert done.returncode == 0, done.stderr
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert_one_line_error(tool("tinyir-opt", model, "--fuse", "--report-pareto", str(image)), "needs --partial-exec")
    assert_one_line_error(tool("tinyir-opt", model, "--partial-exec", "--report-pareto", "x.gif"), "unknown image format")
