"""Idempotency-Key over HTTP: the same key with the same request answers the first outcome,
applied once; with another request (another body, line, order or endpoint) it is refused 422
``idempotency_key_reused`` before anything is applied, until it is kept no longer; each API
key's keys are its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import select

from oms.db import orders as order_repo
from oms.db.tables import CustomerMessage, IdempotencyKey
from oms.domain.order.edits import LineCancel
from oms.keys import edit_update_id, order_workflow_id
from oms.services.customer_messages import resend
from tests.api.conftest import Api, Json, error_of, order_body
from tests.api.test_message_resend import confirmation_of
from tests.api.test_order_edits import LYON
from tests.api.test_order_messages import send_messages
from workflows.order import OrderWorkflow

KEY = "call-42"
CANCEL_ONE = {"quantity": 1, "reason_code": "customer_request"}


def _keyed(api: Api, role: str = "analyst", key: str = KEY) -> dict[str, str]:
    return {**api.auth(role), "Idempotency-Key": key}


def _cancels(view: Json) -> list[int]:
    """Units cancelled per line, and how many line cancels the timeline tells of."""
    timeline = [e["type"] for e in view["timeline"]].count("line_cancelled")
    return [line["cancelled"] for line in view["lines"]] + [timeline]


async def _order(api: Api) -> tuple[str, str]:
    """An order of 2 tees (line 1) and a mug (line 2) on the pick list: its id and its URL."""
    body = order_body()
    await api.awaiting_pick(body)
    return body["id"], f"/orders/{body['id']}"


async def _now(api: Api, order_url: str) -> Json:
    response = await api.http.get(order_url, headers=api.auth("analyst"))
    assert response.status_code == 200, response.text
    view: Json = response.json()
    return view


def _reused(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["code"], error["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert "first used for another request" in error["reason"]


def _age(api: Api, key: str = KEY) -> None:
    """The key's uses were first made a day and a minute ago."""
    with api.db.session() as s:
        for row in s.exec(select(IdempotencyKey).where(IdempotencyKey.key == key)):
            row.first_used_at = datetime.now(UTC) - timedelta(hours=24, minutes=1)
            s.add(row)


async def test_the_same_request_again_answers_the_first_outcome_however_its_body_is_written(
    api: Api,
) -> None:
    _, url = await _order(api)

    first = await api.http.post(f"{url}/lines/1/cancel", json=CANCEL_ONE, headers=_keyed(api))
    # The same fields in another order: the same request.
    again = await api.http.post(
        f"{url}/lines/1/cancel",
        json={"reason_code": "customer_request", "quantity": 1},
        headers=_keyed(api),
    )

    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert _cancels(again.json()) == [1, 0, 1]


async def test_a_key_reused_for_another_edit_is_422_and_applies_nothing(api: Api) -> None:
    oid, url = await _order(api)
    other = order_body()
    await api.place(other)
    first = await api.http.post(f"{url}/lines/1/cancel", json=CANCEL_ONE, headers=_keyed(api))

    more = await api.http.post(
        f"{url}/lines/1/cancel", json={**CANCEL_ONE, "quantity": 2}, headers=_keyed(api)
    )
    other_line = await api.http.post(f"{url}/lines/2/cancel", json=CANCEL_ONE, headers=_keyed(api))
    other_order = await api.http.post(
        f"/orders/{other['id']}/lines/1/cancel", json=CANCEL_ONE, headers=_keyed(api)
    )
    other_edit = await api.http.patch(f"{url}/delivery", json={"address": LYON},
                                      headers=_keyed(api))  # fmt: skip

    assert first.status_code == 200, first.text
    for refused in (more, other_line, other_order, other_edit):
        _reused(refused)
    assert "POST /orders/{order_id}/lines/{line_id}/cancel" in error_of(other_edit)["reason"]
    assert _cancels(await _now(api, url)) == [1, 0, 1]
    assert _cancels(await _now(api, f"/orders/{other['id']}")) == [0, 0, 0]
    with api.db.reading() as s:
        row = order_repo.get_order(s, oid)
        assert row is not None
        assert row.payload["delivery"]["address"]["city"] != "Lyon"


async def test_two_api_keys_using_the_same_key_each_have_their_edit_applied(api: Api) -> None:
    _, url = await _order(api)

    by_analyst = await api.http.post(
        f"{url}/lines/1/cancel", json=CANCEL_ONE, headers=_keyed(api, "analyst")
    )
    by_storefront = await api.http.post(
        f"{url}/lines/1/cancel", json=CANCEL_ONE, headers=_keyed(api, "storefront")
    )

    assert (by_analyst.status_code, by_storefront.status_code) == (200, 200), by_storefront.text
    assert _cancels(by_storefront.json()) == [2, 0, 2]


async def test_two_edits_racing_with_one_key_and_other_bodies_apply_one(api: Api) -> None:
    _, url = await _order(api)

    answers = await asyncio.gather(
        *(
            api.http.post(f"{url}/lines/{line}/cancel", json=CANCEL_ONE, headers=_keyed(api))
            for line in ("1", "2")
        )
    )

    assert sorted(a.status_code for a in answers) == [200, 422], [a.text for a in answers]
    _reused(next(a for a in answers if a.status_code == 422))
    assert sorted(_cancels(await _now(api, url))) == [0, 1, 1]


