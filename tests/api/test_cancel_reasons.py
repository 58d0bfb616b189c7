"""An order cancelled for a reason of the taxonomy: the code must be one for cancellations;
the `order.cancelled` event names it with its customer message key; and its stock effect, as
an admin set it, applies to the units already picked (written off, quarantined, or back in
stock)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from oms.db.tables import InventoryPosition, OutboxEvent
from tests.api.conftest import Api, Json, error_of, order_body

FULL = {"lines": [{"line_id": "1", "picked": 2}, {"line_id": "2", "picked": 1}]}


async def _code(api: Api, code: str, stock_effect: str) -> None:
    body = {
        "label": code,
        "usages": ["cancellation"],
        "stock_effect": stock_effect,
        "customer_message": "customer.sorry_we_broke_it",
    }
    response = await api.http.put(f"/reason-codes/{code}", json=body, headers=api.auth("admin"))
    assert response.status_code == 201, response.text


async def _picked_then_cancelled(api: Api, reason: str) -> Json:
    body = order_body()
    fulfilment = await api.awaiting_pick(body)
    picked = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pick", json=FULL, headers=api.auth("opera")
    )
    assert picked.status_code == 200, picked.text
    await api.until_fulfilment(body["id"], "PICKED")
    response = await api.http.post(
        f"/orders/{body['id']}/cancel", json={"reason": reason}, headers=api.auth("storefront")
    )
    assert response.status_code == 200, response.text
    return await api.until(body["id"], lambda v: v["status"] == "CANCELLED")


def _cancelled_event(api: Api, order_id: str) -> dict[str, Any]:
    with api.db.reading() as s:
        [event] = s.exec(
            select(OutboxEvent).where(
                OutboxEvent.order_id == order_id, OutboxEvent.type == "order.cancelled"
            )
        ).all()
        return dict(event.payload)


def _tee_at_opera(api: Api) -> tuple[int, int, int]:
    with api.db.reading() as s:
        p = s.get(InventoryPosition, ("SKU-TEE", "ST-OPERA"))
        assert p is not None
        return p.on_hand, p.quarantined, p.reserved


@pytest.mark.parametrize(
    ("stock_effect", "tees"),
    [
        ("write_off", (98, 0, 0)),  # the two tees picked are gone
        ("quarantine", (98, 2, 0)),  # set apart, no longer sold
        ("none", (100, 0, 0)),  # back on the shelf
    ],
)
async def test_a_cancellation_applies_its_codes_stock_effect_to_the_units_picked(
    api: Api, stock_effect: str, tees: tuple[int, int, int]
) -> None:
    await _code(api, "broken_in_store", stock_effect)

    view = await _picked_then_cancelled(api, "broken_in_store")

    assert _tee_at_opera(api) == tees
    # The order keeps its own vocabulary; the event names the code and what to tell
    assert view["cancel_reason"] == "other"
    assert _cancelled_event(api, view["order_id"]) == {
        "order_id": view["order_id"],
        "reason": "other",
        "reason_code": "broken_in_store",
        "customer_message": "customer.sorry_we_broke_it",
    }


async def test_a_built_in_cancel_reason_still_works_and_its_message_is_sent(api: Api) -> None:
    body = order_body()
    await api.place(body)

    response = await api.http.post(
        f"/orders/{body['id']}/cancel",
        json={"reason": "duplicate_order"},
        headers=api.auth("storefront"),
    )
    assert response.status_code == 200, response.text
    view = await api.until(body["id"], lambda v: v["status"] == "CANCELLED")

    assert view["cancel_reason"] == "duplicate_order"
    event = _cancelled_event(api, body["id"])
    assert (event["reason_code"], event["customer_message"]) == (
        "duplicate_order",
        "customer.order_cancelled",
    )


@pytest.mark.parametrize("reason", ["damaged", "out_of_stock"])
async def test_a_code_not_for_cancellations_or_of_the_oms_own_is_refused(
    api: Api, reason: str
) -> None:
    body = order_body()
    await api.place(body)

    response = await api.http.post(
        f"/orders/{body['id']}/cancel", json={"reason": reason}, headers=api.auth("storefront")
    )

    assert response.status_code == 422, response.text
    assert (error_of(response)["code"], error_of(response)["field"]) == (
        "reason_not_allowed",
        "reason",
    )


async def test_a_fulfilment_rejected_takes_a_code_meant_for_rejections(api: Api) -> None:
    # A code for short picks only: a pick of nothing is a rejection, and is refused it
    body = {"label": "Half found", "usages": ["short_pick"], "routing_effect": "reroute"}
    put = await api.http.put("/reason-codes/half_found", json=body, headers=api.auth("admin"))
    assert put.status_code == 201, put.text
    order = order_body()
    fulfilment = await api.awaiting_pick(order)
    nothing = [{"line_id": x, "picked": 0, "short_reason": "half_found"} for x in ("1", "2")]

    refused = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pick",
        json={"lines": nothing},
        headers=api.auth("opera"),
    )

    assert refused.status_code == 422, refused.text
    assert [(e["field"], e["code"]) for e in error_of(refused)["errors"]] == [
        ("lines[0].short_reason", "reason_not_allowed"),
        ("lines[1].short_reason", "reason_not_allowed"),
    ]
    # The same code on a short pick is fine
    short = [
        {"line_id": "1", "picked": 1, "short_reason": "half_found"},
        {"line_id": "2", "picked": 1},
    ]
    picked = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pick", json={"lines": short}, headers=api.auth("opera")
    )
    assert picked.status_code == 200, picked.text
