"""Reference executor: runs tiny IR with numpy, bit-exact with TFLite Micro.

Built on xDSL's interpreter framework, so it runs IR at any stage of a
pipeline (and whatever structured ops later passes introduce). Buffers are
numpy arrays; compute ops write their result into their output buffer in
place, exactly as the IR says (destination passing), and views are numpy views.
The arithmetic lives in `tinyir.numerics.kernels`; this module only maps ops to kernels.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls
from xdsl.interpreters.func import FuncFunctions
from xdsl.irdl import AttrSizedOperandSegments

from tinyir.analysis.arena import arena_size, argument_offsets
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.numerics import kernels
from tinyir.numerics.kernels import floating


def _window(op: tiny.ComputeOp, band_pad_top: int | None) -> dict[str, Any]:
    return {"stride": op.ints("stride"), "pad": _pad(op, band_pad_top), "clamp": op.ints("clamp")}


def _pad(op: tiny.ComputeOp, band_pad_top: int | None) -> tuple[int, ...]:
    """The op's padding (top, bottom, left, right); in a row loop the band's
    top padding replaces the op's (kernels place the window by the top and
    left padding only; rows past the input's end are padding)."""
    top, bottom, left, right = op.ints("pad")
    return (top, bottom, left, right) if band_pad_top is None else (band_pad_top, 0, left, right)


def compute(op_type: type[tiny.ComputeOp]):
    """`@impl` for a compute op, handing it (ins..., out): a scratch buffer is
    CMSIS-NN's working memory, of no use to numpy kernels. Tiled ops get
    `tile` (an int or None) and `acc` (an array or None) as keywords."""

    def register(run):
        tiled = issubclass(op_type, (tiny.TiledOp, tiny.TileCopyOp))

        @impl(op_type)
        @functools.wraps(run)
        def run_without_scratch(self, interpreter: Interpreter, op: tiny.ComputeOp, args: tuple[Any, ...]):
            ins_out = args[: len(op.ins) + 1]
            if _run_f32(op, ins_out, self.band_pad_top):
                result = ()
            elif not tiled:
                result = run(self, interpreter, op, ins_out)
            else:
                optional = dict(zip(tiny.ComputeOp.OPTIONAL_OPERANDS, _optional_args(op, args)))
                result = run(self, interpreter, op, ins_out, tile=optional["tile"], acc=optional["acc"])
            if self.observer is not None:
                self.observer(op, ins_out[-1])
            return result

        return run_without_scratch

    return register


def _optional_args(op: tiny.ComputeOp, args: tuple[Any, ...]) -> list[Any]:
    """The values of `acc`, `scratch`, `tile` (None where absent)."""
    rest = iter(args[len(op.ins) + 1 :])
    return [None if getattr(op, name) is None else next(rest) for name in tiny.ComputeOp.OPTIONAL_OPERANDS]


def _run_f32(op: tiny.ComputeOp, ins_out: tuple[np.ndarray, ...], band_pad_top: int | None) -> bool:
    """Run an op on f32 buffers (float models, the ONNX frontend) with
    tinyir.numerics.kernels.floating; False when it is not one (data movement such as
    pad, concat, transpose runs on any element type below)."""
    kernel = floating.KERNELS.get(op.name)
    if kernel is None or any(a.dtype != np.float32 for a in ins_out):
        return False
    props = {}
    for name, attr in op.properties.items():
        if isinstance(attr, DenseArrayBase) and name != AttrSizedOperandSegments.attribute_name:
            props[name] = tuple(int(v) for v in attr.get_values())
        elif isinstance(attr, FloatAttr):
            props[name] = float(attr.value.data)
    if "pad" in props:
        props["pad"] = _pad(op, band_pad_top)
    *ins, out = ins_out
    _write(out, kernel(*ins, out_shape=out.shape, **props))
    return True


def _write(out: np.ndarray, result: np.ndarray) -> tuple[()]:
    out[...] = result.reshape(out.shape)
    return ()


