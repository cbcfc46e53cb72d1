"""Mutation fuzzing of tinyir's inputs: every malformed model or IR file gets a
clean one-line error, or is run right.

    python bench/fuzz.py [--cases N] [--seed S] [--formats tflite,onnx,mlir] [--timeout S] [--jobs N] [--save DIR]

Seeded and reproducible: case i of a campaign is the same file whatever the
jobs. Each case takes a seed file of its format (small shared models, and
the IR tinyir prints for them), applies one to three mutations and runs
`tinyir-run FILE --fuse --partial-exec --arena-alloc` on it in a worker
process, with a time limit. Mutations:

- bytes (every format): bit flips, byte overwrites, truncation, a chunk
  duplicated or deleted;
- .tflite, flatbuffer-aware: a field of a table the file really has (a tensor's
  shape, type, buffer or quantization, an operator's opcode index, inputs,
  outputs or builtin options, an opcode's code) overwritten in place with an
  edge value (0, -1, 1, 2^31-1, a random one);
- .onnx, protobuf-aware (the onnx package): a dimension, an element type, an
  attribute's value or type, a node input dropped or renamed, an initializer
  removed, two nodes swapped;
- .mlir, text-aware: a number replaced by an edge value, a line deleted or
  duplicated, a closing quote or bracket dropped.

Each outcome is classified:

- error: exit status 1 and one line `error: ...` (what bad input must get);
- accepted: exit status 0; for .tflite also run by TensorFlow Lite Micro on
  the same input (in a process of its own, with the same time limit: TFLM
  crashes on some mutants), when it accepts the file: `accepted-tflm-differs`
  is a failure (a silently wrong answer);
- internal: exit status 2, `error: internal error in ...` (the tools' safety
  net caught an exception: a bug), or any other status or output;
- hang: over the time limit; crash: the worker died.

The table counts outcomes per format; under it, one line per distinct
failure (internal errors by exception type, stage and message with numbers
blanked), with the case that found it first. `--save DIR` writes each
failure's first file there, to reproduce with `tinyir-run FILE --fuse
--partial-exec --arena-alloc`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import random
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
SEED_TFLITE = (
    "tflm_hello_world_int8", "tflm_micro_speech_int8", "mlperf_kws_dscnn_int8", "mlperf_ad_fc_autoencoder_int8",
    "mlperf_streaming_ww_int8", "mlperf_ic_resnet8_int8",
)  # fmt: skip
PIPELINE = ["--fuse", "--partial-exec", "--arena-alloc"]
EDGES = (0, 1, -1, 2, 255, 127, -128, 2**31 - 1, -(2**31), 65535)


# -- seeds --------------------------------------------------------------------


def seed_files(models: Path, formats: list[str]) -> dict[str, list[tuple[str, bytes]]]:
    """(name, bytes) of the files each format's cases start from."""
    import tinyir

    seeds: dict[str, list[tuple[str, bytes]]] = {}
    tflite = [(n, (models / f"{n}.tflite").read_bytes()) for n in SEED_TFLITE if (models / f"{n}.tflite").is_file()]
    if "tflite" in formats:
        seeds["tflite"] = tflite
    if "onnx" in formats:
        onnx = sorted((models / "onnx").glob("*.onnx"), key=lambda p: p.stat().st_size)[:4]
        seeds["onnx"] = [(p.stem, p.read_bytes()) for p in onnx]
    if "mlir" in formats:
        seeds["mlir"] = []
        for name, data in tflite[:4]:
            module = tinyir.import_model(data, format="tflite")
            seeds["mlir"].append((f"{name}.mlir", tinyir.print_ir(module).encode()))
            allocated = tinyir.run_pipeline(module, "fuse,partial-exec,arena-alloc")
            seeds["mlir"].append((f"{name}.allocated.mlir", tinyir.print_ir(allocated).encode()))
    return {f: s for f, s in seeds.items() if s}


# -- mutations ------------------------------------------------------------------


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    kind = rng.choice(("flip", "byte", "truncate", "duplicate", "delete"))
    at = rng.randrange(len(b))
    if kind == "flip":
        b[at] ^= 1 << rng.randrange(8)
    elif kind == "byte":
        b[at] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
    elif kind == "truncate":
        del b[at:]
    else:
        size = rng.randint(1, min(64, len(b) - at))
        if kind == "duplicate":
            b[at:at] = b[at : at + size]
        else:
            del b[at : at + size]
    return bytes(b)


