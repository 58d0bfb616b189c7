"""A profile's conditions, filters, criteria and split policy, one by one."""

from __future__ import annotations

from typing import Any

import pytest

from oms.domain.geo import GeoPoint
from oms.domain.sourcing import (
    Candidate,
    FactLine,
    OrderFacts,
    SourcingPlan,
    consume_capacity,
    source_order,
)
from oms.domain.sourcing.profiles import SourcingProfile

PARIS = GeoPoint(lat=48.8566, lon=2.3522)
AT = {
    "paris": (48.86, 2.35),  # ~1 km from the destination
    "versailles": (48.80, 2.13),  # ~17 km
    "orleans": (47.90, 1.90),  # ~110 km
    "lyon": (45.76, 4.84),  # ~390 km
}


def cand(
    loc: str, where: str = "paris", stock: dict[str, int] | None = None, **kw: Any
) -> Candidate:
    lat, lon = AT[where]
    return Candidate(
        location_id=loc,
        type=kw.pop("type", "store"),
        point=GeoPoint(lat=lat, lon=lon),
        available={"A": 5, "B": 5} if stock is None else stock,
        **kw,
    )


def facts(**kw: Any) -> OrderFacts:
    lines = kw.pop(
        "lines",
        [FactLine(line_id="1", sku="A", qty=1, category="apparel")],
    )
    return OrderFacts(destination=PARIS, lines=lines, **kw)


def profile(
    *strategies: dict[str, Any], fallback: dict[str, Any] | None = None, **kw: Any
) -> SourcingProfile:
    return SourcingProfile.model_validate(
        {
            "id": "p",
            "version": 7,
            "strategies": list(strategies),
            "fallback": fallback or {"name": "fallback"},
            **kw,
        }
    )


def explained(plan: SourcingPlan) -> Any:
    assert plan.explanation is not None
    return plan.explanation


# -- conditions -------------------------------------------------------------------------------

LINES_2 = [FactLine(line_id="1", sku="A", qty=1), FactLine(line_id="2", sku="B", qty=1)]


@pytest.mark.parametrize(
    ("conditions", "matching", "other", "reason"),
    [
        ({"channels": ["web-fr"]}, {"channel": "web-fr"}, {"channel": "app-fr"}, "channel"),
        ({"customer_tiers": ["vip"]}, {"customer_tier": "vip"}, {}, "customer tier"),
        ({"min_order_value": 50_000}, {"order_value": 50_000}, {"order_value": 49_999}, "under"),
        ({"max_order_value": 5_000}, {"order_value": 5_000}, {"order_value": 5_001}, "over"),
        (
            {"min_order_value": 100, "currency": "EUR"},
            {"order_value": 200, "currency": "EUR"},
            {"order_value": 200, "currency": "GBP"},
            "not EUR",
        ),
        ({"delivery": ["express"]}, {"delivery": "express"}, {"delivery": "ship"}, "delivery"),
        ({"delivery": ["collect"]}, {"delivery": "collect"}, {"delivery": "express"}, "delivery"),
        ({"countries": ["FR"]}, {"country": "FR"}, {"country": "BE"}, "country"),
        ({"regions": ["IDF"]}, {"region": "IDF"}, {"region": "PACA"}, "region"),
        (
            {"categories": ["jewellery"]},
            {"lines": [FactLine(line_id="1", sku="A", qty=1, category="jewellery")]},
            {},
            "no line is in",
        ),
        (
            {"only_categories": ["apparel"]},
            {},
            {"lines": [*LINES_2[:1], FactLine(line_id="2", sku="B", qty=1, category="home")]},
            "outside",
        ),
        ({"min_lines": 2}, {"lines": LINES_2}, {}, "fewer than 2"),
        ({"max_lines": 1}, {}, {"lines": LINES_2}, "more than 1"),
    ],
)
def test_a_strategy_applies_only_when_every_condition_holds(
    conditions: dict[str, Any], matching: dict[str, Any], other: dict[str, Any], reason: str
) -> None:
    prof = profile({"name": "special", "conditions": conditions})
    cands = [cand("S1")]

    hit = source_order(facts(**matching), cands, prof)
    miss = source_order(facts(**other), cands, prof)

    assert hit.strategy == "special"
    assert miss.strategy == "fallback"
    trace = explained(miss).strategies[0]
    assert (trace.name, trace.outcome) == ("special", "conditions_not_met")
    assert reason in trace.reasons[0]


