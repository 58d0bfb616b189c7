"""An order's shipping charge and taxes over HTTP: shown, authorized, captured with the first
capture, refunded by a return as the channel's policy says (partial returns, shipping)."""

from __future__ import annotations

from sqlmodel import select

from oms.db.tables import OutboxEvent, PaymentLedgerEntry
from tests.api.conftest import Api, Json, error_of, order_body
from tests.api.test_returns import (
    MUG,
    TEE,
    _ask,
    _delivered,
    _grade,
    _qc_task,
    _refunds,
    _return,
    _until_return,
)

SHIPPING = 590
VAT = {"code": "FR-VAT", "rate": 20, "amount": 333}


def _charged_body() -> Json:
    body = order_body(shipping={"amount": SHIPPING, "taxes": [{**VAT, "amount": 98}]})
    body["lines"][0]["taxes"] = [VAT]
    return body


def _captured(api: Api, order_id: str) -> list[int]:
    with api.db.reading() as s:
        stmt = select(PaymentLedgerEntry).where(
            PaymentLedgerEntry.order_id == order_id, PaymentLedgerEntry.operation == "capture"
        )
        return [e.amount for e in s.exec(stmt) if e.outcome == "succeeded"]


async def _returned(
    api: Api, order_id: str, lines: list[tuple[str, int]], grade: str = "qc_resellable"
) -> Json:
    asked = await _return(api, order_id, _ask(lines))
    assert asked.status_code == 201, asked.text
    ret = asked.json()
    received = await api.http.post(
        f"/returns/{ret['return_id']}/receive",
        json={"lines": [{"line_id": li, "quantity": q} for li, q in lines]},
        headers=api.auth("opera"),
    )
    assert received.status_code == 200, received.text
    task = await _qc_task(api, ret["return_id"])
    graded = await _grade(api, task["id"], [(li, grade, q) for li, q in lines])
    assert graded.status_code == 200, graded.text
    return await _until_return(api, ret["return_id"], "COMPLETED")


async def test_taxes_above_the_price_are_refused_with_the_field(api: Api) -> None:
    body = order_body()
    body["lines"][0]["taxes"] = [{**VAT, "amount": 5000}]

    refused = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert refused.status_code == 422, refused.text
    assert (error_of(refused)["field"], error_of(refused)["code"]) == (
        "lines[0].taxes",
        "taxes_exceed_amount",
    )


async def test_a_storefront_cannot_place_an_order_paid_by_a_return(api: Api) -> None:
    body = order_body(exchange={"return_id": "X.R1", "credit": 4897})

    refused = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert refused.status_code == 422, refused.text
    assert (error_of(refused)["field"], error_of(refused)["code"]) == ("exchange", "unknown_field")


async def test_shipping_is_authorized_captured_once_and_refunded_with_the_last_units(
    api: Api,
) -> None:
    await api.http.put(
        "/return-policies/web-fr",
        json={"refund_shipping": "when_all_returned"},
        headers=api.auth("admin"),
    )
    body = _charged_body()
    order = await _delivered(api, body)
    assert order["total"] == 2 * TEE + MUG + SHIPPING
    assert order["shipping"]["amount"] == SHIPPING
    assert order["lines"][0]["taxes"] == [VAT]
    assert order["payment"]["authorized"] == 2 * TEE + MUG + SHIPPING
    assert _captured(api, body["id"]) == [2 * TEE + MUG + SHIPPING]
    with api.db.reading() as s:
        (invoiced,) = [e for e in s.exec(select(OutboxEvent)) if e.type == "order.invoiced"]
    fid = order["fulfilments"][0]["fulfilment_id"]
    assert invoiced.payload["invoice_number"] == f"INV-{fid}"
    assert (invoiced.payload["total"], invoiced.payload["tax_total"]) == (
        2 * TEE + MUG + SHIPPING,
        2 * 333 + 98,
    )
    assert invoiced.payload["shipping"]["amount"] == SHIPPING

    first = await _returned(api, body["id"], [("1", 1)])
    last = await _returned(api, body["id"], [("1", 1), ("2", 1)])

    assert (first["shipping_refund"], first["refunded"]) == (0, TEE)
    assert (last["shipping_refund"], last["refunded"]) == (SHIPPING, TEE + MUG + SHIPPING)
    assert sum(r.amount for r in _refunds(api, body["id"])) == 2 * TEE + MUG + SHIPPING


async def test_a_damaged_arrival_refunds_the_shipping_with_a_partial_return(api: Api) -> None:
    await api.http.put(
        "/return-policies/web-fr",
        json={"shipping_refund_reasons": ["arrived_damaged"]},
        headers=api.auth("admin"),
    )
    body = _charged_body()
    await _delivered(api, body)

    asked = await _return(api, body["id"], _ask([("2", 1)], reason_code="arrived_damaged"))
    again = await _return(api, body["id"], _ask([("1", 1)], reason_code="arrived_damaged"))

    assert asked.json()["shipping_refund"] == SHIPPING
    assert again.json()["shipping_refund"] == 0  # once per order


async def test_a_return_that_refunded_nothing_leaves_the_shipping_for_the_next(api: Api) -> None:
    await api.http.put(
        "/return-policies/web-fr",
        json={"refund_shipping": "always", "refunded_grades": ["qc_resellable"]},
        headers=api.auth("admin"),
    )
    body = _charged_body()
    await _delivered(api, body)

    # Its units graded unrefunded: no refund, so no shipping went back with one.
    nothing = await _returned(api, body["id"], [("1", 1)], grade="qc_wrong_item")
    later = await _returned(api, body["id"], [("2", 1)])

    assert (nothing["shipping_refund"], nothing["refunded"]) == (SHIPPING, 0)
    assert (later["shipping_refund"], later["refunded"]) == (SHIPPING, MUG + SHIPPING)
    assert [r.amount for r in _refunds(api, body["id"])] == [MUG + SHIPPING]
