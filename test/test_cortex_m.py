"""Cortex-M cross builds and QEMU runs (backends/cortex_m).

A small int8 requantization program (TFLite's double-rounding
MultiplyByQuantizedMultiplier, per channel) builds warning-free for every CPU of
the table, runs on QEMU's mps2-an386 (Cortex-M4) with semihosting file I/O,
and gives the same bytes as the same source built for the host. The linker
script enforces the RAM size; sizes come from the ELF. Then the real models:
the C backend's code for every shared model, with the host CMSIS-NN runtime,
builds warning-free for every CPU into exactly its planned arena plus the
harness's buffers, heap, stack and a few bytes of state; on Cortex-M4 it runs
in QEMU bit-exact with the reference executor and the host build; with
$CMSIS_NN set, linked against upstream CMSIS-NN built for Cortex-M4 too.
"""

import functools
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import cpu_share, exhaustive, input_sets, model_params, require_model

import tinyir
from tinyir.analysis import arena as arena_attrs
from tinyir.analysis.liveness import main_function
from tinyir.backends.c.target import flash_arrays
from tinyir.backends.cmsis_nn_host.sources import cmsis_nn_checkout, host_runtime
from tinyir.backends.cortex_m import build as cortex_m
from tinyir.dialects import tiny

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


# -- the C backend's models -------------------------------------------------------
# Every shared model, planned with --mcpu CPU --fuse --arena-alloc: its C (with
# the harness main, tinyir's kernels and the host CMSIS-NN runtime) builds
# warning-free for every CPU into RAM of its planned arena plus the harness's
# I/O, heap, stack and a few bytes of state (build.py's build_model); the
# Cortex-M4 build runs in QEMU bit-exact with the reference executor and with
# the same sources built for the host; with $CMSIS_NN, also against upstream
# CMSIS-NN built for Cortex-M4 (its DSP code). Each model is built once per CPU
# (and CMSIS-NN), the CMSIS-NN library once per CPU (cached in $TINYIR_CACHE).

UPSTREAM = os.environ.get("CMSIS_NN")


UNSPLIT = "fuse"
SPLIT = "fuse,partial-exec,reorder"  # tile loops: CMSIS-NN on slices, tinyir's tile kernels
STREAMED = "fuse,partial-exec{stream-input=true},reorder"  # the input read a band of rows at a time
STREAMED_MODELS = ("hanlab_mbv2-w0.35-r144_imagenet", "mlperf_vww_mbv1_025_96_int8", "mlperf_ic_resnet8_int8")


def planned(path, cpu: str, passes: str = UNSPLIT):
    return tinyir.run_pipeline(tinyir.import_model(path, mcpu=cpu), f"{passes},arena-alloc")


def concatenated(arrays) -> bytes:
    """The bytes of the arrays in order: the harness's in.bin and out.bin."""
    return b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)


def same_bytes(got: bytes, expected: bytes) -> None:
    np.testing.assert_array_equal(np.frombuffer(got, np.uint8), np.frombuffer(expected, np.uint8))


class Model:
    """One shared model: its builds (on demand, once each), its inputs and
    reference outputs, and the host build's outputs."""

    def __init__(self, path, folder):
        self.path, self.folder = path, folder
        self.builds: dict = {}

    def build(self, cpu: str, cmsis_nn: str | None = None, passes: str = UNSPLIT, in_place: bool = False):
        """(module, ModelBuild) for `cpu` after `passes` (and arena-alloc),
        against the CMSIS-NN checkout `cmsis_nn` (default: tinyir's host
        runtime); `in_place`: with the zero-copy harness."""
        key = (cpu, cmsis_nn, passes, in_place)
        if key not in self.builds:
            module = planned(self.path, cpu, passes)
            folder = self.folder / f"{cpu}-{len(self.builds)}"
            built = cortex_m.build_model(module, folder, self.path.stem, cpu, cmsis_nn or host_runtime(),
                                         in_place=in_place)  # fmt: skip
            self.builds[key] = module, built
        return self.builds[key]

    @functools.cached_property
    def cases(self) -> list[tuple[bytes, bytes]]:
        """(input bytes, reference output bytes) for each input set."""
        module, _ = self.build(cortex_m.RUN_CPU)
        return [(concatenated(xs), concatenated(tinyir.execute(module, xs))) for xs in input_sets(module, count=1)]

    @functools.cached_property
    def host_outputs(self) -> list[bytes]:
        """What the Cortex-M4 build's sources give when built for the host."""
        _, built = self.build(cortex_m.RUN_CPU)
        exe = cortex_m.compile_host([*built.sources, *built.cmsis_nn.c_files], self.folder / "host" / built.ident,
                                    built.include_dirs, built.cmsis_nn.defines)  # fmt: skip
        outputs = []
        for x, _ in self.cases:
            result = cortex_m.run_host(exe, inputs={"in.bin": x}, outputs=["out.bin"])
            assert result.returncode == 0, result.stderr.decode()
            outputs.append(result.outputs["out.bin"])
        return outputs

    def check_in_qemu(self, built) -> None:
        """`built` gives in QEMU (on its CPU's board), on every input set, the
        reference executor's output and the host build's, to the bit."""
        for (x, expected), host in zip(self.cases, self.host_outputs, strict=True):
            result = cortex_m.run(built.elf, inputs={"in.bin": x}, outputs=["out.bin"], timeout=300, cpu=built.cpu)
            assert result.returncode == 0, result.stderr.decode()
            stack = int(result.stderr.split()[1])  # "stack N heap M": the harness's report
            assert 0 < stack < cortex_m.MODEL_STACK
            same_bytes(result.outputs["out.bin"], expected)
            assert result.outputs["out.bin"] == host


