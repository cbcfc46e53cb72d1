"""`--reorder` and the search behind it (tinyir.passes.reorder.search).

What must hold: the result is a valid schedule (the executor's outputs are
bit-identical before and after), its peak is never above the incoming order's,
the scheduling model's peaks are those `tinyir.analysis.liveness` measures, and the
peak is the least over all topological orders (checked by brute force over
every order on small graphs, and by a plain dynamic program on larger ones).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest
from conftest import baselines, model_params
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinyir
from tinyir.analysis import liveness
from tinyir.passes.reorder import place_ops, reorder_block, scheduling_problem
from tinyir.passes.reorder.search import Problem, exact_search, minimize_peak
from tinyir.testing.models import random_cnn_case
from tinyir.testing.quantnet import QuantNet

# ---------------------------------------------------------------------------
# References, written without tinyir.passes.reorder.search
# ---------------------------------------------------------------------------


def conflicts(reads, writes, i: int, j: int) -> bool:
    """Ops i and j touch a common buffer and one of them writes it."""
    ti, tj = reads[i] | writes[i], reads[j] | writes[j]
    return bool(writes[i] & tj or writes[j] & ti)


def reference_optimum(p: Problem) -> int:
    """The least peak over all topological orders: a dynamic program over the
    sets of executed ops, with the live bytes of a step counted from the
    definition of liveness (first touch to last touch; inputs from the start,
    outputs to the end)."""
    n = p.n
    ops = frozenset(range(n))
    touched = [p.reads[i] | p.writes[i] for i in range(n)]

    users = [{i for i in range(n) if b in touched[i]} for b in range(len(p.sizes))]

    def step_bytes(done: frozenset, op: int) -> int:
        after = done | {op}
        live = set(touched[op])
        for b, users_b in enumerate(users):
            started = b in p.inputs or users_b & done
            needed = b in p.outputs or users_b - after
            if started and needed:
                live.add(b)
            if not users_b and ((not done and b in p.inputs) or (after == ops and b in p.outputs)):
                live.add(b)
        return sum(p.sizes[b] for b in live)

    @functools.cache
    def best(done: frozenset) -> int:
        if done == ops:
            return 0
        ready = [o for o in ops - done
                 if all(k in done for k in range(o) if conflicts(p.reads, p.writes, k, o))]
        return min(max(step_bytes(done, o), best(done | {o})) for o in ready)

    return best(frozenset())


@st.composite
def problems(draw, max_ops: int = 8) -> Problem:
    """Random ops over buffers: new outputs, overwritten buffers (write after
    read), scratch buffers, several inputs and outputs, unused inputs."""
    sizes, reads, writes = [], [], []
    inputs = set(range(draw(st.integers(1, 3))))
    sizes += [draw(st.integers(1, 100)) for _ in inputs]
    readable = sorted(inputs)
    for _ in range(draw(st.integers(1, max_ops))):
        read = set(draw(st.lists(st.sampled_from(readable), min_size=1, max_size=3)))
        if draw(st.integers(0, 6)) == 0:
            written = {draw(st.integers(0, len(sizes) - 1))}  # overwrite a buffer
        else:
            written = {len(sizes)}
            sizes.append(draw(st.integers(1, 100)))
        readable += sorted(written)
        if draw(st.integers(0, 6)) == 0:
            written.add(len(sizes))  # scratch
            sizes.append(draw(st.integers(1, 30)))
        reads.append(frozenset(read - written))
        writes.append(frozenset(written))
    outputs = set(draw(st.lists(st.integers(0, len(sizes) - 1), min_size=1, max_size=2)))
    return Problem(sizes, reads, writes, frozenset(inputs), frozenset(outputs))


# ---------------------------------------------------------------------------
# The search, on abstract graphs
# ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(problems())
def test_search_finds_the_least_peak(p):
    best = reference_optimum(p)
    schedule = minimize_peak(p)
    assert p.is_order(schedule.order)
    assert schedule.exact
    assert schedule.peak == p.peak(schedule.order) == best
    assert schedule.peak <= schedule.given_peak == p.peak(range(p.n))
    # The search alone (no heuristic upper bound), forced moves and all:
    found = exact_search(p)
    assert found.finished and p.is_order(found.order) and p.peak(found.order) == best


@settings(max_examples=60, deadline=None)
@given(problems(max_ops=12))
def test_search_on_larger_graphs(p):
    assert minimize_peak(p).peak == reference_optimum(p)


def test_model_matches_the_definition_of_liveness_on_every_order():
    p = Problem([90, 32, 24, 46, 52, 39, 7],
                [frozenset({0}), frozenset({1}), frozenset({3}), frozenset({1, 2})],
                [frozenset({2}), frozenset({3}), frozenset({4, 6}), frozenset({5})],
                frozenset({0, 1}), frozenset({1, 5}))
    orders = [o for o in itertools.permutations(range(p.n)) if p.is_order(o)]
    assert len(orders) == 6
    for order in orders:  # each buffer live from its first to its last step
        first, last = {0: 0, 1: 0}, {0: 0, 1: 0}
        for step, op in enumerate(order):
            for b in p.reads[op] | p.writes[op]:
                first.setdefault(b, step)
                last[b] = step
        last[1] = last[5] = 3
        live = [sum(p.sizes[b] for b in first if first[b] <= s <= last[b]) for s in range(4)]
        assert p.live_bytes(order) == live


def test_a_chain_ends_its_forced_move_in_a_valley():
    # op 1 frees input 1 (100 bytes) for 62, then op 2 turns those into an
    # output of 95: op 0 must run between them (1, 0, 2: peak 187), not after
    # the chain (1, 2, 0: peak 202). The chain 1 -> 2 ends below where it
    # started, but not at its lowest point.
    p = Problem([25, 100, 82, 62, 95],
                [frozenset({0}), frozenset({1}), frozenset({3})],
                [frozenset({2}), frozenset({3}), frozenset({4})],
                frozenset({0, 1}), frozenset({0, 4}))
    assert p.live_bytes([1, 0, 2]) == [187, 169, 182]
    assert p.live_bytes([1, 2, 0]) == [187, 182, 202]
    found = exact_search(p)
    assert found.order == [1, 0, 2]


def test_single_successor_chains_are_not_always_run_whole():
    # So chains cannot be collapsed into one node blindly: in the optimal
    # order above, op 0 runs inside the chain 1 -> 2.
    p = Problem([25, 100, 82, 62, 95],
                [frozenset({0}), frozenset({1}), frozenset({3})],
                [frozenset({2}), frozenset({3}), frozenset({4})],
                frozenset({0, 1}), frozenset({0, 4}))
    assert p.succs[1] == 1 << 2 and p.preds[2] == 1 << 1
    contiguous = min(p.peak(o) for o in ([0, 1, 2], [1, 2, 0]))
    assert minimize_peak(p).peak == 187 < contiguous


def fork_join(branches: int, length: int, seed: int) -> Problem:
    """A shared input, `branches` chains that climb and fall, one join."""
    rng = np.random.default_rng(seed)
    sizes, reads, writes, ends = [int(rng.integers(50, 200))], [], [], []
    for _ in range(branches):
        previous = 0
        for i in range(length):
            small = int(rng.integers(1, 40)) if rng.random() < 0.5 else int(rng.integers(100, 400))
            sizes.append(int(rng.integers(1, 20)) if i == length - 1 else small)
            reads.append(frozenset({previous}))
            writes.append(frozenset({len(sizes) - 1}))
            previous = len(sizes) - 1
        ends.append(previous)
    sizes.append(sum(sizes[e] for e in ends))
    reads.append(frozenset(ends))
    writes.append(frozenset({len(sizes) - 1}))
    return Problem(sizes, reads, writes, frozenset({0}), frozenset({len(sizes) - 1}))


@pytest.mark.parametrize("seed", [0, 3, 5])
def test_fork_join_is_solved_exactly(seed):
    p = fork_join(5, 4, seed)
    schedule = minimize_peak(p)
    assert schedule.exact and schedule.peak < schedule.given_peak
    assert schedule.peak == reference_optimum(p)


def test_the_budget_bounds_the_search():
    # 20 branches of 6: 7^20 sets. The search stops at the budget and a beam
    # search finishes the job; the result is a valid order, never worse.
    p = fork_join(20, 6, seed=1)
    schedule = minimize_peak(p, max_states=2000)
    assert not schedule.exact
    assert schedule.states <= 2001
    assert p.is_order(schedule.order)
    assert schedule.peak == p.peak(schedule.order) < schedule.given_peak
    assert schedule.peak >= schedule.lower_bound
    assert not exact_search(p, max_states=2000).finished


def test_the_given_order_is_kept_unless_strictly_better():
    # Two independent ops of equal size: both orders peak the same.
    p = Problem([4, 8, 8], [frozenset({0}), frozenset({0})], [frozenset({1}), frozenset({2})],
                frozenset({0}), frozenset({1, 2}))
    assert minimize_peak(p, given=[1, 0]).order == [1, 0]
    assert minimize_peak(p).order == [0, 1]
    with pytest.raises(ValueError):
        minimize_peak(Problem([1, 1], [frozenset(), frozenset({1})], [frozenset({1}), frozenset()]), given=[1, 0])


def test_empty_and_single_op_problems():
    assert minimize_peak(Problem([], [], [])).order == []
    one = Problem([3, 5], [frozenset({0})], [frozenset({1})], frozenset({0}), frozenset({1}))
    schedule = minimize_peak(one)
    assert (schedule.order, schedule.peak, schedule.exact) == ([0], 8, True)


# ---------------------------------------------------------------------------
# The pass on tiny IR
# ---------------------------------------------------------------------------


def body(module):
    return liveness.main_function(module).body.block


def check_reorder(module, seed: int = 0, max_states: int = 100_000):
    """Reorder `module` in place and check everything that must hold; returns
    (peak before, peak after, schedule)."""
    block = body(module)
    original, ops = module.clone(), list(block.ops)
    before = liveness.analyze_block(block).peak
    steps, problem = scheduling_problem(block)
    assert problem.peak(range(problem.n)) == before
    schedule = reorder_block(block, max_states)
    after = liveness.analyze_block(block).peak
    assert after == schedule.peak <= before == schedule.given_peak
    if list(block.ops) == ops:
        return before, after, schedule
    tinyir.parse_ir(tinyir.print_ir(module))  # verifies, and values are defined before use
    inputs = tinyir.random_inputs(module, seed=seed)
    outputs, expected = tinyir.execute(module, inputs), tinyir.execute(original, inputs)
    assert len(outputs) == len(expected)
    for got, want in zip(outputs, expected):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    return before, after, schedule


def brute_force_peak(module) -> int:
    """The least liveness peak over every order of the compute ops that keeps
    each pair of ops touching a common buffer (one writing it) in order."""
    block = body(module.clone())
    steps = liveness.schedule(block)
    touched = [{liveness.buffer_root(v) for v in op.operands} - {None} for op in steps]
    written = [{liveness.buffer_root(v) for v in (op.out, *([op.scratch] if op.scratch is not None else []))} for op in steps]
    reads = [t - w for t, w in zip(touched, written)]
    best = None
    for perm in itertools.permutations(range(len(steps))):
        position = {op: i for i, op in enumerate(perm)}
        if any(position[i] > position[j] for i in range(len(steps)) for j in range(i + 1, len(steps))
               if conflicts(reads, written, i, j)):
            continue
        place_ops(block, [steps[i] for i in perm])
        peak = liveness.analyze_block(block).peak
        best = peak if best is None else min(best, peak)
    return best


QUANT = "0.05:0"


def buffer_type(shape) -> str:
    return f"!tiny.buffer<{'x'.join(map(str, shape))}xi8, {QUANT}>"


@st.composite
def random_ir(draw, max_ops: int = 7) -> str:
    """A random DAG of fully connected, add and concat ops on 1xN int8
    buffers, with views (reshape) on inputs and outputs, overwritten buffers
    (write after read and after write), scratch buffers, one to three inputs
    and one or two outputs."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = (2, 4, 8, 16, 32, 64)
    size: dict[str, int] = {}
    args = []
    for i in range(draw(st.integers(1, 3))):
        name = f"in{i}"
        size[name] = draw(st.sampled_from(sizes))
        args.append(f"%{name}: {buffer_type((1, size[name]))}")
    live = list(size)  # buffers whose value may still be read
    lines = []
    fresh = itertools.count()

    def output(n: int, reading: set[str]) -> str:
        """A fresh buffer of n bytes, or an overwritten one nobody reads here."""
        reusable = [b for b in size if size[b] == n and b not in reading]
        if reusable and draw(st.integers(0, 3)) == 0:
            name = draw(st.sampled_from(reusable))
            if name in live:
                live.remove(name)
        else:
            name = f"t{next(fresh)}"
            size[name] = n
            lines.append(f"%{name} = tiny.alloc : {buffer_type((1, n))}")
        return name

    for _ in range(draw(st.integers(1, max_ops))):
        kind = draw(st.sampled_from(["fc", "fc", "add", "concat"]))
        pairs = [(a, b) for a in live for b in live if a < b and size[a] == size[b]]
        if kind == "add" and pairs:
            a, b = draw(st.sampled_from(pairs))
            y = output(size[a], {a, b})
            lines.append(f"tiny.add %{a}, %{b} -> %{y} {{clamp = array<i64: -128, 127>}}")
        elif kind == "concat" and len(live) >= 2:
            xs = draw(st.lists(st.sampled_from(live), min_size=2, max_size=3, unique=True))
            y = output(sum(size[x] for x in xs), set(xs))
            lines.append(f"tiny.concat {', '.join('%' + x for x in xs)} -> %{y} {{axis = 1 : i64}}")
        else:
            x = draw(st.sampled_from(live))
            n = draw(st.sampled_from(sizes))
            k = next(fresh)
            weights = rng.integers(-127, 128, size=n * size[x], dtype=np.int8).tobytes().hex().upper()
            lines.append(f'%w{k} = tiny.const dense<"0x{weights}"> : !tiny.buffer<{n}x{size[x]}xi8, 0.02:0>')
            source = f"%{x}"
            if draw(st.booleans()):
                lines.append(f"%v{k} = tiny.reshape %{x} : {buffer_type((1, 1, size[x]))}")
                source = f"%v{k}"
            y = output(n, {x})
            target = f"%{y}"
            if draw(st.booleans()):
                lines.append(f"%o{k} = tiny.reshape %{y} : {buffer_type((1, 1, n))}")
                target = f"%o{k}"
            scratch = ""
            if draw(st.integers(0, 4)) == 0:
                lines.append(f"%s{k} = tiny.alloc : !tiny.buffer<{draw(st.sampled_from(sizes))}xi8>")
                scratch = f" scratch %s{k}"
            lines.append(f"tiny.fully_connected {source}, %w{k} -> {target}{scratch} {{clamp = array<i64: -128, 127>}}")
        live.append(y)
    results = draw(st.lists(st.sampled_from(live), min_size=1, max_size=2, unique=True))
    types = ", ".join(buffer_type((1, size[r])) for r in results)
    body_text = "\n".join(f"  {line}" for line in lines)
    return (f"func.func @main({', '.join(args)}) -> ({types}) {{\n{body_text}\n"
            f"  func.return {', '.join('%' + r for r in results)} : {types}\n}}\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_ir())
def test_random_ir_is_reordered_validly_and_optimally(text):
    module = tinyir.parse_ir(text)
    optimum = brute_force_peak(module) if len(liveness.schedule(body(module))) <= 6 else None
    _, after, schedule = check_reorder(module)
    assert schedule.exact
    if optimum is not None:
        assert after == optimum


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_ir(max_ops=14))
def test_random_ir_larger(text):
    module = tinyir.parse_ir(text)
    _, problem = scheduling_problem(body(module))
    _, after, schedule = check_reorder(module)
    assert after == reference_optimum(problem)


