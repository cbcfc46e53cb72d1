"""tinyir-opt: read a model (.tflite, .onnx) or tiny IR (.mlir), apply passes, print IR.

    tinyir-opt model.tflite                      # import and print
    tinyir-opt model.tflite | tinyir-opt         # IR round-trips through text
    tinyir-opt model.onnx --quantize calib.npz   # a float ONNX model, made int8 by onnxruntime
    tinyir-opt in.mlir --strip-names -o out.mlir
    tinyir-opt model.tflite --fuse --arena-alloc --report -          # memory table, no IR
    tinyir-opt model.tflite --resources [--max-arena N]             # JSON: arena, flash, MACs, bottleneck
    tinyir-opt model.tflite --arena-alloc --report r.json --report-plot r.png -o out.mlir
    tinyir-opt model.tflite --fuse --arena-alloc -t c -o out/          # C: out/model.h, out/model.c, runtime
    tinyir-opt model.tflite --mcpu cortex-m55 --fuse --partial-exec --reorder --arena-alloc -t c -o out/
    tinyir-opt model.mlir -t 'c{model=kws arena=external}'             # both C files on stdout

`-t c` (the C backend, tinyir.backends.c) needs allocated IR. With
`-o DIR` it writes `<model>.h`, `<model>.c` and tinyir's portable kernels
(tinyir_kernels.h/.c, tinyir_tiles.h/.c) into the directory DIR; without -o both files go to
stdout, each after a `/* ===== <file> ===== */` line. The model's C name is
the input file's stem unless `c{model=NAME}` gives one.
"""

from __future__ import annotations

import argparse
import sys

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from tinyir import api
from tinyir.errors import TinyIRError, one_line
from tinyir.tools.common import (
    add_import_arguments,
    add_pass_arguments,
    add_report_arguments,
    add_target_argument,
    check_report_arguments,
    check_target_argument,
    new_parser,
    pipeline_of,
    run_tool,
    wants_report,
    write_reports,
)

SPLIT_MARKER = "// -----"


def parser() -> argparse.ArgumentParser:
    p = new_parser("tinyir-opt", __doc__.splitlines()[0])
    p.add_argument("input", nargs="?", default="-", help="a .tflite, .onnx or .mlir file; '-' or nothing reads IR from stdin")
    p.add_argument(
        "-o", "--output", default="-", help="where to write the IR (default: stdout); with -t c, a directory"
    )
    p.add_argument(
        "-t",
        "--target",
        default="mlir",
        metavar="TARGET",
        help="what to write: 'mlir' (the IR, default) or 'c' (C calling CMSIS-NN; options "
        "c{model=NAME arena=static|external}; needs --arena-alloc)",
    )
    add_target_argument(p)
    p.add_argument(
        "--max-arena",
        type=int,
        metavar="BYTES",
        help="the SRAM the model may use: fail (exit 1) when the arena after the passes is larger; "
        "needs --arena-alloc",
    )
    p.add_argument(
        "--resources",
        action="store_true",
        help="print, as JSON, what the model needs after the default pipeline (fuse, partial-exec, reorder, "
        "arena-alloc; with --max-arena, partial-exec fits it): arena, its lower bound, flash, MACs, predicted "
        "instructions and the bottleneck (tinyir.resources); takes no passes",
    )
    p.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass, to stderr")
    p.add_argument(
        "--split-input-file",
        action="store_true",
        help=f"treat each '{SPLIT_MARKER}'-separated chunk of .mlir input as its own module",
    )
    add_import_arguments(p)
    add_pass_arguments(p)
    add_report_arguments(p)
    return p


