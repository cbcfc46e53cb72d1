"""Partial execution in C: tiny.tile_loop emitted as a C loop (backends/c,
backends/runtime/tinyir_tiles.c), compiled with gcc -Werror and run on the
host, gives the reference executor's output bit for bit (the executor is
bit-exact with TFLite Micro: test_partial_exec.py). On every shared model
after the pass, with and without --reorder; on hand-written chains with
every head and tail (plans force them) and input tiles of every conv shape
and of fully connected layers, under AddressSanitizer and UBSan; and the
split C compiles warning-free for every Cortex-M of the cross build.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import input_sets, model_params, require_model
from test_partial_exec import block_ir

import tinyir
from tinyir.backends import c as c_backend
from tinyir.dialects import tiny

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not found")

# The least peak: every kind of tile on the real models. (The default plans,
# fewer loops, run bit-exact in QEMU: test_cortex_m.py.)
PIPELINES = ["fuse,partial-exec{max-slowdown=0},reorder,arena-alloc"]
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g")


def check_bit_exact(module, tmp_path, inputs_list, name: str = "m", **build) -> str:
    """The host C's outputs equal the executor's on every input set; the C source."""
    exe = c_backend.build_host(module, tmp_path, name, **build)
    for i, inputs in enumerate(inputs_list):
        for k, (want, got) in enumerate(zip(tinyir.execute(module, inputs), c_backend.run_host(exe, module, inputs))):
            diff = np.flatnonzero(want != got)
            assert diff.size == 0, f"input set {i}, output {k}: {diff.size} elements differ (first at {diff[0]})"
    return (tmp_path / f"{name}.c").read_text()


def tile_ops(module) -> list[tiny.ComputeOp]:
    return [op for loop in module.walk() if isinstance(loop, tiny.TileLoopOp) for op in loop.body.block.ops
            if isinstance(op, tiny.ComputeOp)]  # fmt: skip


@pytest.mark.parametrize("pipeline", PIPELINES)
@pytest.mark.parametrize("path", model_params())
def test_shared_model_bit_exact(path, pipeline, tmp_path):
    module = tinyir.run_pipeline(tinyir.import_model(path), pipeline)
    source = check_bit_exact(module, tmp_path, input_sets(module, 1))
    loops = [op for op in module.walk() if isinstance(op, tiny.TileLoopOp)]
    # compact: one loop and one call per op of its body, whatever the tile count
    assert source.count("for (int32_t t = 0; t < ") == len(loops)
    for op in tile_ops(module):
        if op.parent_op().by_rows:
            assert ", by rows" in source
        elif op.tile is not None:
            assert source.count(f"tile t of {op.tile_count}") >= 1


# ---------------------------------------------------------------------------
# Hand-written chains: every head and tail, input tiles of every shape
# ---------------------------------------------------------------------------

WINDOW = (
    "stride = array<i64: {s}, {s}>, dilation = array<i64: {d}, {d}>, pad = array<i64: {p}, {p}, {p}, {p}>, "
    "clamp = array<i64: -128, 127>"
)


def chain_ir(tail=(1, 1, 0, 1), bias: bool = True, multiplier: int = 1, pool: bool = False) -> str:
    """x 1x9x9x6 -> %e conv 1x1 (12) -> %d depthwise 3x3 (12 x multiplier)
    [-> %p avg pool 3x3] -> %y conv (kernel, stride, pad, dilation) = `tail`, 5
    outputs, with or without bias. Odd sizes: every remainder path runs."""
    rng = np.random.default_rng(sum(tail) + 7 * multiplier + 2 * pool + bias)
    k, s, p, d = tail
    mid = 12 * multiplier

    def const(name, shape, quant, dtype=np.int8):
        data = rng.integers(-40, 40, shape).astype(dtype).tobytes().hex()
        elt = "i8" if dtype == np.int8 else "i32"
        return f'%{name} = tiny.const dense<"0x{data}"> : !tiny.buffer<{"x".join(map(str, shape))}x{elt}{quant}>'

    def per_channel(n, axis):
        return f", axis {axis}: {{" + ", ".join(f"0.00{1 + i % 9}:0" for i in range(n)) + "}"

    out = (9 + 2 * p - d * (k - 1) - 1) // s + 1
    y = f"!tiny.buffer<1x{out}x{out}x5xi8, 0.09:4>"
    last = "%p" if pool else "%d"
    lines = [
        f"func.func @main(%x: !tiny.buffer<1x9x9x6xi8, 0.05:-3>) -> {y} {{",
        const("w1", (12, 1, 1, 6), per_channel(12, 0)),
        const("b1", (12,), "", np.int32),
        const("w2", (1, 3, 3, mid), per_channel(mid, 3)),
        const("b2", (mid,), "", np.int32),
        const("w3", (5, k, k, mid), per_channel(5, 0)),
        const("b3", (5,), "", np.int32) if bias else "",
        "%e = tiny.alloc : !tiny.buffer<1x9x9x12xi8, 0.04:-10>",
        f"tiny.conv_2d %x, %w1, %b1 -> %e {{{WINDOW.format(s=1, d=1, p=0)}}}",
        f"%d = tiny.alloc : !tiny.buffer<1x9x9x{mid}xi8, 0.03:5>",
        f"tiny.depthwise_conv_2d %e, %w2, %b2 -> %d {{{WINDOW.format(s=1, d=1, p=1)}}}",
    ]
    if pool:
        lines += [
            f"%p = tiny.alloc : !tiny.buffer<1x9x9x{mid}xi8, 0.03:5>",
            "tiny.avg_pool_2d %d -> %p {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, "
            "pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}",
        ]
    lines += [
        f"%y = tiny.alloc : {y}",
        f"tiny.conv_2d {last}, %w3{', %b3' if bias else ''} -> %y {{{WINDOW.format(s=s, d=d, p=p)}}}",
        f"func.return %y : {y}",
        "}",
    ]
    return "\n".join(lines)


def fc_ir(rows: int = 3, per_channel: bool = False) -> str:
    """x [rows, 16] -> %h fully connected (24, per-channel) -> %y fully
    connected (7; per-tensor with a filter zero point, or per-channel)."""
    rng = np.random.default_rng(rows + per_channel)

    def const(name, shape, quant, dtype=np.int8):
        data = rng.integers(-60, 60, shape).astype(dtype).tobytes().hex()
        elt = "i8" if dtype == np.int8 else "i32"
        return f'%{name} = tiny.const dense<"0x{data}"> : !tiny.buffer<{"x".join(map(str, shape))}x{elt}{quant}>'

    q1 = ", axis 0: {" + ", ".join(f"0.00{1 + i % 9}:0" for i in range(24)) + "}"
    q2 = (", axis 0: {" + ", ".join(f"0.00{1 + i % 9}:0" for i in range(7)) + "}") if per_channel else ", 0.004:3"
    clamp = "{clamp = array<i64: -128, 127>}"
    return "\n".join([
        f"func.func @main(%x: !tiny.buffer<{rows}x16xi8, 0.05:-3>) -> !tiny.buffer<{rows}x7xi8, 0.2:-6> {{",
        const("w1", (24, 16), q1),
        const("b1", (24,), "", np.int32),
        const("w2", (7, 24), q2),
        const("b2", (7,), "", np.int32),
        f"%h = tiny.alloc : !tiny.buffer<{rows}x24xi8, 0.03:2>",
        f"tiny.fully_connected %x, %w1, %b1 -> %h {clamp}",
        f"%y = tiny.alloc : !tiny.buffer<{rows}x7xi8, 0.2:-6>",
        f"tiny.fully_connected %h, %w2, %b2 -> %y {clamp}",
        f"func.return %y : !tiny.buffer<{rows}x7xi8, 0.2:-6>",
        "}",
    ])  # fmt: skip


def split_with_plan(text: str, plan: str, tmp_path):
    path = tmp_path / "tiles.plan"
    path.write_text(plan + "\n")
    module = tinyir.run_pipeline(tinyir.parse_ir(text), f'partial-exec{{plan="{path}"}},arena-alloc')
    assert tile_ops(module), "the plan split nothing"
    return module


def random_sets(module, count: int = 3):
    return [tinyir.random_inputs(module, seed=s) for s in range(count)]


def kinds(module) -> list[str]:
    """The body's ops as name[:tile mode]."""
    return [op.name + (f":{op.tile_mode}" if isinstance(op, tiny.TiledOp) and op.tile_mode else "")
            for op in tile_ops(module)]  # fmt: skip


