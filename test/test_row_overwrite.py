"""Row loops writing an output over their input (arena-alloc's `inplace-rows`).

A row loop reads its input top to bottom; an output that is a view of the
input's buffer may take the rows the loop has finished reading. Checked here:
the verifier accepts exactly the loops whose bands never write bytes that
this or a later band reads (tiny.overwrite_conflict), the executor's result
is unchanged, arena-alloc makes such views on its own where the input dies
in the loop, the search counts them as arena-alloc will, and the allocator
places buffers whose live bytes shrink (Interval.parts) without overlaps.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import tinyir
from tinyir.analysis import arena
from tinyir.analysis.liveness import Interval, analyze
from tinyir.analysis.macs import module_macs
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.passes.arena_alloc.allocator import lower_bound, plan
from tinyir.passes.arena_alloc.check import check_arena
from tinyir.testing.models import inverted_residual
from tinyir.testing.quantnet import QuantNet

ROWS_INPUT = Path(__file__).parent / "filecheck" / "passes" / "Inputs" / "arena-alloc-rows.mlir"
WINDOW = "stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: {p}, {p}, {p}, {p}>, clamp = array<i64: -128, 127>"


def module_text(body: str, *, views: str = "%y = tiny.view %x : !tiny.buffer<1x6x4x4xi8, 0.25:3>") -> str:
    """Inputs/arena-alloc-rows.mlir with another loop body and the views of %x
    (`views` replaces the alloc of %y)."""
    text = ROWS_INPUT.read_text()
    head, rest = text.split("  tiny.tile_loop %t < 3 rows {\n", 1)
    _, tail = rest.split("  }\n", 1)
    head = head.replace("  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.25:3>", "  " + views)
    return head + "  tiny.tile_loop %t < 3 rows {\n" + body + "  }\n" + tail


def outputs(text: str) -> list[np.ndarray]:
    module = tinyir.parse_ir(text)
    return tinyir.execute(module, tinyir.random_inputs(module, seed=1))


def test_output_over_rows_already_read_verifies_and_computes_the_same():
    plain = ROWS_INPUT.read_text()
    over = plain.replace("  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.25:3>", "  %y = tiny.view %x : !tiny.buffer<1x6x4x4xi8, 0.25:3>")
    assert over != plain
    for want, got in zip(outputs(plain), outputs(over), strict=True):
        assert np.array_equal(want, got)


@pytest.mark.parametrize(
    "body, message",
    [
        (  # a 1x1 conv reads rows [2t, 2t+2) of %x and writes the same rows of %y in the same call
            f"    tiny.conv_2d %x, %w -> %y {{{WINDOW.format(p=0)}}}\n",
            r"tiny.conv_2d writes rows \[0, 2\) of %y over bytes of %x that tiny.conv_2d still reads",
        ),
        (  # a 3x3 depthwise on %x needs the row below the band
            f"    tiny.depthwise_conv_2d %x, %d -> %y {{{WINDOW.format(p=1)}}}\n",
            r"tiny.depthwise_conv_2d writes rows \[0, 2\) of %y over bytes of %x that tiny.depthwise_conv_2d still reads",
        ),
    ],
    ids=["same-rows", "next-row"],
)
def test_overwriting_rows_still_to_be_read_is_refused(body, message):
    with pytest.raises(TinyIRError, match=message):
        tinyir.parse_ir(module_text(body))
    tinyir.parse_ir(module_text(body, views="%y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.25:3>"))  # fine apart


def test_two_outputs_in_one_buffer_are_refused():
    views = "%y = tiny.view %x : !tiny.buffer<1x6x4x4xi8, 0.25:3>\n  %z = tiny.view %x : !tiny.buffer<1x6x4x4xi8, 0.5:-1>"
    body = (
        "    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>\n"
        f"    tiny.conv_2d %x, %w -> %e {{{WINDOW.format(p=0)}}}\n"
        f"    tiny.depthwise_conv_2d %e, %d -> %y {{{WINDOW.format(p=1)}}}\n"
        "    tiny.max_pool_2d %e -> %z {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, "
        "pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}\n"
    )
    with pytest.raises(TinyIRError, match="write the same buffer"):
        tinyir.parse_ir(module_text(body, views=views))


def test_arena_alloc_writes_over_the_input_only_when_asked():
    text = ROWS_INPUT.read_text()
    over = tinyir.run_pipeline(tinyir.parse_ir(text), "arena-alloc")
    apart = tinyir.run_pipeline(tinyir.parse_ir(text), "arena-alloc{inplace-rows=false}")
    views = [op for op in over.walk() if isinstance(op, tiny.PrefixViewOp)]
    assert [v.result.name_hint for v in views] == ["y"] and views[0].source.name_hint == "x"
    assert not any(isinstance(op, tiny.PrefixViewOp) for op in apart.walk())
    check_arena(over)
    assert arena.arena_size(over) == arena.arena_size(apart) - 96  # %y's 96 bytes
    for want, got in zip(outputs(text), outputs(tinyir.print_ir(over)), strict=True):
        assert np.array_equal(want, got)


def stem_model(seed: int) -> str:
    """A stride-2 stem on a 1x32x24x3 image and two inverted residual blocks:
    the stem and the first block make the row loop that reads the image."""
    net = QuantNet(seed=seed)
    x = net.input("input", (1, 32, 24, 3))
    x = net.conv2d(x, 8, 3, stride=2, activation="RELU6")
    x = inverted_residual(net, x, 8, expand=4, name="b1")
    x = inverted_residual(net, x, 16, expand=4, stride=2, name="b2")
    net.output(x)
    return tinyir.print_ir(tinyir.import_model(net.build("stem").data))


@pytest.mark.parametrize("seed", range(3))
def test_partial_exec_pipeline_writes_over_the_image(seed):
    """fuse,partial-exec (the least peak),arena-alloc on a small image model: the image's
    buffer takes an output of the row loop reading it, the result is
    bit-exact, the arena at the search's bound and below the one without."""
    text = stem_model(seed)
    reference = tinyir.parse_ir(text)
    pipeline = "fuse,partial-exec{max-slowdown=0},arena-alloc"
    over = tinyir.run_pipeline(tinyir.parse_ir(text), pipeline)
    apart = tinyir.run_pipeline(tinyir.parse_ir(text), pipeline.replace("arena-alloc", "arena-alloc{inplace-rows=false}"))
    assert any(isinstance(op, tiny.PrefixViewOp) and op.source.name_hint == "input" for op in over.walk())
    check_arena(over)
    assert arena.arena_size(over) < arena.arena_size(apart)
    assert module_macs(over) == module_macs(reference)
    for x in [tinyir.random_inputs(reference, seed=s) for s in range(2)]:
        for want, got in zip(tinyir.execute(reference, x), tinyir.execute(over, x), strict=True):
            assert np.array_equal(want, got)
    # Each buffer's live bytes: the image's shrink to the output's once it is read.
    (image,) = [b for b in analyze(over).buffers if b.name == "input"]
    assert image.extents and image.extents[-1].size < image.nbytes


