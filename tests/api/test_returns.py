"""Returns (issue 12) over HTTP: asked under the channel's policy, received at a store,
graded in the task desk, the stock moved as each grade says, refunded through the gateway."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import select

from oms.db.tables import InventoryPosition, OutboxEvent, PaymentLedgerEntry
from oms.webhooks import sign
from tests.api.conftest import Api, Json, error_of, full_pick, order_body

PARCELS = {"parcels": [{"weight_grams": 900, "reference": "BOX-1"}]}
TEE, MUG = 1999, 899


async def _delivered(api: Api, body: Json | None = None, days_ago: float = 1) -> Json:
    """An order for 2 tees and a mug picked, packed and shipped from the Opéra store, and
    delivered ``days_ago`` days ago, as the carrier's signed webhook says."""
    body = body or order_body()
    headers = api.auth("admin")
    made = await api.http.put("/webhooks/senders/carrier:simcarrier", json={}, headers=headers)
    secret = made.json()["secret"]
    fulfilment = await api.awaiting_pick(body)
    url = f"/fulfilments/{fulfilment['id']}"
    for step, payload in (("pick", full_pick(fulfilment)), ("pack", PARCELS)):
        done = await api.http.post(f"{url}/{step}", json=payload, headers=api.auth("opera"))
        assert done.status_code == 200, done.text
    # With its fulfilments: a query that timed out on a busy machine is answered by the
    # read model's view, which has none.
    view = await api.until(body["id"], lambda v: v["status"] == "COMPLETED" and v["fulfilments"])
    at = datetime.now(UTC) - timedelta(days=days_ago)
    update = {
        "tracking_number": view["fulfilments"][0]["tracking_number"],
        "status": "DELIVERED",
        "occurred_at": at.isoformat(),
    }
    raw = json.dumps(update).encode()
    sent = await api.http.post(
        "/webhooks/carriers/simcarrier",
        content=raw,
        headers={"OMS-Signature": sign(secret, raw), "OMS-Event-Id": f"d-{body['id']}"},
    )
    assert sent.status_code == 200, sent.text
    return await api.until(body["id"], lambda v: v["status"] == "DELIVERED" and v["fulfilments"])


def _ask(lines: list[tuple[str, int]], **extra: Any) -> Json:
    return {
        "lines": [{"line_id": line_id, "quantity": qty} for line_id, qty in lines],
        "reason_code": "changed_mind",
        "method": "in_store",
        "location_id": "ST-OPERA",
        **extra,
    }


async def _return(api: Api, order_id: str, ask: Json, role: str = "storefront") -> httpx.Response:
    return await api.http.post(f"/orders/{order_id}/returns", json=ask, headers=api.auth(role))


async def _until_return(api: Api, return_id: str, status: str) -> Json:
    for _ in range(400):
        got = await api.http.get(f"/returns/{return_id}", headers=api.auth("analyst"))
        if got.status_code == 200 and got.json()["status"] == status:
            body: Json = got.json()
            return body
        await _pause()
    raise AssertionError(f"return {return_id} never reached {status}: {got.text}")


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.05)


async def _qc_task(api: Api, return_id: str) -> Json:
    for _ in range(400):
        listed = await api.http.get(
            "/tasks", params={"kind": "return_qc"}, headers=api.auth("analyst")
        )
        mine = [t for t in listed.json()["items"] if t["payload"]["return_id"] == return_id]
        if mine:
            return mine[0]
        await _pause()
    raise AssertionError("no quality-control task")


def _position(api: Api, sku: str) -> tuple[int, int]:
    with api.db.reading() as s:
        row = s.get(InventoryPosition, (sku, "ST-OPERA"))
        assert row is not None
        return row.on_hand, row.quarantined


def _refunds(api: Api, order_id: str) -> list[PaymentLedgerEntry]:
    with api.db.reading() as s:
        return list(
            s.exec(
                select(PaymentLedgerEntry).where(
                    PaymentLedgerEntry.order_id == order_id,
                    PaymentLedgerEntry.operation == "refund",
                )
            )
        )


async def _grade(api: Api, task_id: str, grades: list[tuple[str, str, int]]) -> httpx.Response:
    body = {"grades": [{"line_id": li, "grade": g, "quantity": q} for li, g, q in grades]}
    return await api.http.post(f"/tasks/{task_id}/complete", json=body, headers=api.auth("analyst"))


