"""A collection and its store: served there, or transferred there where the profile allows."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from oms.domain.fulfilment_profiles import FulfilmentProfile
from oms.domain.geo import GeoPoint
from oms.domain.sourcing import (
    Candidate,
    FactLine,
    OrderFacts,
    source_collect,
    stores_holding,
)
from oms.domain.sourcing.profiles import DeliveryKind, SourcingProfile

OPERA = GeoPoint(lat=48.871, lon=2.332)


def profile(**changes: Any) -> SourcingProfile:
    body: dict[str, Any] = {
        "id": "web",
        "version": 1,
        "strategies": [{"name": "nearest"}],
        "fallback": {"name": "rest"},
        **changes,
    }
    return SourcingProfile.model_validate(body)


def place(loc: str, kind: str, lat: float, lon: float, **available: int) -> Candidate:
    stock = {f"SKU-{sku.upper()}": qty for sku, qty in available.items()}
    return Candidate(location_id=loc, type=kind, point=GeoPoint(lat=lat, lon=lon), available=stock)


FACTS = OrderFacts(
    channel="web-fr",
    delivery=DeliveryKind.COLLECT,
    lines=[
        FactLine(line_id="1", sku="SKU-TEE", qty=2, category="apparel"),
        FactLine(line_id="2", sku="SKU-MUG", qty=1, category="home"),
    ],
)
WAREHOUSE = place("WH-PARIS", "warehouse", 48.70, 2.40, tee=10, mug=10)
LYON = place("ST-LYON", "store", 45.76, 4.835, tee=10, mug=10)
BASTILLE = place("ST-BASTILLE", "store", 48.853, 2.369, tee=10, mug=10)


def test_a_store_that_has_the_cart_serves_it_without_a_transfer() -> None:
    at_opera = place("ST-OPERA", "store", 48.871, 2.332, tee=5, mug=5)

    plan = source_collect(
        FACTS,
        [at_opera, WAREHOUSE],
        profile(transfer_to_store=True),
        store_id="ST-OPERA",
        store_point=OPERA,
    )

    assert plan.locations == ["ST-OPERA"]
    assert plan.transfers == {}
    assert plan.explanation is not None
    assert plan.explanation.transfer_to_store is True
    assert plan.explanation.transfers == []


def test_what_the_store_lacks_comes_from_the_location_nearest_the_store() -> None:
    # The store has the tees but no mug; the warehouse is nearer the store than Lyon
    at_opera = place("ST-OPERA", "store", 48.871, 2.332, tee=5)

    plan = source_collect(
        FACTS,
        [at_opera, LYON, WAREHOUSE],
        profile(transfer_to_store=True),
        store_id="ST-OPERA",
        store_point=OPERA,
    )

    assert [(a.location_id, a.line_id, a.qty) for a in plan.allocations] == [
        ("ST-OPERA", "1", 2),
        ("WH-PARIS", "2", 1),
    ]
    assert plan.unplaced == []
    assert plan.transfers == {"WH-PARIS": "ST-OPERA"}
    explanation = plan.explanation
    assert explanation is not None
    [note] = explanation.transfers
    assert (note.from_location, note.to_store, note.line_ids, note.units) == (
        "WH-PARIS",
        "ST-OPERA",
        ["2"],
        1,
    )
    assert note.reason.startswith("transfer_to_store from WH-PARIS to store ST-OPERA")
    assert explanation.transfer_decision is not None
    assert [c.location_id for c in explanation.transfer_decision.candidates][:2] == [
        "WH-PARIS",
        "ST-LYON",
    ]
    # Distances to the store, and the explanation says so.
    to = explanation.transfer_decision.destination
    assert to is not None
    assert (to.source, to.area, to.lat, to.lon) == ("store", "ST-OPERA", OPERA.lat, OPERA.lon)


def test_without_transfers_what_the_store_lacks_is_unplaced() -> None:
    plan = source_collect(
        FACTS, [WAREHOUSE, LYON], profile(), store_id="ST-OPERA", store_point=OPERA
    )

    assert plan.allocations == []
    assert sum(d.qty for d in plan.unplaced) == 3
    assert plan.transfers == {}
    assert plan.explanation is not None
    assert plan.explanation.transfer_to_store is False


def test_stores_holding_the_whole_cart_are_named_nearest_the_pickup_store_first() -> None:
    closed = place("ST-CLOSED", "store", 48.87, 2.33, tee=9, mug=9).model_copy(
        update={"is_open": False}
    )
    short = place("ST-SHORT", "store", 48.87, 2.33, tee=1, mug=9)

    named = stores_holding(
        [LYON, WAREHOUSE, closed, short, BASTILLE],
        {"SKU-TEE": 2, "SKU-MUG": 1},
        near=OPERA,
        leave_out="ST-OPERA",
    )

    assert named == ["ST-BASTILLE", "ST-LYON"]


def test_transfer_to_store_is_a_yes_or_no_in_the_profile_document() -> None:
    assert profile().transfer_to_store is False
    assert profile(transfer_to_store=True).transfer_to_store is True
    with pytest.raises(ValidationError, match="transfer_to_store"):
        profile(transfer_to_store="sometimes")


def test_a_fulfilment_profile_cannot_list_the_receive_step_a_transfer_adds() -> None:
    with pytest.raises(ValidationError, match="receive step is added by a transfer"):
        FulfilmentProfile.model_validate(
            {
                "id": "p",
                "steps": [
                    {"type": "pick"},
                    {"type": "pack"},
                    {"type": "receive"},
                    {"type": "ready_for_collection"},
                    {"type": "collected"},
                ],
            }
        )