# -- strategies, precedence and fallback -----------------------------------------------------


def test_the_first_matching_strategy_wins_over_later_ones_that_also_match() -> None:
    prof = profile(
        {"name": "stores", "filters": {"location_types": ["store"]}},
        {"name": "warehouses", "filters": {"location_types": ["warehouse"]}},
    )

    plan = source_order(facts(), [cand("S1", "lyon"), cand("W1", type="warehouse")], prof)

    assert (plan.strategy, plan.locations) == ("stores", ["S1"])


def test_a_matching_strategy_that_cannot_place_everything_gives_way_to_the_next() -> None:
    prof = profile(
        {"name": "one-store", "split": {"max_locations": 1}},
        {"name": "two-stores", "split": {"max_locations": 2}},
    )
    two_lines = facts(lines=LINES_2)

    plan = source_order(two_lines, [cand("SA", stock={"A": 1}), cand("SB", stock={"B": 1})], prof)

    assert (plan.strategy, plan.locations, plan.unplaced) == ("two-stores", ["SA", "SB"], [])
    trace = explained(plan).strategies
    assert [(t.name, t.outcome) for t in trace] == [
        ("one-store", "could_not_fulfil"),
        ("two-stores", "chosen"),
    ]
    assert trace[0].reasons == ["1 unit(s) cannot be placed within 1 location(s)"]


def test_when_no_strategy_can_place_the_order_the_fallback_places_what_it_can() -> None:
    prof = profile(
        {"name": "stores", "filters": {"location_types": ["store"]}},
        fallback={"name": "anything", "split": {"unplaced": "backorder"}},
    )
    order = facts(lines=[FactLine(line_id="1", sku="A", qty=4)])

    plan = source_order(
        order, [cand("S1", stock={"A": 1}), cand("W1", stock={"A": 2}, type="warehouse")], prof
    )

    assert plan.strategy == "anything"
    assert explained(plan).fallback is True
    assert sorted((a.location_id, a.qty) for a in plan.allocations) == [("S1", 1), ("W1", 2)]
    assert [(d.line_id, d.qty) for d in plan.unplaced] == [("1", 1)]
    assert plan.unplaced_action == "backorder"


@pytest.mark.parametrize("action", ["backorder", "hold", "cancel"])
def test_the_unplaced_action_is_the_deciding_strategys(action: str) -> None:
    prof = profile({"name": "s"}, fallback={"name": "f", "split": {"unplaced": action}})

    plan = source_order(facts(), [cand("S1", stock={"B": 1})], prof)

    assert plan.allocations == []
    assert plan.unplaced_action == action


