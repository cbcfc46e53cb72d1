"""The `tiny` dialect: int8 neural-network operators on explicit buffers.

Every activation is a value of type `!tiny.buffer<shape x elt, quant>`. Buffers
are created by `tiny.alloc` (SRAM) or `tiny.const` (weights, flash) and written
by compute ops in destination-passing style: a compute op reads its input
buffers and writes its output buffer, and returns nothing. The order of the ops
in a function body is the schedule.

    %x = tiny.alloc : !tiny.buffer<1x16x16x8xi8, 0.0235:-128>
    %w = tiny.const dense<"0x0102..."> : !tiny.buffer<16x1x1x8xi8, axis 0: {0.01:0, ...}>
    tiny.conv_2d %in, %w, %b -> %x {stride = array<i64: 1, 1>, ...}

Views (`tiny.reshape`, `tiny.view`) alias their input and return a new value.

One dialect, in modules a reader can take one at a time: `types` (the buffer
type), `base` (what every compute op shares: operands, syntax, checks),
`buffers` (alloc, const, views), `nn` (the operators), `arith` (SUB,
MINIMUM, MAXIMUM, SQUARED_DIFFERENCE, PRELU, LEAKY_RELU, TANH, LOG_SOFTMAX,
ARG_MAX), `slices` (strided
windows of a buffer, copied), `resize` (image
resizing), `tiles` (partial
execution: the tile loop and what an op does with a tile), `rows` (what a
loop over bands of rows does, tile by tile), `stream` (an input read
a band of rows at a time). Everything is
re-exported here: `from tinyir.dialects import tiny; tiny.Conv2DOp`.
"""

from xdsl.ir import Dialect

from tinyir.dialects.tiny.arith import (
    ArgMaxOp,
    LeakyReluOp,
    LogSoftmaxOp,
    MaximumOp,
    MinimumOp,
    PReluOp,
    SquaredDifferenceOp,
    SubOp,
    TanhOp,
)
from tinyir.dialects.tiny.base import ComputeOp, i64_array, int_values, parse_defined_operand
from tinyir.dialects.tiny.buffers import (
    AllocOp,
    ConstOp,
    PrefixViewOp,
    ReshapeOp,
    ViewOp,
    view_root,
)
from tinyir.dialects.tiny.nn import (
    AddOp,
    AvgPool2DOp,
    BinaryOp,
    ClampOp,
    ConcatOp,
    Conv2DOp,
    ConvLikeOp,
    DepthwiseConv2DOp,
    DequantizeOp,
    FullyConnectedOp,
    HardSwishOp,
    LogisticOp,
    MaxPool2DOp,
    MeanOp,
    MulOp,
    PadOp,
    PoolOp,
    QuantizeOp,
    SoftmaxOp,
    TransposeOp,
    UnaryOp,
    WindowOp,
    window_output_size,
)
from tinyir.dialects.tiny.resize import ResizeOp
from tinyir.dialects.tiny.rows import (
    Access,
    Band,
    RowMap,
    RowOp,
    RowSchedule,
    Shift,
    Step,
    bodies_unchanged,
    buffer_conflict,
    line_rows_done,
    line_window,
    overwrite_conflict,
    reads_varying_whole,
    row_inputs,
    row_map,
    row_schedule,
    schedule_rows,
    whole_rows_done,
)
from tinyir.dialects.tiny.slices import SliceOp
from tinyir.dialects.tiny.stream import STREAM, ReadRowsOp, is_streamed, set_streamed, streamed_arguments
from tinyir.dialects.tiny.tiles import (
    ExtractTileOp,
    InsertTileOp,
    TileCopyOp,
    TiledOp,
    TileLoopOp,
    check_tile_operand,
)
from tinyir.dialects.tiny.types import (
    MAX_BUFFER_BYTES,
    BufferType,
    buffer_type,
    element_bytes,
    format_scale,
    numpy_dtype,
)

Tiny = Dialect(
    "tiny",
    [
        AllocOp,
        ConstOp,
        ReshapeOp,
        PrefixViewOp,
        Conv2DOp,
        DepthwiseConv2DOp,
        FullyConnectedOp,
        AddOp,
        MulOp,
        AvgPool2DOp,
        MaxPool2DOp,
        MeanOp,
        PadOp,
        SoftmaxOp,
        LogisticOp,
        HardSwishOp,
        ClampOp,
        ConcatOp,
        TransposeOp,
        QuantizeOp,
        DequantizeOp,
        SubOp,
        MinimumOp,
        MaximumOp,
        SquaredDifferenceOp,
        PReluOp,
        LeakyReluOp,
        TanhOp,
        LogSoftmaxOp,
        ArgMaxOp,
        ResizeOp,
        SliceOp,
        ExtractTileOp,
        InsertTileOp,
        TileLoopOp,
        ReadRowsOp,
    ],
    [BufferType],
)

__all__ = [
    "Band",
    "RowMap",
    "RowOp",
    "RowSchedule",
    "Shift",
    "Step",
    "Access",
    "bodies_unchanged",
    "buffer_conflict",
    "overwrite_conflict",
    "reads_varying_whole",
    "row_inputs",
    "row_map",
    "row_schedule",
    "schedule_rows",
    "line_rows_done",
    "line_window",
    "whole_rows_done",
    "AddOp",
    "AllocOp",
    "ArgMaxOp",
    "AvgPool2DOp",
    "BinaryOp",
    "BufferType",
    "MAX_BUFFER_BYTES",
    "ClampOp",
    "ComputeOp",
    "ConcatOp",
    "ConstOp",
    "Conv2DOp",
    "ConvLikeOp",
    "DepthwiseConv2DOp",
    "DequantizeOp",
    "ExtractTileOp",
    "FullyConnectedOp",
    "HardSwishOp",
    "InsertTileOp",
    "LeakyReluOp",
    "LogSoftmaxOp",
    "LogisticOp",
    "MaxPool2DOp",
    "MaximumOp",
    "MeanOp",
    "MinimumOp",
    "MulOp",
    "PReluOp",
    "PadOp",
    "PoolOp",
    "PrefixViewOp",
    "QuantizeOp",
    "ReadRowsOp",
    "ReshapeOp",
    "ResizeOp",
    "STREAM",
    "is_streamed",
    "set_streamed",
    "streamed_arguments",
    "SliceOp",
    "SoftmaxOp",
    "SquaredDifferenceOp",
    "SubOp",
    "TanhOp",
    "TileCopyOp",
    "TileLoopOp",
    "TiledOp",
    "Tiny",
    "TransposeOp",
    "UnaryOp",
    "ViewOp",
    "WindowOp",
    "buffer_type",
    "check_tile_operand",
    "element_bytes",
    "format_scale",
    "i64_array",
    "int_values",
    "numpy_dtype",
    "parse_defined_operand",
    "view_root",
    "window_output_size",
]