def _read_inputs(args: argparse.Namespace) -> list[tuple[str, ModuleOp | str]]:
    """(name, module-or-text) for each input chunk; text is parsed later, per chunk."""
    if args.quantize is not None and (args.input == "-" or api.format_of(args.input) == "mlir"):
        raise TinyIRError("--quantize takes a float .onnx model, not IR")
    if args.input == "-":
        return [("<stdin>", sys.stdin.read())]
    if api.format_of(args.input) != "mlir":
        return [(args.input, api.import_model(args.input, quantize=args.quantize, batch=args.batch))]
    return [(args.input, api.decode_ir(api.read_file(args.input), args.input))]


def _process(name: str, source: ModuleOp | str, args: argparse.Namespace) -> tuple[str, dict | None]:
    """The IR text after the passes ("" when nobody reads it) and the memory report, if asked for."""
    module = api.parse_ir(source, name=name) if isinstance(source, str) else source
    if args.mcpu is not None:
        api.set_target_cpu(module, args.mcpu)
    if args.resources:
        import json

        from tinyir.report.resources import resources

        found = resources(module, sram_budget=args.max_arena)
        if args.max_arena is not None:
            _check_arena_fits(found.arena_bytes, args.max_arena, True)
        return json.dumps(found.as_dict(), indent=2) + "\n", None
    imported = module.clone() if args.report_sensitivity else None
    # The baseline is the module as it came in: its report, taken before the passes run.
    baseline = api.memory_report(module) if wants_report(args) else None

    fronts = []  # partial-exec's trade-off, taken just before it runs (--report-pareto)

    def between(previous: ModulePass | None, module: ModuleOp, next: ModulePass | None) -> None:
        if args.report_pareto is not None and next is not None and next.name == "partial-exec":
            fronts.append(next.front(module))
        if previous is not None and args.print_ir_after_all:
            print(f"// -----// IR after {previous.name} //----- //", file=sys.stderr)
            print(api.print_ir(module), file=sys.stderr)

    pipeline = pipeline_of(args)
    api.run_pipeline(module, pipeline, between)
    if args.max_arena is not None:
        from tinyir.analysis.arena import arena_size

        _check_arena_fits(arena_size(module), args.max_arena, "partial-exec" in pipeline)
    if args.report_pareto is not None:
        _plot_pareto(module, fronts, args.report_pareto, name)
    report = None
    if baseline is not None:
        report = {"source": name, **api.memory_report(module, baseline=baseline)}
        if imported is not None:
            from tinyir.report.resources import layer_sensitivity

            report["sensitivity"] = layer_sensitivity(imported, pipeline=pipeline)
    if args.target != "mlir":
        return _emit_target(name, module, args), report
    # `--report -` puts the table on stdout in place of the IR, unless -o takes the IR.
    ir_wanted = not (args.report == "-" and args.output == "-")
    return (api.print_ir(module) if ir_wanted else ""), report


def _plot_pareto(module: ModuleOp, fronts: list, path: str, name: str) -> None:
    from pathlib import Path

    from tinyir.analysis import liveness
    from tinyir.analysis.arena import lower_bound
    from tinyir.analysis.cost import module_cost
    from tinyir.analysis.target import family_of, target_cpu
    from tinyir.report.plot import plot_pareto

    peak = lower_bound(module) or liveness.analyze_block(liveness.main_function(module).body.block).peak
    chosen = (peak, module_cost(module, family_of(target_cpu(module))))
    front, unsplit = fronts[-1]
    plot_pareto(front, unsplit, chosen, path, title=Path(name).stem)


def _check_arena_fits(arena: int | None, max_arena: int, partial_exec: bool) -> None:
    """Refuse an arena (None: the module has none) larger than --max-arena."""
    if arena is None:
        raise TinyIRError("--max-arena: the module has no arena (add --arena-alloc)")
    if arena > max_arena:
        hint = "" if partial_exec else " (--partial-exec may fit it)"
        raise TinyIRError(f"the arena is {arena} B, {arena - max_arena} B over --max-arena {max_arena} B{hint}")


