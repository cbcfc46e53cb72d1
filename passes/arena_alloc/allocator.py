"""Offline offset assignment: buffers with lifetimes -> offsets in one arena.

This is two-dimensional packing: a buffer is a rectangle of (steps it is live)
x (bytes), placed at a byte offset so that no two rectangles overlap. The
arena size is the highest end offset. No allocator can beat the most bytes
live at one step (the lower bound); finding the optimum is NP-hard, so this
runs a greedy placement in several orders and keeps the best arena:

- placement: each buffer goes into the lowest gap (first fit) or the tightest
  gap (best fit) among the already placed buffers that are live at the same
  time as it; if none fits, on top of them.
- orders: by size (TFLite Micro's GreedyMemoryPlanner: decreasing size,
  first fit), by lifetime length, by size x lifetime, by first use, by last
  use, and then seeded random swaps of the best order found, until an arena at
  the lower bound is found, the budget runs out or `patience` swaps in a row
  have not made the arena smaller.

TFLite Micro's planner is one of the candidates, so the result is never worse
than it. Everything is in units of `alignment`: sizes round up to it, so every
offset is a multiple of it.

A buffer whose live bytes shrink over its lifetime (an output written over an
input that died) is one interval with `parts`: the rectangles of its first
bytes over runs of steps, placed together at one offset.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tinyir.analysis.liveness import Interval


@dataclass(frozen=True)
class Plan:
    """Offsets (one per interval, in input order), the arena size and the bound."""

    offsets: tuple[int, ...]
    arena_size: int
    lower_bound: int
    strategy: str

    @property
    def gap(self) -> float:
        """How far above the lower bound the arena is (0.01 = 1 %)."""
        return self.arena_size / self.lower_bound - 1 if self.lower_bound else 0.0


def lower_bound(intervals: Sequence[Interval]) -> int:
    """The most bytes live at any one step: no arena can be smaller."""
    events: dict[int, int] = {}
    for b in (piece for interval in intervals for piece in interval.pieces()):
        events[b.first] = events.get(b.first, 0) + b.size
        events[b.last + 1] = events.get(b.last + 1, 0) - b.size
    best = live = 0
    for step in sorted(events):
        live += events[step]
        best = max(best, live)
    return best


def _place(
    order: Sequence[int], intervals: Sequence[Interval], conflicts: list[list[int]], best_fit: bool
) -> tuple[list[int], int]:
    """Greedy placement in `order`; returns offsets (by interval index) and the arena size."""
    offsets: list[int] = [-1] * len(intervals)
    top = 0
    shaped = [bool(b.parts) for b in intervals]
    for i in order:
        size = intervals[i].size
        # Offsets in (low, high) would overlap a placed buffer live at the same time.
        blocked = []
        for j in conflicts[i]:
            at = offsets[j]
            if at < 0:
                continue
            if not (shaped[i] or shaped[j]):
                blocked.append((at - size, at + intervals[j].size))
                continue
            for other in intervals[j].pieces():
                blocked += [(at - p.size, at + other.size) for p in intervals[i].pieces() if p.overlaps_in_time(other)]
        blocked.sort()
        cursor, chosen, chosen_gap = 0, -1, None
        for low, high in blocked:
            gap = low - cursor
            if gap >= 0:
                if not best_fit:
                    chosen = cursor
                    break
                if chosen_gap is None or gap < chosen_gap:
                    chosen, chosen_gap = cursor, gap
            cursor = max(cursor, high)
        if chosen < 0:
            chosen = cursor
        offsets[i] = chosen
        top = max(top, chosen + intervals[i].size)
    return offsets, top


Key = Callable[[Interval], tuple]

ORDERS: dict[str, Key] = {
    "size": lambda b: (-b.size, b.first),
    "lifetime": lambda b: (-(b.last - b.first), -b.size),
    "area": lambda b: (-b.size * (b.last - b.first + 1), b.first),
    "first-use": lambda b: (b.first, -b.size),
    "last-use": lambda b: (-b.last, -b.size),
}


def plan(
    intervals: Sequence[Interval], alignment: int = 1, *, budget: int = 3000, patience: int = 300, seed: int = 0
) -> Plan:
    """Offsets for `intervals` (sizes already in bytes; rounded up to `alignment` here).

    Tries every order x {first fit, best fit}, then up to `budget` random
    perturbations of the best order; stops early at the lower bound, or
    after `patience` perturbations in a row that did not lower the arena
    (on the shared models none ever did after the first few: the rest of
    the budget was most of the pass's time)."""
    units = [b.in_units(alignment) for b in intervals]
    bound = lower_bound(units)
    n = len(units)
    conflicts = _conflicts(units)

    best: tuple[int, list[int], str, list[int], bool] | None = None  # set by the first order
    for name, key in ORDERS.items():
        order = sorted(range(n), key=lambda i: (*key(units[i]), i))
        for best_fit in (False, True):
            offsets, top = _place(order, units, conflicts, best_fit)
            if best is None or top < best[0]:
                best = (top, offsets, f"{name}, {'best' if best_fit else 'first'} fit", order, best_fit)
            if top <= bound:
                break
        if best[0] <= bound:
            break

    assert best is not None
    top, offsets, strategy, order, best_fit = best
    # Local search: swap two buffers in the best order; keep swaps that do not
    # make the arena larger (plateaus let it move on).
    rng = random.Random(seed)
    tries = stale = 0
    while top > bound and tries < budget and stale < patience and n > 1:
        tries += 1
        stale += 1
        candidate = list(order)
        i, j = rng.sample(range(n), 2)
        candidate[i], candidate[j] = candidate[j], candidate[i]
        cand_offsets, cand_top = _place(candidate, units, conflicts, best_fit)
        if cand_top <= top:
            if cand_top < top:
                strategy = strategy.split(" +")[0] + f" + {tries} random swaps"
                stale = 0
            order, offsets, top = candidate, cand_offsets, cand_top
    return Plan(tuple(o * alignment for o in offsets), top * alignment, bound * alignment, strategy)


def _conflicts(units: Sequence[Interval]) -> list[list[int]]:
    """For each interval, the others live at some same step (in index order):
    a sweep by first step, not a test of every pair (a deep model has
    thousands of buffers, each live with a few)."""
    n = len(units)
    conflicts: list[list[int]] = [[] for _ in range(n)]
    by_first = sorted(range(n), key=lambda i: units[i].first)
    for k, i in enumerate(by_first):
        last = units[i].last
        for j in by_first[k + 1 :]:
            if units[j].first > last:
                break
            conflicts[i].append(j)
            conflicts[j].append(i)
    for found in conflicts:
        found.sort()
    return conflicts


def tflm_greedy(intervals: Sequence[Interval], alignment: int = 1) -> int:
    """The arena TFLite Micro's GreedyMemoryPlanner would make of the same
    buffers (decreasing size, lowest gap that fits): the baseline to beat."""
    units = [b.in_units(alignment) for b in intervals]
    n = len(units)
    conflicts = _conflicts(units)
    order = sorted(range(n), key=lambda i: (*ORDERS["size"](units[i]), i))
    return _place(order, units, conflicts, best_fit=False)[1] * alignment
