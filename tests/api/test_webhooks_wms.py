"""A warehouse management system's signed confirmations (issue 13, events in): pick, pack and
shipment of a warehouse's fulfilment go through its workflow as store staff's actions do, each
event id once; another location's fulfilment, a step out of turn or an unsigned request are
refused."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.db.tables import InboundEvent, InventoryPosition
from oms.domain.fulfilment_profiles import FulfilmentProfile
from tests.api.conftest import Api, Json, error_of, order_body, serving
from tests.api.test_webhooks_pos import post_signed, register

WAREHOUSE = "WH-PARIS"


def stock_only_at_the_warehouse(api: Api) -> None:
    with api.db.session() as s:
        for sku in ("SKU-TEE", "SKU-MUG"):
            opera = s.get(InventoryPosition, (sku, "ST-OPERA"))
            assert opera is not None
            opera.on_hand = 0
            s.add(opera)
            s.add(InventoryPosition(sku=sku, location_id=WAREHOUSE, on_hand=50))


async def warehouse_fulfilment(api: Api) -> tuple[Json, Json]:
    stock_only_at_the_warehouse(api)
    body = order_body()
    await api.place(body)
    view = await api.until(
        body["id"], lambda v: any(f["status"] == "AWAITING_PICK" for f in v["fulfilments"])
    )
    [fulfilment] = view["fulfilments"]
    assert fulfilment["location_id"] == WAREHOUSE
    return body, fulfilment


def wms(type_: str, fulfilment_id: str, **fields: Any) -> Json:
    return {
        "type": type_,
        "fulfilment_id": fulfilment_id,
        "occurred_at": "2026-12-08T09:00:00+00:00",
        **fields,
    }


PICKED = [{"line_id": "1", "picked": 2}, {"line_id": "2", "picked": 1}]
PARCELS = [{"weight_grams": 1200, "reference": "WH-BOX-7"}]


async def test_a_warehouse_ships_its_fulfilment_through_the_workflow(api: Api) -> None:
    secret = await register(api, "wms:paris", kind="wms", locations=[WAREHOUSE])
    body, fulfilment = await warehouse_fulfilment(api)
    fid = fulfilment["fulfilment_id"]

    picked = await post_signed(
        api, "/webhooks/wms", secret, wms("pick_confirmed", fid, lines=PICKED), "w-1"
    )
    replayed = await post_signed(
        api, "/webhooks/wms", secret, wms("pick_confirmed", fid, lines=PICKED), "w-1"
    )
    packed = await post_signed(
        api, "/webhooks/wms", secret, wms("pack_confirmed", fid, parcels=PARCELS), "w-2"
    )
    order = await api.until(body["id"], lambda v: v["status"] == "COMPLETED")
    [shipment] = order["fulfilments"]
    shipped = await post_signed(
        api,
        "/webhooks/wms",
        secret,
        wms(
            "shipped", fid, carrier=shipment["carrier"], tracking_number=shipment["tracking_number"]
        ),
        "w-3",
    )
    elsewhere = await post_signed(
        api, "/webhooks/wms", secret, wms("shipped", fid, tracking_number="OTHER-1"), "w-4"
    )

    assert picked.status_code == 200, picked.text
    assert (picked.json()["outcome"], picked.json()["status"]) == ("applied", "PICKED")
    assert (replayed.json()["applied"], replayed.json()["outcome"]) == (False, "duplicate")
    assert (packed.json()["outcome"], packed.json()["status"]) == ("applied", "PACKED")
    assert shipment["status"] == "SHIPPED"
    assert (shipped.json()["outcome"], shipped.json()["status"]) == ("confirmed", "SHIPPED")
    assert (elsewhere.status_code, error_of(elsewhere)["code"]) == (409, "tracking_mismatch")
    with api.db.reading() as s:
        position = s.get(InventoryPosition, ("SKU-TEE", WAREHOUSE))
        assert position is not None
        assert (position.on_hand, position.reserved) == (48, 0)  # picked once, gone once


async def test_a_step_out_of_turn_is_refused_and_applied_when_retried_in_turn(api: Api) -> None:
    secret = await register(api, "wms:paris", kind="wms", locations=[WAREHOUSE])
    _, fulfilment = await warehouse_fulfilment(api)
    fid = fulfilment["fulfilment_id"]
    pack = wms("pack_confirmed", fid, parcels=PARCELS)

    early = await post_signed(api, "/webhooks/wms", secret, pack, "w-pack")
    await post_signed(api, "/webhooks/wms", secret, wms("pick_confirmed", fid, lines=PICKED), "w-p")
    retried = await post_signed(api, "/webhooks/wms", secret, pack, "w-pack")

    assert (early.status_code, error_of(early)["code"]) == (409, "invalid_state")
    assert (retried.status_code, retried.json()["applied"]) == (200, True)


async def test_a_wms_speaks_only_for_its_warehouses_and_signs_now(api: Api) -> None:
    secret = await register(api, "wms:lyon", kind="wms", locations=["ST-LYON"])
    _, fulfilment = await warehouse_fulfilment(api)
    pick = wms("pick_confirmed", fulfilment["fulfilment_id"], lines=PICKED)

    not_its = await post_signed(api, "/webhooks/wms", secret, pick, "w-5")
    old = await post_signed(
        api, "/webhooks/wms", secret, pick, "w-6", timestamp=int(time.time()) - 301
    )
    unsigned = await post_signed(api, "/webhooks/wms", "whsec_nobodys-secret", pick, "w-7")
    missing = await post_signed(
        api, "/webhooks/wms", secret, wms("pick_confirmed", "NOPE.F1", lines=PICKED), "w-8"
    )

    assert (not_its.status_code, error_of(not_its)["code"]) == (403, "location_not_allowed")
    assert (old.status_code, error_of(old)["code"]) == (401, "signature_expired")
    assert (unsigned.status_code, error_of(unsigned)["code"]) == (401, "signature_mismatch")
    assert (missing.status_code, error_of(missing)["code"]) == (404, "fulfilment_not_found")
    listed = await api.http.get(
        f"/locations/{WAREHOUSE}/fulfilments?status=AWAITING_PICK", headers=api.auth("admin")
    )
    assert [f["id"] for f in listed.json()["items"]] == [fulfilment["fulfilment_id"]]


# A warehouse whose parcels wait for the carrier's pick-up: the WMS's shipment is the scan.
WAREHOUSE_PROFILE = FulfilmentProfile.model_validate(
    {
        "id": "warehouse",
        "steps": [
            {"type": "pick", "mode": "fast"},
            {"type": "pack"},
            {"type": "handover"},
            {"type": "ready_for_collection"},
            {"type": "collected"},
        ],
    }
)


@pytest.fixture
async def api_with_handover(dev_env: WorkflowEnvironment, db: Database) -> AsyncIterator[Api]:
    async with serving(dev_env, db, lambda _s, _loc, _channel, _method: WAREHOUSE_PROFILE) as api:
        yield api


async def test_a_shipment_the_wms_confirms_is_the_hand_over_to_the_carrier(
    api_with_handover: Api,
) -> None:
    api = api_with_handover
    secret = await register(api, "wms:paris", kind="wms", locations=[WAREHOUSE])
    body, fulfilment = await warehouse_fulfilment(api)
    fid = fulfilment["fulfilment_id"]
    for n, event in enumerate(
        (wms("pick_confirmed", fid, lines=PICKED), wms("pack_confirmed", fid, parcels=PARCELS))
    ):
        done = await post_signed(api, "/webhooks/wms", secret, event, f"h-{n}")
        assert done.status_code == 200, done.text
    booked = await api.until(
        body["id"], lambda v: v["fulfilments"][0]["tracking_number"] is not None
    )
    assert booked["status"] != "COMPLETED"  # the parcel waits for the carrier

    wrong = await post_signed(
        api, "/webhooks/wms", secret, wms("shipped", fid, tracking_number="NOT-OURS"), "h-2"
    )
    shipped = await post_signed(
        api, "/webhooks/wms", secret, wms("shipped", fid, tracking_number="WH-BOX-7"), "h-3"
    )

    assert (wrong.status_code, error_of(wrong)["code"]) == (409, "tracking_mismatch")
    assert (shipped.json()["outcome"], shipped.json()["status"]) == ("applied", "SHIPPED")
    order = await api.until(body["id"], lambda v: v["status"] == "COMPLETED")
    assert order["fulfilments"][0]["status"] == "SHIPPED"


async def test_an_event_whose_answer_was_lost_is_not_applied_twice(api: Api) -> None:
    secret = await register(api, "wms:paris", kind="wms", locations=[WAREHOUSE])
    body, fulfilment = await warehouse_fulfilment(api)
    fid = fulfilment["fulfilment_id"]
    short = [{"line_id": "1", "picked": 1, "short_reason": "damaged"}, PICKED[1]]
    pick = wms("pick_confirmed", fid, lines=short)
    first = await post_signed(api, "/webhooks/wms", secret, pick, "w-lost")
    with api.db.session() as s:  # as if the API died once the workflow had taken it
        for noted in s.exec(select(InboundEvent)):
            s.delete(noted)

    again = await post_signed(api, "/webhooks/wms", secret, pick, "w-lost")

    assert first.json()["status"] == "PICKED"
    assert (again.status_code, again.json()["applied"]) == (200, True)
    with api.db.reading() as s:
        position = s.get(InventoryPosition, ("SKU-TEE", WAREHOUSE))
        assert position is not None
        assert position.on_hand == 49  # the damaged unit written off once
