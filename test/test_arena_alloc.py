"""--arena-alloc: CMSIS-NN scratch, in-place elementwise ops, offsets in one
arena, the independent checker, and the executor's arena mode."""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import input_sets, model_params
from xdsl.dialects.builtin import IntegerAttr, IntegerType, i64

import tinyir
from tinyir.analysis import arena, scratch
from tinyir.analysis.liveness import Interval, align_up, analyze, schedule
from tinyir.analysis.scratch import ConvParams, Dims
from tinyir.analysis.target import Family, family_of
from tinyir.dialects import tiny
from tinyir.passes.arena_alloc import ArenaAllocPass
from tinyir.passes.arena_alloc.allocator import plan
from tinyir.passes.arena_alloc.check import check_arena
from tinyir.testing.models import random_cnn_case, single_op_cases

CPUS = ("cortex-m4", "cortex-m55", "cortex-m0plus")


def allocated(module, options: str = ""):
    return tinyir.run_pipeline(module, f"arena-alloc{{{options}}}" if options else "arena-alloc")


def lower_bound(module) -> int:
    """Most bytes live at one step of the allocated IR (scratch included), each
    buffer rounded up to the module's alignment: computed here from liveness."""
    align = arena.alignment(module)
    block = next(iter(module.ops)).body.block
    if not schedule(block):  # nothing runs: the inputs (and views of them) are all there is
        return sum(align_up(arg.type.nbytes, align) for arg in block.args)
    liveness = analyze(module)
    live = [0] * max(len(liveness.steps), 1)
    for b in liveness.buffers:
        for part in b.interval.pieces():  # a buffer whose live bytes shrink: those live at each step
            for step in range(part.first, part.last + 1):
                live[step] += align_up(part.size, align)
    return max(live)


def same(outputs, expected) -> bool:
    return len(outputs) == len(expected) and all(
        o.dtype == e.dtype and np.array_equal(o, e) for o, e in zip(outputs, expected)
    )


# -- the shared models -----------------------------------------------------------


@pytest.fixture(scope="module", params=model_params())
def model(request):
    """(path, inputs, reference outputs of the unallocated module)."""
    path = request.param
    module = tinyir.import_model(path)
    inputs = input_sets(module, count=1)
    return path, inputs, [tinyir.execute(module, x) for x in inputs]


@pytest.mark.parametrize("cpu", CPUS)
def test_shared_model_allocated(model, cpu):
    path, inputs, expected = model
    module = allocated(tinyir.import_model(path), f"target-cpu={cpu}")
    check_arena(module)
    size, bound = arena.arena_size(module), lower_bound(module)
    assert module.attributes[arena.LOWER_BOUND].value.data == bound
    assert bound <= size <= 1.01 * bound, f"{path.name} on {cpu}: arena {size}, lower bound {bound}"
    for x, want in zip(inputs, expected):
        assert same(tinyir.execute(module, x), want), f"{path.name} on {cpu}"


# -- generated models: every operator, random CNNs (no shared models needed) --------


GENERATED = [*single_op_cases(), *(random_cnn_case(seed) for seed in range(12))]


@pytest.mark.parametrize("case", GENERATED, ids=lambda c: c.name)
def test_generated_model_allocated(case):
    reference = tinyir.import_model(case.data)
    inputs = case.random_inputs(np.random.default_rng(0))
    expected = tinyir.execute(reference, inputs)
    for cpu in CPUS:
        module = allocated(tinyir.import_model(case.data), f"target-cpu={cpu}")
        check_arena(module)
        assert arena.arena_size(module) <= 1.01 * lower_bound(module)
        assert same(tinyir.execute(module, inputs), expected), f"{case.name} on {cpu}"
        assert tinyir.print_ir(tinyir.parse_ir(tinyir.print_ir(module))) == tinyir.print_ir(module)


# -- the representation -------------------------------------------------------------

CHAIN = """
func.func @main(%x: !tiny.buffer<1x16xi8, 0.5:0>) -> !tiny.buffer<1x16xi8, 0.5:0> {
  %a = tiny.alloc : !tiny.buffer<1x16xi8, 0.5:0>
  tiny.add %x, %x -> %a {clamp = array<i64: -128, 127>}
  %b = tiny.alloc : !tiny.buffer<1x16xi8, 0.5:0>
  tiny.add %x, %a -> %b {clamp = array<i64: -128, 127>}
  %c = tiny.alloc : !tiny.buffer<1x16xi8, 0.5:0>
  tiny.add %a, %b -> %c {clamp = array<i64: -128, 127>}
  func.return %c : !tiny.buffer<1x16xi8, 0.5:0>
}
"""


