"""CMSIS-NN scratch sizes: the working memory (`cmsis_nn_context.buf`) of a kernel.

CMSIS-NN kernels take their scratch from the caller, who asks the kernel's
`*_get_buffer_size` function how much it needs. The answer depends on the CPU
the library is compiled for: the pure C build (Cortex-M0/M0+/M3), the DSP build
(`ARM_MATH_DSP`: Cortex-M4/M7/M33) and the MVE build (`ARM_MATH_MVEI`, Helium:
Cortex-M55/M85). Scratch is SRAM, so the arena allocator counts it.

The formulas below are reimplemented from the CMSIS-NN v7 sources (files under
Source/ in ARM-software/CMSIS-NN; each function cites the C function it
follows) for the int8 (s8) kernels that TFLite Micro's CMSIS-NN port calls:

| tiny op                  | CMSIS-NN size function                          |
|--------------------------|-------------------------------------------------|
| tiny.conv_2d             | arm_convolve_wrapper_s8_get_buffer_size         |
| tiny.depthwise_conv_2d   | arm_depthwise_conv_wrapper_s8_get_buffer_size   |
| tiny.fully_connected     | arm_fully_connected_s8_get_buffer_size          |
| tiny.avg_pool_2d         | arm_avgpool_s8_get_buffer_size                  |

Every other op needs none: arm_max_pool_s8, arm_softmax_s8,
arm_elementwise_add_s8 / _mul_s8, arm_transpose_s8, arm_concatenation_s8_* and
arm_pad_s8 take no buffer, and the portable C kernels (MEAN, HARD_SWISH,
LOGISTIC, QUANTIZE, DEQUANTIZE) accumulate in registers.

A depthwise convolution that runs in place (its output a view of its input's
buffer, see `tinyir.passes.arena_alloc.inplace`) does not use CMSIS-NN's depthwise kernels: it
copies one input channel at a time into a temporary of in_h x in_w bytes, and
that temporary is its scratch (`inplace_depthwise_scratch_bytes`).

Two sizes also depend on the compiler CMSIS-NN is built with (`__ARMCC_VERSION
>= 6010050`, Arm Compiler 6, versus GCC/clang): the DSP 1x1 convolution only
uses its buffer under Arm Compiler 6, and the MVE depthwise convolution with
one input channel becomes a convolution above 8 output channels under Arm
Compiler 6 but above 1 with the others. The functions take the toolchain;
`scratch_bytes` returns the larger of the two, so the arena suits either build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xdsl.dialects.builtin import IntegerType
from xdsl.ir import Block, SSAValue

from tinyir.analysis.liveness import buffer_root, walk
from tinyir.analysis.target import Family
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError

Toolchain = Literal["gcc", "armclang"]
TOOLCHAINS: tuple[Toolchain, ...] = ("gcc", "armclang")


# ---------------------------------------------------------------------------
# The CMSIS-NN structures the size functions read
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dims:
    """`cmsis_nn_dims`: n, h, w, c."""

    n: int
    h: int
    w: int
    c: int


@dataclass(frozen=True)
class ConvParams:
    """The fields of `cmsis_nn_conv_params` / `cmsis_nn_dw_conv_params` the
    size functions read. CMSIS-NN's padding is TFLite's padding offset, the
    top and left padding (`padding.h`, `padding.w`)."""

    stride_h: int = 1
    stride_w: int = 1
    pad_h: int = 0
    pad_w: int = 0
    dilation_h: int = 1
    dilation_w: int = 1


def _c_div(a: int, b: int) -> int:
    """C's `/` on int32: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _c_mod(a: int, b: int) -> int:
    """C's `%`: the sign of the dividend."""
    return a - _c_div(a, b) * b


# Constants of Include/arm_nnsupportfunctions.h
CH_IN_BLOCK_MVE = 124


