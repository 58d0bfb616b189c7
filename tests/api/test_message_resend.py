"""POST /orders/{id}/messages/{message_id}/resend: customer service sends a message again to a
customer who never got it, to the same address or a corrected one, through a real SMTP server;
once per request, never while a copy is still on its way."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from oms.db.tables import Order, OutboxEvent
from oms.services.customer_messages import write_messages
from tests.api.conftest import Api, error_of, order_body
from tests.api.test_key_scope import scoped
from tests.api.test_order_messages import confirmed, send_by_smtp, send_messages
from tests.mail import MailServer, text_of


async def confirmation_of(api: Api, headers: dict[str, str] | None = None) -> tuple[str, int]:
    """An order placed and confirmed, its confirmation written, not sent yet: their ids."""
    body = order_body(channel="web-fr") if headers else order_body()
    placed = await api.http.post("/orders", json=body, headers=headers or api.auth("storefront"))
    assert placed.status_code == 201, placed.text
    await api.until(body["id"], lambda _: confirmed(api, body["id"]))
    with api.db.session() as s:
        write_messages(s, now=datetime.now(UTC), limit=50)
    listed = await api.http.get(f"/orders/{body['id']}/messages", headers=api.auth("analyst"))
    [message] = listed.json()["items"]
    assert message["status"] == "pending", message
    return body["id"], message["id"]


async def test_a_message_the_customer_never_got_is_sent_again_to_the_same_or_a_corrected_address(
    api: Api,
) -> None:
    oid, first = await confirmation_of(api)
    url = f"/orders/{oid}/messages/{first}/resend"
    with MailServer() as mail:
        send_by_smtp(api, mail.url)
        [original] = list(mail.received)

        again = await api.http.post(url, headers=api.auth("analyst"))
        pending_one = await api.http.get(f"/orders/{oid}/messages/{again.json()['id']}",
                                         headers=api.auth("analyst"))  # fmt: skip
        send_by_smtp(api, mail.url)
        corrected = await api.http.post(
            url, json={"to": "sam.right@example.com"}, headers=api.auth("analyst")
        )
        send_by_smtp(api, mail.url)
        # The corrected copy sent again: where it went, and still a copy of the first.
        copy_of_copy = await api.http.post(
            f"/orders/{oid}/messages/{corrected.json()['id']}/resend", headers=api.auth("analyst")
        )
        send_by_smtp(api, mail.url)
        send_by_smtp(api, mail.url)  # nothing more is due
        received = list(mail.received)

    assert again.status_code == 201, again.text
    copy = again.json()
    assert again.headers["Location"] == f"/orders/{oid}/messages/{copy['id']}"
    assert (copy["kind"], copy["status"], copy["resend_of"]) == (
        "order_confirmed",
        "pending",
        first,
    )
    assert copy["requested_by"] is not None
    assert pending_one.json()["status"] == "pending"
    assert corrected.status_code == 201, corrected.text
    assert copy_of_copy.status_code == 201, copy_of_copy.text
    assert len(received) == 4
    _, resent, redirected, again_redirected = received
    assert again_redirected["To"] == "sam.right@example.com"
    # The same message, again: same subject and words, a Message-ID of its own.
    assert resent["To"] == original["To"]
    assert (resent["Subject"], text_of(resent)) == (original["Subject"], text_of(original))
    assert resent["Message-ID"] != original["Message-ID"]
    assert redirected["To"] == "sam.right@example.com"
    assert redirected["Subject"] == original["Subject"]
    listed = await api.http.get(f"/orders/{oid}/messages", headers=api.auth("analyst"))
    rows = [(m["id"], m["status"], m["to"], m["resend_of"]) for m in listed.json()["items"]]
    assert rows == [
        (first, "sent", original["To"], None),
        (copy["id"], "sent", original["To"], first),
        (corrected.json()["id"], "sent", "sam.right@example.com", first),
        (copy_of_copy.json()["id"], "sent", "sam.right@example.com", first),
    ]
    # The order's own address is not changed by a copy sent elsewhere.
    with api.db.reading() as s:
        stored = s.get(Order, oid)
        assert stored is not None
        assert stored.payload["customer"]["email"] == original["To"]


async def test_a_retried_resend_request_makes_one_copy(api: Api) -> None:
    oid, first = await confirmation_of(api)
    send_messages(api)  # no mail server here: skipped, which may be sent again
    url = f"/orders/{oid}/messages/{first}/resend"
    headers = {**api.auth("analyst"), "Idempotency-Key": "cs-4471"}

    made = await api.http.post(url, headers=headers)
    retried = await api.http.post(url, headers=headers)

    assert made.status_code == 201, made.text
    assert retried.status_code == 200, retried.text
    assert retried.json()["id"] == made.json()["id"]
    listed = await api.http.get(f"/orders/{oid}/messages", headers=api.auth("analyst"))
    assert [m["resend_of"] for m in listed.json()["items"]] == [None, first]


async def test_a_message_is_not_sent_again_while_it_or_a_copy_is_on_its_way(api: Api) -> None:
    oid, first = await confirmation_of(api)
    url = f"/orders/{oid}/messages/{first}/resend"

    while_pending = await api.http.post(url, headers=api.auth("analyst"))
    send_messages(api)
    made = await api.http.post(url, headers=api.auth("analyst"))
    twice = await api.http.post(url, headers=api.auth("analyst"))

    assert while_pending.status_code == 409, while_pending.text
    assert (error_of(while_pending)["code"], error_of(while_pending)["field"]) == (
        "message_pending",
        "message_id",
    )
    assert made.status_code == 201, made.text
    assert twice.status_code == 409, twice.text
    assert error_of(twice)["code"] == "message_pending"
    assert str(made.json()["id"]) in error_of(twice)["reason"]


async def test_resend_refusals_name_the_field_and_another_channel_sees_nothing(api: Api) -> None:
    web, app = scoped(api)
    oid, first = await confirmation_of(api, web)
    send_messages(api)
    url = f"/orders/{oid}/messages/{first}/resend"

    elsewhere = await api.http.post(url, json={"to": "other@example.com"}, headers=web)
    own_channel = await api.http.post(url, headers=web)
    other_channel = await api.http.post(url, headers=app)
    store = await api.http.post(url, headers=api.auth("opera"))
    unknown = await api.http.post(
        f"/orders/{oid}/messages/999999/resend", headers=api.auth("analyst")
    )
    no_order = await api.http.post(
        f"/orders/NOPE/messages/{first}/resend", headers=api.auth("analyst")
    )
    bad_address = await api.http.post(
        url, json={"to": "not an address"}, headers=api.auth("analyst")
    )
    unknown_field = await api.http.post(
        url, json={"cc": "x@example.com"}, headers=api.auth("analyst")
    )
    bad_id = await api.http.post(f"/orders/{oid}/messages/0/resend", headers=api.auth("analyst"))

    # A storefront's resend link is the customer's: to where the message went, no further.
    assert (elsewhere.status_code, error_of(elsewhere)["code"]) == (403, "forbidden")
    assert error_of(elsewhere)["field"] == "to"
    assert own_channel.status_code == 201, own_channel.text
    assert (other_channel.status_code, error_of(other_channel)["code"]) == (404, "order_not_found")
    assert store.status_code == 403, store.text
    assert (unknown.status_code, error_of(unknown)["code"]) == (404, "message_not_found")
    assert error_of(unknown)["field"] == "message_id"
    assert (no_order.status_code, error_of(no_order)["code"]) == (404, "order_not_found")
    assert bad_address.status_code == 422, bad_address.text
    assert "to" in bad_address.text
    assert unknown_field.status_code == 422, unknown_field.text
    assert bad_id.status_code == 422, bad_id.text


async def test_a_message_no_template_can_take_is_not_sent_again(api: Api) -> None:
    oid, _ = await confirmation_of(api)
    with api.db.session() as s:  # a refund event that says nothing of what was refunded
        s.add(OutboxEvent(id=f"{oid}:return.refunded:x", type="return.refunded", order_id=oid,
                          payload={}))  # fmt: skip
    with api.db.session() as s:
        write_messages(s, now=datetime.now(UTC), limit=50)
    listed = await api.http.get(f"/orders/{oid}/messages", headers=api.auth("analyst"))
    broken = next(m for m in listed.json()["items"] if m["kind"] == "refunded")

    again = await api.http.post(
        f"/orders/{oid}/messages/{broken['id']}/resend", headers=api.auth("analyst")
    )

    assert broken["status"] == "failed", broken
    assert (again.status_code, error_of(again)["code"]) == (409, "message_unrenderable")
    assert "cannot be rendered" in error_of(again)["reason"]


async def test_two_agents_asking_at_once_send_one_copy(api: Api) -> None:
    # Each request holds the message (a row lock on PostgreSQL, the write lock on SQLite)
    # while it looks for a copy on its way: the second finds the first's.
    oid, first = await confirmation_of(api)
    send_messages(api)
    url = f"/orders/{oid}/messages/{first}/resend"

    answers = await asyncio.gather(
        *(api.http.post(url, headers=api.auth("analyst")) for _ in range(4))
    )

    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    listed = await api.http.get(f"/orders/{oid}/messages", headers=api.auth("analyst"))
    assert [m["resend_of"] for m in listed.json()["items"]] == [None, first]


async def test_a_copy_asked_from_another_copy_waits_for_the_first_copy_too(api: Api) -> None:
    # Two agents at one order: one sends the first message again, the other an earlier copy;
    # both are copies of the same message, and the customer gets one.
    oid, first = await confirmation_of(api)
    send_messages(api)
    earlier = await api.http.post(
        f"/orders/{oid}/messages/{first}/resend", headers=api.auth("analyst")
    )
    send_messages(api)

    from_first = await api.http.post(
        f"/orders/{oid}/messages/{first}/resend", headers=api.auth("analyst")
    )
    from_copy = await api.http.post(
        f"/orders/{oid}/messages/{earlier.json()['id']}/resend", headers=api.auth("analyst")
    )

    assert from_first.status_code == 201, from_first.text
    assert (from_copy.status_code, error_of(from_copy)["code"]) == (409, "message_pending")
