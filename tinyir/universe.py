"""tinyir's plugin for stock `xdsl-opt`: the `tiny` dialect, tinyir's passes
and the C backend as target `c` (`xdsl-opt m.mlir -t 'c{out=DIR}'`)."""

from xdsl.universe import Universe

from tinyir.passes import get_all_passes


def _tiny_dialect():
    from tinyir.dialects.tiny import Tiny

    return Tiny


def _c_target():
    from tinyir.backends.c import CTarget

    return CTarget


TINYIR_UNIVERSE = Universe(
    all_dialects={"tiny": _tiny_dialect},
    all_passes=get_all_passes(),
    all_targets={"c": _c_target},
)
