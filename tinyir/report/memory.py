"""The memory report: where SRAM goes, op by op, as plain data.

`memory_report(module)` is a JSON-ready dict built from the liveness
analysis (`tinyir.analysis.liveness`), the MAC counts (`tinyir.analysis.macs`)
and, once `--arena-alloc` has run, the arena the module carries:

    target_cpu        the CPU the module is compiled for (`--mcpu`; cortex-m4
                      when it records none: `tinyir.analysis.target`)
    arena_bytes       module attribute `tiny.arena_size`, or None before allocation
    arena_lower_bound, alignment
                      what --arena-alloc assumed and proved (`tinyir.analysis.arena`:
                      the bound is the live peak with each buffer rounded up to
                      the alignment), or None before allocation
    live_peak_bytes   max bytes live at one step: the lower bound of any arena
                      for this schedule (scratch buffers included once they exist)
    peak_step         the first step where live bytes reach the peak
    macs              multiply-accumulates of the module (see tinyir.analysis.macs)
    macs_baseline     the MACs of the baseline (the module as imported), or None
    instructions      predicted instructions of the model's invoke on the
                      target CPU (tinyir.analysis.cost)
    instructions_baseline  the same of the baseline, or None
    flash             once allocated, the flash of the model's C (its kernels
                      come on top): constants (weights, biases; exact),
                      tables (requantization, row bands; exact), code (an
                      estimate for Cortex-M4) and total, in bytes
                      (tinyir.backends.c.target.flash_bytes); None before
                      allocation or where the C backend makes no C
    steps             one per compute op, in schedule order: step, op, output
                      (the printed name of the value it writes, without '%'),
                      live_bytes, macs, instructions (predicted, all its
                      calls), tiles (how many times it runs: the
                      tiles of its tile loop, else 1), and live_bytes split four ways:
                      input_bytes (buffers the op reads), output_bytes (the one
                      it writes), scratch_bytes, held_bytes (live buffers the op
                      does not touch: kept for a later op, e.g. a residual skip)
    buffers           one per SRAM buffer (model inputs, then allocs, in program
                      order): name, bytes, offset (`tiny.alloc offset N`, or an
                      argument's `tiny.offset`; None before allocation),
                      first and last step (inclusive), kind (input, output,
                      scratch, accumulator or activation), shape, element type
    streamed          the inputs read by rows (--partial-exec=stream-input=true),
                      not in SRAM: name, bytes of the image, and rows_bytes,
                      the most the line buffers of its rows hold
    bottleneck        the peak (`bottleneck`): live_bytes, the steps that
                      reach it, their ops, and the buffers live there,
                      largest first: bytes held there (a row loop holds a
                      band of rows), buffer_bytes, and the layer that wrote it
    sensitivity       (tinyir-opt --report-sensitivity) per bottleneck
                      layer, arena bytes saved when it loses channels
                      (tinyir.report.resources.layer_sensitivity)
    baseline          the same report (without its own baseline) of the
                      baseline module, when one is given

Names are the ones `tinyir.print_ir` prints, so a report line can be found in
the IR text. `format_table(report)` renders it for a terminal (what
`tinyir-opt --report -` prints).
"""

from __future__ import annotations

import json
import os
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr
from xdsl.ir import Block, BlockArgument, SSAValue

from tinyir.analysis import arena, liveness
from tinyir.analysis.cost import op_cost
from tinyir.analysis.macs import format_macs, module_macs, op_macs, repeats
from tinyir.analysis.names import value_names
from tinyir.analysis.target import DEFAULT_CPU, family_of, target_cpu
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError


def arena_size(module: ModuleOp) -> int | None:
    """The arena size `--arena-alloc` put on the module, or None before it ran."""
    return arena.arena_size(module)


def _attribute(module: ModuleOp, name: str) -> int | str | None:
    """An integer or string module attribute as plain data; None when absent."""
    attr = module.attributes.get(name)
    if isinstance(attr, IntegerAttr):
        return attr.value.data
    if isinstance(attr, StringAttr):
        return attr.data
    return None


def _offsets(function: func.FuncOp) -> dict[SSAValue, int | None]:
    """Arena offsets: `tiny.alloc offset N` and the arguments' `tiny.offset`."""
    block = function.body.block
    offsets: dict[SSAValue, int | None] = dict(zip(block.args, arena.argument_offsets(function)))
    for op in liveness.walk(block):
        if isinstance(op, tiny.AllocOp):
            offsets[op.result] = op.arena_offset
    return offsets


