"""The C backend end to end: emitted C, compiled with gcc -Werror against the
host CMSIS-NN runtime (or $CMSIS_NN), gives the reference executor's output
bit for bit (the executor is bit-exact with TFLite Micro)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import input_sets, model_params, require_model

import tinyir
from tinyir.backends import c as c_backend
from tinyir.testing.models import single_op_cases

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not found")

PIPELINES = ["fuse,arena-alloc", "arena-alloc"]


def _allocated(source, pipeline: str, **kw):
    module = tinyir.import_model(source, **kw)
    tinyir.run_pipeline(module, pipeline)
    return module


def _check_bit_exact(module, tmp_path, name: str, inputs_list, **build) -> None:
    exe = c_backend.build_host(module, tmp_path, name, **build)
    for i, inputs in enumerate(inputs_list):
        expected = tinyir.execute(module, inputs)
        got = c_backend.run_host(exe, module, inputs)
        assert len(got) == len(expected)
        for k, (e, g) in enumerate(zip(expected, got)):
            assert g.dtype == e.dtype and g.shape == e.shape
            diff = (
                np.flatnonzero(e.view(np.uint8) != g.view(np.uint8)) if e.dtype.kind == "f" else np.flatnonzero(e != g)
            )
            assert diff.size == 0, f"input set {i}, output {k}: {diff.size} elements differ (first at {diff[0]})"


@pytest.mark.parametrize("pipeline", PIPELINES)
@pytest.mark.parametrize("path", model_params())
def test_shared_model_bit_exact(path, pipeline, tmp_path):
    module = _allocated(path, pipeline)
    _check_bit_exact(module, tmp_path, path.stem, input_sets(module))


@pytest.mark.parametrize(
    "name", ["mlperf_kws_dscnn_int8.tflite", "hanlab_mcunet-5fps_vww.tflite", "mlperf_vww_mbv1_025_96_int8.tflite"]
)
def test_inplace_depthwise_bit_exact(name, tmp_path):
    """In-place depthwise convolutions run tinyir's channel-by-channel kernel."""
    module = _allocated(require_model(name), "fuse,reorder,arena-alloc{inplace-depthwise=true}")
    source = c_backend.emit_c(module, "m")["m.c"]
    assert "tinyir_depthwise_conv_inplace_s8(" in source
    _check_bit_exact(module, tmp_path, "m", input_sets(module))


@pytest.mark.parametrize("case", list(single_op_cases()), ids=lambda c: c.name)
def test_single_op_bit_exact(case, tmp_path):
    module = _allocated(case.data, "arena-alloc", format="tflite")
    inputs = [tinyir.random_inputs(module, seed=s) for s in range(3)]
    _check_bit_exact(module, tmp_path, case.name, inputs)


def test_external_arena(tmp_path):
    case = next(c for c in single_op_cases() if c.name == "add_broadcast_relu")
    module = _allocated(case.data, "arena-alloc", format="tflite")
    files = c_backend.emit_c(module, "net", external_arena=True)
    assert (
        "int tinyir_net_invoke(uint8_t *arena, const int8_t *input0, const int8_t *input1, int8_t *output);"
        in files["net.h"]
    )
    assert "static uint8_t tinyir_net_arena" not in files["net.c"]
    _check_bit_exact(module, tmp_path, "net", [tinyir.random_inputs(module, seed=1)], external_arena=True)


def test_arena_array_is_the_arena_size():
    module = _allocated(require_model("mlperf_kws_dscnn_int8.tflite"), "fuse,arena-alloc")
    size = module.attributes["tiny.arena_size"].value.data
    files = c_backend.emit_c(module, "kws")
    assert f"#define TINYIR_KWS_ARENA_SIZE {size}\n" in files["kws.h"]
    assert "static uint8_t tinyir_kws_arena[TINYIR_KWS_ARENA_SIZE" in files["kws.c"]


def test_emitted_c_is_warning_free_pedantic(tmp_path):
    """Beyond -Wall -Wextra -Werror (every build above): C99, -pedantic, shadowing and sign conversions."""
    module = _allocated(require_model("mlperf_ic_resnet8_int8.tflite"), "fuse,arena-alloc")
    c_backend.write_c(module, tmp_path, "resnet8")
    flags, _ = c_backend.cmsis_nn_library()
    for source in ("resnet8.c", *(f for f in c_backend.RUNTIME_SOURCES if f.endswith(".c"))):
        subprocess.run(
            [
                "gcc",
                "-std=c99",
                "-pedantic",
                "-O2",
                "-Wall",
                "-Wextra",
                "-Wshadow",
                "-Werror",
                f"-I{tmp_path}",
                *flags,
                "-c",
                str(tmp_path / source),
                "-o",
                str(tmp_path / (source + ".o")),
            ],
            check=True,
        )


