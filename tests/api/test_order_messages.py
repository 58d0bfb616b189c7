"""GET /orders/{id}/messages: what the customer was told, in the language of the order or of its
channel, seen by the order's own channel, analysts and admins only, page by page."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.customer_messages import CustomerMessageActivities
from oms.connectors.email import SmtpSender
from oms.contracts.customer_messages import MessagesRequest
from oms.db.tables import OutboxEvent
from tests.api.conftest import Api, collect_body, error_of, full_pick, order_body
from tests.api.test_key_scope import scoped
from tests.mail import MailServer, text_of


def confirmed(api: Api, order_id: str) -> bool:
    with api.db.reading() as s:
        found = s.exec(
            select(OutboxEvent).where(
                OutboxEvent.order_id == order_id, OutboxEvent.type == "order.confirmed"
            )
        )
        return found.first() is not None


def send_messages(api: Api) -> None:
    """One pass of the customer messages, without a mail server: recorded as skipped."""
    step = CustomerMessageActivities(api.db, None, domain="shop.example")
    req = MessagesRequest(now=datetime.now(UTC), run_for_s=0, poll_s=0.1, batch=50, retry_for_s=60)
    ActivityEnvironment().run(step.send_customer_messages, req)


def send_by_smtp(api: Api, url: str) -> None:
    """One pass of the customer messages through the mail server at ``url``."""
    sender = SmtpSender(url, sender="Shop <orders@shop.example>", timeout=5)
    step = CustomerMessageActivities(api.db, sender, domain="shop.example")
    req = MessagesRequest(now=datetime.now(UTC), run_for_s=0, poll_s=0.1, batch=50, retry_for_s=60)
    ActivityEnvironment().run(step.send_customer_messages, req)


async def test_an_orders_messages_are_listed_for_its_channel_analysts_and_admins(
    api: Api,
) -> None:
    web, app = scoped(api)
    patched = await api.http.patch(
        "/channels/web-fr", json={"locale": "fr"}, headers=api.auth("admin")
    )
    assert (patched.status_code, patched.json()["locale"]) == (200, "fr")
    in_french = order_body(channel="web-fr")
    in_english = order_body(
        channel="web-fr", customer={"id": "C9", "email": "sam@example.com", "locale": "en"}
    )
    for body in (in_french, in_english):
        placed = await api.http.post("/orders", json=body, headers=web)
        assert placed.status_code == 201, placed.text
    for body in (in_french, in_english):
        oid = body["id"]
        await api.until(oid, lambda _, oid=oid: confirmed(api, oid))
    send_messages(api)
    send_messages(api)  # a second pass changes nothing

    fr = await api.http.get(f"/orders/{in_french['id']}/messages", headers=web)
    en = await api.http.get(f"/orders/{in_english['id']}/messages", headers=api.auth("analyst"))
    admin = await api.http.get(f"/orders/{in_french['id']}/messages", headers=api.auth("admin"))
    hidden = await api.http.get(f"/orders/{in_french['id']}/messages", headers=app)
    missing = await api.http.get("/orders/NOPE/messages", headers=api.auth("analyst"))

    assert fr.status_code == 200, fr.text
    [message] = fr.json()["items"]
    assert message["kind"] == "order_confirmed"
    assert message["locale"] == "fr"  # the channel's language: the order gives none
    assert message["status"] == "skipped"  # no mail server in this test
    assert message["to"] == in_french["customer"]["email"]
    assert message["subject"] == f"Votre commande {in_french['id']} est confirmée"
    assert fr.json()["next_after"] is None
    [english] = en.json()["items"]
    assert (english["locale"], english["to"]) == ("en", "sam@example.com")
    assert admin.json()["items"] == fr.json()["items"]
    assert (hidden.status_code, error_of(hidden)["code"]) == (404, "order_not_found")
    assert (missing.status_code, error_of(missing)["code"]) == (404, "order_not_found")


async def test_messages_come_page_by_page(api: Api) -> None:
    body = order_body()
    await api.place(body)
    await api.until(body["id"], lambda _: confirmed(api, body["id"]))
    with api.db.session() as s:
        for n in range(2):  # two more events of the order that tell the customer something
            s.add(
                OutboxEvent(
                    id=f"{body['id']}:shipment.in_transit:{n}",
                    type="shipment.in_transit",
                    order_id=body["id"],
                    payload={
                        "fulfilment_id": f"{body['id']}.F{n + 1}",
                        "carrier": "simcarrier",
                        "tracking_number": f"SIM{n}",
                    },
                )
            )
    send_messages(api)
    url = f"/orders/{body['id']}/messages"

    first = (await api.http.get(url, params={"limit": 2}, headers=api.auth("analyst"))).json()
    rest = await api.http.get(
        url, params={"limit": 2, "after": first["next_after"]}, headers=api.auth("analyst")
    )

    assert [m["kind"] for m in first["items"]] == ["order_confirmed", "shipped"]
    assert [m["kind"] for m in rest.json()["items"]] == ["shipped"]
    assert rest.json()["next_after"] is None


def body_of(message: EmailMessage) -> str:
    """The text part, its lines ended as the templates end them (SMTP sends CRLF)."""
    return text_of(message).replace("\r\n", "\n")


async def test_units_cancelled_by_customer_service_are_told_in_the_channels_language(
    api: Api,
) -> None:
    web, _ = scoped(api)
    patched = await api.http.patch(
        "/channels/web-fr", json={"locale": "fr"}, headers=api.auth("admin")
    )
    assert patched.status_code == 200, patched.text
    body = order_body(channel="web-fr")
    placed = await api.http.post("/orders", json=body, headers=web)
    assert placed.status_code == 201, placed.text
    await api.until_fulfilment(body["id"], "AWAITING_PICK")

    cancel = {"quantity": 1, "reason_code": "customer_request"}
    cancelled = await api.http.post(
        f"/orders/{body['id']}/lines/1/cancel", json=cancel, headers=api.auth("analyst")
    )
    assert cancelled.status_code == 200, cancelled.text
    with MailServer() as mail:
        send_by_smtp(api, mail.url)
        [told] = [m for m in mail.received if "annulée" in m["Subject"]]

    assert told["Subject"] == f"Une partie de votre commande {body['id']} a été annulée"
    assert told["Content-Language"] == "fr"
    text = body_of(told)
    assert "- 1 x Tee shirt (SKU-TEE) : 19,99\u00a0€\n" in text
    assert "Vous nous avez demandé de l'annuler." in text
    assert "ne vous sera pas facturée (19,99\u00a0€)" in text
    assert "Le reste de votre commande suit son cours." in text
    listed = await api.http.get(f"/orders/{body['id']}/messages", headers=api.auth("analyst"))
    [message] = [m for m in listed.json()["items"] if m["kind"] == "line_cancelled"]
    assert (message["status"], message["locale"]) == ("sent", "fr")


async def test_a_line_cancel_that_cancels_the_order_is_told_once_as_a_cancellation(
    api: Api,
) -> None:
    body = order_body(lines=[{"line_id": "1", "sku": "SKU-TEE", "quantity": 2, "unit_price": 1999}])
    await api.awaiting_pick(body)

    cancelled = await api.http.post(
        f"/orders/{body['id']}/lines/1/cancel",
        json={"reason_code": "customer_request"},
        headers=api.auth("analyst"),
    )
    assert cancelled.status_code == 200, cancelled.text
    await api.until(body["id"], lambda v: v["status"] == "CANCELLED")
    await api.until(body["id"], lambda _: cancellation_written(api, body["id"]))
    with MailServer() as mail:
        send_by_smtp(api, mail.url)
        subjects = [m["Subject"] for m in mail.received]

    assert subjects == [
        f"Your order {body['id']} is confirmed",
        f"Your order {body['id']} was cancelled",
    ]
    listed = await api.http.get(f"/orders/{body['id']}/messages", headers=api.auth("analyst"))
    statuses = {m["kind"]: m["status"] for m in listed.json()["items"]}
    assert statuses["line_cancelled"] == "withdrawn"
    assert statuses["cancelled"] == "sent"


def cancellation_written(api: Api, order_id: str) -> bool:
    with api.db.reading() as s:
        found = s.exec(
            select(OutboxEvent).where(
                OutboxEvent.order_id == order_id, OutboxEvent.type == "order.cancelled"
            )
        )
        return found.first() is not None


async def test_a_new_delivery_address_is_confirmed_to_the_customer(api: Api) -> None:
    body = order_body()
    await api.awaiting_pick(body)
    lyon = {"name": "Alice", "line1": "1 place Bellecour", "city": "Lyon",
            "postal_code": "69002", "country": "FR", "lat": 45.757, "lon": 4.832}  # fmt: skip

    moved = await api.http.patch(
        f"/orders/{body['id']}/delivery",
        json={"address": lyon, "express": True},
        headers=api.auth("analyst"),
    )
    assert moved.status_code == 200, moved.text
    with MailServer() as mail:
        send_by_smtp(api, mail.url)
        [told] = [m for m in mail.received if "delivery" in m["Subject"]]

    assert told["Subject"] == f"The delivery of your order {body['id']} has changed"
    text = body_of(told)
    assert "will be delivered to:\n  Alice\n  1 place Bellecour\n  69002 Lyon\n  FR\n" in text
    assert "It goes by express delivery." in text
    assert "rue de Rivoli" not in text  # the address it replaces


async def test_a_collection_at_a_store_without_a_profile_tells_the_customer_it_is_ready(
    api: Api,
) -> None:
    # The README's walk-through: a collection at a store no fulfilment profile covers.
    body = collect_body()
    fulfilment = await api.awaiting_pick(body)
    fid = fulfilment["id"]
    store = api.auth("opera")
    picked = await api.http.post(
        f"/fulfilments/{fid}/pick", json=full_pick(fulfilment), headers=store
    )
    packed = await api.http.post(
        f"/fulfilments/{fid}/pack", json={"parcels": [{"weight_grams": 900}]}, headers=store
    )
    assert (picked.status_code, packed.status_code) == (200, 200)
    await api.until_fulfilment(body["id"], "READY_FOR_COLLECTION")
    await api.until(body["id"], lambda _: told_ready(api, body["id"]))
    send_messages(api)

    listed = await api.http.get(f"/orders/{body['id']}/messages", headers=api.auth("analyst"))

    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [m["kind"] for m in items] == ["order_confirmed", "ready_for_collection"]
    assert items[1]["subject"] == f"Your order {body['id']} is ready for collection"
    collected = await api.http.post(f"/fulfilments/{fid}/collected", headers=store)
    assert collected.status_code == 200, collected.text  # handed over without a code


def told_ready(api: Api, order_id: str) -> bool:
    with api.db.reading() as s:
        found = s.exec(
            select(OutboxEvent).where(
                OutboxEvent.order_id == order_id,
                OutboxEvent.type == "fulfilment.ready_for_collection",
            )
        )
        return found.first() is not None
