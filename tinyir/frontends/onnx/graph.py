"""The ONNX graph as the frontend sees it: loaded, checked, sorted, folded.

`read_graph` turns the bytes of a .onnx file into a `Graph`: nodes in a
topological order (a file whose nodes are out of order is sorted, not
refused), constants as numpy arrays (initializers, Constant nodes, and every
node whose inputs are all constant, folded with onnx's reference evaluator;
quantization nodes are kept, so that weights stay visibly quantized), and
inputs with static shapes (a symbolic batch dimension is fixed to 1). The
rewrites before lowering are in rewrite.py.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from tinyir.errors import TinyIRError

MIN_OPSET, MAX_OPSET = 8, 21

# Nodes never folded into constants: they carry the quantization the
# frontend reads (a weight stays int8 + scale rather than becoming floats).
_NO_FOLD = {
    "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
    "QLinearAdd", "QLinearMul", "QLinearAveragePool", "QLinearGlobalAveragePool", "QLinearConcat",
    "QLinearSigmoid", "QLinearSoftmax", "QLinearLeakyRelu", "QGemm", "RandomNormal", "RandomUniform",
    "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
}

@dataclass(eq=False)
class Node:
    """One ONNX node; `inputs` holds '' for an absent optional input."""

    op: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any]
    name: str
    domain: str = ""
    index: int = 0  # position in the file, for messages

    def describe(self) -> str:
        return f"{self.op} node '{self.name}'" if self.name else f"{self.op} node #{self.index}"

    def error(self, message: str) -> TinyIRError:
        return TinyIRError(f"{self.describe()}: {message}")

    def attr(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)

    def input(self, i: int) -> str:
        """The name of input i, '' when absent."""
        return self.inputs[i] if i < len(self.inputs) else ""

@dataclass
class Graph:
    nodes: list[Node]
    consts: dict[str, np.ndarray]
    inputs: list[tuple[str, tuple[int, ...], np.dtype]]
    outputs: list[str]
    opset: int
    _consumers: dict[str, list[Node]] | None = field(default=None, repr=False)
    _producers: dict[str, Node] | None = field(default=None, repr=False)

    def changed(self) -> None:
        """Forget the use lists after a rewrite."""
        self._consumers = self._producers = None

    def _index(self) -> None:
        consumers: dict[str, list[Node]] = defaultdict(list)
        producers: dict[str, Node] = {}
        for node in self.nodes:
            for name in node.inputs:
                if name and node not in consumers[name]:
                    consumers[name].append(node)
            for name in node.outputs:
                if name:
                    producers[name] = node
        self._consumers, self._producers = dict(consumers), producers

    def consumers(self, name: str) -> list[Node]:
        if self._consumers is None:
            self._index()
        return self._consumers.get(name, [])

    def producer(self, name: str) -> Node | None:
        if self._producers is None:
            self._index()
        return self._producers.get(name)

    def only_consumer(self, name: str) -> Node | None:
        """The single node reading `name`, if one node (and no graph output) does."""
        users = self.consumers(name)
        if len(users) != 1 or name in self.outputs:
            return None
        return users[0]

    def rename(self, old: str, new: str) -> None:
        """Make every reader of `old` read `new` instead."""
        for node in self.consumers(old):
            node.inputs = [new if n == old else n for n in node.inputs]
        self.outputs = [new if n == old else n for n in self.outputs]
        self.changed()

    def remove(self, node: Node) -> None:
        self.nodes.remove(node)
        self.changed()

# -- reading -------------------------------------------------------------------


def with_batch(data: bytes, batch: int) -> bytes:
    """The model with every graph input's first dimension (the batch) set to
    `batch`, the shapes inferred for the rest dropped (tinyir infers its own)."""
    try:
        model = onnx.load_model_from_string(data)
    except Exception:  # noqa: BLE001  (the import that follows says what is wrong)
        return data
    inits = {t.name for t in model.graph.initializer}
    for v in model.graph.input:
        dims = v.type.tensor_type.shape.dim
        if v.name not in inits and len(dims) >= 1:
            dims[0].Clear()
            dims[0].dim_value = batch
    del model.graph.value_info[:]
    return model.SerializeToString()


def load_model(data: bytes, base_dir: str | Path | None = None) -> onnx.ModelProto:
    """Parse a .onnx file, with its external data from `base_dir` if it has any."""
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as e:
        raise TinyIRError(f"not an ONNX model: the file does not parse ({type(e).__name__})") from None
    if model.ir_version == 0 or not model.HasField("graph"):
        raise TinyIRError("not an ONNX model: the file holds no graph")
    external = [t for t in _all_tensors(model.graph) if t.data_location == onnx.TensorProto.EXTERNAL]
    for tensor in external:
        info = {e.key: e.value for e in tensor.external_data}
        location = info.get("location", "")
        if base_dir is None:
            raise TinyIRError(
                f"tensor '{tensor.name}' keeps its data in the external file '{location}': "
                "import the model from its path, beside that file"
            )
        if not (Path(base_dir) / location).is_file():
            raise TinyIRError(
                f"external data file '{location}' of tensor '{tensor.name}' is missing (looked in {base_dir})"
            )
    if external:
        from onnx.external_data_helper import load_external_data_for_model

        try:
            load_external_data_for_model(model, str(base_dir))
        except (OSError, ValueError) as e:
            raise TinyIRError(f"cannot read the external data of the model: {e}") from None
    return model


def _all_tensors(graph: onnx.GraphProto):
    yield from graph.initializer
    for node in graph.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                yield a.t


def opset_of(model: onnx.ModelProto) -> int:
    versions = {o.domain: o.version for o in model.opset_import}
    version = versions.get("", versions.get("ai.onnx"))
    if version is None:
        raise TinyIRError("the ONNX model imports no version of the default operator set")
    if not MIN_OPSET <= version <= MAX_OPSET:
        raise TinyIRError(f"unsupported ONNX opset {version} (tinyir reads opsets {MIN_OPSET} to {MAX_OPSET})")
    return version


_ELEMENT_TYPES = set(onnx.TensorProto.DataType.values())
"""The element types ONNX defines (a corrupt file may hold any number)."""


def read_graph(data: bytes, base_dir: str | Path | None = None) -> Graph:
    model = load_model(data, base_dir)
    opset = opset_of(model)
    g = model.graph
    consts: dict[str, np.ndarray] = {}
    for t in g.initializer:
        if t.data_type not in _ELEMENT_TYPES:
            raise TinyIRError(f"initializer '{t.name}' has unknown element type {t.data_type}")
        try:
            consts[t.name] = numpy_helper.to_array(t)
        except (ValueError, TypeError) as e:
            raise TinyIRError(f"initializer '{t.name}' cannot be read: {e}") from None
    inputs = [_graph_input(v) for v in g.input if v.name not in consts]
    for name, shape, _ in inputs:
        if len(shape) >= 2 and shape[0] > 1:
            print(f"warning: graph input '{name}' has a batch of {shape[0]}: a microcontroller runs one input at "
                  "a time, and the arena holds the whole batch; --batch 1 compiles the model for one", file=sys.stderr)  # fmt: skip
    nodes = []
    for i, n in enumerate(g.node):
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in n.attribute):
            raise TinyIRError(f"unsupported ONNX operator {n.op_type} (node '{n.name or i}'): control flow")
        node = Node(n.op_type, list(n.input), list(n.output), {}, n.name, n.domain, i)
        _check_against_schema(node, n, opset)
        if n.op_type == "Constant" and n.domain in ("", "ai.onnx"):
            _check_constant(node, n)
        for a in n.attribute:
            value = helper.get_attribute_value(a)
            if isinstance(value, bytes):
                try:
                    value = value.decode()
                except UnicodeDecodeError:
                    raise node.error(f"attribute '{a.name}' is not UTF-8 text") from None
            elif isinstance(value, onnx.TensorProto):
                value = numpy_helper.to_array(value)
            node.attrs[a.name] = value
        nodes.append(node)
    outputs = [v.name for v in g.output]
    if not outputs:
        raise TinyIRError("the ONNX graph has no outputs")
    graph = Graph(_sorted(nodes, [name for name, _, _ in inputs], consts), consts, inputs, outputs, opset)
    _fold_constants(graph)
    for name in outputs:
        if name in graph.consts:
            raise TinyIRError(f"graph output '{name}' is a constant")
    return graph


_NUMERIC_CONSTANT = ("value", "value_float", "value_floats", "value_int", "value_ints")


def _check_constant(node: Node, proto: onnx.NodeProto) -> None:
    """A Constant holds one numeric value: a dense tensor of any rank or a
    number or list of numbers (sparse and string constants are refused)."""
    given = [a.name for a in proto.attribute]
    if len(given) != 1:
        raise node.error(f"must have exactly one value attribute, got {given or 'none'}")
    if given[0] not in _NUMERIC_CONSTANT:
        raise node.error(f"'{given[0]}' constants are not supported (only numbers: {', '.join(_NUMERIC_CONSTANT)})")


def _check_against_schema(node: Node, proto: onnx.NodeProto, opset: int) -> None:
    """What ONNX's schema of the operator fixes and the lowerings rely on:
    the number of inputs, and the type of each attribute."""
    try:
        schema = onnx.defs.get_schema(proto.op_type, opset, proto.domain)
    except (onnx.defs.SchemaError, TypeError):  # TypeError: a name ONNX cannot even look up
        return  # an operator ONNX does not define: the lowering says whether tinyir knows it
    given = len(proto.input)
    if not schema.min_input <= given <= schema.max_input:
        expected = schema.min_input if schema.min_input == schema.max_input else f"{schema.min_input} to {schema.max_input}"
        raise node.error(f"has {given} inputs, the operator takes {expected}")
    for i, (name, formal) in enumerate(zip(proto.input, schema.inputs)):
        if not name and formal.option == onnx.defs.OpSchema.FormalParameterOption.Single:
            raise node.error(f"input {i} ({formal.name}) is required, but left empty")
    for a in proto.attribute:
        spec = schema.attributes.get(a.name)
        if spec is not None and a.type != spec.type:
            raise node.error(f"attribute '{a.name}' must be {spec.type.name}, got {onnx.AttributeProto.AttributeType.Name(a.type)}")


def _graph_input(v: onnx.ValueInfoProto) -> tuple[str, tuple[int, ...], np.dtype]:
    t = v.type.tensor_type
    if not v.type.HasField("tensor_type"):
        raise TinyIRError(f"graph input '{v.name}' is not a tensor")
    if t.elem_type not in _ELEMENT_TYPES:
        raise TinyIRError(f"graph input '{v.name}' has unknown element type {t.elem_type}")
    dtype = np.dtype(helper.tensor_dtype_to_np_dtype(t.elem_type)) if t.elem_type else None
    if dtype is None or dtype not in (np.float32, np.int8, np.uint8):
        raise TinyIRError(f"graph input '{v.name}' has element type {dtype}: only float32, int8 and uint8 are supported")
    if not t.HasField("shape"):
        raise TinyIRError(f"graph input '{v.name}' has no shape (a dynamic shape tinyir cannot fix)")
    shape = []
    for i, d in enumerate(t.shape.dim):
        if d.HasField("dim_value") and d.dim_value > 0:
            shape.append(d.dim_value)
        elif i == 0:
            shape.append(1)  # a symbolic batch dimension: one image at a time
        else:
            what = f"'{d.dim_param}'" if d.dim_param else "unknown"
            raise TinyIRError(
                f"graph input '{v.name}' has a dynamic dimension {what} (dimension {i}): "
                "only the batch dimension can be fixed (to 1); export the model with static sizes"
            )
    return v.name, tuple(shape), dtype


def _sorted(nodes: list[Node], inputs: list[str], consts: dict[str, np.ndarray]) -> list[Node]:
    """The nodes in a topological order (stable: file order where it is one)."""
    available = set(inputs) | set(consts) | {""}
    waiting: dict[str, list[Node]] = defaultdict(list)
    missing_count = {}
    for node in nodes:
        missing = {n for n in node.inputs if n not in available}
        missing_count[node] = len(missing)
        for n in missing:
            waiting[n].append(node)
    ready = [n for n in nodes if missing_count[n] == 0]
    order, position = [], {n: i for i, n in enumerate(nodes)}
    import heapq

    heap = [(position[n], i, n) for i, n in enumerate(ready)]
    heapq.heapify(heap)
    while heap:
        _, _, node = heapq.heappop(heap)
        order.append(node)
        for out in node.outputs:
            if out in available:
                continue
            available.add(out)
            for user in waiting.pop(out, []):
                missing_count[user] -= 1
                if missing_count[user] == 0:
                    heapq.heappush(heap, (position[user], id(user), user))
    if len(order) != len(nodes):
        stuck = next(n for n in nodes if missing_count[n] > 0)
        name = next(n for n in stuck.inputs if n not in available)
        produced = any(name in n.outputs for n in nodes)
        raise stuck.error(f"reads '{name}', " + ("which is part of a cycle" if produced else "which no node produces"))
    return order


def _fold_constants(graph: Graph) -> None:
    """Evaluate every node whose inputs are all constants (shape arithmetic,
    weights reshaped or transposed by an exporter, Constant nodes)."""
    kept = []
    for node in graph.nodes:
        if node.op in _NO_FOLD or node.domain not in ("", "ai.onnx") or not all(
            n in graph.consts for n in node.inputs if n
        ):
            kept.append(node)
            continue
        for name, value in zip(node.outputs, evaluate(node, graph)):
            graph.consts[name] = value
    graph.nodes = kept
    graph.changed()


def evaluate(node: Node, graph: Graph, values: dict[str, np.ndarray] | None = None) -> list[np.ndarray]:
    """Run one node on numpy inputs with onnx's reference evaluator."""
    from onnx.reference import ReferenceEvaluator

    values = graph.consts if values is None else values
    feeds = {n: values[n] for n in node.inputs if n}
    proto = helper.make_node(node.op, node.inputs, node.outputs, domain=node.domain or None)
    for key, value in node.attrs.items():  # a tensor attribute was read as an array (e.g. a Constant's value)
        proto.attribute.append(helper.make_attribute(key, numpy_helper.from_array(value) if isinstance(value, np.ndarray) else value))
    inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape) for n, v in feeds.items()]
    outputs = [helper.make_tensor_value_info(n, onnx.TensorProto.UNDEFINED, None) for n in node.outputs if n]
    model = helper.make_model(
        helper.make_graph([proto], "fold", inputs, outputs), opset_imports=[helper.make_opsetid("", graph.opset)]
    )
    try:
        results = ReferenceEvaluator(model).run(None, feeds)
    except Exception as e:  # the reference evaluator raises anything on a bad node
        raise node.error(f"cannot evaluate on constants: {type(e).__name__}: {e}".splitlines()[0]) from None
    return [np.asarray(r) for r in results]

