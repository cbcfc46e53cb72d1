#!/usr/bin/env bash
# The main job on the project's own example model, set-up included:
# generate the model, import it to tiny IR, and run it bit-exact.
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
