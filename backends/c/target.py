"""What the C backend offers: `emit_c` (the files' text), `write_c` (the files
and tinyir's runtime kernels, in a directory) and `CTarget` (`-t c`), with
`KERNELS`, the table from each tiny compute op to its op emitter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target

from tinyir.errors import TinyIRError

from . import conv, elementwise, floating, layout, pool, resize, stream, tiles
from .buildfiles import build_files
from .emitter import Emitter, OpEmitter

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "runtime"
RUNTIME_SOURCES = ("tinyir_kernels.h", "tinyir_index.h", "tinyir_kernels.c", "tinyir_kernels_f32.c", "tinyir_tiles.h", "tinyir_tiles.c")

KERNELS: dict[type, OpEmitter] = floating.with_float({
    **conv.KERNELS,
    **elementwise.KERNELS,
    **pool.KERNELS,
    **layout.KERNELS,
    **resize.KERNELS,
    **tiles.KERNELS,
    **stream.KERNELS,
})


def _emitted(module: ModuleOp, name: str, external_arena: bool) -> tuple[dict[str, str], list]:
    """The C files of an allocated module and its flash arrays (`Emitter.rodata`)."""
    emitter = Emitter(module, name, external_arena, KERNELS, conv.layout)
    return emitter.emit(), emitter.rodata


def emit_c(module: ModuleOp, name: str = "model", *, external_arena: bool = False) -> dict[str, str]:
    """{file name: text} of `<name>.h` and `<name>.c` for an allocated module."""
    return _emitted(module, name, external_arena)[0]


CODE_BYTES_PER_OP = 193
CODE_BYTES_PER_LOOP = 125
"""The model's own code in flash (its .text, and the parameter structs the
compiler lays out in .rodata), per compute op and per tile loop: fitted to
arm-none-eabi-gcc -O2 builds for Cortex-M4 of the 15 shared models, unsplit
and split (cortex_m.build; within -13%..+18% of each, within 6% on most)."""


def flash_bytes(module: ModuleOp, arrays: list | None = None) -> dict[str, int]:
    """Flash of the model's C, beside CMSIS-NN's kernels: `constants` and
    `tables` exactly as flash_arrays (alignment padding not counted; `arrays`:
    those of C already emitted), `code` an estimate (CODE_BYTES_PER_OP,
    CODE_BYTES_PER_LOOP), and their `total`."""
    from tinyir.dialects import tiny

    sizes = {"constants": 0, "tables": 0}
    for kind, _, n, _ in flash_arrays(module) if arrays is None else arrays:
        sizes[kind] += n
    ops = sum(isinstance(op, tiny.ComputeOp) for op in module.walk())
    loops = sum(isinstance(op, tiny.TileLoopOp) for op in module.walk())
    sizes["code"] = CODE_BYTES_PER_OP * ops + CODE_BYTES_PER_LOOP * loops
    sizes["total"] = sum(sizes.values())
    return sizes


def flash_arrays(module: ModuleOp) -> list[tuple[str, str, int, int]]:
    """(kind, name, bytes, alignment) of every flash array the C of `module` holds:
    `constants` (weights, biases, other constant operands, in the layouts the
    kernels read) and `tables` (requantization, band and other parameter
    tables), as emit_c makes them."""
    emitter = Emitter(module, "model", False, KERNELS, conv.layout, data=False)
    emitter.emit()
    return emitter.rodata


def write_c(
    module: ModuleOp, directory: str | Path, name: str = "model", *, external_arena: bool = False, runtime: bool = True
) -> dict[str, str]:
    """Write `<name>.h`, `<name>.c` (and, with `runtime`, tinyir's kernels:
    RUNTIME_SOURCES, and the build files) into `directory`; returns the
    first two as emit_c does."""
    model, arrays = _emitted(module, name, external_arena)
    files = dict(model)
    if runtime:  # a folder a firmware build can take as it is
        for f in RUNTIME_SOURCES:
            files[f] = (RUNTIME_DIR / f).read_text()
        files.update(build_files(module, name, list(files), flash_bytes(module, arrays)))
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for file_name, text in files.items():
            (directory / file_name).write_text(text)
    except OSError as e:
        raise TinyIRError(f"cannot write C files into {directory}: {e.strerror}") from None
    return model


FILE_MARKER = "/* ===== {} ===== */"


@dataclass(frozen=True)
class CTarget(Target):
    """`-t c`: the C backend. Options: `model` (the model's C name: files
    `<name>.h`/`<name>.c`, entry point `tinyir_<name>_invoke`), `out` (a
    directory to write them into, with tinyir's runtime kernels; without it
    both files go to the output stream, each after a `/* ===== file ===== */`
    line), `arena` (`static`: a static array in the .c file; `external`: the
    caller passes it)."""

    name = "c"

    model: str = "model"
    out: str = ""
    arena: str = "static"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        if self.arena not in ("static", "external"):
            raise TinyIRError(f"-t c: arena must be 'static' or 'external', got '{self.arena}'")
        external = self.arena == "external"
        if self.out:
            write_c(module, self.out, self.model, external_arena=external)
            return
        for file_name, text in emit_c(module, self.model, external_arena=external).items():
            output.write(FILE_MARKER.format(file_name) + "\n")
            output.write(text)
