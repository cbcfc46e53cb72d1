"""Row loops in C (`tiny.tile_loop %t < N rows`, backends/c/rows.py): one C
loop over the tiles, one call per op of the body on its band of rows (dims,
top padding, pointers from small per-tile tables), the line buffers' kept
rows moved by memmove; compiled with gcc -Werror (and ASan, UBSan) and run
on the host, it gives the reference executor's output bit for bit. On
hand-written chains: 1x1 / depthwise (stride 1 and 2, 5x5, depth
multiplier) / 3x3 convs reading the whole input, pools, residual adds (of
the whole input and of a line buffer), broadcast mul and the unary ops; tile
counts that divide the height and counts that do not, one tile and one row a
tile. With $CMSIS_NN set, against upstream CMSIS-NN too (host and QEMU).
"""

from __future__ import annotations

import os
import re
import shutil

import numpy as np
import pytest

import tinyir
from tinyir.backends import c as c_backend
from tinyir.dialects import tiny
from tinyir.dialects.tiny.nn import window_output_size

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not found")

SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g")
QUANTS = ["0.04:-10", "0.03:5", "0.06:2", "0.05:-7", "0.02:11", "0.07:-1"]
LOGISTIC = "0.00390625:-128"  # TFLite's int8 logistic output
CLAMP = "clamp = array<i64: -128, 127>"


