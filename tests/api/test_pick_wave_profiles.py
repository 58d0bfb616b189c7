"""A wave built as the location's fulfilment profile says: its pick step's `waves` setting
gives the strategy and size a request leaves out; the request's own values still win."""

from __future__ import annotations

from typing import Any

from oms.db import fulfilment_profiles
from tests.api.conftest import Api, error_of, order_body

GROCER = {
    "id": "grocer-opera",
    "applies_to": {"location_id": "ST-OPERA"},
    "steps": [
        {"type": "pick", "mode": "fast", "waves": {"strategy": "by_item", "max_size": 1}},
        {"type": "pack"},
        {"type": "ready_for_collection"},
        {"type": "collected"},
    ],
}


async def build(api: Api, body: dict[str, Any]) -> Any:
    return await api.http.post(
        "/locations/ST-OPERA/pick-waves", json=body, headers=api.auth("opera")
    )


async def test_a_wave_takes_what_the_request_leaves_out_from_the_locations_profile(
    api: Api,
) -> None:
    with api.db.session() as s:
        fulfilment_profiles.create_draft(s, GROCER, created_by="test")
        fulfilment_profiles.publish(s, "grocer-opera", 1)
    first = (await api.awaiting_pick(order_body()))["id"]
    second = (await api.awaiting_pick(order_body()))["id"]

    by_profile = await build(api, {})
    assert by_profile.status_code == 201, by_profile.text
    wave = by_profile.json()
    assert (wave["strategy"], wave["max_fulfilments"]) == ("by_item", 1)
    assert wave["fulfilment_ids"] == [first]

    # What the request says wins; what it leaves out still comes from the profile
    by_request = await build(api, {"strategy": "per_order"})
    assert by_request.status_code == 201, by_request.text
    wave = by_request.json()
    assert (wave["strategy"], wave["max_fulfilments"]) == ("per_order", 1)
    assert wave["fulfilment_ids"] == [second]


async def test_a_wave_without_a_strategy_from_the_request_or_the_profile_is_refused(
    api: Api,
) -> None:
    # No profile at the Opéra picks in waves: the built-in one picks order by order
    refused = await build(api, {"max_fulfilments": 5})

    assert refused.status_code == 422
    error = error_of(refused)
    assert (error["code"], error["field"]) == ("wave_strategy_required", "strategy")
