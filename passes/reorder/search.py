"""Orders of a dependency graph of ops with the least peak memory.

The graph is abstract: ops that read and write numbered buffers of given
sizes (`passes/reorder/__init__.py` builds it from tiny IR). A buffer is live from the
first step that touches it to the last, both included; a model input from the
first step, a model output to the last. That is how `tinyir.analysis.liveness` counts,
so an order's peak here is the peak liveness finds in the reordered IR.

As in Liberis & Lane ("Neural networks on microcontrollers: saving memory at
inference via operator reordering", 2019) and tflite-tools, a state is the set
of ops executed so far: the bytes resident between two steps depend on that
set alone, and the best order is a path from the empty set to the full one
whose largest step is least. `minimize_peak` runs

1. the given order and a few greedy orders (upper bounds); if one meets the
   lower bound (the largest working set of one op) it is optimal: stop.
   (On the 15 shared models the file order does.)
2. `exact_search`: best-first search over sets, keyed by a lower bound of any
   order through the set, pruned by the best order known, with *forced
   moves*: a ready op, or a ready chain of single-successor/single-predecessor
   ops, that ends in a valley of resident bytes without a step above
   max(key, lower bound) is run at once, the state getting that one successor.
   This collapses chains where collapsing is exact (collapsing every chain is
   not: an optimal order may stop inside a chain, see `_forced_move`) and
   keeps residual networks linear.
3. past `max_states` stored sets, beam searches within a similar budget; the
   result is then not proven minimal.

The result is never worse than the given order, which is kept unless another
is strictly better.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import NamedTuple


def _bits(mask: int) -> Iterator[int]:
    """Indices of the set bits of `mask`, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


@dataclass
class Problem:
    """Ops over buffers: op i reads `reads[i]` and writes `writes[i]` (buffer
    indices); buffer b is `sizes[b]` bytes. `inputs` are live from the first
    step, `outputs` to the last. Dependencies are read-after-write,
    write-after-read and write-after-write in the order of the op indices."""

    sizes: Sequence[int]
    reads: Sequence[frozenset[int]]
    writes: Sequence[frozenset[int]]
    inputs: frozenset[int] = frozenset()
    outputs: frozenset[int] = frozenset()

    n: int = field(init=False)
    touches: list[tuple[int, ...]] = field(init=False)  # buffers of each op
    touchers: list[int] = field(init=False)  # ops of each buffer (bit mask)
    preds: list[int] = field(init=False)  # direct dependencies (bit mask)
    succs: list[int] = field(init=False)
    working_set: list[int] = field(init=False)  # least bytes live at op i in any order
    lower_bound: int = field(init=False)

    def __post_init__(self) -> None:
        self.n = len(self.reads)
        self.touches = [tuple(sorted(r | w)) for r, w in zip(self.reads, self.writes)]
        self.touchers = [0] * len(self.sizes)
        for op, buffers in enumerate(self.touches):
            for b in buffers:
                self.touchers[b] |= 1 << op
        self.preds, self.succs = [0] * self.n, [0] * self.n
        last_write: dict[int, int] = {}
        reads_since: dict[int, int] = {}  # readers since the last write (bit mask)
        for op in range(self.n):
            deps = 0
            for b in self.touches[op]:
                if b in last_write:
                    deps |= 1 << last_write[b]
                if b in self.writes[op]:
                    deps |= reads_since.get(b, 0)
            for b in self.touches[op]:
                if b in self.writes[op]:
                    last_write[b], reads_since[b] = op, 0
                else:
                    reads_since[b] = reads_since.get(b, 0) | 1 << op
            deps &= ~(1 << op)
            self.preds[op] = deps
            for d in _bits(deps):
                self.succs[d] |= 1 << op
        # (bit, bytes, ops using it; all ops for an output) of each buffer of each op
        self._touch_info = [
            [(1 << b, self.sizes[b], -1 if b in self.outputs else self.touchers[b]) for b in t] for t in self.touches
        ]
        always = {b for b in self.inputs & self.outputs}
        self.working_set = [sum(self.sizes[b] for b in set(t) | always) for t in self.touches]
        self.lower_bound = max(self.working_set, default=0)
        # Buffers nobody touches: an unused input is live at the first step
        # only, a returned buffer nobody writes at the last step only.
        untouched = {b for b in range(len(self.sizes)) if not self.touchers[b]}
        self._first_extra = sum(self.sizes[b] for b in untouched & (self.inputs - self.outputs))
        self._last_extra = sum(self.sizes[b] for b in untouched & (self.outputs - self.inputs))
        resident = [b for b in self.inputs if b in self.outputs or self.touchers[b]]
        self._start = (sum(1 << b for b in resident), sum(self.sizes[b] for b in resident))
        self._full = (1 << self.n) - 1
        self._by_working_set = sorted(range(self.n), key=lambda o: -self.working_set[o])

    # -- the memory model ------------------------------------------------------

    def step(self, done: int, resident: int, nbytes: int, op: int) -> tuple[int, int, int]:
        """Run `op` after the ops in `done` (with `resident` buffers, `nbytes`
        bytes, live between steps): the bytes live during the step, and the
        resident buffers and bytes after it."""
        cost = nbytes
        after = done | 1 << op
        for bit, size, users in self._touch_info[op]:
            if resident & bit:
                if not users & ~after:  # op was the last user: freed
                    resident ^= bit
                    nbytes -= size
            else:
                cost += size
                if users & ~after:  # used again later: stays
                    resident |= bit
                    nbytes += size
        if not done:
            cost += self._first_extra
        if after == self._full:
            cost += self._last_extra
        return cost, resident, nbytes

    def ready_after(self, done: int, ready: int, op: int) -> int:
        """The ops ready after running `op` (ready) after `done`."""
        after = done | 1 << op
        ready &= ~(1 << op)
        for s in _bits(self.succs[op]):
            if not self.preds[s] & ~after:
                ready |= 1 << s
        return ready

    def initial_ready(self) -> int:
        return sum(1 << op for op in range(self.n) if not self.preds[op])

    def is_order(self, order: Sequence[int]) -> bool:
        """Whether `order` runs every op once, after its dependencies."""
        done = 0
        for op in order:
            if done >> op & 1 or self.preds[op] & ~done:
                return False
            done |= 1 << op
        return done == self._full

    def live_bytes(self, order: Sequence[int]) -> list[int]:
        """Bytes live at each step of `order`."""
        done, (resident, nbytes) = 0, self._start
        steps = []
        for op in order:
            cost, resident, nbytes = self.step(done, resident, nbytes, op)
            steps.append(cost)
            done |= 1 << op
        return steps

    def peak(self, order: Sequence[int]) -> int:
        return max(self.live_bytes(order), default=0)

    def remaining_bound(self, done: int) -> int:
        """A lower bound of any step still to come: the largest working set left."""
        for op in self._by_working_set:
            if not done >> op & 1:
                return self.working_set[op]
        return 0


