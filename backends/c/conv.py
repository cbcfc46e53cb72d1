"""Op emitters of the layers with weights: tiny.conv_2d, tiny.depthwise_conv_2d
(CMSIS-NN's wrapper, or tinyir's in-place kernel for an in-place depthwise
convolution) and tiny.fully_connected (per-tensor or per-channel).

In a tile loop, an output tile is the same CMSIS-NN call on the tile's slice
of the filter, bias, multipliers and shifts (pointers offset by t; a
depthwise filter is read from its tile-major copy); an input tile is
tinyir's accumulating kernel (tiles.py). In a row loop, the same CMSIS-NN
call on the op's band of rows: input and output dims of its rows, its top
padding, pointers at its first rows (rows.py)."""

from __future__ import annotations

from collections.abc import Sequence

from tinyir.analysis.scratch import is_inplace_depthwise
from tinyir.analysis.target import Family
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.numerics import quantization

from . import tiles
from .emitter import Emitter, Layout, tile_major
from .text import block, check, cmsis_check, dims, ints, tile


def _per_channel_quant(e: Emitter, op: tiny.ComputeOp, step: str, mult, shift, channels: int) -> str:
    """The quant params of `channels` output channels (the tile's, at t)."""
    m, s = e.per_channel(step, mult, shift)
    m, s = e.at_tile(op, f"(int32_t *){m}", channels), e.at_tile(op, f"(int32_t *){s}", channels)
    return f"const cmsis_nn_per_channel_quant_params quant = {{{m}, {s}}};"


def _layer(
    e: Emitter,
    op: tiny.ComputeOp,
    step: str,
    kernel: str,
    declarations: Sequence[str],
    shapes: tuple[Sequence[int], Sequence[int], Sequence[int]],
    bias: str,
    before_call: Sequence[str] = (),
    filter_data: str | None = None,
) -> list[str]:
    """The block of a CMSIS-NN layer call `kernel(&ctx, &params, &quant, input,
    filter, bias, output)`: `declarations` (params, quant), then the dims of
    `shapes` (input, filter, output); `filter_data`: the filter's pointer, if
    not the operand's array (a tile's slice)."""
    (x_shape, w_shape, y_shape), v = shapes, e.values
    filter_data = filter_data or v.ptr(op.ins[1], True)
    c_out = y_shape[-1]
    return block(
        [
            e.ctx(op),
            *declarations,
            f"const cmsis_nn_dims input_dims = {{{ints(x_shape)}}};",
            f"const cmsis_nn_dims filter_dims = {{{ints(w_shape)}}};",
            f"const cmsis_nn_dims bias_dims = {{1, 1, 1, {c_out}}};",
            f"const cmsis_nn_dims output_dims = {{{ints(y_shape)}}};",
            *before_call,
            *cmsis_check(
                f"{kernel}(&ctx, &params, &quant, &input_dims, {e.input(op, 0)}, &filter_dims, "
                f"{filter_data}, &bias_dims, {bias}, &output_dims, {e.output(op)})",
                step,
            ),
        ]
    )


def _window_detail(op: tiny.ConvLikeOp) -> str:
    top, bottom, left, right = op.ints("pad")
    return (
        f", filter {dims(op.in_type(1).shape)}, stride {dims(op.ints('stride'))}, pad {top},{bottom},{left},{right}"
        f", dilation {dims(op.ints('dilation'))}"
    )


def _window_params(e: Emitter, op: tiny.ConvLikeOp, middle: str = "") -> str:
    """The fields of cmsis_nn_conv_params / cmsis_nn_dw_conv_params (`middle`: ch_mult)."""
    x, y = op.in_type(0), op.out_type
    left = op.ints("pad")[2]
    lo, hi = op.ints("clamp")
    return (
        f"{{.input_offset = {-x.quant.zp}, .output_offset = {y.quant.zp}, {middle}"
        f".stride = {tile(op.ints('stride'))}, .padding = {tile((e.pad_top(op), left))}, "
        f".dilation = {tile(op.ints('dilation'))}, .activation = {{{lo}, {hi}}}}}"
    )


