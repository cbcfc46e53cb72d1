"""The C backend on Cortex-M4: flash, RAM and compile time per shared model, beside TFLM.

    python bench/c_backend.py [--models DIR] [--cpu CPU] [MODEL_NAME ...]

For each model, planned with `--mcpu CPU --fuse --arena-alloc` (default
cortex-m4), emitted as C and built by `tinyir.backends.cortex_m.build.build_model`
(the harness main, tinyir's kernels and CMSIS-NN: tinyir's host runtime, or
the checkout named by $CMSIS_NN; -O2, sections per function and object,
--gc-sections), the linker map says which object file put how many bytes where:

- weights: flash of the model's const arrays (.rodata of `<model>.o`: weights,
  biases, per-channel multipliers and shifts);
- code: the model's own code (.text of `<model>.o`: the invoke function, which
  fills the kernels' parameter structs and calls them), without weights and kernels;
- kernels: CMSIS-NN and tinyir's portable kernels, code and constants, for scale;
- ELF flash: all of it, with the harness, start-up code and newlib-nano;
- report flash: what `--report` says the model's flash is (constants and
  tables exact, code estimated), beside the weights + code measured;
- RAM: the model's static RAM (.data + .bss of `<model>.o`: the arena), the
  planned arena (`tiny.arena_size`) and the ELF's .data + .bss (the harness
  is zero-copy: it reads the input into the arena and writes the output from
  it, so this adds only startup's and newlib's state; heap and stack not counted);
- host compile: seconds for `gcc -O2 -Wall -Wextra -Werror -c <model>.c` on this machine.

The peer, TensorFlow Lite Micro: its arena total from
../shared/models/BASELINES.tsv (`tflm_arena_total`: activations and the
interpreter's persistent data, all the RAM it needs for the model) against the
model's RAM here; and the .tflite flatbuffer, which TFLM keeps in flash, against
weights + code here (TFLM's interpreter and kernels come on top of it, as the
kernels do here). Ratios are TFLM / tinyir: above 1, tinyir is smaller.
"""

from __future__ import annotations

import argparse
import csv
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tinyir
from tinyir.backends.cortex_m import build as cortex_m

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"


def tflm_baselines(models: Path) -> dict[str, dict[str, str]]:
    """BASELINES.tsv's rows by model name ({} when absent)."""
    path = models / "BASELINES.tsv"
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        return {Path(row["file"]).stem: row for row in csv.DictReader(f, delimiter="\t")}


def host_compile_seconds(built: cortex_m.ModelBuild) -> float:
    source = built.sources[1]  # <model>.c
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [cortex_m.HOST_CC, *cortex_m.CFLAGS, *(f"-I{d}" for d in built.include_dirs)]
        start = time.perf_counter()
        subprocess.run([*cmd, "-c", str(source), "-o", f"{tmp}/model.o"], check=True)
        return time.perf_counter() - start


def measure(path: Path, cpu: str, work: Path) -> dict:
    module = tinyir.run_pipeline(tinyir.import_model(path, mcpu=cpu), "fuse,arena-alloc")
    built = cortex_m.build_model(module, work / path.stem, path.stem, cpu, in_place=True)
    parts = cortex_m.map_sizes(built.map_file)
    ours = str(built.model_object)
    tinyir_kernels = next(str(o) for o in built.objects if o.name.endswith("_tinyir_kernels.o"))
    kernels = (tinyir_kernels, f"{built.library}(")  # and the CMSIS-NN library's members

    def bytes_of(sections: tuple[str, ...], objects) -> int:
        return sum(n for (section, obj), n in parts.items() if section in sections and obj.startswith(objects))

    sizes = cortex_m.elf_sizes(built.elf)
    return {
        "model": path.stem,
        "arena": built.arena,
        "weights": bytes_of((".rodata",), ours),
        "code": bytes_of((".text", ".ARM.exidx", ".ARM.extab"), ours),
        "kernels": bytes_of((".text", ".ARM.exidx", ".ARM.extab", ".rodata"), kernels),
        "flash": sizes.flash,
        "report_flash": tinyir.memory_report(module)["flash"]["total"],
        "model_ram": bytes_of((".data", ".bss"), ours),
        "elf_ram": sizes.data + sizes.bss,
        "compile_s": host_compile_seconds(built),
        "tflite": path.stat().st_size,
        "cmsis_nn": built.cmsis_nn.kind,
    }


def ratio(peer: int | None, ours: int) -> float | None:
    return peer / ours if peer and ours else None


def cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def geomean(values: list[float]) -> float | None:
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="model file names (default: all shared models)")
    p.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    p.add_argument("--cpu", default=cortex_m.RUN_CPU, choices=list(cortex_m.CPU_FLAGS))
    args = p.parse_args()
    paths = [args.models / n for n in args.names] or sorted(args.models.glob("*.tflite"))
    if not paths:
        raise SystemExit(f"no models in {args.models}")
    if cortex_m.missing_tools():
        raise SystemExit(f"not on PATH: {', '.join(cortex_m.missing_tools())}")
    baselines = tflm_baselines(args.models)

    print(f"Bytes, --mcpu {args.cpu} --fuse --arena-alloc. weights / code: the model's .rodata / .text;")
    print("kernels: CMSIS-NN + tinyir's kernels; model RAM: the model's .data + .bss; ELF RAM: .data + .bss of the")
    print("whole program. TFLM arena: tflm_arena_total of BASELINES.tsv; TFLM flash: the .tflite flatbuffer.\n")
    print(
        "| model | weights | code | report flash | kernels | ELF flash | TFLM flatbuffer | flatbuffer / (weights + code) "
        "| planned arena | model RAM | ELF RAM | TFLM arena | TFLM arena / model RAM | host compile s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    kinds, flash_ratios, ram_ratios = set(), [], []
    with tempfile.TemporaryDirectory(prefix="tinyir-bench-") as tmp:
        for path in paths:
            r = measure(path, args.cpu, Path(tmp))
            kinds.add(r["cmsis_nn"])
            tflm = baselines.get(r["model"], {}).get("tflm_arena_total")
            tflm = int(tflm) if tflm else None
            flash_ratio, ram_ratio = ratio(r["tflite"], r["weights"] + r["code"]), ratio(tflm, r["model_ram"])
            flash_ratios += [flash_ratio] if flash_ratio else []
            ram_ratios += [ram_ratio] if ram_ratio else []
            print(
                f"| {r['model']} | {r['weights']} | {r['code']} | {r['report_flash']} | {r['kernels']} | {r['flash']} "
                f"| {r['tflite']} "
                f"| {cell(flash_ratio)} | {r['arena']} | {r['model_ram']} | {r['elf_ram']} | {tflm or 'n/a'} "
                f"| {cell(ram_ratio)} | {r['compile_s']:.2f} |",
                flush=True,
            )
    print(f"\nGeometric means: flatbuffer / (weights + code) {cell(geomean(flash_ratios))} over {len(flash_ratios)} "
          f"models; TFLM arena / model RAM {cell(geomean(ram_ratios))} over {len(ram_ratios)} models.")  # fmt: skip
    print(f"CMSIS-NN: {', '.join(sorted(kinds))} (sources.py: $CMSIS_NN names a checkout, else the host runtime)")


if __name__ == "__main__":
    sys.exit(main())