@pytest.fixture(scope="module", params=model_params())
def model(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param.stem)
    yield Model(request.param, folder)
    shutil.rmtree(folder)  # the big models' C and objects: tens of MB per CPU


@pytest.mark.parametrize("cpu", list(cortex_m.CPU_FLAGS))
def test_model_builds_for_every_cpu_into_its_arena(model, cpu, request):
    share = cpu_share(model.path, list(cortex_m.CPU_FLAGS))
    if not exhaustive(request.config) and cpu not in (cortex_m.RUN_CPU, share):
        pytest.skip("each model builds for Cortex-M4 and one other CPU in turn (pytest --exhaustive: every CPU)")
    module, built = model.build(cpu)
    assert built.arena == arena_attrs.arena_size(module) > 0
    sizes = cortex_m.elf_sizes(built.elf)
    parts = cortex_m.map_sizes(built.map_file)
    ours = str(built.model_object)
    # RAM: the model's one variable is its arena; beside it, the harness's
    # input and output buffers and a few hundred bytes of newlib and startup.
    assert parts[(".bss", ours)] == built.arena
    assert (".data", ours) not in parts
    state = sizes.data + sizes.bss - built.arena - built.io_bytes
    assert 0 < state <= cortex_m.MODEL_STATE
    assert (sizes.heap, sizes.stack) == (cortex_m.MODEL_HEAP, cortex_m.MODEL_STACK)
    assert sizes.ram <= cortex_m.model_ram(built.arena, built.io_bytes)
    # Flash: every weight, bias and requantization table is const, and the
    # report's flash arrays are the object's, byte for byte.
    weights = sum(tiny.buffer_type(op.result).nbytes for op in module.walk() if isinstance(op, tiny.ConstOp))
    assert parts[(".rodata", ours)] >= weights
    arrays = {name: n for _, name, n, _ in flash_arrays(module)}
    assert cortex_m.symbol_sizes(built.model_object, arrays) == arrays


OTHER_BOARDS = [cpu for cpu in cortex_m.BOARDS if cpu != cortex_m.RUN_CPU]


def test_model_runs_in_qemu_bit_exact(model):
    _, built = model.build(cortex_m.RUN_CPU)
    model.check_in_qemu(built)


def test_model_runs_on_another_board_bit_exact(model):
    """Each model also runs on one other board in turn: Cortex-M3 (mps2-an385),
    M7 (mps2-an500) or M55 (mps3-an547), planned for that CPU's family."""
    _, built = model.build(cpu_share(model.path, OTHER_BOARDS))
    model.check_in_qemu(built)


def test_split_model_runs_in_qemu_bit_exact(model):
    """--partial-exec's tile loops on Cortex-M4 give the unsplit model's bits
    (the reference executor's and the host build's), in the planned arena.
    Zero copy: the harness reads the input into the arena and writes the
    output from it (tinyir_<m>_input(), invoke_in_place), so the firmware's
    RAM is the arena and a few hundred bytes of startup and newlib state."""
    module, built = model.build(cortex_m.RUN_CPU, passes=SPLIT, in_place=True)
    assert cortex_m.map_sizes(built.map_file)[(".bss", str(built.model_object))] == arena_attrs.arena_size(module)
    sizes = cortex_m.elf_sizes(built.elf)
    assert built.io_bytes == 0 and 0 < sizes.data + sizes.bss - built.arena <= cortex_m.MODEL_STATE
    arrays = {name: n for _, name, n, _ in flash_arrays(module)}  # the report's flash, with the loops' band tables
    assert cortex_m.symbol_sizes(built.model_object, arrays) == arrays
    model.check_in_qemu(built)


