"""The search behind sourcing: the fewest locations that place every unit.

Locations arrive ranked (index 0 is the best by the strategy's criteria) with what each can
give of each item: an item is a SKU when lines may be split (its lines' quantities summed) and
a line when they may not (a location then gives the whole line or nothing). The search is
plain integer work, deterministic, and bounded:

1. The best-ranked location that can give everything, if any.
2. Otherwise sets of k = 2, 3, ... locations, from a lower bound on k, by a depth-first
   search that branches on the item the fewest locations can give (every set that places the
   order holds one of them), best-ranked first. A location explored at a branch is left out of
   the branches after it (they would find the same sets again), as is one that leaves exactly
   what an earlier sibling left. The first k with a complete set is the smallest; all the sets
   of that size the budget reaches are compared with ``plan_key``.
3. When ``budget`` nodes are spent first, or no set of at most ``max_locations`` places
   everything: a greedy cover that takes, at each step, the location giving the most
   remaining units (the better-ranked on a tie).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from oms.domain.sourcing.explain import SearchMethod

# Sets of locations looked at before the search settles for the greedy cover: what keeps a
# 10-line order over 500 locations within a few milliseconds (bench/sourcing.py).
NODE_BUDGET = 2500

PlanKey = Callable[[tuple[int, ...]], Any]


@dataclass(frozen=True)
class Cover:
    chosen: tuple[int, ...]  # location indices, in the order the search took them
    complete: bool
    method: SearchMethod
    nodes: int


class _OutOfBudget(Exception):
    pass


def find_cover(
    needs: Sequence[int],
    offers: Sequence[Sequence[int]],
    *,
    split: bool,
    plan_key: PlanKey,
    max_locations: int | None = None,
    groups: Sequence[int] | None = None,
    budget: int = NODE_BUDGET,
) -> Cover:
    """The smallest set of locations (by index) that gives every item its need.

    Args:
        needs: units needed per item.
        offers: per location (best-ranked first), units it can give per item.
        split: whether an item may come from several locations; if not, an offer below the
            need counts for nothing.
        plan_key: orders complete sets of the same size (smaller is better), given the
            sorted indices.
        max_locations: the most locations a plan may use.
        groups: with ``split`` off, the SKU of each line when a SKU is on several lines:
            those lines then draw on one stock (``offers`` holds that stock for each), the
            largest line first.
        budget: nodes the exact search may visit.
    """
    return _Search(needs, offers, split, groups, plan_key, budget).run(max_locations)


class _Search:
    def __init__(
        self,
        needs: Sequence[int],
        offers: Sequence[Sequence[int]],
        split: bool,
        groups: Sequence[int] | None,
        plan_key: PlanKey,
        budget: int,
    ) -> None:
        self.needs = tuple(needs)
        self.items = range(len(needs))
        self.groups = tuple(groups) if groups is not None and not split else None
        self.plan_key = plan_key
        self.budget = budget
        self.limit = budget
        self.nodes = 0
        self.best: tuple[Any, tuple[int, ...]] | None = None
        # One pass over the locations: what each gives (capped at the need; with whole
        # lines, nothing below it), the items it gives in full as a bit mask, and per item
        # the locations giving some of it, best-ranked first.
        self.offers: list[tuple[int, ...]] = []
        self.masks: list[int] = []
        self.totals: list[int] = []
        self.contrib: list[list[int]] = [[] for _ in self.items]
        bits = [1 << i for i in self.items]
        pairs = list(zip(self.items, self.needs, strict=True))
        max_items = 0
        for loc, raw in enumerate(offers):
            off = []
            mask = count = 0
            for i, need in pairs:
                o = raw[i]
                if o >= need:
                    o = need if split else o
                    mask |= bits[i]
                elif not split:
                    o = 0
                if o:
                    count += 1
                    self.contrib[i].append(loc)
                off.append(o)
            self.offers.append(tuple(off))
            self.masks.append(mask)
            self.totals.append(sum(off))
            max_items = max(max_items, count)
        self.scarce = sorted(self.items, key=lambda i: (len(self.contrib[i]), i))
        self.largest_first = sorted(self.items, key=lambda i: (-self.needs[i], i))
        self.max_items = max_items
        self.max_units = max(self.totals, default=0)

    def take(self, loc: int, rem: tuple[int, ...]) -> tuple[int, ...]:
        """What is left of ``rem`` once location ``loc`` gave what it can."""
        off = self.offers[loc]
        if self.groups is None:
            return tuple(r - o if o < r else 0 for r, o in zip(rem, off, strict=True))
        # Lines of one SKU draw on one stock: the largest first (a heuristic for a rare case).
        left: dict[int, int] = {}
        out = list(rem)
        for i in self.largest_first:
            r = rem[i]
            if r:
                g = self.groups[i]
                stock = left.get(g, off[i])
                if stock >= r:
                    left[g] = stock - r
                    out[i] = 0
        return tuple(out)

    def run(self, max_locations: int | None) -> Cover:
        n = len(self.offers)
        if not any(self.needs):
            return Cover((), True, SearchMethod.SINGLE, 0)
        full = (1 << len(self.needs)) - 1
        for loc in range(n):
            self.nodes += 1
            if self.masks[loc] == full and not any(self.take(loc, self.needs)):
                return Cover((loc,), True, SearchMethod.SINGLE, self.nodes)
        limit = min(max_locations or n, n)
        lower = self._lower_bound()
        self.limit = self.nodes + self.budget
        if lower is not None and lower <= limit:
            try:
                for k in range(max(2, lower), limit + 1):
                    self._dfs(self.needs, (), 0, k)
                    if self.best is not None:
                        break
            except _OutOfBudget:
                pass
            if self.best is not None:
                return Cover(self.best[1], True, SearchMethod.EXACT, self.nodes)
        return self._greedy(limit)

    def _lower_bound(self) -> int | None:
        """Fewest locations any complete plan needs; None when none can be complete."""
        lower = 1
        for i in self.items:
            got = sorted((self.offers[loc][i] for loc in self.contrib[i]), reverse=True)
            need, k = self.needs[i], 0
            while need > 0 and k < len(got):
                need -= got[k]
                k += 1
            if need > 0:
                return None
            lower = max(lower, k)
        nz = sum(1 for r in self.needs if r)
        lower = max(lower, -(-nz // max(1, self.max_items)))
        return max(lower, -(-sum(self.needs) // max(1, self.max_units)))

    def _dfs(self, rem: tuple[int, ...], chosen: tuple[int, ...], used: int, depth: int) -> None:
        i = next(i for i in self.scarce if rem[i])
        if depth == 1:
            self._last(rem, chosen, used, self.contrib[i])
            return
        seen: set[tuple[int, ...]] = set()
        for loc in self.contrib[i]:
            if used >> loc & 1:
                continue
            self.nodes += 1
            if self.nodes > self.limit:
                raise _OutOfBudget
            new = self.take(loc, rem)
            if new in seen:
                used |= 1 << loc  # same remainder as a sibling explored before it
                continue
            seen.add(new)
            if not any(new):
                self._leaf((*chosen, loc))
            elif (
                sum(1 for r in new if r) <= (depth - 1) * self.max_items
                and sum(new) <= (depth - 1) * self.max_units
            ):
                self._dfs(new, (*chosen, loc), used | 1 << loc, depth - 1)
            used |= 1 << loc

    def _last(
        self, rem: tuple[int, ...], chosen: tuple[int, ...], used: int, cands: list[int]
    ) -> None:
        whole = sum(1 << i for i in self.items if rem[i] and rem[i] == self.needs[i])
        part = [i for i in self.items if 0 < rem[i] < self.needs[i]]
        for loc in cands:
            if used >> loc & 1 or self.masks[loc] & whole != whole:
                continue
            off = self.offers[loc]
            if all(off[i] >= rem[i] for i in part) and (
                self.groups is None or not any(self.take(loc, rem))
            ):
                self._leaf((*chosen, loc))
        self.nodes += len(cands)
        if self.nodes > self.limit:
            raise _OutOfBudget

    def _leaf(self, chosen: tuple[int, ...]) -> None:
        key = self.plan_key(tuple(sorted(chosen)))
        if self.best is None or key < self.best[0]:
            self.best = (key, chosen)

    def _greedy(self, limit: int) -> Cover:
        rem = self.needs
        chosen: list[int] = []
        by_size = sorted(range(len(self.offers)), key=lambda loc: (-self.totals[loc], loc))
        while any(rem) and len(chosen) < limit:
            best: tuple[int, int] | None = None  # (units given, -index)
            left = sum(rem)
            for loc in by_size:
                if best is not None and min(self.totals[loc], left) < best[0]:
                    break
                if loc in chosen:
                    continue
                self.nodes += 1
                gain = left - sum(self.take(loc, rem))
                if gain and (best is None or (gain, -loc) > best):
                    best = (gain, -loc)
            if best is None:
                break
            chosen.append(-best[1])
            rem = self.take(-best[1], rem)
        method = SearchMethod.GREEDY if chosen else SearchMethod.NONE
        return Cover(tuple(chosen), not any(rem), method, self.nodes)