def dw_one_in_ch_threshold(toolchain: Toolchain) -> int:
    """CONVERT_DW_CONV_WITH_ONE_INPUT_CH_AND_OUTPUT_CH_ABOVE_THRESHOLD."""
    return 8 if toolchain == "armclang" else 1


# ---------------------------------------------------------------------------
# Convolution: Source/ConvolutionFunctions/arm_convolve_get_buffer_sizes_s8.c
# ---------------------------------------------------------------------------


def is_convolve_1x1(p: ConvParams, input: Dims, filter: Dims) -> bool:
    """arm_nn_is_convolve_1x1 (Include/arm_nnsupportfunctions.h)."""
    return (
        p.pad_w == 0 and p.pad_h == 0 and filter.w == 1 and filter.h == 1
        and p.dilation_w == 1 and p.dilation_h == 1 and input.c == filter.c
    )


def is_convolve_1x1_fast(p: ConvParams) -> bool:
    """arm_nn_is_convolve_1x1_fast: unit stride."""
    return p.stride_w == 1 and p.stride_h == 1


def is_convolve_1_x_n(p: ConvParams, input: Dims, filter: Dims) -> bool:
    """arm_nn_is_convolve_1_x_n."""
    return (
        input.h == 1 and p.dilation_w == 1 and filter.h == 1
        and (p.stride_w * input.c) % 4 == 0 and input.c == filter.c
    )


def convolve_s8(input: Dims, filter: Dims) -> int:
    """arm_convolve_s8_get_buffer_size, non-MVE branch: two int16 im2col
    columns of the filter depth rounded up to 4."""
    rhs_cols = filter.w * filter.h * input.c
    remainder = rhs_cols % 4
    aligned = rhs_cols + 4 - remainder if remainder else rhs_cols
    return 2 * aligned * 2


def convolve_s8_mve(input: Dims, filter: Dims) -> int:
    """arm_convolve_s8_get_buffer_size_mve: four im2col columns in whole
    16-byte vectors."""
    col_length = (input.c * filter.w * filter.h + 15) // 16
    return 4 * col_length * 16


def convolve_1x1_s8_fast_dsp(input: Dims, toolchain: Toolchain) -> int:
    """arm_convolve_1x1_s8_fast_get_buffer_size_dsp: 2 x C int16 under Arm
    Compiler 6, none otherwise."""
    return 2 * input.c * 2 if toolchain == "armclang" else 0


def convolve_1x1_s8_fast(input: Dims, family: Family, toolchain: Toolchain) -> int:
    """arm_convolve_1x1_s8_fast_get_buffer_size: DSP builds only."""
    return convolve_1x1_s8_fast_dsp(input, toolchain) if family is Family.DSP else 0


def convolve_1_x_n_s8_mve(p: ConvParams, input: Dims, filter: Dims, output: Dims) -> int:
    """arm_convolve_1_x_n_s8_get_buffer_size_mve."""
    total_pad = (output.w - 1) * p.stride_w + filter.w - input.w
    asym_pad = _c_mod(total_pad, 2)
    right_pad_num = (
        max(1, _c_div(p.pad_w + asym_pad + p.stride_w - 1, p.stride_w)) if p.pad_w + asym_pad != 0 else 0
    )
    left_pad_num = max(1, _c_div(p.pad_w + p.stride_w - 1, p.stride_w)) if p.pad_w != 0 else 0
    no_pad_num = max(output.w - (right_pad_num + left_pad_num), 0)
    if right_pad_num + no_pad_num + left_pad_num != output.w:
        return convolve_s8_mve(input, filter)
    pad_size_left = p.pad_w * input.c
    pad_size_right = right_pad_num * input.c if asym_pad else pad_size_left
    num_elem_left = filter.w * input.c
    num_elem_right = num_elem_left - input.c
    return max(num_elem_left + pad_size_left, num_elem_right + pad_size_right)


def convolve_1_x_n_s8(p: ConvParams, input: Dims, filter: Dims, output: Dims, family: Family) -> int:
    """arm_convolve_1_x_n_s8_get_buffer_size."""
    if family is Family.MVE:
        return convolve_1_x_n_s8_mve(p, input, filter, output)
    return convolve_s8(input, filter)


