from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain.geo import GeoPoint
from oms.domain.sourcing import Candidate, Demand, plan_sourcing

PARIS = GeoPoint(lat=48.8566, lon=2.3522)


def cand(loc: str, lat: float, lon: float, stock: dict[str, int], **kw: object) -> Candidate:
    return Candidate(
        location_id=loc, type="store", point=GeoPoint(lat=lat, lon=lon), available=stock, **kw
    )  # type: ignore[arg-type]


NEAR = (48.87, 2.33)
FAR = (45.76, 4.83)


def test_the_nearest_location_that_has_every_line_fulfils_the_whole_order() -> None:
    demands = [Demand(line_id="1", sku="A", qty=2), Demand(line_id="2", sku="B", qty=1)]
    plan = plan_sourcing(
        demands,
        [cand("FAR", *FAR, {"A": 9, "B": 9}), cand("NEAR", *NEAR, {"A": 9, "B": 9})],
        destination=PARIS,
    )
    assert plan.locations == ["NEAR"]
    assert plan.strategy == "single_location_nearest"
    assert plan.unplaced == []


def test_a_single_far_location_beats_splitting_between_near_ones() -> None:
    demands = [Demand(line_id="1", sku="A", qty=1), Demand(line_id="2", sku="B", qty=1)]
    plan = plan_sourcing(
        demands,
        [
            cand("NEAR-A", *NEAR, {"A": 5}),
            cand("NEAR-B", 48.85, 2.37, {"B": 5}),
            cand("FAR", *FAR, {"A": 1, "B": 1}),
        ],
        destination=PARIS,
    )
    assert plan.locations == ["FAR"]


def test_without_a_single_location_the_fewest_locations_cover_the_order() -> None:
    demands = [
        Demand(line_id="1", sku="A", qty=3),
        Demand(line_id="2", sku="B", qty=2),
        Demand(line_id="3", sku="C", qty=1),
    ]
    plan = plan_sourcing(
        demands,
        [
            cand("L1", *NEAR, {"A": 3}),
            cand("L2", 48.85, 2.37, {"B": 2}),
            cand("L3", *FAR, {"B": 2, "C": 1}),
            cand("L4", 48.0, 2.0, {"A": 3, "B": 2}),
        ],
        destination=PARIS,
    )
    assert len(plan.locations) == 2
    assert plan.unplaced == []
    assert sum(a.qty for a in plan.allocations) == 6


def test_a_line_may_be_split_across_locations_when_none_has_the_quantity() -> None:
    plan = plan_sourcing(
        [Demand(line_id="1", sku="A", qty=5)],
        [cand("L1", *NEAR, {"A": 3}), cand("L2", *FAR, {"A": 4})],
        destination=PARIS,
    )
    assert sorted((a.location_id, a.qty) for a in plan.allocations) == [("L1", 1), ("L2", 4)]


def test_what_no_location_has_is_reported_unplaced() -> None:
    plan = plan_sourcing(
        [Demand(line_id="1", sku="A", qty=5), Demand(line_id="2", sku="Z", qty=1)],
        [cand("L1", *NEAR, {"A": 2})],
        destination=PARIS,
    )
    assert [(a.line_id, a.qty) for a in plan.allocations] == [("1", 2)]
    assert sorted((d.line_id, d.qty) for d in plan.unplaced) == [("1", 3), ("2", 1)]


def test_closed_and_excluded_locations_are_never_used_and_say_why() -> None:
    plan = plan_sourcing(
        [Demand(line_id="1", sku="A", qty=1)],
        [
            cand("CLOSED", *NEAR, {"A": 5}, is_open=False),
            cand("FAILED", *NEAR, {"A": 5}),
            cand("OK", *FAR, {"A": 5}),
        ],
        destination=PARIS,
        exclude=frozenset({"FAILED"}),
    )
    assert plan.locations == ["OK"]
    reasons = {n.location_id: n.excluded for n in plan.candidates}
    assert reasons == {"CLOSED": "closed", "FAILED": "excluded_after_failure", "OK": None}


def test_nothing_in_stock_gives_an_empty_plan() -> None:
    plan = plan_sourcing(
        [Demand(line_id="1", sku="A", qty=1)], [cand("L1", *NEAR, {"A": 0})], destination=PARIS
    )
    assert plan.allocations == []
    assert plan.strategy == "nothing_available"


skus = st.sampled_from(["A", "B", "C", "D"])
demand_lists = st.lists(st.tuples(skus, st.integers(1, 6)), min_size=1, max_size=6).map(
    lambda pairs: [Demand(line_id=str(i), sku=s, qty=q) for i, (s, q) in enumerate(pairs)]
)
candidate_lists = st.lists(
    st.tuples(
        st.floats(43, 51),
        st.floats(-1, 7),
        st.dictionaries(skus, st.integers(0, 8), max_size=4),
        st.booleans(),
    ),
    max_size=8,
).map(
    lambda rows: [
        cand(f"L{i}", lat, lon, stock, is_open=open_)
        for i, (lat, lon, stock, open_) in enumerate(rows)
    ]
)


@settings(max_examples=300, deadline=None)
@given(demand_lists, candidate_lists)
def test_plans_never_exceed_availability_and_account_for_every_unit(
    demands: list[Demand], candidates: list[Candidate]
) -> None:
    plan = plan_sourcing(demands, candidates, destination=PARIS)

    by_loc = {c.location_id: c for c in candidates}
    used: dict[tuple[str, str], int] = {}
    for a in plan.allocations:
        assert by_loc[a.location_id].is_open
        used[(a.location_id, a.sku)] = used.get((a.location_id, a.sku), 0) + a.qty
    for (loc, sku), qty in used.items():
        assert qty <= by_loc[loc].available.get(sku, 0)
    for d in demands:
        placed = sum(a.qty for a in plan.allocations if a.line_id == d.line_id)
        unplaced = sum(u.qty for u in plan.unplaced if u.line_id == d.line_id)
        assert placed + unplaced == d.qty
    assert plan_sourcing(demands, list(reversed(candidates)), destination=PARIS) == plan