# -- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "left_out", "reason"),
    [
        ({"location_types": ["warehouse"]}, cand("X", type="store"), "type"),
        ({"networks": ["central"]}, cand("X", networks=["local"]), "network"),
        ({}, cand("X", is_open=False), "closed"),
        ({"min_remaining_capacity": 2}, cand("X", daily_capacity=10, capacity_used=9), "capacity"),
        ({}, cand("X", daily_capacity=10, capacity_used=10), "capacity"),
        ({}, cand("X", daily_capacity=10, capacity_used=4, open_work=6), "open_work"),
        (
            {"min_remaining_capacity": 2},
            cand("X", daily_capacity=10, capacity_used=3, open_work=6),
            "open_work",
        ),
        ({"max_distance_km": 50}, cand("X", "orleans"), "distance"),
        ({"min_stock_cover": 5}, cand("X", stock={"A": 5}), "stock_cover"),
        (
            {"dropship_categories": {"V1": ["home"]}},
            cand("X", type="dropship", vendor_id="V1"),
            "dropship_category",
        ),
        ({}, cand("X", stock={"B": 3}), "no_stock"),
    ],
)
def test_a_filter_keeps_a_location_out_and_says_which(
    filters: dict[str, Any], left_out: Candidate, reason: str
) -> None:
    # The excluded location is nearer and first by id: only the filter keeps it out.
    keep = cand("Y", "versailles", {"A": 9}, type="warehouse", networks=["central"])
    prof = profile({"name": "s", "filters": filters}, fallback={"name": "f", "filters": filters})

    plan = source_order(facts(), [left_out, keep], prof)

    assert plan.locations == ["Y"]
    excluded = explained(plan).excluded
    assert [(g.filter, g.count, g.location_ids) for g in excluded] == [(reason, 1, ["X"])]


def test_a_location_that_failed_the_order_before_is_never_used_again() -> None:
    plan = source_order(
        facts(), [cand("X"), cand("Y", "lyon")], profile({"name": "s"}), exclude=frozenset({"X"})
    )

    assert plan.locations == ["Y"]
    assert explained(plan).excluded[0].filter == "excluded_after_failure"


def test_a_closed_location_may_be_used_when_the_strategy_allows_it() -> None:
    prof = profile({"name": "s", "filters": {"open_only": False}})

    assert source_order(facts(), [cand("X", is_open=False)], prof).locations == ["X"]


def test_stock_cover_leaves_units_on_the_shelf() -> None:
    order = facts(lines=[FactLine(line_id="1", sku="A", qty=4)])
    prof = profile(
        fallback={"name": "f", "filters": {"min_stock_cover": 2}},
        **{"strategies": [{"name": "s", "filters": {"min_stock_cover": 2}}]},
    )

    plan = source_order(order, [cand("X", stock={"A": 5})], prof)

    assert [(a.location_id, a.qty) for a in plan.allocations] == [("X", 3)]
    assert [d.qty for d in plan.unplaced] == [1]


def test_a_dropship_vendor_serves_only_its_allowed_categories() -> None:
    order = facts(
        lines=[
            FactLine(line_id="1", sku="A", qty=1, category="garden"),
            FactLine(line_id="2", sku="B", qty=1, category="apparel"),
        ]
    )
    rules = {"dropship_categories": {"V1": ["garden"], "*": ["furniture"]}}
    prof = profile({"name": "s", "filters": rules}, fallback={"name": "f", "filters": rules})
    vendor = cand("D1", type="dropship", vendor_id="V1")  # holds A and B

    plan = source_order(order, [vendor, cand("S1", "lyon", stock={"B": 1})], prof)

    assert sorted((a.line_id, a.location_id) for a in plan.allocations) == [
        ("1", "D1"),
        ("2", "S1"),
    ]