def row_ir(ops, tiles: int, h: int = 9, w: int = 7, c: int = 8, seed: int = 0) -> str:
    """x 1 x h x w x c -> the chain `ops` in a row loop of `tiles` tiles ->
    %y (whole, the last op's output); every other op writes a line buffer
    (%l1, %l2, ...) of the fewest rows the schedule needs. An op is
    ("conv", kernel, stride, pad, dilation, c_out), ("dw", kernel, stride,
    pad[, multiplier]), ("avg" | "max", kernel, stride, pad), ("add", n) (the
    current tensor plus the one op n made; 0: %x), ("mul",) (times a
    per-channel constant), ("logistic",), ("hard_swish",), ("clamp", lo, hi),
    ("quantize",)."""
    rng = np.random.default_rng(seed)
    consts: list[str] = []

    def const(shape, quant="", dtype=np.int8, lo=-40, hi=40) -> str:
        name = f"%k{len(consts)}"
        data = rng.integers(lo, hi, shape).astype(dtype).tobytes().hex()
        elt = "i8" if dtype == np.int8 else "i32"
        consts.append(f'{name} = tiny.const dense<"0x{data}"> : !tiny.buffer<{"x".join(map(str, shape))}x{elt}{quant}>')
        return name

    def per_channel(n, axis):
        return f", axis {axis}: {{" + ", ".join(f"0.00{1 + i % 9}:0" for i in range(n)) + "}"

    # (name, height, width, channels, quantization) of each tensor: %x, then each op's output
    tensors = [("%x", h, w, c, "0.05:-3")]
    body: list[str] = []
    for n, (kind, *args) in enumerate(ops, 1):
        src, ih, iw, ic, iq = tensors[-1]
        out = "%y" if n == len(ops) else f"%l{n}"
        oq = QUANTS[n % len(QUANTS)]
        oh, ow, oc = ih, iw, ic
        if kind in ("conv", "dw", "avg", "max"):
            k, s, p, *more = args
            d = more[0] if kind == "conv" else 1
            oh, ow = (window_output_size(size, k, s, d, p, p) for size in (ih, iw))
            window = f"stride = array<i64: {s}, {s}>, pad = array<i64: {p}, {p}, {p}, {p}>, {CLAMP}"
            if kind == "conv":
                oc = more[1]
            if kind == "dw":
                oc = ic * (more[0] if more else 1)
                wts, bias = const((1, k, k, oc), per_channel(oc, 3)), const((oc,), dtype=np.int32)
                op = f"tiny.depthwise_conv_2d {src}, {wts}, {bias} -> {out} {{{window}, dilation = array<i64: 1, 1>}}"
            elif kind == "conv":
                wts, bias = const((oc, k, k, ic), per_channel(oc, 0)), const((oc,), dtype=np.int32)
                op = f"tiny.conv_2d {src}, {wts}, {bias} -> {out} {{{window}, dilation = array<i64: {d}, {d}>}}"
            else:
                op = f"tiny.{kind}_pool_2d {src} -> {out} {{kernel = array<i64: {k}, {k}>, {window}}}"
                oq = iq  # pools keep the quantization
        elif kind == "add":
            other = tensors[args[0]][0]
            op = f"tiny.add {src}, {other} -> {out} {{{CLAMP}}}"
        elif kind == "mul":
            op = f"tiny.mul {src}, {const((ic,), ', 0.02:3', lo=-100, hi=100)} -> {out} {{{CLAMP}}}"
        elif kind == "clamp":
            op = f"tiny.clamp {src} -> {out} {{clamp = array<i64: {args[0]}, {args[1]}>}}"
            oq = iq
        elif kind in ("logistic", "hard_swish", "quantize"):
            op = f"tiny.{kind} {src} -> {out}"
            oq = LOGISTIC if kind == "logistic" else oq
        else:
            raise ValueError(kind)
        if out != "%y":
            body.append(f"%l{n} = tiny.alloc : !tiny.buffer<1x@l{n}@x{ow}x{oc}xi8, {oq}>")
        body.append(op)
        tensors.append((out, oh, ow, oc, oq))
    _, oh, ow, oc, oq = tensors[-1]
    y = f"!tiny.buffer<1x{oh}x{ow}x{oc}xi8, {oq}>"
    text = "\n".join([
        f"func.func @main(%x: !tiny.buffer<1x{h}x{w}x{c}xi8, 0.05:-3>) -> {y} {{",
        *consts,
        f"%y = tiny.alloc : {y}",
        f"tiny.tile_loop %t < {tiles} rows {{",
        *body,
        "}",
        f"func.return %y : {y}",
        "}",
    ])  # fmt: skip
    # line buffers: first as tall as their tensors, then as the schedule needs
    def sized(rows: dict[str, int]) -> str:
        return re.sub(r"@(l\d+)@", lambda m: str(rows[m.group(1)]), text)

    module = tinyir.parse_ir(sized({f"l{n}": tensors[n][1] for n in range(1, len(ops))}))
    loop = next(op for op in module.walk() if isinstance(op, tiny.TileLoopOp))
    return sized({v.name_hint: rows for v, rows in tiny.row_schedule(loop).rows.items()})


def allocated(ops, tiles: int, cpu: str | None = None, **kw):
    target = f"{{target-cpu={cpu}}}" if cpu else ""
    return tinyir.run_pipeline(tinyir.parse_ir(row_ir(ops, tiles, **kw)), f"arena-alloc{target}")


def check_bit_exact(module, tmp_path, sets: int = 3, **build) -> str:
    """The host C's outputs equal the executor's on `sets` random input sets; the C source."""
    exe = c_backend.build_host(module, tmp_path, "m", **build)
    for s in range(sets):
        inputs = tinyir.random_inputs(module, seed=s)
        for k, (want, got) in enumerate(zip(tinyir.execute(module, inputs), c_backend.run_host(exe, module, inputs))):
            diff = np.flatnonzero(want != got)
            assert diff.size == 0, f"input set {s}, output {k}: {diff.size} elements differ (first at {diff[0]})"
    return (tmp_path / "m.c").read_text()


def body_ops(module) -> list[tiny.ComputeOp]:
    loop = next(op for op in module.walk() if isinstance(op, tiny.TileLoopOp))
    return [op for op in loop.body.block.ops if isinstance(op, tiny.ComputeOp)]


