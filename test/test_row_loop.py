"""Row loops: `tiny.tile_loop %t < N rows` runs a chain a band of rows at a time.

Straight int8 chains (QuantNet, random and hand-picked) are turned into row
loops here the way a pass would: a contiguous run of ops that row_map()
accepts, whose intermediates nothing else reads, moves into the loop, each
intermediate becoming a line buffer of exactly the rows tiny.row_schedule
asks for. Checked on every such loop: the executor's output identical to the
unsplit module's, also after --arena-alloc (with the arena checker); MACs
unchanged; the text round trip; and, replaying the schedule on row labels,
that every op computes each row of its tensor exactly once and reads exactly
the rows its band needs from where the line buffer holds them. Then the
live peak of a chain with a big intermediate, and the verifier's refusals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from xdsl.dialects.builtin import IntegerAttr, i64

import tinyir
from tinyir.analysis.liveness import analyze, main_function
from tinyir.analysis.macs import module_macs
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.testing.models import QuantNet, inverted_residual

# ---------------------------------------------------------------------------
# Chains and row loops
# ---------------------------------------------------------------------------


def chain(build, shape=(1, 10, 6, 4), seed=0) -> str:
    """IR text of a one-input QuantNet model: `build(net, x)` returns its
    output (or a list of outputs)."""
    net = QuantNet(seed=seed)
    x = net.input("input", shape)
    out = build(net, x)
    net.output(*(out if isinstance(out, list) else [out]))
    return tinyir.print_ir(tinyir.import_model(net.build("chain").data))


def compute_ops(module) -> list[tiny.ComputeOp]:
    return [op for op in main_function(module).body.block.ops if isinstance(op, tiny.ComputeOp)]


def split_outputs(module, run) -> tuple[list, list] | None:
    """The outputs of `run` that become line buffers (plain allocs read only
    in the run) and those it writes whole (read after it or returned); None
    if an op of the run reads a whole one, or an op writes no alloc."""
    block = main_function(module).body.block
    returned = set(block.last_op.operands)
    inner, outer = [], []
    for op in run:
        v = op.out
        if v not in returned and v.uses and all(use.operation in run for use in v.uses):
            if not isinstance(v.owner, tiny.AllocOp):
                return None
            inner.append(v)
        else:
            outer.append(v)
    if any(v in op.ins for op in run for v in outer):
        return None
    return inner, outer


def runs(module) -> list[tuple[int, int]]:
    """(first, last) indices of the compute-op runs that can make a row loop:
    ops row_map() accepts, no op reading what the run writes whole."""
    ops = compute_ops(module)
    found = []
    for first in range(len(ops)):
        for last in range(first, len(ops)):
            run = ops[first : last + 1]
            if tiny.row_map(run[-1]) is None:
                break
            if split_outputs(module, run) is not None:
                found.append((first, last))
    return found


def to_row_loop(module, first: int, last: int, count: int) -> tiny.TileLoopOp:
    """Moves compute ops first..last into a row loop of `count` tiles, in
    place of the last; the intermediates only they read become line buffers
    of the rows row_schedule reports (first allocated whole, then shrunk);
    the others stay whole, outside."""
    block = main_function(module).body.block
    run = compute_ops(module)[first : last + 1]
    inner, _ = split_outputs(module, run)
    loop = tiny.TileLoopOp(count, rows=True)
    block.insert_op_after(loop, run[-1])
    body = loop.body.block
    for op in run:
        if op.out in inner:
            alloc = op.out.owner
            alloc.detach()
            body.add_op(alloc)
        op.detach()
        body.add_op(op)
    for buffer, rows in tiny.row_schedule(loop).rows.items():
        t = tiny.buffer_type(buffer)
        assert rows <= t.shape[1], "a line buffer needs more rows than its whole tensor"
        line = tiny.AllocOp(t.with_shape((t.shape[0], rows, *t.shape[2:])))
        line.result.name_hint = buffer.name_hint
        body.insert_op_before(line, buffer.owner)
        old = buffer.owner
        buffer.replace_all_uses_with(line.result)
        old.detach()
        old.erase()
    return loop


def loop_of(module) -> tiny.TileLoopOp:
    (loop,) = [op for op in main_function(module).body.block.ops if isinstance(op, tiny.TileLoopOp)]
    return loop


# ---------------------------------------------------------------------------
# The schedule, replayed on row labels
# ---------------------------------------------------------------------------


def vertical_window(op: tiny.ComputeOp) -> tuple[int, int, int, int]:
    """(kernel, stride, dilation, top padding) of `op` along rows, read off its
    attributes (elementwise ops: 1, 1, 1, 0)."""
    if isinstance(op, (tiny.Conv2DOp, tiny.DepthwiseConv2DOp)):
        return tiny.buffer_type(op.ins[1]).shape[1], op.ints("stride")[0], op.ints("dilation")[0], op.ints("pad")[0]
    if isinstance(op, (tiny.AvgPool2DOp, tiny.MaxPool2DOp)):
        return op.ints("kernel")[0], op.ints("stride")[0], 1, op.ints("pad")[0]
    return 1, 1, 1, 0


def check_schedule(loop: tiny.TileLoopOp) -> tiny.RowSchedule:
    """Replays row_schedule(loop) with each buffer row holding the label of
    the tensor row written there (-1: nothing yet) and the tile that wrote it."""
    schedule = tiny.row_schedule(loop)
    ops = [op for op in loop.body.block.ops if isinstance(op, tiny.ComputeOp)]
    local = {op.result for op in loop.body.block.ops if isinstance(op, tiny.AllocOp)}
    assert set(schedule.heights) <= local and set(schedule.rows) == set(schedule.heights)
    assert schedule.retains <= set(schedule.rows)

    def height(v) -> int:
        return schedule.heights[v] if v in local else tiny.buffer_type(v).shape[1]

    label = {v: np.full(tiny.buffer_type(v).shape[1], -1) for v in schedule.heights}
    when = {v: np.full(tiny.buffer_type(v).shape[1], -1) for v in schedule.heights}
    held = {v: 0 for v in schedule.heights}
    bands = {op: [] for op in ops}
    assert len(schedule.tiles) == loop.tiles
    for t, steps in enumerate(schedule.tiles):
        assert [s.op for s in steps] == ops
        for step in steps:
            op, shift, band = step.op, step.shift, step.band
            if shift is not None:
                b = shift.buffer
                assert b is op.out and b in local and t > 0
                assert 0 < shift.source and shift.source + shift.rows <= len(label[b])
                label[b][: shift.rows] = label[b][shift.source : shift.source + shift.rows].copy()
                when[b][: shift.rows] = when[b][shift.source : shift.source + shift.rows].copy()
                label[b][shift.rows :] = -1
            if band is None:
                continue
            assert band.end > band.first and band.in_end >= band.in_first
            rmap = tiny.row_map(op)
            data = tiny.row_inputs(op)
            h_in = {height(op.ins[i]) for i in data}
            assert len(h_in) == 1
            h_in = h_in.pop()
            assert (band.in_first, band.in_end) == rmap.in_rows(band.first, band.end, h_in)
            # The input rows the windows of the band's output rows touch, from the op's attributes.
            kernel, stride, dilation, top = vertical_window(op)
            taps = {r * stride - top + j * dilation for r in range(band.first, band.end) for j in range(kernel)}
            assert taps & set(range(h_in)) <= set(range(band.in_first, band.in_end))
            assert band.in_end == min(max(taps) + 1, h_in) or band.in_end == band.in_first
            # The kernel places the first window pad_top rows above the first input row it gets
            # (a band reading no input row at all sees padding only, wherever it is placed).
            assert band.in_first - band.pad_top == band.first * stride - top or band.in_end == band.in_first
            assert band.pad_top == rmap.pad_top(band.first)
            assert len(band.in_at) == len(op.ins)
            for i, v in enumerate(op.ins):
                at = band.in_at[i]
                if i not in data:
                    assert at is None
                elif v in local:
                    assert 0 <= at and at + band.in_rows <= len(label[v]), f"{op.name} reads past %{v.name_hint}"
                    got = label[v][at : at + band.in_rows]
                    want = np.arange(band.in_first, band.in_end)
                    assert np.array_equal(got, want), f"tile {t}: {op.name} reads rows {got} of %{v.name_hint}, needs {want}"
                    if (when[v][at : at + band.in_rows] < t).any():
                        assert v in schedule.retains, f"%{v.name_hint} keeps rows across tiles, not in retains"
                else:
                    assert at == band.in_first
            out = op.out
            if out in local:
                assert 0 <= band.out_at and band.out_at + band.rows <= len(label[out])
                label[out][band.out_at : band.out_at + band.rows] = np.arange(band.first, band.end)
                when[out][band.out_at : band.out_at + band.rows] = t
                held[out] = max(held[out], band.out_at + band.rows)
            else:
                assert band.out_at == band.first
            bands[op].append((band.first, band.end))
    for op, spans in bands.items():
        rows = [r for first, end in spans for r in range(first, end)]
        assert rows == list(range(height(op.out))), f"{op.name} computes rows {rows}"
    for b, rows in schedule.rows.items():
        assert held[b] <= rows <= tiny.buffer_type(b).shape[1] and rows <= schedule.heights[b]
    return schedule


# ---------------------------------------------------------------------------
# One chain, one run, one tile count: every check
# ---------------------------------------------------------------------------


@dataclass
class Reference:
    text: str
    inputs: list
    outputs: list
    macs: int


def reference(text: str) -> Reference:
    module = tinyir.parse_ir(text)
    xs = tinyir.random_inputs(module, seed=0)
    return Reference(text, xs, tinyir.execute(module, xs), module_macs(module))


def same_outputs(module, ref: Reference) -> None:
    for got, want in zip(tinyir.execute(module, ref.inputs), ref.outputs, strict=True):
        assert np.array_equal(got, want), f"max |diff| {np.abs(got.astype(int) - want.astype(int)).max()}"


def summary(schedule: tiny.RowSchedule) -> tuple:
    """A schedule without its SSA values: a line buffer by the index of the op writing it."""
    ops = [s.op for s in schedule.tiles[0]]
    writer = {op.out: i for i, op in enumerate(ops)}
    tiles = [[(s.op.name, s.shift and (s.shift.source, s.shift.rows), s.band) for s in steps] for steps in schedule.tiles]
    return sorted(writer[v] for v in schedule.retains), {writer[v]: r for v, r in schedule.rows.items()}, tiles


def check_row_loop(ref: Reference, first: int, last: int, count: int, *, arena: bool = True) -> str:
    module = tinyir.parse_ir(ref.text)
    run = compute_ops(module)[first : last + 1]
    inner, _ = split_outputs(module, run)
    # What a planner sees before it builds the loop (line buffers still whole).
    planned = summary(tiny.schedule_rows(run, set(inner), count))
    to_row_loop(module, first, last, count)
    text = tinyir.print_ir(module)
    assert f"tiny.tile_loop %t < {count} rows {{" in text
    parsed = tinyir.parse_ir(text)  # verifies
    assert tinyir.print_ir(parsed) == text
    assert summary(check_schedule(loop_of(parsed))) == planned
    same_outputs(parsed, ref)
    assert module_macs(parsed) == ref.macs
    if arena:
        allocated = tinyir.run_pipeline(tinyir.parse_ir(text), "arena-alloc,check-arena")
        same_outputs(allocated, ref)
        assert module_macs(allocated) == ref.macs
    return text


def not_dividing(height: int) -> int:
    """A tile count from 3 on that does not divide `height`."""
    return next((c for c in range(3, height) if height % c), height + 2)


def counts_for(height: int) -> list[int]:
    """1, 2, 3, the height, one past it, and one not dividing it."""
    return sorted({1, 2, 3, height, height + 1, not_dividing(height)})


# ---------------------------------------------------------------------------
# Hand-picked chains
# ---------------------------------------------------------------------------

CHAINS = {
    "conv3x3_s1_same": lambda n, x: n.conv2d(n.conv2d(x, 5, 3, activation="RELU"), 3, 3),
    "conv3x3_s1_valid": lambda n, x: n.conv2d(n.conv2d(x, 5, 3, padding="VALID"), 3, 3, padding="VALID"),
    "conv3x3_s2_same": lambda n, x: n.conv2d(n.conv2d(x, 5, 3, stride=2, activation="RELU6"), 3, 3, stride=2),
    "conv3x3_s2_valid": lambda n, x: n.conv2d(n.conv2d(x, 5, 3, padding="VALID"), 3, 3, stride=2, padding="VALID"),
    "conv3x3_dilation2": lambda n, x: n.conv2d(n.conv2d(x, 4, 1), 3, 3, dilation=2),
    "depthwise_s1": lambda n, x: n.conv2d(n.depthwise_conv2d(n.conv2d(x, 8, 1), 3), 4, 1),
    "depthwise_s2_valid": lambda n, x: n.depthwise_conv2d(n.depthwise_conv2d(x, 3, stride=2, padding="VALID"), 3),
    "depthwise_s2_same_mult2": lambda n, x: n.depthwise_conv2d(n.conv2d(x, 3, 1), 3, stride=2, multiplier=2),
    "conv1x1_chain": lambda n, x: n.conv2d(n.conv2d(n.conv2d(x, 8, 1, activation="RELU"), 6, 1), 3, 1),
    "avg_pool_same_s2": lambda n, x: n.avg_pool(n.conv2d(x, 4, 3), 3, stride=2, padding="SAME"),
    "max_pool_valid": lambda n, x: n.conv2d(n.max_pool(n.conv2d(x, 4, 1), 2), 3, 3),
    "pool_s1_then_conv": lambda n, x: n.conv2d(n.avg_pool(x, 3, stride=1, padding="SAME"), 4, 3, stride=2),
    "inverted_residual": lambda n, x: inverted_residual(n, x, 4, expand=3),
    "residual_two_readers": lambda n, x: n.add(n.conv2d(x, 4, 1), n.conv2d(n.conv2d(x, 4, 1), 4, 3)),
    "two_outputs_two_heights": lambda n, x: (lambda e: [n.depthwise_conv2d(e, 3), n.conv2d(e, 3, 3, stride=2)])(
        n.conv2d(x, 4, 1)
    ),
    "elementwise": lambda n, x: n.mul(
        n.logistic(n.hard_swish(n.quantize(n.relu(n.conv2d(x, 4, 3), "RELU6"))), name="gate"),
        n.constant("gain", n.rng.uniform(0.2, 2, (1, 1, 1, 4))),
    ),
}


@pytest.fixture(scope="module", params=sorted(CHAINS))
def named_chain(request) -> tuple[str, Reference]:
    return request.param, reference(chain(CHAINS[request.param]))


def test_whole_chain_in_one_loop(named_chain):
    """Every op of the chain in one loop, for each tile count."""
    name, ref = named_chain
    module = tinyir.parse_ir(ref.text)
    n = len(compute_ops(module))
    assert (0, n - 1) in runs(module), f"{name}: the whole chain should run by rows"
    height = tiny.buffer_type(compute_ops(module)[-1].out).shape[1]
    for count in counts_for(height):
        check_row_loop(ref, 0, n - 1, count, arena=count in (2, height, not_dividing(height)))


def test_every_run_of_a_chain():
    """Every run of a longer chain (whole input, whole output, whole
    intermediates before and after the loop), in 2 or 3 tiles."""
    ref = reference(chain(lambda n, x: n.avg_pool(inverted_residual(n, n.conv2d(x, 4, 3, stride=2), 4, expand=2), 2),
                          shape=(1, 14, 5, 3)))
    found = runs(tinyir.parse_ir(ref.text))
    assert len(found) >= 10
    for i, (first, last) in enumerate(found):
        check_row_loop(ref, first, last, 2 + i % 2, arena=i % 2 == 1)


def test_residual_add_reads_the_whole_input():
    """x -> expand -> depthwise -> project -> add(x, .): %input is read whole
    by the first conv and the add, at different rows of each tile."""
    text = chain(lambda n, x: inverted_residual(n, x, 4, expand=4), shape=(1, 9, 5, 4))
    module = tinyir.parse_ir(text)
    assert [op.name for op in compute_ops(module)][-1] == "tiny.add"
    add = compute_ops(module)[-1]
    assert main_function(module).args[0] in add.ins
    ref = reference(text)
    for count in counts_for(9):
        check_row_loop(ref, 0, 3, count)


# ---------------------------------------------------------------------------
# Random chains
# ---------------------------------------------------------------------------


def _spatial(x) -> int:
    return min(x.shape[1], x.shape[2])


def _padding(rng, x, effective: int) -> str:
    return "VALID" if _spatial(x) >= effective + 1 and rng.random() < 0.4 else "SAME"


def _conv(net, rng, x):
    kernel = int(rng.choice([1, 3, 3, 5])) if _spatial(x) >= 5 else int(rng.choice([1, 3]))
    stride = int(rng.choice([1, 2])) if x.shape[1] >= 4 else 1
    dilation = 2 if kernel == 3 and stride == 1 and _spatial(x) >= 6 and rng.random() < 0.3 else 1
    padding = _padding(rng, x, (kernel - 1) * dilation + 1)
    return net.conv2d(x, int(rng.integers(2, 9)), kernel, stride=stride, dilation=dilation, padding=padding,
                      activation=str(rng.choice(["NONE", "RELU", "RELU6"])), per_channel=bool(rng.random() < 0.8))


def _depthwise(net, rng, x):
    kernel = int(rng.choice([3, 5])) if _spatial(x) >= 5 else 3
    stride = int(rng.choice([1, 2])) if x.shape[1] >= 4 else 1
    return net.depthwise_conv2d(x, kernel, stride=stride, multiplier=int(rng.choice([1, 1, 2])),
                                padding=_padding(rng, x, kernel), activation=str(rng.choice(["NONE", "RELU6"])))


def _pool(net, rng, x):
    size = int(rng.choice([2, 3]))
    pool = net.max_pool if rng.random() < 0.5 else net.avg_pool
    return pool(x, size, stride=int(rng.choice([1, 2])), padding=_padding(rng, x, size))


def _residual(net, rng, x):
    """x read by a 3x3 conv (with a halo) and by the add (without)."""
    h = net.conv2d(x, x.shape[-1], 3, activation="RELU")
    return net.add(x, h, activation=str(rng.choice(["NONE", "RELU"])))


def _elementwise(net, rng, x):
    kind = int(rng.integers(6))
    if kind == 0:
        return net.hard_swish(x)
    if kind == 1:
        return net.logistic(x)
    if kind == 2:
        return net.quantize(x)
    if kind == 3:
        return net.relu(x, str(rng.choice(["RELU", "RELU6"])))
    if kind == 4:
        return net.mul(x, net.constant("gain", rng.uniform(0.2, 2, (1, 1, 1, x.shape[-1]))))
    return net.add(x, x)


_LAYERS = [_conv, _conv, _depthwise, _pool, _residual, _elementwise]


def random_chain(seed: int) -> str:
    """A random int8 chain of 2 to 5 layers that all run by rows; for some
    seeds a second output, a 1x1 or 3x3 conv branching off the chain."""
    rng = np.random.default_rng([seed, 0x0305])
    shape = (1, int(rng.integers(5, 17)), int(rng.integers(3, 8)), int(rng.choice([1, 2, 3, 4])))
    layers = int(rng.integers(2, 6))
    branch = int(rng.integers(layers)) if rng.random() < 0.3 else None

    def build(net, x):
        outputs = []
        for i in range(layers):
            x = _LAYERS[int(rng.integers(len(_LAYERS)))](net, rng, x) if _spatial(x) >= 3 else _elementwise(net, rng, x)
            if i == branch:
                outputs.append(net.conv2d(x, 3, int(rng.choice([1, 3])), stride=int(rng.choice([1, 2]))))
        return [x, *outputs]

    return chain(build, shape, seed=seed)


@pytest.mark.parametrize("seed", range(16))
def test_random_chain(seed):
    """The whole chain in one loop, in 1, 2, H tiles and a count not dividing
    H, and one random run in a random tile count."""
    ref = reference(random_chain(seed))
    module = tinyir.parse_ir(ref.text)
    ops = compute_ops(module)
    found = runs(module)
    assert (0, len(ops) - 1) in found
    height = tiny.buffer_type(ops[-1].out).shape[1]
    odd = not_dividing(height)
    for count in sorted({1, 2, height, odd}):
        check_row_loop(ref, 0, len(ops) - 1, count, arena=count == odd)
    rng = np.random.default_rng(seed)
    first, last = found[int(rng.integers(len(found)))]
    check_row_loop(ref, first, last, int(rng.integers(1, 12)))


# ---------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------


def test_row_loop_lowers_the_live_peak():
    """expand x6 on 16x8: the expanded tensor whole is 3 KB; as a line buffer
    it is a few rows."""
    text = chain(lambda n, x: inverted_residual(n, x, 4, expand=6), shape=(1, 16, 8, 4))
    ref = reference(text)
    whole = analyze(tinyir.parse_ir(text)).peak
    peaks = {}
    for count in (2, 4, 16):
        rows = tinyir.parse_ir(check_row_loop(ref, 0, 3, count))
        peaks[count] = analyze(rows).peak
        assert peaks[count] < whole
    assert peaks[16] < peaks[4] < peaks[2]
    # One tile: the line buffers hold every row, and the loop's output is
    # live over the whole loop: no saving.
    assert analyze(tinyir.parse_ir(check_row_loop(ref, 0, 3, 1, arena=False))).peak >= whole


def test_retained_line_buffers_live_across_the_loop():
    """A line buffer that keeps rows for the next tile (the depthwise conv's
    input) lives over the whole loop; one read only in its own tile (the
    depthwise output, read by a 1x1 conv) does not."""
    text = chain(lambda n, x: n.conv2d(n.depthwise_conv2d(n.conv2d(x, 8, 1), 3), 4, 1), shape=(1, 8, 4, 4))
    module = tinyir.parse_ir(text)
    loop = to_row_loop(module, 0, 2, 4)
    schedule = tiny.row_schedule(loop)
    lines = {b.name_hint: b for b in schedule.rows}
    assert set(lines) == {"conv", "depthwise"}
    assert schedule.retains == {lines["conv"]}
    assert schedule.rows[lines["conv"]] == 4 and schedule.rows[lines["depthwise"]] == 2
    live = analyze(module)
    steps = len(live.steps)
    assert (live.buffer_of(lines["conv"]).first, live.buffer_of(lines["conv"]).last) == (0, steps - 1)
    assert (live.buffer_of(lines["depthwise"]).first, live.buffer_of(lines["depthwise"]).last) == (1, 2)


def test_kept_schedule_follows_the_body():
    """A row loop keeps its schedule until its body or tile count change;
    within tiny.bodies_unchanged (its verifier, scratch sizing) it checks the
    body once and trusts it after, and outside again follows every change."""
    text = chain(lambda n, x: n.conv2d(n.depthwise_conv2d(n.conv2d(x, 8, 1), 3), 4, 1), shape=(1, 8, 4, 4))
    module = tinyir.parse_ir(text)
    loop = to_row_loop(module, 0, 2, 4)
    four = tiny.row_schedule(loop)
    assert tiny.row_schedule(loop) is four  # kept
    with tiny.bodies_unchanged(loop):
        assert tiny.row_schedule(loop) is four
        loop.properties["count"] = IntegerAttr(8, i64)
        assert tiny.row_schedule(loop) is four  # trusted: nothing in the scope may change the body
    eight = tiny.row_schedule(loop)
    assert eight is not four and eight.count == 8
    with tiny.bodies_unchanged(loop):
        loop.properties["count"] = IntegerAttr(4, i64)  # changed before the first question: checked then
        assert tiny.row_schedule(loop).count == 4


def test_inplace_depthwise_leaves_row_loops_alone():
    ref = reference(chain(CHAINS["depthwise_s1"]))
    text = check_row_loop(ref, 0, 2, 3)
    allocated = tinyir.run_pipeline(tinyir.parse_ir(text), "arena-alloc{inplace-depthwise=true},check-arena")
    same_outputs(allocated, ref)


# ---------------------------------------------------------------------------
# The verifier
# ---------------------------------------------------------------------------

_WIN = "stride = array<i64: {s}, {s}>, dilation = array<i64: 1, 1>, pad = array<i64: {p}, {p}, {p}, {p}>, clamp = array<i64: -128, 127>"


def win(stride: int = 1, pad: int = 0) -> str:
    return "{" + _WIN.format(s=stride, p=pad) + "}"


def invalid(body: str, *, y: str = "1x6x4x4", before: str = "") -> str:
    """A function around a row loop: %x 1x6x4x4, weights %w (1x1, 4 -> 4),
    %d (depthwise 3x3 of 4), %y outside the loop."""
    w = "01" * 16
    d = "01" * 36
    return f"""
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<{y}xi8, 0.5:-1> {{
  %w = tiny.const dense<"0x{w}"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %d = tiny.const dense<"0x{d}"> : !tiny.buffer<1x3x3x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<{y}xi8, 0.5:-1>
  {before}
  tiny.tile_loop %t < 3 rows {{
{body}
  }}
  func.return %y : !tiny.buffer<{y}xi8, 0.5:-1>
}}
"""


VALID_BODY = f"""
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {win()}
    tiny.depthwise_conv_2d %e, %d -> %y {win(pad=1)}