def _tables(model) -> list:
    """The flatbuffer tables of a TFLite model a field mutation may target."""
    tables = [model]
    for i in range(model.OperatorCodesLength()):
        tables.append(model.OperatorCodes(i))
    for s in range(model.SubgraphsLength()):
        graph = model.Subgraphs(s)
        tables.append(graph)
        for t in range(graph.TensorsLength()):
            tensor = graph.Tensors(t)
            tables.append(tensor)
            if tensor.Quantization() is not None:
                tables.append(tensor.Quantization())
        for o in range(graph.OperatorsLength()):
            op = graph.Operators(o)
            tables.append(op)
            table = op.BuiltinOptions()
            if table is not None:
                tables.append(table)
    return tables


def _fields(tab) -> list[tuple[int, int]]:
    """(position, offset-or-scalar slot) of every field a table stores: its
    vtable's entries, read raw (no schema needed)."""
    import flatbuffers

    vtable = tab.Pos - tab.Get(flatbuffers.number_types.SOffsetTFlags, tab.Pos)
    size = tab.Get(flatbuffers.number_types.VOffsetTFlags, vtable)
    fields = []
    for slot in range(4, size, 2):
        offset = tab.Get(flatbuffers.number_types.VOffsetTFlags, vtable + slot)
        if offset:
            fields.append((tab.Pos + offset, slot))
    return fields


