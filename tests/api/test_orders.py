"""POST /orders, GET /orders/{id}, GET /orders and POST /orders/{id}/cancel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.domain.order import OrderIn, OrderStatus, TimelineEntry
from tests.api.conftest import (
    Api,
    Json,
    close_store,
    collect_body,
    error_of,
    full_pick,
    new_id,
    order_body,
    phone_body,
)

TOTAL = 2 * 1999 + 899


# -- placing ---------------------------------------------------------------------------------


async def test_placing_an_order_answers_201_with_the_order_view_and_its_location(
    api: Api,
) -> None:
    body = order_body()

    response = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/orders/{body['id']}"
    view = response.json()
    assert view["order_id"] == body["id"]
    assert view["workflow_id"] == f"order-{body['id']}"
    assert view["status"] == "RECEIVED"
    assert view["cancel_reason"] is None
    assert (view["channel"], view["customer_id"], view["customer_tier"]) == (
        "web-fr",
        body["customer"]["id"],
        "standard",
    )
    assert (view["currency"], view["total"], view["delivery_method"]) == ("EUR", TOTAL, "ship")
    assert [
        (line["line_id"], line["sku"], line["quantity"], line["state"]) for line in view["lines"]
    ] == [
        ("1", "SKU-TEE", 2, "pending"),
        ("2", "SKU-MUG", 1, "pending"),
    ]
    assert view["payment"]["state"] == "none"
    assert view["fraud"] is None


async def test_placing_the_same_order_again_answers_200_with_that_order(api: Api) -> None:
    body = order_body()
    first = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    again = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.headers["location"] == f"/orders/{body['id']}"
    view = again.json()
    assert (view["order_id"], view["total"]) == (body["id"], TOTAL)
    # One order, not two: it is listed once.
    listed = await api.http.get("/orders", headers=api.auth("analyst"))
    assert [o["order_id"] for o in listed.json()["items"]] == [body["id"]]


async def test_placing_the_same_id_with_a_different_body_is_a_conflict(api: Api) -> None:
    body = order_body()
    await api.place(body)
    changed = {**body, "lines": [{**body["lines"][0], "quantity": 5}]}

    response = await api.http.post("/orders", json=changed, headers=api.auth("storefront"))

    assert response.status_code == 409, response.text
    error = error_of(response)
    assert (error["code"], error["field"]) == ("order_conflict", "id")
    # The order keeps its first content.
    stored = await api.http.get(f"/orders/{body['id']}", headers=api.auth("analyst"))
    assert stored.json()["total"] == TOTAL


def _lines(n: int) -> list[Json]:
    return [
        {"line_id": str(i), "sku": "SKU-TEE", "quantity": 1, "unit_price": 1999}
        for i in range(1, n + 1)
    ]


def _without(body: Json, key: str) -> Json:
    return {k: v for k, v in body.items() if k != key}


_SHIP_TO_NOWHERE: dict[str, Any] = {"method": "ship"}
INVALID_ORDERS: list[Any] = [
    pytest.param(
        lambda b: {**b, "lines": [{**b["lines"][0], "sku": "SKU-NOPE"}]},
        "lines[0].sku",
        "unknown_sku",
        id="unknown_sku",
    ),
    pytest.param(
        lambda b: {**b, "lines": [{**b["lines"][0], "quantity": 0}]},
        "lines[0].quantity",
        "invalid_quantity",
        id="zero_quantity",
    ),
    pytest.param(
        lambda b: {**b, "lines": [{**b["lines"][0], "quantity": "two"}]},
        "lines[0].quantity",
        "invalid_type",
        id="quantity_not_a_number",
    ),
    pytest.param(lambda b: {**b, "currency": "XXX"}, "currency", "unknown_currency", id="currency"),
    pytest.param(lambda b: {**b, "lines": _lines(201)}, "lines", "too_many_lines", id="201_lines"),
    pytest.param(
        lambda b: {**b, "lines": [b["lines"][0], {**b["lines"][1], "line_id": "1"}]},
        "lines[1].line_id",
        "duplicate_line_id",
        id="duplicate_line_id",
    ),
    pytest.param(
        lambda b: {**b, "delivery": {"method": "collect", "store_id": "WH-PARIS"}},
        "delivery.store_id",
        "not_a_store",
        id="collect_at_a_warehouse",
    ),
    pytest.param(
        lambda b: {**b, "delivery": {"method": "collect", "store_id": "ST-NOWHERE"}},
        "delivery.store_id",
        "unknown_store",
        id="collect_at_an_unknown_store",
    ),
    pytest.param(lambda b: _without(b, "payment_token"), "payment_token", "required", id="missing"),
    pytest.param(
        lambda b: {**b, "customer": _without(b["customer"], "email")},
        "customer.email",
        "required",
        id="missing_nested",
    ),
    pytest.param(lambda b: {**b, "coupon": "FREE"}, "coupon", "unknown_field", id="unknown_field"),
    pytest.param(
        lambda b: {**b, "lines": [{**b["lines"][0], "discount": 5}]},
        "lines[0].discount",
        "unknown_field",
        id="unknown_nested_field",
    ),
    pytest.param(
        lambda b: {**b, "delivery": _SHIP_TO_NOWHERE}, "delivery", "invalid", id="ship_no_address"
    ),
]


@pytest.mark.parametrize(("break_it", "field", "code"), INVALID_ORDERS)
async def test_an_invalid_order_is_refused_with_the_field_and_code_at_fault(
    api: Api, break_it: Any, field: str, code: str
) -> None:
    body = break_it(order_body())

    response = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["field"], error["code"]) == (field, code)
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in error["errors"]
    ]
    assert all(e["reason"] for e in error["errors"])
    assert not [e for e in error["errors"] if e["reason"].startswith(("Value error", "Assertion"))]
    # Nothing was stored or started.
    stored = await api.http.get(f"/orders/{body['id']}", headers=api.auth("analyst"))
    assert stored.status_code == 404


async def test_an_order_to_collect_at_a_closed_store_is_refused(api: Api) -> None:
    close_store(api.db, "ST-BASTILLE")
    body = collect_body(store_id="ST-BASTILLE")

    response = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["field"], error["code"]) == ("delivery.store_id", "store_closed")


async def test_an_order_with_several_problems_lists_every_one(api: Api) -> None:
    body = order_body()
    body["currency"] = "XXX"
    body["lines"][1]["sku"] = "SKU-NOPE"

    response = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert response.status_code == 422
    error = error_of(response)
    assert [(e["field"], e["code"]) for e in error["errors"]] == [
        ("currency", "unknown_currency"),
        ("lines[1].sku", "unknown_sku"),
    ]


async def test_a_bad_order_answers_every_problem_at_once_shape_and_rules_together(
    api: Api,
) -> None:
    body = order_body()
    body["currency"] = "euros"
    body["lines"][0]["quantity"] = 0
    body["lines"][1]["line_id"] = body["lines"][0]["line_id"]
    body["lines"][1]["unit_price"] = -1
    del body["customer"]["email"]

    response = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert sorted((e["field"], e["code"]) for e in error["errors"]) == [
        ("currency", "unknown_currency"),
        ("customer.email", "required"),
        ("lines[0].quantity", "invalid_quantity"),
        ("lines[1].line_id", "duplicate_line_id"),
        ("lines[1].unit_price", "out_of_range"),
    ]
    reasons = {e["field"]: e["reason"] for e in error["errors"]}
    assert reasons["currency"] == "'euros' is not a supported ISO 4217 currency code (e.g. EUR)"
    assert reasons["lines[0].quantity"] == "quantity must be a whole number from 1 to 10000"


async def test_a_zero_quantity_a_duplicate_line_and_an_unknown_currency_are_one_422(
    api: Api,
) -> None:
    body = order_body()
    body["currency"] = "XYZ"
    body["lines"][0]["quantity"] = 0
    body["lines"][1]["line_id"] = body["lines"][0]["line_id"]

    response = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in error_of(response)["errors"]] == [
        ("currency", "unknown_currency"),
        ("lines[0].quantity", "invalid_quantity"),
        ("lines[1].line_id", "duplicate_line_id"),
    ]


async def test_a_field_the_shape_refuses_is_not_refused_twice_by_a_rule(api: Api) -> None:
    body = order_body()
    body["lines"][0]["quantity"] = "none"
    body["payment_token"] = ""

    response = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert [(e["field"], e["code"]) for e in error_of(response)["errors"]] == [
        ("lines[0].quantity", "invalid_type"),
        ("payment_token", "out_of_range"),
    ]


async def test_a_malformed_json_body_is_refused_with_422_not_500(api: Api) -> None:
    response = await api.http.post(
        "/orders",
        content=b'{"id": "O-1", "lines": [',
        headers={**api.auth("storefront"), "Content-Type": "application/json"},
    )

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["code"], error["field"]) == ("malformed_json", "body")


async def test_a_body_that_is_not_an_object_is_refused_with_422(api: Api) -> None:
    response = await api.http.post("/orders", json=[1, 2], headers=api.auth("storefront"))

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["code"], error["field"]) == ("invalid_type", "body")


# -- reading ---------------------------------------------------------------------------------


async def test_reading_an_order_shows_its_live_status_lines_fraud_payment_and_timeline(
    api: Api,
) -> None:
    body = order_body()
    await api.place(body)

    view = await api.until(
        body["id"], lambda v: v["status"] == "IN_FULFILMENT" and v["fulfilments"]
    )

    assert view["order_id"] == body["id"]
    assert view["fraud"]["score"] == 10
    assert view["fraud"]["decision"] == "approve"
    assert [r["code"] for r in view["fraud"]["reasons"]] == ["no_order_history"]
    assert view["payment"]["state"] == "authorized"
    assert view["payment"]["authorized"] == TOTAL
    assert view["payment"]["authorization_id"]
    assert [(f["location_id"], f["status"]) for f in view["fulfilments"]] == [
        ("ST-OPERA", "AWAITING_PICK")
    ]
    assert {line["state"] for line in view["lines"]} == {"reserved"}
    assert view["lines"][0]["allocations"][0]["location_id"] == "ST-OPERA"
    types = [entry["type"] for entry in view["timeline"]]
    for expected in (
        "order_received",
        "fraud_assessed",
        "payment_authorized",
        "fulfilment_started",
    ):
        assert expected in types
    assert types.index("order_received") < types.index("fulfilment_started")
    # The storefront that placed it may read it too.
    as_storefront = await api.http.get(f"/orders/{body['id']}", headers=api.auth("storefront"))
    assert as_storefront.status_code == 200
    assert as_storefront.json()["status"] == "IN_FULFILMENT"


async def test_reading_an_unknown_order_is_404(api: Api) -> None:
    response = await api.http.get("/orders/NOPE-1", headers=api.auth("analyst"))

    assert response.status_code == 404
    error = error_of(response)
    assert (error["code"], error["field"]) == ("order_not_found", "order_id")


# -- listing ---------------------------------------------------------------------------------


async def _ids(api: Api, **params: Any) -> list[str]:
    response = await api.http.get("/orders", params=params, headers=api.auth("analyst"))
    assert response.status_code == 200, response.text
    return [o["order_id"] for o in response.json()["items"]]


async def test_orders_are_listed_by_status_channel_and_customer(api: Api) -> None:
    web = order_body(new_id("WEB"))
    app = order_body(new_id("APP"), channel="app-fr")
    risky = phone_body()
    for body in (web, app, risky):
        await api.place(body)
    await api.until(risky["id"], lambda v: v["status"] == "AWAITING_REVIEW")
    await api.until(web["id"], lambda v: v["status"] == "IN_FULFILMENT")
    await api.until(app["id"], lambda v: v["status"] == "IN_FULFILMENT")

    assert await _ids(api, status="AWAITING_REVIEW") == [risky["id"]]
    assert sorted(await _ids(api, status="IN_FULFILMENT")) == sorted([web["id"], app["id"]])
    assert await _ids(api, channel="app-fr") == [app["id"]]
    assert await _ids(api, customer_id=web["customer"]["id"]) == [web["id"]]
    assert await _ids(api, status="COMPLETED") == []
    listed = await api.http.get(
        "/orders", params={"customer_id": risky["customer"]["id"]}, headers=api.auth("analyst")
    )
    summary = listed.json()["items"][0]
    assert summary["status"] == "AWAITING_REVIEW"
    assert (summary["customer_tier"], summary["fraud_score"], summary["line_count"]) == (
        "new",
        45,
        1,
    )
    assert (summary["fraud_decision"], summary["cancel_reason"]) == ("review", None)
    assert (summary["total"], summary["delivery_method"]) == (89900, "ship")


async def test_orders_are_listed_within_a_creation_window(api: Api) -> None:
    first = order_body()
    second = order_body()
    await api.place(first)
    await asyncio.sleep(0.01)
    between = datetime.now(UTC)
    await asyncio.sleep(0.01)
    await api.place(second)
    after = datetime.now(UTC) + timedelta(seconds=1)

    assert await _ids(api, created_from=between.isoformat()) == [second["id"]]
    assert await _ids(api, created_to=between.isoformat()) == [first["id"]]
    assert await _ids(
        api, created_from=(between - timedelta(minutes=5)).isoformat(), created_to=after.isoformat()
    ) == [second["id"], first["id"]]
    assert await _ids(api, created_from=after.isoformat()) == []


async def test_the_creation_window_means_the_same_instant_in_any_utc_offset(api: Api) -> None:
    first = order_body()
    second = order_body()
    await api.place(first)
    await asyncio.sleep(0.01)
    between = datetime.now(UTC)
    await asyncio.sleep(0.01)
    await api.place(second)
    paris = between.astimezone(timezone(timedelta(hours=2)))

    assert await _ids(api, created_from=paris.isoformat()) == [second["id"]]
    assert await _ids(api, created_to=paris.isoformat()) == [first["id"]]


async def test_orders_are_paged_newest_first_without_duplicates(api: Api) -> None:
    placed = []
    for _ in range(5):
        body = order_body()
        await api.place(body)
        placed.append(body["id"])

    seen: list[str] = []
    pages = 0
    params: dict[str, Any] = {"limit": 2}
    while True:
        response = await api.http.get("/orders", params=params, headers=api.auth("analyst"))
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [o["order_id"] for o in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}

    assert pages == 3
    assert seen == list(reversed(placed))


async def test_a_cursor_this_api_did_not_issue_is_refused(api: Api) -> None:
    response = await api.http.get(
        "/orders", params={"cursor": "not-a-cursor"}, headers=api.auth("analyst")
    )

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["code"], error["field"]) == ("invalid_cursor", "cursor")


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"limit": 0}, "limit", "out_of_range"),
        ({"limit": 201}, "limit", "out_of_range"),
        ({"limit": "ten"}, "limit", "invalid_type"),
        ({"status": "LOST"}, "status", "invalid"),
        ({"created_from": "yesterday"}, "created_from", "invalid_type"),
    ],
)
async def test_bad_list_parameters_are_refused_with_the_parameter_at_fault(
    api: Api, params: dict[str, Any], field: str, code: str
) -> None:
    response = await api.http.get("/orders", params=params, headers=api.auth("analyst"))

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["field"], error["code"]) == (field, code)


# -- cancelling ------------------------------------------------------------------------------


async def test_cancelling_an_order_in_fulfilment_is_accepted_and_ends_it_cancelled(
    api: Api,
) -> None:
    body = order_body()
    # Cancelled the moment it shows on the pick list: its fulfilment may still be busy
    # telling the order about it.
    await api.awaiting_pick(body)

    response = await api.http.post(f"/orders/{body['id']}/cancel", headers=api.auth("storefront"))

    assert response.status_code == 200, response.text
    assert response.json()["accepted"] is True
    view = await api.until(body["id"], lambda v: v["status"] == "CANCELLED")
    assert view["cancel_reason"] == "customer_request"
    assert {line["state"] for line in view["lines"]} == {"cancelled"}
    assert view["payment"]["state"] == "voided"
    assert view["timeline"][-1]["actor"] == "storefront:test-storefront"
    listed = await _ids(api, status="CANCELLED")
    assert listed == [body["id"]]
    # Its pick list is withdrawn from the store.
    await api.until_fulfilment(body["id"], "CANCELLED")


async def test_cancelling_an_order_just_placed_ends_it_cancelled_for_the_customer(
    api: Api,
) -> None:
    body = order_body()
    await api.place(body)

    response = await api.http.post(f"/orders/{body['id']}/cancel", headers=api.auth("storefront"))

    assert response.status_code == 200, response.text
    assert response.json()["accepted"] is True
    # The run may have reached its stores before the cancel landed (intake is one workflow
    # task): then they are called off too. Nobody picks here, so it can only end cancelled.
    view = await api.until(body["id"], lambda v: v["status"] in ("CANCELLED", "COMPLETED"))
    assert (view["status"], view["cancel_reason"]) == ("CANCELLED", "customer_request")
    assert all(f["status"] == "CANCELLED" for f in view["fulfilments"])
    assert {line["state"] for line in view["lines"]} == {"cancelled"}


async def test_cancelling_while_the_payment_is_being_authorized_is_not_taken_for_a_decline(
    api: Api,
) -> None:
    # The simulated gateway is unavailable twice for tok_flaky: the authorization is retried
    # for about three seconds, long enough to cancel in the middle of it.
    body = order_body(payment_token="tok_flaky")
    await api.place(body)
    await api.until(body["id"], lambda v: v["status"] == "AUTHORIZING_PAYMENT")

    response = await api.http.post(f"/orders/{body['id']}/cancel", headers=api.auth("storefront"))

    assert response.status_code == 200, response.text
    assert response.json()["accepted"] is True
    view = await api.until(body["id"], lambda v: v["status"] == "CANCELLED", seconds=5)
    assert view["cancel_reason"] == "customer_request"
    assert view["payment"]["decline_code"] is None


async def test_cancelling_an_order_awaiting_review_with_a_reason_and_note(api: Api) -> None:
    body = phone_body()
    await api.place(body)
    await api.until(body["id"], lambda v: v["status"] == "AWAITING_REVIEW")

    response = await api.http.post(
        f"/orders/{body['id']}/cancel",
        json={"reason": "customer_request", "note": "changed my mind"},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 200, response.text
    assert response.json()["accepted"] is True
    view = await api.until(body["id"], lambda v: v["status"] == "CANCELLED")
    assert view["cancel_reason"] == "customer_request"
    accepted = next(e for e in view["timeline"] if e["type"] == "cancel_accepted")
    assert accepted["detail"]["note"] == "changed my mind"


async def test_cancelling_a_completed_order_is_refused(api: Api) -> None:
    body = order_body()
    fulfilment = await api.awaiting_pick(body)
    staff = api.auth("opera")
    picked = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pick", json=full_pick(fulfilment), headers=staff
    )
    assert picked.status_code == 200, picked.text
    packed = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pack",
        json={"parcels": [{"weight_grams": 900}]},
        headers=staff,
    )
    assert packed.status_code == 200, packed.text
    await api.until(body["id"], lambda v: v["status"] == "COMPLETED")

    response = await api.http.post(f"/orders/{body['id']}/cancel", headers=api.auth("storefront"))

    assert response.status_code == 409, response.text
    error = error_of(response)
    assert error["code"] == "cancel_refused"
    assert "COMPLETED" in error["reason"]
    after = await api.http.get(f"/orders/{body['id']}", headers=api.auth("analyst"))
    assert after.json()["status"] == "COMPLETED"


async def test_a_cancel_asked_again_answers_as_the_first_and_another_reason_is_refused(
    api: Api,
) -> None:
    body = order_body()
    await api.awaiting_pick(body)
    url = f"/orders/{body['id']}/cancel"
    first = await api.http.post(url, headers=api.auth("storefront"))
    assert first.status_code == 200, first.text

    # A retry (its first answer lost to a timeout), while the order is being cancelled or
    # once it is: answered as the first was, the order's status as it is now
    again = await api.http.post(url, headers=api.auth("storefront"))
    assert again.status_code == 200, again.text
    assert set(again.json()) == set(first.json())
    assert again.json()["accepted"] is True
    await api.until(body["id"], lambda v: v["status"] == "CANCELLED")
    late = await api.http.post(
        url, json={"reason": "customer_request"}, headers=api.auth("analyst")
    )
    # Another cancellation than the one the order ended with is refused, naming it
    other = await api.http.post(
        url, json={"reason": "duplicate_order"}, headers=api.auth("analyst")
    )

    assert late.status_code == 200, late.text
    assert late.json() == {"accepted": True, "status": "CANCELLED", "reason": None}
    assert other.status_code == 409, other.text
    error = error_of(other)
    assert error["code"] == "cancel_refused"
    assert error["reason"] == "order is already CANCELLED (customer_request)"
    view = await api.http.get(f"/orders/{body['id']}", headers=api.auth("analyst"))
    assert [e["type"] for e in view.json()["timeline"]].count("cancel_accepted") == 1


async def test_cancelling_an_unknown_order_is_404(api: Api) -> None:
    response = await api.http.post("/orders/NOPE-1/cancel", headers=api.auth("storefront"))

    assert response.status_code == 404
    error = error_of(response)
    assert (error["code"], error["field"]) == ("order_not_found", "order_id")


async def test_cancelling_with_an_unknown_reason_is_refused(api: Api) -> None:
    body = order_body()
    await api.place(body)

    response = await api.http.post(
        f"/orders/{body['id']}/cancel", json={"reason": "bored"}, headers=api.auth("storefront")
    )

    assert response.status_code == 422, response.text
    error = error_of(response)
    # Reasons are codes of the taxonomy: one it does not have is not allowed
    assert (error["field"], error["code"]) == ("reason", "reason_not_allowed")


# -- an order stored while Temporal was unreachable -------------------------------------------


def _store_without_starting(api: Api, body: Json) -> None:
    """What is left when the API stored the order and then lost Temporal (it answered 503)."""
    with api.db.session() as s:
        order_repo.insert_order(s, OrderIn.model_validate(body), received_at=datetime.now(UTC))


async def test_an_order_stored_but_never_started_is_read_from_the_read_model(api: Api) -> None:
    body = order_body()
    _store_without_starting(api, body)

    response = await api.http.get(f"/orders/{body['id']}", headers=api.auth("analyst"))

    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["order_id"], view["status"], view["total"]) == (body["id"], "RECEIVED", TOTAL)
    assert [line["state"] for line in view["lines"]] == ["pending", "pending"]
    assert view["payment"] == {
        "state": "none",
        "authorization_id": None,
        "authorized": 0,
        "captured": 0,
        "voided": 0,
        "currency": "EUR",
        "decline_code": None,
        "capture_failures": [],
        "authorized_at": None,
        "written_off": 0,
        "reversed": 0,
        "exceptions": [],
        "credited": 0,
        "shipping_fulfilment_id": None,
    }


async def test_posting_an_order_again_starts_it_when_the_first_attempt_could_not(
    api: Api,
) -> None:
    body = order_body()
    _store_without_starting(api, body)

    response = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert response.status_code == 200, response.text
    assert response.json()["order_id"] == body["id"]
    await api.until_fulfilment(body["id"], "AWAITING_PICK")


async def test_a_caller_cannot_cancel_with_a_reason_that_belongs_to_the_oms(api: Api) -> None:
    body = order_body()
    await api.place(body)

    response = await api.http.post(
        f"/orders/{body['id']}/cancel",
        json={"reason": "fraud_rejected"},
        headers=api.auth("storefront"),
    )

    assert response.status_code == 422, response.text
    assert error_of(response)["field"] == "reason"


async def test_reposting_an_order_that_already_ran_starts_nothing_new(
    api: Api, db: Database, dev_env: WorkflowEnvironment
) -> None:
    # An order completed long ago: the read model has it, Temporal's retention has passed.
    body = order_body()
    placed_at = datetime.now(UTC) - timedelta(days=90)
    with db.session() as s:
        order_repo.insert_order(s, OrderIn.model_validate(body), received_at=placed_at)
        order_repo.update_order(s, body["id"], status=OrderStatus.COMPLETED)
        order_repo.append_events(
            s,
            body["id"],
            [
                (
                    0,
                    TimelineEntry(
                        at=placed_at,
                        type="order_received",
                        status=OrderStatus.RECEIVED,
                        actor="web-fr",
                    ),
                )
            ],
        )

    again = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert again.status_code == 200, again.text
    assert again.json()["status"] == "COMPLETED"
    with pytest.raises(RPCError) as gone:  # no new run was started for it
        await dev_env.client.get_workflow_handle(f"order-{body['id']}").describe()
    assert gone.value.status is RPCStatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        ({"quantity": 10_001}, "lines[0].quantity", "invalid_quantity"),
        ({"unit_price": 1_000_000_001}, "lines[0].unit_price", "out_of_range"),
    ],
)
async def test_absurd_quantities_and_prices_are_refused_not_a_server_error(
    api: Api, line: dict[str, int], field: str, code: str
) -> None:
    body = order_body()
    body["lines"] = [{**body["lines"][0], **line}]

    response = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["field"], error["code"]) == (field, code)