def _kinds(block: Block, live: liveness.Liveness) -> dict[SSAValue, str]:
    scratch = {
        liveness.buffer_root(op.scratch) for op in live.steps if op.scratch is not None
    }
    outputs: set[SSAValue | None] = set()
    terminator = block.last_op
    if isinstance(terminator, func.ReturnOp):
        outputs = {liveness.buffer_root(v) for v in terminator.operands}
    kinds = {}
    for b in live.buffers:
        if isinstance(b.value, BlockArgument):
            kinds[b.value] = "input"
        elif b.value in outputs:
            kinds[b.value] = "output"
        elif b.value in scratch:
            kinds[b.value] = "scratch"
        elif b.value.type.dtype.kind == "i" and b.value.type.element_bytes == 4:
            kinds[b.value] = "accumulator"
        else:
            kinds[b.value] = "activation"
    return kinds


def _element_type(t: tiny.BufferType) -> str:
    return str(t.dtype).replace("int", "i").replace("float32", "f32")


def memory_report(module: ModuleOp, baseline: ModuleOp | dict[str, Any] | None = None) -> dict[str, Any]:
    """The memory report of `module` (see the module docstring for its fields).

    `baseline` is the module before the passes (or its report, computed before
    running them, which saves keeping a copy): its MACs become `macs_baseline`
    and its report `baseline`.
    """
    function = liveness.main_function(module)
    block = function.body.block
    live = liveness.analyze_block(block)
    names = value_names(block)
    kinds = _kinds(block, live)
    offsets = _offsets(function)
    by_root = {b.value: b for b in live.buffers}
    family = family_of(target_cpu(module))

    def root_of(value: SSAValue) -> liveness.Buffer | None:
        root = liveness.buffer_root(value)
        return None if root is None else by_root.get(root)

    steps = []
    for index, op in enumerate(live.steps):
        written = root_of(op.out)
        scratch = root_of(op.scratch) if op.scratch is not None else None
        read = []
        for value in op.ins:
            b = root_of(value)
            if b is not None and b is not written and b is not scratch and b not in read:
                read.append(b)
        input_bytes = sum(b.nbytes for b in read)
        output_bytes = written.nbytes if written is not None else 0
        scratch_bytes = scratch.nbytes if scratch is not None else 0
        live_bytes = live.live_bytes[index]
        steps.append(
            {
                "step": index,
                "op": op.name,
                "output": names[op.out],
                "live_bytes": live_bytes,
                "macs": op_macs(op),
                "instructions": round(op_cost(op, family)),
                "tiles": repeats(op),
                "reads": [names[b.value] for b in read],
                "writes": names[written.value] if written is not None else None,
                "scratch": names[scratch.value] if scratch is not None else None,
                "input_bytes": input_bytes,
                "output_bytes": output_bytes,
                "scratch_bytes": scratch_bytes,
                "held_bytes": live_bytes - input_bytes - output_bytes - scratch_bytes,
            }
        )

    buffers = [
        {
            "name": names[b.value],
            "bytes": b.nbytes,
            "offset": offsets.get(b.value),
            "first": b.first,
            "last": b.last,
            "kind": kinds[b.value],
            "shape": list(b.value.type.shape),
            "element_type": _element_type(b.value.type),
        }
        for b in live.buffers
    ]

    peak = live.peak
    # Without compute ops the model's input is still held (peak > 0) at no step.
    peak_step = next((i for i, n in enumerate(live.live_bytes) if n == peak), None) if live.steps else None
    report: dict[str, Any] = {
        "function": function.sym_name.data,
        "arena_bytes": arena_size(module),
        "arena_lower_bound": _attribute(module, arena.LOWER_BOUND),
        "alignment": _attribute(module, arena.ALIGNMENT),
        "target_cpu": target_cpu(module),
        "live_peak_bytes": peak,
        "peak_step": peak_step,
        "macs": module_macs(module),
        "macs_baseline": None,
        "instructions": sum(s["instructions"] for s in steps),
        "instructions_baseline": None,
        "flash": _flash(module),
        "steps": steps,
        "buffers": buffers,
        "streamed": _streamed(block, live, names),
    }
    at_peak = {names[b.value]: b.bytes_at(peak_step) for b in live.buffers} if peak_step is not None else {}
    report["bottleneck"] = bottleneck(report, at_peak)
    if baseline is not None:
        if isinstance(baseline, ModuleOp):
            baseline = memory_report(baseline)
        base = {k: v for k, v in baseline.items() if k != "baseline"}
        report["macs_baseline"] = base["macs"]
        report["instructions_baseline"] = base.get("instructions")
        report["baseline"] = base
    return report