async def test_a_key_kept_no_longer_may_name_another_edit(api: Api) -> None:
    _, url = await _order(api)
    await api.http.post(f"{url}/lines/1/cancel", json=CANCEL_ONE, headers=_keyed(api))
    _age(api)

    later = await api.http.post(f"{url}/lines/2/cancel", json=CANCEL_ONE, headers=_keyed(api))

    # Applied, not answered with the first cancel's outcome: the update is a new one.
    assert later.status_code == 200, later.text
    assert _cancels(later.json()) == [1, 1, 2]


async def test_a_resend_with_a_reused_key_and_another_address_is_422_and_makes_no_copy(
    api: Api,
) -> None:
    oid, first = await confirmation_of(api)
    send_messages(api)
    url = f"/orders/{oid}/messages/{first}/resend"
    made = await api.http.post(url, headers=_keyed(api))
    send_messages(api)

    elsewhere = await api.http.post(url, json={"to": "sam.right@example.com"},
                                    headers=_keyed(api))  # fmt: skip
    # No body and an empty one ask the same: the copy already made.
    retried = await api.http.post(url, json={}, headers=_keyed(api))

    assert made.status_code == 201, made.text
    _reused(elsewhere)
    assert (retried.status_code, retried.json()["id"]) == (200, made.json()["id"])
    listed = await api.http.get(f"/orders/{oid}/messages", headers=api.auth("analyst"))
    assert [m["resend_of"] for m in listed.json()["items"]] == [None, first]


async def test_two_resends_racing_with_one_key_and_other_addresses_make_one_copy(
    api: Api,
) -> None:
    oid, first = await confirmation_of(api)
    send_messages(api)
    url = f"/orders/{oid}/messages/{first}/resend"

    answers = await asyncio.gather(
        *(
            api.http.post(url, json={"to": to}, headers=_keyed(api))
            for to in ("sam.right@example.com", "sam.other@example.com")
        )
    )

    assert sorted(a.status_code for a in answers) == [201, 422], [a.text for a in answers]
    _reused(next(a for a in answers if a.status_code == 422))
    listed = await api.http.get(f"/orders/{oid}/messages", headers=api.auth("analyst"))
    assert [m["resend_of"] for m in listed.json()["items"]] == [None, first]


async def test_a_resend_key_kept_no_longer_makes_a_new_copy_for_another_address(
    api: Api,
) -> None:
    oid, first = await confirmation_of(api)
    send_messages(api)
    url = f"/orders/{oid}/messages/{first}/resend"
    made = await api.http.post(url, headers=_keyed(api))
    send_messages(api)
    _age(api)

    later = await api.http.post(url, json={"to": "sam.right@example.com"}, headers=_keyed(api))

    assert made.status_code == 201, made.text
    assert later.status_code == 201, later.text
    assert later.json()["to"] == "sam.right@example.com"


async def test_a_retry_of_an_edit_an_api_of_before_sent_under_the_bare_key_is_not_applied_again(
    api: Api,
) -> None:
    # An API of before the keys were held to their request sent the cancel as the update the
    # bare key named; the client's retry reaches an upgraded API with the same key and body.
    order_id, url = await _order(api)
    before = api.harness.client.get_workflow_handle(order_workflow_id(order_id))
    sent = LineCancel(line_id="1", quantity=1, code="customer_request", actor="analyst")
    await before.execute_update(
        OrderWorkflow.cancel_line, sent, id=edit_update_id("cancel_line", KEY)
    )

    retry = await api.http.post(f"{url}/lines/1/cancel", json=CANCEL_ONE, headers=_keyed(api))

    assert retry.status_code == 200, retry.text
    assert _cancels(retry.json()) == [1, 0, 1]


async def test_a_retry_of_a_resend_an_api_of_before_made_under_the_bare_key_answers_its_copy(
    api: Api,
) -> None:
    oid, first = await confirmation_of(api)
    send_messages(api)
    with api.db.session() as s:  # the copy as an API of before named it: by the bare key
        original = s.get(CustomerMessage, first)
        assert original is not None
        copy, _ = resend(
            s, original, to=original.to, token=KEY, requested_by="k", now=datetime.now(UTC)
        )
        made = copy.id

    retry = await api.http.post(f"/orders/{oid}/messages/{first}/resend", headers=_keyed(api))

    assert (retry.status_code, retry.json()["id"]) == (200, made), retry.text
    listed = await api.http.get(f"/orders/{oid}/messages", headers=api.auth("analyst"))
    assert [m["resend_of"] for m in listed.json()["items"]] == [None, first]


async def test_a_resend_refused_while_the_message_is_on_its_way_leaves_its_key_free(
    api: Api,
) -> None:
    oid, first = await confirmation_of(api)  # written, not sent yet
    url = f"/orders/{oid}/messages/{first}/resend"

    pending = await api.http.post(url, headers=_keyed(api))
    send_messages(api)
    elsewhere = await api.http.post(url, json={"to": "sam.right@example.com"}, headers=_keyed(api))

    assert error_of(pending)["code"] == "message_pending", pending.text
    assert elsewhere.status_code == 201, elsewhere.text
    assert elsewhere.json()["to"] == "sam.right@example.com"