def convolve_kernel(p: ConvParams, input: Dims, filter: Dims) -> str:
    """The function arm_convolve_wrapper_s8 dispatches to
    (Source/ConvolutionFunctions/arm_convolve_wrapper_s8.c): 1x1, 1xN or generic."""
    if is_convolve_1x1(p, input, filter):
        return "arm_convolve_1x1_s8_fast" if is_convolve_1x1_fast(p) else "arm_convolve_1x1_s8"
    return "arm_convolve_1_x_n_s8" if is_convolve_1_x_n(p, input, filter) else "arm_convolve_s8"


def convolve_wrapper_s8(
    p: ConvParams, input: Dims, filter: Dims, output: Dims, family: Family, toolchain: Toolchain = "gcc"
) -> int:
    """arm_convolve_wrapper_s8_get_buffer_size (and its _dsp / _mve variants,
    which it dispatches to): the buffer of the kernel `convolve_kernel` names."""
    kernel = convolve_kernel(p, input, filter)
    if kernel == "arm_convolve_1x1_s8_fast":
        return convolve_1x1_s8_fast(input, family, toolchain)
    if kernel == "arm_convolve_1x1_s8":
        return 0
    if kernel == "arm_convolve_1_x_n_s8":
        return convolve_1_x_n_s8(p, input, filter, output, family)
    return convolve_s8_mve(input, filter) if family is Family.MVE else convolve_s8(input, filter)


# ---------------------------------------------------------------------------
# Depthwise: Source/ConvolutionFunctions/arm_depthwise_conv_get_buffer_sizes_s8.c
# ---------------------------------------------------------------------------


def depthwise_conv_s8_opt(input: Dims, filter: Dims, family: Family) -> int:
    """arm_depthwise_conv_s8_opt_get_buffer_size (_dsp: C x KH x KW int16;
    _mve: 4 x CH_IN_BLOCK_MVE x KH x KW bytes; none without DSP)."""
    if family is Family.MVE:
        return 4 * CH_IN_BLOCK_MVE * filter.w * filter.h
    if family is Family.DSP:
        return input.c * filter.w * filter.h * 2
    return 0


def depthwise_conv_s8_one_in_ch_mve(p: ConvParams, input: Dims, filter: Dims, output: Dims) -> int:
    """arm_deptwise_conv_s8_one_in_ch_get_buffer_size_mve: the depthwise conv
    with one input channel runs as a convolution (arm_depthwise_conv_to_conv_s8
    in arm_depthwise_conv_wrapper_s8.c), with its filter transposed into the
    buffer after the convolution's own scratch."""
    conv_filter = Dims(filter.c, filter.h, filter.w, filter.n)
    size = convolve_wrapper_s8(p, input, conv_filter, output, Family.MVE)
    return size + filter.c * filter.h * filter.w * filter.n


def depthwise_kernel(
    p: ConvParams, input: Dims, filter: Dims, output: Dims, family: Family, toolchain: Toolchain = "gcc"
) -> str:
    """The function arm_depthwise_conv_wrapper_s8 dispatches to, as compiled
    for the family: (MVE only) one input channel -> a convolution; depth
    multiplier 1, batch 1, no dilation -> the 3x3 kernel (not on MVE; padding
    <= 1) or the _opt kernel; otherwise the generic arm_depthwise_conv_s8."""
    if family is Family.MVE and input.c == 1 and output.c > dw_one_in_ch_threshold(toolchain):
        return "arm_depthwise_conv_to_conv_s8"
    if input.c == output.c and input.n == 1 and p.dilation_w == 1 and p.dilation_h == 1:
        if family is not Family.MVE and filter.w == 3 and filter.h == 3 and p.pad_h <= 1 and p.pad_w <= 1:
            return "arm_depthwise_conv_3x3_s8"
        return "arm_depthwise_conv_s8_opt"
    return "arm_depthwise_conv_s8"