# -- criteria ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criterion", "better", "worse"),
    [
        ({"criterion": "distance"}, cand("Z", "versailles"), cand("A", "orleans")),
        ({"criterion": "lead_time"}, cand("Z", lead_time_hours=2), cand("A", lead_time_hours=24)),
        (
            {"criterion": "capacity"},
            cand("Z", daily_capacity=50, capacity_used=10),
            cand("A", daily_capacity=50, capacity_used=45),
        ),
        ({"criterion": "capacity"}, cand("Z"), cand("A", daily_capacity=500)),  # no limit
        (
            {"criterion": "capacity"},
            cand("Z", daily_capacity=50, capacity_used=10),
            cand("A", daily_capacity=50, capacity_used=0, open_work=45),
        ),
        (
            {"criterion": "performance"},
            cand("Z", reject_rate=0.01, short_pick_rate=0.01),
            cand("A", reject_rate=0.01, short_pick_rate=0.05),
        ),
        ({"criterion": "cost"}, cand("Z", "orleans", type="warehouse"), cand("A", "versailles")),
        ({"criterion": "stock_balance"}, cand("Z", stock={"A": 8}), cand("A", stock={"A": 2})),
        (
            {"criterion": "stock_balance"},
            cand("Z", stock={"A": 4}, on_hand={"A": 5}),
            cand("A", stock={"A": 4}, on_hand={"A": 20}),
        ),
        (
            {"criterion": "location_type", "prefer": ["dark_store", "store"]},
            cand("Z", type="dark_store"),
            cand("A"),
        ),
        (
            {"criterion": "location_type", "prefer": ["store"]},
            cand("Z"),
            cand("A", type="warehouse"),
        ),
        ({"criterion": "priority", "prefer": ["Z", "A"]}, cand("Z"), cand("A")),
    ],
)
def test_a_criterion_ranks_the_locations(
    criterion: dict[str, Any], better: Candidate, worse: Candidate
) -> None:
    # "A" sorts first by id: only the criterion makes "Z" win.
    prof = profile(
        {"name": "s", "criteria": [criterion]},
        costs={
            "warehouse": {"per_parcel": 100, "per_km": 0.5},
            "store": {"per_parcel": 400, "per_km": 1},
        },
    )

    plan = source_order(facts(), [worse, better], prof)

    assert plan.locations == ["Z"]
    scores = {c.location_id: c.scores for c in explained(plan).candidates}
    assert set(scores) == {"Z", "A"}
    assert list(scores["Z"]) == [criterion["criterion"]]


def test_within_a_band_locations_rank_equal_and_the_next_criterion_decides() -> None:
    near_slow = cand("A", "paris", lead_time_hours=48)
    farther_fast = cand("Z", "versailles", lead_time_hours=4)
    criteria = [{"criterion": "distance", "band": 50}, {"criterion": "lead_time"}]

    banded = source_order(
        facts(), [near_slow, farther_fast], profile({"name": "s", "criteria": criteria})
    )
    exact = source_order(
        facts(),
        [near_slow, farther_fast],
        profile({"name": "s", "criteria": [{"criterion": "distance"}, {"criterion": "lead_time"}]}),
    )

    assert banded.locations == ["Z"]
    assert exact.locations == ["A"]


def test_locations_equal_on_every_criterion_are_taken_by_id() -> None:
    plan = source_order(
        facts(), [cand("B"), cand("A"), cand("C")], profile({"name": "s", "criteria": []})
    )

    assert plan.locations == ["A"]


def test_the_criteria_rank_plans_of_the_same_size() -> None:
    # B alone is everywhere; A is near and C far: {A, B} beats {C, B}.
    order = facts(lines=LINES_2)
    cands = [
        cand("A", "versailles", stock={"A": 1}),
        cand("B", "orleans", stock={"B": 1}),
        cand("C", "lyon", stock={"A": 1}),
    ]

    plan = source_order(order, cands, profile({"name": "s"}))

    assert plan.locations == ["A", "B"]
    assert explained(plan).method == "exact"


def test_fewer_locations_win_over_every_criterion() -> None:
    order = facts(lines=LINES_2)
    cands = [cand("NA", stock={"A": 1}), cand("NB", stock={"B": 1}), cand("FAR", "lyon")]

    plan = source_order(
        order,
        cands,
        profile({"name": "s", "criteria": [{"criterion": "priority", "prefer": ["NA", "NB"]}]}),
    )

    assert plan.locations == ["FAR"]


# -- split policy -----------------------------------------------------------------------------


