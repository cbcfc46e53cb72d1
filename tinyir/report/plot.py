"""The memory timeline of a report, drawn with matplotlib.

    from tinyir import api
    from tinyir.report import plot
    report = api.memory_report(module, baseline=imported)
    plot.plot_memory(report, "memory.png", baseline=True)

One bar per step (compute op, schedule order), stacked by what the live
bytes are for that op: the buffers it reads, the one it writes, its scratch,
and the buffers held for a later op (a residual branch waiting for its add).
The peak is marked and labelled with its op; the arena size is a line once
`--arena-alloc` has run. With `baseline=True` a second panel above, on the same
byte scale, shows the model as imported, and the lower panel marks its peak,
so the saving reads off directly.

matplotlib is imported on use and drawn without pyplot (no global backend is
switched: a `Figure` on the Agg canvas), so this is safe inside other programs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tinyir.analysis.macs import format_macs
from tinyir.errors import TinyIRError
from tinyir.report.memory import format_bytes

FORMATS = (".png", ".svg", ".pdf")

# (step field, legend label, colour): bottom to top.
LAYERS = (
    ("held_bytes", "held for a later op", "#b9c0c9"),
    ("input_bytes", "read by the op", "#4c78a8"),
    ("output_bytes", "written by the op", "#f58518"),
    ("scratch_bytes", "scratch", "#e45756"),
)


def _unit(scale: int) -> tuple[str, int]:
    """The y-axis unit for a largest value of `scale` bytes."""
    if scale < 2048:
        return "bytes", 1
    if scale < 4 << 20:
        return "KiB", 1024
    return "MiB", 1 << 20


def check_plot_path(path: str | os.PathLike) -> None:
    """Refuse an unknown image format or a missing folder before any work."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise TinyIRError(f"cannot plot to {path}: unknown image format '{suffix}' (expected .png, .svg or .pdf)")
    folder = Path(path).parent
    if not folder.is_dir():
        raise TinyIRError(f"cannot plot to {path}: no such directory {folder}")


def _short(name: str, width: int = 48) -> str:
    return "..." + name[-(width - 3):] if len(name) > width else name


def _label(step: dict[str, Any]) -> str:
    return f"step {step['step']}: {step['op'].removeprefix('tiny.')} -> %{_short(step['output'])}"


def _draw(
    ax, report: dict[str, Any], title: str, scale: int, compare_peak: int | None = None, compare_label: str = ""
) -> None:
    unit, size = _unit(scale)
    steps = report["steps"]
    x = [s["step"] for s in steps]
    bottom = [0.0] * len(steps)
    for field, label, colour in LAYERS:
        heights = [s[field] / size for s in steps]
        if any(heights):
            ax.bar(
                x, heights, width=1.0, bottom=bottom, color=colour, label=label, align="center",
                edgecolor="white", linewidth=0.4 if len(steps) > 60 else 0.8,
            )
            bottom = [b + h for b, h in zip(bottom, heights)]
    peak = report["live_peak_bytes"]
    if report["peak_step"] is not None:
        s = steps[report["peak_step"]]
        ax.plot([s["step"]], [peak / size], marker="v", color="black", markersize=7, linestyle="none")
        # Keep the label inside the plot: to the right of an early peak, left of a late one.
        where = s["step"] / max(len(steps) - 1, 1)
        ha = "left" if where < 0.35 else "right" if where > 0.65 else "center"
        ax.annotate(
            f"peak {format_bytes(peak)}\n{_label(s)}",
            xy=(s["step"], peak / size),
            xytext=({"left": 8, "center": 0, "right": -8}[ha], 10),
            textcoords="offset points",
            ha=ha,
            va="bottom",
            fontsize=8.5,
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#888888", "alpha": 0.9},
        )
    arena = report["arena_bytes"]
    if arena is not None:
        ax.axhline(arena / size, color="#54a24b", linestyle="--", linewidth=1.4, label=f"arena {format_bytes(arena)}")
    if compare_peak is not None:
        ax.axhline(
            compare_peak / size,
            color="#79706e",
            linestyle=":",
            linewidth=1.4,
            label=f"peak {compare_label} {format_bytes(compare_peak)}",
        )
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(f"live SRAM ({unit})")
    ax.set_xlim(-0.5, max(len(steps), 1) - 0.5)
    ax.set_ylim(0, max(scale / size, 1e-3) * 1.3)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    if len(steps) <= 40:  # few ops: name them
        ax.set_xticks(x)
        ax.set_xticklabels(
            [f"{s['step']} {s['op'].removeprefix('tiny.')}" for s in steps],
            rotation=0 if len(steps) <= 8 else 90,
            fontsize=7.5,
        )
    # The bottleneck: what the peak holds, largest first (the layers to prune).
    held = [b for b in report.get("bottleneck", {}).get("buffers", []) if b["kind"] != "scratch"][:4]
    if held and report["peak_step"] is not None:
        lines = "".join(f"\n%{_short(b['name'], 36)} {format_bytes(b['bytes'])}" for b in held)
        ax.text(1.005, 0.0, f"held at the peak:{lines}", transform=ax.transAxes, fontsize=7.5, va="bottom", ha="left")
    # Beside the plot, where it can hide neither bars nor the peak's label.
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8, frameon=False)
    if not steps:
        ax.text(0.5, 0.5, "no compute ops", transform=ax.transAxes, ha="center", va="center", color="#666666")


