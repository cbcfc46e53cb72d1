"""Cross-compile C for Cortex-M, link it for a QEMU board, measure it, run it.

The pieces, each a function:

- `compile_sources(sources, cpu, out_dir)`: arm-none-eabi-gcc with the flags of
  `CPU_FLAGS[cpu]` and `CFLAGS` (``-O2 -ffp-contract=off -Wall -Wextra -Werror``), one object per
  source.
- `link(objects, elf, cpu, ram_size=...)`: a bare-metal ELF for the CPU's
  board (`BOARDS`) with this folder's startup.c and the board's linker script
  (mps2_an386.ld, mps3_an547.ld); newlib-nano with semihosting (librdimon).
  The RAM region is exactly `ram_size` bytes and holds .data, .bss, the heap and
  the stack, so a program whose arena does not fit fails to link
  (`BuildError`, "region `RAM' overflowed").
- `build(sources, elf, ...)`: both, with startup.c added.
- `elf_sizes(elf)`: flash (text + rodata + the initial bytes of .data) and RAM
  (data + bss + heap + stack), read from the ELF's section headers.
- `run(elf, inputs={...}, outputs=[...], cpu=...)`: runs the ELF in
  ``qemu-system-arm -M <board> -cpu <cpu>`` with semihosting, with a
  timeout, and returns its exit status, stdout and stderr.
- `build_model(module, directory, name, cpu, cmsis_nn)`: the C backend's code
  for an allocated module with a harness main (`harness_c`: in.bin -> invoke
  -> out.bin), tinyir's kernels and CMSIS-NN compiled for the CPU
  (`cmsis_nn_library`, cached: the host runtime, or upstream CMSIS-NN when
  $CMSIS_NN names a checkout), linked into RAM of exactly the planned arena +
  the harness's buffers + heap + stack + `MODEL_STATE`; `map_sizes` reads the
  linker map it writes (bytes per output section and object file).

Data in and out: binary data goes through files, text through stdout. QEMU's
semihosting opens files relative to its working directory, so `run` makes a
fresh directory, writes each ``inputs[name]`` there, runs QEMU in it, and reads
back each file named in `outputs` (missing ones are absent from the result). The
program itself uses plain ``fopen``/``fread``/``fwrite``, so the same source runs
on the host (`compile_host` / `run_host` do the same dance with the host's gcc).
stdout and stderr are the program's own (semihosting console), separate and
byte-exact; stdin is not wired (QEMU's console would need escaping).

Four CPUs run, one per CMSIS-NN build and then some (`BOARDS`): Cortex-M3 on
mps2-an385 (pure C), M4 on mps2-an386 and M7 on mps2-an500 (DSP), M55 on
mps3-an547 (MVE). Every CPU of `CPU_FLAGS` compiles and links (those without a
board for mps2-an386), so sizes can be compared across CPUs.

Also a command line:
    python -m tinyir.backends.cortex_m.build ELF SOURCES... [--cpu C] [--ram N] [--run]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from tinyir.analysis.target import CPUS

HERE = Path(__file__).resolve().parent
STARTUP_C = HERE / "startup.c"

CC = "arm-none-eabi-gcc"
QEMU = "qemu-system-arm"
HOST_CC = "gcc"

# Per-CPU code generation flags: the CPU table's (tinyir.analysis.target),
# for every CPU Debian's arm-none-eabi-gcc builds.
CPU_FLAGS: dict[str, tuple[str, ...]] = {name: cpu.gcc_flags for name, cpu in CPUS.items() if cpu.gcc_flags}
# For every CPU, and for the host build of the same sources.
# -ffp-contract=off: no FMA contraction (Cortex-M4F has VFMA), so the float
# kernels are bit-exact with the executor.
CFLAGS: tuple[str, ...] = ("-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror")
# Cross builds only: one section per function/object, so --gc-sections drops
# what is unused and the sizes measure what the program needs.
CROSS_CFLAGS: tuple[str, ...] = ("-ffunction-sections", "-fdata-sections")
# newlib-nano (small printf/malloc), libgloss's rdimon: semihosting system calls.
LINK_FLAGS: tuple[str, ...] = (
    "-nostartfiles",
    "--specs=nano.specs",
    "--specs=rdimon.specs",
    "-Wl,--gc-sections",
    "-Wl,--fatal-warnings",
)



@dataclass(frozen=True)
class Board:
    """A QEMU machine that runs one CPU's builds, and how ELFs are linked for it."""

    machine: str
    cpu: str
    linker_script: Path
    flash_max: int
    ram_max: int


