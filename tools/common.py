"""What tinyir-opt and tinyir-run share: pass flags and one-line errors."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable

from tinyir.api import available_passes
from tinyir.errors import TinyIRError


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
    group = parser.add_argument_group("passes (applied in the order given)")
    for name, get_pass in sorted(available_passes().items()):
        doc = (get_pass().__doc__ or "").strip().splitlines()
        group.add_argument(
            f"--{name}",
            dest=name,
            nargs="?",
            const="",
            action=_AppendPass,
            metavar="OPTIONS",
            help=(doc[0] if doc else "") + " (OPTIONS as in xDSL: 'key=value key2=value2')",
        )


def add_quantize_argument(parser: argparse.ArgumentParser) -> None:
    """`--quantize CALIB`: a float ONNX model made int8 by onnxruntime before import."""
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
    """Wrap a tool's main: bad input becomes `error: ...` on stderr and exit code 1."""

    def wrapped() -> int:
        try:
            return main()
        except TinyIRError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        except BrokenPipeError:  # `tinyir-opt m.tflite | head`
            return 0
        except KeyboardInterrupt:
            return 130

    return wrapped


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """`--report`, `--report-plot` and `--report-plot-baseline`."""
    group = parser.add_argument_group("memory report (after the passes; see tinyir.report)")
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
        "--report-plot-baseline",
        action="store_true",
        help="in --report-plot, also draw the model as imported (before the passes), on the same scale",
    )


def wants_report(args: argparse.Namespace) -> bool:
    return args.report is not None or args.report_plot is not None


def check_report_arguments(args: argparse.Namespace) -> None:
    """Refuse unusable report flags before any work is done."""
    from pathlib import Path

    from tinyir.plot import check_plot_path

    if args.report_plot_baseline and args.report_plot is None:
        raise TinyIRError("--report-plot-baseline needs --report-plot IMAGE")
    if args.report not in (None, "-") and not Path(args.report).parent.is_dir():
        raise TinyIRError(f"cannot write report {args.report}: no such directory {Path(args.report).parent}")
    if args.report_plot is not None:
        check_plot_path(args.report_plot)


def write_reports(args: argparse.Namespace, report: dict) -> None:
    """The report as the flags ask: JSON file, table on stdout, image."""
    from tinyir import report as reports

    if args.report == "-":
        sys.stdout.write(reports.format_table(report))
    elif args.report is not None:
        reports.write_json(report, args.report)
    if args.report_plot is not None:
        from tinyir.plot import plot_memory

        plot_memory(report, args.report_plot, baseline=args.report_plot_baseline)
