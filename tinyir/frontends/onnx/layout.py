"""Values and layouts: the state of an ONNX graph being lowered to tiny IR.

ONNX convolutions read NCHW; tiny is NHWC. Every lowered tensor is an
`Entry`: an IR buffer holding the ONNX tensor with its axes permuted by
`perm` (IR axis i is ONNX axis perm[i]); NCHW activations live as NHWC,
perm (0, 2, 3, 1). A Transpose node only changes `perm`, so the Transpose
pairs that converters put around NHWC models cost nothing. A layout is made
real only where an op needs another one: as a `tiny.reshape` view when the
bytes are already in that order (the two orders differ only in dimensions of
size 1, e.g. NCHW and NHWC with C = 1 or H = W = 1), else as a
`tiny.transpose`.

Graph inputs that the graph reads as NCHW images (a convolution or pool
reads them, through elementwise ops only) are NHWC function arguments, and
NCHW graph outputs are NHWC results, so a plain CNN has no transpose at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.builder import Builder, InsertPoint
from xdsl.dialects import func
from xdsl.dialects.builtin import Float32Type, IntegerType, ModuleOp
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.frontends.onnx.graph import Graph, Node, evaluate
from tinyir.frontends.onnx.quant import Quantization, qparams_for_range, quantize_array
from tinyir.frontends.tflite import value_name
from tinyir.numerics.quantization import QParams

NHWC = (0, 2, 3, 1)  # NCHW tensors as tiny keeps them
I8, I32, F32 = IntegerType(8), IntegerType(32), Float32Type()
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Ops that read NCHW images (an input they reach becomes an NHWC argument),
# and ops a layout passes through unchanged on the way to them.
CHANNELS_FIRST = {"Conv", "QLinearConv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
                  "QLinearAveragePool", "QLinearGlobalAveragePool", "BatchNormalization"}
ELEMENTWISE = {"QuantizeLinear", "DequantizeLinear", "Relu", "Clip", "Sigmoid", "HardSwish", "Add", "Sub",
               "Mul", "Pad", "Identity", "QLinearAdd", "QLinearMul", "QLinearSigmoid"}


def identity(rank: int) -> tuple[int, ...]:
    return tuple(range(rank))


def channels_last(rank: int) -> tuple[int, ...]:
    """The layout tiny keeps a channels-first tensor of this rank in."""
    return NHWC if rank == 4 else identity(rank)


def same_bytes(shape: tuple[int, ...], perm_a: tuple[int, ...], perm_b: tuple[int, ...]) -> bool:
    """Whether two layouts of a tensor order its bytes the same way."""
    return [p for p in perm_a if shape[p] != 1] == [p for p in perm_b if shape[p] != 1]


# What onnxruntime's quantize_dynamic makes: activations quantized at run time,
# which a microcontroller's static arena and CMSIS-NN's int8 kernels do not do.
DYNAMIC_QUANTIZATION = ("DynamicQuantizeLinear", "ConvInteger", "MatMulInteger", "DynamicQuantizeMatMul")
DYNAMIC_QUANTIZATION_HINT = (
    ": a model quantized dynamically (onnxruntime's quantize_dynamic); quantize it statically instead, "
    "e.g. give tinyir the float model with --quantize calib.npz (or quantize_static with QDQ)"
)


@dataclass
class Entry:
    """A lowered ONNX tensor: an IR buffer and the layout it holds the tensor in.

    A flattened NCHW image ([N, C*H*W] in ONNX) is kept in NHWC byte order:
    `columns[i]` is the ONNX column of IR column i. A fully connected layer
    reading it permutes its weights instead (no transpose), elementwise ops
    pass the order on; any other reader gets the tensor rearranged
    (`unflattened`: the IR shape and layout of the image it was).
    """

    value: SSAValue
    perm: tuple[int, ...]
    columns: np.ndarray | None = None
    unflattened: tuple[tuple[int, ...], tuple[int, ...]] | None = None

    def moved(self, value: SSAValue) -> Entry:
        """The same tensor layout (and column order) for another buffer."""
        return Entry(value, self.perm, self.columns, self.unflattened)

    @property
    def type(self) -> tiny.BufferType:
        return tiny.buffer_type(self.value)

    @property
    def onnx_shape(self) -> tuple[int, ...]:
        ir = self.type.shape
        return tuple(ir[self.perm.index(axis)] for axis in range(len(ir)))

    @property
    def is_int8(self) -> bool:
        return self.type.dtype == np.int8 and self.type.quant is not None


class Lowering:
    """Builds the IR of a `Graph`, node by node, with per-op functions."""

    def __init__(self, graph: Graph, quant: Quantization, lowerings: dict[str, Callable[[Lowering, Node], None]]):
        self.g, self.q, self.lowerings = graph, quant, lowerings
        self.entries: dict[str, Entry] = _Entries()
        self._relayouts: dict[tuple, SSAValue] = {}
        self._consts: dict[tuple, SSAValue] = {}
        self.skip: set[int] = set()  # nodes already lowered with an earlier one
        self.display_names: dict[str, str] = {}  # constants made on the way: the name to show
        self.builder: Builder

    # -- the whole graph -------------------------------------------------------

    def run(self) -> ModuleOp:
        arg_types, perms = [], []
        for name, shape, dtype in self.g.inputs:
            perm = self.input_layout(name, len(shape))
            element, quant = (F32, None) if dtype == np.float32 else (I8, self.q.act[name])
            arg_types.append(self.buffer([shape[p] for p in perm], element, quant, name, activation=True))
            perms.append(perm)
        block = Block(arg_types=arg_types)
        for arg, (name, _, _), perm in zip(block.args, self.g.inputs, perms):
            arg.name_hint = value_name(name)
            self.entries[name] = Entry(arg, perm)
        self.builder = Builder(InsertPoint.at_end(block))
        for node in self.g.nodes:
            if id(node) in self.skip:
                continue
            if node.op in ("Shape", "Size") and node.inputs[0] in self.entries:
                shape = np.array(self.entries[node.inputs[0]].onnx_shape, np.int64)
                self.g.consts[node.outputs[0]] = shape if node.op == "Shape" else np.array(shape.prod(), np.int64)
                if node.op == "Shape" and (node.attr("start") is not None or node.attr("end") is not None):
                    self.g.consts[node.outputs[0]] = shape[node.attr("start", 0):node.attr("end", len(shape))]
                continue
            if node.domain in ("", "ai.onnx") and node.op not in ("QuantizeLinear", "DequantizeLinear") and all(
                n in self.g.consts for n in node.inputs if n
            ):
                for out, value in zip(node.outputs, evaluate(node, self.g)):
                    self.g.consts[out] = value
                continue
            lower = self.lowerings.get(node.op)
            if lower is None or node.domain not in ("", "ai.onnx", "com.microsoft"):
                domain = f"{node.domain}." if node.domain not in ("", "ai.onnx") else ""
                hint = DYNAMIC_QUANTIZATION_HINT if node.op in DYNAMIC_QUANTIZATION else ""
                raise TinyIRError(f"unsupported ONNX operator {domain}{node.op} ({node.describe()}){hint}")
            try:
                lower(self, node)
            except VerifyException as e:
                raise node.error(str(e)) from None
            except _NotComputed as e:
                raise node.error(f"reads '{e.name}' as a computed tensor, but it is a constant or no earlier node computes it") from None
        results = [self.output_value(name) for name in self.g.outputs]
        self.builder.insert(func.ReturnOp(*results))
        _erase_unused(block)
        function = func.FuncOp("main", (arg_types, [r.type for r in results]), Region(block))
        return ModuleOp([function])

    def input_layout(self, name: str, rank: int) -> tuple[int, ...]:
        """NHWC for a 4-D input that a channels-first op reads through
        elementwise ops only; the ONNX order otherwise."""
        if rank != 4:
            return identity(rank)
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            for user in self.g.consumers(current):
                if user.op in CHANNELS_FIRST and user.inputs[0] == current:
                    return NHWC
                if user.op in ELEMENTWISE and id(user) not in seen:
                    seen.add(id(user))
                    todo.extend(user.outputs[:1])
        return identity(rank)

    def output_value(self, name: str) -> SSAValue:
        if name not in self.entries:
            raise TinyIRError(f"graph output '{name}' is not computed by any node")
        e = self.entry(name)
        rank = len(e.perm)
        value = e.value if e.perm in (identity(rank), channels_last(rank)) else self.relayout(name, identity(rank))
        if e.is_int8 and name not in self.q.integer:  # a float output carried as int8
            value = self.convert(value, F32, None, name + "/dequantized")
        return value

    # -- building IR -------------------------------------------------------------

    def buffer(self, shape, element: Attribute, quant: QParams | None, what: str, activation: bool = False) -> tiny.BufferType:
        try:
            result = tiny.BufferType(tuple(int(d) for d in shape), element, quant)
            if activation:  # computed at run time, not a weight
                result.verify_activation()
            return result
        except VerifyException as e:
            raise TinyIRError(f"tensor '{what}': {e}") from None

    def alloc(self, name: str, shape, element: Attribute, quant: QParams | None) -> SSAValue:
        op = self.builder.insert(tiny.AllocOp(self.buffer(shape, element, quant, name, activation=True)))
        op.result.name_hint = value_name(name)
        return op.result

    def compute(self, op_class: type[tiny.ComputeOp], ins: list[SSAValue], name: str, shape, element: Attribute,
                quant: QParams | None, **props: Attribute) -> SSAValue:
        """A fresh buffer and the op that writes it; returns the buffer."""
        out = self.alloc(name, shape, element, quant)
        self.builder.insert(op_class(ins, out, **props))
        return out

    def view(self, value: SSAValue, t: tiny.BufferType) -> SSAValue:
        """`value` seen as type `t` (same bytes): itself, or a tiny.reshape of
        the buffer it is a reshape of."""
        owner = value.owner
        if isinstance(owner, tiny.ReshapeOp):
            value = owner.source
        if value.type == t:
            return value
        op = self.builder.insert(tiny.ReshapeOp(value, t))
        op.result.name_hint = value.name_hint
        return op.result

    def convert(self, value: SSAValue, element: Attribute, quant: QParams | None, name: str) -> SSAValue:
        """tiny.quantize / tiny.dequantize of `value` to another element type or quantization."""
        t = tiny.buffer_type(value)
        op_class = tiny.DequantizeOp if element == F32 else tiny.QuantizeOp
        return self.compute(op_class, [value], name, t.shape, element, quant)

    def set(self, name: str, value: SSAValue, perm: tuple[int, ...] | Entry) -> None:
        """Record the lowered tensor (in layout `perm`, or that of an entry);
        an int8 result in another quantization than the tensor's (the Q
        reading it) is requantized."""
        want = self.q.act.get(name)
        t = tiny.buffer_type(value)
        if want is not None and t.dtype == np.int8 and t.quant is not None and t.quant != want:
            value = self.convert(value, I8, want, name)
        self.entries[name] = perm.moved(value) if isinstance(perm, Entry) else Entry(value, perm)

    # -- reading tensors --------------------------------------------------------

    def entry(self, name: str, node: Node | None = None, *, columns_ok: bool = False) -> Entry:
        """The lowered tensor `name` (a flattened image in ONNX order unless `columns_ok`)."""
        if name not in self.entries:
            where = f"{node.describe()}: " if node is not None else ""
            if name in self.g.consts or name in self.q.qconsts:
                raise TinyIRError(f"{where}input '{name}' is a constant where tinyir needs a computed tensor")
            raise TinyIRError(f"{where}input '{name}' is not computed by any node")
        e = self.entries[name]
        if e.columns is not None and not columns_ok:
            shape, perm = e.unflattened
            image = self.view(e.value, e.type.with_shape(shape))
            onnx_order = [shape[perm.index(a)] for a in range(len(perm))]
            out = self.alloc(name + "/transposed", onnx_order, e.type.element_type, e.type.quant)
            order = tiny.i64_array([perm.index(a) for a in range(len(perm))])
            self.builder.insert(tiny.TransposeOp([image], out, perm=order))
            e = self.entries[name] = Entry(self.view(out, e.type), e.perm)
        return e

    def is_const(self, name: str) -> bool:
        return name in self.g.consts or name in self.q.qconsts

    def onnx_shape(self, name: str) -> tuple[int, ...]:
        if name in self.entries:
            return self.entries[name].onnx_shape
        if name in self.q.qconsts:
            return tuple(self.q.qconsts[name].data.shape)
        return tuple(np.shape(self.g.consts[name]))

    def relayout(self, name: str, perm: tuple[int, ...]) -> SSAValue:
        """Tensor `name` in layout `perm`: a view where the bytes allow, else a transpose."""
        e = self.entry(name)
        if e.perm == perm:
            return e.value
        key = (name, perm)
        if key not in self._relayouts:
            shape = e.onnx_shape
            t = e.type.with_shape([shape[p] for p in perm])
            if same_bytes(shape, e.perm, perm):
                self._relayouts[key] = self.view(e.value, t)
            else:
                out = self.alloc(name + "/transposed", t.shape, t.element_type, t.quant)
                order = [e.perm.index(p) for p in perm]
                self.builder.insert(tiny.TransposeOp([e.value], out, perm=tiny.i64_array(order)))
                self._relayouts[key] = out
        return self._relayouts[key]

    def as_float(self, name: str, node: Node, perm: tuple[int, ...] | None = None, rank: int | None = None) -> SSAValue:
        """Tensor `name` as an f32 buffer (dequantized if int8) in layout `perm`."""
        if self.is_const(name):
            return self.const(self.float_const(name), F32, None, name, perm, rank)
        value = self.operand(name, node, perm, rank)
        t = tiny.buffer_type(value)
        if t.dtype == np.float32:
            return value
        key = ("f32", value)
        if key not in self._relayouts:
            self._relayouts[key] = self.convert(value, F32, None, name + "/dequantized")
        return self._relayouts[key]

    def as_int8(self, name: str, node: Node, perm: tuple[int, ...] | None = None, rank: int | None = None,
                quant: QParams | None = None) -> SSAValue:
        """Tensor `name` as an int8 buffer in layout `perm`; a float constant
        is quantized (with `quant`, or over its own range)."""
        if not self.is_const(name):
            value = self.operand(name, node, perm, rank)
            if not tiny.buffer_type(value).dtype == np.int8:
                raise node.error(f"input '{name}' is float where int8 is needed")
            return value
        qc = self.q.qconsts.get(name)
        if qc is not None and not qc.q.is_per_channel and qc.data.dtype == np.int8 and quant is None:
            return self.const(qc.data, I8, qc.q, name, perm, rank)
        data = self.float_const(name)
        q = quant or qparams_for_range(float(data.min()), float(data.max()))
        return self.const(quantize_array(data, q, np.int8), I8, q, name, perm, rank)

    def float_const(self, name: str) -> np.ndarray:
        if name in self.q.qconsts:
            return self.q.qconsts[name].dequantized()
        return np.asarray(self.g.consts[name], dtype=np.float32)

    def operand(self, name: str, node: Node, perm: tuple[int, ...] | None, rank: int | None) -> SSAValue:
        """A computed tensor in layout `perm`, first given `rank` dimensions
        (numpy broadcasting: leading 1s) if it has fewer."""
        e = self.entry(name, node)
        if perm is None:
            return e.value
        own = len(e.perm)
        if rank is not None and own < rank:
            grown = f"{name}\0{rank}"
            if grown not in self.entries:
                flat = self.relayout(name, identity(own))
                t = tiny.buffer_type(flat).with_shape((1,) * (rank - own) + e.onnx_shape)
                self.entries[grown] = Entry(self.view(flat, t), identity(rank))
            return self.relayout(grown, perm)
        return self.relayout(name, perm)

    def const(self, data: np.ndarray, element: Attribute, quant: QParams | None, name: str,
              perm: tuple[int, ...] | None = None, rank: int | None = None) -> SSAValue:
        """A tiny.const of `data` (broadcast to `rank` dims, laid out by `perm`)."""
        data = np.asarray(data)
        if rank is not None and data.ndim < rank:
            data = data.reshape((1,) * (rank - data.ndim) + data.shape)
        if perm is not None:
            data = np.transpose(data, perm)
        dtype = tiny.numpy_dtype(element)
        data = np.ascontiguousarray(data.astype(dtype))
        key = (name, element, quant, data.shape, data.tobytes())
        if key not in self._consts:
            if data.ndim == 0:
                data = data.reshape(1)
            op = self.builder.insert(tiny.ConstOp(data.tobytes(), self.buffer(data.shape, element, quant, name)))
            op.result.name_hint = value_name(self.stored_name(self.display_names.get(name, name)))
            self._consts[key] = op.result
        return self._consts[key]

    def stored_name(self, name: str) -> str:
        """The initializer behind a Q/DQ of a constant (a weight's own name)."""
        p = self.g.producer(name)
        while p is not None and p.op in ("QuantizeLinear", "DequantizeLinear") and self.is_const(p.inputs[0]):
            name = p.inputs[0]
            p = self.g.producer(name)
        return name

    def int8_ready(self, node: Node, names: list[str]) -> bool:
        """Whether `node` can be one int8 op: its output has an int8
        quantization and its data inputs are int8 (constants are quantized)."""
        if node.outputs[0] not in self.q.act:
            return False
        return all(self.is_const(n) or (n in self.entries and self.entries[n].is_int8) for n in names if n)


def float_clamp(node: Node, bounds: tuple[float, float] | None = None) -> Attribute:
    """The clamp of a float op: `bounds`, else its fused Relu/Clip; float
    clamps carry integer bounds (the int64 extremes standing for none)."""
    lo, hi = bounds if bounds is not None else node.attrs.get("_activation", (-math.inf, math.inf))
    values = []
    for b, unbounded in ((lo, INT64_MIN), (hi, INT64_MAX)):
        if math.isinf(b):
            values.append(unbounded)
        elif float(b).is_integer():
            values.append(int(b))
        else:
            raise node.error(f"a clamp to [{lo}, {hi}] in a float model: tinyir's float clamps take integer bounds")
    return tiny.i64_array(values)


def _erase_unused(block: Block) -> None:
    """Drop views and constants nothing reads (layouts made and then not needed)."""
    for op in reversed(list(block.ops)):
        if isinstance(op, (tiny.ReshapeOp, tiny.ConstOp)) and not op.result.uses:
            op.detach()
            op.erase()


class _NotComputed(Exception):
    def __init__(self, name: str):
        self.name = name


class _Entries(dict):
    """The lowered tensors by ONNX name; asking for one not lowered (a
    constant where a node needs a computed tensor, in a malformed model)
    is an error the lowering loop names the node in."""

    def __missing__(self, name: str):
        raise _NotComputed(name)