def offsets(module) -> dict[str, int]:
    function = next(iter(module.ops))
    block = function.body.block
    found = {arg.name_hint: o for arg, o in zip(block.args, arena.argument_offsets(function))}
    found |= {op.result.name_hint: op.arena_offset for op in block.ops if isinstance(op, tiny.AllocOp)}
    return found


def test_every_buffer_gets_an_aligned_offset_and_the_module_its_arena():
    module = allocated(tinyir.parse_ir(CHAIN), "alignment=32 target-cpu=cortex-m7")
    attrs = module.attributes
    assert attrs[arena.ALIGNMENT].value.data == 32
    assert attrs[arena.TARGET_CPU].data == "cortex-m7"
    found = offsets(module)
    assert set(found) <= {"x", "a", "b", "c"} and "x" in found
    assert all(o % 32 == 0 for o in found.values())
    # In place: the second add writes over the input %x (read for the last
    # time there), the third over %a: two buffers in all.
    assert set(found) == {"x", "a"}
    assert arena.arena_size(module) == 2 * 32


def test_allocation_is_idempotent_and_keeps_to_the_modules_cpu():
    text = tinyir.print_ir(allocated(tinyir.parse_ir(CHAIN)))
    assert tinyir.print_ir(allocated(tinyir.parse_ir(text))) == text
    conv = _conv_module(c_in=3, c_out=4, kernel=3, pad=1)
    m4 = tinyir.print_ir(allocated(tinyir.parse_ir(conv), "target-cpu=cortex-m4"))
    assert "!tiny.buffer<112xi8>" in m4  # 27 taps -> 28 -> 2 x 28 int16
    again = allocated(tinyir.parse_ir(m4))
    assert tinyir.print_ir(again) == m4
    assert tinyir.print_ir(again).count("scratch %") == 1  # the old scratch is gone
    # an allocation for another CPU than the module's is refused, naming both
    with pytest.raises(tinyir.TinyIRError) as e:
        allocated(tinyir.parse_ir(m4), "target-cpu=cortex-m55")
    assert str(e.value) == (
        "arena-alloc: target-cpu=cortex-m55, but the module is compiled for cortex-m4 (tiny.target_cpu); "
        "set the CPU once, with --mcpu"
    )
    # --mcpu (here its API) picks the CPU before the pass, which then needs no option
    m55 = tinyir.parse_ir(conv)
    tinyir.set_target_cpu(m55, "cortex-m55")
    assert tinyir.print_ir(allocated(m55)) == tinyir.print_ir(allocated(tinyir.parse_ir(conv), "target-cpu=cortex-m55"))


def test_unused_allocs_are_erased():
    dead = "  %dead = tiny.alloc : !tiny.buffer<1x4096xi8>\n  %view = tiny.reshape %dead : !tiny.buffer<4096xi8>\n"
    text = CHAIN.replace("  %c = tiny.alloc", dead + "  %c = tiny.alloc")
    module = allocated(tinyir.parse_ir(text))
    assert "dead" not in tinyir.print_ir(module) and arena.arena_size(module) < 4096


def test_a_model_without_compute_ops():
    text = """
func.func @main(%x: !tiny.buffer<1x4x4xi8, 0.5:0>) -> !tiny.buffer<1x16xi8, 0.5:0> {
  %y = tiny.reshape %x : !tiny.buffer<1x16xi8, 0.5:0>
  func.return %y : !tiny.buffer<1x16xi8, 0.5:0>
}
"""
    module = allocated(tinyir.parse_ir(text))
    assert arena.arena_size(module) == 16
    x = np.arange(16, dtype=np.int8).reshape(1, 4, 4)
    assert np.array_equal(tinyir.execute(module, [x])[0], x.reshape(1, 16))


# -- in place --------------------------------------------------------------------------


def _views(module) -> set[str]:
    return {op.result.name_hint for op in module.walk() if isinstance(op, tiny.ReshapeOp)}


def test_inplace_takes_a_dying_input_of_the_same_size():
    text = tinyir.print_ir(allocated(tinyir.parse_ir(CHAIN)))
    assert "%b = tiny.reshape %x : " in text and "%c = tiny.reshape %a : " in text
    assert _views(allocated(tinyir.parse_ir(CHAIN), "inplace=false")) == set()