def emit_conv_2d(e: Emitter, op: tiny.Conv2DOp, step: str):
    if op.tile_mode == "in":
        return tiles.emit_input_tile(e, op, step)
    x, w, y = op.in_type(0), op.in_type(1), op.out_type
    c_out, kh, kw, c_in = w.shape
    c = y.shape[3]  # c_out, or an output tile's channels
    mult, shift = quantization.conv_output_multipliers(x.quant, w.quant, y.quant, c_out)
    if op in e.bands and kh == 1 and any(op.ints("pad")[:2]) and e.family() == Family.MVE:
        # a band of one input row takes CMSIS-NN's 1xN kernel, whose MVE code computes one output row, unpadded
        raise TinyIRError(f"C backend: {op.name} 1x{kw} with vertical padding in a row loop (MVE build of CMSIS-NN)")
    quant = _per_channel_quant(e, op, step, mult, shift, c)
    call = _layer(
        e,
        op,
        step,
        "arm_convolve_wrapper_s8",
        [f"const cmsis_nn_conv_params params = {_window_params(e, op)};", quant],
        (e.in_shape(op, 0), (c, kh, kw, c_in), e.out_shape(op)),
        e.at_tile(op, e.bias(op, step, c_out), c),
        filter_data=e.at_tile(op, e.values.ptr(op.ins[1], True), c * kh * kw * c_in),
    )
    return call, _window_detail(op) + ": arm_convolve_wrapper_s8"


def emit_depthwise_conv_2d(e: Emitter, op: tiny.DepthwiseConv2DOp, step: str):
    x, w, y = op.in_type(0), op.in_type(1), op.out_type
    _, kh, kw, c_out = w.shape
    c = y.shape[3]  # c_out, or an output tile's channels
    mult, shift = quantization.conv_output_multipliers(x.quant, w.quant, y.quant, c_out)
    detail = _window_detail(op)
    if is_inplace_depthwise(op):
        if op in e.bands:
            raise TinyIRError(f"C backend: in-place {op.name} in a row loop")
        return _inplace_depthwise(e, op, step, mult, shift), (
            detail + ": in place, one channel at a time (tinyir_depthwise_conv_inplace_s8)"
        )
    quant = _per_channel_quant(e, op, step, mult, shift, c)
    params = _window_params(e, op, f".ch_mult = {c // x.shape[3]}, ")
    filter_data = None
    if op.tile is not None:  # the tile's channels of [1, KH, KW, C] are strided: read it tile-major
        filter_data = e.at_tile(op, e.laid_out(op.ins[1], tile_major(3, op.tile_count)), kh * kw * c)
    call = _layer(
        e,
        op,
        step,
        "arm_depthwise_conv_wrapper_s8",
        [f"const cmsis_nn_dw_conv_params params = {params};", quant],
        (e.in_shape(op, 0), (1, kh, kw, c), e.out_shape(op)),
        e.at_tile(op, e.bias(op, step, c_out), c),
        filter_data=filter_data,
    )
    return call, detail + ": arm_depthwise_conv_wrapper_s8"


