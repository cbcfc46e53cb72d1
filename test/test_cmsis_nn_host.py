"""The host runtime with the CMSIS-NN API (backends/cmsis_nn_host), against
tinyir.numerics.kernels (bit-exact with TFLite Micro): max |diff| = 0 on random shapes,
data and quantization. The same comparisons run against a real CMSIS-NN built
for the host (pure C build) when $CMSIS_NN names a checkout of
ARM-software/CMSIS-NN, and the host runtime runs once more under
AddressSanitizer + UndefinedBehaviorSanitizer.

The C library is built once per session (per implementation) with gcc, with
a small driver (DRIVER below) that fills CMSIS-NN's structures with positional
initializers, so a field out of order in our headers would show as a wrong
answer against the real library.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tinyir.analysis import scratch
from tinyir.analysis.target import Family
from tinyir.backends.cmsis_nn_host import sources as srcmod
from tinyir.numerics import kernels as K
from tinyir.numerics import quantization as qz
from tinyir.numerics.quantization import QParams

GCC = shutil.which("gcc")
UPSTREAM = os.environ.get("CMSIS_NN")  # a CMSIS-NN checkout: the same comparisons against it
SANITIZE = os.environ.get("TINYIR_CMSIS_NN_SANITIZE") == "1"
WARN = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"]

pytestmark = pytest.mark.skipif(GCC is None, reason="gcc not found: the CMSIS-NN host runtime tests compile C")

DRIVER = r"""
#include <stdlib.h>
#include "arm_nnfunctions.h"

/* p: in_off, out_off, stride w, h, pad w, h, dilation w, h, act min, max */
int drv_conv(const int8_t *in, const int32_t *id, const int8_t *f, const int32_t *fd, const int32_t *bias,
             int8_t *out, const int32_t *od, const int32_t *p, int32_t *mult, int32_t *shift, int32_t *bufsize)
{
    const cmsis_nn_conv_params cp = {p[0], p[1], {p[2], p[3]}, {p[4], p[5]}, {p[6], p[7]}, {p[8], p[9]}};
    const cmsis_nn_per_channel_quant_params q = {mult, shift};
    const cmsis_nn_dims in_dims = {id[0], id[1], id[2], id[3]};
    const cmsis_nn_dims f_dims = {fd[0], fd[1], fd[2], fd[3]};
    const cmsis_nn_dims b_dims = {1, 1, 1, od[3]};
    const cmsis_nn_dims out_dims = {od[0], od[1], od[2], od[3]};
    const int32_t size = arm_convolve_wrapper_s8_get_buffer_size(&cp, &in_dims, &f_dims, &out_dims);
    cmsis_nn_context ctx = {NULL, size};
    if (size > 0) ctx.buf = calloc((size_t)size, 1);
    *bufsize = size;
    const int r = arm_convolve_wrapper_s8(&ctx, &cp, &q, &in_dims, in, &f_dims, f, &b_dims, bias, &out_dims, out);
    free(ctx.buf);
    return r;
}

/* p: in_off, out_off, ch_mult, stride w, h, pad w, h, dilation w, h, act min, max */
int drv_dw(const int8_t *in, const int32_t *id, const int8_t *f, const int32_t *fd, const int32_t *bias,
           int8_t *out, const int32_t *od, const int32_t *p, int32_t *mult, int32_t *shift, int32_t *bufsize)
{
    const cmsis_nn_dw_conv_params cp = {p[0], p[1], p[2], {p[3], p[4]}, {p[5], p[6]}, {p[7], p[8]}, {p[9], p[10]}};
    const cmsis_nn_per_channel_quant_params q = {mult, shift};
    const cmsis_nn_dims in_dims = {id[0], id[1], id[2], id[3]};
    const cmsis_nn_dims f_dims = {fd[0], fd[1], fd[2], fd[3]};
    const cmsis_nn_dims b_dims = {1, 1, 1, od[3]};
    const cmsis_nn_dims out_dims = {od[0], od[1], od[2], od[3]};
    const int32_t size = arm_depthwise_conv_wrapper_s8_get_buffer_size(&cp, &in_dims, &f_dims, &out_dims);
    cmsis_nn_context ctx = {NULL, size};
    if (size > 0) ctx.buf = calloc((size_t)size, 1);
    *bufsize = size;
    const int r = arm_depthwise_conv_wrapper_s8(&ctx, &cp, &q, &in_dims, in, &f_dims, f, &b_dims, bias, &out_dims, out);
    free(ctx.buf);
    return r;
}

/* p: in_off, filter_off, out_off, act min, max; mode 0 per-tensor, 1 per-channel, 2/3 wrapper (per-tensor/-channel) */
int drv_fc(const int8_t *in, int32_t batches, int32_t depth, const int8_t *f, const int32_t *bias, int8_t *out,
           int32_t outputs, const int32_t *p, int32_t *mult, int32_t *shift, int32_t mode, int32_t *bufsize)
{
    const cmsis_nn_fc_params fp = {p[0], p[1], p[2], {p[3], p[4]}};
    const cmsis_nn_dims in_dims = {batches, 1, 1, depth};
    const cmsis_nn_dims f_dims = {depth, 1, 1, outputs};
    const cmsis_nn_dims b_dims = {1, 1, 1, outputs};
    const cmsis_nn_dims out_dims = {batches, 1, 1, outputs};
    const int32_t size = arm_fully_connected_s8_get_buffer_size(&f_dims);
    cmsis_nn_context ctx = {NULL, size};
    if (size > 0) ctx.buf = calloc((size_t)size, 1);
    *bufsize = size;
    int r;
    if (mode == 0) {
        const cmsis_nn_per_tensor_quant_params q = {mult[0], shift[0]};
        r = arm_fully_connected_s8(&ctx, &fp, &q, &in_dims, in, &f_dims, f, &b_dims, bias, &out_dims, out);
    } else if (mode == 1) {
        const cmsis_nn_per_channel_quant_params q = {mult, shift};
        r = arm_fully_connected_per_channel_s8(&ctx, &fp, &q, &in_dims, in, &f_dims, f, &b_dims, bias, &out_dims, out);
    } else {
        const cmsis_nn_quant_params q = {mult, shift, mode == 3};
        r = arm_fully_connected_wrapper_s8(&ctx, &fp, &q, &in_dims, in, &f_dims, f, &b_dims, bias, &out_dims, out);
    }
    free(ctx.buf);
    return r;
}