def test_inplace_never_overwrites_a_model_output_or_broadcasts():
    pair = "(!tiny.buffer<1x16xi8, 0.5:0>, !tiny.buffer<1x16xi8, 0.5:0>)"
    two_outputs = CHAIN.replace("-> !tiny.buffer<1x16xi8, 0.5:0> {", f"-> {pair} {{")
    two_outputs = two_outputs.replace(
        "func.return %c : !tiny.buffer<1x16xi8, 0.5:0>",
        "func.return %c, %b : !tiny.buffer<1x16xi8, 0.5:0>, !tiny.buffer<1x16xi8, 0.5:0>",
    )
    text = tinyir.print_ir(allocated(tinyir.parse_ir(two_outputs)))
    assert "%c = tiny.reshape %a : " in text  # over %a, not over %b (an output)
    broadcast = """
func.func @main(%x: !tiny.buffer<1x16xi8, 0.5:0>, %s: !tiny.buffer<1x1xi8, 0.5:0>) -> !tiny.buffer<1x16xi8, 0.5:0> {
  %a = tiny.alloc : !tiny.buffer<1x16xi8, 0.5:0>
  tiny.mul %x, %s -> %a {clamp = array<i64: -128, 127>}
  func.return %a : !tiny.buffer<1x16xi8, 0.5:0>
}
"""
    assert _views(allocated(tinyir.parse_ir(broadcast))) == set()


def test_inplace_keeps_the_output_quantization():
    relu = """
func.func @main(%x: !tiny.buffer<1x8xi8, 0.5:0>) -> !tiny.buffer<1x8xi8, 0.25:-3> {
  %y = tiny.alloc : !tiny.buffer<1x8xi8, 0.25:-3>
  tiny.clamp %x -> %y {clamp = array<i64: -3, 127>}
  func.return %y : !tiny.buffer<1x8xi8, 0.25:-3>
}
"""
    reference = tinyir.parse_ir(relu)
    module = allocated(tinyir.parse_ir(relu))
    assert "%y = tiny.reshape %x : !tiny.buffer<1x8xi8, 0.25:-3>" in tinyir.print_ir(module)
    x = np.arange(-64, 64, 16, dtype=np.int8).reshape(1, 8)
    assert same(tinyir.execute(module, [x]), tinyir.execute(reference, [x]))


# -- in-place depthwise convolution (option inplace-depthwise) ----------------------------


@pytest.mark.parametrize("fuse", [False, True], ids=["arena-alloc", "fuse+arena-alloc"])
def test_shared_model_inplace_depthwise(model, fuse):
    path, _, expected_first = model
    pre = "fuse," if fuse else ""
    without = arena.arena_size(tinyir.run_pipeline(tinyir.import_model(path), pre + "arena-alloc"))
    module = tinyir.run_pipeline(tinyir.import_model(path), pre + "arena-alloc{inplace-depthwise=true}")
    check_arena(module)
    size, bound = arena.arena_size(module), lower_bound(module)
    assert bound <= size <= 1.01 * bound, f"{path.name}: arena {size}, lower bound {bound}"
    assert size <= without, f"{path.name}: {size} with the option, {without} without"
    reference = tinyir.import_model(path)
    for x in input_sets(reference, count=1):
        assert same(tinyir.execute(module, x), tinyir.execute(reference, x)), path.name
    # every in-place depthwise conv has its channel temporary as scratch
    for op in schedule(next(iter(module.ops)).body.block):
        if scratch.is_inplace_depthwise(op):
            _, h, w, _ = op.in_type(0).shape
            assert op.scratch is not None and op.scratch.type.nbytes == h * w


def _hex(n: int) -> str:
    return "".join(f"{(37 * i + 5) % 256:02X}" for i in range(n))


def _dw_module(*, stride: int = 1, multiplier: int = 1, read_later: bool = False, return_input: bool = False,
               big_consumer: bool = False) -> str:
    """%x (1x8x8x1) -> 1x1 conv -> %a (1x8x8x8) -> 3x3 depthwise -> %d -> average pool
    (or, with `big_consumer`, a 1x1 conv to 64 channels) -> output."""
    c = 8
    cd = c * multiplier
    o = 8 // stride
    pad = "1, 1, 1, 1" if stride == 1 else "0, 1, 0, 1"
    t_a = f"!tiny.buffer<1x8x8x{c}xi8, 0.5:-1>"
    t_d = f"!tiny.buffer<1x{o}x{o}x{cd}xi8, 0.25:2>"
    window = "dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>"
    lines = [
        f'  %w0 = tiny.const dense<"0x{_hex(c)}"> : !tiny.buffer<{c}x1x1x1xi8, 0.01:0>',
        f"  %a = tiny.alloc : {t_a}",
        f"  tiny.conv_2d %x, %w0 -> %a {{stride = array<i64: 1, 1>, {window}}}",
        f'  %dw = tiny.const dense<"0x{_hex(9 * cd)}"> : !tiny.buffer<1x3x3x{cd}xi8, 0.02:0>',
        f"  %d = tiny.alloc : {t_d}",
        f"  tiny.depthwise_conv_2d %a, %dw -> %d {{stride = array<i64: {stride}, {stride}>, dilation = array<i64: 1, 1>, "
        f"pad = array<i64: {pad}>, clamp = array<i64: -128, 127>}}",
    ]
    if big_consumer:  # the peak comes after the depthwise conv
        out, t_out = "%e", f"!tiny.buffer<1x{o}x{o}x64xi8, 0.5:0>"
        lines += [
            f'  %we = tiny.const dense<"0x{_hex(64 * cd)}"> : !tiny.buffer<64x1x1x{cd}xi8, 0.01:0>',
            f"  %e = tiny.alloc : {t_out}",
            f"  tiny.conv_2d %d, %we -> %e {{stride = array<i64: 1, 1>, {window}}}",
        ]
    else:
        out, t_out = "%p", f"!tiny.buffer<1x1x1x{cd}xi8, 0.25:2>"
        lines += [
            f"  %p = tiny.alloc : {t_out}",
            f"  tiny.avg_pool_2d %d -> %p {{kernel = array<i64: {o}, {o}>, stride = array<i64: {o}, {o}>, "
            "pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}",
        ]
    results, types = [out], [t_out]
    if read_later:  # %a is read again after the depthwise conv
        lines += [f"  %m = tiny.alloc : {t_a}", "  tiny.max_pool_2d %a -> %m {kernel = array<i64: 1, 1>, "
                  "stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}"]
        results, types = [out, "%m"], [t_out, t_a]
    if return_input:
        results, types = [out, "%a"], [t_out, t_a]
    signature = types[0] if len(types) == 1 else f"({', '.join(types)})"
    body = "\n".join(lines)
    return (
        f"func.func @main(%x: !tiny.buffer<1x8x8x1xi8, 0.5:-1>) -> {signature} {{\n{body}\n"
        f"  func.return {', '.join(results)} : {', '.join(types)}\n}}\n"
    )


