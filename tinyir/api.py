"""The Python API; tinyir-opt and tinyir-run are thin wrappers over it.

    import tinyir
    module = tinyir.import_model("model.tflite")      # or .mlir, or bytes
    tinyir.run_pipeline(module, "strip-names")        # xDSL pipeline syntax
    print(tinyir.print_ir(module))
    outputs = tinyir.execute(module, [x])             # numpy in, numpy out
    report = tinyir.memory_report(module)             # arena, peak, MACs, timeline

The target CPU is set once, on the module: `import_model(path, mcpu="cortex-m55")`
or `set_target_cpu(module, "cortex-m55")` before the passes (default cortex-m4;
`tinyir.analysis.target`).

Every function raises `tinyir.TinyIRError` with a one-line message on bad input.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from io import StringIO
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.dialects.func import Func
from xdsl.passes import ModulePass, PassPipeline
from xdsl.printer import Printer
from xdsl.utils.exceptions import ParseError, VerifyException

from tinyir.dialects.tiny import Tiny
from tinyir.errors import TinyIRError, one_line, stage
from tinyir.passes import get_all_passes
from tinyir.verifier import verify_module

FORMATS = ("tflite", "onnx", "mlir")


def context() -> Context:
    """An xDSL context with the dialects tiny IR uses."""
    ctx = Context()
    for dialect in (Builtin, Func, Tiny):
        ctx.load_dialect(dialect)
    return ctx


def format_of(path: str | os.PathLike) -> str:
    """The input format a file name implies (.tflite, .onnx, .mlir)."""
    suffix = Path(path).suffix.lstrip(".").lower()
    if suffix not in FORMATS:
        raise TinyIRError(f"{path}: unknown input format '.{suffix}' (expected one of: .tflite, .onnx, .mlir)")
    return suffix


def import_model(
    source: str | os.PathLike | bytes,
    *,
    format: str | None = None,
    name: str = "<input>",
    quantize=None,
    mcpu: str | None = None,
    batch: int | None = None,
) -> ModuleOp:
    """A verified tiny IR module from a model file path, or from bytes with `format`.

    `mcpu`: the CPU to compile for, recorded on the module (`set_target_cpu`).
    `batch` (ONNX models): the batch dimension of every input set to this
    (a model exported with a batch of 16 compiled for one input at a time).

    `quantize` (ONNX float models): calibration data (a .npy/.npz path, arrays,
    or "random") for onnxruntime's static quantizer; the int8 model it makes is
    imported (tinyir.frontends.onnx.calibrate).
    """
    base_dir = None
    if isinstance(source, bytes | bytearray):
        if format is None:
            format = "tflite" if source[4:8] == b"TFL3" else "onnx" if source[:1] == b"\x08" else "mlir"
        data = bytes(source)
    else:
        name = str(source)
        format = format or format_of(source)
        data = read_file(source)
        base_dir = Path(source).parent
    if quantize is not None and format != "onnx":
        raise TinyIRError(f"{name}: --quantize takes a float ONNX model, not .{format}")
    if batch is not None:
        if format != "onnx":
            raise TinyIRError(f"{name}: --batch sets an ONNX model's batch; a .{format} model's shapes are fixed")
        if not 1 <= batch <= 1 << 16:
            raise TinyIRError(f"--batch must be in 1..65536, got {batch}")
        from tinyir.frontends.onnx.graph import with_batch

        data = with_batch(data, batch)
    if format == "mlir":
        with stage(f"the parser ({name})"):
            module = parse_ir(decode_ir(data, name), name=name)
        if mcpu is not None:
            set_target_cpu(module, mcpu)
        return module
    try:
        with stage(f"the {format} frontend ({name})"):
            module = _import(data, format, quantize, base_dir)
        with stage(f"the verifier ({name})"):
            verify_module(module)
    except TinyIRError as e:  # say which file
        raise TinyIRError(f"{name}: {e}") from None
    if mcpu is not None:
        set_target_cpu(module, mcpu)
    return module


def _import(data: bytes, format: str, quantize, base_dir: Path | None) -> ModuleOp:
    if format == "onnx":
        from tinyir.frontends.onnx import import_onnx

        if quantize is not None:
            from tinyir.frontends.onnx.calibrate import quantize_onnx

            data, base_dir = quantize_onnx(data, quantize, base_dir=base_dir), None
        return import_onnx(data, base_dir=base_dir)
    if format == "tflite":
        from tinyir.frontends.tflite import import_tflite

        return import_tflite(data)
    raise TinyIRError(f"unknown input format '{format}' (expected one of: {', '.join(FORMATS)})")


def set_target_cpu(module: ModuleOp, cpu: str) -> None:
    """Compile `module` for `cpu` (e.g. "cortex-m55"): every pass and the C
    backend read it from the module. An error if the module records another CPU."""
    from tinyir.analysis.target import set_target_cpu

    set_target_cpu(module, cpu)


def read_file(path: str | os.PathLike) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise TinyIRError(f"cannot read {path}: {e.strerror}") from None


def decode_ir(data: bytes, name: str) -> str:
    """IR text from file bytes, refusing binary files (a model under another name)."""
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise TinyIRError(f"{name}: not a text file (is it a model? give it a .tflite or .onnx name)") from None


def parse_ir(text: str, *, name: str = "<input>") -> ModuleOp:
    """Parse and verify tiny IR text."""
    from xdsl.parser import Parser

    if not text.strip():  # like MLIR, an empty file is an empty module
        return ModuleOp([])
    _check_string_literals(text, name)
    try:
        module = Parser(context(), text, name).parse_module()
    except ParseError as e:
        location = e.span.get_location()
        raise TinyIRError(f"{name}:{location.line}:{location.col}: {e.msg}") from None
    except (NotImplementedError, ValueError, OverflowError, TypeError, VerifyException) as e:
        # xDSL's parser fails on some malformed text outside its ParseError
        # (array<i256: ...>, an attribute that does not fit its type)
        raise TinyIRError(f"{name}: the IR does not parse: {one_line(str(e))} ({type(e).__name__})") from None
    try:
        verify_module(module)
    except TinyIRError as e:  # say which file
        raise TinyIRError(f"{name}: {e}") from None
    return module


# A comment, or where a string literal begins.
_COMMENT_OR_QUOTE = re.compile(r'//[^\n]*|"')
# xDSL's string literal (mlir_lexer), unrolled so that it never backtracks.
_STRING_LITERAL = re.compile(r'"[^"\\\n\v\f]*(?:\\(?:["nt\\]|[0-9A-Fa-f]{2})[^"\\\n\v\f]*)*"')


def _check_string_literals(text: str, name: str) -> None:
    """Refuse a string literal that is not closed, or holds a bad escape,
    before xDSL's lexer sees it: its pattern backtracks exponentially on one
    (a 41-byte file never finished)."""
    pos = 0
    while (found := _COMMENT_OR_QUOTE.search(text, pos)) is not None:
        pos = found.end()
        if found.group() != '"':
            continue  # a comment: its quotes are not strings
        literal = _STRING_LITERAL.match(text, found.start())
        if literal is None:
            line = text.count("\n", 0, found.start()) + 1
            col = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
            raise TinyIRError(f"{name}:{line}:{col}: string literal not closed on its line, or with an invalid escape")
        pos = literal.end()


def print_ir(module: ModuleOp) -> str:
    """The textual form of a module (it parses back to the same text)."""
    out = StringIO()
    Printer(stream=out).print_op(module)
    out.write("\n")
    return out.getvalue()


def available_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    return get_all_passes()


def build_pipeline(
    pipeline: str,
    callback: Callable[[ModulePass, ModuleOp, ModulePass], None] | None = None,
) -> PassPipeline:
    """A pass pipeline from xDSL's textual syntax, e.g. `"strip-names{keep_arguments=true}"`."""
    from xdsl.utils.exceptions import ArgSpecParseError

    try:
        return PassPipeline.parse_spec(available_passes(), pipeline, callback)
    except (ValueError, ArgSpecParseError) as e:
        # xDSL's messages span lines (the spec with a caret): keep the gist.
        reason = " ".join(line.strip() for line in str(e).splitlines() if line.strip())
        raise TinyIRError(f"pass pipeline '{pipeline}': {reason}") from None