def _weighted(kernel, op: tiny.TiledOp, args: tuple[np.ndarray, ...], tile: int | None,
              acc: np.ndarray | None, **attrs) -> tuple[()]:
    """Conv, depthwise, fully connected: (input, filter[, bias]) -> out, whole
    or one tile (see tiny.TiledOp)."""
    *ins, out = args
    x, w, b = (*ins, None) if len(ins) == 2 else ins
    x_q, w_q, y_q = op.in_type(0).quant, op.in_type(1).quant, op.out_type.quant
    if op.tile_mode == "in":
        return _input_tile(op, x, w, b, out, acc, tile, **attrs)
    if op.tile_mode == "out":  # the filter, bias and quantization of this tile's channels
        size = out.shape[-1]
        window = slice(tile * size, (tile + 1) * size)
        w = w[(slice(None),) * op.FILTER_OUT_AXIS + (window,)]
        b = None if b is None else b[window]
        w_q = w_q.channels(window.start, window.stop)
    return _write(out, kernel(x, x_q, w, w_q, b, y_q, out_shape=out.shape, **attrs))


def _input_tile(op: tiny.TiledOp, x, w, b, out, acc, tile: int, clamp, **window) -> tuple[()]:
    """Partial sums over this tile's input channels into `acc`; at the last
    tile, bias, requantization and clamp into `out`."""
    size = x.shape[-1]
    w = w[(slice(None),) * op.FILTER_IN_AXIS + (slice(tile * size, (tile + 1) * size),)]
    x_q, w_q, y_q = op.in_type(0).quant, op.in_type(1).quant, op.out_type.quant
    if isinstance(op, tiny.Conv2DOp):
        sums = kernels.conv_2d_sums(x, x_q, w, out_shape=out.shape, **window)
        finish = kernels.conv_output
    else:
        sums = kernels.fully_connected_sums(x, x_q, w, w_q)
        finish = kernels.fully_connected_output
    sums = sums.reshape(acc.shape)
    acc[...] = sums if tile == 0 else acc.astype(np.int64) + sums
    if tile == op.tile_count - 1:
        b = None if len(op.ins) == 2 else b
        _write(out, finish(acc.reshape(-1, acc.shape[-1]), x_q, w_q, b, y_q, clamp=clamp, out_shape=out.shape))
    return ()


def _pool(kernel, op: tiny.PoolOp, args: tuple[np.ndarray, ...], window: dict[str, Any]) -> tuple[()]:
    x, out = args
    result = kernel(x, op.in_type(0).quant, op.out_type.quant, kernel=op.ints("kernel"), out_shape=out.shape, **window)
    return _write(out, result)


def _binary(kernel, op: tiny.ComputeOp, args: tuple[np.ndarray, ...]) -> tuple[()]:
    a, b, out = args
    q = op.in_type
    result = kernel(a, q(0).quant, b, q(1).quant, op.out_type.quant, clamp=op.ints("clamp"), out_shape=out.shape)
    return _write(out, result)