# -- queries the rewrites and lowerings share -----------------------------------


def activation_bounds(node: Node, graph: Graph) -> tuple[float, float] | None:
    """The (lo, hi) of a Relu or of a Clip with constant bounds, else None."""
    if node.op == "Relu":
        return 0.0, math.inf
    if node.op != "Clip":
        return None
    if graph.opset < 11:
        return float(node.attr("min", -math.inf)), float(node.attr("max", math.inf))
    bounds = []
    for i, default in ((1, -math.inf), (2, math.inf)):
        name = node.input(i)
        if not name:
            bounds.append(default)
        elif name in graph.consts and graph.consts[name].size == 1:
            bounds.append(float(graph.consts[name].reshape(-1)[0]))
        else:
            return None
    return bounds[0], bounds[1]


def pad_amounts(node: Node, graph: Graph) -> tuple[list[int], float] | None:
    """The (pads, constant value) of a constant-mode Pad with constant operands."""
    if node.attr("mode", "constant") != "constant":
        return None
    if graph.opset < 11:
        return [int(p) for p in node.attr("pads", [])], float(node.attr("value", 0.0))
    names = [node.input(1), node.input(2), node.input(3)]
    if names[0] not in graph.consts or any(n and n not in graph.consts for n in names[1:]) or names[2]:
        return None
    value = float(graph.consts[names[1]].reshape(-1)[0]) if names[1] else 0.0
    return [int(p) for p in graph.consts[names[0]].reshape(-1)], value


def is_constant_like(name: str, graph: Graph) -> bool:
    """A constant, or the dequantization (or quantization) of one."""
    if name in graph.consts:
        return True
    p = graph.producer(name)
    return p is not None and p.op in ("DequantizeLinear", "QuantizeLinear") and is_constant_like(p.inputs[0], graph)


def reduce_axes(node: Node, graph: Graph) -> list[int] | None:
    """The axes of a ReduceMean (an attribute before opset 18, an input since)."""
    if "axes" in node.attrs:
        return list(node.attrs["axes"])
    name = node.input(1)
    if not name:
        return []  # all axes (noop_with_empty_axes aside)
    if name in graph.consts:
        return [int(a) for a in graph.consts[name].reshape(-1)]
    return None