@dataclass
class Schedule:
    """The order found and how it was found."""

    order: list[int]
    peak: int
    given_peak: int  # the peak of the order given
    lower_bound: int  # the largest working set of one op
    exact: bool  # the peak is proven minimal
    method: str  # what found the order: given, greedy, search, beam
    states: int = 0  # sets stored by the search
    forced: int = 0  # ops the search ran by forced moves


def minimize_peak(problem: Problem, given: Sequence[int] | None = None, max_states: int = 100_000) -> Schedule:
    """An order of `problem`'s ops with the least peak (see the module docstring).

    Returns the given order (default: op index order) unless another is
    strictly better. `exact` says the peak is proven minimal; it is False only
    when the search stopped at `max_states`.
    """
    p = problem
    given = list(range(p.n)) if given is None else list(given)
    if not p.is_order(given):
        raise ValueError("the given order breaks a dependency")
    given_peak = p.peak(given)
    best = Schedule(given, given_peak, given_peak, p.lower_bound, False, "given")

    def consider(order: list[int], method: str) -> None:
        nonlocal best
        peak = p.peak(order)
        if peak < best.peak:
            best = Schedule(order, peak, given_peak, p.lower_bound, False, method, best.states, best.forced)

    if best.peak > p.lower_bound:
        for order in _greedy_orders(p):
            consider(order, "greedy")
    if best.peak <= p.lower_bound:  # no order peaks below the largest working set
        best.exact = True
        return best
    found = exact_search(p, best.peak, max_states)
    best.states, best.forced = found.states, found.forced
    if found.order is not None:
        consider(found.order, "search")
    best.exact = found.finished
    if not found.finished:
        width = max(2, max_states // (32 * max(p.n, 1)))
        for key in _BEAM_KEYS:
            consider(_beam(p, width, key), "beam")
    return best


# -- exact search --------------------------------------------------------------


class SearchResult(NamedTuple):
    order: list[int] | None  # the best order with a peak below the bound, if any
    states: int  # sets stored
    forced: int  # ops run by forced moves
    finished: bool  # False: stopped at max_states


def exact_search(p: Problem, upper: int | None = None, max_states: int = 100_000) -> SearchResult:
    """Best-first search for the best order with a peak below `upper` (None:
    any peak).

    A state's key is a lower bound of the peak of any order through it: the
    largest step so far, or the largest working set still to run. A completion
    never peaks below the latter, so two paths to one set that differ only
    below it are as good as each other, and the key is all a state keeps.

    Finished with no order means no order peaks below `upper`.
    """
    if upper is None:
        upper = sum(p.sizes) + 1
    # state (bit set of done ops) -> (key, resident mask, resident bytes,
    #                                 ready ops, parent state, ops from parent, forced)
    resident, nbytes = p._start
    key = p.remaining_bound(0)
    info: dict[int, tuple] = {0: (key, resident, nbytes, p.initial_ready(), None, (), False)}
    heap = [(key, 0, nbytes, 0)]  # (key, -depth, resident bytes, state)
    forced_ops = 0
    allow_forced = p._last_extra == 0  # (the exchange argument assumes it)

    def push(state: int, entry: tuple) -> bool:
        old = info.get(state)
        if old is not None and old[0] <= entry[0]:
            return True
        info[state] = entry
        heapq.heappush(heap, (entry[0], -state.bit_count(), entry[2], state))
        return len(info) <= max_states

    while heap:
        key, _, _, state = heapq.heappop(heap)
        entry = info[state]
        if entry[0] != key:
            continue  # superseded by a better path to the same set
        if state == p._full:
            return SearchResult(_path(info, state), len(info), forced_ops, True)
        _, resident, nbytes, ready, _, _, was_forced = entry
        if allow_forced and not was_forced:
            # Run forced moves while there are; the state they lead to is the
            # only successor, and has none left.
            ops, after, new_key, new_resident, new_bytes, new_ready = (), state, key, resident, nbytes, ready
            while move := _forced_move(p, after, new_key, new_resident, new_bytes, new_ready):
                more, after, peak, new_resident, new_bytes, new_ready = move
                ops += more
                new_key = max(peak, p.remaining_bound(after))
            if ops:
                forced_ops += len(ops)
                if new_key < upper and not push(after, (new_key, new_resident, new_bytes, new_ready, state, ops, True)):
                    return SearchResult(None, len(info), forced_ops, False)
                continue
        for op in _bits(ready):
            cost, new_resident, new_bytes = p.step(state, resident, nbytes, op)
            after = state | 1 << op
            new_key = max(key, cost, p.remaining_bound(after))
            if new_key >= upper:
                continue
            entry = (new_key, new_resident, new_bytes, p.ready_after(state, ready, op), state, (op,), False)
            if not push(after, entry):
                return SearchResult(None, len(info), forced_ops, False)
    return SearchResult(None, len(info), forced_ops, True)


# How far forced moves and segments look down a chain (a bound on the work per
# state; neither needs the whole chain to be right).
_CHAIN_WALK = 64


def _chain(p: Problem, state: int, resident: int, nbytes: int, first: int) -> Iterator[tuple]:
    """Run the ready op `first` and the chain after it (each next op the one
    successor of the last, which has no other predecessor): one
    (ops, done, step bytes, resident, resident bytes) after each op."""
    ops: tuple[int, ...] = ()
    op = first
    while True:
        cost, resident, nbytes = p.step(state, resident, nbytes, op)
        state |= 1 << op
        ops += (op,)
        yield ops, state, cost, resident, nbytes
        succ = p.succs[op]
        if not succ or succ & (succ - 1) or p.preds[succ.bit_length() - 1] != 1 << op:
            return
        op = succ.bit_length() - 1


def _ready_after_ops(p: Problem, state: int, ready: int, ops: tuple[int, ...]) -> int:
    for op in ops:
        ready = p.ready_after(state, ready, op)
        state |= 1 << op
    return ready


def _forced_move(p: Problem, state: int, key: int, resident: int, nbytes: int, ready: int):
    """A ready op or chain that some optimal completion runs first, or None:
    (ops, done, peak, resident, resident bytes, ready) after it.

    A chain B of ready ops whose steps all stay within max(key, lower bound)
    and which ends in a valley (no more bytes resident after it than before it
    or after any prefix of it) can be moved to the front of any completion.
    A completion runs some prefix of B before each of its other ops; moving the
    rest of B before that op adds the bytes the rest allocates and frees at
    least the bytes it freed from where it stood, so no step grows. (Ending
    merely below the start is not enough: a completion may stop in the chain's
    valley, and the end may be higher.)
    """
    limit = max(key, p.lower_bound)
    for first in _bits(ready):
        best, lowest, peak = None, nbytes, key
        for ops, done, cost, res, nb in islice(_chain(p, state, resident, nbytes, first), _CHAIN_WALK):
            if cost > limit:
                break
            peak = max(peak, cost)
            if nb <= lowest:
                lowest = nb
                best = (ops, done, peak, res, nb)
        if best is not None:
            return (*best, _ready_after_ops(p, state, ready, best[0]))
    return None


def _path(info: dict[int, tuple], state: int) -> list[int]:
    steps = []
    while state:
        entry = info[state]
        steps.append(entry[5])
        state = entry[4]
    return [op for ops in reversed(steps) for op in ops]


# -- heuristics ------------------------------------------------------------------


def _moves(p: Problem, state: int, resident: int, nbytes: int, ready: int) -> Iterator[tuple]:
    """Each ready op alone, and its chain up to the chain's valley after its
    hill (Liu's segment: the last least resident point after the largest
    step): (ops, done, step peak, resident, resident bytes, ready)."""
    for first in _bits(ready):
        steps = list(islice(_chain(p, state, resident, nbytes, first), _CHAIN_WALK))
        yield (*steps[0], p.ready_after(state, ready, first))
        if len(steps) > 1:
            hill = max(range(len(steps)), key=lambda i: steps[i][2])
            valley = min(range(hill, len(steps)), key=lambda i: (steps[i][4], -i))
            if valley > 0:
                ops, done, _, res, nb = steps[valley]
                peak = max(s[2] for s in steps[: valley + 1])
                yield ops, done, peak, res, nb, _ready_after_ops(p, state, ready, ops)


def _greedy_orders(p: Problem) -> Iterator[list[int]]:
    """Cheap orders: Liu's rule (run the segment that climbs highest above
    where it ends first), and the width-1 beams."""
    state, (resident, nbytes), ready = 0, p._start, p.initial_ready()
    order: list[int] = []
    while state != p._full:
        best = min(_moves(p, state, resident, nbytes, ready), key=lambda m: (m[4] - m[2], m[2]))
        order += best[0]
        _, state, _, resident, nbytes, ready = best
    yield order
    for key in _BEAM_KEYS:
        yield _beam(p, 1, key)


# A beam keeps, of the sets of one size, those with the least (peak so far,
# resident bytes), or the least (resident bytes, peak so far): neither is
# better on all graphs.
_BEAM_KEYS = (lambda entry: (entry[0], entry[1]), lambda entry: (entry[1], entry[0]))


def _beam(p: Problem, width: int, key) -> list[int]:
    """Beam search over sets by size, keeping `width` sets of each size."""
    resident, nbytes = p._start
    # sets of each size: state -> (peak, resident bytes, resident, ready, ops as a linked list)
    pools: list[dict[int, tuple]] = [{} for _ in range(p.n + 1)]
    pools[0][0] = (0, nbytes, resident, p.initial_ready(), None)
    for size in range(p.n):
        kept = sorted(pools[size].items(), key=lambda item: key(item[1]))[:width]
        pools[size] = {}
        for state, (peak, nbytes, resident, ready, path) in kept:
            for ops, after, cost, new_resident, new_bytes, new_ready in _moves(p, state, resident, nbytes, ready):
                entry = (max(peak, cost), new_bytes, new_resident, new_ready, (ops, path))
                pool = pools[after.bit_count()]
                old = pool.get(after)
                if old is None or entry[:2] < old[:2]:
                    pool[after] = entry
    order: list[int] = []
    path = pools[p.n][p._full][4] if p.n else None
    while path is not None:
        ops, path = path
        order[:0] = ops
    return order