def _streamed(block: Block, live: liveness.Liveness, names: dict[SSAValue, str]) -> list[dict[str, Any]]:
    """The streamed inputs, each with the bytes of the rows held of it."""
    found = []
    for arg in block.args:
        if tiny.is_streamed(arg):
            rows = [live.buffer_of(use.operation.out) for use in arg.uses]
            found.append({"name": names[arg], "bytes": arg.type.nbytes,
                          "rows_bytes": sum(b.nbytes for b in rows if b is not None)})  # fmt: skip
    return found


def bottleneck(report: dict[str, Any], held: dict[str, int]) -> dict[str, Any]:
    """The peak of a memory report: the steps where it is reached, and the
    buffers live at the first of them (`held`: their bytes live there, by
    name), each with the op that wrote it."""
    peak = report["live_peak_bytes"]
    steps = [s for s in report["steps"] if s["live_bytes"] == peak]
    first_peak = report["peak_step"]
    writes: dict[str, list[dict[str, Any]]] = {}
    for s in report["steps"]:
        writes.setdefault(s["writes"], []).append(s)
    buffers = []
    for b in report["buffers"]:
        if not held.get(b["name"]):
            continue
        # What it holds at the peak: the last write up to there (in place, a
        # buffer holds one layer's output, then another's), else the first
        # one after (it is held for that); none: the model's input.
        written = writes.get(b["name"], [])
        wrote = next((s for s in reversed(written) if s["step"] <= first_peak), written[0] if written else None)
        buffers.append(
            {
                "name": b["name"],
                "bytes": held[b["name"]],
                "buffer_bytes": b["bytes"],
                "kind": b["kind"],
                "written_by": wrote["op"] if wrote else None,
                "layer": wrote["output"] if wrote else None,
            }
        )
    buffers.sort(key=lambda b: -b["bytes"])
    return {
        "live_bytes": peak,
        "steps": [s["step"] for s in steps],
        "ops": [f"{s['op']} -> %{s['output']}" for s in steps],
        "buffers": buffers,
    }


def _flash(module: ModuleOp) -> dict[str, int] | None:
    """flash_bytes, or None where the C backend makes no C of the module
    (not allocated, or an op it has no kernel for)."""
    if arena_size(module) is None:
        return None
    from tinyir.backends.c.target import flash_bytes  # the report needs the backend only here

    try:
        return flash_bytes(module)
    except TinyIRError:
        return None


def write_json(report: dict[str, Any], path: str | os.PathLike) -> None:
    try:
        with open(path, "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
    except OSError as e:
        raise TinyIRError(f"cannot write report {path}: {e.strerror}") from None


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------


def format_bytes(n: int | None) -> str:
    """Bytes for people: `512 B`, `47.5 KiB`, `2.34 MiB`."""
    if n is None:
        return "n/a"
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.2f} MiB"


def _macs_both(n: int) -> str:
    return str(n) if n < 1000 else f"{n} ({format_macs(n)})"


def _bytes_both(n: int) -> str:
    """`112 B`, or `16000 B (15.6 KiB)`: exact, and readable when large."""
    return f"{n} B" if n < 1024 else f"{n} B ({format_bytes(n)})"


BAR_WIDTH = 24


def _bar(value: int, scale: int) -> str:
    filled = round(BAR_WIDTH * value / scale) if scale else 0
    return "#" * filled + "." * (BAR_WIDTH - filled)


