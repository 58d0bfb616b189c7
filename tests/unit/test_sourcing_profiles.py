"""Sourcing profiles as documents: validation, immutability, which one is active."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from oms.domain.sourcing.profiles import (
    DEFAULT_PROFILE,
    ProfileConflict,
    ProfileStatus,
    SourcingProfile,
    active_profile,
)


def doc(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "web",
        "version": 3,
        "status": "active",
        "channel": "web-fr",
        "strategies": [
            {
                "name": "vip-flagship",
                "conditions": {"customer_tiers": ["vip"]},
                "filters": {"networks": ["flagships"]},
                "criteria": [{"criterion": "distance", "band": 50}, {"criterion": "cost"}],
                "split": {"max_locations": 1, "split_lines": False, "unplaced": "hold"},
            }
        ],
        "fallback": {"name": "anywhere"},
        "costs": {"store": {"per_parcel": 500, "per_km": 1.2}, "*": {"per_parcel": 300}},
    }
    body.update(changes)
    return body


def strategy(**changes: Any) -> dict[str, Any]:
    return {"name": "s1", **changes}


def error_of(body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as err:
        SourcingProfile.model_validate(body)
    return str(err.value)


def test_a_profile_document_round_trips_through_json() -> None:
    profile = SourcingProfile.model_validate(doc())

    again = SourcingProfile.model_validate_json(profile.model_dump_json())

    assert again == profile
    assert profile.ref == "web@v3"
    assert profile.strategies[0].split.unplaced == "hold"
    assert profile.cost_rate("store").per_km == 1.2
    assert profile.cost_rate("warehouse").per_parcel == 300  # the '*' rate


def test_a_published_profile_cannot_be_changed_in_place() -> None:
    profile = SourcingProfile.model_validate(doc())

    with pytest.raises(ValidationError):
        profile.version = 4  # type: ignore[misc]
    with pytest.raises(ValidationError):
        profile.strategies[0].split.max_locations = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (doc(strategies=[]), "at least 1 item"),
        (doc(strategies=[strategy(criteria=[{"criterion": "closest"}])]), "'distance'"),
        (doc(strategies=[strategy(split={"max_locations": 0})]), "greater than or equal to 1"),
        (doc(strategies=[strategy(filters={"min_stock_cover": -1})]), "greater than or equal"),
        (doc(strategies=[strategy(filters={"max_distance_km": 0})]), "greater than 0"),
        (doc(strategies=[strategy(criteria=[{"criterion": "distance", "band": -5}])]), "greater"),
        (doc(strategies=[strategy(name="anywhere")]), "'anywhere' is used twice"),
        (doc(fallback=strategy(conditions={"channels": ["web-fr"]})), "takes no conditions"),
        (doc(strategies=[strategy(conditions={"countries": []})]), "empty list matches no order"),
        (
            doc(strategies=[strategy(conditions={"min_order_value": 9, "max_order_value": 1})]),
            "min order value 9 is above max order value 1",
        ),
        (doc(strategies=[strategy(criteria=[{"criterion": "priority"}])]), "needs a 'prefer'"),
        (
            doc(strategies=[strategy(criteria=[{"criterion": "distance", "prefer": ["x"]}])]),
            "takes no 'prefer'",
        ),
        (
            doc(strategies=[strategy(criteria=[{"criterion": "distance"}] * 2)]),
            "listed twice",
        ),
        (doc(costs={}), "criterion 'cost' needs a cost model"),
        (doc(strategies=[strategy(filters={"location_types": []})]), "excludes every location"),
        (doc(strategies=[strategy(split={"unplaced": "drop"})]), "'backorder', 'hold'"),
        (doc(strategies=[strategy(filter={"open_only": False})]), "Extra inputs"),
        (doc(version=0), "greater than or equal to 1"),
        (doc(status="published"), "'draft', 'active' or 'inactive'"),
    ],
)
def test_a_bad_profile_is_refused_with_the_reason(body: dict[str, Any], message: str) -> None:
    assert message in error_of(body)


def profile(pid: str, channel: str | None, status: ProfileStatus) -> SourcingProfile:
    return SourcingProfile.model_validate(
        {
            "id": pid,
            "version": 1,
            "status": status,
            "channel": channel,
            "strategies": [{"name": "s"}],
            "fallback": {"name": "f"},
        }
    )


def test_the_channels_active_profile_wins_over_the_default_one() -> None:
    mine = profile("web", "web-fr", ProfileStatus.ACTIVE)
    default = profile("all", None, ProfileStatus.ACTIVE)
    draft = profile("next", "web-fr", ProfileStatus.DRAFT)

    assert active_profile([draft, default, mine], "web-fr") is mine
    assert active_profile([draft, default, mine], "app-fr") is default
    assert active_profile([draft], "web-fr") is DEFAULT_PROFILE


def test_two_active_profiles_for_one_channel_are_a_conflict() -> None:
    profiles = [
        profile("a", "web-fr", ProfileStatus.ACTIVE),
        profile("b", "web-fr", ProfileStatus.ACTIVE),
    ]

    with pytest.raises(ProfileConflict, match="a@v1, b@v1"):
        active_profile(profiles, "web-fr")


def test_an_orders_region_is_its_country_and_postal_code_prefix() -> None:
    from oms.domain.sourcing import OrderFacts
    from tests.factories import order

    facts = OrderFacts.of(order("R1"), {})
    assert (facts.country, facts.region) == ("FR", "FR-75")
    collect = order("R2", delivery={"method": "collect", "store_id": "ST-OPERA"})
    assert OrderFacts.of(collect, {}).region is None
