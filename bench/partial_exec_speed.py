"""Host run time of the generated C with and without partial execution.

    python bench/partial_exec_speed.py [--models DIR] [--seconds S] [--rounds ROUNDS] [MODEL_NAME ...]

For each shared model, the C of two pipelines is built for the host
(`tinyir.backends.c.build_host`: gcc -O2 against the host CMSIS-NN runtime, or
the checkout named by $CMSIS_NN) and timed on one seeded random input
(`time_host`: CPU time per invocation, over as many invocations as take S
seconds; the two builds take turns, ROUNDS times, and each keeps its best:
other work on the machine slows both alike):

- unsplit: `fuse,reorder,arena-alloc`
- split:   `fuse,partial-exec,reorder,arena-alloc`

ratio = split / unsplit (issue 5's target: at most 1.10 on every model);
loops = the split pipeline's tile loops (a model without any runs the same C).
Both builds' outputs are checked equal first.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

import tinyir
from tinyir.backends.c import build_host, run_host, time_host
from tinyir.dialects import tiny

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
UNSPLIT = "fuse,reorder,arena-alloc"
SPLIT = "fuse,partial-exec,reorder,arena-alloc"


def measure(path: Path, seconds: float, rounds: int) -> tuple[float, float, int]:
    """(unsplit seconds, split seconds, tile loops) per invocation."""
    builds, outputs, loops = [], [], 0
    with tempfile.TemporaryDirectory(prefix="tinyir-bench-") as tmp:
        for i, pipeline in enumerate((UNSPLIT, SPLIT)):
            module = tinyir.run_pipeline(tinyir.import_model(path), pipeline)
            loops = sum(isinstance(op, tiny.TileLoopOp) for op in module.walk())
            inputs = tinyir.random_inputs(module, seed=0)
            exe = build_host(module, Path(tmp) / str(i), "model")
            outputs.append(run_host(exe, module, inputs))
            builds.append((exe, module, inputs))
        if not all(np.array_equal(a, b) for a, b in zip(*outputs)):
            raise SystemExit(f"{path.name}: the split and unsplit C disagree")
        times = [math.inf, math.inf]
        for _ in range(rounds):
            for i, (exe, module, inputs) in enumerate(builds):
                times[i] = min(times[i], time_host(exe, module, inputs, seconds=seconds))
    return times[0], times[1], loops


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--seconds", type=float, default=0.2, help="time each build this long per round")
    parser.add_argument("--rounds", type=int, default=5, help="turns of the two builds (the best counts)")
    parser.add_argument("names", nargs="*", help="model file names or stems (default: all)")
    args = parser.parse_args(argv)
    paths = sorted(args.models.glob("*.tflite"))
    if args.names:
        paths = [p for p in paths if p.name in args.names or p.stem in args.names]
    if not paths:
        print(f"no models in {args.models}", file=sys.stderr)
        return 1
    print("| model | loops | unsplit ms | split ms | ratio |")
    print("|---|--:|--:|--:|--:|")
    ratios = []
    for path in paths:
        unsplit, split, loops = measure(path, args.seconds, args.rounds)
        ratios.append(split / unsplit)
        cells = f"{loops} | {unsplit * 1e3:.3f} | {split * 1e3:.3f} | {split / unsplit:.3f}"
        print(f"| {path.stem} | {cells} |", flush=True)
    geomean = math.exp(sum(map(math.log, ratios)) / len(ratios))
    print(f"\ngeometric mean ratio {geomean:.3f}, worst {max(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
