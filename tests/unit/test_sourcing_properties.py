"""Properties of every plan, over random orders, networks and split policies."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain.geo import GeoPoint
from oms.domain.sourcing import Candidate, FactLine, OrderFacts, SourcingPlan, source_order
from oms.domain.sourcing.profiles import Criterion, SourcingProfile, SplitPolicy, Strategy
from oms.domain.sourcing.search import find_cover

PARIS = GeoPoint(lat=48.8566, lon=2.3522)
SKUS = ["A", "B", "C", "D", "E"]

lines = st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 5)), min_size=1, max_size=6)
networks = st.lists(
    st.tuples(
        st.floats(43, 51),
        st.floats(-1, 7),
        st.dictionaries(st.sampled_from(SKUS), st.integers(0, 6), max_size=5),
        st.booleans(),
        st.sampled_from(["store", "warehouse", "dark_store"]),
    ),
    max_size=9,
)
policies = st.builds(
    SplitPolicy,
    max_locations=st.one_of(st.none(), st.integers(1, 3)),
    split_lines=st.booleans(),
)
criteria = st.lists(
    st.sampled_from(
        [
            Criterion(criterion="distance", band=100),
            Criterion(criterion="distance"),
            Criterion(criterion="stock_balance"),
            Criterion(criterion="location_type", prefer=("warehouse",)),
        ]
    ),
    max_size=2,
    unique_by=lambda c: c.criterion,
)


def order_of(pairs: list[tuple[str, int]]) -> OrderFacts:
    return OrderFacts(
        destination=PARIS,
        lines=[FactLine(line_id=str(i), sku=s, qty=q) for i, (s, q) in enumerate(pairs)],
    )


def network_of(rows: list[tuple[float, float, dict[str, int], bool, str]]) -> list[Candidate]:
    return [
        Candidate(
            location_id=f"L{i}",
            type=kind,
            point=GeoPoint(lat=lat, lon=lon),
            available=stock,
            is_open=is_open,
        )
        for i, (lat, lon, stock, is_open, kind) in enumerate(rows)
    ]


def profile_of(policy: SplitPolicy, ranked_by: list[Criterion]) -> SourcingProfile:
    one = Strategy(name="only", criteria=tuple(ranked_by), split=policy)
    return SourcingProfile(
        id="prop", version=1, strategies=(one,), fallback=one.model_copy(update={"name": "fb"})
    )


def check_plan(
    order: OrderFacts, cands: list[Candidate], policy: SplitPolicy, plan: SourcingPlan
) -> None:
    by_loc = {c.location_id: c for c in cands}
    taken: dict[tuple[str, str], int] = {}
    for a in plan.allocations:
        assert by_loc[a.location_id].is_open
        taken[(a.location_id, a.sku)] = taken.get((a.location_id, a.sku), 0) + a.qty
    for (loc, sku), qty in taken.items():
        assert qty <= by_loc[loc].available.get(sku, 0), "more than the location's ATP"
    for line in order.lines:
        placed = [a for a in plan.allocations if a.line_id == line.line_id]
        unplaced = sum(d.qty for d in plan.unplaced if d.line_id == line.line_id)
        assert sum(a.qty for a in placed) + unplaced == line.qty
        if not policy.split_lines:
            assert [a.qty for a in placed] in ([], [line.qty])
    if policy.max_locations is not None:
        assert len(plan.locations) <= policy.max_locations


@settings(max_examples=400, deadline=None)
@given(lines, networks, policies, criteria, st.randoms(use_true_random=False))
def test_plans_never_exceed_atp_keep_the_split_policy_and_are_deterministic(
    pairs: list[tuple[str, int]],
    rows: list[tuple[float, float, dict[str, int], bool, str]],
    policy: SplitPolicy,
    ranked_by: list[Criterion],
    rnd: random.Random,
) -> None:
    order, cands, prof = order_of(pairs), network_of(rows), profile_of(policy, ranked_by)

    plan = source_order(order, cands, prof)

    check_plan(order, cands, policy, plan)
    shuffled = list(cands)
    rnd.shuffle(shuffled)
    assert source_order(order, shuffled, prof) == plan


def fewest_locations(order: OrderFacts, cands: list[Candidate], split: bool) -> int | None:
    """The exact optimum, by brute force over every subset of open locations."""
    usable = [c for c in cands if c.is_open]
    need: dict[str, int] = {}
    for line in order.lines:
        need[line.sku] = need.get(line.sku, 0) + line.qty
    for k in range(0, len(usable) + 1):
        for subset in itertools.combinations(usable, k):
            if split:
                ok = all(sum(c.available.get(s, 0) for c in subset) >= q for s, q in need.items())
            else:
                ok = all(
                    any(c.available.get(line.sku, 0) >= line.qty for c in subset)
                    for line in order.lines
                )
            if ok:
                return k
    return None


distinct_lines = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(1, 5)),
    min_size=1,
    max_size=5,
    unique_by=lambda p: p[0],
)


@settings(max_examples=300, deadline=None)
@given(distinct_lines, networks, st.booleans())
def test_a_complete_plan_uses_the_fewest_locations_possible(
    pairs: list[tuple[str, int]],
    rows: list[tuple[float, float, dict[str, int], bool, str]],
    split: bool,
) -> None:
    order, cands = order_of(pairs), network_of(rows)
    prof = profile_of(SplitPolicy(split_lines=split), [Criterion(criterion="distance")])

    plan = source_order(order, cands, prof)

    best = fewest_locations(order, cands, split)
    if best is None:
        assert plan.unplaced
    else:
        assert plan.unplaced == []
        assert len(plan.locations) == best


def test_the_search_settles_for_a_greedy_cover_when_its_budget_runs_out() -> None:
    # Four items, each location gives two: no single location, many pairs to look at.
    needs = [1, 1, 1, 1]
    offers = [[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1], [1, 0, 1, 0]]

    exact = find_cover(needs, offers, split=True, plan_key=lambda c: c)
    greedy = find_cover(needs, offers, split=True, plan_key=lambda c: c, budget=0)

    assert (exact.method, sorted(exact.chosen), exact.complete) == ("exact", [0, 2], True)
    assert (greedy.method, greedy.complete) == ("greedy", True)