def mutate_tflite(data: bytes, rng: random.Random) -> bytes:
    """A field of a table the model has, overwritten in place (1, 2 or 4
    bytes, little-endian, like the scalars and offsets flatbuffers store); or,
    one time in three, an element of a vector it has (a shape, an operator's
    inputs)."""
    import tflite

    try:
        model = tflite.Model.GetRootAsModel(data, 0)
        tables = _tables(model)
    except Exception:  # a mutant of a mutant may not parse: fall back to bytes
        return mutate_bytes(data, rng)
    b = bytearray(data)
    table = rng.choice(tables)
    try:  # a mutant's tables may point anywhere
        if rng.random() < 1 / 3 and hasattr(table, "ShapeAsNumpy") and table.ShapeLength():
            pos = table._tab.Vector(table._tab.Offset(8)) + 4 * rng.randrange(table.ShapeLength())  # Tensor.shape
            width = 4
        else:
            fields = _fields(getattr(table, "_tab", table))  # a union (builtin options) is a bare Table
            pos, _ = rng.choice(fields)
            width = rng.choice((1, 4))
    except Exception:
        return mutate_bytes(data, rng)
    value = rng.choice((*EDGES, rng.randrange(-1000, 1000)))
    if pos + width <= len(b):
        b[pos : pos + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
    return bytes(b)


def mutate_onnx(data: bytes, rng: random.Random) -> bytes:
    import onnx

    try:
        model = onnx.load_from_string(data)
    except Exception:
        return mutate_bytes(data, rng)
    graph = model.graph
    kind = rng.choice(("dim", "elem_type", "attribute", "attribute_type", "drop_input", "rename_input",
                       "drop_initializer", "swap_nodes"))  # fmt: skip
    nodes = list(graph.node)
    if kind == "dim" and graph.input:
        value = rng.choice(list(graph.input)).type.tensor_type
        if value.shape.dim:
            rng.choice(list(value.shape.dim)).dim_value = rng.choice((0, 1, 3, 2**40, 7))
    elif kind == "elem_type" and (graph.input or graph.initializer):
        tensors = [*graph.input, *graph.output]
        if rng.random() < 0.5 or not tensors:
            rng.choice(list(graph.initializer)).data_type = rng.choice((1, 2, 3, 6, 7, 10, 99))
        else:
            rng.choice(tensors).type.tensor_type.elem_type = rng.choice((1, 2, 3, 6, 99))
    elif kind in ("attribute", "attribute_type") and any(n.attribute for n in nodes):
        attr = rng.choice([a for n in nodes for a in n.attribute])
        if kind == "attribute":
            if attr.ints:
                attr.ints[rng.randrange(len(attr.ints))] = rng.choice(EDGES)
            else:
                attr.i = rng.choice(EDGES)
        else:
            value = rng.choice(("f", "s", "ints", "floats"))
            attr.ClearField("ints")
            if value == "f":
                attr.f, attr.type = 1.5, onnx.AttributeProto.FLOAT
            elif value == "s":
                attr.s, attr.type = rng.choice((b"SAME", b"\xff\xfe", b"")), onnx.AttributeProto.STRING
            elif value == "ints":
                attr.ints.extend([1, 2, 3]), setattr(attr, "type", onnx.AttributeProto.INTS)
            else:
                attr.floats.extend([0.5]), setattr(attr, "type", onnx.AttributeProto.FLOATS)
    elif kind in ("drop_input", "rename_input") and nodes:
        node = rng.choice(nodes)
        if node.input:
            i = rng.randrange(len(node.input))
            if kind == "drop_input":
                del node.input[i]
            else:
                node.input[i] = rng.choice(("", "nothing", node.output[0] if node.output else "x"))
    elif kind == "drop_initializer" and graph.initializer:
        del graph.initializer[rng.randrange(len(graph.initializer))]
    elif kind == "swap_nodes" and len(nodes) > 1:
        i, j = rng.sample(range(len(nodes)), 2)
        a, b = onnx.NodeProto(), onnx.NodeProto()
        a.CopyFrom(nodes[i]), b.CopyFrom(nodes[j])
        graph.node[i].CopyFrom(b), graph.node[j].CopyFrom(a)
    else:
        return mutate_bytes(data, rng)
    return model.SerializeToString()


_NUMBER = re.compile(rb"-?\d+(\.\d+)?(e[-+]?\d+)?")


def mutate_mlir(data: bytes, rng: random.Random) -> bytes:
    kind = rng.choice(("number", "number", "delete_line", "duplicate_line", "drop_char"))
    if kind == "number":
        numbers = list(_NUMBER.finditer(data))
        if numbers:
            m = rng.choice(numbers)
            value = rng.choice((*EDGES, 0.0, -0.5, 1e30, 2**62, -256, 256))
            return data[: m.start()] + str(value).encode() + data[m.end() :]
    lines = data.split(b"\n")
    if kind in ("delete_line", "duplicate_line") and len(lines) > 2:
        i = rng.randrange(1, len(lines) - 1)
        lines[i:i] = [lines[i]] if kind == "duplicate_line" else []
        if kind == "delete_line":
            del lines[i]
        return b"\n".join(lines)
    closers = [m.start() for m in re.finditer(rb'["\]>})]', data)]
    if closers:
        at = rng.choice(closers)
        return data[:at] + data[at + 1 :]
    return mutate_bytes(data, rng)


MUTATORS = {"tflite": mutate_tflite, "onnx": mutate_onnx, "mlir": mutate_mlir}


def make_case(seeds: dict[str, list[tuple[str, bytes]]], formats: list[str], seed: int, index: int):
    """Case `index` of a campaign: (format, seed file name, mutated bytes)."""
    rng = random.Random(f"{seed}:{index}")
    fmt = formats[index % len(formats)]
    name, data = rng.choice(seeds[fmt])
    for _ in range(rng.randint(1, 3)):
        if not data:
            break
        data = (MUTATORS[fmt] if rng.random() < 0.7 else mutate_bytes)(data, rng)
    return fmt, name, data


# -- running a case -------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str  # error, accepted, accepted-tflm-differs, internal, hang, crash
    detail: str = ""


def run_case(fmt: str, data: bytes, allocated: bool = False) -> Outcome:
    """tinyir-run on the file in this process (a worker): its outcome. IR
    already `allocated` runs as it is (the passes refuse it)."""
    from tinyir.tools import run as tool

    with tempfile.TemporaryDirectory(prefix="tinyir-fuzz-") as tmp:
        path = Path(tmp) / f"case.{fmt}"
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            saved, sys.argv = sys.argv, ["tinyir-run", str(path), *([] if allocated else PIPELINE)]
            try:
                status = tool.main()
            except SystemExit as e:  # argparse
                status = e.code if isinstance(e.code, int) else 1
            except BaseException as e:  # noqa: BLE001  (what escapes the tool's own net)
                return Outcome("internal", f"escaped {type(e).__name__}: {e}")
            finally:
                sys.argv = saved
    # Warnings (a batch of several inputs, random calibration) come before the outcome.
    text = "\n".join(line for line in err.getvalue().strip().splitlines() if not line.startswith("warning: "))
    if status == 1 and text.startswith("error: ") and "\n" not in text and "internal error" not in text:
        return Outcome("error")
    if status != 0:
        return Outcome("internal", text.splitlines()[-1] if text else f"status {status}")
    return Outcome("accepted", " ".join(re.findall(r"checksum (\w+)", out.getvalue())))


def tflm_checksums(data: bytes) -> str | None:
    """The checksums (as tinyir-run prints them) of TFLite Micro's outputs on
    tinyir's seeded input, or None if it refuses the file."""
    import tinyir
    from tinyir.testing.tflm import tflm_run
    from tinyir.tools.run import checksum

    saved = os.dup(2)  # TFLM reports a refused model on file descriptor 2 itself
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            outputs = tflm_run(data, tinyir.random_inputs(tinyir.import_model(data, format="tflite"), seed=0))
            return " ".join(checksum(a) for a in outputs)
    except Exception:
        return None
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _worker(job):
    fmt, name, data = job
    return run_case(fmt, data, allocated=".allocated." in name)


def _tflm_child(data: bytes, conn) -> None:
    import faulthandler

    faulthandler.disable()  # TFLM's segfault on a mutant is expected here: no trace on the terminal
    conn.send(tflm_checksums(data))


def tflm_in_a_process(ctx, data: bytes, timeout: float) -> str | None:
    """tflm_checksums in a process of its own: TFLite Micro may hang or crash
    on a malformed model tinyir accepts (it segfaults on some); then None."""
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_tflm_child, args=(data, send))
    child.start()
    send.close()
    found = None
    if receive.poll(timeout):  # a dead child closes the pipe: poll returns at once, recv raises EOFError
        try:
            found = receive.recv()
        except EOFError:
            pass
    child.join(1)
    if child.is_alive():
        child.kill()
    return found