"""


def test_valid_loop_text_round_trip():
    text = tinyir.print_ir(tinyir.parse_ir(invalid(VALID_BODY)))
    assert "    tiny.tile_loop %t < 3 rows {\n      %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>\n" in text
    assert tinyir.print_ir(tinyir.parse_ir(text)) == text
    loop = loop_of(tinyir.parse_ir(text))
    assert loop.by_rows and loop.tiles == 3
    schedule = check_schedule(loop)
    (e,) = schedule.rows
    assert schedule.heights[e] == 6 and schedule.rows[e] == 4 and schedule.retains == {e}
    # Without `rows` the loop is a channel loop: %e is then a whole 4-row tensor.
    with pytest.raises(TinyIRError, match=r"tiny.conv_2d: output \[1, 4, 4, 4\] does not match input \[1, 6, 4, 4\]"):
        tinyir.parse_ir(text.replace("< 3 rows {", "< 3 {"))


def test_tensor_types_in_a_row_loop():
    """In the loop an op sees whole tensors: %e holds 4 rows of a 6-row tensor."""
    loop = loop_of(tinyir.parse_ir(invalid(VALID_BODY)))
    conv, depthwise = [op for op in loop.body.block.ops if isinstance(op, tiny.ComputeOp)]
    assert conv.out_type.shape == (1, 6, 4, 4) and depthwise.in_type(0).shape == (1, 6, 4, 4)
    assert tiny.buffer_type(conv.out).shape == (1, 4, 4, 4)
    assert loop.tensor_type(conv.out).shape == (1, 6, 4, 4)
    assert loop.tensor_type(conv.ins[0]).shape == (1, 6, 4, 4)


INVALID = {
    "softmax": (
        """
    %e = tiny.alloc : !tiny.buffer<1x1x4x4xi8, 0.00390625:-128>
    tiny.softmax %x -> %e {beta = 1.0 : f32}
    tiny.conv_2d %e, %w -> %y {win}
