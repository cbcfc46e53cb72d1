"""`strip-names`: drop the value names a frontend took from the model.

TFLite and ONNX tensor names can be long (`model/block_3/expand/Conv2D`);
without them the IR numbers its values `%0, %1, ...`, which makes IR from
different exporters of the same network compare equal.
"""

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from tinyir.passes import TinyPass


@dataclass(frozen=True)
class StripNamesPass(TinyPass):
    """Remove every SSA value and block argument name hint."""

    name = "strip-names"

    keep_arguments: bool = False
    """Keep the names of function arguments (the model's inputs)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for inner in op.walk():
            for value in inner.results:
                value.name_hint = None
            for region in inner.regions:
                for block in region.blocks:
                    if self.keep_arguments and block.parent_op() is not None and block.parent_op().parent_op() is op:
                        continue
                    for arg in block.args:
                        arg.name_hint = None
