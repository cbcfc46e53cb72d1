"""Cortex-M cross builds and QEMU runs (backends/cortex_m).

A small int8 requantization program (TFLite's double-rounding
MultiplyByQuantizedMultiplier, per channel) builds warning-free for every CPU of
the table, runs on QEMU's mps2-an386 (Cortex-M4) with semihosting file I/O,
and gives the same bytes as the same source built for the host. The linker
script enforces the RAM size; sizes come from the ELF. Then a real model: the
C backend's code for mlperf_kws_dscnn with the host CMSIS-NN runtime, linked
into exactly its arena plus stack, heap and state, runs in QEMU bit-exact with
the reference executor and the host build.
"""

import subprocess
import textwrap

import numpy as np
import pytest
from conftest import input_sets, require_model

import tinyir
from tinyir.backends.cortex_m import build as cortex_m

pytestmark = pytest.mark.skipif(
    bool(cortex_m.missing_tools()),
    reason=f"{' and '.join(cortex_m.missing_tools())} not on PATH "
    "(scripts/setup.sh test installs gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm)",
)

REQUANTIZE_C = textwrap.dedent(
    r"""
    /* Requantize int32 accumulators to int8 as TFLite does (per channel), read
       from in.bin, write out.bin, print a checksum. Portable C: host and target. */
    #include <stdint.h>
    #include <stdio.h>

    #define CHANNELS 8
    #define MAX_VALUES 4096
    static const int32_t multiplier[CHANNELS] = {
        1073741824, 1518500250, 2147483647, 1395864371,
        1717986918, 1288490189, 1932735283, 1126492138};
    static const int8_t shift[CHANNELS] = {0, -1, -7, 2, -12, -3, 1, -31};
    static const int32_t output_zero_point = -3;

    static int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b)
    {
        if (a == b && a == INT32_MIN)
            return INT32_MAX;
        int64_t ab = (int64_t)a * b;
        int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
        return (int32_t)((ab + nudge) / (1ll << 31));
    }

    static int32_t rounding_divide_by_pot(int32_t x, int exponent)
    {
        int32_t mask = (int32_t)((1ll << exponent) - 1);
        int32_t remainder = x & mask;
        int32_t threshold = (mask >> 1) + (x < 0);
        return (x >> exponent) + (remainder > threshold);
    }

    static int32_t multiply_by_quantized_multiplier(int32_t x, int32_t m, int s)
    {
        int left = s > 0 ? s : 0, right = s > 0 ? 0 : -s;
        int32_t shifted = (int32_t)((uint32_t)x << left);
        return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, m), right);
    }

    static int32_t accumulators[MAX_VALUES];
    static int8_t output[MAX_VALUES];

    int main(void)
    {
        FILE *in = fopen("in.bin", "rb");
        if (!in) {
            fputs("cannot open in.bin\n", stderr);
            return 2;
        }
        size_t n = fread(accumulators, sizeof accumulators[0], MAX_VALUES, in);
        fclose(in);
        uint32_t checksum = 2166136261u; /* FNV-1a over the output bytes */
        int32_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            size_t c = i % CHANNELS;
            int32_t v = multiply_by_quantized_multiplier(accumulators[i], multiplier[c], shift[c])
                        + output_zero_point;
            v = v < -128 ? -128 : v > 127 ? 127 : v;
            output[i] = (int8_t)v;
            sum += v;
            checksum = (checksum ^ (uint8_t)v) * 16777619u;
        }
        FILE *out = fopen("out.bin", "wb");
        if (!out || fwrite(output, 1, n, out) != n || fclose(out) != 0) {
            fputs("cannot write out.bin\n", stderr);
            return 3;
        }
        /* One float division and product: the FPU must be on (Cortex-M4 hard float). */
        volatile float mean = n ? (float)sum / (float)n : 0.0f;
        printf("values %u checksum %08lx mean*1024 %ld\n", (unsigned)n,
               (unsigned long)checksum, (long)(mean * 1024.0f));
        return n == 0;
    }
    """
)