def max_shift(module) -> int:
    loop = next(op for op in module.walk() if isinstance(op, tiny.TileLoopOp))
    return max((s.shift.rows for steps in tiny.row_schedule(loop).tiles for s in steps if s.shift), default=0)


MBCONV = [("conv", 1, 1, 0, 1, 24), ("dw", 3, 1, 1), ("conv", 1, 1, 0, 1, 8)]

CHAINS = {
    "mbconv": MBCONV,
    "dw-stride-2": [("conv", 1, 1, 0, 1, 16), ("dw", 3, 2, 1), ("conv", 1, 1, 0, 1, 8)],
    "conv3x3-whole-input": [("conv", 3, 1, 1, 1, 12), ("dw", 3, 1, 1), ("conv", 1, 1, 0, 1, 6)],
    "dw5x5-multiplier": [("dw", 5, 1, 2, 2), ("conv", 3, 2, 1, 2, 8), ("dw", 3, 1, 1)],
    "residual-whole-input": [*MBCONV, ("add", 0)],
    "residual-line-buffer": [("conv", 1, 1, 0, 1, 16), ("dw", 3, 1, 1), ("add", 1), ("conv", 1, 1, 0, 1, 8)],
    "pools": [("conv", 1, 1, 0, 1, 16), ("avg", 3, 1, 1), ("max", 2, 2, 0), ("dw", 3, 1, 1), ("avg", 2, 1, 0)],
    "1x1-padded": [("conv", 1, 1, 1, 1, 8), ("conv", 1, 2, 1, 1, 12), ("dw", 3, 1, 1)],  # bands of padding only
    "elementwise": [
        ("conv", 1, 1, 0, 1, 16), ("hard_swish",), ("dw", 3, 1, 1), ("mul",), ("clamp", -50, 90), ("quantize",),
        ("conv", 3, 1, 1, 1, 8), ("logistic",),
    ],
}  # fmt: skip


@pytest.mark.parametrize("tiles", [1, 2, 4, 9])
def test_mbconv_tile_counts(tiles, tmp_path):
    """Every tile count on 9 rows: whole, uneven halves, uneven quarters, a row a tile."""
    module = allocated(MBCONV, tiles)
    source = check_bit_exact(module, tmp_path, extra_cflags=SANITIZE)
    assert source.count("for (int32_t t = 0; t < ") == 1
    assert source.count("arm_convolve_wrapper_s8(&ctx") == 2 and source.count("arm_depthwise_conv_wrapper_s8(") == 1


@pytest.mark.parametrize("tiles", [3, 5])
@pytest.mark.parametrize("chain", list(CHAINS))
def test_chain_bit_exact(chain, tiles, tmp_path):
    module = allocated(CHAINS[chain], tiles, seed=tiles)
    source = check_bit_exact(module, tmp_path, extra_cflags=SANITIZE)
    ops = body_ops(module)
    # compact: one loop, one numbered call per op, at most one table per op
    assert source.count("for (int32_t t = 0; t < ") == 1
    assert len(re.findall(r"/\* \d+: tiny\.", source)) == len(ops)
    assert len(re.findall(r"static const struct \{[^}]*\} op\d+_band\[", source)) <= len(ops)


def test_shifts_of_several_rows(tmp_path):
    """3x3 conv -> 5x5 depthwise -> 3x3 conv: both line buffers keep rows
    from tile to tile, the first up to 4."""
    module = allocated([("conv", 3, 1, 1, 1, 8), ("dw", 5, 1, 2), ("conv", 3, 1, 1, 1, 4)], 6, h=13)
    assert max_shift(module) >= 4
    source = check_bit_exact(module, tmp_path, extra_cflags=SANITIZE)
    assert source.count("memmove(") == 2