def _views_of(module, kind) -> set[str]:
    return {op.result.name_hint for op in module.walk() if isinstance(op, kind)}


@pytest.mark.parametrize("stride", [1, 2])
def test_inplace_depthwise_runs_in_place_bit_exact(stride):
    text = _dw_module(stride=stride)
    reference = tinyir.parse_ir(text)
    without = allocated(tinyir.parse_ir(text))
    module = allocated(tinyir.parse_ir(text), "inplace-depthwise=true")
    printed = tinyir.print_ir(module)
    o = 8 // stride
    # the output is the first bytes of the input's buffer; the temporary is one channel, 8 x 8 bytes
    assert f"%d = tiny.view %a : !tiny.buffer<1x{o}x{o}x8xi8, 0.25:2>" in printed
    assert "%d.scratch = tiny.alloc offset" in printed and ": !tiny.buffer<64xi8>" in printed
    assert "tiny.depthwise_conv_2d %a, %dw -> %d scratch %d.scratch" in printed
    assert _views_of(module, tiny.PrefixViewOp) == {"d"}
    assert tinyir.print_ir(tinyir.parse_ir(printed)) == printed
    check_arena(module)
    assert arena.arena_size(module) < arena.arena_size(without)
    for x in input_sets(reference):
        assert same(tinyir.execute(module, x), tinyir.execute(reference, x))
    # running the pass again (without the option) keeps it in place and its temporary
    again = allocated(tinyir.parse_ir(printed))
    assert "%d = tiny.view %a" in tinyir.print_ir(again) and "%d.scratch = tiny.alloc offset" in tinyir.print_ir(again)
    op = next(op for op in again.walk() if isinstance(op, tiny.DepthwiseConv2DOp))
    assert scratch.is_inplace_depthwise(op) and op.scratch.type.nbytes == 64
    assert all(scratch.scratch_bytes(op, f) == 64 for f in Family)


@pytest.mark.parametrize(
    "variant",
    [{"multiplier": 2}, {"return_input": True}, {"read_later": True}],
    ids=["multiplier-2", "returned-input", "input-read-later"],
)
def test_inplace_depthwise_refused(variant):
    text = _dw_module(**variant)
    module = allocated(tinyir.parse_ir(text), "inplace-depthwise=true")
    assert _views_of(module, tiny.PrefixViewOp) == set()
    assert arena.arena_size(module) == arena.arena_size(allocated(tinyir.parse_ir(text)))
    reference = tinyir.parse_ir(text)
    x = tinyir.random_inputs(reference)
    assert same(tinyir.execute(module, x), tinyir.execute(reference, x))


def test_inplace_depthwise_output_keeps_only_its_own_bytes():
    """A stride-2 output in its input's buffer holds a quarter of it once the
    input is dead: liveness counts those bytes only (Buffer.extents), so the
    larger consumer after it finds the rest of the buffer free."""
    text = _dw_module(stride=2, big_consumer=True)
    module = allocated(tinyir.parse_ir(text), "inplace-depthwise=true")
    assert _views_of(module, tiny.PrefixViewOp) == {"d"}
    buffer = analyze(module).buffer_of(next(op.result for op in module.walk() if isinstance(op, tiny.PrefixViewOp)))
    assert buffer.nbytes == 512 and buffer.extents[-1].size == 128  # %a 8x8x8, then %d 4x4x8
    check_arena(module)
    without = allocated(tinyir.parse_ir(text))
    assert analyze(module).live_bytes[-1] == analyze(without).live_bytes[-1]  # the consumer's step
    assert arena.arena_size(module) <= arena.arena_size(without)
    reference = tinyir.parse_ir(text)
    for x in input_sets(reference):
        assert same(tinyir.execute(module, x), tinyir.execute(reference, x))


