"""Spatial operators: resizing, and the dilated convolution TensorFlow
writes as SPACE_TO_BATCH_ND -> convolution -> BATCH_TO_SPACE_ND.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tflite
from xdsl.dialects.builtin import (
    BoolAttr,
    StringAttr,
)

from tinyir.dialects import tiny
from tinyir.frontends.tflite.reader import OpContext, Tensor, padding


def resize_lowering(mode: str, options_class: type) -> Callable[[OpContext], None]:
    """RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR: the size input must be a
    constant (TFLite Micro's too) equal to the output's height and width."""

    def lower(ctx: OpContext) -> None:
        options = ctx.options(options_class)
        align_corners, half_pixel_centers = bool(options.AlignCorners()), bool(options.HalfPixelCenters())
        x, out = ctx.input(0), ctx.output()
        if len(x.shape) != 4 or len(out.shape) != 4:
            raise ctx.error(f"expects a 4-D input and output, got {list(x.shape)} and {list(out.shape)}")
        if x.type_name not in ("INT8", "FLOAT32"):
            raise ctx.error(f"{x.type_name} input (int8 or float32 only)")
        size = ctx.const_ints(1)
        if size != list(out.shape[1:3]):
            raise ctx.error(f"size {size} disagrees with the output shape {list(out.shape)}")
        if mode == "bilinear" and align_corners and half_pixel_centers:
            raise ctx.error("align_corners and half_pixel_centers are both set (TFLite Micro refuses it)")
        if x.quant != out.quant:  # the kernels interpolate the bytes as they are
            raise ctx.error("input and output quantization differ (TFLite's kernel does not requantize)")
        ctx.emit(
            tiny.ResizeOp,
            [ctx.input_value(0)],
            mode=StringAttr(mode),
            align_corners=BoolAttr.from_bool(align_corners),
            half_pixel_centers=BoolAttr.from_bool(half_pixel_centers),
        )

    return lower


@dataclass(frozen=True)
class DilatedConv:
    """SPACE_TO_BATCH_ND -> CONV_2D / DEPTHWISE_CONV_2D -> BATCH_TO_SPACE_ND, the
    operators TensorFlow writes for a dilated convolution: the convolution on
    the `block[0]` x `block[1]` interleaved sub-images of the input is one
    convolution of the input with dilation `block`."""

    source: Tensor  # the SPACE_TO_BATCH_ND input
    block: tuple[int, int]
    paddings: tuple[int, ...]  # SPACE_TO_BATCH_ND's (top, bottom, left, right)
    crops: tuple[int, ...]  # BATCH_TO_SPACE_ND's
    output: Tensor  # the BATCH_TO_SPACE_ND output


_DILATED_PATTERN = "SPACE_TO_BATCH_ND -> CONV_2D or DEPTHWISE_CONV_2D -> BATCH_TO_SPACE_ND (a dilated convolution)"


def _only_reader(ctx: OpContext, tensor: Tensor, names: tuple[str, ...]) -> OpContext:
    """The one operator that reads `tensor`, as its input 0, if it is one of `names`."""
    readers = ctx.importer.readers(tensor.index)
    if len(readers) == 1 and readers[0][0] >= 0 and readers[0][1] == 0:
        reader = ctx.importer.operator_context(readers[0][0])
        if reader.name in names:
            return reader
    raise ctx.error(f"supported only as {_DILATED_PATTERN}")


def lower_space_to_batch_nd(ctx: OpContext) -> None:
    """Emits nothing: the convolution it feeds becomes one dilated
    convolution of this operator's input (`dilated_conv`), written to the
    BATCH_TO_SPACE_ND's output."""
    conv = _only_reader(ctx, ctx.output(), ("CONV_2D", "DEPTHWISE_CONV_2D"))
    batch_to_space = _only_reader(conv, conv.output(), ("BATCH_TO_SPACE_ND",))
    x, out = ctx.input(0), ctx.output()
    block, paddings = ctx.const_ints(1), ctx.const_ints(2)
    if len(x.shape) != 4 or len(block) != 2 or len(paddings) != 4:
        raise ctx.error(f"a dilated convolution has a 4-D input and 2 block sizes, got {list(x.shape)} and {block}")
    ctx.positive(block_h=block[0], block_w=block[1])
    if batch_to_space.const_ints(1) != block:
        raise batch_to_space.error(f"block {batch_to_space.const_ints(1)} differs from SPACE_TO_BATCH_ND's {block}")
    crops = batch_to_space.const_ints(2)
    if min(paddings) < 0 or len(crops) != 4 or min(crops) < 0:
        raise ctx.error(f"negative or malformed paddings {paddings} or crops {crops}")
    for mover in (ctx, batch_to_space):  # they move bytes: TFLite Micro requires one quantization
        if mover.input(0).quant != mover.output().quant:
            raise mover.error("input and output quantization differ")
    ctx.importer.dilated[out.index] = DilatedConv(
        x, (block[0], block[1]), tuple(paddings), tuple(crops), batch_to_space.output()
    )


def lower_batch_to_space_nd(ctx: OpContext) -> None:
    """Folded into a dilated convolution by `lower_space_to_batch_nd`: its
    output is already written."""
    if ctx.output().index not in ctx.importer.values:
        raise ctx.error(f"supported only as {_DILATED_PATTERN}")


def dilated_conv(ctx: OpContext, op_class: type[tiny.ComputeOp], options, dilated: DilatedConv) -> None:
    """The convolution of a SPACE_TO_BATCH_ND pattern (see DilatedConv) as
    one convolution with dilation d = block over the original input x.

    Sub-image (i, j) holds the padded input's rows i, i + d, ...; the
    convolution's row y over it, after BATCH_TO_SPACE_ND, is row
    Y = y * d + i - crop_top and reads padded row Y - T + k * d at tap k, with
    T = conv_pad_top * d - crop_top. The taps in the convolution's own
    padding are exactly those outside the padded input, which the dilated
    convolution skips: the int32 sums, and so the outputs, are the same. The
    bottom padding follows from the output size; likewise for columns.

    SPACE_TO_BATCH_ND pads with the zero point (TFLite's reference kernel;
    TFLite Micro leaves its pad value uninitialized, SpaceToBatchParams in an
    arena buffer no one writes), so its padding is the dilated convolution's
    own, which adds nothing: one convolution, whatever the padding."""
    if (options.StrideH(), options.StrideW(), options.DilationHFactor(), options.DilationWFactor()) != (1, 1, 1, 1):
        raise ctx.error(f"stride and dilation must be 1 in {_DILATED_PATTERN}")
    w, sub_images, x = ctx.input(1), ctx.input(0), dilated.source
    if len(w.shape) != 4:
        raise ctx.error(f"expects a 4-D filter, got {list(w.shape)}")
    if sub_images.shape[0] != x.shape[0] * dilated.block[0] * dilated.block[1]:
        raise ctx.error(f"input {list(sub_images.shape)} is not SPACE_TO_BATCH_ND's batch of sub-images")
    conv_pad = padding(ctx, options, (w.shape[1], w.shape[2]), (1, 1)).get_values()
    pad = []  # the convolution's (top, bottom, left, right)
    for axis in range(2):
        d, kernel = dilated.block[axis], w.shape[1 + axis]
        before = conv_pad[2 * axis] * d - dilated.crops[2 * axis] + dilated.paddings[2 * axis]
        after = dilated.output.shape[1 + axis] - x.shape[1 + axis] - before + (kernel - 1) * d
        if before < 0 or after < 0:
            raise ctx.error(f"the crops of {_DILATED_PATTERN} cut into the convolution's output")
        pad += [before, after]
    importer = ctx.importer
    source = importer.value(x, f"input 0 of SPACE_TO_BATCH_ND before {ctx.name} (operator #{ctx.index})")
    bias = ctx.optional_value(2)
    out = importer.define(dilated.output)
    importer.builder.insert(
        op_class(
            [source, ctx.input_value(1)] + ([bias] if bias is not None else []),
            out,
            stride=tiny.i64_array((1, 1)),
            dilation=tiny.i64_array(dilated.block),
            pad=tiny.i64_array(pad),
            clamp=ctx.clamp(options.FusedActivationFunction()),
        )
    )


LOWERINGS: dict[str, Callable[[OpContext], None]] = {
    "RESIZE_NEAREST_NEIGHBOR": resize_lowering("nearest", tflite.ResizeNearestNeighborOptions),
    "RESIZE_BILINEAR": resize_lowering("bilinear", tflite.ResizeBilinearOptions),
    "SPACE_TO_BATCH_ND": lower_space_to_batch_nd,
    "BATCH_TO_SPACE_ND": lower_batch_to_space_nd,
}