def failure_class(outcome: Outcome) -> str:
    """Outcomes of one cause share a class: numbers and names blanked."""
    detail = re.sub(r"\d+", "N", outcome.detail)
    detail = re.sub(r"'[^']*'|%[\w.]+|/\S+", "_", detail)
    return f"{outcome.kind}: {detail[:160]}"


def campaign(seeds, formats, seed: int, cases: int, timeout: float, jobs: int):
    """Yield (index, format, seed name, data, outcome) of each case, in order."""
    ctx = multiprocessing.get_context("fork")
    pending = list(range(cases))
    while pending:
        with ctx.Pool(jobs, maxtasksperchild=50) as pool:
            batch, pending = pending[: jobs * 8], pending[jobs * 8 :]
            made = {i: make_case(seeds, formats, seed, i) for i in batch}
            results = {i: pool.apply_async(_worker, (made[i],)) for i in batch}
            broken = False
            for i in batch:
                fmt, name, data = made[i]
                try:
                    outcome = results[i].get(timeout=timeout)
                except multiprocessing.TimeoutError:
                    outcome, broken = Outcome("hang", f"over {timeout:g} s"), True
                except Exception as e:  # the worker died
                    outcome, broken = Outcome("crash", type(e).__name__), True
                if outcome.kind == "accepted" and fmt == "tflite":
                    theirs = tflm_in_a_process(ctx, data, timeout)
                    if theirs is not None and theirs != outcome.detail:
                        outcome = Outcome("accepted-tflm-differs", "outputs differ from TFLM's")
                yield i, fmt, name, data, outcome
            if broken:
                pool.terminate()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--formats", default="tflite,onnx,mlir")
    p.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per case")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--save", type=Path, help="write the first file of each failure class here")
    args = p.parse_args(argv)
    formats = [f for f in args.formats.split(",") if f]
    seeds = seed_files(args.models, formats)
    formats = [f for f in formats if f in seeds]
    if not formats:
        raise SystemExit(f"no seed files in {args.models}")
    counts: dict[str, Counter] = {f: Counter() for f in formats}
    failures: dict[str, tuple[int, str, str, bytes]] = {}
    for i, fmt, name, data, outcome in campaign(seeds, formats, args.seed, args.cases, args.timeout, args.jobs):
        counts[fmt][outcome.kind] += 1
        if outcome.kind not in ("error", "accepted"):
            failures.setdefault(failure_class(outcome), (i, fmt, name, data))
    kinds = ("error", "accepted", "accepted-tflm-differs", "internal", "hang", "crash")
    print(f"Fuzz campaign: seed {args.seed}, {args.cases} cases, {args.timeout:g} s per case.\n")
    print("| format | cases | " + " | ".join(kinds) + " |")
    print("|---|--:|" + "--:|" * len(kinds))
    for fmt in formats:
        print(f"| {fmt} | {sum(counts[fmt].values())} | " + " | ".join(str(counts[fmt][k]) for k in kinds) + " |")
    if failures:
        print(f"\n{len(failures)} distinct failures (case, seed file: class):")
        for cls, (i, fmt, name, data) in sorted(failures.items(), key=lambda kv: kv[1][0]):
            print(f"- case {i} ({name}): {cls}")
            if args.save is not None:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / f"case{i}.{fmt}").write_bytes(data)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