def test_inplace_depthwise_the_checker_still_refuses_real_overlaps():
    module = allocated(tinyir.parse_ir(_dw_module(stride=2)), "inplace-depthwise=true")
    check_arena(module)
    found = offsets(module)
    _corrupt(module, "d.scratch", found["a"])  # the temporary over the buffer it copies from
    with pytest.raises(tinyir.TinyIRError, match=r"overlap while both are live at step 1 \(tiny.depthwise_conv_2d\)$") as e:
        check_arena(module)
    assert "%a [" in str(e.value) and "%d.scratch [" in str(e.value)


def test_prefix_view_is_a_numpy_view_never_a_copy():
    from tinyir.numerics.executor import prefix_view

    source = np.arange(64, dtype=np.int8).reshape(1, 4, 4, 4)
    view = prefix_view(source, tiny.BufferType([1, 2, 2, 4], IntegerType(8)))
    assert np.shares_memory(view, source) and view.shape == (1, 2, 2, 4)
    assert np.array_equal(view.reshape(-1), source.reshape(-1)[:16])
    view[...] = 0
    assert not source.reshape(-1)[:16].any() and source.reshape(-1)[16:].all()
    with pytest.raises(ValueError, match="non-contiguous"):  # its first bytes are not its first elements
        prefix_view(source[..., ::2], tiny.BufferType([4], IntegerType(8)))


# -- the checker and the executor's arena mode -----------------------------------------


def _corrupt(module, name: str, offset: int) -> None:
    for op in module.walk():
        if isinstance(op, tiny.AllocOp) and op.result.name_hint == name:
            op.offset = IntegerAttr(offset, i64)
            return
    raise AssertionError(f"no alloc %{name}")


def test_checker_catches_a_corrupted_offset():
    module = allocated(tinyir.parse_ir(CHAIN), "inplace=false")
    found = offsets(module)
    _corrupt(module, "b", found["a"])  # %a is still read when %b is written
    overlap = r"^arena check: %a \[\d+, \d+\) and %b \[\d+, \d+\) overlap while both are live at step 1 \(tiny.add\)$"
    with pytest.raises(tinyir.TinyIRError, match=overlap):
        check_arena(module)
    with pytest.raises(tinyir.TinyIRError, match="overlap"):
        tinyir.run_pipeline(module, "check-arena")
    # ... and the executor, which runs it in one arena, gives another answer.
    x = [np.arange(16, dtype=np.int8).reshape(1, 16)]
    assert not same(tinyir.execute(module, x), tinyir.execute(tinyir.parse_ir(CHAIN), x))


def test_checker_catches_a_corrupted_offset_in_a_real_network():
    case = random_cnn_case(3)
    module = allocated(tinyir.import_model(case.data))
    liveness = analyze(module)
    allocs = [b for b in liveness.buffers if isinstance(b.value.owner, tiny.AllocOp)]
    a, b = next((a, b) for a in allocs for b in allocs if a is not b and a.first <= b.last and b.first <= a.last)
    b.value.owner.offset = a.value.owner.offset
    with pytest.raises(tinyir.TinyIRError, match="overlap while both are live"):
        check_arena(module)


def test_checker_catches_misaligned_and_out_of_arena_offsets():
    module = allocated(tinyir.parse_ir(CHAIN), "inplace=false")
    _corrupt(module, "b", offsets(module)["b"] + 4)
    with pytest.raises(tinyir.TinyIRError, match=r"^arena check: %b at offset \d+ is not aligned to 16 bytes$"):
        check_arena(module)
    _corrupt(module, "b", arena.arena_size(module))
    outside = r"^arena check: %b \[\d+, \d+\) lies outside the arena of \d+ bytes$"
    with pytest.raises(tinyir.TinyIRError, match=outside):
        check_arena(module)
    with pytest.raises(tinyir.TinyIRError, match="not allocated"):
        check_arena(tinyir.parse_ir(CHAIN))


