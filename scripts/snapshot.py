"""A fingerprint of what tinyir prints: the IR and the C of every model under every pipeline.

    python scripts/snapshot.py [--models DIR] [--jobs N] > before.tsv
    ... change the code ...
    python scripts/snapshot.py > after.tsv && diff before.tsv after.tsv

One line per model (.tflite and onnx/*.onnx) and pipeline: the sha256 of the printed IR after the
pipeline and of the emitted C (`<model>.h` and `<model>.c`), or the one-line
error. A refactoring that should change no behaviour must leave the file
byte-identical. The pipelines are those of docs/BENCHMARKS.md (bench/memory.py
and bench/arena_alloc.py's CPUs).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
PIPELINES = (
    "arena-alloc",
    "fuse,arena-alloc",
    "fuse,reorder,arena-alloc",
    "fuse,reorder,arena-alloc{inplace-depthwise=true}",
    "fuse,partial-exec,reorder,arena-alloc",
    "fuse,partial-exec{max-slowdown=0},reorder,arena-alloc",
    "arena-alloc{target-cpu=cortex-m0plus}",
    "arena-alloc{target-cpu=cortex-m55}",
    "fuse,partial-exec{target-cpu=cortex-m55},reorder,arena-alloc{target-cpu=cortex-m55}",
)


def fingerprint(job: tuple[Path, str, str | None]) -> str:
    import tinyir
    from tinyir.api import emit_c

    path, pipeline, mcpu = job
    digest = lambda text: hashlib.sha256(text.encode()).hexdigest()[:16]  # noqa: E731
    try:
        # mcpu only when asked, so the same script fingerprints trees from before --mcpu
        module = tinyir.import_model(path, **({"mcpu": mcpu} if mcpu else {}))
        module = tinyir.run_pipeline(module, pipeline)
        ir = digest(tinyir.print_ir(module))
        c = digest("".join(emit_c(module, path.stem).values()))
        return f"{path.stem}\t{pipeline}\t{ir}\t{c}"
    except tinyir.TinyIRError as e:
        return f"{path.stem}\t{pipeline}\terror: {e}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--pipeline", action="append", help="only these pipelines (repeatable)")
    p.add_argument("--mcpu", help="compile for this CPU (tinyir-opt's --mcpu)")
    args = p.parse_args()
    models = sorted(args.models.glob("*.tflite")) + sorted(args.models.glob("onnx/*.onnx"))
    jobs = [(m, pl, args.mcpu) for m in models for pl in args.pipeline or PIPELINES]
    with ProcessPoolExecutor(args.jobs) as pool:
        for line in pool.map(fingerprint, jobs):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