def test_pass_moves_a_branch():
    module = tinyir.parse_ir(BRANCHES)
    before, after, schedule = check_reorder(module)
    assert (before, after, schedule.exact) == (84, 70, True)
    names = [op.out.name_hint for op in liveness.schedule(body(module))]
    assert names == ["a1", "a2", "b", "y"]
    # Idempotent, and from the pipeline too:
    text = tinyir.print_ir(module)
    assert tinyir.print_ir(tinyir.run_pipeline(tinyir.parse_ir(text), "reorder{max-states=10}")) == text


BRANCHES = """
func.func @main(%x: !tiny.buffer<1x4xi8, 0.05:0>) -> !tiny.buffer<1x18xi8, 0.05:0> {
  %wb = tiny.const dense<"0x""" + "01" * 64 + """"> : !tiny.buffer<16x4xi8, 0.02:0>
  %b = tiny.alloc : !tiny.buffer<1x16xi8, 0.05:0>
  tiny.fully_connected %x, %wb -> %b {clamp = array<i64: -128, 127>}
  %wa1 = tiny.const dense<"0x""" + "02" * 256 + """"> : !tiny.buffer<64x4xi8, 0.02:0>
  %a1 = tiny.alloc : !tiny.buffer<1x64xi8, 0.05:0>
  tiny.fully_connected %x, %wa1 -> %a1 {clamp = array<i64: -128, 127>}
  %wa2 = tiny.const dense<"0x""" + "FF" * 128 + """"> : !tiny.buffer<2x64xi8, 0.02:0>
  %a2 = tiny.alloc : !tiny.buffer<1x2xi8, 0.05:0>
  tiny.fully_connected %a1, %wa2 -> %a2 {clamp = array<i64: -128, 127>}
  %y = tiny.alloc : !tiny.buffer<1x18xi8, 0.05:0>
  tiny.concat %b, %a2 -> %y {axis = 1 : i64}
  func.return %y : !tiny.buffer<1x18xi8, 0.05:0>
}
"""