""",
        "tiny.softmax cannot run by rows",
    ),
    "mean": (
        """
    %e = tiny.alloc : !tiny.buffer<1x1x1x4xi8, 0.5:-1>
    tiny.mean %x -> %e {axes = array<i64: 1, 2>}
    tiny.add %x, %e -> %y {clamp = array<i64: -128, 127>}
""",
        "tiny.mean cannot run by rows",
    ),
    "tile_operand": (
        """
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e tile %t {win}
    tiny.depthwise_conv_2d %e, %d -> %y {winpad}
""",
        "tiny.tile_loop: tiny.conv_2d takes no 'tile' or 'acc' in a row loop",
    ),
    "too_small": (
        """
    %e = tiny.alloc : !tiny.buffer<1x3x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {win}
    tiny.depthwise_conv_2d %e, %d -> %y {winpad}
""",
        "line buffer %e holds 3 rows, the loop needs 4",
    ),
    "read_before_written": (
        """
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.depthwise_conv_2d %e, %d -> %y {winpad}
    tiny.conv_2d %x, %w -> %e {win}
""",
        "tiny.depthwise_conv_2d reads line buffer %e before any op wrote it",
    ),
    "writes_nothing_outside": (
        """
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {win}
    %f = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.depthwise_conv_2d %e, %d -> %f {winpad}
