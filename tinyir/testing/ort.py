"""onnxruntime as the reference of ONNX models (tests only: onnxruntime is a
test dependency).

`ort_run` runs a model; `ir_inputs` puts ONNX-layout inputs into the layout
the imported IR takes (NHWC for NCHW images, int8 for uint8); `per_layer_diff`
compares every int8 tensor the IR computes with onnxruntime's, layer by
layer: each op is fed onnxruntime's values for its inputs (the executor's
`observer` overwrites each output with onnxruntime's after comparing), so a
difference is that layer's alone, not one carried from earlier layers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinyir.frontends.onnx import Entry


def ort_run(model: bytes, feeds: dict[str, np.ndarray], outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """onnxruntime's values of `outputs` (default: the graph outputs), by name;
    any tensor of the graph can be asked for."""
    import onnx
    import onnxruntime as ort

    proto = onnx.load_model_from_string(model)
    wanted = list(outputs) if outputs is not None else [o.name for o in proto.graph.output]
    present = {o.name for o in proto.graph.output}
    for name in wanted:
        if name not in present:
            proto.graph.output.append(onnx.ValueInfoProto(name=name))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return dict(zip(wanted, session.run(wanted, feeds)))


def to_ir(x: np.ndarray, entry: Entry) -> np.ndarray:
    """An ONNX-layout array as the IR holds it (layout; uint8 as int8)."""
    x = np.asarray(x)
    if x.dtype == np.uint8:
        x = (x.astype(np.int16) - 128).astype(np.int8)
    x = np.transpose(x.reshape(entry.onnx_shape), entry.perm)
    if entry.columns is not None:  # a flattened image in NHWC order
        x = x.reshape(x.shape[0], -1)[:, entry.columns]
    return np.ascontiguousarray(x).reshape(entry.type.shape)


def ir_inputs(tensor_map: dict[str, Entry], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The executor's inputs for onnxruntime's `feeds` (in graph input order)."""
    return [to_ir(x, tensor_map[name]) for name, x in feeds.items()]


def graph_inputs(model: bytes) -> list[tuple[str, tuple[int, ...], np.dtype]]:
    """(name, shape, dtype) of the inputs that are not initializers (batch 1)."""
    import onnx

    from tinyir.frontends.onnx.calibrate import model_inputs

    return model_inputs(onnx.load_model_from_string(model))


def integer_tensors(model: bytes) -> list[str]:
    """The int8/uint8 activations of a model: outputs of QuantizeLinear and QLinear* nodes."""
    import onnx

    proto = onnx.load_model_from_string(model)
    inits = {t.name for t in proto.graph.initializer}
    names = []
    for node in proto.graph.node:
        if (node.op_type == "QuantizeLinear" or node.op_type.startswith("QLinear")) and node.input[0] not in inits:
            names.append(node.output[0])
    return names


def _root(value):
    from tinyir.dialects import tiny

    while isinstance(value.owner, tiny.ViewOp):
        value = value.owner.source
    return value


def per_layer_diff(module, tensor_map: dict[str, Entry], model: bytes, feeds: dict[str, np.ndarray]) -> dict[str, int]:
    """max |ours - onnxruntime| (in int8 steps) of each int8 tensor both
    compute, each layer fed onnxruntime's inputs."""
    from tinyir.numerics.executor import execute

    names = [n for n in integer_tensors(model) if n in tensor_map and tensor_map[n].is_int8]
    reference = ort_run(model, feeds, names)
    by_buffer: dict = {}
    for name in names:
        by_buffer.setdefault(_root(tensor_map[name].value), []).append(name)
    diffs: dict[str, int] = {}

    def observe(op, out: np.ndarray) -> None:
        for name in by_buffer.get(op.out, []):
            entry = tensor_map[name]
            ref = to_ir(reference[name], entry).reshape(out.shape) if entry.value is op.out else None
            if ref is None:  # the tensor is a view of this buffer: compare the bytes
                ref = to_ir(reference[name], entry).reshape(out.shape)
            diffs[name] = int(np.abs(out.astype(np.int32) - ref.astype(np.int32)).max())
            out[...] = ref  # teacher forcing: later layers see onnxruntime's values

    execute(module, ir_inputs(tensor_map, feeds), observer=observe)
    return diffs