def test_unknown_ops_leave_the_function_alone():
    from xdsl.dialects.test import TestOp

    module = tinyir.parse_ir(BRANCHES)
    block = body(module)
    block.insert_op_before(TestOp.create(), block.last_op)
    ops = list(block.ops)
    assert reorder_block(block) is None
    assert list(block.ops) == ops


def test_every_function_is_reordered():
    text = BRANCHES + BRANCHES.replace("@main", "@other")
    module = tinyir.run_pipeline(tinyir.parse_ir(text), "reorder")
    for function in module.ops:
        names = [op.out.name_hint for op in liveness.schedule(function.body.block)]
        assert names == ["a1", "a2", "b", "y"]


# ---------------------------------------------------------------------------
# Generated models with branches
# ---------------------------------------------------------------------------


def branches_model(seed: int, widths: list[list[int]]) -> bytes:
    """Branches of 1x1 convolutions of the given widths from one input,
    concatenated: the file order runs them as listed."""
    net = QuantNet(seed=seed)
    x = net.input("input", (1, 6, 6, 4))
    ends = []
    for i, chain in enumerate(widths):
        h = x
        for j, width in enumerate(chain):
            h = net.conv2d(h, width, 1, activation="RELU6" if j < len(chain) - 1 else "NONE", name=f"b{i}/conv{j}")
        ends.append(h)
    net.output(net.concat(ends, axis=3))
    return net.build("branches").data