/* p: stride w, h, pad w, h, act min, max, kernel w, h; avg != 0: average pooling */
int drv_pool(const int8_t *in, const int32_t *id, int8_t *out, const int32_t *od, const int32_t *p, int32_t avg,
             int32_t *bufsize)
{
    const cmsis_nn_pool_params pp = {{p[0], p[1]}, {p[2], p[3]}, {p[4], p[5]}};
    const cmsis_nn_dims in_dims = {id[0], id[1], id[2], id[3]};
    const cmsis_nn_dims f_dims = {1, p[7], p[6], 1};
    const cmsis_nn_dims out_dims = {od[0], od[1], od[2], od[3]};
    const int32_t size = avg ? arm_avgpool_s8_get_buffer_size(od[2], id[3]) : 0;
    cmsis_nn_context ctx = {NULL, size};
    if (size > 0) ctx.buf = calloc((size_t)size, 1);
    *bufsize = size;
    const int r = avg ? arm_avgpool_s8(&ctx, &pp, &in_dims, in, &f_dims, &out_dims, out)
                      : arm_max_pool_s8(&ctx, &pp, &in_dims, in, &f_dims, &out_dims, out);
    free(ctx.buf);
    return r;
}

int drv_transpose(const int8_t *in, const int32_t *id, int8_t *out, const int32_t *od, int32_t rank,
                  const uint32_t *perm)
{
    const cmsis_nn_dims in_dims = {id[0], id[1], id[2], id[3]};
    const cmsis_nn_dims out_dims = {od[0], od[1], od[2], od[3]};
    const cmsis_nn_transpose_params tp = {rank, perm};
    return arm_transpose_s8(in, out, &in_dims, &out_dims, &tp);
}