def _summary(report: dict[str, Any]) -> str:
    arena = report["arena_bytes"]
    arena_text = f"arena {format_bytes(arena)}" if arena is not None else "not allocated"
    return (
        f"{len(report['steps'])} steps, live peak {format_bytes(report['live_peak_bytes'])}, "
        f"{arena_text}, {format_macs(report['macs'])} MACs"
    )


def plot_memory(
    report: dict[str, Any],
    path: str | os.PathLike,
    *,
    baseline: bool = False,
    title: str | None = None,
    labels: tuple[str, str] = ("as imported", "after the passes"),
) -> None:
    """Draw the report's memory timeline to `path` (.png, .svg or .pdf).

    With `baseline`, the report must carry one (`memory_report(m, baseline=...)`):
    the baseline (the model as imported, or what `labels[0]` says) is drawn
    above, on the same scale.
    """
    check_plot_path(path)
    base = report.get("baseline") if baseline else None
    if baseline and base is None:
        raise TinyIRError("the report has no baseline to plot (compute it with memory_report(module, baseline=...))")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    reports = [r for r in (base, report) if r is not None]
    scale = max(max(r["live_peak_bytes"], r["arena_bytes"] or 0) for r in reports)
    n_steps = max(len(r["steps"]) for r in reports)
    width = min(max(9.0, 0.11 * n_steps + 3), 22.0)
    fig = Figure(figsize=(width, 3.9 * len(reports) + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(reports), 1, squeeze=False)[:, 0]
    name = title or report.get("source") or f"@{report['function']}"
    fig.suptitle(f"Memory timeline: {Path(name).name if report.get('source') else name}", fontsize=12)
    if base is not None:
        _draw(axes[0], base, f"{labels[0]}: {_summary(base)}", scale)
    _draw(
        axes[-1],
        report,
        f"{labels[1] + ': ' if base is not None else ''}{_summary(report)}",
        scale,
        compare_peak=base["live_peak_bytes"] if base is not None else None,
        compare_label=labels[0],
    )
    axes[-1].set_xlabel("step (compute ops in schedule order)")
    try:
        fig.savefig(path, dpi=110)
    except OSError as e:
        raise TinyIRError(f"cannot plot to {path}: {e.strerror}") from None


def plot_pareto(
    front: list[tuple[int, float]],
    unsplit: tuple[int, float],
    chosen: tuple[int, float],
    path: str | os.PathLike,
    *,
    title: str = "",
    measured: list[tuple[int, float, str]] = (),
) -> None:
    """Draw partial-exec's trade-off to `path`: the (peak bytes, predicted
    instructions) front of its plans (`search.pareto_front`), the model
    unsplit, the plan chosen, and `measured` points (bytes, instructions
    counted in QEMU, label) where there are any."""
    check_plot_path(path)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    scale = max(p for p, _ in [*front, unsplit, chosen])
    unit, div = _unit(scale)
    xs, ys = [p / div for p, _ in front], [c for _, c in front]
    ax.step(xs, ys, where="post", color="#4c78a8", alpha=0.5)
    ax.plot(xs, ys, "o", color="#4c78a8", markersize=4, label="plans on the front (predicted)")
    ax.plot([unsplit[0] / div], [unsplit[1]], "s", color="#b9c0c9", markersize=9, label="unsplit", zorder=3)
    ax.plot([chosen[0] / div], [chosen[1]], "*", color="#e45756", markersize=15, label="chosen", zorder=4)
    for bytes_, count, label in measured:
        ax.plot([bytes_ / div], [count], "x", color="#f58518", markersize=9, zorder=5)
        ax.annotate(label, (bytes_ / div, count), textcoords="offset points", xytext=(6, 4), fontsize=8)
    if measured:
        ax.plot([], [], "x", color="#f58518", label="counted in QEMU")
    ax.set_xlabel(f"peak ({unit}; the allocator's lower bound)")
    ax.set_ylabel("instructions of invoke")
    ax.yaxis.set_major_formatter(lambda v, _: format_macs(int(v)))
    ax.set_title(f"partial-exec's plans{': ' + title if title else ''} "
                 f"(chosen {format_bytes(chosen[0])}, {format_macs(int(chosen[1]))})", fontsize=10)  # fmt: skip
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    try:
        fig.savefig(path, dpi=110)
    except OSError as e:
        raise TinyIRError(f"cannot plot to {path}: {e.strerror}") from None
