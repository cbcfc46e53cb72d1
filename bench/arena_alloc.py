"""The arena allocator on the shared models: arena vs the lower bound, per CPU family.

    python bench/arena_alloc.py [--models DIR] [--cpu CPU ...] [MODEL_NAME ...]

For each model and target CPU (default: cortex-m0plus, cortex-m4, cortex-m55,
one per CMSIS-NN build), after `--mcpu CPU --arena-alloc`:

- peak: tinyir.analysis.liveness's peak of the imported model (no scratch, no alignment);
- scratch: the CMSIS-NN scratch bytes of the largest buffer the pass made, and
  how many ops ran in place;
- bound: the most bytes live at one step of the allocated IR, scratch
  included, each buffer rounded up to the alignment (`tiny.arena_lower_bound`);
- arena: `tiny.arena_size`, and its gap over the bound (the target: < 1 %);
- tflm-greedy: TFLite Micro's GreedyMemoryPlanner order (decreasing size,
  lowest gap) on the same buffers, for comparison;
- ms: time of the pass.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import tinyir
from tinyir.analysis import arena
from tinyir.analysis.liveness import analyze
from tinyir.dialects import tiny
from tinyir.passes.arena_alloc.allocator import tflm_greedy

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
DEFAULT_CPUS = ("cortex-m0plus", "cortex-m4", "cortex-m55")


def row(path: Path, cpu: str) -> list[str]:
    peak = analyze(tinyir.import_model(path)).peak
    module = tinyir.import_model(path, mcpu=cpu)
    start = time.perf_counter()
    tinyir.run_pipeline(module, "arena-alloc")
    ms = (time.perf_counter() - start) * 1000
    liveness = analyze(module)
    scratch = [b.nbytes for b in liveness.buffers if (b.value.name_hint or "").endswith(".scratch")]
    inplace = sum(
        1 for op in liveness.steps if isinstance(op.out.owner, tiny.ViewOp) and op.out.owner.source in op.ins
    )
    size = arena.arena_size(module)
    bound = module.attributes[arena.LOWER_BOUND].value.data
    greedy = tflm_greedy([b.interval for b in liveness.buffers], arena.alignment(module))
    return [
        path.stem[:38], cpu, str(peak), str(max(scratch, default=0)), str(inplace), str(bound), str(size),
        f"{100 * (size / bound - 1):.2f}%", str(greedy), f"{100 * (greedy / bound - 1):.2f}%", f"{ms:.0f}",
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    p.add_argument("--cpu", action="append", help="target CPU (repeatable)")
    p.add_argument("names", nargs="*", help="model file names (default: all)")
    args = p.parse_args()
    paths = [args.models / n for n in args.names] or sorted(args.models.glob("*.tflite"))
    header = ["model", "cpu", "peak", "scratch", "inplace", "bound", "arena", "gap", "tflm-greedy", "gap", "ms"]
    rows = [row(path, cpu) for path in paths for cpu in (args.cpu or DEFAULT_CPUS)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))


if __name__ == "__main__":
    main()
