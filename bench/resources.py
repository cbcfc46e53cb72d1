"""The resource model (tinyir.resources) on the shared models, and the
co-design gap: pruning aimed at the bottleneck against pruning uniformly.

    python bench/resources.py [--models DIR] [--repeat N] [--fraction 0.25]

First table, every shared model, in process on this machine: the seconds of
`tinyir.resources` (import, the default pipeline, the report; best of N)
beside TensorFlow Lite Micro's model load (interpreter + arena planning),
and its arena beside the one `tinyir-opt M --fuse --partial-exec --reorder
--arena-alloc` reports. Issue #16's target: <= 0.5 s, the same arena.

Second table, the five hanlab_* models: the top-3 layers holding the peak
(`tinyir.report.resources.bottleneck_layers`) each lose `--fraction` of their
output channels, the weakest by filter L1 norm; against that, the same number
of channels removed uniformly (the same fraction of every layer, the weakest
of each). Each pruned model is planned again by the default pipeline. Layers
tied to another already pruned (a residual stream) are skipped: their
channels go with it. No accuracy claims: the pruned models are not retrained.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from pathlib import Path

from compile_time import DEFAULT_MODELS, tflm_load

import tinyir
from tinyir.analysis.liveness import main_function
from tinyir.analysis.names import value_names
from tinyir.errors import TinyIRError
from tinyir.passes.prune_channels import LAYERS, Prune, prune_channels
from tinyir.report.resources import DEFAULT_PIPELINE, bottleneck_layers, split_pipeline, weakest_channels

HANLAB = "hanlab_"
BEFORE_PRUNING, AFTER_PRUNING = split_pipeline(DEFAULT_PIPELINE)


def cli_arena(path: Path) -> int:
    flags = [f"--{p}" for p in DEFAULT_PIPELINE.split(",")]
    result = subprocess.run(
        [sys.executable, "-m", "tinyir.tools.opt", str(path), *flags, "--report", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(next(x for x in result.stdout.splitlines() if x.strip().startswith("arena ")).split()[1])


def resources_table(paths: list[Path], repeat: int) -> None:
    print("| model | resources s | TFLM load s | resources / load | arena | CLI arena | same |")
    print("|---|--:|--:|--:|--:|--:|---|")
    worst, differ = 0.0, 0
    for path in paths:
        best = math.inf
        for _ in range(repeat):
            start = time.perf_counter()
            found = tinyir.resources(path)
            best = min(best, time.perf_counter() - start)
        load = tflm_load(path.read_bytes(), repeat)
        cli = cli_arena(path)
        worst, differ = max(worst, best), differ + (cli != found.arena_bytes)
        print(f"| {path.stem} | {best:.2f} | {load:.3f} | {best / load:.0f} | {found.arena_bytes} | {cli} | "
              f"{'yes' if cli == found.arena_bytes else 'NO'} |", flush=True)  # fmt: skip
    print(f"\nslowest {worst:.2f} s (target <= 0.5 s); arenas differing from the CLI: {differ}\n")


class Pruner:
    """Output channels to drop per layer of a fused model (the weakest by
    filter L1 norm); a count the model cannot take with the others (a layer
    tied to one already pruned, an output) is refused."""

    def __init__(self, fused):
        self.fused, self.counts = fused, {}
        block = main_function(fused).body.block
        names = value_names(block)
        self.layers = {names[op.out]: op for op in block.ops if isinstance(op, LAYERS)}

    def entries(self, counts: dict[str, int]) -> list[Prune]:
        return [Prune(layer, False, tuple(sorted(weakest_channels(self.layers[layer])[:k])), "bench")
                for layer, k in counts.items()]  # fmt: skip

    def drop(self, layer: str, count: int) -> bool:
        """Drop `count` channels of `layer` (in place of what it dropped); whether the model takes it."""
        count = min(count, self.layers[layer].out_type.shape[-1] - 1)
        if count < 1:
            return False
        try:
            self.pruned({**self.counts, layer: count})
        except TinyIRError:
            return False
        self.counts[layer] = count
        return True

    def pruned(self, counts: dict[str, int] | None = None):
        module = self.fused.clone()
        prune_channels(module, self.entries(self.counts if counts is None else counts))
        return module

    def removed(self) -> int:
        """Output channels removed over all layers (tied ones too)."""
        block = main_function(self.pruned()).body.block
        names = value_names(block)
        after = {names[op.out]: op.out_type.shape[-1] for op in block.ops if isinstance(op, LAYERS)}
        return sum(op.out_type.shape[-1] - after.get(name, 0) for name, op in self.layers.items())

    def arena(self) -> int:
        """The arena of the pruned model after the default pipeline."""
        module = tinyir.run_pipeline(self.pruned(), AFTER_PRUNING)
        return tinyir.memory_report(module)["arena_bytes"]


def spread(pruner: Pruner, target: int) -> None:
    """Drop `target` channels as the same share of every layer's (largest
    remainders first), then one more at a time, largest layers first, until
    `target` are gone (tied layers lose channels with the one pruned)."""
    total = sum(op.out_type.shape[-1] for op in pruner.layers.values())
    quotas = {name: target * op.out_type.shape[-1] / total for name, op in pruner.layers.items()}
    counts = {name: math.floor(q) for name, q in quotas.items()}
    for name in sorted(quotas, key=lambda n: counts[n] - quotas[n])[: target - sum(counts.values())]:
        counts[name] += 1
    for name, k in counts.items():
        pruner.drop(name, k)
    by_size = sorted(pruner.layers, key=lambda n: -pruner.layers[n].out_type.shape[-1])
    for _ in range(8):  # rounds of one more channel each
        for name in by_size:
            if pruner.removed() >= target:
                return
            pruner.drop(name, pruner.counts.get(name, 0) + 1)


def codesign_table(paths: list[Path], fraction: float) -> None:
    print(f"Bottleneck-targeted against uniform pruning, {fraction:.0%} of the channels of the top-3 bottleneck layers:\n")
    print("| model | arena | targeted layers | removed | arena | saved | uniform: removed | arena | saved | targeted / uniform saved |")
    print("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|")
    for path in paths:
        fused = tinyir.run_pipeline(tinyir.import_model(path), BEFORE_PRUNING)
        base = tinyir.memory_report(tinyir.run_pipeline(fused.clone(), AFTER_PRUNING))
        targeted = Pruner(fused)
        chosen = []
        for layer in bottleneck_layers(base["bottleneck"], targeted.layers):
            if len(chosen) == 3:
                break
            if targeted.drop(layer, math.ceil(fraction * targeted.layers[layer].out_type.shape[-1])):
                chosen.append(layer)
        removed, arena = targeted.removed(), targeted.arena()
        uniform = Pruner(fused)
        spread(uniform, removed)
        u_removed, u_arena = uniform.removed(), uniform.arena()
        saved, u_saved = base["arena_bytes"] - arena, base["arena_bytes"] - u_arena
        gap = f"{saved / u_saved:.2f}" if u_saved > 0 else "uniform saves none"
        print(f"| {path.stem} | {base['arena_bytes']} | {len(chosen)} | {removed} | {arena} | {saved} | "
              f"{u_removed} | {u_arena} | {u_saved} | {gap} |", flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--repeat", type=int, default=3, help="runs per model (the best counts)")
    parser.add_argument("--fraction", type=float, default=0.25, help="share of a bottleneck layer's channels to prune")
    args = parser.parse_args(argv)
    paths = sorted(args.models.glob("*.tflite"))
    if not paths:
        raise SystemExit(f"no models in {args.models}")
    resources_table(paths, args.repeat)
    codesign_table([p for p in paths if p.name.startswith(HANLAB)], args.fraction)
    return 0


if __name__ == "__main__":
    sys.exit(main())
