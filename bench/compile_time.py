"""Compile time of the default pipeline, per pass, beside TFLite Micro's model load.

    python bench/compile_time.py [--models DIR] [--repeat N] [--depths 25,50,...] [MODEL_NAME ...]

For each shared model, in process on this machine: the seconds of import and
of each pass of the default pipeline (`fuse,partial-exec,reorder,arena-alloc`,
best of N runs each), their sum ("pipeline": the passes, what a pruning or
NAS loop pays per candidate on an imported model), and beside it TensorFlow
Lite Micro's model load (interpreter + greedy arena planning, best of N) with
the ratio pipeline / load. Issue #12's target: pipeline < 1 s on every model.

Then the same passes on generated chains of inverted-residual blocks
(tinyir.testing.models.block_chain: 8 ops per block) at each depth, once
each, to show how they scale: the target is 800 blocks in under 30 s.

And on chains of many small ops (tinyir.testing.models.op_chain: 10,000
ADDs, 1,000 1x1 convolutions), where issue #15 found passes quadratic
(--arena-alloc took more than 600 s on the ADDs): the target is seconds.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import tinyir
from tinyir.report.resources import DEFAULT_PIPELINE
from tinyir.testing.models import block_chain, op_chain

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
PASSES = tuple(DEFAULT_PIPELINE.split(","))


def pass_times(source, repeat: int) -> list[float]:
    """Best seconds of import, then of each pass on the previous one's output."""
    best = [math.inf] * (1 + len(PASSES))
    for _ in range(repeat):
        start = time.perf_counter()
        module = tinyir.import_model(source)
        times = [time.perf_counter() - start]
        for name in PASSES:
            start = time.perf_counter()
            module = tinyir.run_pipeline(module, name)
            times.append(time.perf_counter() - start)
        best = [min(a, b) for a, b in zip(best, times)]
    return best


def tflm_load(data: bytes, repeat: int) -> float:
    from tflite_micro.python.tflite_micro import runtime

    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        runtime.Interpreter.from_bytes(data)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--repeat", type=int, default=3, help="runs per model (the best counts)")
    parser.add_argument("--depths", default="25,50,100,200,400,800", help="chain depths in blocks ('' for none)")
    parser.add_argument("--chains", default="add:10000,conv1x1:1000", help="op:count chains of small ops ('' for none)")
    parser.add_argument("names", nargs="*", help="model file names or stems (default: all .tflite)")
    args = parser.parse_args(argv)
    paths = sorted(args.models.glob("*.tflite"))
    if args.names:
        paths = [p for p in paths if p.name in args.names or p.stem in args.names]
    header = "| model | import s | " + " | ".join(f"{p} s" for p in PASSES)
    if paths:
        print(f"{header} | pipeline s | TFLM load s | pipeline / load |")
        print("|---|" + "--:|" * (len(PASSES) + 4))
        worst = 0.0
        for path in paths:
            times = pass_times(path, args.repeat)
            pipeline = sum(times[1:])
            load = tflm_load(path.read_bytes(), args.repeat)
            worst = max(worst, pipeline)
            cells = " | ".join(f"{t:.2f}" for t in times)
            print(f"| {path.stem} | {cells} | {pipeline:.2f} | {load:.3f} | {pipeline / load:.0f} |", flush=True)
        print(f"\nslowest pipeline {worst:.2f} s (target < 1 s)\n")
    depths = [int(d) for d in args.depths.split(",") if d]
    if depths:
        print(f"| blocks | ops | {header[len('| model | '):]} | pipeline s | s per block |")
        print("|--:|--:|" + "--:|" * (len(PASSES) + 3))
        for blocks in depths:
            data = block_chain(blocks)
            times = pass_times(data, 1)
            pipeline = sum(times[1:])
            cells = " | ".join(f"{t:.2f}" for t in times)
            print(f"| {blocks} | {8 * blocks} | {cells} | {pipeline:.2f} | {pipeline / blocks:.3f} |", flush=True)
    chains = [c.split(":") for c in args.chains.split(",") if c]
    if chains:
        print(f"\n| chain | ops | {header[len('| model | '):]} | pipeline s |")
        print("|---|--:|" + "--:|" * (len(PASSES) + 2))
        for op, count in chains:
            times = pass_times(op_chain(op, int(count)), 1)
            cells = " | ".join(f"{t:.2f}" for t in times)
            print(f"| {op} | {count} | {cells} | {sum(times[1:]):.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