""",
        "writes no buffer outside the loop",
    ),
    "reads_a_whole_output": (
        """
    tiny.conv_2d %x, %w -> %y {win}
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.depthwise_conv_2d %y, %d -> %e {winpad}
    tiny.conv_2d %e, %w -> %z {win}
""",
        "tiny.depthwise_conv_2d reads %y, which the loop writes whole: use a line buffer",
    ),
    "view": (
        """
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {win}
    %v = tiny.reshape %e : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.depthwise_conv_2d %v, %d -> %y {winpad}
""",
        "tiny.reshape in a row loop: take views outside it",
    ),
    "wrong_height": (
        """
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {win}
    tiny.depthwise_conv_2d %e, %d -> %y {win}
""",
        "tiny.depthwise_conv_2d makes 4 rows, its output %y has 6",
    ),
    "different_heights": (
        """
    %e = tiny.alloc : !tiny.buffer<1x2x4x4xi8, 0.5:-1>
    tiny.depthwise_conv_2d %x, %d -> %e {win}
    tiny.add %e, %x -> %y {clamp = array<i64: -128, 127>}
""",
        r"tiny.add reads inputs of different heights \[4, 6\]",
    ),
    "written_twice": (
        """
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {win}
    tiny.conv_2d %x, %w -> %e {win}
    tiny.depthwise_conv_2d %e, %d -> %y {winpad}
