"""How an allocated module records its arena (written by `--arena-alloc`).

    builtin.module attributes {tiny.arena_size = 55312 : i64, tiny.arena_lower_bound = 55312 : i64,
                               tiny.target_cpu = "cortex-m4", tiny.alignment = 16 : i64} {
      func.func @main(%x: !tiny.buffer<1x96x96x1xi8, ...> {tiny.offset = 0 : i64}) -> ... {
        %y = tiny.alloc offset 9216 : !tiny.buffer<...>
        %s = tiny.alloc offset 18432 : !tiny.buffer<144xi8>      // CMSIS-NN scratch
        tiny.conv_2d %x, %w, %b -> %y scratch %s {...}
        %z = tiny.reshape %y : !tiny.buffer<...>                  // a view: no offset of its own

- `tiny.arena_size` on the module: the arena's size in bytes. Its presence
  is what marks a module as allocated.
- every `tiny.alloc` has `offset N`: its byte offset in the arena.
- every function argument (the model's inputs, which live in the arena as
  in TFLite Micro) has the argument attribute `tiny.offset`.
- views (`tiny.reshape`, `tiny.view`) alias their source: its bytes (a
  `tiny.view`: its first bytes), no offset.
- `tiny.alignment`, `tiny.target_cpu`: what the allocation assumed;
  `tiny.arena_lower_bound`: the most bytes live at one step (each buffer
  rounded up to the alignment), which no arena for this schedule can beat.

This module only reads and writes that representation; --arena-alloc, its
checker, the executor, the report and the C backend use it.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntegerAttr, ModuleOp, StringAttr, i64

from tinyir.analysis.target import TARGET_CPU

# 16 bytes by default: CMSIS-NN needs 4 (int32 accumulators and scratch are
# read with word loads, which fault unaligned on Cortex-M0/M0+), MVE's
# 128-bit vector loads and the Cortex-M7/M55/M85 cache lines favour 16 and
# 32, and TFLite Micro aligns its arena buffers to 16 as well.
DEFAULT_ALIGNMENT = 16
MAX_ALIGNMENT = 4096  # a page: more is no use to DMA or caches

ARENA_SIZE = "tiny.arena_size"
LOWER_BOUND = "tiny.arena_lower_bound"
ALIGNMENT = "tiny.alignment"
ARG_OFFSET = "tiny.offset"


def _int_attr(module: ModuleOp, name: str, minimum: int = 0, maximum: int | None = None) -> int | None:
    from tinyir.dialects.tiny import MAX_BUFFER_BYTES
    from tinyir.errors import TinyIRError

    attr = module.attributes.get(name)
    if attr is None:
        return None
    if not isinstance(attr, IntegerAttr):
        raise TinyIRError(f"module attribute {name} must be an integer, got {attr}")
    maximum = MAX_BUFFER_BYTES if maximum is None else maximum  # the arena is one buffer
    if not minimum <= attr.value.data <= maximum:
        raise TinyIRError(f"module attribute {name} must be in {minimum}..{maximum}, got {attr.value.data}")
    return attr.value.data


def arena_size(module: ModuleOp) -> int | None:
    """The arena size of an allocated module; None if it is not allocated."""
    return _int_attr(module, ARENA_SIZE)


def alignment(module: ModuleOp) -> int | None:
    return _int_attr(module, ALIGNMENT, 1, MAX_ALIGNMENT)


def lower_bound(module: ModuleOp) -> int | None:
    """The most bytes live at one step of an allocated module (aligned)."""
    return _int_attr(module, LOWER_BOUND)


def require_unallocated(module: ModuleOp, pass_name: str) -> None:
    """Refuse IR whose buffers --arena-alloc placed: a pass that changes the
    schedule or the buffers would invalidate the offsets."""
    from tinyir.dialects import tiny
    from tinyir.errors import TinyIRError

    if any(isinstance(a, tiny.AllocOp) and a.offset is not None for a in module.walk()):
        raise TinyIRError(
            f"{pass_name}: the buffers are already placed in the arena (tiny.alloc offset); "
            f"run --{pass_name} before --arena-alloc"
        )


def set_module_attributes(module: ModuleOp, *, size: int, bound: int, align: int, cpu: str) -> None:
    module.attributes[ARENA_SIZE] = IntegerAttr(size, i64)
    module.attributes[LOWER_BOUND] = IntegerAttr(bound, i64)
    module.attributes[ALIGNMENT] = IntegerAttr(align, i64)
    module.attributes.pop(TARGET_CPU, None)  # recorded by --mcpu or a pass: printed last all the same
    module.attributes[TARGET_CPU] = StringAttr(cpu)


def argument_offsets(function: func.FuncOp) -> list[int | None]:
    """The `tiny.offset` of each argument (None where it has none)."""
    n = len(function.function_type.inputs.data)
    if function.arg_attrs is None:
        return [None] * n
    offsets: list[int | None] = []
    for attrs in function.arg_attrs.data:
        attr = attrs.data.get(ARG_OFFSET)
        offsets.append(attr.value.data if isinstance(attr, IntegerAttr) else None)
    return offsets


def set_argument_offsets(function: func.FuncOp, offsets: Sequence[int | None]) -> None:
    """Set `tiny.offset` on every argument (but where None: a streamed
    input, not in the arena), keeping their other attributes."""
    old = function.arg_attrs.data if function.arg_attrs is not None else [DictionaryAttr({})] * len(offsets)
    function.arg_attrs = ArrayAttr(
        [
            attrs if o is None else DictionaryAttr({**attrs.data, ARG_OFFSET: IntegerAttr(o, i64)})
            for attrs, o in zip(old, offsets, strict=True)
        ]
    )
