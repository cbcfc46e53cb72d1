"""The C backend: allocated tiny IR -> C that calls CMSIS-NN (issue #4).

    tinyir-opt model.tflite --fuse --arena-alloc -t c -o out/          # out/<name>.h, out/<name>.c
    tinyir-opt model.mlir -t 'c{model=kws arena=external}'              # both files on stdout

`emit_c(module, name)` returns {file name: text} for `<name>.h` and `<name>.c`:

- weights and biases become `static const` arrays (flash), aligned to the
  module's `tiny.alignment`; so do the requantization parameters, which come
  from `tinyir.numerics.quantization` (per-channel multipliers and shifts, ADD/MUL
  parameters, softmax's) and never from arithmetic of our own;
- one static arena of exactly `tiny.arena_size` bytes (`arena=external`: the
  caller passes it as the first argument of the entry point instead);
- `int tinyir_<name>_invoke(const int8_t *input, int8_t *output)` (one pointer
  per model input and output, `float` for float edges) copies the inputs to
  their arena slots, runs the ops in schedule order and copies the outputs
  out. It returns 0, or the number (from 1) of the op whose kernel refused
  its arguments.

Every SRAM buffer is a pointer into the arena at its offset (a view: at its
source's offset); a compute op's `scratch` operand becomes the
`cmsis_nn_context` of its CMSIS-NN call. CMSIS-NN runs conv, depthwise conv,
fully connected (per-channel variant for per-channel weights), pools,
softmax, same-shape add/mul, unclamped minimum/maximum, transpose and
concatenation; tinyir's portable kernels (`backends/runtime/tinyir_kernels.c`)
run the rest (see its header).
The emitter refuses IR without an arena (`--arena-alloc` first).

The modules: target.py (`emit_c`, `write_c`, `CTarget`, the op table),
emitter.py (the walk, the files, what op emitters share), text.py (C text),
conv.py, elementwise.py, pool.py, layout.py, resize.py (the op emitters),
floating.py (the emitters of f32 ops, merged into the table), tiles.py
(partial execution's own kernels), rows.py (row loops: each op's band of rows
at tile t, as C), host.py (compiling and running the C on the host:
`tinyir-run --backend c`).
"""

from .host import CFLAGS, build_host, cmsis_nn_library, cmsis_nn_sources, execute_c, run_host, time_host
from .target import RUNTIME_DIR, RUNTIME_SOURCES, CTarget, emit_c, write_c
from .text import c_identifier

__all__ = [
    "CFLAGS",
    "RUNTIME_DIR",
    "RUNTIME_SOURCES",
    "CTarget",
    "build_host",
    "c_identifier",
    "cmsis_nn_library",
    "cmsis_nn_sources",
    "emit_c",
    "execute_c",
    "run_host",
    "time_host",
    "write_c",
]
