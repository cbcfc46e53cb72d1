"""What tinyir-opt and tinyir-run share: pass flags, --mcpu, --help, --version
and one-line errors."""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable

from tinyir.api import available_passes
from tinyir.errors import TinyIRError, one_line, stage_of


class HelpFormatter(argparse.HelpFormatter):
    """argparse's, keeping the line breaks of a help text (a pass's option
    list) and indenting a wrapped line under its own first line."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)

    def _split_lines(self, text: str, width: int) -> list[str]:
        lines = []
        for line in text.splitlines():
            indent = " " * (len(line) - len(line.lstrip()) + 2 * (line.lstrip() != line))
            lines += textwrap.wrap(line, width, subsequent_indent=indent) or [""]
        return lines


class ArgumentParser(argparse.ArgumentParser):
    """argparse's, with a bad command line as one `error:` line (exit status
    1, as any bad input) instead of the usage block."""

    def error(self, message: str):
        raise TinyIRError(f"{self.prog}: {message} (see {self.prog} --help)")


def new_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A tool's parser, with --version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("tinyir")
    except PackageNotFoundError:  # run from a checkout that was never installed
        number = "unknown"
    p = ArgumentParser(prog=prog, description=description, formatter_class=HelpFormatter)
    p.add_argument("--version", action="version", version=f"%(prog)s {number} (xDSL {version('xdsl')})")
    p.add_argument(
        "--traceback", action="store_true", help="on an internal error, print Python's traceback (for a bug report)"
    )
    return p


def add_target_argument(parser: argparse.ArgumentParser) -> None:
    """`--mcpu CPU`: the target, recorded on the module for every pass and the backend."""
    from tinyir.analysis.target import CPUS, DEFAULT_CPU

    parser.add_argument(
        "--mcpu",
        metavar="CPU",
        help=f"the CPU to compile for: {', '.join(CPUS)} (default {DEFAULT_CPU}). Recorded on the module "
        "(tiny.target_cpu); partial-exec weighs and arena-alloc sizes CMSIS-NN scratch for it, and the C "
        "backend builds for it",
    )


def check_target_argument(args: argparse.Namespace) -> None:
    """Refuse an unknown --mcpu before any work is done."""
    from tinyir.analysis.target import cpu_named

    if args.mcpu is not None:
        try:
            cpu_named(args.mcpu)
        except ValueError as e:
            raise TinyIRError(f"--mcpu: {e}") from None


def pass_help(pass_class) -> str:
    """A pass flag's help: the first line of its docstring, then one line per
    option (kebab-case name, type, default, choices) and its docstring."""
    from tinyir.passes import pass_options

    doc = (pass_class.__doc__ or "").strip().splitlines()
    lines = [doc[0] if doc else ""]
    for o in pass_options(pass_class):
        facts = [f"default {o.default}" if o.default else "default: none"]
        if o.choices:
            facts.append(f"choices: {', '.join(o.choices)}")
        if o.range:
            facts.append(f"range {o.range[0]}..{o.range[1]}")
        lines.append(f"  {o.name}={o.type.upper()} ({'; '.join(facts)}) {o.doc}".rstrip())
    return "\n".join(lines)

_PLAIN_VALUE = re.compile(r'-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|[A-Za-z_][A-Za-z0-9_-]*|".*"')


def quote_option_values(options: str) -> str:
    """`plan=dir/p.txt` -> `plan="dir/p.txt"`: xDSL's pipeline syntax reads
    numbers, booleans and names bare, anything else (a path) only quoted."""
    quoted = []
    for item in re.findall(r'(?:[^\s"]+|"[^"]*")+', options):  # words; a quoted value may hold spaces
        key, eq, value = item.partition("=")
        if eq and not _PLAIN_VALUE.fullmatch(value):
            value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        quoted.append(f"{key}{eq}{value}")
    return " ".join(quoted)


class _AppendPass(argparse.Action):
    """`--name[=options]` appends `name{options}` to the pipeline, in flag order."""

    def __call__(self, parser, namespace, values, option_string=None):
        steps = getattr(namespace, "pipeline_steps", None) or []
        if self.dest == "pipeline":
            steps.append(values)
        else:
            steps.append(f"{self.dest}{{{quote_option_values(values)}}}" if values else self.dest)
        namespace.pipeline_steps = steps


def add_pass_arguments(parser: argparse.ArgumentParser) -> None:
    """`-p PIPELINE` and one `--<pass>[=OPTIONS]` flag per registered pass."""
    parser.set_defaults(pipeline_steps=[])
    parser.add_argument(
        "-p",
        "--passes",
        dest="pipeline",
        action=_AppendPass,
        metavar="PIPELINE",
        help="a pass pipeline in xDSL syntax, e.g. 'strip-names{keep_arguments=true}'",
    )
    group = parser.add_argument_group(
        "passes",
        "Applied in the order given. OPTIONS are 'key=value key2=value2', e.g. "
        "--partial-exec='budget=65536 rows=false'; a pass without options takes none.",
    )
    for name, get_pass in available_passes().items():
        group.add_argument(
            f"--{name}",
            dest=name,
            nargs="?",
            const="",
            action=_AppendPass,
            metavar="OPTIONS",
            help=pass_help(get_pass()),
        )


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    """`--quantize CALIB`: a float ONNX model made int8 by onnxruntime before
    import; `--batch N`: an ONNX model's batch set to N."""
    parser.add_argument(
        "--batch",
        type=int,
        metavar="N",
        help="(.onnx models) set every input's batch dimension to N, e.g. 1 for a model exported with a "
        "batch of 16: a microcontroller runs one input at a time",
    )
    parser.add_argument(
        "--quantize",
        metavar="CALIB",
        help="(float .onnx models) quantize to int8 with onnxruntime's static quantizer, calibrated on "
        "CALIB: a .npy (one-input model) or .npz (one array per input) of samples [N, ...] in the "
        "ONNX model's layout, or 'random' (noise: only to try the tools; it warns)",
    )


