"""What tinyir-opt and tinyir-run share: pass flags and one-line errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from tinyir.api import available_passes
from tinyir.errors import TinyIRError


class _AppendPass(argparse.Action):
    """`--name[=options]` appends `name{options}` to the pipeline, in flag order."""

    def __call__(self, parser, namespace, values, option_string=None):
        steps = getattr(namespace, "pipeline_steps", None) or []
        if self.dest == "pipeline":
            steps.append(values)
        else:
            steps.append(f"{self.dest}{{{values}}}" if values else self.dest)
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