def run_pipeline(
    module: ModuleOp,
    pipeline: str,
    between: Callable[[ModulePass | None, ModuleOp, ModulePass | None], None] | None = None,
) -> ModuleOp:
    """Apply a pass pipeline in place, verifying after every pass; returns the
    module. `between(previous, module, next)` is called before the first
    pass, after each verification and after the last (previous or next None)."""
    running = ["the pass pipeline"]

    def check(previous: ModulePass | None, module: ModuleOp, next: ModulePass | None) -> None:
        if previous is not None:
            running[0] = f"the verifier after {previous.name}"
            verify_module(module)
        if between is not None:
            running[0] = "the tool between passes"
            between(previous, module, next)
        if next is not None:
            running[0] = f"pass {next.name}"

    if pipeline:
        passes = build_pipeline(pipeline, check)
        try:
            passes.apply(context(), module)
        except Exception:
            with stage(running[0]):  # an internal error says which pass
                raise
    return module


def memory_report(module: ModuleOp, baseline: ModuleOp | dict | None = None) -> dict:
    """Where SRAM goes: arena, liveness peak, MACs, live bytes per op, every buffer.

    A JSON-ready dict (fields in `tinyir.report.memory`). `baseline` is the module
    before the passes, or its `memory_report` taken before them: it gives
    `macs_baseline` and the `baseline` timeline to compare with.
    """
    from tinyir.report.memory import memory_report

    return memory_report(module, baseline)