@register_impls
class TinyFunctions(InterpreterFunctions):
    """numpy implementations of the `tiny` ops."""

    def __init__(self, arena: np.ndarray | None = None, observer=None):
        super().__init__()
        self.arena = arena
        """The arena of an allocated module (uint8), or None: fresh arrays."""
        self.observer = observer
        """Called as observer(op, out) after each compute op, with its output
        array (live: a change to it is what later ops read)."""
        self.band_pad_top: int | None = None
        """In a row loop, the padding rows above the band being run, which
        replace the op's top padding (see run_row_loop); None outside."""

    @impl(tiny.AllocOp)
    def run_alloc(self, interpreter: Interpreter, op: tiny.AllocOp, args: tuple[()]):
        t = op.result.type
        if self.arena is None:
            return (np.zeros(t.shape, dtype=t.dtype),)
        return (arena_view(self.arena, op.arena_offset, t, f"%{op.result.name_hint or 'tiny.alloc'}"),)

    @impl(tiny.ConstOp)
    def run_const(self, interpreter: Interpreter, op: tiny.ConstOp, args: tuple[()]):
        return (op.as_array(),)

    @impl(tiny.ReshapeOp)
    def run_reshape(self, interpreter: Interpreter, op: tiny.ReshapeOp, args: tuple[np.ndarray]):
        view = args[0].view()
        view.shape = op.result.type.shape  # raises rather than copy: a view aliases
        return (view,)

    @impl(tiny.PrefixViewOp)
    def run_view(self, interpreter: Interpreter, op: tiny.PrefixViewOp, args: tuple[np.ndarray]):
        return (prefix_view(args[0], op.result.type),)

    @compute(tiny.Conv2DOp)
    def run_conv_2d(self, interpreter: Interpreter, op: tiny.Conv2DOp, args: tuple[np.ndarray, ...], **tile):
        return _weighted(kernels.conv_2d, op, args, dilation=op.ints("dilation"), **tile, **_window(op, self.band_pad_top))

    @compute(tiny.DepthwiseConv2DOp)
    def run_depthwise_conv_2d(
        self, interpreter: Interpreter, op: tiny.DepthwiseConv2DOp, args: tuple[np.ndarray, ...], **tile
    ):
        return _weighted(kernels.depthwise_conv_2d, op, args, dilation=op.ints("dilation"), **tile, **_window(op, self.band_pad_top))

    @compute(tiny.FullyConnectedOp)
    def run_fully_connected(self, interpreter: Interpreter, op: tiny.FullyConnectedOp, args: tuple[np.ndarray, ...], **tile):
        return _weighted(kernels.fully_connected, op, args, clamp=op.ints("clamp"), **tile)

    @compute(tiny.ExtractTileOp)
    def run_extract_tile(self, interpreter: Interpreter, op: tiny.ExtractTileOp, args: tuple[np.ndarray, ...], tile, acc):
        whole, part = args
        part[...] = whole[_tile_window(op, part, tile)]
        return ()

    @compute(tiny.InsertTileOp)
    def run_insert_tile(self, interpreter: Interpreter, op: tiny.InsertTileOp, args: tuple[np.ndarray, ...], tile, acc):
        part, whole = args
        whole[_tile_window(op, part, tile)] = part
        return ()

    @impl(tiny.TileLoopOp)
    def run_tile_loop(self, interpreter: Interpreter, op: tiny.TileLoopOp, args: tuple[()]):
        if op.by_rows:
            return self.run_row_loop(interpreter, op)
        for tile in range(op.tiles):
            interpreter.run_ssacfg_region(op.body, (tile,), "tile_loop")
        return ()

    def run_row_loop(self, interpreter: Interpreter, loop: tiny.TileLoopOp) -> tuple[()]:
        """A row loop, band by band as tiny.row_schedule says: the line buffers
        are made once and keep their rows across tiles; each op runs on the rows
        of its band (numpy views of its buffers) with the band's top padding."""
        schedule = tiny.row_schedule(loop)
        interpreter.push_scope("tile_loop")
        try:
            for op in loop.body.block.ops:
                if isinstance(op, tiny.AllocOp):
                    interpreter.set_values(zip(op.results, interpreter.run_op(op, ())))
            for steps in schedule.tiles:
                for step in steps:
                    if step.shift is not None:
                        (buffer,) = interpreter.get_values([step.shift.buffer])
                        kept = slice(step.shift.source, step.shift.source + step.shift.rows)
                        buffer[:, : step.shift.rows] = buffer[:, kept].copy()
                    if step.band is None:
                        continue
                    args = list(interpreter.get_values(step.op.operands))
                    band = step.band
                    for i, at in enumerate(band.in_at):
                        if at is not None:
                            args[i] = args[i][:, at : at + band.in_rows]
                    out = len(step.op.ins)
                    args[out] = args[out][:, band.out_at : band.out_at + band.rows]
                    self.band_pad_top = band.pad_top
                    try:
                        interpreter.run_op(step.op, tuple(args))
                    finally:
                        self.band_pad_top = None
        finally:
            interpreter.pop_scope()
        return ()

    @compute(tiny.AddOp)
    def run_add(self, interpreter: Interpreter, op: tiny.AddOp, args: tuple[np.ndarray, ...]):
        return _binary(kernels.add, op, args)

    @compute(tiny.MulOp)
    def run_mul(self, interpreter: Interpreter, op: tiny.MulOp, args: tuple[np.ndarray, ...]):
        return _binary(kernels.mul, op, args)

    @compute(tiny.SubOp)
    def run_sub(self, interpreter: Interpreter, op: tiny.SubOp, args: tuple[np.ndarray, ...]):
        return _binary(kernels.sub, op, args)

    @compute(tiny.MinimumOp)
    def run_minimum(self, interpreter: Interpreter, op: tiny.MinimumOp, args: tuple[np.ndarray, ...]):
        return _binary(kernels.minimum, op, args)

    @compute(tiny.MaximumOp)
    def run_maximum(self, interpreter: Interpreter, op: tiny.MaximumOp, args: tuple[np.ndarray, ...]):
        return _binary(kernels.maximum, op, args)

    @compute(tiny.SquaredDifferenceOp)
    def run_squared_difference(self, interpreter: Interpreter, op: tiny.SquaredDifferenceOp,
                               args: tuple[np.ndarray, ...]):
        return _binary(kernels.squared_difference, op, args)

    @compute(tiny.PReluOp)
    def run_prelu(self, interpreter: Interpreter, op: tiny.PReluOp, args: tuple[np.ndarray, ...]):
        return _binary(kernels.prelu, op, args)

    @compute(tiny.AvgPool2DOp)
    def run_avg_pool_2d(self, interpreter: Interpreter, op: tiny.AvgPool2DOp, args: tuple[np.ndarray, ...]):
        return _pool(kernels.avg_pool_2d, op, args, _window(op, self.band_pad_top))

    @compute(tiny.MaxPool2DOp)
    def run_max_pool_2d(self, interpreter: Interpreter, op: tiny.MaxPool2DOp, args: tuple[np.ndarray, ...]):
        return _pool(kernels.max_pool_2d, op, args, _window(op, self.band_pad_top))

    @compute(tiny.MeanOp)
    def run_mean(self, interpreter: Interpreter, op: tiny.MeanOp, args: tuple[np.ndarray, ...]):
        x, out = args
        result = kernels.mean(x, op.in_type(0).quant, op.out_type.quant, axes=op.ints("axes"), out_shape=out.shape)
        return _write(out, result)

    @compute(tiny.PadOp)
    def run_pad(self, interpreter: Interpreter, op: tiny.PadOp, args: tuple[np.ndarray, ...]):
        x, out = args
        flat = op.ints("paddings")
        paddings = [(flat[2 * i], flat[2 * i + 1]) for i in range(x.ndim)]
        return _write(out, kernels.pad(x, paddings=paddings, value=op.value.value.data))

    @compute(tiny.SoftmaxOp)
    def run_softmax(self, interpreter: Interpreter, op: tiny.SoftmaxOp, args: tuple[np.ndarray, ...]):
        x, out = args
        result = kernels.softmax(x, op.in_type(0).quant, op.out_type.quant, beta=op.beta.value.data)
        return _write(out, result)

    @compute(tiny.LogisticOp)
    def run_logistic(self, interpreter: Interpreter, op: tiny.LogisticOp, args: tuple[np.ndarray, ...]):
        x, out = args
        return _write(out, kernels.logistic(x, op.in_type(0).quant, op.out_type.quant))

    @compute(tiny.TanhOp)
    def run_tanh(self, interpreter: Interpreter, op: tiny.TanhOp, args: tuple[np.ndarray, ...]):
        x, out = args
        return _write(out, kernels.tanh(x, op.in_type(0).quant, op.out_type.quant))

    @compute(tiny.LeakyReluOp)
    def run_leaky_relu(self, interpreter: Interpreter, op: tiny.LeakyReluOp, args: tuple[np.ndarray, ...]):
        x, out = args
        result = kernels.leaky_relu(x, op.in_type(0).quant, op.out_type.quant, alpha=op.alpha.value.data)
        return _write(out, result)

    @compute(tiny.LogSoftmaxOp)
    def run_log_softmax(self, interpreter: Interpreter, op: tiny.LogSoftmaxOp, args: tuple[np.ndarray, ...]):
        x, out = args
        return _write(out, kernels.log_softmax(x, op.in_type(0).quant, op.out_type.quant))

    @compute(tiny.ArgMaxOp)
    def run_arg_max(self, interpreter: Interpreter, op: tiny.ArgMaxOp, args: tuple[np.ndarray, ...]):
        x, out = args
        return _write(out, kernels.arg_max(x, axis=op.axis.value.data))

    @compute(tiny.HardSwishOp)
    def run_hard_swish(self, interpreter: Interpreter, op: tiny.HardSwishOp, args: tuple[np.ndarray, ...]):
        x, out = args
        return _write(out, kernels.hard_swish(x, op.in_type(0).quant, op.out_type.quant))

    @compute(tiny.ClampOp)
    def run_clamp(self, interpreter: Interpreter, op: tiny.ClampOp, args: tuple[np.ndarray, ...]):
        x, out = args
        return _write(out, kernels.clamp(x, op.in_type(0).quant, op.out_type.quant, clamp=op.ints("clamp")))

    @compute(tiny.ConcatOp)
    def run_concat(self, interpreter: Interpreter, op: tiny.ConcatOp, args: tuple[np.ndarray, ...]):
        *xs, out = args
        qs = [op.in_type(i).quant for i in range(len(xs))]
        result = kernels.concatenation(xs, qs, op.out_type.quant, axis=op.axis.value.data)
        return _write(out, result)

    @compute(tiny.TransposeOp)
    def run_transpose(self, interpreter: Interpreter, op: tiny.TransposeOp, args: tuple[np.ndarray, ...]):
        x, out = args
        return _write(out, kernels.transpose(x, perm=op.ints("perm")))

    @compute(tiny.ResizeOp)
    def run_resize(self, interpreter: Interpreter, op: tiny.ResizeOp, args: tuple[np.ndarray, ...]):
        x, out = args
        result = kernels.resize(x, out_hw=out.shape[1:3], mode=op.mode.data, align_corners=op.flag("align_corners"),
                                half_pixel_centers=op.flag("half_pixel_centers"))
        return _write(out, result)

    @compute(tiny.SliceOp)
    def run_slice(self, interpreter: Interpreter, op: tiny.SliceOp, args: tuple[np.ndarray, ...]):
        x, out = args
        window = kernels.strided_slice(x, begin=op.ints("begin"), stride=op.ints("stride"), out_shape=out.shape)
        return _write(out, window)

    @compute(tiny.QuantizeOp)
    def run_quantize(self, interpreter: Interpreter, op: tiny.QuantizeOp, args: tuple[np.ndarray, ...]):
        x, out = args
        if x.dtype == np.float32:
            result = kernels.quantize(x, op.out_type.quant)
        else:
            result = kernels.requantize(x, op.in_type(0).quant, op.out_type.quant)
        return _write(out, result.astype(out.dtype))

    @compute(tiny.ReadRowsOp)
    def run_read_rows(self, interpreter: Interpreter, op: tiny.ReadRowsOp, args: tuple[np.ndarray, ...]):
        x, out = args  # in a row loop, the band's rows of the stream and of the line buffer
        return _write(out, x)

    @compute(tiny.DequantizeOp)
    def run_dequantize(self, interpreter: Interpreter, op: tiny.DequantizeOp, args: tuple[np.ndarray, ...]):
        x, out = args
        return _write(out, kernels.dequantize(x, op.in_type(0).quant))


