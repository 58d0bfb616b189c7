"""Appeasements over HTTP: customer service gives money back on an order without a return, at
most what its captures have left, refunded through the gateway by the appeasement's run,
recorded in the ledger, told in the timeline, an event and an email."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import select

from api.idempotency import Idempotency
from oms.db.tables import ApiKey, OutboxEvent, PaymentLedgerEntry
from oms.domain.appeasements import AppeasementRequest
from oms.events import named
from oms.services.appeasements import grant, locked_order
from oms.services.customer_messages import write_messages
from oms.services.payment_reconcile import reconcile
from tests.api.conftest import Api, Json, error_of, full_pick, order_body
from tests.api.test_payment_notices import _notice, _register, _send
from tests.api.test_returns import PARCELS, _ask, _delivered, _return

TOTAL = 2 * 1999 + 899  # two tees and a mug


async def _captured(api: Api) -> str:
    """An order for two tees and a mug, picked and packed at the Opéra store: captured."""
    body = order_body()
    fulfilment = await api.awaiting_pick(body)
    url = f"/fulfilments/{fulfilment['id']}"
    for step, payload in (("pick", full_pick(fulfilment)), ("pack", PARCELS)):
        done = await api.http.post(f"{url}/{step}", json=payload, headers=api.auth("opera"))
        assert done.status_code == 200, done.text
    await api.until(body["id"], lambda v: v["status"] == "COMPLETED")
    order_id: str = body["id"]
    return order_id


def _ask_for(amount: int, reason_code: str = "late_delivery", **extra: Any) -> Json:
    return {"amount": amount, "reason_code": reason_code, "note": "parcel two days late", **extra}


async def _appease(
    api: Api, order_id: str, ask: Json, *, role: str = "analyst", key: str | None = None
) -> httpx.Response:
    headers = {**api.auth(role), **({"Idempotency-Key": key} if key else {})}
    return await api.http.post(f"/orders/{order_id}/appeasements", json=ask, headers=headers)


async def _until_over(api: Api, order_id: str, appeasement_id: str) -> Json:
    url = f"/orders/{order_id}/appeasements/{appeasement_id}"
    for _ in range(400):
        got = await api.http.get(url, headers=api.auth("analyst"))
        if got.status_code == 200 and got.json()["status"] not in ("pending", "refunding"):
            body: Json = got.json()
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"appeasement {appeasement_id} never ended: {got.text}")


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


def _events(api: Api, order_id: str, prefix: str) -> list[OutboxEvent]:
    with api.db.reading() as s:
        rows = s.exec(select(OutboxEvent).where(OutboxEvent.order_id == order_id))
        return [e for e in rows if e.type.startswith(prefix)]


async def test_an_appeasement_is_refunded_through_the_gateway_and_told_everywhere(
    api: Api,
) -> None:
    order_id = await _captured(api)

    granted = await _appease(api, order_id, _ask_for(1000, line_id="1"), key="cs-1")

    assert granted.status_code == 201, granted.text
    body = granted.json()
    assert granted.headers["Location"] == f"/orders/{order_id}/appeasements/{body['id']}"
    assert (body["id"], body["status"], body["amount"], body["currency"]) == (
        f"{order_id}.A1",
        "pending",
        1000,
        "EUR",
    )
    assert (body["reason_code"], body["line_id"], body["requested_by"]) == (
        "late_delivery",
        "1",
        "analyst:test-analyst",
    )
    done = await _until_over(api, order_id, body["id"])
    assert (done["status"], done["refunded"], done["code"]) == ("refunded", 1000, None)
    # The gateway refunded it once, into the ledger, with its finance event.
    (refund,) = _refunds(api, order_id)
    assert (refund.amount, refund.outcome) == (1000, "succeeded")
    (booked,) = _events(api, order_id, "payment.refunded")
    assert (booked.payload["appeasement_id"], booked.payload["return_id"]) == (body["id"], None)
    (told,) = _events(api, order_id, "order.appeasement")
    assert (told.type, told.payload["refunded"]) == ("order.appeasement_granted", 1000)
    assert "note" not in told.payload
    # The ledger and the simulated gateway still agree.
    report = reconcile(api.db, api.harness.payments)
    assert report.clean, report
    # The order's timeline shows who granted it and that it was refunded.
    view = (await api.http.get(f"/orders/{order_id}", headers=api.auth("analyst"))).json()
    steps = [(e["type"], e["actor"]) for e in view["timeline"] if "appeasement" in e["type"]]
    assert steps == [
        ("appeasement_requested", "analyst:test-analyst"),
        ("appeasement_refunded", "payments"),
    ]
    # The customer is told by email.
    with api.db.session() as s:
        write_messages(s, now=datetime.now(UTC), limit=50)
    listed = await api.http.get(f"/orders/{order_id}/messages", headers=api.auth("analyst"))
    [mail] = [m for m in listed.json()["items"] if m["kind"] == "appeasement_granted"]
    assert order_id in mail["subject"]
    mine = await api.http.get(f"/orders/{order_id}/appeasements", headers=api.auth("analyst"))
    assert [a["id"] for a in mine.json()["items"]] == [body["id"]]


async def test_more_than_the_captures_have_left_is_refused_naming_what_is_left(
    api: Api,
) -> None:
    order_id = await _captured(api)

    over = await _appease(api, order_id, _ask_for(TOTAL + 1))
    first = await _appease(api, order_id, _ask_for(1000))
    await _until_over(api, order_id, first.json()["id"])
    then_over = await _appease(api, order_id, _ask_for(TOTAL - 1000 + 1))
    rest = await _appease(api, order_id, _ask_for(TOTAL - 1000))

    for refused, left in ((over, TOTAL), (then_over, TOTAL - 1000)):
        error = error_of(refused)
        assert (refused.status_code, error["code"], error["field"]) == (
            422,
            "exceeds_refundable",
            "amount",
        )
        assert f"may refund {left} EUR more" in error["reason"]
    assert rest.status_code == 201, rest.text
    await _until_over(api, order_id, rest.json()["id"])
    assert sum(r.amount for r in _refunds(api, order_id)) == TOTAL
    assert reconcile(api.db, api.harness.payments).clean


async def test_an_order_not_captured_yet_has_nothing_to_give_back(api: Api) -> None:
    body = order_body()
    await api.awaiting_pick(body)  # authorized, nothing captured

    refused = await _appease(api, body["id"], _ask_for(100))

    error = error_of(refused)
    assert (refused.status_code, error["code"]) == (422, "exceeds_refundable")
    assert "may refund 0 EUR more" in error["reason"]


async def test_a_reason_not_for_appeasements_or_a_line_the_order_lacks_is_refused(
    api: Api,
) -> None:
    order_id = await _captured(api)

    unknown = await _appease(api, order_id, _ask_for(100, reason_code="nope"))
    a_return_s = await _appease(api, order_id, _ask_for(100, reason_code="changed_mind"))
    no_line = await _appease(api, order_id, _ask_for(100, line_id="9"))
    negative = await _appease(api, order_id, _ask_for(0))
    a_boolean = await _appease(api, order_id, {**_ask_for(1), "amount": True})
    no_order = await _appease(api, "NOPE", _ask_for(100))

    for refused in (unknown, a_return_s):
        error = error_of(refused)
        assert (refused.status_code, error["code"], error["field"]) == (
            422,
            "reason_not_allowed",
            "reason_code",
        )
    assert "usage=appeasement" in error_of(a_return_s)["reason"]
    assert (no_line.status_code, error_of(no_line)["code"]) == (422, "unknown_line")
    assert (negative.status_code, error_of(negative)["field"]) == (422, "amount")
    assert (a_boolean.status_code, error_of(a_boolean)["field"]) == (422, "amount")
    assert error_of(a_boolean)["code"] == "invalid_type"
    assert (no_order.status_code, error_of(no_order)["code"]) == (404, "order_not_found")
    assert _refunds(api, order_id) == []
    missing = await api.http.get(
        f"/orders/{order_id}/appeasements/{order_id}.A9", headers=api.auth("analyst")
    )
    assert (missing.status_code, error_of(missing)["code"]) == (404, "appeasement_not_found")


async def test_only_customer_service_gives_money_back(api: Api) -> None:
    order_id = await _captured(api)

    for role in ("storefront", "opera", "integration"):
        refused = await _appease(api, order_id, _ask_for(100), role=role)
        listed = await api.http.get(f"/orders/{order_id}/appeasements", headers=api.auth(role))
        assert (refused.status_code, listed.status_code) == (403, 403), role
    by_admin = await _appease(api, order_id, _ask_for(100), role="admin")
    assert by_admin.status_code == 201, by_admin.text
    assert by_admin.json()["requested_by"] == "admin:test-admin"
    await _until_over(api, order_id, by_admin.json()["id"])


async def test_a_retried_request_grants_once_and_a_reused_key_is_refused(api: Api) -> None:
    order_id = await _captured(api)

    first = await _appease(api, order_id, _ask_for(500), key="cs-retry")
    again = await _appease(api, order_id, _ask_for(500), key="cs-retry")
    other = await _appease(api, order_id, _ask_for(600), key="cs-retry")

    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    error = error_of(other)
    assert (other.status_code, error["code"], error["field"]) == (
        422,
        "idempotency_key_reused",
        "Idempotency-Key",
    )
    await _until_over(api, order_id, first.json()["id"])
    listed = await api.http.get(f"/orders/{order_id}/appeasements", headers=api.auth("analyst"))
    assert len(listed.json()["items"]) == 1
    assert [r.amount for r in _refunds(api, order_id)] == [500]


async def test_a_retry_starts_the_refund_the_first_request_was_cut_short_before_starting(
    api: Api,
) -> None:
    order_id = await _captured(api)
    ask = _ask_for(400)
    # The first request granted it, then its process died before starting its run.
    with api.db.session() as s:
        analyst = s.exec(select(ApiKey).where(ApiKey.name == "test-analyst")).one()
        idem = Idempotency(
            key="cs-cut",
            scope=analyst.id,
            method="POST",
            route="/orders/{order_id}/appeasements",
            params={"order_id": order_id},
            kept=timedelta(days=1),
        )
        request = AppeasementRequest.model_validate(ask)
        token = idem.take(s, request, now=datetime.now(UTC))
        order = locked_order(s, order_id, lambda _: True)
        row, _ = grant(s, order, request, requested_by="analyst:test-analyst", token=token)
        cut_short = row.id

    again = await _appease(api, order_id, ask, key="cs-cut")

    assert (again.status_code, again.json()["id"]) == (200, cut_short), again.text
    done = await _until_over(api, order_id, cut_short)
    assert (done["status"], done["refunded"]) == ("refunded", 400)
    assert [r.amount for r in _refunds(api, order_id)] == [400]


async def test_two_appeasements_at_once_never_give_back_more_than_was_captured(
    api: Api,
) -> None:
    order_id = await _captured(api)
    each = TOTAL // 2 + 1  # both fit alone, not together

    answers = await asyncio.gather(
        *(_appease(api, order_id, _ask_for(each), key=f"cs-race-{i}") for i in range(2))
    )

    assert sorted(a.status_code for a in answers) == [201, 422], [a.text for a in answers]
    (granted,) = [a for a in answers if a.status_code == 201]
    (refused,) = [a for a in answers if a.status_code == 422]
    assert error_of(refused)["code"] == "exceeds_refundable"
    await _until_over(api, order_id, granted.json()["id"])
    assert sum(r.amount for r in _refunds(api, order_id)) == each


async def test_a_return_after_an_appeasement_refunds_only_what_the_captures_have_left(
    api: Api,
) -> None:
    body = order_body()
    body["customer"]["tier"] = "vip"  # refunded as it asks
    order = await _delivered(api, body)
    order_id = order["order_id"]
    await api.http.put(
        "/return-policies/web-fr", json={"instant_refund_tiers": ["vip"]}, headers=api.auth("admin")
    )
    granted = await _appease(api, order_id, _ask_for(TOTAL - 500))
    await _until_over(api, order_id, granted.json()["id"])

    # Both tees back, worth 3998: the captures have 500 left.
    ret = (await _return(api, order_id, _ask([("1", 2)]))).json()

    for _ in range(400):
        got = await api.http.get(f"/returns/{ret['return_id']}", headers=api.auth("analyst"))
        if got.json()["refund_state"] != "none":
            break
        await asyncio.sleep(0.05)
    assert got.json()["refunded"] == 500
    assert sum(r.amount for r in _refunds(api, order_id) if r.outcome == "succeeded") == TOTAL
    assert reconcile(api.db, api.harness.payments).clean
    # Nothing is left for another appeasement either.
    late = await _appease(api, order_id, _ask_for(1))
    assert (late.status_code, error_of(late)["code"]) == (422, "exceeds_refundable")


async def test_a_refund_the_gateway_refuses_leaves_the_appeasement_failed_with_its_code(
    api: Api,
) -> None:
    order_id = await _captured(api)
    # Someone refunded the whole capture at the gateway itself, outside the OMS.
    with api.db.reading() as s:
        capture = s.exec(
            select(PaymentLedgerEntry).where(
                PaymentLedgerEntry.order_id == order_id, PaymentLedgerEntry.operation == "capture"
            )
        ).one()
    assert capture.gateway_reference is not None
    api.harness.payments.refund(
        idempotency_key="by-hand",
        capture_id=capture.gateway_reference,
        amount=TOTAL,
        currency="EUR",
    )

    granted = await _appease(api, order_id, _ask_for(700, reason_code="damaged_packaging"))

    assert granted.status_code == 201, granted.text
    done = await _until_over(api, order_id, granted.json()["id"])
    assert (done["status"], done["refunded"], done["code"]) == (
        "failed",
        0,
        "refund_exceeds_capture",
    )
    (told,) = _events(api, order_id, "order.appeasement")
    assert (told.type, told.payload["code"]) == (
        "order.appeasement_failed",
        "refund_exceeds_capture",
    )
    view = (await api.http.get(f"/orders/{order_id}", headers=api.auth("analyst"))).json()
    assert "appeasement_failed" in [e["type"] for e in view["timeline"]]
    # What it had claimed of the capture is free again, as far as the OMS knows.
    again = await _appease(api, order_id, _ask_for(TOTAL))
    assert again.status_code == 201, again.text
    assert (await _until_over(api, order_id, again.json()["id"]))["status"] == "failed"


async def test_a_refund_the_gateway_reverses_later_leaves_the_appeasement_failed(
    api: Api,
) -> None:
    secret = await _register(api)
    order_id = await _captured(api)
    granted = await _appease(api, order_id, _ask_for(900))
    assert (await _until_over(api, order_id, granted.json()["id"]))["status"] == "refunded"
    (refund,) = _refunds(api, order_id)

    notice = _notice(
        "refund.failed", reference=refund.gateway_reference, amount=refund.amount, code="closed"
    )
    answer = await _send(api, secret, notice, "ntc-appeasement-refund-failed")

    assert answer.json()["outcome"] == "reversed"
    got = await api.http.get(
        f"/orders/{order_id}/appeasements/{granted.json()['id']}", headers=api.auth("analyst")
    )
    assert (got.json()["status"], got.json()["refunded"], got.json()["code"]) == (
        "failed",
        0,
        "closed",
    )
    # Finance is told which appeasement's refund failed, as the event's schema says.
    (failed,) = _events(api, order_id, "payment.refund_failed")
    assert failed.payload["appeasement_id"] == granted.json()["id"]
    registered = named("payment.refund_failed")
    assert registered is not None
    assert "appeasement_id" in registered.payload["properties"]
