"""Memory timeline of one model before and after partial execution (a plot).

    python bench/timeline.py [--models DIR] [--model NAME] [--out PNG]

Draws the live bytes of every step of NAME (default hanlab_mcunet-5fps_vww)
after `fuse,reorder,arena-alloc` (above) and after
`fuse,partial-exec,reorder,arena-alloc` (below), on one scale, with the arena
of each; the steps of a tile loop are those of one tile. Writes docs/img/ by
default, where docs/BENCHMARKS.md shows it, and prints both arenas.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import tinyir
from tinyir.report.memory import arena_size
from tinyir.report.plot import plot_memory

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODELS = ROOT.parent / "shared" / "models"
BEFORE = "fuse,reorder,arena-alloc"
AFTER = "fuse,partial-exec,reorder,arena-alloc"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    p.add_argument("--model", default="hanlab_mcunet-5fps_vww")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "partial-exec-timeline.png")
    args = p.parse_args()
    path = args.models / f"{args.model}.tflite"
    before = tinyir.run_pipeline(tinyir.import_model(path), BEFORE)
    after = tinyir.run_pipeline(tinyir.import_model(path), AFTER)
    report = tinyir.memory_report(after, baseline=before)
    report["source"] = str(path)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    plot_memory(report, args.out, baseline=True, labels=(BEFORE, AFTER))
    print(f"{args.model}: arena {arena_size(before)} B with {BEFORE}, {arena_size(after)} B with {AFTER}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