# The executor is imported on use: xDSL's interpreters take a while to load
# and tinyir-opt never needs them.


def resources(model, target: str | None = None, sram_budget: int | None = None):
    """What `model` (a path, bytes or a module, left as it is) needs on
    `target` after the default pipeline: arena, lower bound, flash, MACs,
    predicted instructions and the bottleneck (tinyir.report.resources)."""
    from tinyir.report.resources import resources

    return resources(model, target, sram_budget)


def layer_sensitivity(model, layers=None, target: str | None = None, **options) -> list[dict]:
    """Arena bytes saved when each layer (default: those holding the peak)
    loses output channels, each pruned copy planned again (tinyir.report.resources)."""
    from tinyir.report.resources import layer_sensitivity

    return layer_sensitivity(model, layers, target, **options)


def execute(module: ModuleOp, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run a module on the reference executor (bit-exact with TFLite Micro)."""
    from tinyir.numerics.executor import execute

    with stage("the executor"):
        return execute(module, inputs)


def random_inputs(module: ModuleOp, seed: int = 0) -> list[np.ndarray]:
    """Seeded random inputs for every model input: the full integer range, or N(0, 1) floats."""
    from tinyir.numerics.executor import random_inputs

    return random_inputs(module, seed=seed)


# The C backend (tinyir.backends.c), imported on use.


def emit_c(
    module: ModuleOp,
    name: str = "model",
    *,
    directory: str | os.PathLike | None = None,
    external_arena: bool = False,
) -> dict[str, str]:
    """The C of an allocated module (run `arena-alloc` first): {file name: text}
    of `<name>.h` and `<name>.c`, whose `tinyir_<name>_invoke` runs the model
    with CMSIS-NN. With `directory`, also writes them there, beside tinyir's
    portable kernels (tinyir_kernels.h/.c, tinyir_tiles.h/.c). `external_arena`: the caller passes
    the arena instead of a static array."""
    from tinyir.backends.c import emit_c as emit
    from tinyir.backends.c import write_c

    with stage("the C backend"):
        if directory is not None:
            return write_c(module, directory, name, external_arena=external_arena)
        return emit(module, name, external_arena=external_arena)


def execute_c(module: ModuleOp, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run an allocated module as compiled C on the host (gcc, CMSIS-NN): its outputs."""
    from tinyir.backends.c import execute_c

    return execute_c(module, inputs)
