"""Fit tinyir.analysis.cost's coefficients to instructions counted in QEMU.

    CMSIS_NN=/path/to/CMSIS-NN python scripts/calibrate_cost.py [--cpu CPU] [--models DIR] [--jobs N]
    python scripts/calibrate_cost.py [--cpu CPU] --fit-only      # refit from the kept measurements

One CPU per CMSIS-NN build (`--cpu`): cortex-m4 for the DSP family (the
default), cortex-m3 for pure C, cortex-m55 for MVE. Every shared model, under
each pipeline of PIPELINES (unsplit, and split by channels and rows in
several ways, so that kernels are seen on tiles and bands as well as whole),
is built for the CPU with TINYIR_PROFILE against upstream CMSIS-NN and run in
QEMU on its board; backends/cortex_m/count.py counts each op's instructions.
Each op gives one row: its kernel, its features (`op_features`) and its
count, kept in tinyir/analysis/cost_<family>.tsv. Then, per kernel,
non-negative least squares (weighted by 1 / sqrt(count), so that small ops
weigh too) gives the coefficients in tinyir/analysis/cost_<family>.json.
It prints each kernel's fit: rows, and the worst and mean relative error.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
DATA = Path(__file__).resolve().parents[1] / "tinyir" / "analysis"
PIPELINES = (
    "fuse,arena-alloc",
    "fuse,partial-exec,reorder,arena-alloc",
    "fuse,partial-exec{rows=false},reorder,arena-alloc",
    "fuse,partial-exec{max-chunks=4},reorder,arena-alloc",
    "fuse,partial-exec{max-chunks=8 rows=false},reorder,arena-alloc",
)


def measure(job: tuple[Path, str, str]) -> list[dict]:
    import tinyir
    from tinyir.analysis.cost import FEATURES, kernel_of, op_features
    from tinyir.analysis.liveness import main_function
    from tinyir.analysis.target import family_of
    from tinyir.backends.c.emitter import run_order
    from tinyir.backends.cortex_m import build as cortex_m
    from tinyir.backends.cortex_m.count import count_invoke, per_op

    path, pipeline, cpu = job
    module = tinyir.run_pipeline(tinyir.import_model(path, mcpu=cpu), pipeline)
    x = b"".join(np.ascontiguousarray(a).tobytes() for a in tinyir.random_inputs(module, seed=0))
    with tempfile.TemporaryDirectory(prefix="tinyir-calibrate-") as tmp:
        counted = count_invoke(cortex_m.build_model(module, tmp, path.stem, profile=True), x)
    if counted.run.returncode != 0:  # a fault or a stack overflow: counts of a run that went wrong
        raise RuntimeError(f"{path.stem} ({pipeline}) on {cpu}: {counted.run.stderr.decode().strip()}")
    ops = dict(run_order(main_function(module)))
    rows = []
    for c in per_op(module, counted)[1:]:
        op = ops[c.step]
        rows.append({"model": path.stem, "pipeline": pipeline, "step": c.step, "kernel": kernel_of(op, family_of(cpu)),
                     **op_features(op), "instructions": c.instructions})  # fmt: skip
        assert set(FEATURES) <= rows[-1].keys()
    return rows


def nnls(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Least squares with non-negative coefficients (active set: drop the most
    negative, refit); a few features, so this is quick."""
    active = [j for j in range(a.shape[1]) if a[:, j].any()]
    while True:
        x = np.zeros(a.shape[1])
        if not active:
            return x
        x[active] = np.linalg.lstsq(a[:, active], b, rcond=None)[0]
        if x.min() >= 0:
            return x
        active.remove(int(np.argmin(x)))


def fit(rows: list[dict]) -> dict[str, dict[str, float]]:
    from tinyir.analysis.cost import FEATURES

    kernels = {}
    for kernel in sorted({r["kernel"] for r in rows}):
        mine = [r for r in rows if r["kernel"] == kernel]
        a = np.array([[float(r[f]) for f in FEATURES] for r in mine])
        b = np.array([float(r["instructions"]) for r in mine])
        w = 1 / np.sqrt(b)
        x = nnls(a * w[:, None], b * w)
        kernels[kernel] = {f: float(c) for f, c in zip(FEATURES, x) if c > 0}
        err = np.abs(a @ x - b) / b
        print(f"{kernel:34s} {len(mine):4d} rows, relative error mean {err.mean():.3f}, worst {err.max():.3f}")
    return kernels


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cpu", default="cortex-m4", choices=["cortex-m3", "cortex-m4", "cortex-m55"])
    p.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--fit-only", action="store_true", help="refit from the kept measurements (no QEMU)")
    args = p.parse_args()
    from tinyir.analysis.target import family_of
    from tinyir.backends.cortex_m.build import BOARDS

    family = family_of(args.cpu).value
    tsv = DATA / f"cost_{family}.tsv"
    if not args.fit_only:
        from tinyir.backends.cmsis_nn_host.sources import sources

        if not sources().is_real_cmsis_nn:
            raise SystemExit("set CMSIS_NN to an upstream CMSIS-NN checkout: the costs are upstream's")
        jobs = [(m, pl, args.cpu) for m in sorted(args.models.glob("*.tflite")) for pl in PIPELINES]
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = [r for found in pool.map(measure, jobs) for r in found]
        with open(tsv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    with open(tsv, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    kernels = fit(rows)
    measured = f"upstream CMSIS-NN, {args.cpu}, QEMU {BOARDS[args.cpu].machine} (scripts/calibrate_cost.py)"
    data = {"family": family, "measured": measured, "kernels": kernels}
    (DATA / f"cost_{family}.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
