"""The blend of given relations and learnt affinity, and the verdict on where a candidate is:
pure, on hand-made figures."""

from __future__ import annotations

import random

from oms.domain.availability import ChannelAtp, ChannelTerms
from oms.domain.recommendations import Link, RelationKind, basket_counts, neighbours_of, rank
from oms.domain.recommendations.relations import Relation, duplicates

TERMS = ChannelTerms(network_atp=0, counted_on_hand=0, buffer=0, buffer_rule=None, excluded_by=None)


def atp(sku: str, **by_location: int) -> ChannelAtp:
    return ChannelAtp(
        sku=sku,
        channel_id="web",
        atp=sum(by_location.values()),
        terms=TERMS,
        by_location=by_location,
        locations=[],
    )


def nowhere(_loc: str) -> float | None:
    return None


def test_given_relations_come_first_by_weight_then_learnt_ones() -> None:
    links = [
        Link(anchor="TEE", sku="CAP", together=400, lift=40.0),  # learnt only, strong
        Link(anchor="TEE", sku="MUG", kind=RelationKind.RELATED, weight=0.2),
        Link(anchor="TEE", sku="JEAN", kind=RelationKind.ACCESSORY, weight=0.9),
    ]
    figures = {sku: atp(sku, A=5) for sku in ("CAP", "MUG", "JEAN")}

    got = rank(links, figures, ["A"], distance=nowhere, limit=10)

    assert [r.sku for r in got] == ["JEAN", "MUG", "CAP"]
    assert got[0].reason == "accessory of TEE"
    assert got[2].reason == "co-bought 400 times with TEE"
    assert got[0].score > got[1].score > got[2].score


def test_what_the_channel_cannot_promise_is_never_offered() -> None:
    links = [
        Link(anchor="TEE", sku="MUG", kind=RelationKind.RELATED),
        Link(anchor="TEE", sku="GONE", kind=RelationKind.RELATED),
        Link(anchor="TEE", sku="UNKNOWN", kind=RelationKind.RELATED),
    ]
    figures = {"MUG": atp("MUG", A=1), "GONE": atp("GONE", A=0), "UNKNOWN": None}

    got = rank(links, figures, ["A"], distance=nowhere, limit=10)

    assert [r.sku for r in got] == ["MUG"]


def test_an_item_elsewhere_adds_a_shipment_and_ranks_after_one_that_ships_with_the_cart() -> None:
    links = [
        Link(anchor="TEE", sku="MUG", kind=RelationKind.RELATED, weight=1.0),
        Link(anchor="TEE", sku="JEAN", kind=RelationKind.RELATED, weight=0.1),
    ]
    figures = {"MUG": atp("MUG", FAR=3, NEAR=2), "JEAN": atp("JEAN", A=1)}
    km = {"FAR": 500.0, "NEAR": 10.0, "A": 0.0}

    got = rank(links, figures, ["A"], distance=km.get, limit=10)

    assert [(r.sku, r.ships_from, r.extra_shipment) for r in got] == [
        ("JEAN", "A", False),
        ("MUG", "NEAR", True),
    ]


def test_the_cart_itself_is_not_recommended_and_the_best_anchor_gives_the_reason() -> None:
    links = [
        Link(anchor="TEE", sku="MUG", together=5, lift=2.0),
        Link(anchor="JEAN", sku="MUG", kind=RelationKind.UPSELL, weight=0.5),
        Link(anchor="TEE", sku="JEAN", kind=RelationKind.RELATED),
    ]
    figures = {"MUG": atp("MUG", A=1), "JEAN": atp("JEAN", A=1)}

    got = rank(links, figures, ["A"], distance=nowhere, skip={"TEE", "JEAN"}, limit=10)

    assert [(r.sku, r.reason) for r in got] == [("MUG", "upsell of JEAN")]


def test_a_relation_to_itself_or_named_twice_is_refused() -> None:
    relations = [
        Relation(sku="MUG", kind=RelationKind.RELATED),
        Relation(sku="TEE", kind=RelationKind.RELATED),
        Relation(sku="MUG", kind=RelationKind.RELATED, weight=0.5),
        Relation(sku="MUG", kind=RelationKind.SUBSTITUTE),
    ]
    assert duplicates("TEE", relations) == [1, 2]


def test_lift_finds_planted_pairs_among_random_baskets() -> None:
    rng = random.Random(7)
    skus = [f"S{i:03}" for i in range(300)]
    planted = {"S010": {"S200", "S201", "S202"}, "S020": {"S210", "S211", "S212"}}
    baskets = []
    for _ in range(5000):
        basket = set(rng.sample(skus, rng.randint(1, 4)))
        for anchor, partners in planted.items():
            if anchor in basket or rng.random() < 0.02:
                basket |= {anchor, *rng.sample(sorted(partners), 2)}
        baskets.append(basket)

    n, items, pairs = basket_counts(baskets)
    for anchor, partners in planted.items():
        together = {b if a == anchor else a: c for (a, b), c in pairs.items() if anchor in (a, b)}
        top = neighbours_of(anchor, together, items, n, top=3)
        assert {x.neighbour for x in top} == partners
        assert top[0].rank == 0
        assert top[0].lift > 1


def test_a_pair_under_the_minimum_support_is_not_a_neighbour() -> None:
    n, items, pairs = basket_counts([{"A", "B"}, {"A", "B"}, {"A", "C"}, {"A", "C"}, {"A", "C"}])
    together = {"B": pairs[("A", "B")], "C": pairs[("A", "C")]}

    assert [x.neighbour for x in neighbours_of("A", together, items, n)] == ["C"]