@pytest.mark.parametrize(
    "plan, body",
    [
        ("split %e to %y tiles 4", ["tiny.conv_2d:out", "tiny.depthwise_conv_2d:out", "tiny.conv_2d:in"]),
        ("split %e to %d tiles 8", ["tiny.conv_2d:out", "tiny.depthwise_conv_2d:out", "tiny.insert_tile"]),
        ("split %d to %y tiles 2", ["tiny.extract_tile", "tiny.depthwise_conv_2d:out", "tiny.conv_2d:in"]),
    ],
    ids=["produce-accumulate", "produce-insert", "extract-accumulate"],
)
def test_block_heads_and_tails(plan, body, tmp_path):
    module = split_with_plan(block_ir(), plan, tmp_path)
    assert kinds(module) == body
    check_bit_exact(module, tmp_path, random_sets(module), extra_cflags=SANITIZE)


def test_extract_head_insert_tail(tmp_path):
    module = split_with_plan(chain_ir(pool=True), "split %d to %p tiles 3", tmp_path)
    assert kinds(module) == ["tiny.extract_tile", "tiny.depthwise_conv_2d:out", "tiny.avg_pool_2d", "tiny.insert_tile"]
    check_bit_exact(module, tmp_path, random_sets(module), extra_cflags=SANITIZE)


