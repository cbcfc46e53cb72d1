"""Front-end speed: import + print + parse of the shared models, beside TFLite Micro.

    python bench/frontend_speed.py [--models DIR] [--repeat N] [MODEL_NAME ...]

For each model, in one run: tinyir's import (.tflite -> verified IR), print and
parse (text -> verified IR), and the reference executor's run; beside them
TensorFlow Lite Micro's model load (interpreter + arena planning) and invoke.
Times are the best of N runs, in milliseconds. The goal (issue #2): import +
print + parse of tflm_mobilenet_v2_pt_224_int8 under 2 s on a 2-core machine;
the last line times it as a user runs it, `tinyir-opt M | tinyir-opt`, process
start-up included.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import tinyir

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"


def best_of(repeat: int, fn):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def tflm_load(data: bytes):
    from tflite_micro.python.tflite_micro import runtime

    return runtime.Interpreter.from_bytes(data)


def measure(path: Path, repeat: int) -> dict[str, float]:
    data = path.read_bytes()
    t_import, module = best_of(repeat, lambda: tinyir.import_model(path))
    t_print, text = best_of(repeat, lambda: tinyir.print_ir(module))
    t_parse, _ = best_of(repeat, lambda: tinyir.parse_ir(text))
    inputs = tinyir.random_inputs(module)
    t_exec, _ = best_of(repeat, lambda: tinyir.execute(module, inputs))
    t_load, interpreter = best_of(repeat, lambda: tflm_load(data))
    for i, x in enumerate(inputs):
        interpreter.set_input(x, i)
    t_invoke, _ = best_of(repeat, interpreter.invoke)
    return {
        "import": t_import,
        "print": t_print,
        "parse": t_parse,
        "frontend": t_import + t_print + t_parse,
        "ir_mb": len(text) / 1e6,
        "execute": t_exec,
        "tflm_load": t_load,
        "tflm_invoke": t_invoke,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="model file names (default: all shared models)")
    p.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    paths = [args.models / n for n in args.names] or sorted(args.models.glob("*.tflite"))
    if not paths:
        raise SystemExit(f"no models in {args.models}")

    print(
        "| model | import | print | parse | **import+print+parse** | IR MB "
        "| tinyir execute | TFLM load | TFLM invoke | execute / TFLM invoke |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for path in paths:
        m = {k: v * 1000 for k, v in measure(path, args.repeat).items()}
        print(
            f"| {path.stem} | {m['import']:.0f} | {m['print']:.0f} | {m['parse']:.0f} "
            f"| **{m['frontend']:.0f}** | {m['ir_mb'] / 1000:.1f} | {m['execute']:.1f} "
            f"| {m['tflm_load']:.1f} | {m['tflm_invoke']:.1f} | {m['execute'] / m['tflm_invoke']:.2f} |",
            flush=True,
        )

    largest = max(paths, key=lambda p: p.stat().st_size)
    seconds, _ = best_of(args.repeat, lambda: command_line_round_trip(largest))
    print(f"\n`tinyir-opt {largest.name} | tinyir-opt`, processes included: {seconds:.2f} s")


def command_line_round_trip(model: Path) -> None:
    """tinyir-opt MODEL | tinyir-opt, as two processes, output discarded."""
    opt = [sys.executable, "-m", "tinyir.tools.opt"]
    first = subprocess.Popen([*opt, str(model)], stdout=subprocess.PIPE)
    subprocess.run(opt, stdin=first.stdout, stdout=subprocess.DEVNULL, check=True)
    first.stdout.close()
    if first.wait() != 0:
        raise SystemExit(f"tinyir-opt failed on {model}")


if __name__ == "__main__":
    main()
