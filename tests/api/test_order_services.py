"""A collection whose line asks a service its store does not perform is refused at intake: it
could never be sourced there, and would otherwise be accepted, then cancelled."""

from __future__ import annotations

from oms.db import fulfilment_profiles
from tests.api.conftest import Api, error_of, order_body

COLLECT = {"method": "collect", "store_id": "ST-OPERA"}
LINES = [
    {"line_id": "1", "sku": "SKU-TEE", "quantity": 1, "unit_price": 1999},
    {
        "line_id": "2",
        "sku": "SKU-MUG",
        "quantity": 1,
        "unit_price": 899,
        "services": ["gift_wrap", "engraving"],
    },
]
WRAPS = {
    "id": "opera-wraps",
    "applies_to": {"location_id": "ST-OPERA"},
    "steps": [
        {"type": "pick"},
        {"type": "vas", "services": ["gift_wrap", "engraving"]},
        {"type": "pack"},
        {"type": "ready_for_collection"},
        {"type": "collected"},
    ],
}


async def test_a_collection_asking_a_service_its_store_does_not_offer_is_refused(
    api: Api,
) -> None:
    body = order_body(lines=LINES, delivery=COLLECT)

    refused = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert refused.status_code == 422, refused.text
    [error] = error_of(refused)["errors"]
    assert (error["field"], error["code"]) == ("lines[1].services", "service_not_offered")
    assert "engraving, gift_wrap" in error["reason"]


async def test_a_collection_at_a_store_that_performs_the_services_is_accepted(api: Api) -> None:
    with api.db.session() as s:
        fulfilment_profiles.create_draft(s, WRAPS, created_by="test")
        fulfilment_profiles.publish(s, "opera-wraps", 1)

    await api.place(order_body(lines=LINES, delivery=COLLECT))
