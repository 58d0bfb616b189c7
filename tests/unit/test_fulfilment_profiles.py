"""Fulfilment profiles as data: what a valid profile is, which steps a fulfilment goes
through, and which profile a location runs (issue 11)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment_profiles import (
    DEFAULT_PROFILE,
    FulfilmentProfile,
    PickMode,
    Service,
    StepType,
    WaveStrategy,
    select,
)

BOUTIQUE: dict[str, Any] = {
    "id": "boutique",
    "applies_to": {"location_type": "store"},
    "steps": [
        {"type": "pick", "mode": "scan_each", "deadline": {"due": "PT4H", "express_due": "PT1H"}},
        {"type": "verify"},
        {"type": "vas", "services": ["gift_wrap", "engraving"], "deadline": {"due": "PT2H"}},
        {"type": "photo", "required": False},
        {"type": "pack"},
        {"type": "handover"},
        {"type": "ready_for_collection"},
        {"type": "collected"},
    ],
}


def profile(**changes: Any) -> FulfilmentProfile:
    return FulfilmentProfile.model_validate({**BOUTIQUE, **changes})


def test_a_boutique_scans_verifies_and_wraps_and_a_collection_skips_the_carrier() -> None:
    p = profile()

    ship = [s.key for s in p.steps_for(DeliveryMethod.SHIP)]
    collect = [s.key for s in p.steps_for(DeliveryMethod.COLLECT)]

    assert ship == ["pick", "verify", "vas", "photo", "pack", "handover"]
    assert collect == [
        "pick",
        "verify",
        "vas",
        "photo",
        "pack",
        "ready_for_collection",
        "collected",
    ]
    assert p.steps[0].pick_mode is PickMode.SCAN_EACH
    assert p.services == {Service.GIFT_WRAP, Service.ENGRAVING}
    assert p.steps[0].deadline.due_in(express=True) == timedelta(hours=1)
    assert p.steps[0].deadline.due_in(express=False) == timedelta(hours=4)


@pytest.mark.parametrize(
    ("steps", "why"),
    [
        ([{"type": "pack"}, {"type": "pick"}], "begins with its one pick step"),
        ([{"type": "pick"}, {"type": "collected"}, {"type": "ready_for_collection"}], "order"),
        ([{"type": "pick"}, {"type": "pack"}, {"type": "pack"}], "at most one pack"),
        ([{"type": "pick"}, {"type": "photo"}, {"type": "photo"}], "unique"),
        ([{"type": "pick", "required": False}, {"type": "collected"}], "cannot be skipped"),
        ([{"type": "pick"}, {"type": "vas"}], "names the services"),
        ([{"type": "pick"}, {"type": "pack", "mode": "fast"}], "mode is for a pick step"),
        ([{"type": "pick"}, {"type": "pack"}], "ends with a collected step"),
    ],
)
def test_an_incoherent_profile_is_refused_with_the_reason(
    steps: list[dict[str, Any]], why: str
) -> None:
    with pytest.raises(ValidationError, match=why):
        profile(steps=steps)


def test_a_step_that_never_applies_to_the_profiles_delivery_method_is_refused() -> None:
    with pytest.raises(ValidationError, match="handover step never applies to collect"):
        profile(
            applies_to={"delivery_method": "collect"},
            steps=[{"type": "pick"}, {"type": "handover"}, {"type": "collected"}],
        )


def test_a_ship_only_profile_needs_no_collection_step() -> None:
    p = profile(applies_to={"delivery_method": "ship"}, steps=[{"type": "pick"}, {"type": "pack"}])
    assert [s.type for s in p.steps_for(DeliveryMethod.SHIP)] == [StepType.PICK, StepType.PACK]


def test_the_most_specific_profile_wins_and_the_default_covers_the_rest() -> None:
    stores = profile(id="stores", applies_to={"location_type": "store"})
    opera = profile(id="opera", applies_to={"location_id": "ST-OPERA"})
    web_collect = profile(
        id="web-collect",
        applies_to={"channel": "web-fr", "delivery_method": "collect"},
        steps=[{"type": "pick"}, {"type": "ready_for_collection"}, {"type": "collected"}],
    )
    active = [web_collect, stores, opera]

    def chosen(location_id: str, location_type: str, method: DeliveryMethod) -> str:
        return select(
            active,
            location_id=location_id,
            location_type=location_type,
            channel="web-fr",
            method=method,
        ).id

    assert chosen("ST-OPERA", "store", DeliveryMethod.COLLECT) == "opera"
    assert chosen("ST-LYON", "store", DeliveryMethod.COLLECT) == "stores"
    assert chosen("WH-PARIS", "warehouse", DeliveryMethod.COLLECT) == "web-collect"
    assert chosen("WH-PARIS", "warehouse", DeliveryMethod.SHIP) == DEFAULT_PROFILE.id


def test_the_default_profile_is_what_every_location_did_before_profiles() -> None:
    assert [s.key for s in DEFAULT_PROFILE.steps_for(DeliveryMethod.SHIP)] == ["pick", "pack"]
    assert [s.key for s in DEFAULT_PROFILE.steps_for(DeliveryMethod.COLLECT)] == [
        "pick",
        "pack",
        "ready_for_collection",
        "collected",
    ]


def test_a_pick_step_may_be_worked_in_waves_and_no_other_step_can() -> None:
    p = profile(
        steps=[
            {"type": "pick", "waves": {"strategy": "by_zone", "max_size": 40}},
            {"type": "pack"},
            {"type": "ready_for_collection"},
            {"type": "collected"},
        ]
    )
    waves = p.steps[0].waves
    assert waves is not None
    assert (waves.strategy, waves.max_size) == (WaveStrategy.BY_ZONE, 40)
    assert DEFAULT_PROFILE.steps[0].waves is None  # order by order, as before

    with pytest.raises(ValidationError, match="waves are for a pick step"):
        profile(steps=[{"type": "pick"}, {"type": "pack", "waves": {"strategy": "by_item"}}])


def test_a_refusal_of_the_steps_as_a_whole_names_the_steps() -> None:
    with pytest.raises(ValidationError) as refused:
        profile(steps=[{"type": "pack"}, {"type": "pick"}])
    assert [e["loc"] for e in refused.value.errors()] == [("steps",)]


def test_a_scope_naming_a_location_type_that_does_not_exist_is_refused() -> None:
    # "stores" would match no location: a profile published for it would never run.
    with pytest.raises(ValidationError) as refused:
        profile(applies_to={"location_type": "stores"})
    assert [e["loc"] for e in refused.value.errors()] == [("applies_to", "location_type")]


def test_a_profile_that_ships_needs_a_pack_step() -> None:
    # Without it a shipment would stop after its pick: no parcel, no carrier, no capture.
    with pytest.raises(ValidationError, match="shipments has a pack step"):
        profile(steps=[{"type": "pick"}, {"type": "ready_for_collection"}, {"type": "collected"}])
    collect_only = profile(
        applies_to={"delivery_method": "collect"},
        steps=[{"type": "pick"}, {"type": "ready_for_collection"}, {"type": "collected"}],
    )
    assert [s.key for s in collect_only.steps] == ["pick", "ready_for_collection", "collected"]