def test_executor_arena_mode_uses_the_offsets():
    module = allocated(tinyir.parse_ir(CHAIN), "inplace=false")
    # Move every buffer up by 16 bytes in a larger arena: still sound, same answer.
    found = offsets(module)
    function = next(iter(module.ops))
    arena.set_argument_offsets(function, [found["x"] + 16])
    for name in ("a", "b", "c"):
        _corrupt(module, name, found[name] + 16)
    module.attributes[arena.ARENA_SIZE] = IntegerAttr(arena.arena_size(module) + 16, i64)
    check_arena(module)
    x = [np.arange(16, dtype=np.int8).reshape(1, 16)]
    assert same(tinyir.execute(module, x), tinyir.execute(tinyir.parse_ir(CHAIN), x))
    _corrupt(module, "a", 10**6)
    with pytest.raises(tinyir.TinyIRError, match="lies outside the arena"):
        tinyir.execute(module, x)


# -- options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, message",
    [
        (
            "target-cpu=cortex-m9",
            (
                "target-cpu must be one of cortex-m0, cortex-m0plus, cortex-m3, "
                "cortex-m4, cortex-m7, cortex-m33, cortex-m55, cortex-m85, got 'cortex-m9'"
            ),
        ),
        ("alignment=0", "alignment must be in 4..4096, got 0"),
        ("alignment=2", "alignment must be in 4..4096, got 2"),
        ("alignment=8192", "alignment must be in 4..4096, got 8192"),
        ("alignment=24", "alignment must be a power of two, got 24"),
        ("alignment=true", "alignment must be a number, got true"),
        ("inplace=maybe", "Incompatible types"),
        ("inplace-depthwise=maybe", "Incompatible types"),
        ("colour=blue", 'Provided arguments ["colour"] not found'),
    ],
)
def test_bad_options_are_one_line_errors(options, message):
    with pytest.raises(tinyir.TinyIRError) as e:
        allocated(tinyir.parse_ir(CHAIN), options)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_pass_defaults():
    p = ArenaAllocPass()
    # no CPU of its own: the module's (--mcpu), cortex-m4 when it records none
    assert (p.target_cpu, p.alignment, p.inplace, p.inplace_depthwise) == ("", 16, True, False)
    assert arena.TARGET_CPU not in tinyir.parse_ir(CHAIN).attributes
    assert allocated(tinyir.parse_ir(CHAIN)).attributes[arena.TARGET_CPU].data == "cortex-m4"
    assert {cpu: family_of(cpu) for cpu in ("cortex-m0", "cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7",
                                            "cortex-m33", "cortex-m55", "cortex-m85")} == {
        "cortex-m0": Family.C, "cortex-m0plus": Family.C, "cortex-m3": Family.C, "cortex-m4": Family.DSP,
        "cortex-m7": Family.DSP, "cortex-m33": Family.DSP, "cortex-m55": Family.MVE, "cortex-m85": Family.MVE}


# -- CMSIS-NN scratch sizes, computed by hand from the v7 sources ------------------------


def _conv_module(*, c_in: int, c_out: int, kernel: int | tuple[int, int], pad: int = 0, stride: int = 1,
                 h: int = 8, w: int = 8, depthwise: bool = False) -> str:
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    oh, ow = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
    if kh == 1 and h == 1:
        pad_hw = f"0, 0, {pad}, {pad}"
        oh = 1
    else:
        pad_hw = f"{pad}, {pad}, {pad}, {pad}"
    filt = f"1x{kh}x{kw}x{c_out}" if depthwise else f"{c_out}x{kh}x{kw}x{c_in}"
    nbytes = kh * kw * c_out * (1 if depthwise else c_in)
    op = "tiny.depthwise_conv_2d" if depthwise else "tiny.conv_2d"
    return f"""
func.func @main(%x: !tiny.buffer<1x{h}x{w}x{c_in}xi8, 0.5:0>) -> !tiny.buffer<1x{oh}x{ow}x{c_out}xi8, 0.5:0> {{
  %w = tiny.const dense<"0x{'01' * nbytes}"> : !tiny.buffer<{filt}xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x{oh}x{ow}x{c_out}xi8, 0.5:0>
  {op} %x, %w -> %y {{stride = array<i64: {stride}, {stride}>, dilation = array<i64: 1, 1>, pad = array<i64: {pad_hw}>, clamp = array<i64: -128, 127>}}
  func.return %y : !tiny.buffer<1x{oh}x{ow}x{c_out}xi8, 0.5:0>
}}
"""


def _scratch_of(text: str, family: Family) -> int:
    module = tinyir.parse_ir(text)
    op = next(op for op in module.walk() if isinstance(op, tiny.ComputeOp))
    return scratch.scratch_bytes(op, family)