@pytest.mark.parametrize(
    ("widths", "seed", "peaks"),
    [
        # Narrow outputs of wide branches first (a greedy order finds it):
        ([[4, 8], [8, 6], [16, 4], [32, 2]], 0, (1944, 1440)),
        # Here the greedy orders are not optimal; the exact search is.
        ([[1, 32, 4], [16, 16, 2], [1, 4, 4], [1, 32, 1]], 7, (1548, 1440)),
    ],
)
def test_branches_are_reordered(widths, seed, peaks):
    module = tinyir.import_model(branches_model(seed, widths))
    _, problem = scheduling_problem(body(module))
    before, after, schedule = check_reorder(module)
    assert (before, after) == peaks
    assert schedule.exact and after == reference_optimum(problem)


@pytest.mark.parametrize("seed", range(24))
def test_random_cnns(seed):
    module = tinyir.import_model(random_cnn_case(seed).data)
    _, after, schedule = check_reorder(module, seed=seed)
    assert schedule.exact


# ---------------------------------------------------------------------------
# The shared real models
# ---------------------------------------------------------------------------


def optimal_peaks() -> dict[str, int]:
    return {name: int(row["tflite_tools_optimal_peak"]) for name, row in baselines().items()}


@pytest.mark.parametrize("path", model_params())
def test_shared_models_reach_tflite_tools_optimum(path):
    module = tinyir.import_model(path)
    block = body(module)
    ops = list(block.ops)
    before, after, schedule = check_reorder(module)
    assert schedule.exact
    assert after == optimal_peaks()[path.name]
    if after == before:
        assert list(block.ops) == ops  # not strictly better: the IR is left alone
    # The search itself, without the lower bound that ends it at once:
    _, problem = scheduling_problem(block)
    found = exact_search(problem, max_states=10_000)
    assert found.finished and problem.peak(found.order) == after