async def test_a_return_in_store_end_to_end_puts_the_stock_back_and_refunds(api: Api) -> None:
    order = await _delivered(api)
    before = _position(api, "SKU-TEE")

    asked = await _return(api, order["order_id"], _ask([("1", 1)]))
    assert asked.status_code == 201, asked.text
    ret = asked.json()
    assert (ret["status"], ret["refund_state"]) == ("AWAITING_RECEIPT", "none")
    received = await api.http.post(
        f"/returns/{ret['return_id']}/receive",
        json={"lines": [{"line_id": "1", "quantity": 1}]},
        headers=api.auth("opera"),
    )
    assert received.status_code == 200, received.text
    task = await _qc_task(api, ret["return_id"])
    assert (task["location_id"], task["payload"]["lines"][0]["sku"]) == ("ST-OPERA", "SKU-TEE")
    graded = await _grade(api, task["id"], [("1", "qc_resellable", 1)])
    assert graded.status_code == 200, graded.text

    done = await _until_return(api, ret["return_id"], "COMPLETED")
    assert (done["refund_state"], done["refunded"]) == ("refunded", TEE)
    assert done["grades"] == [{"line_id": "1", "grade": "qc_resellable", "quantity": 1}]
    on_hand, quarantined = _position(api, "SKU-TEE")
    assert (on_hand - before[0], quarantined - before[1]) == (1, 0)
    (refund,) = _refunds(api, order["order_id"])
    assert (refund.amount, refund.outcome) == (TEE, "succeeded")
    with api.db.reading() as s:
        types = [e.type for e in s.exec(select(OutboxEvent)) if e.type.startswith("return.")]
    assert types == ["return.requested", "return.received", "return.refunded", "return.completed"]
    listed = await api.http.get(
        f"/orders/{order['order_id']}/returns", headers=api.auth("storefront")
    )
    assert [r["return_id"] for r in listed.json()["items"]] == [ret["return_id"]]


async def test_each_grade_moves_the_stock_as_its_reason_code_says(api: Api) -> None:
    order = await _delivered(api, order_body(lines=[
        {"line_id": "1", "sku": "SKU-TEE", "quantity": 4, "unit_price": TEE},
    ]))  # fmt: skip
    before = _position(api, "SKU-TEE")
    ret = (await _return(api, order["order_id"], _ask([("1", 4)]))).json()
    await api.http.post(
        f"/returns/{ret['return_id']}/receive",
        json={"lines": [{"line_id": "1", "quantity": 4}]},
        headers=api.auth("opera"),
    )
    task = await _qc_task(api, ret["return_id"])

    graded = await _grade(
        api,
        task["id"],
        [
            ("1", "qc_resellable", 1),
            ("1", "qc_damaged", 1),
            ("1", "qc_wrong_item", 1),
            ("1", "qc_missing", 1),
        ],
    )

    assert graded.status_code == 200, graded.text
    done = await _until_return(api, ret["return_id"], "COMPLETED")
    on_hand, quarantined = _position(api, "SKU-TEE")
    # Resellable back on sale, damaged written off, the wrong item set apart, missing: nothing.
    assert (on_hand - before[0], quarantined - before[1]) == (1, 1)
    # The default policy refunds what came back resellable or damaged.
    assert done["refunded"] == 2 * TEE


async def test_returns_the_policy_refuses_name_the_line_and_the_rule(api: Api) -> None:
    order = await _delivered(api, days_ago=40)
    await api.http.put(
        "/return-policies/web-fr",
        json={"window_days": 60, "non_returnable_categories": ["home"]},
        headers=api.auth("admin"),
    )

    too_many = await _return(api, order["order_id"], _ask([("1", 3)]))
    home = await _return(api, order["order_id"], _ask([("2", 1)]))
    await api.http.put(
        "/return-policies/web-fr", json={"window_days": 30}, headers=api.auth("admin")
    )
    late = await _return(api, order["order_id"], _ask([("1", 1)]))
    # The catalogue says the tee may not come back: that is said before the window.
    await api.http.put(
        "/products/SKU-TEE",
        json={"name": "Tee shirt", "category": "apparel", "returnable": False},
        headers=api.auth("integration"),
    )
    kept = await _return(api, order["order_id"], _ask([("1", 1)]))

    assert too_many.status_code == 422, too_many.text
    assert (error_of(too_many)["code"], error_of(too_many)["field"]) == (
        "exceeds_returnable",
        "lines[0].quantity",
    )
    assert (error_of(home)["code"], error_of(home)["field"]) == ("not_returnable", "lines[0]")
    assert (error_of(late)["code"], error_of(late)["field"]) == ("return_window_closed", "lines[0]")
    assert (error_of(kept)["code"], error_of(kept)["field"]) == ("not_returnable", "lines[0]")
    listed = await api.http.get(f"/orders/{order['order_id']}/returns", headers=api.auth("analyst"))
    assert listed.json()["items"] == []


async def test_what_was_returned_cannot_be_returned_again(api: Api) -> None:
    order = await _delivered(api)

    first = await _return(api, order["order_id"], _ask([("1", 2)]))
    again = await _return(api, order["order_id"], _ask([("1", 1)]))

    assert first.status_code == 201, first.text
    assert (again.status_code, error_of(again)["code"]) == (422, "exceeds_returnable")


