"""What a key scoped to channels sees: its channels' orders, carts, availability and stock
events; another channel's objects answer 404 as if they did not exist. Keys without a scope
(the demo storefront key) see every channel, as before."""

from __future__ import annotations

from typing import Any

from oms.db import api_keys
from tests.api.conftest import Api, Json, error_of, new_id, order_body
from tests.holds import add_channel


def hold_body(channel: str) -> Json:
    return {"channel": channel, "lines": [{"sku": "SKU-TEE", "quantity": 1}]}


def scoped(api: Api) -> tuple[dict[str, str], dict[str, str]]:
    """Two channels over the same stores, and a storefront key for each."""
    add_channel(api.db, "web-fr")
    add_channel(api.db, "app-fr")
    with api.db.session() as s:
        web = api_keys.create_key(s, role="storefront", name="web", channels=["web-fr"])
        app = api_keys.create_key(s, role="storefront", name="app", channels=["app-fr"])
    return {"Authorization": f"Bearer {web}"}, {"Authorization": f"Bearer {app}"}


def code(answer: Any) -> tuple[int, str]:
    return answer.status_code, error_of(answer)["code"]


async def test_another_channel_s_order_does_not_exist_for_a_scoped_key(api: Api) -> None:
    web, app = scoped(api)
    body = order_body(channel="web-fr")
    placed = await api.http.post("/orders", json=body, headers=web)
    assert placed.status_code == 201, placed.text
    oid = body["id"]

    # The other channel's key finds nothing of it, and cannot cancel it
    assert code(await api.http.get(f"/orders/{oid}", headers=app)) == (404, "order_not_found")
    assert code(await api.http.get(f"/orders/{oid}/sourcing", headers=app)) == (
        404,
        "order_not_found",
    )
    cancel = await api.http.post(f"/orders/{oid}/cancel", headers=app)
    assert code(cancel) == (404, "order_not_found")
    listed = (await api.http.get("/orders", headers=app)).json()["items"]
    assert oid not in [o["order_id"] for o in listed]
    # nor place one in a channel that is not its own
    theirs = await api.http.post("/orders", json=order_body(channel="web-fr"), headers=app)
    assert code(theirs) == (422, "channel_not_found")
    assert error_of(theirs)["field"] == "channel"

    # while its own channel's key, and the unscoped demo key, see it
    assert (await api.http.get(f"/orders/{oid}", headers=web)).status_code == 200
    own = (await api.http.get("/orders", headers=web)).json()["items"]
    assert oid in [o["order_id"] for o in own]
    demo = await api.http.get(f"/orders/{oid}", headers=api.auth("storefront"))
    assert demo.status_code == 200
    assert (await api.http.get(f"/orders/{oid}", headers=api.auth("analyst"))).status_code == 200


async def test_another_channel_s_figures_and_events_do_not_exist_for_a_scoped_key(
    api: Api,
) -> None:
    web, app = scoped(api)
    query = {"channel": "web-fr", "skus": "SKU-TEE"}
    options = {"channel": "web-fr", "lines": [{"sku": "SKU-TEE", "quantity": 1}]}

    assert (await api.http.get("/availability", params=query, headers=web)).status_code == 200
    theirs = await api.http.get("/availability", params=query, headers=app)
    assert code(theirs) == (404, "channel_not_found")
    posted = await api.http.post("/availability/options", json=options, headers=app)
    assert code(posted) == (422, "channel_not_found")  # named in the body: the input's fault
    events = await api.http.get("/availability/events", params={"channel": "web-fr"}, headers=app)
    assert code(events) == (404, "channel_not_found")
    # A key scoped to one channel reads its own events without naming it
    assert (await api.http.get("/availability/events", headers=app)).status_code == 200


async def test_another_channel_s_cart_does_not_exist_for_a_scoped_key(api: Api) -> None:
    web, app = scoped(api)
    cart = new_id("CART")
    held = await api.http.put(f"/carts/{cart}/hold", json=hold_body("web-fr"), headers=web)
    assert held.status_code in (200, 201), held.text

    # The other channel's key can neither read, release nor replace the hold
    assert code(await api.http.get(f"/carts/{cart}/hold", headers=app)) == (
        404,
        "hold_not_found",
    )
    assert code(await api.http.delete(f"/carts/{cart}/hold", headers=app)) == (
        404,
        "hold_not_found",
    )
    replaced = await api.http.put(f"/carts/{cart}/hold", json=hold_body("app-fr"), headers=app)
    assert code(replaced) == (404, "hold_not_found")
    in_their_channel = await api.http.put(
        f"/carts/{new_id('CART')}/hold", json=hold_body("web-fr"), headers=app
    )
    assert code(in_their_channel) == (422, "channel_not_found")
    # and the hold is untouched
    mine = await api.http.get(f"/carts/{cart}/hold", headers=web)
    assert (mine.status_code, mine.json()["status"]) == (200, "held")


async def test_another_channel_s_return_policy_does_not_exist_for_a_scoped_key(api: Api) -> None:
    web, app = scoped(api)

    own = await api.http.get("/return-policies/web-fr", headers=web)
    theirs = await api.http.get("/return-policies/web-fr", headers=app)

    assert own.status_code == 200, own.text
    assert code(theirs) == (404, "channel_not_found")