def test_emitted_loop(tmp_path):
    """The C of a row loop: literals where all tiles agree (the project
    conv writes row t of %y), a table where the edges differ, the call
    skipped where an op has no band, the shift before the expand conv."""
    module = allocated(MBCONV, 9)
    source = c_backend.emit_c(module, "m")["m.c"]
    loop = source[source.index("for (int32_t t = 0; t < 9; ++t)"):]
    expand, dw, project = re.split(r"/\* \d+: ", loop)[1:4]
    assert "memmove(arena + " in expand and "if (op1_band[t].rows > 0)" in expand
    assert ".padding = {.w = 1, .h = op2_band[t].pad_top}" in dw and "input_dims = {1, op2_band[t].in_rows, 7, 24}" in dw
    assert "output_dims = {1, 1, 7, 8}" in project and "+ t * 56)" in project and "if (" not in project.split("{")[0]
    assert "static const struct { uint8_t " in source


def test_op_without_kernel_is_refused():
    """An op in a row loop the C backend has no kernel for: the usual one-line error."""
    from tinyir.backends.c.emitter import Emitter
    from tinyir.backends.c.target import KERNELS
    from tinyir.errors import TinyIRError

    module = allocated(MBCONV, 3)
    kernels = {op: kernel for op, kernel in KERNELS.items() if op is not tiny.DepthwiseConv2DOp}
    with pytest.raises(TinyIRError, match="^C backend: no kernel for tiny.depthwise_conv_2d in a row loop$"):
        Emitter(module, "m", False, kernels).emit()


def test_mve_1xn_kernel_with_vertical_padding_is_refused():
    """A band of one input row takes CMSIS-NN's 1xN kernel; its MVE code
    computes one unpadded output row: refused for an MVE allocation only."""
    from tinyir.errors import TinyIRError

    chain = CHAINS["1x1-padded"]
    c_backend.emit_c(allocated(chain, 3, cpu="cortex-m4"), "m")
    with pytest.raises(TinyIRError, match="^C backend: tiny.conv_2d 1x1 with vertical padding in a row loop"):
        c_backend.emit_c(allocated(chain, 3, cpu="cortex-m55"), "m")


# ---------------------------------------------------------------------------
# Cortex-M: warning-free cross builds, and QEMU (Cortex-M4: CMSIS-NN's DSP code with $CMSIS_NN)
# ---------------------------------------------------------------------------

UPSTREAM = os.environ.get("CMSIS_NN")


def _cortex_m():
    from tinyir.backends.cortex_m import build as cortex_m

    if cortex_m.missing_tools():
        pytest.skip(f"{' and '.join(cortex_m.missing_tools())} not on PATH")
    return cortex_m


@pytest.mark.parametrize("cpu", ["cortex-m0plus", "cortex-m4", "cortex-m55"])
def test_cross_builds(cpu, tmp_path):
    """Every CMSIS-NN family (pure C, DSP, MVE): the chains compile with -Werror and link into their arena."""
    cortex_m = _cortex_m()
    module = allocated([*CHAINS["elementwise"], ("add", 7), ("avg", 3, 2, 1)], 4, cpu=cpu)
    built = cortex_m.build_model(module, tmp_path, "m", cpu, UPSTREAM)
    assert built.elf.is_file()


@pytest.mark.parametrize("chain", ["mbconv", "conv3x3-whole-input", "pools", "residual-line-buffer"])
def test_runs_in_qemu_bit_exact(chain, tmp_path):
    cortex_m = _cortex_m()
    module = allocated(CHAINS[chain], 4, cpu=cortex_m.RUN_CPU)
    built = cortex_m.build_model(module, tmp_path, "m", cortex_m.RUN_CPU, UPSTREAM)
    for s in range(2):
        inputs = tinyir.random_inputs(module, seed=s)
        x = b"".join(np.ascontiguousarray(a).tobytes() for a in inputs)
        result = cortex_m.run(built.elf, inputs={"in.bin": x}, outputs=["out.bin"], timeout=120)
        assert result.returncode == 0, result.stderr.decode()
        assert result.outputs["out.bin"] == b"".join(a.tobytes() for a in tinyir.execute(module, inputs))