def _c_target(spec: str, input_name: str):
    """The `-t c{...}` target, naming the model after the input file unless told."""
    import dataclasses
    from pathlib import Path

    from xdsl.utils.arg_spec import parse_spec
    from xdsl.utils.exceptions import ArgSpecParseError

    from tinyir.backends.c import CTarget, c_identifier

    try:
        parsed = parse_spec(spec)
        if parsed.name != "c":
            raise TinyIRError(f"unknown target '{parsed.name}' (choices: mlir, c)")
        target = CTarget.from_spec(parsed)
    except (ValueError, ArgSpecParseError) as e:
        reason = " ".join(line.strip() for line in str(e).splitlines() if line.strip())
        raise TinyIRError(f"target '{spec}': {reason}") from None
    if "model" not in parsed.normalize_parameter_names().parameters and input_name not in ("-", "<stdin>"):
        target = dataclasses.replace(target, model=c_identifier(Path(input_name).stem))
    return target


def _emit_target(name: str, module: ModuleOp, args: argparse.Namespace) -> str:
    """`-t c`: the C files written into the -o directory (returns ""), or their text for stdout."""
    import dataclasses
    from io import StringIO

    target = _c_target(args.target, name)
    if args.output != "-":
        target = dataclasses.replace(target, out=args.output)
    out = StringIO()
    target.emit(api.context(), module, out)
    return out.getvalue()


@run_tool
def main() -> int:
    p = parser()
    args = p.parse_args()
    if args.input == "-" and sys.stdin.isatty():  # nothing piped in: say how to use it, don't wait
        p.print_usage(sys.stderr)
        print("tinyir-opt: give a model or IR file, or pipe IR into stdin (--help for more)", file=sys.stderr)
        return 1
    check_target_argument(args)
    if args.max_arena is not None and args.max_arena < 1:
        raise TinyIRError(f"--max-arena must be a number of bytes >= 1, got {args.max_arena}")
    passes = api.build_pipeline(pipeline_of(args)).passes  # a bad pass option fails before any work
    if args.report_pareto is not None and not any(p.name == "partial-exec" for p in passes):
        raise TinyIRError("--report-pareto needs --partial-exec in the pipeline")
    check_report_arguments(args)
    if args.resources and (passes or args.target != "mlir" or wants_report(args)):
        raise TinyIRError("--resources runs the default pipeline itself: give it no passes, -t or --report")
    if args.split_input_file and (wants_report(args) or args.report_pareto):
        raise TinyIRError("--report and --report-plot need one module, not --split-input-file")
    if args.target != "mlir":
        _c_target(args.target, "-")  # a bad target fails before any work
        if args.split_input_file:
            raise TinyIRError("-t c needs one module, not --split-input-file")
    inputs = _read_inputs(args)
    if args.split_input_file:
        name, text = inputs[0]
        if not isinstance(text, str):
            raise TinyIRError("--split-input-file needs .mlir input")
        # Keep line numbers of later chunks right by padding with the lines before.
        chunks, offset = [], 0
        for chunk in text.split(SPLIT_MARKER):
            chunks.append((name, "\n" * offset + chunk))
            offset += chunk.count("\n")
        inputs = chunks

    outputs: list[str] = []
    report = None
    failed = False
    for name, source in inputs:
        try:
            text, report = _process(name, source, args)
            outputs.append(text)
        except TinyIRError as e:
            if not args.split_input_file:
                raise
            print(f"error: {one_line(str(e))}", file=sys.stderr)
            failed = True
    text = f"{SPLIT_MARKER}\n".join(outputs)
    if args.output != "-" and args.target != "mlir":
        pass  # the target wrote its files into the -o directory
    elif args.output != "-":
        try:
            with open(args.output, "w") as f:
                f.write(text)
        except OSError as e:
            raise TinyIRError(f"cannot write {args.output}: {e.strerror}") from None
    elif args.report != "-":  # `--report -` without -o: the table takes stdout's place
        sys.stdout.write(text)
    if report is not None:
        write_reports(args, report)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