# (description, IR, (pure C, DSP, MVE)); every value worked out by hand from the formulas.
SCRATCH_CASES = [
    # generic conv: C/DSP 2 im2col columns of int16, taps rounded up to 4; MVE 4 x 16-byte lanes
    ("conv 3x3 C_in 3", _conv_module(c_in=3, c_out=8, kernel=3, pad=1), (2 * 28 * 2, 2 * 28 * 2, 4 * 2 * 16)),
    ("conv 3x3 C_in 16", _conv_module(c_in=16, c_out=8, kernel=3, pad=1), (2 * 144 * 2, 2 * 144 * 2, 4 * 9 * 16)),
    ("conv 5x5 stride 2 C_in 5", _conv_module(c_in=5, c_out=4, kernel=5, stride=2, h=11, w=11),
     (2 * 128 * 2, 2 * 128 * 2, 4 * 8 * 16)),
    # 1x1 stride 1 (arm_convolve_1x1_s8_fast): DSP 2 x C int16 under Arm Compiler 6 (0 with GCC)
    ("conv 1x1 C_in 96", _conv_module(c_in=96, c_out=16, kernel=1), (0, 4 * 96, 0)),
    # 1x1 stride 2 (arm_convolve_1x1_s8): no buffer
    ("conv 1x1 stride 2", _conv_module(c_in=96, c_out=16, kernel=1, stride=2), (0, 0, 0)),
    # 1xN (input height 1): C/DSP as generic; MVE arm_convolve_1_x_n_s8_get_buffer_size_mve:
    # out 32, total pad 2, asym 0 -> max(3*8 + 1*8, 2*8 + 1*8) = 32
    ("conv 1x3 on 1x32x8", _conv_module(c_in=8, c_out=16, kernel=(1, 3), pad=1, h=1, w=32),
     (2 * 24 * 2, 2 * 24 * 2, 32)),
    # depthwise 3x3 padding 1: the no-buffer 3x3 kernel except on MVE (4 x 124 x 9)
    ("depthwise 3x3 pad 1", _conv_module(c_in=32, c_out=32, kernel=3, pad=1, depthwise=True), (0, 0, 4 * 124 * 9)),
    # depthwise 5x5: arm_depthwise_conv_s8_opt; DSP C x 25 int16
    ("depthwise 5x5", _conv_module(c_in=32, c_out=32, kernel=5, pad=2, depthwise=True),
     (0, 32 * 25 * 2, 4 * 124 * 25)),
    # depthwise 3x3 padding 2 is too much padding for the 3x3 kernel
    ("depthwise 3x3 pad 2", _conv_module(c_in=8, c_out=8, kernel=3, pad=2, depthwise=True),
     (0, 8 * 9 * 2, 4 * 124 * 9)),
    # multiplier 2: the generic arm_depthwise_conv_s8, no buffer
    ("depthwise multiplier 2", _conv_module(c_in=8, c_out=16, kernel=3, pad=1, depthwise=True), (0, 0, 0)),
    # one input channel, 8 outputs: MVE (GCC threshold 1) runs it as a conv:
    # 4 x 16 im2col + 8 x 3 x 3 transposed weights
    ("depthwise 1 -> 8 channels", _conv_module(c_in=1, c_out=8, kernel=3, pad=1, depthwise=True), (0, 0, 64 + 72)),
]


@pytest.mark.parametrize("name, text, expected", SCRATCH_CASES, ids=[c[0] for c in SCRATCH_CASES])
def test_conv_scratch_sizes(name, text, expected):
    got = tuple(_scratch_of(text, family) for family in (Family.C, Family.DSP, Family.MVE))
    assert got == expected


def test_scratch_sizes_depend_on_the_toolchain_where_cmsis_nn_says_so():
    p, x = ConvParams(), Dims(1, 8, 8, 96)
    one_by_one = Dims(16, 1, 1, 96)
    assert scratch.convolve_wrapper_s8(p, x, one_by_one, Dims(1, 8, 8, 16), Family.DSP, "gcc") == 0
    assert scratch.convolve_wrapper_s8(p, x, one_by_one, Dims(1, 8, 8, 16), Family.DSP, "armclang") == 384
    dw = ConvParams(pad_h=1, pad_w=1)
    args = (dw, Dims(1, 8, 8, 1), Dims(1, 3, 3, 8), Dims(1, 8, 8, 8), Family.MVE)
    assert scratch.depthwise_conv_wrapper_s8(*args, "gcc") == 64 + 72
    assert scratch.depthwise_conv_wrapper_s8(*args, "armclang") == 0  # 8 is not above 8: generic kernel
    args9 = (dw, Dims(1, 8, 8, 1), Dims(1, 3, 3, 9), Dims(1, 8, 8, 9), Family.MVE)
    assert scratch.depthwise_conv_wrapper_s8(*args9, "armclang") == 64 + 81