def test_allocator_places_a_shrinking_buffer():
    """A: 100 bytes over steps 0-2, then 20 over 3-5; B: 80 bytes over 3-5
    fits above A's last 20: the arena is the bound."""
    a = Interval(100, 0, 5, (Interval(100, 0, 2), Interval(20, 3, 5)))
    b = Interval(80, 3, 5)
    result = plan([a, b])
    assert result.lower_bound == 100 and result.arena_size == 100
    assert result.offsets[1] >= result.offsets[0] + 20 or result.offsets[1] + 80 <= result.offsets[0]


@pytest.mark.parametrize("seed", range(20))
def test_allocator_never_overlaps_live_parts(seed):
    rng = random.Random(seed)
    intervals = []
    for _ in range(rng.randint(2, 14)):
        first = rng.randint(0, 9)
        last = rng.randint(first, 12)
        size = 16 * rng.randint(1, 8)
        parts: tuple[Interval, ...] = ()
        if rng.random() < 0.4 and last > first:
            cut = rng.randint(first, last - 1)
            parts = (Interval(size, first, cut), Interval(16 * rng.randint(1, size // 16), cut + 1, last))
        intervals.append(Interval(size, first, last, parts))
    result = plan(intervals, 16)
    assert result.lower_bound == lower_bound([i.in_units(16) for i in intervals]) * 16
    assert result.arena_size >= result.lower_bound
    placed = [(p, at) for i, at in zip(intervals, result.offsets) for p in i.pieces()]
    for k, (p, at) in enumerate(placed):
        assert at + p.size <= result.arena_size
        for q, bt in placed[k + 1 :]:
            if p.overlaps_in_time(q):
                assert at + p.size <= bt or bt + q.size <= at, (p, at, q, bt)
