"""Count, exactly, the instructions a function executes on Cortex-M in QEMU.

`insn_count.c`, a QEMU TCG plugin built once with the host's gcc (`plugin`,
cached in $TINYIR_CACHE), counts the instructions executed from one address
(counted) to another (not counted). `call_span` finds the two for a function
called once: its entry, and the instruction after its caller's `bl`. So
`count_call` counts the function's own instructions and its callees', from its
first instruction to its return, and nothing of the caller; `count_invoke`
does it for a model's `tinyir_<model>_invoke` under `build_model`'s harness,
and for a `profile` build `per_op` says which op executed how many.

These are instructions, not cycles: QEMU models no pipeline, no flash wait
states and no caches, and counts a 1-cycle ADD like a 2-cycle load or an
SMLAD. The CPUs of `build.BOARDS` run (Cortex-M3, M4, M7, M55).

    python -m tinyir.backends.cortex_m.count ELF FUNCTION    # after build.py's ELF
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from tinyir.backends.cortex_m import build as cortex_m

PLUGIN_C = Path(__file__).resolve().parent / "insn_count.c"
OBJDUMP = "arm-none-eabi-objdump"
COUNT_FILE = "insn_count.txt"  # written by the plugin in QEMU's working directory


def plugin() -> Path:
    """insn_count.c as a shared library for qemu-system-arm's -plugin."""
    from tinyir.backends.c.host import cached_library

    flags = [cortex_m.HOST_CC, "-shared", "-fPIC", *cortex_m.CFLAGS]

    def build(folder: Path) -> Path:
        cortex_m._check([*flags, str(PLUGIN_C), "-o", str(folder / "insn_count.so")], "building the QEMU plugin")
        return folder / "insn_count.so"

    return cached_library("qemu-insn-count", flags, [PLUGIN_C], build, suffix=".so")


def _listing(elf: str | Path) -> str:
    return subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", str(elf)], capture_output=True, text=True, check=True).stdout


def _entry(listing: str, elf: str | Path, function: str) -> int:
    entry = re.search(rf"^([0-9a-f]+) <{re.escape(function)}>:$", listing, re.M)
    if entry is None:
        raise ValueError(f"{Path(elf).name}: no function {function}")
    return int(entry[1], 16)


def call_span(elf: str | Path, function: str, listing: str | None = None) -> tuple[int, int]:
    """(entry of `function`, the instruction after the one `bl` that calls it);
    `listing`: the ELF's disassembly, when the caller has it already."""
    listing = listing or _listing(elf)
    entry = _entry(listing, elf, function)
    instructions = re.findall(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$", listing, re.M)
    after = [
        int(instructions[i + 1][0], 16)
        for i, (_, mnemonic, operands) in enumerate(instructions[:-1])
        if mnemonic.startswith("bl") and operands.endswith(f"<{function}>")
    ]
    if len(after) != 1:
        raise ValueError(f"{Path(elf).name}: {function} is called from {len(after)} places, not one")
    return entry, after[0]


@dataclass(frozen=True)
class Counted:
    run: cortex_m.RunResult
    instructions: int  # from the function's entry to its return, over every call
    calls: int
    laps: tuple[int, ...] = ()  # with `lap`: the count cut where that function is entered


def count_call(
    elf: str | Path,
    function: str,
    inputs: Mapping[str, bytes] = {},
    outputs: Iterable[str] = (),
    timeout: float = 300.0,
    lap: str | None = None,
    cpu: str = cortex_m.RUN_CPU,
) -> Counted:
    """Run `elf` (built for `cpu`) in QEMU (`build.run`) counting the
    instructions `function` executes; with `lap`, also cut at each entry of
    that function."""
    listing = _listing(elf)
    start, end = call_span(elf, function, listing)
    spec = f"{plugin()},start={start:#x},end={end:#x},out={COUNT_FILE}"
    if lap is not None:
        spec += f",lap={_entry(listing, elf, lap):#x}"
    run = cortex_m.run(elf, inputs, [*outputs, COUNT_FILE], timeout, qemu_args=["-plugin", spec], cpu=cpu)
    lines = [line.split() for line in run.outputs.pop(COUNT_FILE, b"").decode().splitlines()]
    counts = {key: int(value) for key, value in lines if key != "lap"}
    if "insns" not in counts:
        raise RuntimeError(f"{Path(elf).name}: the QEMU plugin wrote no count (status {run.returncode})")
    laps = tuple(int(value) for key, value in lines if key == "lap")
    return Counted(run, counts["insns"], counts["intervals"], laps)


def count_invoke(built: cortex_m.ModelBuild, inputs: bytes, timeout: float = 300.0) -> Counted:
    """Run a `build_model` ELF on `inputs` (in.bin's bytes) and count its invoke;
    `.run.outputs["out.bin"]` holds the outputs' bytes. A `profile` build's
    count is cut where each op begins (`.laps`; see `per_op`)."""
    lap = "tinyir_op_mark" if built.profile else None
    function = f"tinyir_{built.ident}_invoke"
    return count_call(built.elf, function, {"in.bin": inputs}, ["out.bin"], timeout, lap, built.cpu)


@dataclass(frozen=True)
class OpCount:
    step: int  # the C's op number (op<step>); 0: the entry point's own (inputs copied in)
    op: str  # its IR name, e.g. tiny.conv_2d
    calls: int  # 1, or the tiles of its loop
    instructions: int  # all its calls', each from its TINYIR_OP_BEGIN to the next op's


def per_op(module, counted: Counted) -> list[OpCount]:
    """A `profile` build's count of invoke per op of `module` (the one it was
    built from). The last op's count includes copying the outputs out; the
    marks cost a call and a return each, so the sum exceeds an unprofiled count."""
    from tinyir.analysis.liveness import main_function
    from tinyir.backends.c.emitter import run_order

    order = run_order(main_function(module))
    if len(counted.laps) != len(order) + 1:
        raise ValueError(f"{len(counted.laps)} laps for {len(order)} op calls: not a profile build of this module")
    ops = {0: OpCount(0, "(entry)", 1, counted.laps[0])}
    for (step, op), instructions in zip(order, counted.laps[1:]):
        seen = ops.get(step, OpCount(step, op.name, 0, 0))
        ops[step] = OpCount(step, op.name, seen.calls + 1, seen.instructions + instructions)
    return sorted(ops.values(), key=lambda c: c.step)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tinyir.backends.cortex_m.count", description=__doc__.splitlines()[0])
    parser.add_argument("elf", type=Path)
    parser.add_argument("function", help="a function called from one place")
    parser.add_argument("--cpu", default=cortex_m.RUN_CPU, choices=list(cortex_m.BOARDS), help="the ELF's CPU")
    args = parser.parse_args(argv)
    try:
        counted = count_call(args.elf, args.function, cpu=args.cpu)
    except (ValueError, RuntimeError, TimeoutError, cortex_m.BuildError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{args.function}: {counted.instructions} instructions in {counted.calls} call(s); "
          f"program status {counted.run.returncode}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