@pytest.mark.parametrize(
    "tail, bias, kernel",
    [
        ((3, 2, 1, 1), True, "tinyir_conv_input_tile_s8"),  # 3x3, stride 2, padding
        ((3, 1, 2, 2), False, "tinyir_conv_input_tile_s8"),  # dilation 2, no bias
        ((1, 1, 1, 1), True, "tinyir_conv_input_tile_s8"),  # 1x1 with padding: border taps outside
        ((1, 2, 0, 1), True, "tinyir_pointwise_input_tile_s8"),  # strided pointwise
        ((1, 1, 0, 1), False, "tinyir_pointwise_input_tile_s8"),  # pointwise, no bias
    ],
    ids=["3x3-s2-p1", "3x3-d2-p2-nobias", "1x1-p1", "1x1-s2", "1x1-nobias"],
)
def test_conv_input_tiles(tail, bias, kernel, tmp_path):
    module = split_with_plan(chain_ir(tail, bias), "split %e to %y tiles 3", tmp_path)
    assert kinds(module)[-1] == "tiny.conv_2d:in"
    source = check_bit_exact(module, tmp_path, random_sets(module), extra_cflags=SANITIZE)
    assert f"{kernel}(&params, t, " in source


def test_depthwise_multiplier_tiles(tmp_path):
    """A depthwise output tile of 2 x c channels reads c input channels."""
    module = split_with_plan(chain_ir(multiplier=2), "split %e to %y tiles 4", tmp_path)
    check_bit_exact(module, tmp_path, random_sets(module), extra_cflags=SANITIZE)


@pytest.mark.parametrize("rows, per_channel", [(1, False), (3, False), (2, True)])
def test_fully_connected_tiles(rows, per_channel, tmp_path):
    """Output tiles (CMSIS-NN on slices) and input tiles (a per-tensor filter
    zero point too) of fully connected layers."""
    module = split_with_plan(fc_ir(rows, per_channel), "split %h to %y tiles 4", tmp_path)
    assert kinds(module) == ["tiny.fully_connected:out", "tiny.fully_connected:in"]
    check_bit_exact(module, tmp_path, random_sets(module, 4), extra_cflags=SANITIZE)


def test_constant_read_whole_and_by_tiles(tmp_path):
    """A depthwise filter read by tiles and whole: its array and a tile-major copy."""
    from tinyir.analysis.arena import arena_size

    module = split_with_plan(block_ir(), "split %e to %d tiles 4", tmp_path)
    size = arena_size(module)
    d = "!tiny.buffer<1x16x16x32xi8, 0.03:5>"
    text = tinyir.print_ir(module).replace(f"tiny.arena_size = {size} ", f"tiny.arena_size = {size + 8192} ")
    text = text.replace("    func.return %y", f"    %d2 = tiny.alloc offset {size} : {d}\n"
                        f"    tiny.depthwise_conv_2d %d, %w2, %b2 -> %d2 {{{WINDOW.format(s=1, d=1, p=1)}}}\n"
                        "    func.return %y")  # fmt: skip
    module = tinyir.parse_ir(text)
    source = check_bit_exact(module, tmp_path, random_sets(module, 1))
    assert source.count("tile-major: 4 tiles of axis 3") == 1  # the copy; the IR's array too