def test_streamed_model_runs_in_qemu_bit_exact(model):
    """With stream-input, the harness's read_rows callback reads the rows the
    first row loop asks for from in.bin during the run: the image is never
    in RAM, which is the arena and a few hundred bytes of state; the output
    is the unsplit model's, bit for bit."""
    if model.path.stem not in STREAMED_MODELS:
        pytest.skip("streamed in QEMU: three models (bench/memory.py --stream weighs them all)")
    module, built = model.build(cortex_m.RUN_CPU, passes=STREAMED, in_place=True)
    (read,) = [op for op in module.walk() if isinstance(op, tiny.ReadRowsOp)]
    assert tiny.streamed_arguments(main_function(module)) == [True]
    assert tiny.buffer_type(read.out).shape[1] < tiny.buffer_type(read.ins[0]).shape[1]  # a band, never the image
    sizes = cortex_m.elf_sizes(built.elf)
    assert built.io_bytes == 0 and 0 < sizes.data + sizes.bss - built.arena <= cortex_m.MODEL_STATE
    model.check_in_qemu(built)


@pytest.mark.skipif(not UPSTREAM, reason="set CMSIS_NN to a CMSIS-NN checkout to run the models on upstream CMSIS-NN")
@pytest.mark.parametrize("passes", [UNSPLIT, SPLIT, STREAMED])
@pytest.mark.parametrize("board", ["cortex-m4", "another"])
def test_model_runs_on_upstream_cmsis_nn(model, passes, board):
    """Upstream CMSIS-NN's DSP build on Cortex-M4, and on one other board in
    turn its pure C build (M3), its DSP build for M7 or its MVE build (M55)."""
    if passes == STREAMED and model.path.stem not in STREAMED_MODELS:
        pytest.skip("streamed: three models")
    cpu = cortex_m.RUN_CPU if board == "cortex-m4" else cpu_share(model.path, OTHER_BOARDS)
    _, built = model.build(cpu, UPSTREAM, passes, in_place=passes == STREAMED)
    assert built.cmsis_nn.is_real_cmsis_nn
    model.check_in_qemu(built)


@pytest.mark.skipif(not UPSTREAM, reason="set CMSIS_NN to a CMSIS-NN checkout to build upstream CMSIS-NN")
def test_upstream_cmsis_nn_for_cortex_m4_is_its_dsp_build(tmp_path):
    probe = tmp_path / "probe.c"
    probe.write_text(
        '#include "arm_nnsupportfunctions.h"\n'
        "#if !defined(ARM_MATH_DSP) || defined(ARM_MATH_MVEI)\n"
        '#error "not the DSP build"\n'
        "#endif\n"
        "int probe;\n"
    )
    includes = cmsis_nn_checkout(UPSTREAM).include_dirs
    cortex_m.compile_sources([probe], cortex_m.RUN_CPU, tmp_path / "m4", includes)
    with pytest.raises(cortex_m.BuildError, match="not the DSP build"):
        cortex_m.compile_sources([probe], "cortex-m0plus", tmp_path / "m0plus", includes)


def test_a_model_that_does_not_fit_fails_to_link(tmp_path):
    module = planned(require_model("mlperf_kws_dscnn_int8.tflite"), cortex_m.RUN_CPU)
    built = cortex_m.build_model(module, tmp_path, "kws", cmsis_nn=host_runtime())
    sizes = cortex_m.elf_sizes(built.elf)
    assert sizes.bss >= built.arena == arena_attrs.arena_size(module)
    with pytest.raises(cortex_m.BuildError, match="region `RAM' overflowed"):
        built.link(tmp_path / "short.elf", sizes.ram - 8)


# -- the drop-in build: what -t c -o DIR writes for a firmware build ------------


def _drop_in_folder(tmp_path):
    """The example model, split and allocated for Cortex-M4, emitted with -o:
    (module, folder, inputs, expected outputs)."""
    from tinyir.example_model import make_example_model

    module = tinyir.run_pipeline(tinyir.import_model(make_example_model(), format="tflite", mcpu="cortex-m4"),
                                 "fuse,partial-exec,reorder,arena-alloc")  # fmt: skip
    folder = tmp_path / "model"
    subprocess.run([sys.executable, "-m", "tinyir.tools.opt", "-", "-t", "c{model=example}", "-o", str(folder)],
                   input=tinyir.print_ir(module), text=True, check=True)  # fmt: skip
    inputs = tinyir.random_inputs(module, seed=3)
    return module, folder, inputs, concatenated(tinyir.execute(module, inputs))


def _link_flags(ram: int) -> str:
    return " ".join(cortex_m.link_flags("cortex-m4", ram, stack_size=cortex_m.MODEL_STACK, heap_size=cortex_m.MODEL_HEAP))


