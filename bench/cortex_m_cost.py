"""Instructions on Cortex-M, counted in QEMU: each shared model split against unsplit.

    python bench/cortex_m_cost.py [--cpu CPU] [--models DIR] [--split PIPELINE] [--jobs N] [--per-op] [--pareto DIR] [MODEL_NAME ...]
    CMSIS_NN=/path/to/CMSIS-NN python bench/cortex_m_cost.py     # the figures that count

Each model is planned twice for the CPU (`--cpu`, default cortex-m4; the
boards of backends/cortex_m/build.BOARDS: cortex-m3 on mps2-an385, CMSIS-NN's
pure C build; cortex-m4 on mps2-an386 and cortex-m7 on mps2-an500, its DSP
build; cortex-m55 on mps3-an547, its MVE build): unsplit (`--fuse --arena-alloc`)
and split (default `--fuse --partial-exec --reorder --arena-alloc`, the
default pipeline), emitted as C, built by `build_model` against CMSIS-NN
(upstream when $CMSIS_NN names a checkout, else tinyir's portable host
runtime, whose costs are not CMSIS-NN's) and run in QEMU on the CPU's board. The
count is every instruction executed from the entry of `tinyir_<model>_invoke`
to its return (backends/cortex_m/count.py), on the seed-0 random input; both
builds' outputs must equal the reference executor's, bit for bit, or the row
says so. Instructions are not cycles: QEMU models no pipeline, wait states or
caches. The last two columns are tinyir.analysis.cost's predictions over the
counts. `--per-op` also builds with TINYIR_PROFILE and prints, per model, the
instructions of each op (all its tiles' calls) unsplit and split.
`--pareto DIR` also counts the least-peak plan (`partial-exec{max-slowdown=0}`)
and draws, per model, DIR/<model>.pareto.png: partial-exec's predicted
front (tinyir-opt --report-pareto) with the three counted points on it
(peak bytes: the allocated module's lower bound, the front's axis).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

import tinyir
from tinyir.analysis.arena import arena_size, lower_bound
from tinyir.analysis.cost import module_cost
from tinyir.analysis.target import family_of
from tinyir.backends.cmsis_nn_host.sources import sources
from tinyir.backends.cortex_m import build as cortex_m
from tinyir.backends.cortex_m.count import count_invoke, per_op
from tinyir.passes.partial_exec import PartialExecPass
from tinyir.report.plot import plot_pareto

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
UNSPLIT = "fuse,arena-alloc"
SPLIT = "fuse,partial-exec,reorder,arena-alloc"
LEAST_PEAK = "fuse,partial-exec{max-slowdown=0},reorder,arena-alloc"


def measure(path: Path, pipeline: str, work: Path, profile: bool, cpu: str) -> dict:
    module = tinyir.run_pipeline(tinyir.import_model(path, mcpu=cpu), pipeline)
    xs = tinyir.random_inputs(module, seed=0)
    x = b"".join(np.ascontiguousarray(a).tobytes() for a in xs)
    expected = b"".join(np.ascontiguousarray(y).tobytes() for y in tinyir.execute(module, xs))
    counted = count_invoke(cortex_m.build_model(module, work, path.stem), x)
    exact = counted.run.returncode == 0 and counted.run.outputs.get("out.bin") == expected
    ops = per_op(module, count_invoke(cortex_m.build_model(module, work, path.stem, profile=True), x)) if profile else []
    return {"arena": arena_size(module), "bound": lower_bound(module), "instructions": counted.instructions,
            "exact": exact, "ops": ops, "predicted": module_cost(module, family_of(cpu))}  # fmt: skip


def measure_model(job: tuple[Path, str, bool, Path | None, str]) -> tuple[str, dict, dict]:
    path, split, profile, pareto, cpu = job
    with tempfile.TemporaryDirectory(prefix="tinyir-bench-") as tmp:
        unsplit = measure(path, UNSPLIT, Path(tmp) / "unsplit", profile, cpu)
        chosen = measure(path, split, Path(tmp) / "split", profile, cpu)
        if pareto is not None:
            least = measure(path, LEAST_PEAK, Path(tmp) / "least", False, cpu)
            draw_pareto(path, {"unsplit": unsplit, "default": chosen, "least peak": least}, pareto, cpu)
            chosen["exact"] &= least["exact"]
        return path.stem, unsplit, chosen


def draw_pareto(path: Path, counted: dict[str, dict], folder: Path, cpu: str) -> None:
    """partial-exec's predicted front for the CPU with the counted plans on it."""
    module = tinyir.run_pipeline(tinyir.import_model(path, mcpu=cpu), "fuse")
    front, unsplit = PartialExecPass().front(module)
    default = counted["default"]
    measured = [(r["bound"], r["instructions"], f"{label} (counted)") for label, r in counted.items()]
    plot_pareto(front, unsplit, (default["bound"], default["predicted"]), folder / f"{path.stem}.pareto.png",
                title=f"{path.stem}, {cpu}", measured=measured)  # fmt: skip