def depthwise_conv_wrapper_s8(
    p: ConvParams, input: Dims, filter: Dims, output: Dims, family: Family, toolchain: Toolchain = "gcc"
) -> int:
    """arm_depthwise_conv_wrapper_s8_get_buffer_size as compiled for the family:
    the buffer of the kernel `depthwise_kernel` names (the 3x3 and generic
    kernels need none)."""
    kernel = depthwise_kernel(p, input, filter, output, family, toolchain)
    if kernel == "arm_depthwise_conv_to_conv_s8":
        return depthwise_conv_s8_one_in_ch_mve(p, input, filter, output)
    if kernel == "arm_depthwise_conv_s8_opt":
        return depthwise_conv_s8_opt(input, filter, family)
    return 0


# ---------------------------------------------------------------------------
# Fully connected and pooling
# ---------------------------------------------------------------------------


def fully_connected_s8(filter: Dims, family: Family) -> int:
    """arm_fully_connected_s8_get_buffer_size
    (Source/FullyConnectedFunctions/arm_fully_connected_get_buffer_sizes_s8.c):
    MVE keeps one int32 kernel sum per output (filter dims c); none otherwise."""
    return filter.c * 4 if family is Family.MVE else 0


def avgpool_s8(output_x: int, ch_src: int, family: Family) -> int:
    """arm_avgpool_s8_get_buffer_size
    (Source/PoolingFunctions/arm_avgpool_get_buffer_sizes_s8.c): one int32 sum
    per channel on DSP builds; none on MVE and pure C."""
    return ch_src * 4 if family is Family.DSP else 0


# ---------------------------------------------------------------------------
# tiny ops
# ---------------------------------------------------------------------------


def nhwc(t: tiny.BufferType) -> Dims:
    return Dims(*t.shape)


def conv_params(op: tiny.WindowOp) -> ConvParams:
    """CMSIS-NN's view of a window op: stride, top/left padding, dilation (h, w)."""
    stride_h, stride_w = op.ints("stride")
    top, _, left, _ = op.ints("pad")
    dilation_h, dilation_w = op.ints("dilation") if "dilation" in op.properties else (1, 1)
    return ConvParams(stride_h, stride_w, top, left, dilation_h, dilation_w)


def _require_int8(op: tiny.ComputeOp) -> None:
    if op.in_type(0).dtype.name != "int8":
        raise TinyIRError(
            f"{op.name}: no CMSIS-NN scratch size for {op.in_type(0).element_type} input (only int8 kernels)"
        )


def is_inplace_depthwise(op: tiny.ComputeOp) -> bool:
    """Whether `op` is a depthwise convolution writing into its input's buffer
    (structural: its output is a view of the buffer its input lives in)."""
    if not isinstance(op, tiny.DepthwiseConv2DOp):
        return False
    root = buffer_root(op.ins[0])
    return root is not None and buffer_root(op.out) is root


def inplace_depthwise_scratch_bytes(op: tiny.DepthwiseConv2DOp) -> int:
    """The temporary of an in-place depthwise convolution: one input channel,
    in_n x in_h x in_w elements (in_h x in_w bytes for the batch-1 int8 ops
    that --arena-alloc rewrites)."""
    n, h, w, _ = op.in_type(0).shape
    return n * h * w * op.in_type(0).element_bytes