def _tile_window(op: tiny.TileCopyOp, part: np.ndarray, tile: int) -> tuple[slice, ...]:
    axis = op.axis.value.data
    size = part.shape[axis]
    return (slice(None),) * axis + (slice(tile * size, (tile + 1) * size),)


def entry_function(module: ModuleOp, name: str = "main") -> func.FuncOp:
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            return op
    raise TinyIRError(f"the module has no function @{name}")


def execute(module: ModuleOp, inputs: Sequence[np.ndarray], entry: str = "main", *, observer=None) -> list[np.ndarray]:
    """Run the model on numpy inputs; returns its outputs (fresh arrays).

    `observer(op, out)`, if given, sees each compute op's output buffer right
    after the op (per-layer comparisons, e.g. with onnxruntime)."""
    function = entry_function(module, entry)
    arg_types = function.function_type.inputs.data
    if len(inputs) != len(arg_types):
        raise TinyIRError(f"@{entry} takes {len(arg_types)} inputs, got {len(inputs)}")
    arena = new_arena(module)
    arg_offsets = argument_offsets(function)
    streamed = tiny.streamed_arguments(function)
    args = []
    for i, (x, t) in enumerate(zip(inputs, arg_types)):
        x = np.asarray(x)
        if x.shape != t.shape or x.dtype != t.dtype:
            raise TinyIRError(
                f"input {i} must be {list(t.shape)} {t.dtype}, got {list(x.shape)} {x.dtype}"
            )
        if arena is None or streamed[i]:  # a streamed input is the caller's: read_rows takes rows of it
            args.append(np.array(x, copy=True))
        else:  # the input is copied into its arena slot, as a C caller would
            slot = arena_view(arena, arg_offsets[i], t, f"input {i}")
            slot[...] = x
            args.append(slot)
    interpreter = Interpreter(module)
    interpreter.register_implementations(FuncFunctions())
    interpreter.register_implementations(TinyFunctions(arena, observer))
    try:
        results = interpreter.call_op(entry, tuple(args))
    except ValueError as e:  # a kernel refusing what TFLite Micro would abort on
        raise TinyIRError(f"execution failed: {e}") from None
    return [np.array(r, copy=True) for r in results]  # copied out of the arena


