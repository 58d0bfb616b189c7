"""Order edits over HTTP (issue 12): a line cancelled, a new address, a service added; 200 with
the order's view when accepted, 409 with the reason when refused, 404 for an unknown order or
line, 422 for bad input."""

from __future__ import annotations

from oms.db import api_keys
from oms.db import orders as order_repo
from oms.db.stock_updates import AbsoluteUpdate, apply_absolute_many
from oms.db.tables import Fulfilment
from tests.api.conftest import Api, Json, collect_body, error_of, full_pick, order_body
from tests.workflows.test_order_waits_for_stock import publish_profile

LYON = {
    "name": "Alice",
    "line1": "1 place Bellecour",
    "city": "Lyon",
    "postal_code": "69002",
    "country": "FR",
    "lat": 45.757,
    "lon": 4.832,
}
TEE, MUG = 1999, 899


def _pick_list(api: Api, fulfilment_id: str) -> list[tuple[str, int]]:
    with api.db.reading() as s:
        row = s.get(Fulfilment, fulfilment_id)
        assert row is not None
        return [(line["line_id"], line["quantity"]) for line in row.lines]


async def _picked(api: Api, body: Json) -> Json:
    fulfilment = await api.awaiting_pick(body)
    picked = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pick",
        json=full_pick(fulfilment),
        headers=api.auth("opera"),
    )
    assert picked.status_code == 200, picked.text
    return fulfilment