# The MPS2 boards share one memory map: 4 MB of ZBT SSRAM1 at 0x00000000 (flash),
# 4 MB of SSRAM2&3 at 0x20000000 (SRAM).
_MPS2 = dict(linker_script=HERE / "mps2_an386.ld", flash_max=4 << 20, ram_max=4 << 20)
BOARDS: dict[str, Board] = {
    board.cpu: board
    for board in (
        Board("mps2-an385", "cortex-m3", **_MPS2),  # CMSIS-NN's pure C build
        Board("mps2-an386", "cortex-m4", **_MPS2),  # its DSP build
        Board("mps2-an500", "cortex-m7", **_MPS2),
        Board("mps3-an547", "cortex-m55", HERE / "mps3_an547.ld", flash_max=8 << 20, ram_max=4 << 20),  # MVE
    )
}
"""The CPU each board runs, by CPU; a CPU without one links for mps2-an386
(sizes only: it cannot run)."""

RUN_CPU = "cortex-m4"  # the default CPU, on mps2-an386
FLASH_MAX = BOARDS[RUN_CPU].flash_max
RAM_MAX = BOARDS[RUN_CPU].ram_max
DEFAULT_STACK = 8 << 10
DEFAULT_HEAP = 8 << 10  # newlib-nano stdio: a FILE and a 1 KB buffer per open file


class BuildError(RuntimeError):
    """A compile or link failed; the message carries the tool's diagnostics."""


def missing_tools() -> list[str]:
    """The commands this module needs that are not on PATH."""
    return [tool for tool in (CC, QEMU) if shutil.which(tool) is None]


def board_of(cpu: str) -> Board:
    """The board `cpu`'s builds link for (mps2-an386 where none runs it)."""
    return BOARDS.get(cpu, BOARDS[RUN_CPU])


def runs(cpu: str) -> bool:
    """Whether QEMU has a board for `cpu`."""
    return cpu in BOARDS


def cpu_flags(cpu: str) -> tuple[str, ...]:
    try:
        return CPU_FLAGS[cpu]
    except KeyError:
        raise ValueError(f"cannot build for CPU {cpu!r}; known: {', '.join(CPU_FLAGS)}") from None


def _check(cmd: Sequence[str], what: str) -> None:
    proc = subprocess.run(list(cmd), capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"{what} failed:\n$ {' '.join(cmd)}\n{proc.stderr}{proc.stdout}")


def _paths(items: Iterable[str | Path]) -> list[Path]:
    return [Path(item) for item in items]


