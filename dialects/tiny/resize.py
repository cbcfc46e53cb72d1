"""Resizing the spatial dimensions of an image: `tiny.resize`."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import BoolAttr, IntegerAttr, StringAttr
from xdsl.irdl import prop_def

from tinyir.dialects.tiny.base import ComputeOp, compute_op_definition


@compute_op_definition
class ResizeOp(ComputeOp):
    """Resize NHWC height and width to the output's: TFLite's
    RESIZE_NEAREST_NEIGHBOR (`mode = "nearest"`) and RESIZE_BILINEAR
    (`mode = "bilinear"`), with their source-coordinate flags. Values are
    interpolated in the input's encoding, never requantized: input and output
    share element type and quantization.

        tiny.resize %x -> %y {mode = "bilinear", align_corners = false, half_pixel_centers = true}
    """

    name = "tiny.resize"
    MODES: ClassVar[tuple[str, ...]] = ("nearest", "bilinear")
    mode = prop_def(StringAttr)
    align_corners = prop_def(BoolAttr)
    half_pixel_centers = prop_def(BoolAttr)

    def verify_op(self) -> None:
        x, y = self.in_type(0), self.out_type
        if len(x.shape) != 4 or len(y.shape) != 4:
            raise self.fail(f"input and output must be NHWC, got {list(x.shape)} -> {list(y.shape)}")
        if (x.shape[0], x.shape[3]) != (y.shape[0], y.shape[3]):
            raise self.fail(f"output {list(y.shape)} differs from input {list(x.shape)} in batch or channels")
        self.check_quantized_or_float(x, y)
        self.check_same_encoding(x, y)
        if self.mode.data not in self.MODES:
            raise self.fail(f"mode must be one of {', '.join(self.MODES)}, got '{self.mode.data}'")
        if self.mode.data == "bilinear" and self.flag("align_corners") and self.flag("half_pixel_centers"):
            raise self.fail("bilinear: align_corners and half_pixel_centers exclude each other")

    def flag(self, name: str) -> bool:
        attr = self.properties[name]
        assert isinstance(attr, IntegerAttr)
        return bool(attr.value.data)