# -- arena mode ---------------------------------------------------------------
# An allocated module (`tiny.arena_size`, see tinyir.analysis.arena) runs in one uint8
# array: each tiny.alloc is a view of it at its offset, reinterpreted with the
# buffer's dtype and shape, so an overlap in the allocation shows up as a wrong
# answer. The arena starts filled with ARENA_FILL rather than zeros, so a
# kernel reading a buffer before anything wrote it shows up too.

ARENA_FILL = 0xA5


def new_arena(module: ModuleOp) -> np.ndarray | None:
    size = arena_size(module)
    return None if size is None else np.full(size, ARENA_FILL, dtype=np.uint8)


def arena_view(arena: np.ndarray, offset: int | None, t: tiny.BufferType, what: str) -> np.ndarray:
    """The buffer of type `t` at `offset` in the arena."""
    if offset is None:
        raise TinyIRError(f"{what} has no arena offset in an allocated module")
    if offset < 0 or offset + t.nbytes > arena.size:
        raise TinyIRError(f"{what} [{offset}, {offset + t.nbytes}) lies outside the arena of {arena.size} bytes")
    return arena[offset : offset + t.nbytes].view(t.dtype).reshape(t.shape)


def prefix_view(source: np.ndarray, t: tiny.BufferType) -> np.ndarray:
    """The first `t.nbytes` bytes of `source` as a buffer of type `t`: a numpy
    view (setting `.shape` raises rather than copy), never a copy. Buffers are
    contiguous (fresh arrays, arena slices, views of them): a strided source
    would give other bytes than the buffer's first ones, so it is refused."""
    if not source.flags.c_contiguous:
        raise ValueError(f"tiny.view of a non-contiguous array {list(source.shape)}")
    flat = source.view()
    flat.shape = (source.size,)
    view = flat.view(np.uint8)[: t.nbytes].view(t.dtype)
    view.shape = t.shape
    return view


def random_inputs(module: ModuleOp, seed: int = 0, entry: str = "main") -> list[np.ndarray]:
    """Seeded random inputs for every argument: the full integer range, or N(0, 1) floats."""
    rng = np.random.default_rng(seed)
    inputs = []
    for t in entry_function(module, entry).function_type.inputs.data:
        if t.dtype.kind == "f":
            inputs.append(rng.standard_normal(t.shape).astype(t.dtype))
        else:
            info = np.iinfo(t.dtype)
            inputs.append(rng.integers(info.min, info.max, t.shape, dtype=t.dtype, endpoint=True))
    return inputs