def compile_sources(
    sources: Iterable[str | Path],
    cpu: str,
    out_dir: str | Path,
    include_dirs: Iterable[str | Path] = (),
    defines: Iterable[str] = (),
    extra_flags: Iterable[str] = (),
) -> list[Path]:
    """Compile each C source for `cpu` into `out_dir`; return the object files.

    Warnings are errors (``-Wall -Wextra -Werror``): a warning fails the build.
    """
    flags = [*cpu_flags(cpu), *CFLAGS, *CROSS_CFLAGS, f"-I{HERE}"]
    flags += [f"-I{d}" for d in include_dirs]
    flags += [f"-D{d}" for d in defines]
    flags += list(extra_flags)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sources = _paths(sources)
    # Numbered: two sources may share a stem (in different folders).
    objects = [out / f"{index:03d}_{source.stem}.o" for index, source in enumerate(sources)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        jobs = [
            pool.submit(_check, [CC, *flags, "-c", str(src), "-o", str(obj)], f"compiling {src}")
            for src, obj in zip(sources, objects)
        ]
        for job in jobs:
            job.result()  # the first failure, in source order
    return objects


def link(
    objects: Iterable[str | Path],
    elf: str | Path,
    cpu: str = RUN_CPU,
    ram_size: int = RAM_MAX,
    flash_size: int = FLASH_MAX,
    stack_size: int = DEFAULT_STACK,
    heap_size: int = DEFAULT_HEAP,
    extra_flags: Iterable[str] = (),
) -> Path:
    """Link a bare-metal ELF for the board of `cpu` whose RAM region is `ram_size` bytes.

    RAM holds .data + .bss (the arena, when it is a static array) + `heap_size`
    + `stack_size`; flash holds code, constants and .data's initial bytes. Too
    little of either is a `BuildError` from the linker ("region ... overflowed").
    The objects must include startup.c's (`build` adds it).
    """
    flags = link_flags(cpu, ram_size, flash_size, stack_size, heap_size)
    elf = Path(elf)
    elf.parent.mkdir(parents=True, exist_ok=True)
    cmd = [CC, *cpu_flags(cpu), *flags, *map(str, objects), *extra_flags, "-lm", "-o", str(elf)]
    _check(cmd, f"linking {elf.name}")
    return elf


def link_flags(
    cpu: str = RUN_CPU,
    ram_size: int = RAM_MAX,
    flash_size: int = FLASH_MAX,
    stack_size: int = DEFAULT_STACK,
    heap_size: int = DEFAULT_HEAP,
) -> list[str]:
    """The linker flags (without the CPU's) of a bare-metal ELF for the board
    of `cpu`: newlib-nano with semihosting, the board's linker script and
    the region sizes `link` takes."""
    board = board_of(cpu)
    for name, value, limit in (("ram_size", ram_size, board.ram_max), ("flash_size", flash_size, board.flash_max)):
        if not 0 < value <= limit:
            raise ValueError(f"{name} {value} outside 1..{limit} ({board.machine})")
    for name, value in (("stack_size", stack_size), ("heap_size", heap_size)):
        if value < 0 or value % 8:
            raise ValueError(f"{name} {value} must be a non-negative multiple of 8")
    defsyms = {"__ram_size": ram_size, "__flash_size": flash_size, "__stack_size": stack_size, "__heap_size": heap_size}
    return [*LINK_FLAGS, "-T", str(board.linker_script), *(f"-Wl,--defsym={k}={v}" for k, v in defsyms.items())]


def build(
    sources: Iterable[str | Path],
    elf: str | Path,
    cpu: str = RUN_CPU,
    ram_size: int = RAM_MAX,
    flash_size: int = FLASH_MAX,
    stack_size: int = DEFAULT_STACK,
    heap_size: int = DEFAULT_HEAP,
    include_dirs: Iterable[str | Path] = (),
    defines: Iterable[str] = (),
    extra_flags: Iterable[str] = (),
) -> Path:
    """Compile `sources` plus startup.c for `cpu` and link them (see `link`)."""
    elf = Path(elf)
    obj_dir = elf.parent / f"{elf.stem}.obj"
    objects = compile_sources(
        [STARTUP_C, *_paths(sources)], cpu, obj_dir, include_dirs, defines, extra_flags
    )
    return link(objects, elf, cpu, ram_size, flash_size, stack_size, heap_size)


@dataclass(frozen=True)
class Sizes:
    """Bytes per part of a linked ELF (section sizes from its header)."""

    text: int  # code, the vector table and unwinding tables
    rodata: int  # constants (weights, when the emitter makes them const)
    data: int  # initialised variables: RAM, and their initial bytes in flash
    bss: int  # zeroed variables (a static arena is here)
    heap: int  # reserved for malloc
    stack: int  # reserved for the stack

    @property
    def flash(self) -> int:
        return self.text + self.rodata + self.data

    @property
    def ram(self) -> int:
        """Static RAM: all the linker placed in the RAM region."""
        return self.data + self.bss + self.heap + self.stack


def _elf_sections(blob: bytes) -> dict[str, int]:
    """{section name: size} from an ELF32 little-endian file."""
    if blob[:4] != b"\x7fELF" or blob[4] != 1 or blob[5] != 1:
        raise ValueError("not a 32-bit little-endian ELF")
    shoff, = struct.unpack_from("<I", blob, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", blob, 0x2E)
    headers = [struct.unpack_from("<10I", blob, shoff + i * shentsize) for i in range(shnum)]
    strtab_offset = headers[shstrndx][4]

    def name(offset: int) -> str:
        start = strtab_offset + offset
        return blob[start : blob.index(b"\0", start)].decode()

    SHF_ALLOC = 0x2
    return {name(h[0]): h[5] for h in headers if h[2] & SHF_ALLOC}


def elf_sizes(elf: str | Path) -> Sizes:
    """Flash and RAM use of an ELF linked with mps2_an386.ld."""
    sections = _elf_sections(Path(elf).read_bytes())
    known = {".text", ".ARM.extab", ".ARM.exidx", ".rodata", ".data", ".bss", ".heap", ".stack"}
    unknown = set(sections) - known
    if unknown:  # the linker script puts every input section in a known one
        raise ValueError(f"{elf}: unexpected allocated sections {sorted(unknown)}")
    get = sections.get
    return Sizes(
        text=get(".text", 0) + get(".ARM.extab", 0) + get(".ARM.exidx", 0),
        rodata=get(".rodata", 0),
        data=get(".data", 0),
        bss=get(".bss", 0),
        heap=get(".heap", 0),
        stack=get(".stack", 0),
    )


@dataclass
class RunResult:
    returncode: int  # the program's exit status (exit(n) or main's return)
    stdout: bytes
    stderr: bytes
    outputs: dict[str, bytes] = field(default_factory=dict)  # files it wrote
    seconds: float = 0.0


def _run_in_dir(
    cmd: Sequence[str],
    inputs: Mapping[str, bytes],
    outputs: Iterable[str],
    timeout: float,
    workdir: str | Path | None,
) -> RunResult:
    with tempfile.TemporaryDirectory(prefix="tinyir-run-") as scratch:
        cwd = Path(workdir) if workdir is not None else Path(scratch)
        cwd.mkdir(parents=True, exist_ok=True)
        for name, data in inputs.items():
            (cwd / name).parent.mkdir(parents=True, exist_ok=True)
            (cwd / name).write_bytes(data)
        start = time.monotonic()
        try:
            proc = subprocess.run(
                list(cmd), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise TimeoutError(
                f"{Path(cmd[-1]).name} did not finish within {timeout} s; "
                f"stdout so far: {(exc.stdout or b'')[-500:]!r}"
            ) from None
        seconds = time.monotonic() - start
        written = {name: (cwd / name).read_bytes() for name in outputs if (cwd / name).is_file()}
        return RunResult(proc.returncode, proc.stdout, proc.stderr, written, seconds)


def qemu_command(elf: str | Path, qemu_args: Sequence[str] = (), cpu: str = RUN_CPU) -> list[str]:
    if not runs(cpu):
        raise ValueError(f"no QEMU board runs {cpu} (boards for: {', '.join(BOARDS)})")
    return [
        QEMU,
        "-M", BOARDS[cpu].machine,
        "-cpu", cpu,
        "-nographic",  # no window; the (unused) UART and monitor on stdio
        "-semihosting-config", "enable=on,target=native",
        *qemu_args,
        "-kernel", str(Path(elf).resolve()),
    ]  # fmt: skip


def run(
    elf: str | Path,
    inputs: Mapping[str, bytes] = {},
    outputs: Iterable[str] = (),
    timeout: float = 60.0,
    workdir: str | Path | None = None,
    qemu_args: Sequence[str] = (),
    cpu: str = RUN_CPU,
) -> RunResult:
    """Run an ELF built for `cpu` in QEMU, on its board (`BOARDS`), until it exits (or `timeout` s).

    Files named in `inputs` are written to the working directory first (a fresh
    temporary one unless `workdir` is given), where the program's semihosting
    ``fopen`` finds them; the files named in `outputs` are read back after.
    A fault in the program ends it with status 128 + exception number (131 for
    a HardFault) and a line on stderr; a stack overflow (the guard word at the
    bottom of .stack is overwritten) with 125. `qemu_args` go to QEMU (e.g.
    count.py's plugin).
    """
    return _run_in_dir(qemu_command(elf, qemu_args, cpu), inputs, outputs, timeout, workdir)


def compile_host(
    sources: Iterable[str | Path],
    exe: str | Path,
    include_dirs: Iterable[str | Path] = (),
    defines: Iterable[str] = (),
    extra_flags: Iterable[str] = (),
) -> Path:
    """The same sources for the host with gcc and `CFLAGS`, for comparisons."""
    exe = Path(exe)
    exe.parent.mkdir(parents=True, exist_ok=True)
    cmd = [HOST_CC, *CFLAGS, *(f"-I{d}" for d in include_dirs), *(f"-D{d}" for d in defines)]
    cmd += [*extra_flags, *map(str, sources), "-lm", "-o", str(exe)]
    _check(cmd, f"compiling {exe.name} for the host")
    return exe


def run_host(
    exe: str | Path,
    inputs: Mapping[str, bytes] = {},
    outputs: Iterable[str] = (),
    timeout: float = 60.0,
    workdir: str | Path | None = None,
) -> RunResult:
    """Run a host build the way `run` runs an ELF: same files in, same files out."""
    return _run_in_dir([str(Path(exe).resolve())], inputs, outputs, timeout, workdir)


# -- a model from the C backend ------------------------------------------------
# `build_model` builds the C that tinyir emits for an allocated module: the
# model's .c (weights const, in flash; one static arena), a harness main that
# `harness_c` writes from the model's header (inputs from in.bin, invoke,
# outputs to out.bin: the same source on the host and in QEMU), tinyir's
# portable kernels, and a CMSIS-NN library compiled for the CPU
# (`cmsis_nn_library`: tinyir's host runtime, or the checkout named by
# $CMSIS_NN, the switch of backends/cmsis_nn_host/sources.py; cached in
# $TINYIR_CACHE). The RAM region is exactly the planned arena + the harness's
# input and output buffers + heap + stack + MODEL_STATE, so the link proves
# that the model fits; `map_sizes` reads the linker map, which says what each
# object file (the model, the kernels, CMSIS-NN) puts in flash and RAM.

AR = "arm-none-eabi-ar"
MODEL_STACK = 2048  # peak use measured in QEMU, every shared model: under 900 bytes on Cortex-M4, 1,100 with upstream
# CMSIS-NN's MVE kernels on Cortex-M55
MODEL_HEAP = 2048  # newlib-nano stdio for the harness's two files: 1468 bytes
MODEL_STATE = 512  # startup.c's and newlib's variables (about 320 bytes) and alignment


def cmsis_nn_library(cpu: str, cmsis_nn=None):
    """(the CMSIS-NN `CSources`, a static library of them compiled for `cpu`).

    `cmsis_nn`: the `CSources` to compile (e.g. `host_runtime()`), or the path
    of a CMSIS-NN checkout, or None for what sources.py says ($CMSIS_NN, else
    tinyir's host runtime). Compiled like the model (warnings are errors) once
    per content and flags, into $TINYIR_CACHE.
    """
    from tinyir.backends.c.host import cached_library
    from tinyir.backends.cmsis_nn_host.sources import CSources, sources

    src = cmsis_nn if isinstance(cmsis_nn, CSources) else sources(cmsis_nn)
    flags = [CC, *cpu_flags(cpu), *CFLAGS, *CROSS_CFLAGS, *src.defines]
    headers = {h for d in (*src.include_dirs, *{c.parent for c in src.c_files}) for h in Path(d).rglob("*.h")}

    def build(folder: Path) -> Path:
        objects = compile_sources(src.c_files, cpu, folder, src.include_dirs, src.defines)
        _check([AR, "rcs", str(folder / "lib.a"), *map(str, objects)], f"archiving CMSIS-NN for {cpu}")
        return folder / "lib.a"

    return src, cached_library(f"cmsis-nn-{src.kind}-{cpu}", flags, [*src.c_files, *sorted(headers)], build)


HARNESS_C = """\
/* Generated by tinyir.backends.cortex_m.build: runs tinyir_{ident}_{entry} once.
   The inputs' bytes from in.bin, the outputs' bytes to out.bin, each file the
   buffers in order. The same source runs on the host and on mps2-an386. */
#include <stdio.h>

#include "{ident}.h"
#ifdef __arm__
#include "board.h"
#endif

{buffers}

#ifdef TINYIR_PROFILE
/* Called where each op of invoke begins: count.py's QEMU plugin cuts its count here. */
__attribute__((noipa)) void tinyir_op_mark(void) {{ }}
#endif

int main(void)
{{
    FILE *f = fopen("in.bin", "rb");
    if (f == NULL) {{
        fputs("cannot open in.bin\\n", stderr);
        return 2;
    }}
{reads}    const int status = tinyir_{ident}_{entry}({args});
    fclose(f);
    if (status != 0) {{
        fprintf(stderr, "op %d refused its arguments\\n", status);
        return 3;
    }}
    f = fopen("out.bin", "wb");
{writes}    if (f == NULL || fclose(f) != 0) {{
        fputs("cannot write out.bin\\n", stderr);
        return 4;
    }}
#ifdef __arm__
    fprintf(stderr, "stack %u heap %u\\n", (unsigned)tinyir_stack_peak(), (unsigned)tinyir_heap_used());
#endif
    return 0;
}}
"""


def harness_c(header: str, ident: str, in_place: bool = False) -> str:
    """The harness main for the model whose header (`<ident>.h`) is `header`:
    one static buffer per parameter of `tinyir_<ident>_invoke` (its C type, the
    header's INPUTi/OUTPUTi_SIZE elements); `in_place`: none, the files read
    into and written from the arena (`tinyir_<ident>_input()`, ...,
    `tinyir_<ident>_invoke_in_place`), so RAM is the arena alone."""
    if in_place:
        return _in_place_harness(header, ident)
    found = re.search(rf"\bint tinyir_{ident}_invoke\(([^)]*)\);", header)
    params = [re.fullmatch(r"(const )?(\w+) \*(\w+)", p.strip()) for p in found[1].split(",")] if found else [None]
    if None in params:
        raise ValueError(f"{ident}.h: no prototype 'int tinyir_{ident}_invoke(const T *in..., T *out...)'")
    upper = ident.upper()
    buffers, reads, writes, counts = [], [], [], {"INPUT": 0, "OUTPUT": 0}
    for const, ctype, pname in (p.groups() for p in params):
        kind = "INPUT" if const else "OUTPUT"
        size = f"TINYIR_{upper}_{kind}{counts[kind]}_SIZE"
        counts[kind] += 1
        buffers.append(f"static {ctype} {pname}[{size}];")
        if const:
            reads.append(_read(pname, size, pname))
        else:
            writes.append(_write(pname, size))
    return HARNESS_C.format(
        ident=ident,
        entry="invoke",
        buffers="\n".join(buffers),
        reads="".join(reads),
        writes="".join(writes),
        args=", ".join(p[3] for p in params),
    )


def _read(pointer: str, size: str, what: str) -> str:
    """The harness's read of `size` elements from in.bin to `pointer`."""
    return (f"    if (fread({pointer}, sizeof *{pointer}, {size}, f) != {size}) {{\n"
            f'        fputs("in.bin: too short for {what}\\n", stderr);\n        return 2;\n    }}\n')  # fmt: skip


def _write(pointer: str, size: str) -> str:
    """The harness's write of `size` elements at `pointer` to out.bin."""
    return f"    if (f != NULL && fwrite({pointer}, sizeof *{pointer}, {size}, f) != {size})\n        f = NULL;\n"


STREAM_C = """\
/* The streamed input's rows, from in.bin as a camera would give them. */
static FILE *in_file;

static int read_rows(void *ctx, int first_row, int n_rows, {ctype} *dst)
{{
    const size_t size = (size_t)n_rows * TINYIR_{upper}_INPUT0_ROW_SIZE;
    (void)ctx;
    if (fseek(in_file, (long)first_row * TINYIR_{upper}_INPUT0_ROW_SIZE * (long)sizeof *dst, SEEK_SET) != 0)
        return 1;
    return fread(dst, sizeof *dst, size, in_file) != size;
}}
"""


def _in_place_harness(header: str, ident: str) -> str:
    accessors = re.findall(rf"^(const )?\w+ \*tinyir_{ident}_(input|output)(\d*)\(void\);", header, re.M)
    stream = re.search(rf"\btypedef int \(\*tinyir_{ident}_read_rows_fn\)\([^)]*, (\w+) \*dst\);", header)
    if not accessors or (stream is None and not any(kind == "input" for _, kind, _ in accessors)):
        raise ValueError(f"{ident}.h: no 'T *tinyir_{ident}_input(void)' (a model with an external arena?)")
    upper = ident.upper()
    reads, writes, counts = [], [], {"input": 0, "output": 0}
    if stream is not None:  # its rows are read during the run: the file stays open
        reads.append("    in_file = f;\n")
    for _, kind, suffix in accessors:
        size = f"TINYIR_{upper}_{kind.upper()}{counts[kind]}_SIZE"
        counts[kind] += 1
        call = f"tinyir_{ident}_{kind}{suffix}()"
        if kind == "input":
            reads.append(_read(call, size, f"{kind}{suffix}"))
        else:
            writes.append(_write(call, size))
    if stream is not None:
        return HARNESS_C.format(ident=ident, entry="invoke_streamed", buffers=STREAM_C.format(ctype=stream[1], upper=upper),
                                reads="".join(reads), writes="".join(writes), args="read_rows, NULL")  # fmt: skip
    return HARNESS_C.format(ident=ident, entry="invoke_in_place", buffers="/* no buffers: the inputs and outputs are in the arena */",
                            reads="".join(reads), writes="".join(writes), args="")  # fmt: skip


@dataclass(frozen=True)
class ModelBuild:
    """One model's C built for one CPU (`build_model`)."""

    ident: str  # the model's C name: <ident>.c, tinyir_<ident>_invoke
    cpu: str
    arena: int  # tiny.arena_size
    io_bytes: int  # the harness's input and output buffers
    sources: tuple[Path, ...]  # the harness main, <ident>.c, the runtime's C files
    include_dirs: tuple[Path, ...]  # the C folder, CMSIS-NN's headers
    cmsis_nn: object  # the CMSIS-NN `CSources` (sources.py)
    library: Path  # CMSIS-NN compiled for `cpu`
    objects: tuple[Path, ...]  # startup.c and `sources`, compiled for `cpu`
    elf: Path
    map_file: Path  # the linker's map of `elf`
    profile: bool = False  # built with TINYIR_PROFILE: a tinyir_op_mark() call where each op begins

    @property
    def model_object(self) -> Path:
        return next(o for o in self.objects if o.name.endswith(f"_{self.ident}.o"))

    def link(self, elf: str | Path, ram_size: int, map_file: Path | None = None) -> Path:
        """Link the same objects again, into a RAM region of `ram_size` bytes."""
        extra = [f"-Wl,-Map={map_file}"] if map_file else []
        return link([*self.objects, self.library], elf, self.cpu, ram_size,
                    stack_size=MODEL_STACK, heap_size=MODEL_HEAP, extra_flags=extra)  # fmt: skip


def model_ram(arena: int, io_bytes: int) -> int:
    """The RAM region `build_model` links into."""
    return arena + io_bytes + MODEL_HEAP + MODEL_STACK + MODEL_STATE


def build_model(
    module, directory: str | Path, name: str = "model", cpu: str | None = None, cmsis_nn=None, profile: bool = False,
    in_place: bool = False,
) -> ModelBuild:
    """Emit an allocated module as C into `directory` (with the harness main),
    compile it for `cpu` (default: the module's, `tinyir.analysis.target`;
    warnings are errors) and link it against CMSIS-NN
    (`cmsis_nn_library(cpu, cmsis_nn)`) into exactly `model_ram` bytes of RAM.

    The module's arena must be planned for a CPU of `cpu`'s CMSIS-NN family
    (`--mcpu`): scratch sizes differ between families. `profile`: compile with
    TINYIR_PROFILE, for count.py's instructions per op. `in_place`: the
    harness reads and writes the inputs and outputs in the arena (zero copy):
    no I/O buffers beside it.
    """
    from xdsl.dialects import func

    from tinyir.analysis import arena as arena_attrs
    from tinyir.analysis.target import family_of, recorded_cpu, target_cpu
    from tinyir.api import emit_c
    from tinyir.backends.c import RUNTIME_SOURCES
    from tinyir.dialects import tiny

    arena = arena_attrs.arena_size(module)
    if arena is None:
        raise ValueError("the module has no arena: run arena-alloc first")
    cpu = cpu or target_cpu(module)
    cpu_flags(cpu)  # a CPU the compiler builds
    planned = recorded_cpu(module)
    if planned is not None and family_of(planned) != family_of(cpu):
        raise ValueError(f"arena planned for {planned}, whose CMSIS-NN scratch differs from {cpu}'s")
    directory = Path(directory)
    files = emit_c(module, name, directory=directory)
    ident = next(Path(f).stem for f in files if f.endswith(".h"))
    (directory / "main.c").write_text(harness_c(files[f"{ident}.h"], ident, in_place))
    block = next(op for op in module.ops if isinstance(op, func.FuncOp)).body.block
    io_bytes = 0 if in_place else sum(tiny.buffer_type(v).nbytes for v in (*block.args, *block.last_op.operands))
    src, library = cmsis_nn_library(cpu, cmsis_nn)
    runtime = [directory / f for f in RUNTIME_SOURCES if f.endswith(".c")]
    sources = (directory / "main.c", directory / f"{ident}.c", *runtime)
    includes = (directory, *src.include_dirs)
    defines = (*src.defines, *(("TINYIR_PROFILE",) if profile else ()))
    objects = compile_sources([STARTUP_C, *sources], cpu, directory / f"{cpu}.obj", includes, defines)
    built = ModelBuild(ident, cpu, arena, io_bytes, sources, includes, src, library, tuple(objects),
                       directory / f"{ident}.{cpu}.elf", directory / f"{ident}.{cpu}.map", profile)  # fmt: skip
    built.link(built.elf, model_ram(arena, io_bytes), built.map_file)
    return built


NM = "arm-none-eabi-nm"


def symbol_sizes(obj: str | Path, names) -> dict[str, int]:
    """The sizes of these symbols in an object file (arm-none-eabi-nm -S);
    a name the object does not define is left out."""
    listing = subprocess.run([NM, "-S", str(obj)], capture_output=True, text=True, check=True).stdout
    wanted = set(names)
    sizes = {}
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[3] in wanted:
            sizes[fields[3]] = int(fields[1], 16)
    return sizes


def map_sizes(map_file: str | Path) -> dict[tuple[str, str], int]:
    """{(output section, input file): bytes} from a GNU ld map file, for the
    sections `elf_sizes` counts (.text, .rodata, .data, .bss, ...). An archive
    member's input file is `lib.a(member.o)`; alignment padding is not counted."""
    sections = {".text", ".ARM.extab", ".ARM.exidx", ".rodata", ".data", ".bss"}
    sizes: dict[tuple[str, str], int] = {}
    text = Path(map_file).read_text()
    body = text[text.index("Linker script and memory map") :]
    # An input section: " name 0xADDR 0xSIZE file", wrapped after a long name.
    body = re.sub(r"\n (\S+)\n\s+0x", r"\n \1 0x", body)
    output = None
    for line in body.splitlines():
        if line[:1] == ".":
            output = line.split()[0]
            continue
        m = re.fullmatch(r" (\S+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)", line)
        if m and output in sections and m[1] != "*fill*":
            key = (output, m[3].strip())
            sizes[key] = sizes.get(key, 0) + int(m[2], 16)
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tinyir.backends.cortex_m.build",
        description="Build C sources into a bare-metal ELF for a QEMU board of the CPU; "
        "print its sizes; optionally run it.",
    )
    parser.add_argument("elf", type=Path)
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("--cpu", default=RUN_CPU, choices=list(CPU_FLAGS))
    parser.add_argument("--ram", type=int, default=RAM_MAX, help="RAM region in bytes")
    parser.add_argument("--flash", type=int, default=FLASH_MAX, help="flash region in bytes")
    parser.add_argument("--stack", type=int, default=DEFAULT_STACK)
    parser.add_argument("--heap", type=int, default=DEFAULT_HEAP)
    parser.add_argument("-I", dest="include_dirs", action="append", default=[])
    parser.add_argument("--run", action="store_true", help="run it in QEMU (the CPUs of BOARDS)")
    args = parser.parse_args(argv)
    try:
        elf = build(
            args.sources, args.elf, args.cpu, args.ram, args.flash, args.stack, args.heap,
            args.include_dirs,
        )  # fmt: skip
    except (BuildError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    s = elf_sizes(elf)
    print(
        f"{elf}: flash {s.flash} (text {s.text}, rodata {s.rodata}, data {s.data}); "
        f"RAM {s.ram} (data {s.data}, bss {s.bss}, heap {s.heap}, stack {s.stack})"
    )
    if args.run:
        if not runs(args.cpu):
            print(f"error: no QEMU board runs {args.cpu} (boards for: {', '.join(BOARDS)})", file=sys.stderr)
            return 1
        result = run(elf, workdir=Path.cwd(), cpu=args.cpu)
        sys.stdout.buffer.write(result.stdout)
        sys.stderr.buffer.write(result.stderr)
        return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