def _cmsis_nn_root() -> str:
    return UPSTREAM or str(host_runtime().root)


def test_the_generated_make_fragment_builds_a_firmware(tmp_path):
    """A Makefile of a few lines that includes DIR/tinyir.mk, with the
    project's start-up code and a zero-copy main.c, builds the model for
    Cortex-M4 against CMSIS-NN (the CMSIS_NN checkout, else tinyir's
    CMSIS-NN-compatible runtime); it runs in QEMU bit-exact, in the arena's RAM."""
    module, folder, inputs, expected = _drop_in_folder(tmp_path)
    assert {"tinyir.mk", "tinyir.cmake", "README.md"} <= {p.name for p in folder.iterdir()}
    (tmp_path / "main.c").write_text(cortex_m.harness_c((folder / "example.h").read_text(), "example", in_place=True))
    ram = cortex_m.model_ram(arena_attrs.arena_size(module), 0)
    (tmp_path / "Makefile").write_text(textwrap.dedent(f"""\
        CC := {cortex_m.CC}
        CMSIS_NN := {_cmsis_nn_root()}
        include model/tinyir.mk
        firmware.elf: build/main.o build/startup.o $(TINYIR_OBJECTS)
        \t$(CC) $(TINYIR_CPU_FLAGS) {_link_flags(ram)} $^ -lm -o $@
        build/startup.o: {cortex_m.STARTUP_C} | $(TINYIR_BUILD)
        \t$(CC) $(TINYIR_CFLAGS) -c $< -o $@
        build/main.o: main.c | $(TINYIR_BUILD)
        \t$(CC) $(TINYIR_CFLAGS) -I{cortex_m.HERE} -c $< -o $@
        """))  # fmt: skip
    done = subprocess.run(["make", "-j2", "TINYIR_BUILD=build"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = cortex_m.run(tmp_path / "firmware.elf", inputs={"in.bin": concatenated(inputs)}, outputs=["out.bin"],
                          timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    same_bytes(result.outputs["out.bin"], expected)
    sizes = cortex_m.elf_sizes(tmp_path / "firmware.elf")
    assert 0 < sizes.data + sizes.bss - arena_attrs.arena_size(module) <= cortex_m.MODEL_STATE


def test_the_generated_cmake_fragment_builds_the_model(tmp_path):
    """A CMakeLists.txt that includes DIR/tinyir.cmake builds the model's
    library for Cortex-M4 (cross-compiling with arm-none-eabi-gcc); linked
    with the zero-copy main.c it runs in QEMU bit-exact. The weights go into
    a section of the caller's choosing (TINYIR_WEIGHTS_SECTION)."""
    if shutil.which("cmake") is None:
        pytest.skip("cmake not on PATH")
    module, folder, inputs, expected = _drop_in_folder(tmp_path)
    (tmp_path / "main.c").write_text(cortex_m.harness_c((folder / "example.h").read_text(), "example", in_place=True))
    ram = cortex_m.model_ram(arena_attrs.arena_size(module), 0)
    (tmp_path / "CMakeLists.txt").write_text(textwrap.dedent(f"""\
        cmake_minimum_required(VERSION 3.16)
        set(CMAKE_SYSTEM_NAME Generic)
        set(CMAKE_C_COMPILER {cortex_m.CC})
        set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
        project(firmware C)
        set(CMSIS_NN {_cmsis_nn_root()})
        set(TINYIR_WEIGHTS_SECTION .rodata.tinyir_weights)
        include(model/tinyir.cmake)
        add_executable(firmware.elf main.c {cortex_m.HERE}/startup.c)
        target_include_directories(firmware.elf PRIVATE {cortex_m.HERE})
        target_compile_options(firmware.elf PRIVATE ${{TINYIR_CPU_FLAGS}})
        target_link_libraries(firmware.elf PRIVATE tinyir_example)
        target_link_options(firmware.elf PRIVATE ${{TINYIR_CPU_FLAGS}} {_link_flags(ram)})
        """))  # fmt: skip
    for cmd in (["cmake", "-S", ".", "-B", "build"], ["cmake", "--build", "build", "-j2"]):
        done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    elf = tmp_path / "build" / "firmware.elf"
    result = cortex_m.run(elf, inputs={"in.bin": concatenated(inputs)}, outputs=["out.bin"], timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    same_bytes(result.outputs["out.bin"], expected)
    symbols = subprocess.run(["arm-none-eabi-objdump", "-h", str(elf)], capture_output=True, text=True).stdout
    library = next((tmp_path / "build").rglob("*example.c.obj"))
    sections = subprocess.run(["arm-none-eabi-objdump", "-h", str(library)], capture_output=True, text=True).stdout
    assert ".rodata.tinyir_weights" in sections and symbols
