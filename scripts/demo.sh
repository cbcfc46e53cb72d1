#!/usr/bin/env bash
# The main job on the project's own example model, set-up included:
# generate the model, import it to tiny IR, run it, fit it into one SRAM arena
# (fuse, partial execution, reorder, allocation) and emit C for Cortex-M.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p out

python -m tinyir.example_model out/example.tflite
tinyir-opt out/example.tflite -o out/example.mlir
echo "== tiny IR of the example model (weights elided): out/example.mlir"
grep -v "tiny.const" out/example.mlir | cut -c1-160
echo "== the IR parses back to the same text"
tinyir-opt out/example.mlir | cmp - out/example.mlir && echo "round trip: identical"
echo "== run on the reference executor (seeded random input)"
tinyir-run out/example.tflite
echo "== fit it into SRAM: fuse, partial execution, reorder, one arena (out/example.opt.mlir)"
tinyir-opt out/example.tflite --fuse --partial-exec --reorder --arena-alloc \
    --report - --report-plot out/example.memory.png --report-plot-baseline -o out/example.opt.mlir > out/example.memory.txt
head -8 out/example.memory.txt
echo "(the whole report: out/example.memory.txt; the timeline: out/example.memory.png)"
echo "== the same output after the passes (same checksum as above)"
tinyir-run out/example.opt.mlir
echo "== C for Cortex-M, CMSIS-NN calls and one static arena: out/c/"
tinyir-opt out/example.opt.mlir -t 'c{model=example}' -o out/c
ls out/c
