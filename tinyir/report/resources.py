"""What a network costs on a microcontroller after the best schedule, and which
layers hold its memory back: the resource model for pruning and architecture
search (`tinyir.resources`, `tinyir-opt M --resources`).

    r = tinyir.resources("model.tflite", target="cortex-m4")
    r.arena_bytes, r.lower_bound, r.flash_bytes, r.macs, r.instructions
    r.bottleneck["buffers"]     # live at the peak: name, bytes, the layer that wrote it
    tinyir.layer_sensitivity("model.tflite")   # arena saved per layer and channels pruned

The arena is the default pipeline's (`DEFAULT_PIPELINE`; with `sram_budget`,
partial-exec's cheapest plan within it), so it is what `tinyir-opt M --fuse
--partial-exec --reorder --arena-alloc` gives. Instructions are the cost
model's prediction (tinyir.analysis.cost) for the target's CMSIS-NN build.

The sensitivity of a layer is measured, not guessed: the model is pruned
(tinyir.passes.prune_channels, the k output channels whose filters have the
least L1 norm) and planned again from scratch, for k = 1, 10% and 25% of its
channels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from tinyir.errors import TinyIRError

DEFAULT_PIPELINE = "fuse,partial-exec,reorder,arena-alloc"
"""What `resources` plans with: every pass tinyir has that lowers the peak."""

FRACTIONS = (1, 0.10, 0.25)
"""Channels a sensitivity trial removes: one, then a fraction of the layer's."""


