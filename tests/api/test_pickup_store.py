"""A click & collect order moved to another store over HTTP: PATCH /orders/{id}/delivery with
{"store_id": ...}; the body gives an address or a store, the store is checked as POST /orders
checks it, and a refusal answers its code (docs/order-edits.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from oms.db import orders as order_repo
from oms.db.stock_updates import AbsoluteUpdate, apply_absolute_many
from oms.db.tables import Location
from oms.services.customer_messages import write_messages
from tests.api.conftest import (
    Api,
    Json,
    close_store,
    collect_body,
    error_of,
    order_body,
    phone_body,
)
from tests.api.test_order_edits import LYON
from tests.api.test_order_edits import _picked as picked


def _stock_at_bastille(api: Api) -> None:
    with api.db.session() as s:
        apply_absolute_many(
            s,
            [
                AbsoluteUpdate(sku="SKU-TEE", location_id="ST-BASTILLE", on_hand=10),
                AbsoluteUpdate(sku="SKU-MUG", location_id="ST-BASTILLE", on_hand=10),
            ],
        )


async def _move(api: Api, order_id: str, body: Json, **headers: str) -> Json:
    response = await api.http.patch(
        f"/orders/{order_id}/delivery", json=body, headers={**api.auth("analyst"), **headers}
    )
    return {"status": response.status_code, "body": response.json()}


async def test_a_collection_before_its_pick_moves_to_another_store(api: Api) -> None:
    _stock_at_bastille(api)
    body = collect_body()
    await api.awaiting_pick(body)

    moved = await _move(api, body["id"], {"store_id": "ST-BASTILLE"})

    assert moved["status"] == 200, moved
    view = moved["body"]
    assert view["store_id"] == "ST-BASTILLE"
    [entry] = [e for e in view["timeline"] if e["type"] == "pickup_store_changed"]
    assert (entry["detail"]["from"], entry["detail"]["to"]) == ("ST-OPERA", "ST-BASTILLE")
    assert entry["actor"] == "analyst:test-analyst"
    # Bastille now has it on its pick list
    await api.until_fulfilment(
        body["id"], "AWAITING_PICK", location_id="ST-BASTILLE", role="bastille"
    )
    with api.db.reading() as s:
        row = order_repo.get_order(s, body["id"])
        assert row is not None
        assert row.payload["delivery"]["store_id"] == "ST-BASTILLE"
        bastille = s.get(Location, "ST-BASTILLE")
        assert bastille is not None
    # The customer is told where to go now (the "ready" message with the code follows).
    with api.db.session() as s:
        write_messages(s, now=datetime.now(UTC), limit=50)
    listed = await api.http.get(f"/orders/{body['id']}/messages", headers=api.auth("analyst"))
    [told] = [m for m in listed.json()["items"] if m["kind"] == "pickup_store_changed"]
    assert bastille.name in told["subject"], told


async def test_a_move_retried_with_its_idempotency_key_is_made_once(api: Api) -> None:
    _stock_at_bastille(api)
    body = collect_body()
    await api.awaiting_pick(body)

    first = await _move(api, body["id"], {"store_id": "ST-BASTILLE"}, **{"Idempotency-Key": "k1"})
    again = await _move(api, body["id"], {"store_id": "ST-BASTILLE"}, **{"Idempotency-Key": "k1"})

    assert (first["status"], again["status"]) == (200, 200)
    types = [e["type"] for e in again["body"]["timeline"]]
    assert (types.count("pickup_store_changed"), types.count("resourced")) == (1, 1)


async def test_the_store_it_is_collected_at_already_is_accepted_and_changes_nothing(
    api: Api,
) -> None:
    body = collect_body()
    await api.awaiting_pick(body)

    same = await _move(api, body["id"], {"store_id": "ST-OPERA"})

    assert same["status"] == 200, same
    assert same["body"]["store_id"] == "ST-OPERA"
    assert "pickup_store_changed" not in [e["type"] for e in same["body"]["timeline"]]
    assert [f["location_id"] for f in same["body"]["fulfilments"]] == ["ST-OPERA"]


async def test_a_body_gives_an_address_or_a_store_and_nothing_else(api: Api) -> None:
    body = collect_body()
    await api.place(body)

    neither = await _move(api, body["id"], {})
    both = await _move(api, body["id"], {"address": LYON, "store_id": "ST-BASTILLE"})
    speed = await _move(api, body["id"], {"store_id": "ST-BASTILLE", "express": True})
    blank = await _move(api, body["id"], {"store_id": ""})

    assert (neither["status"], neither["body"]["code"], neither["body"]["field"]) == (
        422,
        "required",
        "address",
    )
    assert (both["status"], both["body"]["field"]) == (422, "store_id")
    assert (speed["status"], speed["body"]["field"]) == (422, "express")
    assert (blank["status"], blank["body"]["field"]) == (422, "store_id")


async def test_a_store_post_orders_would_refuse_is_refused_with_its_code(api: Api) -> None:
    close_store(api.db, "ST-LYON")
    body = collect_body()
    await api.place(body)
    url = f"/orders/{body['id']}/delivery"
    headers = api.auth("analyst")

    answers = [
        await api.http.patch(url, json={"store_id": store}, headers=headers)
        for store in ("ST-NOWHERE", "WH-PARIS", "ST-LYON")
    ]

    assert [r.status_code for r in answers] == [422, 422, 422]
    errors = [error_of(r) for r in answers]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("store_id", "unknown_store"),
        ("store_id", "not_a_store"),
        ("store_id", "store_closed"),
    ]


async def test_a_shipment_has_no_store_and_a_collection_no_address(api: Api) -> None:
    shipped, collected = order_body(), collect_body()
    await api.place(shipped)
    await api.place(collected)

    store = await _move(api, shipped["id"], {"store_id": "ST-BASTILLE"})
    address = await _move(api, collected["id"], {"address": LYON})

    assert (store["status"], store["body"]["code"]) == (409, "not_a_collection")
    assert (address["status"], address["body"]["code"]) == (409, "not_a_shipment")


async def test_once_the_store_has_picked_it_the_move_is_409_past_the_point_of_no_return(
    api: Api,
) -> None:
    _stock_at_bastille(api)
    body = collect_body()
    await picked(api, body)

    moved = await _move(api, body["id"], {"store_id": "ST-BASTILLE"})

    assert (moved["status"], moved["body"]["code"]) == (409, "past_point_of_no_return")


async def test_a_store_without_the_cart_is_422_not_available_at_store(api: Api) -> None:
    body = collect_body()  # Bastille has none of it, and nothing is transferred to a store
    await api.awaiting_pick(body)

    moved = await _move(api, body["id"], {"store_id": "ST-BASTILLE"})

    assert moved["status"] == 422, moved
    assert (moved["body"]["code"], moved["body"]["field"]) == ("not_available_at_store", "store_id")
    view = await api.until(body["id"], lambda v: v["store_id"] == "ST-OPERA")
    assert [f["location_id"] for f in view["fulfilments"]] == ["ST-OPERA"]


async def test_an_order_in_review_moves_only_to_a_store_that_can_have_the_cart(api: Api) -> None:
    # Held for a fraud review, it holds no stock yet: the new store is checked as POST /orders
    # checks one (Bastille has no phone and nothing is transferred to a store; Opéra has).
    body = phone_body()
    body["delivery"] = {"method": "collect", "store_id": "ST-OPERA"}
    await api.place(body)
    await api.until(body["id"], lambda v: v["status"] == "AWAITING_REVIEW")

    lacking = await _move(api, body["id"], {"store_id": "ST-BASTILLE"})
    with api.db.session() as s:
        apply_absolute_many(
            s, [AbsoluteUpdate(sku="SKU-PHONE", location_id="ST-BASTILLE", on_hand=3)]
        )
    moved = await _move(api, body["id"], {"store_id": "ST-BASTILLE"})

    assert lacking["status"] == 422, lacking
    assert (lacking["body"]["code"], lacking["body"]["field"]) == (
        "not_available_at_store",
        "store_id",
    )
    assert "ST-OPERA" in lacking["body"]["reason"]  # where the cart can be collected
    assert moved["status"] == 200, moved
    assert (moved["body"]["store_id"], moved["body"]["status"]) == (
        "ST-BASTILLE",
        "AWAITING_REVIEW",
    )