def test_fully_connected_and_pool_scratch():
    fc = """
func.func @main(%x: !tiny.buffer<1x64xi8, 0.5:0>) -> !tiny.buffer<1x10xi8, 0.5:0> {
  %w = tiny.const dense<"0xWEIGHTS"> : !tiny.buffer<10x64xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x10xi8, 0.5:0>
  tiny.fully_connected %x, %w -> %y {clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x10xi8, 0.5:0>
}
""".replace("WEIGHTS", "01" * 640)
    assert [_scratch_of(fc, f) for f in Family] == [0, 0, 10 * 4]  # MVE: one int32 kernel sum per output
    pool = """
func.func @main(%x: !tiny.buffer<1x8x8x24xi8, 0.5:0>) -> !tiny.buffer<1x4x4x24xi8, 0.5:0> {
  %y = tiny.alloc : !tiny.buffer<1x4x4x24xi8, 0.5:0>
  tiny.avg_pool_2d %x -> %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x4x4x24xi8, 0.5:0>
}
"""
    assert [_scratch_of(pool, f) for f in Family] == [0, 24 * 4, 0]  # DSP: one int32 sum per channel
    maxpool = pool.replace("avg_pool_2d", "max_pool_2d")
    assert [_scratch_of(maxpool, f) for f in Family] == [0, 0, 0]


# -- the allocator on its own ----------------------------------------------------------


def _sound(intervals, result) -> bool:
    for i, a in enumerate(intervals):
        for j in range(i):
            b = intervals[j]
            if a.first <= b.last and b.first <= a.last:
                oa, ob = result.offsets[i], result.offsets[j]
                if oa < ob + b.size and ob < oa + a.size:
                    return False
    return True


def test_allocator_is_sound_and_beats_tflite_micro_greedy_on_random_lifetimes():
    rng = random.Random(7)
    ours = greedy = 0.0
    for _ in range(40):
        steps = rng.randint(5, 40)
        intervals = []
        for _ in range(rng.randint(5, 60)):
            first = rng.randrange(steps)
            last = min(steps - 1, first + int(rng.expovariate(0.3)))
            intervals.append(Interval(16 * rng.randint(1, 64), first, last))
        result = plan(intervals, 16)
        assert _sound(intervals, result)
        assert all(o % 16 == 0 for o in result.offsets)
        assert result.lower_bound <= result.arena_size
        # TFLite Micro's GreedyMemoryPlanner: decreasing size, lowest gap.
        placed: list[tuple[int, Interval]] = []
        for b in sorted(intervals, key=lambda b: -b.size):
            clash = sorted((o, o + c.size) for o, c in placed if c.first <= b.last and b.first <= c.last)
            offset = 0
            for start, end in clash:
                if start - offset >= b.size:
                    break
                offset = max(offset, end)
            placed.append((offset, b))
        tflm = max(o + b.size for o, b in placed)
        assert result.arena_size <= tflm
        greedy += tflm / result.lower_bound - 1
        ours += result.gap
    assert ours < greedy


# -- what makes the pass scale with depth ------------------------------------------


def _chain_or_shared(name: str):
    if name == "chain":
        from tinyir.testing.models import block_chain

        return block_chain(3)
    from conftest import MODELS

    path = MODELS / f"{name}.tflite"
    if not path.is_file():
        pytest.skip(f"no shared model {path}")
    return path


@pytest.mark.parametrize("name", ["chain", "hanlab_mcunet-5fps_vww", "mlperf_kws_dscnn_int8"])
def test_in_place_rewrites_keep_the_liveness_a_whole_analysis_finds(name, monkeypatch):
    """The in-place rewrites update the liveness of the two buffers a rewrite
    changes (liveness.merged) instead of analyzing the body again: after
    every rewrite kept, it must be what analyze_block finds (views, row
    loops, kept line buffers, the model's input)."""
    from tinyir.analysis import liveness
    from tinyir.analysis.liveness import Liveness, analyze_block, main_function

    module = tinyir.run_pipeline(tinyir.import_model(_chain_or_shared(name)), "fuse,partial-exec{max-slowdown=0},reorder")
    block = main_function(module).body.block
    checked = []
    original = Liveness.with_buffers

    def checked_with_buffers(self, changed):
        updated = original(self, changed)
        assert updated.buffers == analyze_block(block).buffers
        checked.append(len(changed))
        return updated

    monkeypatch.setattr(liveness.Liveness, "with_buffers", checked_with_buffers)
    tinyir.run_pipeline(module, "arena-alloc")
    assert len(checked) >= 2  # elementwise and row-loop rewrites happened and were checked


def test_conflicts_by_sweep_are_every_overlapping_pair():
    from tinyir.passes.arena_alloc.allocator import _conflicts

    rng = random.Random(3)
    for _ in range(50):
        units = []
        for _ in range(rng.randrange(1, 40)):
            first = rng.randrange(30)
            units.append(Interval(rng.randrange(1, 9), first, first + rng.randrange(6)))
        pairs = [[j for j in range(len(units)) if j != i and units[i].overlaps_in_time(units[j])] for i in range(len(units))]
        assert _conflicts(units) == pairs