async def test_an_order_not_yet_delivered_cannot_be_returned(api: Api) -> None:
    body = order_body()
    await api.awaiting_pick(body)

    refused = await _return(api, body["id"], _ask([("1", 1)]))

    assert (refused.status_code, error_of(refused)["code"]) == (422, "not_delivered")


async def test_a_bad_reason_or_location_is_refused(api: Api) -> None:
    order = await _delivered(api)

    reason = await _return(api, order["order_id"], _ask([("1", 1)], reason_code="qc_damaged"))
    place = await _return(api, order["order_id"], _ask([("1", 1)], location_id="NOWHERE"))
    other = await _return(api, "O-NOPE", _ask([("1", 1)]))

    assert (error_of(reason)["code"], error_of(reason)["field"]) == (
        "reason_not_allowed",
        "reason_code",
    )
    assert (error_of(place)["code"], error_of(place)["field"]) == (
        "location_not_found",
        "location_id",
    )
    assert (other.status_code, error_of(other)["code"]) == (404, "order_not_found")


async def test_a_trusted_tier_is_refunded_when_it_asks(api: Api) -> None:
    body = order_body()
    body["customer"]["tier"] = "vip"
    order = await _delivered(api, body)
    await api.http.put(
        "/return-policies/web-fr", json={"instant_refund_tiers": ["vip"]}, headers=api.auth("admin")
    )

    ret = (await _return(api, order["order_id"], _ask([("2", 1)]))).json()

    for _ in range(400):
        got = (
            await api.http.get(f"/returns/{ret['return_id']}", headers=api.auth("analyst"))
        ).json()
        if got["refund_state"] == "refunded":
            break
        await _pause()
    assert (got["status"], got["refunded"]) == ("AWAITING_RECEIPT", MUG)


async def test_receiving_wrong_units_or_at_another_store_is_refused(api: Api) -> None:
    order = await _delivered(api)
    ret = (await _return(api, order["order_id"], _ask([("1", 1)]))).json()
    url = f"/returns/{ret['return_id']}/receive"

    too_many = await api.http.post(
        url, json={"lines": [{"line_id": "1", "quantity": 2}]}, headers=api.auth("opera")
    )
    elsewhere = await api.http.post(
        url, json={"lines": [{"line_id": "1", "quantity": 1}]}, headers=api.auth("bastille")
    )

    assert (too_many.status_code, error_of(too_many)["code"]) == (422, "exceeds_returnable")
    assert error_of(too_many)["field"] == "lines[0].quantity"
    assert (elsewhere.status_code, error_of(elsewhere)["code"]) == (404, "return_not_found")


async def test_grades_that_do_not_cover_what_came_back_are_refused_and_the_task_stays_open(
    api: Api,
) -> None:
    order = await _delivered(api)
    ret = (await _return(api, order["order_id"], _ask([("1", 2)]))).json()
    await api.http.post(
        f"/returns/{ret['return_id']}/receive",
        json={"lines": [{"line_id": "1", "quantity": 2}]},
        headers=api.auth("opera"),
    )
    task = await _qc_task(api, ret["return_id"])

    short = await _grade(api, task["id"], [("1", "qc_resellable", 1)])
    not_qc = await _grade(api, task["id"], [("1", "damaged", 2)])

    assert (short.status_code, error_of(short)["field"]) == (422, "grades")
    assert (not_qc.status_code, error_of(not_qc)["code"]) == (422, "reason_not_allowed")
    assert error_of(not_qc)["field"] == "grades[0].grade"
    still = await _qc_task(api, ret["return_id"])
    assert still["status"] == "open"


async def test_a_unit_by_unit_grading_moves_and_refunds_each_unit_once(api: Api) -> None:
    order = await _delivered(api)
    before = _position(api, "SKU-TEE")
    ret = (await _return(api, order["order_id"], _ask([("1", 2)]))).json()
    url = f"/returns/{ret['return_id']}/receive"
    twice = await api.http.post(
        url,
        json={"lines": [{"line_id": "1", "quantity": 1}, {"line_id": "1", "quantity": 1}]},
        headers=api.auth("opera"),
    )
    received = await api.http.post(
        url, json={"lines": [{"line_id": "1", "quantity": 2}]}, headers=api.auth("opera")
    )
    task = await _qc_task(api, ret["return_id"])

    graded = await _grade(api, task["id"], [("1", "qc_resellable", 1), ("1", "qc_resellable", 1)])

    assert (twice.status_code, error_of(twice)["field"]) == (422, "lines")
    assert (received.status_code, received.json()["status"]) == (200, "AWAITING_QC")
    assert graded.status_code == 200, graded.text
    done = await _until_return(api, ret["return_id"], "COMPLETED")
    assert done["grades"] == [{"line_id": "1", "grade": "qc_resellable", "quantity": 2}]
    assert done["refunded"] == 2 * TEE
    on_hand, _ = _position(api, "SKU-TEE")
    assert on_hand - before[0] == 2
