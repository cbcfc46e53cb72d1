"""Cross-compile C for Cortex-M, link it for QEMU's mps2-an386, measure it, run it.

The pieces, each a function:

- `compile_sources(sources, cpu, out_dir)`: arm-none-eabi-gcc with the flags of
  `CPU_FLAGS[cpu]` and `CFLAGS` (``-O2 -Wall -Wextra -Werror``), one object per
  source.
- `link(objects, elf, ram_size=...)`: a bare-metal ELF for mps2-an386 with this
  folder's startup.c and mps2_an386.ld; newlib-nano with semihosting (librdimon).
  The RAM region is exactly `ram_size` bytes and holds .data, .bss, the heap and
  the stack, so a program whose arena does not fit fails to link
  (`BuildError`, "region `RAM' overflowed").
- `build(sources, elf, ...)`: both, with startup.c added.
- `elf_sizes(elf)`: flash (text + rodata + the initial bytes of .data) and RAM
  (data + bss + heap + stack), read from the ELF's section headers.
- `run(elf, inputs={...}, outputs=[...])`: runs the ELF in
  ``qemu-system-arm -M mps2-an386 -cpu cortex-m4`` with semihosting, with a
  timeout, and returns its exit status, stdout and stderr.

Data in and out: binary data goes through files, text through stdout. QEMU's
semihosting opens files relative to its working directory, so `run` makes a
fresh directory, writes each ``inputs[name]`` there, runs QEMU in it, and reads
back each file named in `outputs` (missing ones are absent from the result). The
program itself uses plain ``fopen``/``fread``/``fwrite``, so the same source runs
on the host (`compile_host` / `run_host` do the same dance with the host's gcc).
stdout and stderr are the program's own (semihosting console), separate and
byte-exact; stdin is not wired (QEMU's console would need escaping).

Only Cortex-M4 runs (mps2-an386 is a Cortex-M4 board); every CPU of `CPU_FLAGS`
compiles and links, so sizes can be compared across CPUs.

Also a command line:
    python -m tinyir.backends.cortex_m.build ELF SOURCES... [--cpu C] [--ram N] [--run]
"""

from __future__ import annotations

import argparse
import os
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

HERE = Path(__file__).resolve().parent
STARTUP_C = HERE / "startup.c"
LINKER_SCRIPT = HERE / "mps2_an386.ld"

CC = "arm-none-eabi-gcc"
QEMU = "qemu-system-arm"
HOST_CC = "gcc"

# The one table of per-CPU code generation flags.
CPU_FLAGS: dict[str, tuple[str, ...]] = {
    "cortex-m0plus": ("-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"),
    "cortex-m4": ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
    "cortex-m7": ("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
    "cortex-m55": ("-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard", "-mfpu=auto"),
}
# For every CPU, and for the host build of the same sources.
CFLAGS: tuple[str, ...] = ("-O2", "-Wall", "-Wextra", "-Werror")
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

RUN_CPU = "cortex-m4"  # the CPU of mps2-an386
MACHINE = "mps2-an386"
FLASH_MAX = 4 << 20  # ZBT SSRAM1 at 0x00000000
RAM_MAX = 4 << 20  # ZBT SSRAM2&3 at 0x20000000
DEFAULT_STACK = 8 << 10
DEFAULT_HEAP = 8 << 10  # newlib-nano stdio: a FILE and a 1 KB buffer per open file


class BuildError(RuntimeError):
    """A compile or link failed; the message carries the tool's diagnostics."""


def missing_tools() -> list[str]:
    """The commands this module needs that are not on PATH."""
    return [tool for tool in (CC, QEMU) if shutil.which(tool) is None]


def cpu_flags(cpu: str) -> tuple[str, ...]:
    try:
        return CPU_FLAGS[cpu]
    except KeyError:
        raise ValueError(f"unknown CPU {cpu!r}; known: {', '.join(CPU_FLAGS)}") from None


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
    """Link a bare-metal ELF for mps2-an386 whose RAM region is `ram_size` bytes.

    RAM holds .data + .bss (the arena, when it is a static array) + `heap_size`
    + `stack_size`; flash holds code, constants and .data's initial bytes. Too
    little of either is a `BuildError` from the linker ("region ... overflowed").
    The objects must include startup.c's (`build` adds it).
    """
    for name, value, limit in (("ram_size", ram_size, RAM_MAX), ("flash_size", flash_size, FLASH_MAX)):
        if not 0 < value <= limit:
            raise ValueError(f"{name} {value} outside 1..{limit} (mps2-an386)")
    for name, value in (("stack_size", stack_size), ("heap_size", heap_size)):
        if value < 0 or value % 8:
            raise ValueError(f"{name} {value} must be a non-negative multiple of 8")
    elf = Path(elf)
    elf.parent.mkdir(parents=True, exist_ok=True)
    defsyms = {
        "__ram_size": ram_size,
        "__flash_size": flash_size,
        "__stack_size": stack_size,
        "__heap_size": heap_size,
    }
    cmd = [
        CC,
        *cpu_flags(cpu),
        *LINK_FLAGS,
        "-T",
        str(LINKER_SCRIPT),
        *(f"-Wl,--defsym={k}={v}" for k, v in defsyms.items()),
        *map(str, objects),
        *extra_flags,
        "-lm",
        "-o",
        str(elf),
    ]
    _check(cmd, f"linking {elf.name}")
    return elf


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


def qemu_command(elf: str | Path) -> list[str]:
    return [
        QEMU,
        "-M", MACHINE,
        "-cpu", RUN_CPU,
        "-nographic",  # no window; the (unused) UART and monitor on stdio
        "-semihosting-config", "enable=on,target=native",
        "-kernel", str(Path(elf).resolve()),
    ]  # fmt: skip


def run(
    elf: str | Path,
    inputs: Mapping[str, bytes] = {},
    outputs: Iterable[str] = (),
    timeout: float = 60.0,
    workdir: str | Path | None = None,
) -> RunResult:
    """Run a Cortex-M4 ELF in QEMU's mps2-an386 until it exits (or `timeout` s).

    Files named in `inputs` are written to the working directory first (a fresh
    temporary one unless `workdir` is given), where the program's semihosting
    ``fopen`` finds them; the files named in `outputs` are read back after.
    A fault in the program ends it with status 128 + exception number (131 for
    a HardFault) and a line on stderr; a stack overflow (the guard word at the
    bottom of .stack is overwritten) with 125.
    """
    return _run_in_dir(qemu_command(elf), inputs, outputs, timeout, workdir)


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tinyir.backends.cortex_m.build",
        description="Build C sources into a bare-metal ELF for QEMU's mps2-an386; "
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
    parser.add_argument("--run", action="store_true", help="run it in QEMU (cortex-m4 only)")
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
        if args.cpu != RUN_CPU:
            print(f"error: only {RUN_CPU} runs on {MACHINE}", file=sys.stderr)
            return 1
        result = run(elf, workdir=Path.cwd())
        sys.stdout.buffer.write(result.stdout)
        sys.stderr.buffer.write(result.stderr)
        return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