def test_sanitized_model(tmp_path):
    """A shared model with extract, insert and input tiles under ASan and UBSan."""
    seen = set()
    for i, options in enumerate(["max-slowdown=0", "max-chunks=4 max-slowdown=0"]):
        module = tinyir.run_pipeline(
            tinyir.import_model(require_model("mlperf_streaming_ww_int8.tflite")),
            f"fuse,partial-exec{{{options}}},arena-alloc",
        )
        seen |= set(kinds(module))
        check_bit_exact(module, tmp_path / str(i), input_sets(module, 1), extra_cflags=SANITIZE)
    assert {"tiny.extract_tile", "tiny.insert_tile", "tiny.conv_2d:in"} <= seen


# ---------------------------------------------------------------------------
# Cortex-M: the split C cross-compiles warning-free, and runs in QEMU
# ---------------------------------------------------------------------------

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not found")


def cross_compile(module, folder, cpu: str, harness: bool = False) -> list:
    """The model's C and tinyir's kernels (with the harness main) compiled
    for `cpu` with backends/cortex_m/build.py's flags (-Werror): the objects."""
    from tinyir.backends.cmsis_nn_host.sources import host_runtime
    from tinyir.backends.cortex_m import build as cortex_m

    c_backend.write_c(module, folder, "m")
    sources = [folder / "m.c", *(folder / f for f in c_backend.RUNTIME_SOURCES if f.endswith(".c"))]
    if harness:
        (folder / "main.c").write_text(cortex_m.harness_c((folder / "m.h").read_text(), "m"))
        sources = [cortex_m.STARTUP_C, folder / "main.c", *sources]
    src = host_runtime()
    return cortex_m.compile_sources(sources, cpu, folder / "obj", (folder, *src.include_dirs), src.defines)


@needs_arm
def test_split_model_compiles_for_every_cortex_m(tmp_path):
    from tinyir.backends.cortex_m import build as cortex_m

    path = require_model("mlperf_streaming_ww_int8.tflite")
    for cpu in cortex_m.CPU_FLAGS:
        module = tinyir.run_pipeline(tinyir.import_model(path, mcpu=cpu), "fuse,partial-exec{max-slowdown=0},arena-alloc")
        assert tile_ops(module)
        assert all(o.stat().st_size > 0 for o in cross_compile(module, tmp_path / cpu, cpu))


@needs_arm
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not found")
def test_split_chain_runs_in_qemu_bit_exact(tmp_path):
    """Cortex-M4 (the DSP build of tinyir_tiles.c: SXTB16, SMLAD) in QEMU:
    pointwise input tiles of 6 channels (4 + a remainder), 81 pixels (pairs
    + one), 5 outputs (pairs + one), with a fully connected one of a row."""
    from tinyir.backends.cmsis_nn_host.sources import host_runtime
    from tinyir.backends.cortex_m import build as cortex_m

    cases = [(chain_ir(), "split %e to %y tiles 2"), (fc_ir(1), "split %h to %y tiles 3")]
    for i, (text, plan) in enumerate(cases):
        module = split_with_plan(text, plan, tmp_path)
        tinyir.run_pipeline(module, "arena-alloc{target-cpu=cortex-m4}")
        folder = tmp_path / str(i)
        objects = cross_compile(module, folder, cortex_m.RUN_CPU, harness=True)
        _, library = cortex_m.cmsis_nn_library(cortex_m.RUN_CPU, host_runtime())
        elf = cortex_m.link([*objects, library], folder / "m.elf", cortex_m.RUN_CPU)
        for inputs in random_sets(module, 2):
            x = b"".join(np.ascontiguousarray(a).tobytes() for a in inputs)
            result = cortex_m.run(elf, inputs={"in.bin": x}, outputs=["out.bin"], timeout=120)
            assert result.returncode == 0, result.stderr.decode()
            assert result.outputs["out.bin"] == b"".join(a.tobytes() for a in tinyir.execute(module, inputs))
