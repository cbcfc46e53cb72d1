"""tinyir-run: run a model on the reference executor after a pass pipeline.

    tinyir-run model.tflite --input x.npy --output y.npy
    tinyir-run model.tflite --strip-names          # seeded random input, prints a checksum
    tinyir-run model.tflite --fuse --backend c     # the same, as C compiled with gcc against CMSIS-NN

`--backend c` emits C (tinyir.backends.c) into a temporary folder,
compiles it with `gcc -O2 -Wall -Wextra -Werror` against the host CMSIS-NN
runtime (backends/cmsis_nn_host; or the CMSIS-NN checkout named by $CMSIS_NN),
runs it on the input and prints the same checksum line as the reference
executor. The C backend needs an arena: when the pipeline has no
arena-alloc, `--arena-alloc` (default options) is added at its end.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from tinyir import api
from tinyir.errors import TinyIRError
from tinyir.tools.common import (
    add_import_arguments,
    add_pass_arguments,
    add_target_argument,
    check_target_argument,
    new_parser,
    pipeline_of,
    run_tool,
)


def parser() -> argparse.ArgumentParser:
    p = new_parser("tinyir-run", __doc__.splitlines()[0])
    p.add_argument("input_model", metavar="MODEL", help="a .tflite, .onnx or .mlir file")
    p.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NPY",
        help="an input array (.npy); give it once per model input, in order",
    )
    p.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="NPY",
        help="where to save an output array (.npy); once per model output, in order",
    )
    p.add_argument("--seed", type=_seed, default=0, help="seed of the random input used without --input (default 0)")
    p.add_argument(
        "--backend",
        choices=("numpy", "c"),
        default="numpy",
        help="run on the reference executor (numpy, default) or as C compiled with gcc against CMSIS-NN "
        "(c; adds --arena-alloc at the end of the pipeline when it has none)",
    )
    add_target_argument(p)
    add_import_arguments(p)
    add_pass_arguments(p)
    return p


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got '{text}'")
    return int(text)


def check_output_paths(paths: list[str]) -> None:
    """Refuse --output files that cannot be written, before any work."""
    for path in map(Path, paths):
        if path.is_dir():
            raise TinyIRError(f"--output {path}: is a directory (give a file name, e.g. {path / 'y.npy'})")
        if not path.parent.is_dir():
            raise TinyIRError(f"--output {path}: no such directory {path.parent}")


def checksum(array: np.ndarray) -> str:
    """A short, stable fingerprint of an array's shape, type and bytes."""
    digest = hashlib.sha256(f"{array.shape}{array.dtype}".encode() + np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def _load(path: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise TinyIRError(f"cannot read input array {path}: {e}") from None


@run_tool
def main() -> int:
    args = parser().parse_args()
    check_target_argument(args)
    check_output_paths(args.output)
    pipeline = pipeline_of(args)
    passes = api.build_pipeline(pipeline).passes  # a bad pass option fails before any work
    if args.backend == "c" and not any(p.name == "arena-alloc" for p in passes):
        pipeline = ",".join(filter(None, [pipeline, "arena-alloc"]))
    module = api.import_model(args.input_model, quantize=args.quantize, mcpu=args.mcpu, batch=args.batch)
    api.run_pipeline(module, pipeline)

    if args.input:
        inputs = [_load(p) for p in args.input]
    else:
        inputs = api.random_inputs(module, seed=args.seed)
    outputs = api.execute_c(module, inputs) if args.backend == "c" else api.execute(module, inputs)

    if args.output and len(args.output) != len(outputs):
        raise TinyIRError(f"the model has {len(outputs)} outputs, {len(args.output)} --output files were given")
    for path, array in zip(args.output, outputs):
        try:
            with open(path, "wb") as f:  # the name as given: np.save(path) would add .npy
                np.save(f, array)
        except OSError as e:
            raise TinyIRError(f"cannot write --output {path}: {e.strerror}") from None
    if not args.input:
        print(f"random input (seed {args.seed})")
    for i, array in enumerate(outputs):
        print(f"output {i}: {list(array.shape)} {array.dtype} checksum {checksum(array)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