def format_table(report: dict[str, Any]) -> str:
    """The report as text for a terminal: a summary, then steps and buffers."""
    lines = [f"memory report of @{report['function']}" + (f" ({report['source']})" if report.get("source") else "")]
    arena, peak = report["arena_bytes"], report["live_peak_bytes"]
    steps, buffers = report["steps"], report["buffers"]
    lines.append(f"  target         {report.get('target_cpu') or DEFAULT_CPU}")
    if arena is None:
        lines.append("  arena          not allocated (run --arena-alloc)")
    else:
        over = f", {arena / peak:.3f} x the live peak" if peak else ""
        lines.append(f"  arena          {_bytes_both(arena)}{over}")
    assumed = [
        f"alignment {report['alignment']}" if report.get("alignment") else "",
        f"lower bound {report['arena_lower_bound']} B" if report.get("arena_lower_bound") is not None else "",
    ]
    if any(assumed):
        lines.append(f"  allocated with {', '.join(a for a in assumed if a)}")
    where = ""
    if report["peak_step"] is not None:
        s = steps[report["peak_step"]]
        where = f"  at step {s['step']}: {s['op']} -> %{s['output']}"
    lines.append(f"  live peak      {_bytes_both(peak)}{where}")
    base = report.get("baseline")
    if base is not None:
        before = base["live_peak_bytes"]
        change = " (the same)" if before == peak else f" ({(peak - before) / before:+.1%})" if before else ""
        lines.append(
            f"  as imported    live peak {_bytes_both(base['live_peak_bytes'])}"
            f"{change}, {len(base['steps'])} steps"
        )
    macs = f"  MACs           {_macs_both(report['macs'])}"
    if report["macs_baseline"] is not None:
        macs += f", as imported {_macs_both(report['macs_baseline'])}"
    lines.append(macs)
    instructions = f"  instructions   {_macs_both(report['instructions'])} predicted (tinyir.analysis.cost)"
    before = report.get("instructions_baseline")
    if before:
        instructions += f", as imported {format_macs(before)} ({report['instructions'] / before:.3f} x)"
    lines.append(instructions)
    if (flash := report.get("flash")) is not None:
        lines.append(
            f"  flash          {_bytes_both(flash['total'])}: constants {flash['constants']} B, tables "
            f"{flash['tables']} B, code ~{flash['code']} B (estimated; CMSIS-NN's kernels come on top)"
        )
    lines.append(f"  steps          {len(steps)}, buffers {len(buffers)}")
    for x in report.get("streamed", ()):
        lines.append(f"  streamed       %{x['name']} {x['bytes']} B, never whole: read by rows, {x['rows_bytes']} B of them held")
    held = [b for b in report["bottleneck"]["buffers"] if b["kind"] != "scratch"][:5]
    if held:
        lines.append("  at the peak    " + "; ".join(
            f"%{b['name']} {b['bytes']} B" + (f" ({b['written_by']} -> %{b['layer']})" if b["layer"] not in (None, b["name"]) else "")
            for b in held))  # fmt: skip
    if report.get("sensitivity"):
        lines.append("")
        lines.append("arena bytes saved when a bottleneck layer loses its weakest output channels (re-planned):")
        for row in report["sensitivity"]:
            trials = ", ".join(
                f"-{t['removed']}: {t['saved']:+d} B" if "saved" in t else f"-{t['removed']}: {t['error']}" for t in row["trials"]
            )
            lines.append(f"  %{row['layer']} ({row['op']}, {row['channels']} channels)  {trials}")

    scale = max(peak, arena or 0)
    lines.append("")
    lines.append(f"{'step':>6}  {'live bytes':>10}  {'':{BAR_WIDTH}}  {'MACs':>10}  {'op':<24}  output")
    for s in steps:
        mark = "*" if s["step"] == report["peak_step"] else " "
        tiles = f" [{s['tiles']} tiles]" if s.get("tiles", 1) > 1 else ""
        lines.append(
            f"{mark}{s['step']:>5}  {s['live_bytes']:>10}  {_bar(s['live_bytes'], scale)}  "
            f"{s['macs']:>10}  {s['op']:<24}  %{s['output']}{tiles}"
        )
    tiled = "; [N tiles]: a step of a tile loop, run N times, MACs of all" if any(s.get("tiles", 1) > 1 for s in steps) else ""
    lines.append("  (* = peak; bar: live bytes against the " + ("arena" if arena is not None else "peak") + f"{tiled})")

    lines.append("")
    lines.append(f"{'bytes':>10}  {'offset':>10}  {'first':>5}  {'last':>5}  {'kind':<11}  buffer")
    for b in buffers:
        offset = "-" if b["offset"] is None else str(b["offset"])
        lines.append(
            f"{b['bytes']:>10}  {offset:>10}  {b['first']:>5}  {b['last']:>5}  {b['kind']:<11}  %{b['name']}"
        )
    return "\n".join(lines) + "\n"