async def test_a_line_reduced_before_its_pick_answers_the_order_with_the_line_cancelled(
    api: Api,
) -> None:
    body = order_body()
    fulfilment = await api.awaiting_pick(body)

    response = await api.http.post(
        f"/orders/{body['id']}/lines/1/cancel",
        json={"quantity": 1, "reason_code": "customer_request"},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 200, response.text
    view = response.json()
    tee = view["lines"][0]
    assert (tee["quantity"], tee["cancelled"], tee["cancel_reason"]) == (2, 1, "customer_request")
    assert view["payment"]["authorized"] == TEE + MUG
    [entry] = [e for e in view["timeline"] if e["type"] == "line_cancelled"]
    assert entry["detail"]["reason_code"] == "customer_request"
    assert entry["actor"] == "analyst:test-analyst"
    assert _pick_list(api, fulfilment["id"]) == [("1", 1), ("2", 1)]
    # The answer is the order view GET /orders/{id} gives, its sourcing decisions included.
    got = (await api.http.get(f"/orders/{body['id']}", headers=api.auth("analyst"))).json()
    assert [d["step"] for d in view["sourcing"]] == [d["step"] for d in got["sourcing"]] != []


async def test_a_storefront_cancels_a_whole_line_of_its_own_order(api: Api) -> None:
    body = order_body()
    await api.awaiting_pick(body)

    response = await api.http.post(
        f"/orders/{body['id']}/lines/2/cancel",
        json={"reason_code": "customer_request"},
        headers=api.auth("storefront"),
    )

    assert response.status_code == 200, response.text
    mug = response.json()["lines"][1]
    assert (mug["state"], mug["cancelled"]) == ("cancelled", 1)


async def test_a_line_cancel_after_the_pick_is_409_past_the_point_of_no_return(api: Api) -> None:
    body = order_body()
    await _picked(api, body)

    response = await api.http.post(
        f"/orders/{body['id']}/lines/1/cancel",
        json={"quantity": 1, "reason_code": "customer_request"},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "past_point_of_no_return"


async def test_a_line_cancel_asks_no_more_than_the_line_has_left(api: Api) -> None:
    body = order_body()
    await api.awaiting_pick(body)

    response = await api.http.post(
        f"/orders/{body['id']}/lines/1/cancel",
        json={"quantity": 3, "reason_code": "customer_request"},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "quantity_exceeds_open"


async def test_a_line_cancel_of_an_unknown_order_or_line_is_404(api: Api) -> None:
    body = order_body()
    await api.place(body)
    cancel = {"reason_code": "customer_request"}

    no_order = await api.http.post(
        "/orders/NOPE/lines/1/cancel", json=cancel, headers=api.auth("analyst")
    )
    no_line = await api.http.post(
        f"/orders/{body['id']}/lines/9/cancel", json=cancel, headers=api.auth("analyst")
    )

    assert (no_order.status_code, no_order.json()["code"]) == (404, "order_not_found")
    assert (no_line.status_code, no_line.json()["code"]) == (404, "line_not_found")


async def test_a_line_cancel_with_bad_input_is_422_naming_the_field(api: Api) -> None:
    body = order_body()
    await api.place(body)
    url = f"/orders/{body['id']}/lines/1/cancel"

    zero = await api.http.post(
        url, json={"quantity": 0, "reason_code": "customer_request"}, headers=api.auth("analyst")
    )
    own = await api.http.post(
        url, json={"reason_code": "out_of_stock"}, headers=api.auth("analyst")
    )
    missing = await api.http.post(url, json={}, headers=api.auth("analyst"))

    assert zero.status_code == 422, zero.text
    assert zero.json()["field"] == "quantity"
    assert (own.status_code, own.json()["code"], own.json()["field"]) == (
        422,
        "reason_not_allowed",
        "reason_code",
    )
    assert (missing.status_code, missing.json()["field"]) == (422, "reason_code")


async def test_another_channel_s_order_cannot_be_edited_by_a_scoped_storefront(api: Api) -> None:
    body = order_body()
    await api.place(body)
    with api.db.session() as s:
        app = api_keys.create_key(s, role="storefront", name="app", channels=["app-fr"])

    response = await api.http.post(
        f"/orders/{body['id']}/lines/1/cancel",
        json={"reason_code": "customer_request"},
        headers={"Authorization": f"Bearer {app}"},
    )

    assert response.status_code == 404, response.text
    assert response.json()["code"] == "order_not_found"


async def test_a_new_address_before_the_pick_is_stored_and_the_order_answered(api: Api) -> None:
    body = order_body()
    await api.awaiting_pick(body)

    response = await api.http.patch(
        f"/orders/{body['id']}/delivery", json={"address": LYON}, headers=api.auth("analyst")
    )

    assert response.status_code == 200, response.text
    assert [e["type"] for e in response.json()["timeline"]].count("delivery_changed") == 1
    with api.db.reading() as s:
        row = order_repo.get_order(s, body["id"])
        assert row is not None
        assert row.payload["delivery"]["address"]["city"] == "Lyon"


async def test_a_collection_has_no_address_to_change(api: Api) -> None:
    body = collect_body()
    await api.place(body)

    response = await api.http.patch(
        f"/orders/{body['id']}/delivery", json={"address": LYON}, headers=api.auth("analyst")
    )

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "not_a_shipment"


async def test_a_new_address_for_a_completed_order_is_409_order_final(api: Api) -> None:
    body = order_body()
    fulfilment = await _picked(api, body)
    packed = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pack",
        json={"parcels": [{"weight_grams": 900}]},
        headers=api.auth("opera"),
    )
    assert packed.status_code == 200, packed.text
    await api.until(body["id"], lambda v: v["status"] == "COMPLETED")

    response = await api.http.patch(
        f"/orders/{body['id']}/delivery", json={"address": LYON}, headers=api.auth("admin")
    )

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "order_final"


async def test_a_bad_address_is_422(api: Api) -> None:
    body = order_body()
    await api.place(body)

    response = await api.http.patch(
        f"/orders/{body['id']}/delivery",
        json={"address": {**LYON, "country": "France"}},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 422, response.text
    assert response.json()["field"] == "address.country"


async def test_a_service_the_location_does_not_perform_is_409(api: Api) -> None:
    # Without fulfilment profiles no location has a vas step: nothing is wrapped
    body = order_body()
    await api.awaiting_pick(body)

    response = await api.http.post(
        f"/orders/{body['id']}/lines/2/services",
        json={"service": "gift_wrap"},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "service_not_performed"


async def test_a_service_unknown_to_the_oms_is_422(api: Api) -> None:
    body = order_body()
    await api.place(body)

    response = await api.http.post(
        f"/orders/{body['id']}/lines/2/services",
        json={"service": "teleport"},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 422, response.text
    assert response.json()["field"] == "service"


async def test_an_edit_retried_with_its_idempotency_key_is_applied_once(api: Api) -> None:
    body = order_body()
    await api.awaiting_pick(body)
    headers = {**api.auth("analyst"), "Idempotency-Key": "call-42"}
    cancel = {"quantity": 1, "reason_code": "customer_request"}
    url = f"/orders/{body['id']}/lines/1/cancel"

    first = await api.http.post(url, json=cancel, headers=headers)
    again = await api.http.post(url, json=cancel, headers=headers)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["lines"][0]["cancelled"] == 1
    assert [e["type"] for e in again.json()["timeline"]].count("line_cancelled") == 1


async def test_a_new_address_may_change_the_speed_too(api: Api) -> None:
    body = order_body()
    await api.awaiting_pick(body)

    response = await api.http.patch(
        f"/orders/{body['id']}/delivery",
        json={"address": LYON, "express": True},
        headers=api.auth("storefront"),
    )

    assert response.status_code == 200, response.text
    [entry] = [e for e in response.json()["timeline"] if e["type"] == "delivery_changed"]
    assert entry["detail"]["express"] is True
    with api.db.reading() as s:
        row = order_repo.get_order(s, body["id"])
        assert row is not None
        assert row.payload["delivery"]["express"] is True


async def test_a_held_order_waiting_for_stock_takes_a_cancel_of_what_waits(api: Api) -> None:
    # The mug is out of stock and the channel's profile holds an order until all is placed
    with api.db.session() as s:
        apply_absolute_many(s, [AbsoluteUpdate(sku="SKU-MUG", location_id="ST-OPERA", on_hand=0)])
    publish_profile(api.db, "hold")
    body = order_body()
    await api.place(body)
    await api.until(body["id"], lambda v: v["status"] == "AWAITING_STOCK")
    url = f"/orders/{body['id']}/lines"

    placed = await api.http.post(
        f"{url}/1/cancel", json={"reason_code": "customer_request"}, headers=api.auth("analyst")
    )
    waiting = await api.http.post(
        f"{url}/2/cancel", json={"reason_code": "customer_request"}, headers=api.auth("analyst")
    )

    # The tees are held for the order: refused, saying why
    assert placed.status_code == 409, placed.text
    refused = error_of(placed)
    assert refused["code"] == "awaiting_stock"
    assert "once its fulfilments start" in refused["reason"]
    # The mug that waits is cancelled, and the tees go ahead at once
    assert waiting.status_code == 200, waiting.text
    assert waiting.json()["lines"][1]["cancelled"] == 1
    view = await api.until(body["id"], lambda v: v["status"] == "IN_FULFILMENT")
    assert view["payment"]["authorized"] == 2 * TEE