def pipeline_of(args: argparse.Namespace) -> str:
    return ",".join(args.pipeline_steps)


def run_tool(main: Callable[[], int]) -> Callable[[], int]:
    """Wrap a tool's main: bad input becomes `error: ...` on stderr and exit
    code 1; any other exception (tinyir's fault, not the input's) one line
    `error: internal error in <stage>: ...` and exit code 2, or its traceback
    with --traceback."""

    def wrapped() -> int:
        try:
            return main()
        except TinyIRError as e:
            print(f"error: {one_line(str(e))}", file=sys.stderr)
            return 1
        except BrokenPipeError:  # `tinyir-opt m.tflite | head`
            return 0
        except KeyboardInterrupt:
            return 130
        except Exception as e:
            if "--traceback" in sys.argv[1:]:
                raise
            message = one_line(str(e))[:300]
            print(f"error: internal error in {stage_of(e) or 'tinyir'}: {type(e).__name__}: {message} "
                  "(rerun with --traceback to see where)", file=sys.stderr)  # fmt: skip
            return 2

    return wrapped


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """`--report`, `--report-plot` and `--report-plot-baseline`."""
    group = parser.add_argument_group("memory report (after the passes; see tinyir.report.memory)")
    group.add_argument(
        "--report",
        metavar="FILE",
        help="write the memory report as JSON to FILE; '-' prints it as a table on stdout "
        "in place of the IR (give -o to keep the IR)",
    )
    group.add_argument(
        "--report-plot",
        metavar="IMAGE",
        help="draw the memory timeline (live bytes per op, peak, arena) to IMAGE (.png, .svg or .pdf)",
    )
    group.add_argument(
        "--report-pareto",
        metavar="IMAGE",
        help="draw partial-exec's trade-off to IMAGE: peak bytes against predicted instructions of the plans "
        "its search weighs (the cheapest at each peak), the chosen plan and the unsplit model; needs --partial-exec",
    )
    group.add_argument(
        "--report-sensitivity",
        action="store_true",
        help="in --report, also the arena bytes saved when each layer holding the peak loses 1, 10%% and 25%% "
        "of its output channels (the weakest by filter L1 norm), each planned again by the same passes: seconds",
    )
    group.add_argument(
        "--report-plot-baseline",
        action="store_true",
        help="in --report-plot, also draw the model as imported (before the passes), on the same scale",
    )


def wants_report(args: argparse.Namespace) -> bool:
    return args.report is not None or args.report_plot is not None


def check_report_arguments(args: argparse.Namespace) -> None:
    """Refuse unusable report flags before any work is done."""
    from pathlib import Path

    from tinyir.report.plot import check_plot_path

    if args.report_plot_baseline and args.report_plot is None:
        raise TinyIRError("--report-plot-baseline needs --report-plot IMAGE")
    if args.report_sensitivity and args.report is None:
        raise TinyIRError("--report-sensitivity needs --report FILE (or -)")
    if args.report not in (None, "-") and not Path(args.report).parent.is_dir():
        raise TinyIRError(f"cannot write report {args.report}: no such directory {Path(args.report).parent}")
    for image in (args.report_plot, getattr(args, "report_pareto", None)):
        if image is not None:
            check_plot_path(image)


def write_reports(args: argparse.Namespace, report: dict) -> None:
    """The report as the flags ask: JSON file, table on stdout, image."""
    from tinyir.report import memory as reports

    if args.report == "-":
        sys.stdout.write(reports.format_table(report))
    elif args.report is not None:
        reports.write_json(report, args.report)
    if args.report_plot is not None:
        from tinyir.report.plot import plot_memory

        plot_memory(report, args.report_plot, baseline=args.report_plot_baseline)