def per_op_table(name: str, unsplit: dict, split: dict) -> str:
    """Each op's instructions (all its calls), unsplit beside split, in run order."""
    rows = [f"\n{name}: instructions per op (calls: its tiles), unsplit | split\n"]
    for i in range(max(len(unsplit["ops"]), len(split["ops"]))):
        cells = []
        for ops in (unsplit["ops"], split["ops"]):
            o = ops[i] if i < len(ops) else None
            cells.append(f"{o.step:3d} {o.op:26s} {o.calls:4d} {o.instructions:>13,}" if o else " " * 50)
        rows.append("    " + "  |  ".join(cells))
    return "\n".join(rows)


def error(r: dict) -> str:
    return f"{r['predicted'] / r['instructions']:.3f}"


def geomean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="model file names (default: every shared .tflite model)")
    p.add_argument("--cpu", default=cortex_m.RUN_CPU, choices=list(cortex_m.BOARDS), help="default cortex-m4")
    p.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    p.add_argument("--split", default=SPLIT, help=f"the pipeline to compare with {UNSPLIT} (default {SPLIT})")
    p.add_argument("--jobs", type=int, default=2, help="models measured at once (default 2)")
    p.add_argument("--per-op", action="store_true", help="also count each op (profile builds) and print them")
    p.add_argument("--pareto", type=Path, help="also count the least-peak plan and draw DIR/<model>.pareto.png")
    args = p.parse_args()
    if args.pareto is not None:
        args.pareto.mkdir(parents=True, exist_ok=True)
    paths = [args.models / n for n in args.names] or sorted(args.models.glob("*.tflite"))
    if not paths:
        raise SystemExit(f"no models in {args.models}")
    if cortex_m.missing_tools():
        raise SystemExit(f"not on PATH: {', '.join(cortex_m.missing_tools())}")
    kernels = sources()
    cortex_m.cmsis_nn_library(args.cpu, kernels)  # built once, before the jobs share it

    board = cortex_m.BOARDS[args.cpu]
    print(f"Instructions of invoke on {args.cpu} (QEMU {board.machine}), CMSIS-NN: {kernels.kind}.")
    print(f"unsplit: {UNSPLIT}; split: {args.split}. Arena in bytes.\n")
    print("| model | unsplit arena | split arena | unsplit instructions | split instructions | split / unsplit "
          "| predicted / counted, unsplit | split |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    ratios, inexact, tables, errors = {}, [], [], []
    with ProcessPoolExecutor(args.jobs) as pool:
        for name, unsplit, split in pool.map(measure_model, [(path, args.split, args.per_op, args.pareto, args.cpu) for path in paths]):
            ratios[name] = split["instructions"] / unsplit["instructions"]
            errors += [abs(r["predicted"] / r["instructions"] - 1) for r in (unsplit, split)]
            inexact += [name] if not (unsplit["exact"] and split["exact"]) else []
            print(
                f"| {name} | {unsplit['arena']} | {split['arena']} | {unsplit['instructions']:,} "
                f"| {split['instructions']:,} | {ratios[name]:.3f} | {error(unsplit)} | {error(split)} |",
                flush=True,
            )
            tables += [per_op_table(name, unsplit, split)] if args.per_op else []
    worst = max(ratios, key=ratios.get)
    print(f"\nsplit / unsplit: geometric mean {geomean(list(ratios.values())):.3f} over {len(ratios)} models, "
          f"worst {ratios[worst]:.3f} ({worst}); {sum(r > 1.05 for r in ratios.values())} above 1.05.")  # fmt: skip
    print(f"cost model (tinyir.analysis.cost, {family_of(args.cpu).name}): predicted / counted within {max(errors):.1%} on every build, "
          f"mean {sum(errors) / len(errors):.1%}.")  # fmt: skip
    print("outputs bit-exact with the reference executor: " + (f"NOT for {', '.join(inexact)}" if inexact else "all"))
    print("".join(tables))
    return 1 if inexact else 0


if __name__ == "__main__":
    sys.exit(main())
