"""tinyir's plugin for stock `xdsl-opt`: the `tiny` dialect and tinyir's passes."""

from xdsl.universe import Universe

from tinyir.passes import get_all_passes


def _tiny_dialect():
    from tinyir.dialects.tiny import Tiny

    return Tiny


TINYIR_UNIVERSE = Universe(all_dialects={"tiny": _tiny_dialect}, all_passes=get_all_passes())
