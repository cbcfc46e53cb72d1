"""Building and running the emitted C on the host (`tinyir-run --backend c`,
the tests): `build_host` compiles it with gcc (warnings are errors) and a
host main against a CMSIS-NN: the host runtime (backends/cmsis_nn_host), or
the CMSIS-NN checkout named by $CMSIS_NN (backends/cmsis_nn_host/sources.py
decides). The CMSIS-NN sources are compiled once into a static library in
$TINYIR_CACHE (default: <tmp>/tinyir-cache), keyed by their content
(`cmsis_nn_library`). `run_host` runs the executable on numpy inputs;
`execute_c` does all three. `time_host` measures the time per invocation
(the host main's optional third argument: invoke that many times more and
print the CPU time per invocation)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from tinyir.analysis.liveness import main_function
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError

from .emitter import outputs
from .target import RUNTIME_DIR, RUNTIME_SOURCES, write_c
from .text import c_identifier, c_type

# -ffp-contract=off: no FMA contraction, so the float kernels sum as the executor does
CFLAGS = ("-std=c99", "-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror")


def cmsis_nn_sources() -> tuple[list[str], list[Path]]:
    """(compiler flags, C sources) of the CMSIS-NN to build against: what
    backends/cmsis_nn_host/sources.py says (tinyir's host runtime, or the
    CMSIS-NN checkout named by $CMSIS_NN)."""
    try:
        from tinyir.backends.cmsis_nn_host.sources import sources
    except ImportError:
        raise TinyIRError("C backend: no CMSIS-NN to build against (backends/cmsis_nn_host is missing)") from None
    try:
        src = sources()
    except ValueError as e:
        raise TinyIRError(str(e)) from None
    return list(src.cflags()), [Path(p) for p in src.c_files]


def _run(cmd: list[str], what: str) -> None:
    import subprocess

    try:
        done = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise TinyIRError(f"{what}: cannot run {cmd[0]}: {e.strerror}") from None
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if "error" in line), done.stderr.strip()[:300])
        raise TinyIRError(f"{what} failed: {first}")


def cache_dir() -> Path:
    """$TINYIR_CACHE, default <tmp>/tinyir-cache: the compiled CMSIS-NN libraries (and QEMU plugin)."""
    import os
    import tempfile

    return Path(os.environ.get("TINYIR_CACHE", Path(tempfile.gettempdir()) / "tinyir-cache"))


def cached_library(prefix: str, key: Sequence[str], inputs: Sequence[Path], build, suffix: str = ".a") -> Path:
    """A library made once per content (static, or shared with `suffix` ".so"):
    `key` (compiler and flags) and the bytes of `inputs` (sources, headers)
    name it in $TINYIR_CACHE; `build(folder)` compiles and archives it in a
    temporary folder there and returns the file, which then takes its name
    atomically (a concurrent build finds a whole library or none). Used by the
    host and Cortex-M builds and for the QEMU plugin."""
    import hashlib
    import os
    import tempfile

    digest = hashlib.sha256("\0".join(key).encode())
    for path in inputs:
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    cache = cache_dir()
    lib = cache / f"{prefix}-{digest.hexdigest()[:16]}{suffix}"
    if not lib.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            os.replace(build(Path(tmp)), lib)
    return lib


def cmsis_nn_library(cc: str = "gcc") -> tuple[list[str], Path]:
    """(compiler flags, static library) of CMSIS-NN, built once per content."""
    flags, sources = cmsis_nn_sources()
    includes = [Path(f[2:]) for f in flags if f.startswith("-I")]

    def build(folder: Path) -> Path:
        objects = []
        for i, src in enumerate(sources):
            obj = folder / f"{i}_{src.stem}.o"
            # CMSIS-NN itself is compiled without -Werror: the warnings policy is for the emitted C.
            _run([cc, "-std=c99", "-O2", *flags, "-c", str(src), "-o", str(obj)], f"compiling {src.name}")
            objects.append(str(obj))
        _run(["ar", "rcs", str(folder / "lib.a"), *objects], "ar")
        return folder / "lib.a"

    headers = sorted(p for d in includes for p in d.glob("*.h"))
    return flags, cached_library("cmsis-nn", [cc, *flags], [*sources, *headers], build)


def runtime_library(flags: Sequence[str], cc: str = "gcc") -> Path:
    """tinyir's portable kernels (backends/runtime) as a static library,
    compiled with CFLAGS and `flags` (CMSIS-NN's includes) once per content:
    every host build of a model links the same kernels."""
    sources = [RUNTIME_DIR / f for f in RUNTIME_SOURCES]

    def build(folder: Path) -> Path:
        objects = []
        for src in (s for s in sources if s.suffix == ".c"):
            obj = folder / f"{src.stem}.o"
            _run([cc, *CFLAGS, *flags, "-c", str(src), "-o", str(obj)], f"compiling {src.name}")
            objects.append(str(obj))
        _run(["ar", "rcs", str(folder / "lib.a"), *objects], "ar")
        return folder / "lib.a"

    return cached_library("tinyir-runtime", [cc, *CFLAGS, *flags], sources, build)


def _io_types(module: ModuleOp) -> tuple[list[tiny.BufferType], list[tiny.BufferType]]:
    """The buffer types of the model's inputs and outputs."""
    function = main_function(module)
    return [tiny.buffer_type(a) for a in function.body.block.args], [tiny.buffer_type(v) for v in outputs(function)]


def _main_c(emitter_name: str, module: ModuleOp, external_arena: bool) -> str:
    """A host main: reads the inputs' bytes from argv[1], writes the outputs' bytes to argv[2];
    with argv[3] = N, invokes N times more and prints `<nanoseconds> ns per invoke` (CPU time)."""
    ins, outs = _io_types(module)
    upper = emitter_name.upper()
    lines = [
        "#include <stdio.h>",
        "#include <stdlib.h>",
        "#include <time.h>",
        "",
        f'#include "{emitter_name}.h"',
        "",
    ]
    for i, t in enumerate(ins):
        lines.append(f"static {c_type(t)} in{i}[{t.num_elements}];")
    for i, t in enumerate(outs):
        lines.append(f"static {c_type(t)} out{i}[{t.num_elements}];")
    if external_arena:
        lines.append(
            f"static uint8_t arena[TINYIR_{upper}_ARENA_SIZE > 0 ? TINYIR_{upper}_ARENA_SIZE : 1] "
            f"__attribute__((aligned(TINYIR_{upper}_ARENA_ALIGNMENT)));"
        )
    args = (
        (["arena"] if external_arena else [])
        + [f"in{i}" for i in range(len(ins))]
        + [f"out{i}" for i in range(len(outs))]
    )
    lines += [
        "",
        "int main(int argc, char **argv)",
        "{",
        "    if (argc != 3 && argc != 4) {",
        '        fprintf(stderr, "usage: %s INPUT.bin OUTPUT.bin [REPEAT]\\n", argv[0]);',
        "        return 2;",
        "    }",
        '    FILE *f = fopen(argv[1], "rb");',
        "    if (f == NULL) {",
        '        perror("input");',
        "        return 2;",
        "    }",
    ]
    for i in range(len(ins)):
        lines += [
            f"    if (fread(in{i}, 1, sizeof in{i}, f) != sizeof in{i}) {{",
            f'        fprintf(stderr, "input {i}: short read\\n");',
            "        return 2;",
            "    }",
        ]
    lines += [
        "    fclose(f);",
        f"    const int status = tinyir_{emitter_name}_invoke({', '.join(args)});",
        "    if (status != 0) {",
        '        fprintf(stderr, "invoke failed at op %d\\n", status);',
        "        return 3;",
        "    }",
        '    f = fopen(argv[2], "wb");',
        "    if (f == NULL) {",
        '        perror("output");',
        "        return 2;",
        "    }",
    ]
    for i in range(len(outs)):
        lines.append(f"    fwrite(out{i}, 1, sizeof out{i}, f);")
    invoke = f"tinyir_{emitter_name}_invoke({', '.join(args)})"
    lines += [
        "    if (fclose(f) != 0) {",
        "        return 1;",
        "    }",
        "    if (argc == 4) {",
        "        const long repeat = strtol(argv[3], NULL, 10);",
        "        int failed = 0;",
        "        const clock_t start = clock();",
        "        for (long i = 0; i < repeat; i++) {",
        f"            failed |= {invoke};",
        "        }",
        "        const double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;",
        "        if (failed != 0 || repeat < 1) {",
        "            return 3;",
        "        }",
        '        printf("%.0f ns per invoke\\n", seconds * 1e9 / (double)repeat);',
        "    }",
        "    return 0;",
        "}",
        "",
    ]
    return "\n".join(lines)


def build_host(
    module: ModuleOp,
    directory: str | Path,
    name: str = "model",
    *,
    external_arena: bool = False,
    cc: str = "gcc",
    extra_cflags: Sequence[str] = (),
) -> Path:
    """Emit the C for `module` into `directory`, with a host main, and compile
    it (gcc -O2 -Wall -Wextra -Werror, then `extra_cflags`, e.g. sanitizers)
    against CMSIS-NN; returns the executable."""
    directory = Path(directory)
    write_c(module, directory, name, external_arena=external_arena)
    ident = c_identifier(name)
    (directory / "main.c").write_text(_main_c(ident, module, external_arena))
    flags, lib = cmsis_nn_library(cc)
    exe = directory / ident
    sources = [directory / f"{ident}.c", directory / "main.c"]
    if extra_cflags:  # the kernels too, e.g. under the sanitizers
        sources += [directory / f for f in RUNTIME_SOURCES if f.endswith(".c")]
        libs = [lib]
    else:
        libs = [runtime_library(flags, cc), lib]
    _run(
        [cc, *CFLAGS, *extra_cflags, f"-I{directory}", *flags, *map(str, sources), *map(str, libs), "-lm", "-o", str(exe)],
        "compiling the emitted C",
    )
    return exe


def _input_bytes(module: ModuleOp, inputs: Sequence[np.ndarray]) -> bytes:
    """The inputs as the host main reads them."""
    arg_types, _ = _io_types(module)
    if len(inputs) != len(arg_types):
        raise TinyIRError(f"the model takes {len(arg_types)} inputs, got {len(inputs)}")
    data = b""
    for i, (x, t) in enumerate(zip(inputs, arg_types)):
        x = np.asarray(x)
        if x.shape != t.shape or x.dtype != t.dtype:
            raise TinyIRError(f"input {i} must be {list(t.shape)} {t.dtype}, got {list(x.shape)} {x.dtype}")
        data += np.ascontiguousarray(x).astype(x.dtype.newbyteorder("<")).tobytes()
    return data


def _run_main(executable: str | Path, module: ModuleOp, inputs: Sequence[np.ndarray], *extra: str):
    """Run the host main on `inputs`: (its stdout, the outputs' bytes)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        in_path, out_path = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        in_path.write_bytes(_input_bytes(module, inputs))
        done = subprocess.run([str(executable), str(in_path), str(out_path), *extra], capture_output=True, text=True)
        if done.returncode != 0:
            raise TinyIRError(f"the compiled model failed (status {done.returncode}): {done.stderr.strip()}")
        return done.stdout, out_path.read_bytes()


def run_host(executable: str | Path, module: ModuleOp, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run a `build_host` executable on numpy inputs; returns its outputs."""
    _, raw = _run_main(executable, module, inputs)
    _, out_types = _io_types(module)
    outputs, pos = [], 0
    for t in out_types:
        n = t.nbytes
        outputs.append(
            np.frombuffer(raw[pos : pos + n], dtype=t.dtype.newbyteorder("<")).astype(t.dtype).reshape(t.shape)
        )
        pos += n
    return outputs


def time_host(
    executable: str | Path, module: ModuleOp, inputs: Sequence[np.ndarray], *, seconds: float = 0.5
) -> float:
    """Seconds of CPU time per invocation of a `build_host` executable on
    `inputs`, over as many invocations as take `seconds` or more."""
    repeat = 1
    while True:
        stdout, _ = _run_main(executable, module, inputs, str(repeat))
        per_invoke = float(stdout.split()[0]) * 1e-9
        if per_invoke * repeat >= seconds or repeat >= 1 << 24:
            return per_invoke
        repeat = max(2 * repeat, int(1.2 * seconds / max(per_invoke, 1e-9)))


def execute_c(module: ModuleOp, inputs: Sequence[np.ndarray], name: str = "model") -> list[np.ndarray]:
    """Emit, compile and run an allocated module on the host: its outputs."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tinyir-c-") as tmp:
        exe = build_host(module, tmp, name)
        return run_host(exe, module, inputs)
