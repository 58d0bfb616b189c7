"""PUT, GET and DELETE /carts/{cart_id}/hold, and an order that takes over its cart's hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowExecutionStatus

from oms.keys import cart_hold_workflow_id
from tests.api.conftest import Api, Json, error_of, new_id, order_body
from tests.holds import add_channel, assert_ledger_matches_positions, reserved, set_on_hand


def hold_body(lines: dict[str, int], **extra: Any) -> Json:
    return {
        "channel": "web-fr",
        "lines": [{"sku": sku, "quantity": q} for sku, q in lines.items()],
        **extra,
    }


async def put(api: Api, cart_id: str, body: Json, role: str = "storefront") -> Any:
    return await api.http.put(f"/carts/{cart_id}/hold", json=body, headers=api.auth(role))


async def test_a_storefront_holds_a_cart_and_reads_where_each_line_is_held(api: Api) -> None:
    add_channel(api.db)
    set_on_hand(api.db, {("SKU-TEE", "WH-PARIS"): 150})
    cart = new_id("CART")

    response = await put(api, cart, hold_body({"SKU-TEE": 120, "SKU-MUG": 2}, ttl_seconds=600))

    assert response.status_code == 200, response.text
    hold = response.json()
    assert (hold["cart_id"], hold["channel"], hold["status"]) == (cart, "web-fr", "held")
    assert hold["lines"] == [
        {
            "sku": "SKU-TEE",
            "quantity": 120,
            "locations": [
                {"location_id": "WH-PARIS", "quantity": 120},
            ],
        },
        {
            "sku": "SKU-MUG",
            "quantity": 2,
            "locations": [{"location_id": "ST-OPERA", "quantity": 2}],
        },
    ]
    expires = datetime.fromisoformat(hold["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(seconds=600))) < timedelta(seconds=30)
    read = await api.http.get(f"/carts/{cart}/hold", headers=api.auth("storefront"))
    assert read.json() == hold
    assert reserved(api.db, "SKU-TEE", "WH-PARIS") == 120
    timer = api.harness.client.get_workflow_handle(cart_hold_workflow_id(cart))
    assert (await timer.describe()).status is WorkflowExecutionStatus.RUNNING
    await timer.terminate(reason="test finished")


async def test_the_ttl_defaults_to_fifteen_minutes(api: Api) -> None:
    add_channel(api.db)
    cart = new_id("CART")

    hold = (await put(api, cart, hold_body({"SKU-MUG": 1}))).json()

    expires = datetime.fromisoformat(hold["expires_at"])
    assert abs(expires - datetime.fromisoformat(hold["updated_at"]) - timedelta(minutes=15)) < (
        timedelta(seconds=1)
    )


async def test_holding_more_than_the_channel_can_promise_is_a_409_naming_the_line(
    api: Api,
) -> None:
    add_channel(api.db)
    cart = new_id("CART")

    response = await put(api, cart, hold_body({"SKU-MUG": 1, "SKU-TEE": 101}))

    assert response.status_code == 409, response.text
    body = error_of(response)
    assert (body["code"], body["field"]) == ("insufficient_stock", "lines[1].quantity")
    assert "SKU-TEE" in body["reason"]
    assert "100 available" in body["reason"]
    assert reserved(api.db, "SKU-MUG", "ST-OPERA") == 0
    missing = await api.http.get(f"/carts/{cart}/hold", headers=api.auth("storefront"))
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "hold_not_found"


async def test_an_unknown_channel_or_sku_and_a_bad_ttl_or_cart_id_are_refused(api: Api) -> None:
    add_channel(api.db)
    cart = new_id("CART")

    channel = await put(api, cart, {**hold_body({"SKU-TEE": 1}), "channel": "nowhere"})
    sku = await put(api, cart, hold_body({"SKU-TEE": 1, "NOPE": 1}))
    short_ttl = await put(api, cart, hold_body({"SKU-TEE": 1}, ttl_seconds=59))
    long_ttl = await put(api, cart, hold_body({"SKU-TEE": 1}, ttl_seconds=86_401))
    zero = await put(api, cart, hold_body({"SKU-TEE": 0}))
    long_id = await put(api, "C" * 59, hold_body({"SKU-TEE": 1}))

    assert (channel.status_code, error_of(channel)["code"]) == (422, "channel_not_found")
    assert error_of(channel)["field"] == "channel"
    assert (sku.status_code, error_of(sku)["code"], error_of(sku)["field"]) == (
        422,
        "unknown_sku",
        "lines[1].sku",
    )
    assert (short_ttl.status_code, error_of(short_ttl)["field"]) == (422, "ttl_seconds")
    assert (long_ttl.status_code, error_of(long_ttl)["code"]) == (422, "out_of_range")
    assert (zero.status_code, error_of(zero)["field"]) == (422, "lines[0].quantity")
    assert (long_id.status_code, error_of(long_id)["field"]) == (422, "cart_id")
    assert_ledger_matches_positions(api.db)


async def test_a_new_put_replaces_the_hold_and_the_same_put_again_only_extends_it(
    api: Api,
) -> None:
    add_channel(api.db)
    cart = new_id("CART")
    await put(api, cart, hold_body({"SKU-TEE": 60}))

    # 100 tees: 90 can be held by this cart, the 60 it holds included.
    replaced = await put(api, cart, hold_body({"SKU-TEE": 90}))
    first = (await put(api, cart, hold_body({"SKU-TEE": 90}, ttl_seconds=60))).json()
    again = (await put(api, cart, hold_body({"SKU-TEE": 90}, ttl_seconds=3600))).json()

    assert replaced.status_code == 200, replaced.text
    assert reserved(api.db, "SKU-TEE", "ST-OPERA") == 90
    assert again["expires_at"] > first["expires_at"]
    assert again["lines"] == first["lines"]
    assert_ledger_matches_positions(api.db)
    await api.harness.client.get_workflow_handle(cart_hold_workflow_id(cart)).terminate()


async def test_deleting_a_hold_gives_the_stock_back_and_is_safe_to_repeat(api: Api) -> None:
    add_channel(api.db)
    cart = new_id("CART")
    await put(api, cart, hold_body({"SKU-PHONE": 100}))
    other = await put(api, new_id("CART"), hold_body({"SKU-PHONE": 1}))

    first = await api.http.delete(f"/carts/{cart}/hold", headers=api.auth("storefront"))
    again = await api.http.delete(f"/carts/{cart}/hold", headers=api.auth("storefront"))
    never = await api.http.delete("/carts/NEVER/hold", headers=api.auth("storefront"))
    now_other = await put(api, new_id("CART"), hold_body({"SKU-PHONE": 100}))

    assert other.status_code == 409
    assert (first.status_code, first.json()["status"]) == (200, "released")
    assert (again.status_code, again.json()["status"]) == (200, "released")
    assert (never.status_code, error_of(never)["code"]) == (404, "hold_not_found")
    assert now_other.status_code == 200, now_other.text
    assert_ledger_matches_positions(api.db)


async def test_only_storefronts_hold_carts(api: Api) -> None:
    add_channel(api.db)
    body = hold_body({"SKU-TEE": 1})

    anonymous = await api.http.put("/carts/C1/hold", json=body)
    analyst = await put(api, "C1", body, role="analyst")
    integration = await api.http.get("/carts/C1/hold", headers=api.auth("integration"))
    store = await api.http.delete("/carts/C1/hold", headers=api.auth("opera"))

    assert (anonymous.status_code, error_of(anonymous)["code"]) == (401, "unauthenticated")
    assert [r.status_code for r in (analyst, integration, store)] == [403, 403, 403]
    assert reserved(api.db, "SKU-TEE", "ST-OPERA") == 0


async def test_an_order_for_the_cart_takes_over_its_hold_and_counts_its_stock_once(
    api: Api,
) -> None:
    # Exactly what the order needs, all held by its cart: without the takeover the order
    # would find nothing left to reserve.
    add_channel(api.db)
    set_on_hand(api.db, {("SKU-TEE", "ST-OPERA"): 2, ("SKU-MUG", "ST-OPERA"): 1})
    cart = new_id("CART")
    held = await put(api, cart, hold_body({"SKU-TEE": 2, "SKU-MUG": 1}))
    assert held.status_code == 200, held.text

    body = order_body(cart_id=cart)
    await api.awaiting_pick(body)
    hold = (await api.http.get(f"/carts/{cart}/hold", headers=api.auth("storefront"))).json()

    assert hold["status"] == "converted"
    assert reserved(api.db, "SKU-TEE", "ST-OPERA") == 2
    assert reserved(api.db, "SKU-MUG", "ST-OPERA") == 1
    assert_ledger_matches_positions(api.db)
    view = await api.until(body["id"], lambda v: v["status"] == "IN_FULFILMENT")
    assert all(line["state"] != "cancelled" for line in view["lines"])
    await api.harness.client.get_workflow_handle(cart_hold_workflow_id(cart)).terminate()


async def test_an_order_is_the_same_order_with_or_without_a_null_cart_id(api: Api) -> None:
    body = order_body()
    body.pop("cart_id")
    await api.place(body)

    with_null = await api.http.post(
        "/orders", json={**body, "cart_id": None}, headers=api.auth("storefront")
    )
    with_cart = await api.http.post(
        "/orders", json={**body, "cart_id": "CART-X"}, headers=api.auth("storefront")
    )

    assert with_null.status_code == 200, with_null.text
    assert (with_cart.status_code, error_of(with_cart)["code"]) == (409, "order_conflict")