def test_a_line_is_not_split_when_the_strategy_forbids_it() -> None:
    order = facts(lines=[FactLine(line_id="1", sku="A", qty=5)])
    cands = [cand("X", stock={"A": 3}), cand("Y", stock={"A": 3})]
    whole = {"split": {"split_lines": False, "unplaced": "backorder"}}

    split = source_order(order, cands, profile({"name": "s"}))
    unsplit = source_order(
        order, cands, profile({"name": "s", **whole}, fallback={"name": "f", **whole})
    )

    assert sorted((a.location_id, a.qty) for a in split.allocations) == [("X", 3), ("Y", 2)]
    assert unsplit.allocations == []
    assert [(d.line_id, d.qty) for d in unsplit.unplaced] == [("1", 5)]
    assert explained(unsplit).strategies[0].reasons == [
        "5 unit(s) cannot be placed without splitting a line"
    ]


def test_whole_lines_of_the_same_sku_share_a_locations_stock() -> None:
    order = facts(
        lines=[FactLine(line_id="1", sku="A", qty=2), FactLine(line_id="2", sku="A", qty=3)]
    )
    whole = {"split": {"split_lines": False}}
    cands = [cand("X", stock={"A": 3}), cand("Y", stock={"A": 2})]

    plan = source_order(
        order, cands, profile({"name": "s", **whole}, fallback={"name": "f", **whole})
    )

    assert sorted((a.line_id, a.location_id, a.qty) for a in plan.allocations) == [
        ("1", "Y", 2),
        ("2", "X", 3),
    ]


def test_the_plan_never_uses_more_locations_than_the_limit() -> None:
    order = facts(lines=[FactLine(line_id=str(i), sku=s, qty=1) for i, s in enumerate("ABC")])
    cands = [cand(f"L{s}", stock={s: 1}) for s in "ABC"]
    limit = {"split": {"max_locations": 2}}

    plan = source_order(
        order, cands, profile({"name": "s", **limit}, fallback={"name": "f", **limit})
    )

    assert len(plan.locations) == 2
    assert sum(d.qty for d in plan.unplaced) == 1


# -- capacity, explanation --------------------------------------------------------------------


def test_daily_capacity_is_consumed_order_by_order() -> None:
    cands = [cand("NEAR", daily_capacity=2), cand("FAR", "lyon", daily_capacity=100)]
    prof = profile({"name": "s"})
    used = []
    for _ in range(3):
        plan = source_order(facts(), cands, prof)
        used.append(plan.locations[0])
        cands = consume_capacity(cands, plan)

    assert used == ["NEAR", "NEAR", "FAR"]
    assert [c.capacity_used for c in cands] == [2, 1]


def test_the_explanation_is_bounded_and_serialisable() -> None:
    cands = [cand(f"S{i:04d}", "lyon", stock={"A": 1}) for i in range(300)]
    cands += [cand(f"C{i:04d}", is_open=False) for i in range(50)]
    cands.append(cand("BEST", "versailles"))

    plan = source_order(facts(), cands, profile({"name": "s"}))

    exp = explained(plan)
    assert exp.profile == "p@v7"
    assert (exp.locations_considered, exp.locations_usable, exp.units) == (351, 301, 1)
    assert [c.location_id for c in exp.candidates][:2] == ["BEST", "S0000"]
    assert len(exp.candidates) == 8
    assert (exp.candidates[0].chosen, exp.candidates[0].rank) == (True, 1)
    assert [(g.filter, g.count, len(g.location_ids)) for g in exp.excluded] == [("closed", 50, 10)]
    assert SourcingPlan.model_validate_json(plan.model_dump_json()) == plan
    assert len(plan.model_dump_json()) < 3000


def test_unmet_conditions_read_as_words_not_python_lists() -> None:
    prof = profile(
        {
            "name": "special",
            "conditions": {"customer_tiers": ["gold", "vip"], "only_categories": ["apparel"]},
        }
    )
    home = [
        FactLine(line_id=str(i), sku=sku, qty=1, category="home") for i, sku in ((1, "A"), (2, "B"))
    ]
    order = facts(lines=home)

    trace = explained(source_order(order, [cand("S1")], prof)).strategies[0]

    assert trace.reasons == [
        "customer tier 'standard' is not gold or vip",
        "lines in home are outside apparel",
    ]