def _inplace_depthwise(e: Emitter, op: tiny.DepthwiseConv2DOp, step: str, mult, shift) -> list[str]:
    """tinyir's depthwise convolution that writes over its input, one channel at a time."""
    x, w, y = op.in_type(0), op.in_type(1), op.out_type
    _, kh, kw, c_out = w.shape
    m, s = e.per_channel(step, mult, shift)
    top, _, left, _ = op.ints("pad")
    (sh, sw), (dh, dw) = op.ints("stride"), op.ints("dilation")
    lo, hi = op.ints("clamp")
    _, ih, iw, c = x.shape
    v = e.values
    return block(
        [
            f"const tinyir_dw_inplace_params params = {{.in_h = {ih}, .in_w = {iw}, .channels = {c}, "
            f".out_h = {y.shape[1]}, .out_w = {y.shape[2]}, .kernel_h = {kh}, .kernel_w = {kw}, "
            f".stride_h = {sh}, .stride_w = {sw}, .pad_top = {top}, .pad_left = {left}, .dilation_h = {dh}, "
            f".dilation_w = {dw}, .input_offset = {-x.quant.zp}, .output_offset = {y.quant.zp}, "
            f".activation_min = {lo}, .activation_max = {hi}}};",
            *check(
                f"tinyir_depthwise_conv_inplace_s8(&params, {v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, "
                f"{v.ptr(op.scratch)}, {tiny.buffer_type(op.scratch).nbytes}, {v.ptr(op.ins[1], True)}, "
                f"{e.bias(op, step, c_out)}, {m}, {s})",
                step,
            ),
        ]
    )


def emit_fully_connected(e: Emitter, op: tiny.FullyConnectedOp, step: str):
    if op.tile_mode == "in":
        return tiles.emit_input_tile(e, op, step)
    x, w, y = op.in_type(0), op.in_type(1), op.out_type
    c_out, depth = w.shape
    c = y.shape[-1]  # c_out, or an output tile's channels
    rows = x.num_elements // depth
    mult, shift = quantization.fully_connected_multipliers(x.quant, w.quant, y.quant)
    lo, hi = op.ints("clamp")
    per_channel = w.quant.is_per_channel
    filter_offset = 0 if per_channel else -w.quant.zp
    bias = e.at_tile(op, e.bias(op, step, c_out), c)
    filter_data = e.at_tile(op, e.values.ptr(op.ins[1], True), c * depth)
    if per_channel:
        quant = _per_channel_quant(e, op, step, mult, shift, c)
        kernel = "arm_fully_connected_per_channel_s8"
    else:
        quant = f"const cmsis_nn_per_tensor_quant_params quant = {{{int(mult[0])}, {int(shift[0])}}};"
        kernel = "arm_fully_connected_s8"
    params = (
        f"const cmsis_nn_fc_params params = {{.input_offset = {-x.quant.zp}, .filter_offset = {filter_offset}, "
        f".output_offset = {y.quant.zp}, .activation = {{{lo}, {hi}}}}};"
    )
    kernel_sums = []
    if op.scratch is not None:
        # The MVE build reads the filter's row sums (with the bias) from the scratch,
        # as TFLite Micro's CMSIS-NN port computes them (its kernel_sums).
        kernel_sums = [
            "#if defined(ARM_MATH_MVEI)",
            f"arm_vector_sum_s8((int32_t *)ctx.buf, {depth}, {c}, {filter_data}, "
            f"{-x.quant.zp}, {filter_offset}, {bias});",
            "#endif",
        ]
    shapes = ((rows, 1, 1, depth), (depth, 1, 1, c), (rows, 1, 1, c))
    call = _layer(e, op, step, kernel, [params, quant], shapes, bias, kernel_sums, filter_data)
    kind = "per-channel" if per_channel else "per-tensor"
    return call, f", filter {dims(w.shape)} {kind}, {rows} row(s): {kernel}"


def layout(op, index: int) -> Layout | None:
    """The filter [1, KH, KW, C] of a depthwise output tile is read tile-major
    (CMSIS-NN takes the tile's [1, KH, KW, c] contiguous); input tiles: tiles.py."""
    if isinstance(op, tiny.DepthwiseConv2DOp) and op.tile_mode == "out" and index == 1:
        return tile_major(3, op.tile_count)
    return tiles.layout(op, index)


KERNELS = {
    tiny.Conv2DOp: emit_conv_2d,
    tiny.DepthwiseConv2DOp: emit_depthwise_conv_2d,
    tiny.FullyConnectedOp: emit_fully_connected,
}