int drv_min_max(const int8_t *in_1, const int32_t *d1, const int8_t *in_2, const int32_t *d2, int8_t *out,
                const int32_t *od, int32_t maximum)
{
    const cmsis_nn_context ctx = {NULL, 0};
    const cmsis_nn_dims dims_1 = {d1[0], d1[1], d1[2], d1[3]};
    const cmsis_nn_dims dims_2 = {d2[0], d2[1], d2[2], d2[3]};
    const cmsis_nn_dims out_dims = {od[0], od[1], od[2], od[3]};
    return maximum ? arm_maximum_s8(&ctx, in_1, &dims_1, in_2, &dims_2, out, &out_dims)
                   : arm_minimum_s8(&ctx, in_1, &dims_1, in_2, &dims_2, out, &out_dims);
}
"""

P = ctypes.c_void_p
I32 = ctypes.c_int32
U16 = ctypes.c_uint16
U32 = ctypes.c_uint32


def _ptr(a: np.ndarray | None):
    return None if a is None else a.ctypes.data_as(P)


def _i32(values) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(values, dtype=np.int32).reshape(-1))


class Lib:
    """A built implementation: ctypes handle plus which one it is."""

    def __init__(self, path: Path, kind: str):
        self.kind = kind
        self.dll = ctypes.CDLL(str(path))
        d = self.dll
        for name in ("drv_conv", "drv_dw"):
            getattr(d, name).argtypes = [P] * 11
            getattr(d, name).restype = ctypes.c_int
        d.drv_fc.argtypes = [P, I32, I32, P, P, P, I32, P, P, P, I32, P]
        d.drv_fc.restype = ctypes.c_int
        d.drv_pool.argtypes = [P, P, P, P, P, I32, P]
        d.drv_pool.restype = ctypes.c_int
        d.drv_transpose.argtypes = [P, P, P, P, I32, P]
        d.drv_transpose.restype = ctypes.c_int
        d.drv_min_max.argtypes = [P, P, P, P, P, P, I32]
        d.drv_min_max.restype = ctypes.c_int
        d.arm_softmax_s8.argtypes = [P, I32, I32, I32, I32, I32, P]
        d.arm_softmax_s8.restype = None
        d.arm_elementwise_add_s8.argtypes = [P, P] + [I32] * 7 + [P] + [I32] * 6
        d.arm_elementwise_add_s8.restype = ctypes.c_int
        d.arm_elementwise_mul_s8.argtypes = [P, P, I32, I32, P] + [I32] * 6
        d.arm_elementwise_mul_s8.restype = ctypes.c_int
        for axis in "xyz":
            getattr(d, f"arm_concatenation_s8_{axis}").argtypes = [P, U16, U16, U16, U16, P, U16, U32]
            getattr(d, f"arm_concatenation_s8_{axis}").restype = None
        d.arm_concatenation_s8_w.argtypes = [P, U16, U16, U16, U16, P, U32]
        d.arm_concatenation_s8_w.restype = None


def _build(src: srcmod.CSources, out_dir: Path, extra: list[str]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    driver = out_dir / "driver.c"
    driver.write_text(DRIVER)
    lib = out_dir / "libcmsisnn.so"
    warn = WARN if src.kind == "host" else ["-std=c99", "-O2"]  # CMSIS-NN's own code: its own business
    objs = [str(out_dir / f"{i:03d}_{c.stem}.o") for i, c in enumerate(src.c_files)]

    def compile_one(c: Path, obj: str) -> None:
        subprocess.run([GCC, *warn, "-fPIC", *extra, *src.cflags(), "-c", str(c), "-o", obj],
                       check=True, capture_output=True, text=True)

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        list(pool.map(compile_one, src.c_files, objs))
    subprocess.run([GCC, *WARN, "-fPIC", *extra, *src.cflags(), "-c", str(driver), "-o", str(out_dir / "driver.o")],
                   check=True, capture_output=True, text=True)
    subprocess.run([GCC, "-shared", *extra, "-o", str(lib), *objs, str(out_dir / "driver.o")],
                   check=True, capture_output=True, text=True)
    return lib


_LIBS: dict[str, Lib | str] = {}


def _cmsis_nn_root(tmp_path_factory) -> Path:
    """The CMSIS-NN checkout named by $CMSIS_NN, or skip."""
    if not UPSTREAM:
        pytest.skip("set CMSIS_NN to a CMSIS-NN checkout to compare against real CMSIS-NN")
    root = Path(UPSTREAM)
    if not (root / "Include").is_dir() or not (root / "Source").is_dir():
        pytest.skip(f"CMSIS_NN={UPSTREAM} is not a CMSIS-NN checkout (no Include/ and Source/)")
    return root


def _lib(kind: str, tmp_path_factory) -> Lib:
    if kind not in _LIBS:
        try:
            if kind == "host":
                src = srcmod.host_runtime()
                extra = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                         "-fno-omit-frame-pointer"] if SANITIZE else []
            else:
                src = srcmod.sources(_cmsis_nn_root(tmp_path_factory))
                extra = []
            _LIBS[kind] = Lib(_build(src, tmp_path_factory.mktemp(f"build-{kind}"), extra), kind)
        except subprocess.CalledProcessError as e:
            _LIBS[kind] = f"building the {kind} CMSIS-NN library failed:\n{e.stderr}"
    lib = _LIBS[kind]
    if isinstance(lib, str):
        pytest.fail(lib)
    return lib


IMPLS = ["host"] if SANITIZE else ["host", "cmsis-nn"]


@pytest.fixture(params=IMPLS, scope="session")
def lib(request, tmp_path_factory) -> Lib:
    return _lib(request.param, tmp_path_factory)


# ---------------------------------------------------------------------------
# Random cases
# ---------------------------------------------------------------------------


def _q(rng, lo=0.005, hi=0.05, zp=None) -> QParams:
    scale = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    return QParams.per_tensor(scale, int(rng.integers(-128, 128)) if zp is None else zp)


def _act(rng, out_q: QParams) -> tuple[int, int]:
    choice = rng.integers(0, 4)
    if choice == 0:
        return -128, 127
    if choice == 1:
        return qz.activation_range("RELU", out_q)
    if choice == 2:
        return qz.activation_range("RELU6", out_q)
    lo = int(rng.integers(-128, 60))
    return lo, int(rng.integers(lo + 30, 128))


def _i8(rng, shape) -> np.ndarray:
    return rng.integers(-128, 128, size=shape, dtype=np.int64).astype(np.int8)


def _window(rng, size: int, k: int, stride: int, dilation: int, same: bool):
    """(pad_before, pad_after, out) for SAME or VALID, VALID falling back to SAME."""
    if not same and (k - 1) * dilation + 1 <= size:
        return qz.valid_padding(size, k, stride, dilation)
    return qz.same_padding(size, k, stride, dilation)


def _small_data(rng, x: np.ndarray, wt: np.ndarray, x_q: QParams) -> None:
    """In place: inputs within 2 of their zero point and weights within 3 of
    zero, so that effective scales above 1 (positive shifts) still give
    unsaturated outputs."""
    x[...] = np.clip(x_q.zp + rng.integers(-2, 3, x.shape), -128, 127)
    wt[...] = rng.integers(-3, 4, wt.shape)


def _out_q(rng, x_q: QParams, w_q: QParams, depth: int, positive_shift: bool) -> QParams:
    """An output quantization that keeps most outputs unsaturated: effective
    scale ~ 50 / (typical |accumulator|), or in [1.5, 8] (positive shifts)."""
    ws = float(np.mean(w_q.scale))
    if positive_shift:
        effective = rng.uniform(1.5, 8.0)
    else:
        effective = rng.uniform(20, 80) / (75.0 * 100.0 * np.sqrt(depth))
    return QParams.per_tensor(x_q.scale[0] * ws / effective, int(rng.integers(-60, 61)))


def _check(got: np.ndarray, want: np.ndarray, what: str) -> None:
    diff = np.abs(got.astype(np.int32) - want.astype(np.int32))
    assert diff.max(initial=0) == 0, f"{what}: max |diff| {diff.max()} at {np.argwhere(diff)[:5].tolist()}"


@pytest.mark.parametrize("seed", range(40))
def test_convolve_wrapper_s8(lib, seed):
    rng = np.random.default_rng(1000 + seed)
    kind = seed % 4  # 0: generic, 1: 1x1 (CMSIS-NN's 1x1 kernels), 2: 1xN row, 3: grouped
    n = int(rng.integers(1, 3))
    h, w = (int(rng.integers(1, 10)), int(rng.integers(1, 10)))
    c_in = int(rng.integers(1, 9))
    groups = 1
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    dh, dw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    same = bool(rng.integers(0, 2))
    if kind == 1:
        kh = kw = 1
        dh = dw = 1
        same = False
    elif kind == 2:
        h, kh, dw, dh = 1, 1, 1, 1
        c_in = 4 * int(rng.integers(1, 3))
    elif kind == 3:
        groups = int(rng.integers(2, 4))
        kh = max(kh, 2)
    c_total = c_in * groups
    c_out = groups * int(rng.integers(1, 5))
    pt, pb, oh = _window(rng, h, kh, sh, dh, same)
    pl, pr, ow = _window(rng, w, kw, sw, dw, same)
    x = _i8(rng, (n, h, w, c_total))
    wt = _i8(rng, (c_out, kh, kw, c_in))
    wt[wt == -128] = -127  # symmetric int8 weights, as TFLite's per-channel quantization
    x_q = _q(rng, 0.01, 0.05)
    w_q = QParams(tuple(np.exp(rng.uniform(np.log(0.001), np.log(0.01), c_out))), (0,) * c_out, axis=0)
    positive = seed % 5 == 4  # effective scales above 1: left shift before the multiply
    if positive:
        _small_data(rng, x, wt, x_q)
    out_q = _out_q(rng, x_q, w_q, kh * kw * c_in, positive)
    bias = None if seed % 7 == 3 else rng.integers(-20 if positive else -5000, 20 if positive else 5000,
                                                      c_out).astype(np.int32)
    if bias is None and groups > 1 and lib.kind == "cmsis-nn":
        # CMSIS-NN's arm_convolve_s8 advances the bias pointer per group even
        # when it is NULL (NULL + C_out/groups), then reads through it: a
        # grouped convolution needs a real (zero) bias array there.
        bias = np.zeros(c_out, np.int32)
    clamp = _act(rng, out_q)
    out_shape = (n, oh, ow, c_out)
    want = K.conv_2d(x, x_q, wt, w_q, bias, out_q, stride=(sh, sw), dilation=(dh, dw), pad=(pt, pb, pl, pr),
                     clamp=clamp, out_shape=out_shape)
    mult, shift = qz.conv_output_multipliers(x_q, w_q, out_q, c_out)
    mult, shift = _i32(mult), _i32(shift)
    got = np.zeros(out_shape, np.int8)
    params = _i32([-x_q.zp, out_q.zp, sw, sh, pl, pt, dw, dh, *clamp])
    size = _i32([0])
    status = lib.dll.drv_conv(_ptr(x), _ptr(_i32(x.shape)), _ptr(wt), _ptr(_i32(wt.shape)), _ptr(bias), _ptr(got),
                              _ptr(_i32(out_shape)), _ptr(params), _ptr(mult), _ptr(shift), _ptr(size))
    assert status == 0
    _check(got, want, f"conv {x.shape} * {wt.shape} stride {(sh, sw)} dilation {(dh, dw)} pad {(pt, pl)}")
    expected = scratch.convolve_wrapper_s8(scratch.ConvParams(sh, sw, pt, pl, dh, dw), scratch.Dims(*x.shape),
                                           scratch.Dims(*wt.shape), scratch.Dims(*out_shape), Family.C)
    assert size[0] == expected, "arm_convolve_wrapper_s8_get_buffer_size differs from tinyir.analysis.scratch (pure C build)"


@pytest.mark.parametrize("seed", range(40))
def test_depthwise_conv_wrapper_s8(lib, seed):
    rng = np.random.default_rng(2000 + seed)
    kind = seed % 4  # 0: generic, 1: 3x3 pad <= 1 (CMSIS-NN's 3x3 kernel), 2: multiplier > 1, 3: dilation / batch
    n = 1
    h, w, c = int(rng.integers(1, 10)), int(rng.integers(1, 10)), int(rng.integers(1, 9))
    mult_ch = 1
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    dh = dw = 1
    same = bool(rng.integers(0, 2))
    if kind == 1:
        kh = kw = 3
        h, w = max(h, 3), max(w, 3)
    elif kind == 2:
        mult_ch = int(rng.integers(2, 4))
    elif kind == 3:
        dh, dw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        n = int(rng.integers(1, 3))
        mult_ch = int(rng.integers(1, 3))
    c_out = c * mult_ch
    pt, pb, oh = _window(rng, h, kh, sh, dh, same)
    pl, pr, ow = _window(rng, w, kw, sw, dw, same)
    x = _i8(rng, (n, h, w, c))
    wt = _i8(rng, (1, kh, kw, c_out))
    wt[wt == -128] = -127
    x_q = _q(rng, 0.01, 0.05)
    w_q = QParams(tuple(np.exp(rng.uniform(np.log(0.002), np.log(0.02), c_out))), (0,) * c_out, axis=3)
    positive = seed % 5 == 4
    if positive:
        _small_data(rng, x, wt, x_q)
    out_q = _out_q(rng, x_q, w_q, kh * kw, positive)
    bias = None if seed % 7 == 3 else rng.integers(-20 if positive else -3000, 20 if positive else 3000,
                                                      c_out).astype(np.int32)
    clamp = _act(rng, out_q)
    out_shape = (n, oh, ow, c_out)
    want = K.depthwise_conv_2d(x, x_q, wt, w_q, bias, out_q, stride=(sh, sw), dilation=(dh, dw),
                               pad=(pt, pb, pl, pr), clamp=clamp, out_shape=out_shape)
    mult, shift = qz.conv_output_multipliers(x_q, w_q, out_q, c_out)
    mult, shift = _i32(mult), _i32(shift)
    got = np.zeros(out_shape, np.int8)
    params = _i32([-x_q.zp, out_q.zp, mult_ch, sw, sh, pl, pt, dw, dh, *clamp])
    size = _i32([0])
    status = lib.dll.drv_dw(_ptr(x), _ptr(_i32(x.shape)), _ptr(wt), _ptr(_i32(wt.shape)), _ptr(bias), _ptr(got),
                            _ptr(_i32(out_shape)), _ptr(params), _ptr(mult), _ptr(shift), _ptr(size))
    assert status == 0
    _check(got, want, f"depthwise {x.shape} * {wt.shape} stride {(sh, sw)} dilation {(dh, dw)} pad {(pt, pl)}")
    expected = scratch.depthwise_conv_wrapper_s8(
        scratch.ConvParams(sh, sw, pt, pl, dh, dw), scratch.Dims(*x.shape), scratch.Dims(*wt.shape),
        scratch.Dims(*out_shape), Family.C)
    assert size[0] == expected


@pytest.mark.parametrize("mode", ["per-tensor", "per-channel", "wrapper-per-tensor", "wrapper-per-channel"])
@pytest.mark.parametrize("seed", range(8))
def test_fully_connected_s8(lib, mode, seed):
    rng = np.random.default_rng(3000 + seed)
    batches, depth, outputs = int(rng.integers(1, 4)), int(rng.integers(1, 70)), int(rng.integers(1, 20))
    per_channel = mode.endswith("per-channel")
    x = _i8(rng, (batches, depth))
    wt = _i8(rng, (outputs, depth))
    x_q = _q(rng, 0.01, 0.05)
    if per_channel:
        wt[wt == -128] = -127
        w_q = QParams(tuple(np.exp(rng.uniform(np.log(0.001), np.log(0.01), outputs))), (0,) * outputs, axis=0)
    else:
        w_q = _q(rng, 0.001, 0.01, zp=int(rng.integers(-10, 11)) if seed % 2 else 0)
    positive = seed == 6
    if positive:
        _small_data(rng, x, wt, x_q)
        if not per_channel:
            wt[...] = np.clip(wt.astype(np.int32) + w_q.zp, -128, 127)
    out_q = _out_q(rng, x_q, w_q, depth, positive)
    bias = None if seed == 5 else rng.integers(-20 if positive else -5000, 20 if positive else 5000,
                                               outputs).astype(np.int32)
    clamp = _act(rng, out_q)
    want = K.fully_connected(x, x_q, wt, w_q, bias, out_q, clamp=clamp, out_shape=(batches, outputs))
    mult, shift = qz.fully_connected_multipliers(x_q, w_q, out_q)
    mult, shift = _i32(mult), _i32(shift)
    filter_offset = 0 if per_channel else -w_q.zp
    params = _i32([-x_q.zp, filter_offset, out_q.zp, *clamp])
    got = np.zeros((batches, outputs), np.int8)
    size = _i32([0])
    code = {"per-tensor": 0, "per-channel": 1, "wrapper-per-tensor": 2, "wrapper-per-channel": 3}[mode]
    status = lib.dll.drv_fc(_ptr(x), batches, depth, _ptr(wt), _ptr(bias), _ptr(got), outputs, _ptr(params),
                            _ptr(mult), _ptr(shift), code, _ptr(size))
    assert status == 0
    _check(got, want, f"fully connected {mode} {x.shape} * {wt.shape}")
    assert size[0] == scratch.fully_connected_s8(scratch.Dims(depth, 1, 1, outputs), Family.C)


@pytest.mark.parametrize("avg", [True, False], ids=["avgpool", "maxpool"])
@pytest.mark.parametrize("seed", range(15))
def test_pool_s8(lib, avg, seed):
    rng = np.random.default_rng(4000 + seed)
    n, h, w, c = int(rng.integers(1, 3)), int(rng.integers(1, 12)), int(rng.integers(1, 12)), int(rng.integers(1, 9))
    kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    same = bool(rng.integers(0, 2))
    pt, pb, oh = _window(rng, h, kh, sh, 1, same)
    pl, pr, ow = _window(rng, w, kw, sw, 1, same)
    x = _i8(rng, (n, h, w, c))
    q = _q(rng)
    clamp = _act(rng, q)
    out_shape = (n, oh, ow, c)
    fn = K.avg_pool_2d if avg else K.max_pool_2d
    want = fn(x, q, q, kernel=(kh, kw), stride=(sh, sw), pad=(pt, pb, pl, pr), clamp=clamp, out_shape=out_shape)
    got = np.zeros(out_shape, np.int8)
    size = _i32([0])
    params = _i32([sw, sh, pl, pt, *clamp, kw, kh])
    assert lib.dll.drv_pool(_ptr(x), _ptr(_i32(x.shape)), _ptr(got), _ptr(_i32(out_shape)), _ptr(params),
                            int(avg), _ptr(size)) == 0
    _check(got, want, f"{'avg' if avg else 'max'} pool {x.shape} kernel {(kh, kw)} stride {(sh, sw)} pad {(pt, pl)}")
    if avg:
        assert size[0] == scratch.avgpool_s8(ow, c, Family.C)


@pytest.mark.parametrize("seed", range(20))
def test_softmax_s8(lib, seed):
    rng = np.random.default_rng(5000 + seed)
    rows, row_size = int(rng.integers(1, 6)), int(rng.integers(1, 130))
    x_q = _q(rng, 0.01, 0.5)
    beta = float(rng.choice([1.0, 0.5, 2.0]))
    if seed % 3 == 0:
        x = rng.integers(-128, 128, (rows, row_size)).astype(np.int8)
    else:  # values crowding the maximum, and some beyond diff_min
        x = np.clip(rng.normal(60, 25, (rows, row_size)), -128, 127).astype(np.int8)
    out_q = QParams.per_tensor(1.0 / 256, -128)
    want = K.softmax(x, x_q, out_q, beta=beta)
    p = qz.softmax_params(beta, x_q)
    got = np.zeros_like(x)
    lib.dll.arm_softmax_s8(_ptr(x), rows, row_size, p.input_multiplier, p.input_left_shift, p.diff_min, _ptr(got))
    _check(got, want, f"softmax {x.shape} scale {x_q.scale[0]} beta {beta}")


@pytest.mark.parametrize("seed", range(20))
def test_elementwise_add_s8(lib, seed):
    rng = np.random.default_rng(6000 + seed)
    shape = tuple(int(d) for d in rng.integers(1, 8, size=int(rng.integers(1, 5))))
    a, b = _i8(rng, shape), _i8(rng, shape)
    a_q, b_q, out_q = _q(rng, 0.01, 0.1), _q(rng, 0.01, 0.1), _q(rng, 0.01, 0.2)
    clamp = _act(rng, out_q)
    want = K.add(a, a_q, b, b_q, out_q, clamp=clamp, out_shape=shape)
    p = qz.add_params(a_q, b_q, out_q)
    got = np.zeros(shape, np.int8)
    status = lib.dll.arm_elementwise_add_s8(
        _ptr(a), _ptr(b), p.input1_offset, p.input1_multiplier, p.input1_shift, p.input2_offset,
        p.input2_multiplier, p.input2_shift, p.left_shift, _ptr(got), p.output_offset, p.output_multiplier,
        p.output_shift, clamp[0], clamp[1], a.size)
    assert status == 0
    _check(got, want, f"add {shape}")


@pytest.mark.parametrize("seed", range(20))
def test_elementwise_mul_s8(lib, seed):
    rng = np.random.default_rng(7000 + seed)
    shape = tuple(int(d) for d in rng.integers(1, 8, size=int(rng.integers(1, 5))))
    a, b = _i8(rng, shape), _i8(rng, shape)
    a_q, b_q, out_q = _q(rng, 0.01, 0.1), _q(rng, 0.01, 0.1), _q(rng, 0.001, 0.05)
    clamp = _act(rng, out_q)
    want = K.mul(a, a_q, b, b_q, out_q, clamp=clamp, out_shape=shape)
    m, s = qz.mul_params(a_q, b_q, out_q)
    got = np.zeros(shape, np.int8)
    status = lib.dll.arm_elementwise_mul_s8(_ptr(a), _ptr(b), -a_q.zp, -b_q.zp, _ptr(got), out_q.zp, m, s,
                                            clamp[0], clamp[1], a.size)
    assert status == 0
    _check(got, want, f"mul {shape}")


@pytest.mark.parametrize("seed", range(24))
def test_minimum_maximum_s8(lib, seed):
    """arm_minimum_s8 / arm_maximum_s8: every kind of broadcast over {n, h, w, c} (the
    host runtime), the kinds the C backend calls CMSIS-NN for (upstream: it
    misplaces others)."""
    from tinyir.backends.c.elementwise import cmsis_nn_min_max_broadcast

    rng = np.random.default_rng(7500 + seed)
    shape = tuple(int(d) for d in rng.integers(1, 6, size=4))
    shapes = [tuple(1 if rng.random() < 0.4 else d for d in shape) for _ in range(2)]
    if lib.kind != "host" or seed % 2:  # what the C backend calls CMSIS-NN for: equal, a single element, a channel row
        part = [shape, (1, 1, 1, 1), (1, 1, 1, shape[3])][seed % 3]
        shapes = [shape, part] if seed % 4 < 2 else [part, shape]
        assert cmsis_nn_min_max_broadcast(*shapes, shape)
    a, b = _i8(rng, shapes[0]), _i8(rng, shapes[1])
    q = _q(rng)
    out_shape = np.broadcast_shapes(*shapes)
    for maximum, kernel in ((0, K.minimum), (1, K.maximum)):
        want = kernel(a, q, b, q, q, out_shape=out_shape)
        got = np.zeros(out_shape, np.int8)
        assert lib.dll.drv_min_max(_ptr(a), _ptr(_i32(shapes[0])), _ptr(b), _ptr(_i32(shapes[1])), _ptr(got),
                                   _ptr(_i32(out_shape)), maximum) == 0
        _check(got, want, f"{kernel.__name__} {shapes[0]} {shapes[1]}")


@pytest.mark.parametrize("seed", range(24))
def test_transpose_s8(lib, seed):
    rng = np.random.default_rng(8000 + seed)
    rank = 2 + seed % 3
    shape = tuple(int(d) for d in rng.integers(1, 7, size=rank))
    perm = tuple(int(p) for p in rng.permutation(rank))
    if lib.kind == "cmsis-nn" and rank == 2 and perm == (0, 1):
        perm = (1, 0)  # CMSIS-NN's rank-2 path always swaps (it ignores the permutation)
    x = _i8(rng, shape)
    want = K.transpose(x, perm=perm)
    got = np.zeros(want.shape, np.int8)
    status = lib.dll.drv_transpose(_ptr(x), _ptr(_i32([*shape, *[1] * (4 - rank)])), _ptr(got), _ptr(_i32([*want.shape, *[1] * (4 - rank)])), rank,
                                   _ptr(np.asarray(perm, np.uint32)))
    assert status == 0
    _check(got, want, f"transpose {shape} perm {perm}")


@pytest.mark.parametrize("axis", [0, 1, 2, 3])
@pytest.mark.parametrize("seed", range(4))
def test_concatenation_s8(lib, axis, seed):
    rng = np.random.default_rng(9000 + 10 * seed + axis)
    base = [int(d) for d in rng.integers(1, 6, size=4)]
    xs = []
    for _ in range(int(rng.integers(1, 4))):
        s = list(base)
        s[axis] = int(rng.integers(1, 6))
        xs.append(_i8(rng, s))
    q = _q(rng)
    want = K.concatenation(xs, [q] * len(xs), q, axis=axis)
    got = np.zeros(want.shape, np.int8)
    offset = 0
    for x in xs:
        n, h, w, c = x.shape  # CMSIS-NN's x is the innermost axis: x = C, y = W, z = H, w = N
        if axis == 3:
            lib.dll.arm_concatenation_s8_x(_ptr(x), c, w, h, n, _ptr(got), want.shape[3], offset)
        elif axis == 2:
            lib.dll.arm_concatenation_s8_y(_ptr(x), c, w, h, n, _ptr(got), want.shape[2], offset)
        elif axis == 1:
            lib.dll.arm_concatenation_s8_z(_ptr(x), c, w, h, n, _ptr(got), want.shape[1], offset)
        else:
            lib.dll.arm_concatenation_s8_w(_ptr(x), c, w, h, n, _ptr(got), offset)
        offset += x.shape[axis]
    _check(got, want, f"concatenation axis {axis} of {[x.shape for x in xs]}")


# ---------------------------------------------------------------------------
# Build hygiene, the switch, the sanitizers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cc", ["gcc", "arm-none-eabi-gcc"])
def test_runtime_compiles_warning_free(cc, tmp_path):
    """Portable C99: -Wall -Wextra -Werror -pedantic with the host gcc and
    with arm-none-eabi-gcc (Cortex-M0+ and M55: no host-only headers)."""
    compiler = shutil.which(cc)
    if compiler is None:
        pytest.skip(f"{cc} not found")
    src = srcmod.host_runtime()
    targets = [[]] if cc == "gcc" else [["-mcpu=cortex-m0plus", "-mthumb"], ["-mcpu=cortex-m55", "-mthumb"]]
    for target in targets:
        for c in src.c_files:
            r = subprocess.run([compiler, *WARN, *target, *src.cflags(), "-c", str(c), "-o", str(tmp_path / "x.o")],
                               check=False, capture_output=True, text=True)
            assert r.returncode == 0, f"{cc} {' '.join(target)} {c.name}:\n{r.stderr}"


def test_sources_switch(tmp_path, monkeypatch):
    """sources(): the host runtime by default; $CMSIS_NN (or an argument)
    names a real checkout; a folder that is not one is refused."""
    monkeypatch.delenv("CMSIS_NN", raising=False)
    host = srcmod.sources()
    assert host.kind == "host" and not host.is_real_cmsis_nn
    assert {p.name for p in host.include_dirs[0].iterdir()} >= {
        "arm_nnfunctions.h", "arm_nn_types.h", "arm_nn_math_types.h"}
    assert all(p.is_file() for p in host.c_files) and host.c_files
    fake = tmp_path / "CMSIS-NN"
    (fake / "Include").mkdir(parents=True)
    (fake / "Include" / "arm_nnfunctions.h").write_text("")
    (fake / "Source" / "ConvolutionFunctions").mkdir(parents=True)
    for name in ("arm_convolve_s8.c", "arm_convolve_f32.c", "arm_convolve_f16.c"):
        (fake / "Source" / "ConvolutionFunctions" / name).write_text("")
    monkeypatch.setenv("CMSIS_NN", str(fake))
    real = srcmod.sources()
    assert real.kind == "cmsis-nn" and real.is_real_cmsis_nn
    assert [p.name for p in real.c_files] == ["arm_convolve_s8.c"]
    assert real.cflags() == [f"-I{fake.resolve() / 'Include'}"]
    with pytest.raises(ValueError, match="not a CMSIS-NN checkout"):
        srcmod.sources(tmp_path / "nothing")


def test_null_buffer_refused(lib):
    """A 3x3 convolution (buffer size nonzero) refuses a NULL ctx->buf with
    ARM_CMSIS_NN_ARG_ERROR, in the host runtime as in CMSIS-NN, so a missing
    scratch buffer shows on the host too."""
    dll = lib.dll
    dll.arm_convolve_wrapper_s8.restype = ctypes.c_int

    class Tile(ctypes.Structure):
        _fields_ = [("w", I32), ("h", I32)]

    class Act(ctypes.Structure):
        _fields_ = [("min", I32), ("max", I32)]

    class ConvParams(ctypes.Structure):
        _fields_ = [("input_offset", I32), ("output_offset", I32), ("stride", Tile), ("padding", Tile),
                    ("dilation", Tile), ("activation", Act)]

    class Dims(ctypes.Structure):
        _fields_ = [("n", I32), ("h", I32), ("w", I32), ("c", I32)]

    class Ctx(ctypes.Structure):
        _fields_ = [("buf", P), ("size", I32)]

    class Quant(ctypes.Structure):
        _fields_ = [("multiplier", P), ("shift", P)]

    cp = ConvParams(0, 0, Tile(1, 1), Tile(1, 1), Tile(1, 1), Act(-128, 127))
    ind, fd, od, bd = Dims(1, 3, 3, 2), Dims(1, 3, 3, 2), Dims(1, 3, 3, 1), Dims(1, 1, 1, 1)
    x, w, y = np.zeros(18, np.int8), np.zeros(18, np.int8), np.zeros(9, np.int8)
    m, s = _i32([1 << 30]), _i32([0])
    q = Quant(_ptr(m), _ptr(s))
    args = [ctypes.byref(cp), ctypes.byref(q), ctypes.byref(ind), _ptr(x), ctypes.byref(fd), _ptr(w),
            ctypes.byref(bd), None, ctypes.byref(od), _ptr(y)]
    dll.arm_convolve_wrapper_s8.argtypes = [P] * 11
    assert dll.arm_convolve_wrapper_s8(ctypes.byref(Ctx(None, 0)), *args) == -1  # ARM_CMSIS_NN_ARG_ERROR
    dll.arm_convolve_wrapper_s8_get_buffer_size.argtypes = [P] * 4
    dll.arm_convolve_wrapper_s8_get_buffer_size.restype = I32
    size = dll.arm_convolve_wrapper_s8_get_buffer_size(ctypes.byref(cp), ctypes.byref(ind), ctypes.byref(fd),
                                                       ctypes.byref(od))
    assert size == 2 * 20 * 2  # two int16 columns of 3 * 3 * 2 = 18 values, rounded up to 20
    buf = np.zeros(size, np.int8)
    assert dll.arm_convolve_wrapper_s8(ctypes.byref(Ctx(_ptr(buf), size)), *args) == 0


@pytest.mark.skipif(SANITIZE, reason="already the sanitizer run")
def test_host_runtime_under_sanitizers():
    """The host-runtime comparisons again, built with
    -fsanitize=address,undefined (any finding aborts the run)."""
    libs = []
    for name in ("libasan.so", "libubsan.so"):
        path = subprocess.run([GCC, f"-print-file-name={name}"], check=True, capture_output=True,
                              text=True).stdout.strip()
        if not os.path.isabs(path):
            pytest.skip(f"gcc has no {name}")
        libs.append(path)
    env = dict(os.environ, TINYIR_CMSIS_NN_SANITIZE="1", LD_PRELOAD=":".join(libs),
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", __file__,
                        "-k", "not sanitizers and not compiles and not switch and not headers"],
                       check=False, env=env, capture_output=True, text=True, timeout=900)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert "passed" in out and "runtime error" not in out and "AddressSanitizer" not in out, out[-4000:]


LAYOUT = r"""
#include <stddef.h>
#include <stdio.h>
#include "arm_nnfunctions.h"
#define S(T) printf(#T " size %u\n", (unsigned)sizeof(T))
#define F(T, f) printf(#T "." #f " %u\n", (unsigned)offsetof(T, f))
int main(void)
{
    S(cmsis_nn_tile); F(cmsis_nn_tile, w); F(cmsis_nn_tile, h);
    S(cmsis_nn_context); F(cmsis_nn_context, buf); F(cmsis_nn_context, size);
    S(cmsis_nn_dims); F(cmsis_nn_dims, n); F(cmsis_nn_dims, h); F(cmsis_nn_dims, w); F(cmsis_nn_dims, c);
    S(cmsis_nn_activation); F(cmsis_nn_activation, min); F(cmsis_nn_activation, max);
    S(cmsis_nn_per_channel_quant_params); F(cmsis_nn_per_channel_quant_params, multiplier);
    F(cmsis_nn_per_channel_quant_params, shift);
    S(cmsis_nn_per_tensor_quant_params); F(cmsis_nn_per_tensor_quant_params, multiplier);
    F(cmsis_nn_per_tensor_quant_params, shift);
    S(cmsis_nn_quant_params); F(cmsis_nn_quant_params, multiplier); F(cmsis_nn_quant_params, shift);
    F(cmsis_nn_quant_params, is_per_channel);
    S(cmsis_nn_conv_params); F(cmsis_nn_conv_params, input_offset); F(cmsis_nn_conv_params, output_offset);
    F(cmsis_nn_conv_params, stride); F(cmsis_nn_conv_params, padding); F(cmsis_nn_conv_params, dilation);
    F(cmsis_nn_conv_params, activation);
    S(cmsis_nn_dw_conv_params); F(cmsis_nn_dw_conv_params, input_offset); F(cmsis_nn_dw_conv_params, output_offset);
    F(cmsis_nn_dw_conv_params, ch_mult); F(cmsis_nn_dw_conv_params, stride); F(cmsis_nn_dw_conv_params, padding);
    F(cmsis_nn_dw_conv_params, dilation); F(cmsis_nn_dw_conv_params, activation);
    S(cmsis_nn_pool_params); F(cmsis_nn_pool_params, stride); F(cmsis_nn_pool_params, padding);
    F(cmsis_nn_pool_params, activation);
    S(cmsis_nn_fc_params); F(cmsis_nn_fc_params, input_offset); F(cmsis_nn_fc_params, filter_offset);
    F(cmsis_nn_fc_params, output_offset); F(cmsis_nn_fc_params, activation);
    S(cmsis_nn_transpose_params); F(cmsis_nn_transpose_params, num_dims); F(cmsis_nn_transpose_params, permutations);
    printf("status %d %d %d %d\n", ARM_CMSIS_NN_SUCCESS, ARM_CMSIS_NN_ARG_ERROR, ARM_CMSIS_NN_NO_IMPL_ERROR,
           ARM_CMSIS_NN_FAILURE);
    printf("q %ld %ld %ld %ld %ld %ld\n", (long)NN_Q31_MAX, (long)NN_Q31_MIN, (long)NN_Q15_MAX, (long)NN_Q15_MIN,
           (long)NN_Q7_MAX, (long)NN_Q7_MIN);
    return 0;
}
"""


def test_headers_match_cmsis_nn(tmp_path, tmp_path_factory):
    """Our headers' structures (sizes, field offsets), status codes and limits
    are CMSIS-NN's: one program, compiled against each, prints the same."""
    root = _cmsis_nn_root(tmp_path_factory)
    (tmp_path / "layout.c").write_text(LAYOUT)
    outputs = []
    for i, src in enumerate((srcmod.host_runtime(), srcmod.sources(root))):
        exe = tmp_path / f"layout{i}"
        subprocess.run([GCC, *WARN, *src.cflags(), str(tmp_path / "layout.c"), "-o", str(exe)], check=True,
                       capture_output=True, text=True)
        outputs.append(subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout)
    assert outputs[0] == outputs[1]
    assert "cmsis_nn_tile.h 4" in outputs[0] and "cmsis_nn_dw_conv_params.ch_mult 8" in outputs[0]
