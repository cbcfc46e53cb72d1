"""SRAM: tinyir's arena beside TensorFlow Lite Micro's, on the shared models.

    python bench/memory.py [--models DIR] [--pipeline P ...] [MODEL_NAME ...]

For each model, in one run:

- TFLM: the smallest `arena_size` with which TFLite Micro's Python
  interpreter (`Interpreter.from_bytes(data, arena_size=N)`) builds and
  invokes the model, found by binary search; beside it what the interpreter's
  own `print_allocations()` reports after an invoke with a roomy arena: the
  total, the "head" (the planned activation tensors) and the "tail"
  (persistent data: tensor structs, quantization, kernels' buffers).
- tinyir, for each pipeline (default `arena-alloc`, `fuse,arena-alloc`,
  `fuse,reorder,arena-alloc`, the same with in-place depthwise,
  `fuse,partial-exec,reorder,arena-alloc` (the default: the least peak within
  2% more predicted instructions) and the same with `max-slowdown=0` (the
  least peak, whatever it costs)): the arena (`tiny.arena_size`), the
  lower bound (liveness peak of the final schedule, scratch buffers included),
  TFLM's minimal arena over tinyir's, the MACs over the imported model's, and
  the time of the passes. A pipeline that fails shows `n/a`; the reasons are
  listed below.

With the streamed pipeline in the list, a second table sets it beside
F+P+R+A: the arena, and the instructions of invoke on Cortex-M4 counted in
QEMU (both builds copy the image in once: the unstreamed one whole, the
streamed one row by row as its read_rows asks; `--no-m4` skips counting).

With partial execution in the list, also the time per invoke of its
generated C on the host over the unsplit `fuse,reorder,arena-alloc`'s
(bench/partial_exec_speed.py measures it; `--no-c-time` skips it).

Last, the geometric mean of TFLM / tinyir over the five hanlab_* models and
tflm_mobilenet_v2_pt_224_int8 for each pipeline. Targets: >= 1.6 with
fuse,reorder,arena-alloc (issue #3); tinyir <= TFLM on every model with
arena-alloc alone; >= 4.0 with partial execution at MAC ratio 1.000, never
worse than the best pipeline without it (issue #5).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import tinyir
from tinyir.analysis.liveness import analyze
from tinyir.analysis.macs import format_macs, module_macs
from tinyir.report.memory import arena_size

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
INPLACE_DW = "fuse,reorder,arena-alloc{inplace-depthwise=true}"
PARTIAL_EXEC = "fuse,partial-exec,reorder,arena-alloc"
LEAST_PEAK = "fuse,partial-exec{max-slowdown=0},reorder,arena-alloc"  # whatever it costs
STREAMED = "fuse,partial-exec{stream-input=true},reorder,arena-alloc"  # the input read by rows
PIPELINES = ("arena-alloc", "fuse,arena-alloc", "fuse,reorder,arena-alloc", INPLACE_DW, PARTIAL_EXEC, LEAST_PEAK, STREAMED)
LABELS = {
    "arena-alloc": "A",
    "fuse,arena-alloc": "F+A",
    "fuse,reorder,arena-alloc": "F+R+A",
    INPLACE_DW: "F+R+A+dw",
    PARTIAL_EXEC: "F+P+R+A",
    LEAST_PEAK: "F+P0+R+A",
    STREAMED: "F+Ps+R+A",
}
GEOMEAN_MODELS = (
    "hanlab_mbv2-w0.35-r144_imagenet",
    "hanlab_mcunet-10fps_imagenet",
    "hanlab_mcunet-320kb-1mb_imagenet",
    "hanlab_mcunet-5fps_vww",
    "hanlab_proxyless-w0.3-r176_imagenet",
    "tflm_mobilenet_v2_pt_224_int8",
)


# ---------------------------------------------------------------------------
# TensorFlow Lite Micro
# ---------------------------------------------------------------------------


@contextmanager
def captured_stderr():
    """Capture what C++ writes to file descriptor 2 (TFLM's reports and errors)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        text: list[str] = []
        try:
            yield text
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            text.append(tmp.read().decode(errors="replace"))


def tflm_worker(model: Path) -> None:
    """`--tflm-worker MODEL`: answer TFLM probes read from stdin, one a line.

    `run SIZE INVOKE` -> `ok` or `fail`: does the interpreter build (and with
    INVOKE=1 invoke) the model in an arena of SIZE bytes; `allocations SIZE`
    -> JSON of print_allocations() after an invoke. TFLM itself sometimes
    crashes on an arena that is too small (a segmentation fault in a failed
    prepare), which is why probes run in this separate process.
    """
    import json

    from tflite_micro.python.tflite_micro import runtime

    data = model.read_bytes()
    inputs = tinyir.random_inputs(tinyir.import_model(data, format="tflite"))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # TFLM's complaints about small arenas
    for line in sys.stdin:
        command, size, *rest = line.split()
        try:
            interpreter = runtime.Interpreter.from_bytes(data, arena_size=int(size))
            if command == "allocations" or rest == ["1"]:
                for i, x in enumerate(inputs):
                    interpreter.set_input(x, i)
                interpreter.invoke()
        except RuntimeError:
            print("fail", flush=True)
            continue
        if command == "allocations":
            with captured_stderr() as text:
                interpreter.print_allocations()
            found = re.findall(r"Arena allocation (total|head|tail) (\d+) bytes", text[0])
            print(json.dumps({k: int(v) for k, v in found}), flush=True)
        else:
            print("ok", flush=True)


class Tflm:
    """TFLite Micro on one model, in a worker process restarted when it crashes."""

    def __init__(self, model: Path):
        self.model = model
        self.worker = None

    def ask(self, command: str) -> str:
        import subprocess

        if self.worker is None:
            self.worker = subprocess.Popen(
                [sys.executable, __file__, "--tflm-worker", str(self.model)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
        try:
            self.worker.stdin.write(command + "\n")
            self.worker.stdin.flush()
            answer = self.worker.stdout.readline().strip()
        except BrokenPipeError:
            answer = ""
        if not answer:  # the worker crashed on this arena: it does not fit
            self.close()
            return "crash"
        return answer

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stdin.close()
            self.worker.wait()
            self.worker = None

    def runs(self, size: int, invoke: bool) -> bool:
        return self.ask(f"run {size} {int(invoke)}") == "ok"

    def allocations(self) -> dict[str, int]:
        """print_allocations() after an invoke in a roomy arena: total, head, tail."""
        import json

        size = max(16 << 20, 10 * self.model.stat().st_size)
        answer = self.ask(f"allocations {size}")
        if not answer.startswith("{"):
            raise SystemExit(f"TFLM cannot run {self.model.name} even in {size} bytes")
        return json.loads(answer)

    def min_arena(self, hint: int) -> int:
        """The smallest arena TFLM builds and invokes the model in (binary search).

        Building is where TFLM plans and allocates; invoke allocates nothing
        more. So the search only builds, and the minimum found is then invoked
        (and searched again with invokes, should that ever fail).
        """

        def search(invoke: bool) -> int:
            lo, hi = 0, max(hint, 1024)  # lo fails, hi fits
            while not self.runs(hi, invoke):
                lo, hi = hi, hi * 2
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if self.runs(mid, invoke):
                    hi = mid
                else:
                    lo = mid
            return hi

        size = search(invoke=False)
        if not self.runs(size, invoke=True):
            size = search(invoke=True)
        return size


# ---------------------------------------------------------------------------
# tinyir
# ---------------------------------------------------------------------------


def tinyir_arena(data: bytes, pipeline: str) -> dict:
    """Arena, lower bound and pass time of one pipeline; `error` when it fails."""
    module = tinyir.import_model(data, format="tflite")
    start = time.perf_counter()
    try:
        tinyir.run_pipeline(module, pipeline)
    except Exception as e:  # noqa: BLE001 (a pass not landed yet, or a bug: report it, go on)
        return {"error": f"{type(e).__name__}: {e}".splitlines()[0]}
    seconds = time.perf_counter() - start
    return {"arena": arena_size(module), "bound": analyze(module).peak, "ms": seconds * 1000, "macs": module_macs(module)}


def measure(path: Path, pipelines: list[str]) -> dict:
    data = path.read_bytes()
    module = tinyir.import_model(data, format="tflite")
    tflm = Tflm(path)
    try:
        allocations = tflm.allocations()
        tflm_min = tflm.min_arena(allocations.get("total", 1 << 16))
    finally:
        tflm.close()
    return {
        "model": path.stem,
        "macs": module_macs(module),
        "peak": analyze(module).peak,
        "tflm_min": tflm_min,
        **{f"tflm_{k}": v for k, v in allocations.items()},
        "tinyir": {p: tinyir_arena(data, p) for p in pipelines},
    }


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def cell(value, fmt: str = "{}") -> str:
    return "n/a" if value is None else fmt.format(value)


def ratio(tflm: int, arena: int | None) -> float | None:
    return tflm / arena if arena else None


def geomean(values: list[float | None]) -> float | None:
    if not values or any(v is None for v in values):
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main() -> None:
    if sys.argv[1:2] == ["--tflm-worker"]:
        return tflm_worker(Path(sys.argv[2]))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="model file names (default: all shared models)")
    p.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    p.add_argument("--no-c-time", action="store_true", help="skip timing the split model's generated C on the host")
    p.add_argument("--no-m4", action="store_true", help="skip counting the streamed pipeline's instructions in QEMU")
    p.add_argument(
        "--pipeline", action="append", dest="pipelines", metavar="P",
        help=f"a tinyir pipeline to measure (repeatable; default: {'; '.join(PIPELINES)})",
    )
    args = p.parse_args()
    paths = [args.models / n for n in args.names] or sorted(args.models.glob("*.tflite"))
    if not paths:
        raise SystemExit(f"no models in {args.models}")
    pipelines = args.pipelines or list(PIPELINES)
    label = {pl: LABELS.get(pl, pl) for pl in pipelines}

    print("Bytes. TFLM min: smallest arena_size that builds and invokes (binary search); total/head/tail:")
    print("print_allocations() in a roomy arena. Bound: liveness peak after the pipeline (with scratch).")
    print("ratio: TFLM min / tinyir arena. ms: the passes. " + ", ".join(f"{v} = {k}" for k, v in label.items()) + ".\n")
    head = "| model | MACs | TFLM min | TFLM total | TFLM head | TFLM tail | live peak as imported |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    for pl in pipelines:
        n = label[pl]
        head += f" {n} arena | {n} bound | {n} ratio | {n} MAC ratio | {n} ms |"
        rule += "---:|---:|---:|---:|---:|"
    c_time = PARTIAL_EXEC in pipelines and not args.no_c_time
    if c_time:
        head += " C time split / unsplit |"
        rule += "---:|"
    print(head)
    print(rule, flush=True)

    results = []
    for path in paths:
        r = measure(path, pipelines)
        results.append(r)
        row = (
            f"| {r['model']} | {format_macs(r['macs'])} | {r['tflm_min']} | {cell(r.get('tflm_total'))} "
            f"| {cell(r.get('tflm_head'))} | {cell(r.get('tflm_tail'))} | {r['peak']} |"
        )
        for pl in pipelines:
            t = r["tinyir"][pl]
            if "error" in t:
                row += " n/a | n/a | n/a | n/a | n/a |"
                continue
            flag = " (!)" if t["arena"] is not None and t["arena"] < t["bound"] else ""
            row += (
                f" {cell(t['arena'])}{flag} | {t['bound']} | {cell(ratio(r['tflm_min'], t['arena']), '{:.2f}')} "
                f"| {t['macs'] / r['macs'] if r['macs'] else 1:.3f} | {t['ms']:.0f} |"
            )
        if c_time:
            from partial_exec_speed import measure as time_c  # bench/, beside this script

            unsplit, split, _ = time_c(path, seconds=0.2, rounds=5)
            r["c_time"] = split / unsplit if unsplit else 1.0
            row += f" {r['c_time']:.3f} |"
        print(row, flush=True)

    chosen = [r for r in results if r["model"] in GEOMEAN_MODELS]
    print(f"\nGeometric mean of TFLM min / tinyir arena over {len(chosen)} model(s) ({', '.join(r['model'] for r in chosen)}):")
    for pl in pipelines:
        arenas = [r["tinyir"][pl].get("arena") for r in chosen]
        by_min = geomean([ratio(r["tflm_min"], a) for r, a in zip(chosen, arenas)])
        by_head = geomean([ratio(r.get("tflm_head", 0), a) for r, a in zip(chosen, arenas)])
        everywhere = geomean([ratio(r["tflm_min"], r["tinyir"][pl].get("arena")) for r in results])
        print(
            f"- {pl}: {cell(by_min, '{:.2f}')} (TFLM head / tinyir: {cell(by_head, '{:.2f}')}; "
            f"all {len(results)} models: {cell(everywhere, '{:.2f}')})"
        )
    if "arena-alloc" in pipelines:
        arenas = {r["model"]: (r["tinyir"]["arena-alloc"].get("arena"), r["tflm_min"]) for r in results}
        over = [m for m, (a, t) in arenas.items() if a is not None and a > t]
        missing = [m for m, (a, _) in arenas.items() if a is None]
        verdict = "no: " + ", ".join(over) if over else "n/a (no arena)" if missing else "yes"
        print(f"- tinyir arena <= TFLM min on every model with arena-alloc alone: {verdict}")

    split = [pl for pl in pipelines if "partial-exec" in pl]
    others = [pl for pl in pipelines if "partial-exec" not in pl]
    for pl in split:
        worse = [
            r["model"] for r in results
            if (a := r["tinyir"][pl].get("arena")) is not None
            and a > min((r["tinyir"][o].get("arena") or a for o in others), default=a)
        ]
        print(f"- {label[pl]} never worse than the best pipeline without partial execution: "
              + ("yes" if not worse else "no: " + ", ".join(worse)))
    if c_time:
        slow = [f"{r['model']} ({r['c_time']:.3f})" for r in results if r["c_time"] > 1.10]
        print(f"- generated C split / unsplit on the host: geomean {geomean([r['c_time'] for r in results]):.3f}, "
              + ("all within 10 %" if not slow else "over 10 %: " + ", ".join(slow)))

    if STREAMED in pipelines and PARTIAL_EXEC in pipelines:
        stream_table(paths, results, count=not args.no_m4)

    reasons = sorted({f"{pl}: {t['error']}" for r in results for pl, t in r["tinyir"].items() if "error" in t})
    if reasons:
        print("\nn/a:")
        for reason in reasons:
            print(f"- {reason}")
    low = [f"{r['model']} ({pl})" for r in results for pl, t in r["tinyir"].items()
           if t.get("arena") is not None and t["arena"] < t["bound"]]
    if low:
        print("\n(!) arena below the liveness bound, an allocator bug: " + ", ".join(low))


def m4_instructions(path: Path, pipeline: str, work: Path) -> tuple[int, bytes]:
    """Instructions of the copying invoke on Cortex-M4 in QEMU, and its output bytes."""
    from tinyir.backends.cortex_m import build as cortex_m
    from tinyir.backends.cortex_m.count import count_invoke

    module = tinyir.run_pipeline(tinyir.import_model(path, mcpu=cortex_m.RUN_CPU), pipeline)
    built = cortex_m.build_model(module, work, path.stem, cortex_m.RUN_CPU)
    inputs = b"".join(x.tobytes() for x in tinyir.random_inputs(module, seed=0))
    counted = count_invoke(built, inputs)
    return counted.instructions, counted.run.outputs["out.bin"]


def stream_table(paths: list[Path], results: list[dict], count: bool) -> None:
    print(f"\nStreamed input ({STREAMED}) beside {PARTIAL_EXEC}: arena, and instructions of invoke on Cortex-M4")
    print("(QEMU, the project's CMSIS-NN build; `same` = both outputs equal to the bit).\n")
    print("| model | arena | streamed arena | arena ratio | M4 instructions | streamed | instructions ratio | same |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    grown = []
    for path, r in zip(paths, results):
        whole, streamed = r["tinyir"][PARTIAL_EXEC], r["tinyir"][STREAMED]
        if "error" in streamed or "error" in whole:
            print(f"| {r['model']} | {cell(whole.get('arena'))} | n/a | n/a | n/a | n/a | n/a | |")
            continue
        if streamed["arena"] > whole["arena"]:
            grown.append(r["model"])
        row = f"| {r['model']} | {whole['arena']} | {streamed['arena']} | {whole['arena'] / streamed['arena']:.2f} |"
        if count:
            with tempfile.TemporaryDirectory() as tmp:
                n_whole, out_whole = m4_instructions(path, PARTIAL_EXEC, Path(tmp) / "whole")
                n_stream, out_stream = m4_instructions(path, STREAMED, Path(tmp) / "stream")
            row += f" {n_whole} | {n_stream} | {n_stream / n_whole:.3f} | {'yes' if out_whole == out_stream else 'NO'} |"
        else:
            row += " | | | |"
        print(row, flush=True)
    print(f"- streamed arena never larger: {'yes' if not grown else 'no: ' + ', '.join(grown)}")


if __name__ == "__main__":
    main()