@dataclass(frozen=True)
class Resources:
    """What a model costs on `target` after the default pipeline."""

    target: str
    arena_bytes: int
    lower_bound: int
    """No arena for the final schedule can be smaller (the most bytes live at one step)."""
    flash_bytes: int | None
    """Weights, parameter tables and an estimate of the code (None: no C for it)."""
    macs: int
    instructions: int
    """Predicted by the cost model for the target's CMSIS-NN build."""
    bottleneck: dict[str, Any]
    """`steps` at the peak, `ops` there, `buffers` live there (largest first):
    name, bytes, kind, the op that wrote it and its `layer`."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _model(model, target: str | None) -> ModuleOp:
    """An imported copy of `model` (a path, bytes or a module) for `target`
    (None: the module's own CPU, else cortex-m4)."""
    from tinyir import api

    if isinstance(model, ModuleOp):
        module = model.clone()
        if target is not None:
            api.set_target_cpu(module, target)
        return module
    return api.import_model(model, mcpu=target)


def default_pipeline(sram_budget: int | None = None) -> str:
    """DEFAULT_PIPELINE, with partial-exec fitting `sram_budget` bytes if given."""
    if sram_budget is None:
        return DEFAULT_PIPELINE
    return DEFAULT_PIPELINE.replace("partial-exec", f"partial-exec{{budget={int(sram_budget)}}}")


def split_pipeline(pipeline: str) -> tuple[str, str]:
    """(the leading passes that keep every channel's arithmetic: fuse,
    strip-names; the rest): pruning goes between them."""
    steps = [s for s in pipeline.split(",") if s]
    n = 0
    while n < len(steps) and steps[n].split("{")[0] in ("fuse", "strip-names"):
        n += 1
    return ",".join(steps[:n]), ",".join(steps[n:])


def resources(model, target: str | None = None, sram_budget: int | None = None) -> Resources:
    """The resources `model` (a path, model bytes, or an imported module,
    which is left as it is) needs on `target` (default: the module's CPU,
    else cortex-m4) after the default pipeline, partial-exec fitting
    `sram_budget` bytes if given (an error when no plan does)."""
    from tinyir import api

    module = api.run_pipeline(_model(model, target), default_pipeline(sram_budget))
    report = api.memory_report(module)
    flash = report["flash"]
    return Resources(
        target=report["target_cpu"],
        arena_bytes=report["arena_bytes"],
        lower_bound=report["arena_lower_bound"],
        flash_bytes=flash["total"] if flash else None,
        macs=report["macs"],
        instructions=report["instructions"],
        bottleneck=report["bottleneck"],
    )


def layer_sensitivity(
    model,
    layers: Sequence[str] | None = None,
    target: str | None = None,
    pipeline: str = DEFAULT_PIPELINE,
    fractions: Sequence[float] = FRACTIONS,
) -> list[dict[str, Any]]:
    """Arena bytes `pipeline` saves when a layer loses output channels, per
    layer (default: the layers that wrote the buffers live at the peak) and
    per count removed (`fractions`: a whole number is a count, a fraction a
    share of the layer's channels, rounded up). Each row: `layer`, `op`,
    `channels`, and `trials`: {removed, dropped (the channels), arena_bytes,
    saved}, or {removed, dropped, error} where the model cannot be pruned there. The pipeline needs
    arena-alloc; its fuse and strip-names run before the pruning."""
    from tinyir import api
    from tinyir.analysis.liveness import main_function
    from tinyir.analysis.names import value_names
    from tinyir.dialects import tiny
    from tinyir.passes.prune_channels import Prune, prune_channels

    head, rest = split_pipeline(pipeline)
    fused = api.run_pipeline(_model(model, target), head)
    base = api.memory_report(api.run_pipeline(fused.clone(), rest))
    if base["arena_bytes"] is None:
        raise TinyIRError(f"layer sensitivity: the pipeline '{pipeline}' has no arena-alloc")
    block = main_function(fused).body.block
    names = value_names(block)
    producers = {names[op.out]: op for op in block.ops if isinstance(op, tiny.ComputeOp) and op.out in names}
    if layers is None:
        layers = bottleneck_layers(base["bottleneck"], producers)
    rows = []
    for layer in layers:
        op = producers.get(layer)
        if op is None:
            raise TinyIRError(f"no op writes %{layer}")
        channels = op.out_type.shape[-1]
        order = weakest_channels(op)
        trials = []
        for fraction in fractions:
            k = int(fraction) if fraction >= 1 else math.ceil(fraction * channels)
            k = min(k, channels - 1)
            if k < 1 or any(t["removed"] == k for t in trials):
                continue
            pruned, dropped = fused.clone(), sorted(order[:k])
            trial: dict[str, Any] = {"removed": k, "dropped": dropped}
            try:
                prune_channels(pruned, [Prune(layer, False, tuple(dropped), "sensitivity")])
            except TinyIRError as e:
                trials.append({**trial, "error": str(e).removeprefix("sensitivity: ")})
                continue
            arena_bytes = api.memory_report(api.run_pipeline(pruned, rest))["arena_bytes"]
            trials.append({**trial, "arena_bytes": arena_bytes, "saved": base["arena_bytes"] - arena_bytes})
        rows.append({"layer": layer, "op": op.name, "channels": channels, "trials": trials})
    return rows


def bottleneck_layers(peak: dict[str, Any], producers: dict[str, Any]) -> list[str]:
    """The layers (convolutions, depthwise convolutions, fully connected) that
    wrote the buffers live at the peak, largest buffer first. A tile buffer
    of partial execution is named after its layer, with a suffix."""
    from tinyir.passes.prune_channels import LAYERS

    layers: list[str] = []
    for b in peak["buffers"]:
        name = b["layer"]
        if name is not None and name not in producers:
            name = re.sub(r"_\d+$", "", name)
        if name in producers and isinstance(producers[name], LAYERS) and name not in layers:
            layers.append(name)
    return layers


def weakest_channels(op) -> list[int]:
    """Output channels of a layer by the L1 norm of their real-valued filters, least first."""
    w = op.ins[1].owner.as_array().astype(np.float64)
    q = op.in_type(1).quant
    axis = op.FILTER_OUT_AXIS
    if q is not None:
        shape = [1] * w.ndim
        shape[q.axis if q.axis is not None else axis] = -1
        w = (w - np.asarray(q.zero_point, np.float64).reshape(shape)) * np.asarray(q.scale, np.float64).reshape(shape)
    norms = np.abs(w).sum(axis=tuple(a for a in range(w.ndim) if a != axis))
    return [int(c) for c in np.argsort(norms, kind="stable")]