def accumulators(count: int = 4096) -> bytes:
    """Deterministic int32 accumulators across the whole range, little-endian."""
    import numpy as np

    rng = np.random.default_rng(4)
    values = np.concatenate(
        [
            rng.integers(-(2**31), 2**31, count // 2, dtype=np.int64),
            rng.integers(-5000, 5000, count // 2 - 8, dtype=np.int64),
            [-(2**31), 2**31 - 1, 0, 1, -1, 2**30, -(2**30), 12345],
        ]
    ).astype("<i4")
    return values.tobytes()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("src") / "requantize.c"
    path.write_text(REQUANTIZE_C)
    return path


@pytest.fixture(scope="module")
def m4_elf(source, tmp_path_factory):
    return cortex_m.build([source], tmp_path_factory.mktemp("m4") / "requantize.elf", ram_size=64 << 10)


@pytest.mark.parametrize("cpu", list(cortex_m.CPU_FLAGS))
def test_builds_warning_free_for_every_cpu(cpu, source, tmp_path):
    elf = cortex_m.build([source], tmp_path / f"{cpu}.elf", cpu=cpu, ram_size=64 << 10)
    sizes = cortex_m.elf_sizes(elf)
    assert sizes.bss >= 4096 * 4 + 4096  # the two static buffers
    assert 0 < sizes.flash < 64 << 10


def test_a_warning_fails_the_build(tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("int main(void) { int unused; return 0; }\n")
    with pytest.raises(cortex_m.BuildError, match="unused"):
        cortex_m.compile_sources([bad], "cortex-m4", tmp_path)


def test_qemu_run_equals_host_run(m4_elf, source, tmp_path):
    data = accumulators()
    target = cortex_m.run(m4_elf, inputs={"in.bin": data}, outputs=["out.bin"], timeout=60)
    assert target.returncode == 0, target.stderr.decode()
    exe = cortex_m.compile_host([source], tmp_path / "requantize")
    host = cortex_m.run_host(exe, inputs={"in.bin": data}, outputs=["out.bin"])
    assert host.returncode == 0, host.stderr.decode()
    assert target.stdout.startswith(b"values 4096 checksum ")
    assert target.stdout == host.stdout
    assert len(target.outputs["out.bin"]) == 4096
    assert target.outputs["out.bin"] == host.outputs["out.bin"]
    assert target.stderr == b""


def test_exit_status_and_missing_input(m4_elf):
    result = cortex_m.run(m4_elf, outputs=["out.bin"], timeout=60)
    assert result.returncode == 2
    assert result.stderr == b"cannot open in.bin\n"
    assert result.outputs == {}


def test_ram_size_is_enforced_by_the_link(tmp_path):
    arena = 48 << 10
    program = tmp_path / "arena.c"
    program.write_text(
        "#include <stdint.h>\n"
        f"static int8_t arena[{arena}] __attribute__((aligned(16)));\n"
        "int main(void) { for (unsigned i = 0; i < sizeof arena; i++) arena[i] = (int8_t)i;\n"
        "  return arena[1000] != (int8_t)1000; }\n"
    )
    stack, heap = 2048, 4096
    state = 1024  # startup.c, newlib's reentrancy struct and the like
    fits = arena + stack + heap + state
    elf = cortex_m.build([program], tmp_path / "fits.elf", ram_size=fits, stack_size=stack, heap_size=heap)
    sizes = cortex_m.elf_sizes(elf)
    assert sizes.bss >= arena and sizes.stack == stack and sizes.heap == heap
    assert sizes.ram <= fits
    assert cortex_m.run(elf, timeout=60).returncode == 0
    with pytest.raises(cortex_m.BuildError, match="region `RAM' overflowed"):
        cortex_m.build([program], tmp_path / "short.elf", ram_size=sizes.ram - 8, stack_size=stack, heap_size=heap)
    with pytest.raises(cortex_m.BuildError, match="region `FLASH' overflowed"):
        cortex_m.build([program], tmp_path / "tiny_flash.elf", ram_size=fits, flash_size=1024)


def test_sizes_agree_with_arm_none_eabi_size(m4_elf):
    sizes = cortex_m.elf_sizes(m4_elf)
    out = subprocess.run(
        ["arm-none-eabi-size", "-A", "-d", str(m4_elf)], capture_output=True, text=True, check=True
    ).stdout
    table = {
        fields[0]: int(fields[1])
        for fields in (line.split() for line in out.splitlines())
        if len(fields) == 3 and fields[1].isdigit()
    }
    text = table[".text"] + table.get(".ARM.exidx", 0) + table.get(".ARM.extab", 0)
    assert (sizes.text, sizes.rodata) == (text, table[".rodata"])
    assert (sizes.data, sizes.bss) == (table[".data"], table[".bss"])
    assert sizes.heap == cortex_m.DEFAULT_HEAP and sizes.stack == cortex_m.DEFAULT_STACK
    assert sizes.flash == text + table[".rodata"] + table[".data"]
    assert sizes.ram == table[".data"] + table[".bss"] + sizes.heap + sizes.stack


def test_faults_and_stack_overflow_end_the_run(tmp_path):
    fault = tmp_path / "fault.c"
    fault.write_text("int main(void) { return *(volatile int *)0x30000000u; }\n")  # unmapped
    result = cortex_m.run(cortex_m.build([fault], tmp_path / "fault.elf", ram_size=32 << 10), timeout=60)
    assert result.returncode == 128 + 3 and b"exception 3" in result.stderr

    deep = tmp_path / "deep.c"
    deep.write_text(
        "#include <string.h>\n"
        "static int f(int n) { volatile char buf[256]; memset((char *)buf, n, sizeof buf);\n"
        "  return n ? f(n - 1) + buf[3] : 0; }\n"
        "int main(void) { return f(20) != 210; }\n"
    )
    small = cortex_m.build([deep], tmp_path / "deep.elf", ram_size=32 << 10, stack_size=2048)
    result = cortex_m.run(small, timeout=60)
    assert result.returncode == 125 and b"stack overflow" in result.stderr
    big = cortex_m.build([deep], tmp_path / "deep_ok.elf", ram_size=32 << 10, stack_size=8192)
    assert cortex_m.run(big, timeout=60).returncode == 0


def test_timeout(tmp_path):
    spin = tmp_path / "spin.c"
    spin.write_text("int main(void) { for (;;) __asm volatile(\"\"); }\n")
    elf = cortex_m.build([spin], tmp_path / "spin.elf", ram_size=32 << 10)
    with pytest.raises(TimeoutError, match="did not finish"):
        cortex_m.run(elf, timeout=1)


# -- a model from the C backend ------------------------------------------------

MODEL_MAIN_C = """\
/* Runs the generated model once: in.bin -> out.bin (host or Cortex-M4). */
#include <stdio.h>
#include "{name}.h"
#ifdef __arm__
#include "board.h"
#endif

static int8_t input[TINYIR_{upper}_INPUT0_SIZE];
static int8_t output[TINYIR_{upper}_OUTPUT0_SIZE];

int main(void)
{{
    FILE *f = fopen("in.bin", "rb");
    if (!f || fread(input, 1, sizeof input, f) != sizeof input)
        return 2;
    fclose(f);
    int status = tinyir_{name}_invoke(input, output);
    if (status) {{
        fprintf(stderr, "op %d refused its arguments\\n", status);
        return 3;
    }}
    f = fopen("out.bin", "wb");
    if (!f || fwrite(output, 1, sizeof output, f) != sizeof output || fclose(f))
        return 4;
#ifdef __arm__
    fprintf(stderr, "stack %u heap %u\\n", (unsigned)tinyir_stack_peak(), (unsigned)tinyir_heap_used());
#endif
    return 0;
}}
"""


def test_generated_model_runs_in_qemu_bit_exact(tmp_path):
    c_emitter = pytest.importorskip("tinyir.backends.c_emitter", reason="the C backend has not landed")
    from tinyir import arena as arena_attrs
    from tinyir.backends.cmsis_nn_host.sources import host_runtime

    name = "mlperf_kws_dscnn_int8"
    module = tinyir.import_model(require_model(f"{name}.tflite"))
    tinyir.run_pipeline(module, "fuse,arena-alloc{target-cpu=cortex-m4}")
    arena = arena_attrs.arena_size(module)
    c_emitter.write_c(module, tmp_path, name)
    (tmp_path / "main.c").write_text(MODEL_MAIN_C.format(name=name, upper=name.upper()))
    runtime = host_runtime()
    sources = [tmp_path / "main.c", tmp_path / f"{name}.c", tmp_path / "tinyir_kernels.c", *runtime.c_files]
    includes = [tmp_path, *runtime.include_dirs]

    # SRAM = the planned arena + 1 KB stack + 2 KB heap (the harness's stdio)
    # + 1 KB of static state (newlib, startup): the link proves that it fits.
    stack, heap, state = 1024, 2048, 1024
    ram = arena + stack + heap + state
    elf = cortex_m.build(sources, tmp_path / "m4" / f"{name}.elf", ram_size=ram,
                         stack_size=stack, heap_size=heap, include_dirs=includes)  # fmt: skip
    sizes = cortex_m.elf_sizes(elf)
    assert sizes.bss >= arena and sizes.ram <= ram
    assert sizes.rodata > 20_000  # the weights are const: flash, not SRAM
    with pytest.raises(cortex_m.BuildError, match="region `RAM' overflowed"):
        cortex_m.build(sources, tmp_path / "short" / f"{name}.elf", ram_size=sizes.ram - 8,
                       stack_size=stack, heap_size=heap, include_dirs=includes)  # fmt: skip

    host = cortex_m.compile_host(sources, tmp_path / "host" / name, include_dirs=includes)
    for (x,) in input_sets(module, count=1):
        (expected,) = tinyir.execute(module, [x])
        data = {"in.bin": x.tobytes()}
        target = cortex_m.run(elf, inputs=data, outputs=["out.bin"], timeout=120)
        assert target.returncode == 0, target.stderr.decode()
        assert target.stderr.startswith(b"stack ")  # its peak stack and heap use
        on_host = cortex_m.run_host(host, inputs=data, outputs=["out.bin"])
        assert on_host.returncode == 0, on_host.stderr.decode()
        got = np.frombuffer(target.outputs["out.bin"], np.int8).reshape(expected.shape)
        np.testing.assert_array_equal(got, expected)
        assert target.outputs["out.bin"] == on_host.outputs["out.bin"]