def op_scratch_bytes(
    op: tiny.ComputeOp,
    family: Family,
    toolchain: Toolchain,
    tile: tuple[tiny.BufferType, tiny.BufferType] | None = None,
) -> int:
    """Scratch bytes of the CMSIS-NN kernel for `op` in one build (for an
    in-place depthwise convolution, its channel temporary: no CMSIS-NN kernel).
    `tile`: the (input, output) types of an output tile of `op` it would run
    on, when it is not one yet (what --partial-exec weighs)."""
    if is_inplace_depthwise(op):
        return inplace_depthwise_scratch_bytes(op)
    if isinstance(op, tiny.TiledOp) and op.tile_mode == "in":
        return 0  # tinyir's own accumulating kernel, which needs none
    if op.in_type(0).dtype.name == "float32":
        return 0  # tinyir's portable float kernels, which need none
    x, y = tile if tile is not None else (op.in_type(0), op.out_type)
    # An output tile calls CMSIS-NN on the tile's slice of the filter.
    if isinstance(op, tiny.Conv2DOp):
        _require_int8(op)
        _, kh, kw, c_in = op.in_type(1).shape
        return convolve_wrapper_s8(conv_params(op), nhwc(x), Dims(y.shape[3], kh, kw, c_in), nhwc(y), family, toolchain)
    if isinstance(op, tiny.DepthwiseConv2DOp):
        _require_int8(op)
        _, kh, kw, _ = op.in_type(1).shape
        return depthwise_conv_wrapper_s8(conv_params(op), nhwc(x), Dims(1, kh, kw, y.shape[3]), nhwc(y), family, toolchain)
    if isinstance(op, tiny.FullyConnectedOp):
        _require_int8(op)
        _, depth = op.in_type(1).shape
        return fully_connected_s8(Dims(depth, 1, 1, y.shape[-1]), family)
    if isinstance(op, tiny.AvgPool2DOp):
        _require_int8(op)
        return avgpool_s8(y.shape[2], x.shape[3], family)
    return 0


def scratch_bytes(
    op: tiny.ComputeOp, family: Family, tile: tuple[tiny.BufferType, tiny.BufferType] | None = None
) -> int:
    """Scratch bytes for `op` (or an output tile of it, see op_scratch_bytes)
    on a CPU family, enough for a GCC or an Arm Compiler 6 build of CMSIS-NN."""
    return max(op_scratch_bytes(op, family, toolchain, tile) for toolchain in TOOLCHAINS)


# ---------------------------------------------------------------------------
# Scratch buffers in the IR
# ---------------------------------------------------------------------------

def set_scratch(op: tiny.ComputeOp, scratch: SSAValue | None) -> None:
    """Give `op` a scratch operand (or take it away)."""
    op.set_optional_operands(scratch=scratch)


def drop_scratch(block: Block) -> None:
    """Remove the scratch operands of a block's ops (a previous allocation's)
    and the allocs that held them."""
    for op in list(walk(block)):
        if isinstance(op, tiny.ComputeOp) and op.scratch is not None:
            old = op.scratch
            set_scratch(op, None)
            if isinstance(old.owner, tiny.AllocOp) and not old.uses:
                old.owner.detach()
                old.owner.erase()


def materialize_scratch(block: Block, family: Family) -> int:
    """`%s = tiny.alloc : !tiny.buffer<Nxi8>` right before each op that needs
    N > 0 bytes of CMSIS-NN scratch, passed as its `scratch` operand.
    Returns the number of scratch buffers made."""
    made = 0
    ops = [op for op in walk(block) if isinstance(op, tiny.ComputeOp)]
    with tiny.bodies_unchanged(*(op for op in block.ops if isinstance(op, tiny.TileLoopOp))):
        sizes = [scratch_bytes(op, family) for op in ops]  # all read before any scratch is added
    for op, size in zip(ops, sizes):
        if size > 0:
            set_scratch(op, new_scratch(block, op, size))
            made += 1
    return made


def new_scratch(block: Block, op: tiny.ComputeOp, size: int) -> SSAValue:
    """`%<out>.scratch = tiny.alloc : !tiny.buffer<{size}xi8>` right before `op`
    (not yet its operand)."""
    alloc = tiny.AllocOp(tiny.BufferType([size], IntegerType(8)))
    if op.out.name_hint:
        alloc.result.name_hint = f"{op.out.name_hint}.scratch"
    op.parent_block().insert_op_before(alloc, op)
    return alloc.result