def test_unallocated_ir_is_refused():
    module = tinyir.import_model(require_model("tflm_hello_world_int8.tflite"))
    with pytest.raises(tinyir.TinyIRError, match=r"^C backend: the module has no arena .*--arena-alloc first$"):
        tinyir.api.emit_c(module)


def test_tools_refuse_unallocated_ir_in_one_line(tmp_path):
    path = require_model("tflm_hello_world_int8.tflite")
    done = subprocess.run(
        [sys.executable, "-m", "tinyir.tools.opt", str(path), "-t", "c"], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: C backend: the module has no arena")


def test_opt_writes_the_c_folder(tmp_path):
    path = require_model("mlperf_kws_dscnn_int8.tflite")
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, "-m", "tinyir.tools.opt", str(path), "--fuse", "--arena-alloc", "-t", "c", "-o", str(out)],
        check=True,
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "README.md",
        "mlperf_kws_dscnn_int8.c",
        "mlperf_kws_dscnn_int8.h",
        "tinyir.cmake",
        "tinyir.mk",
        "tinyir_index.h",
        "tinyir_kernels.c",
        "tinyir_kernels.h",
        "tinyir_kernels_f32.c",
        "tinyir_tiles.c",
        "tinyir_tiles.h",
    ]
    readme = (out / "README.md").read_text()
    assert "one arena of **16256 bytes**" in readme and "tinyir_mlperf_kws_dscnn_int8_invoke_in_place()" in readme
    assert (
        "int tinyir_mlperf_kws_dscnn_int8_invoke(const int8_t *input, int8_t *output);"
        in (out / "mlperf_kws_dscnn_int8.h").read_text()
    )


def test_run_backend_c_prints_the_reference_checksum():
    path = require_model("mlperf_ic_resnet8_int8.tflite")

    def run(*extra):
        done = subprocess.run(
            [sys.executable, "-m", "tinyir.tools.run", str(path), "--fuse", *extra],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    reference = run()
    assert "checksum" in reference
    assert run("--backend", "c") == reference  # --arena-alloc added by default
    assert run("--arena-alloc=alignment=32", "--backend", "c") == reference


def test_xdsl_target_is_registered():
    from tinyir.universe import TINYIR_UNIVERSE

    assert TINYIR_UNIVERSE.all_targets["c"]() is c_backend.CTarget


def _elementwise_module(rng: np.random.Generator) -> str:
    """Every int8 elementwise kernel of tinyir_kernels.c on a 1x256 input, random quantizations."""

    def q(scale: float, zp: int) -> str:
        return f"{tinyir.dialects.tiny.format_scale(scale)}:{zp}"

    s_in = float(rng.uniform(0.002, 0.5))
    x = f"!tiny.buffer<1x256xi8, {q(s_in, int(rng.integers(-128, 128)))}>"
    outs = {
        "logistic": f"!tiny.buffer<1x256xi8, {q(1 / 256, -128)}>",
        "hard_swish": f"!tiny.buffer<1x256xi8, {q(s_in * float(rng.uniform(0.05, 4)), int(rng.integers(-128, 128)))}>",
        "clamp": f"!tiny.buffer<1x256xi8, {q(s_in * float(rng.uniform(0.3, 3)), int(rng.integers(-100, 100)))}>",
        "quantize": f"!tiny.buffer<1x256xi8, {q(s_in * float(rng.uniform(0.1, 10)), int(rng.integers(-128, 128)))}>",
        "dequantize": "!tiny.buffer<1x256xf32>",
    }
    lo = int(rng.integers(-128, 0))
    hi = int(rng.integers(lo, 128))
    body = []
    for op, t in outs.items():
        body.append(f"    %{op} = tiny.alloc : {t}")
        attrs = f" {{clamp = array<i64: {lo}, {hi}>}}" if op == "clamp" else ""
        body.append(f"    tiny.{op} %x -> %{op}{attrs}")
    results = ", ".join(outs.values())
    body.append(f"    func.return {', '.join('%' + o for o in outs)} : {results}")
    return "\n".join([f"func.func @main(%x: {x}) -> ({results}) {{", *body, "}"])


@pytest.mark.parametrize("seed", range(6))
def test_portable_elementwise_kernels_exhaustive(seed, tmp_path):
    """tinyir_kernels.c's LOGISTIC, HARD_SWISH, clamp, requantize and DEQUANTIZE on all 256 int8 values."""
    module = tinyir.parse_ir(_elementwise_module(np.random.default_rng(seed)))
    tinyir.run_pipeline(module, "arena-alloc")
    every = np.arange(-128, 128).astype(np.int8).reshape(1, 256)
    _check_bit_exact(module, tmp_path, "elementwise", [[every]])
