"""What to compile for the CMSIS-NN kernels: tinyir's host runtime, or a real
CMSIS-NN checkout.

Generated C calls CMSIS-NN (v7 API). It builds against either

* tinyir's own host runtime (this folder: `Include/arm_nnfunctions.h`,
  `arm_nn_types.h`, `arm_nn_math_types.h` and `Source/*.c`), portable C99,
  bit-exact with TFLite's reference kernels: the default; or
* a real ARM-software/CMSIS-NN checkout, when the switch is set: the
  environment variable (or make variable, passed through) ``CMSIS_NN`` names
  its root (the folder holding ``Include/`` and ``Source/``), or the caller
  passes it as ``sources(cmsis_nn=...)``.

    from tinyir.backends.cmsis_nn_host.sources import sources
    src = sources()                       # $CMSIS_NN if set, else the host runtime
    cmd = ["gcc", *src.cflags(), *map(str, src.c_files), "main.c"]

For a real checkout the integer (s4/s8/s16) sources are listed, not the float
ones (`*_f16.c`, `*_f32.c`, `*_flt.c`, compiled only with ARM_NN_ENABLE_F16/F32),
and no `ARM_MATH_*` macro is defined: on a host that is CMSIS-NN's pure C
build; on a Cortex-M, CMSIS-NN derives ARM_MATH_DSP / ARM_MATH_MVEI from the
compiler's `-mcpu` itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

HOST_ROOT = Path(__file__).resolve().parent
ENV_VAR = "CMSIS_NN"

_FLOAT_SUFFIXES = ("_f16.c", "_f32.c", "_flt.c")


@dataclass(frozen=True)
class CSources:
    """Include folders, C files and defines of one CMSIS-NN implementation."""

    kind: str  # "host" (tinyir's runtime) or "cmsis-nn" (a real checkout)
    root: Path
    include_dirs: tuple[Path, ...]
    c_files: tuple[Path, ...]
    defines: tuple[str, ...] = field(default=())

    @property
    def is_real_cmsis_nn(self) -> bool:
        return self.kind == "cmsis-nn"

    def cflags(self) -> list[str]:
        """`-I` and `-D` flags for a GCC-style compiler."""
        return [f"-I{d}" for d in self.include_dirs] + [f"-D{d}" for d in self.defines]


def host_runtime() -> CSources:
    """tinyir's host runtime with the CMSIS-NN API."""
    return CSources(
        kind="host",
        root=HOST_ROOT,
        include_dirs=(HOST_ROOT / "Include",),
        c_files=tuple(sorted((HOST_ROOT / "Source").glob("*.c"))),
    )


def cmsis_nn_checkout(root: str | os.PathLike) -> CSources:
    """The integer kernels of a real CMSIS-NN checkout at `root`; ValueError
    if it does not look like one."""
    root = Path(root).expanduser().resolve()
    header = root / "Include" / "arm_nnfunctions.h"
    if not header.is_file() or not (root / "Source").is_dir():
        raise ValueError(f"{ENV_VAR}={root}: not a CMSIS-NN checkout (no Include/arm_nnfunctions.h and Source/)")
    files = tuple(
        sorted(p for p in (root / "Source").rglob("*.c") if not p.name.endswith(_FLOAT_SUFFIXES))
    )
    return CSources(kind="cmsis-nn", root=root, include_dirs=(root / "Include",), c_files=files)


def sources(cmsis_nn: str | os.PathLike | None = None) -> CSources:
    """The CMSIS-NN implementation to build against: the checkout `cmsis_nn`,
    else the one named by $CMSIS_NN, else tinyir's host runtime."""
    if cmsis_nn is None:
        cmsis_nn = os.environ.get(ENV_VAR) or None
    return host_runtime() if cmsis_nn is None else cmsis_nn_checkout(cmsis_nn)