""",
        "line buffer %e is written twice",
    ),
    "unread_line_buffer": (
        """
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {win}
    tiny.conv_2d %x, %w -> %y {win}
""",
        "nothing in the loop reads line buffer %e",
    ),
    "const_varies_along_rows": (
        """
    %g = tiny.const dense<"0x{g}"> : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
    tiny.add %x, %g -> %y {clamp = array<i64: -128, 127>}
""",
        "tiny.add reads %g whole, but it varies along rows",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_row_loop(case):
    body, message = INVALID[case]
    body = body.replace("{winpad}", win(pad=1)).replace("{win}", win()).replace("{g}", "01" * 96)
    before = ""
    if "%z" in body:
        before = "%z = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>"
    if "%g" in body:  # the constant goes before the loop
        const, body = body.strip().split("\n", 1)
        before = const.strip()
    with pytest.raises(TinyIRError, match=message):
        tinyir.parse_ir(invalid(body, before=before))


def test_line_buffer_one_row_short_is_refused():
    """Every line buffer of a generated loop is exactly as small as it can be."""
    ref = reference(chain(CHAINS["inverted_residual"]))
    text = check_row_loop(ref, 0, 3, 4, arena=False)
    for b, rows in tiny.row_schedule(loop_of(tinyir.parse_ir(text))).rows.items():
        t = tiny.buffer_type(b)
        line = f"!tiny.buffer<1x{rows}x{t.shape[2]}x{t.shape[3]}xi8"
        short = f"!tiny.buffer<1x{rows - 1}x{t.shape[2]}x{t.shape[3]}xi8"
        decl = f"%{b.name_hint} = tiny.alloc : {line}"
        assert text.count(decl) == 1
        with pytest.raises(TinyIRError, match=f"line buffer %{b.name_hint} holds {rows - 1} rows, the loop needs {rows}"):
            tinyir.parse_ir(text.replace(decl, f"%{b.name_hint} = tiny.alloc : {short}"))


def test_needs_a_tile():
    with pytest.raises(TinyIRError, match="needs at least one tile, got 0"):
        tinyir.parse_ir(invalid(VALID_BODY).replace("< 3 rows", "< 0 rows"))


# ---------------------------------------------------------------------------
# Edge cases: rows that read padding only, malformed ops in a row loop
# ---------------------------------------------------------------------------


def test_rows_reading_only_padding():
    """A 3x3 depthwise conv with 4 rows of padding above and below (what
    --fuse makes of an explicit PAD of 4 before a VALID conv): output rows 0
    and 11 of 12 read padding only."""
    w, d = "01" * 16, "02" * 36
    text = f"""
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<1x12x4x4xi8, 0.5:-1> {{
  %w = tiny.const dense<"0x{w}"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %d = tiny.const dense<"0x{d}"> : !tiny.buffer<1x3x3x4xi8, 0.1:0>
  %e = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  tiny.conv_2d %x, %w -> %e {win()}
  %y = tiny.alloc : !tiny.buffer<1x12x4x4xi8, 0.5:-1>
  tiny.depthwise_conv_2d %e, %d -> %y {{stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 4, 4, 1, 1>, clamp = array<i64: -128, 127>}}
  func.return %y : !tiny.buffer<1x12x4x4xi8, 0.5:-1>
}}
"""
    ref = reference(text)
    for count in (3, 12):
        check_row_loop(ref, 0, 1, count)


@pytest.mark.parametrize("props, message", [
    ("stride = array<i64: 0, 0>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>", "'stride' values must be >= 1"),
    ("stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0>", "'pad' needs 4 values"),
])
def test_malformed_op_in_a_row_loop_is_a_one_line_error(props, message):
    body = f"tiny.conv_2d %x, %w -> %y {{{props}, clamp = array<i64: -128, 127>}}"
    with pytest.raises(TinyIRError, match=message):
        tinyir.parse_ir(invalid(body))
