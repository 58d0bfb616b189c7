"""CustomerMessagesWorkflow against a real SMTP server started in the test (aiosmtpd): a real
order run's confirmation reaches it in the customer's language, once, however often the sending
step runs; a server that is down is retried with backoff, then the message is recorded failed
(time-skipping: the backoff's minutes pass at once)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from temporalio.client import WorkflowHandle
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.customer_messages import CustomerMessageActivities
from oms.connectors.email import EmailSender, SmtpSender
from oms.contracts.customer_messages import MessagesRequest
from oms.db import orders as order_repo
from oms.db import outbox
from oms.db.engine import Database
from oms.db.tables import CustomerMessage, Fulfilment, OutboxEvent
from oms.devserver import free_port
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.messages import MessageStatus
from oms.services.customer_messages import write_messages
from tests.factories import order, seed
from tests.mail import MailServer, html_of, text_of
from tests.workflows.harness import outbox_types, running, until, until_fulfilment
from tests.workflows.record_profile_paths import BOUTIQUE
from tests.workflows.record_profile_paths import _ready_for_collection as ready_for_collection
from workflows.customer_messages import (
    CustomerMessagesWorkflow,
    MessagesSettings,
    start_customer_messages,
)

SENDER = "Shop <orders@shop.example>"
# One pass per call; once caught up, a pause until the next retry (or a day): time-skipping
# jumps to it.
STEPPED = MessagesSettings(run_for_s=0, idle_s=86400, retry_for_s=3600)
FR = {"id": "C-FR", "email": "camille@example.com", "locale": "fr"}
EN = {"id": "C-EN", "email": "sam@example.com"}


def smtp(url: str) -> SmtpSender:
    return SmtpSender(url, sender=SENDER, timeout=5)


def messages(db: Database) -> list[CustomerMessage]:
    with db.reading() as s:
        return list(s.exec(select(CustomerMessage).order_by(col(CustomerMessage.id))))


def status_of_first(db: Database) -> str | None:
    rows = messages(db)
    return rows[0].status if rows else None


async def wait_for(check: Callable[[], bool], seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition never held")


async def skip_until(env: WorkflowEnvironment, check: Callable[[], bool], most: int) -> None:
    for _ in range(most):
        if check():
            return
        await env.sleep(timedelta(minutes=5))
    raise AssertionError("condition never held")


@asynccontextmanager
async def sending(
    env: WorkflowEnvironment, db: Database, mailer: EmailSender | None
) -> AsyncIterator[WorkflowHandle[CustomerMessagesWorkflow, None]]:
    async with running(env.client, db, mailer=mailer) as h:
        handle = await start_customer_messages(
            env.client, h.task_queue, STEPPED, workflow_id=f"customer-messages-{uuid.uuid4()}"
        )
        try:
            yield handle
        finally:
            await handle.terminate(reason="test finished")


def run_step(db: Database, mailer: EmailSender | None) -> None:
    """The sending activity run once more, as a retry or a second worker would."""
    step = CustomerMessageActivities(db, mailer, domain="shop.example")
    req = MessagesRequest(now=datetime.now(UTC), run_for_s=0, poll_s=0.1, batch=50, retry_for_s=60)
    ActivityEnvironment().run(step.send_customer_messages, req)


def confirmed(db: Database) -> int:
    with db.reading() as s:
        return len(list(s.exec(select(OutboxEvent).where(OutboxEvent.type == "order.confirmed"))))


async def test_a_real_orders_confirmation_reaches_the_mail_server_in_the_customers_language_once(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "WH-PARIS"): 50, ("SKU-MUG", "WH-PARIS"): 50})
    with MailServer() as mail:
        async with sending(time_env, db, smtp(mail.url)) as handle:
            async with running(time_env.client, db) as h:
                await h.place(order("M-FR", customer=FR))
                await h.place(order("M-EN", customer=EN))
                await wait_for(lambda: confirmed(db) == 2)
                await handle.signal(CustomerMessagesWorkflow.wake)
                await wait_for(lambda: len(mail.received) == 2)
        # The step runs again, twice at once, over the same events (as a retried activity or
        # a second worker would): nothing is written or sent twice.
        with db.session() as s:
            s.execute(update(OutboxEvent).values(messaged_at=None))
        await asyncio.gather(
            asyncio.to_thread(run_step, db, smtp(mail.url)),
            asyncio.to_thread(run_step, db, smtp(mail.url)),
        )
        received = list(mail.received)
    rows = sorted(messages(db), key=lambda r: r.locale, reverse=True)  # fr, then en

    [fr] = [m for m in received if m["To"] == "camille@example.com"]
    [en] = [m for m in received if m["To"] == "sam@example.com"]
    assert fr["Subject"] == "Votre commande M-FR est confirmée"
    assert fr["Content-Language"] == "fr"
    assert fr["From"] == SENDER
    assert "Total : 48,97\u00a0€" in text_of(fr)
    assert "<strong>M-FR</strong>" in html_of(fr)
    assert en["Subject"] == "Your order M-EN is confirmed"
    assert "Total: €48.97" in text_of(en)
    assert len(received) == 2
    assert [(r.order_id, r.kind, r.locale, r.status, r.attempts) for r in rows] == [
        ("M-FR", "order_confirmed", "fr", "sent", 1),
        ("M-EN", "order_confirmed", "en", "sent", 1),
    ]
    assert rows[0].to == "camille@example.com"
    assert rows[0].subject == fr["Subject"]
    assert rows[0].provider_message_id == fr["Message-ID"]
    assert rows[0].sent_at is not None


def _confirm(db: Database, order_id: str, email: str) -> None:
    """An order stored as the API stores it, and its confirmation in the outbox."""
    o = order(order_id, customer={"id": "C1", "email": email})
    with db.session() as s:
        order_repo.insert_order(s, o, received_at=datetime.now(UTC))
        outbox.emit(
            s,
            event_id=f"{order_id}:order.confirmed",
            type="order.confirmed",
            order_id=order_id,
            payload={"order_id": order_id, "currency": "EUR", "total": o.total},
        )


async def test_a_mail_server_that_is_down_is_retried_until_it_takes_the_message(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    port = free_port()  # nothing listens there yet
    _confirm(db, "R-1", "late@example.com")
    async with sending(time_env, db, smtp(f"smtp://127.0.0.1:{port}")):
        await skip_until(time_env, lambda: bool(messages(db)) and messages(db)[0].attempts >= 2, 30)
        waiting = messages(db)[0]
        with MailServer(port) as mail:
            await skip_until(time_env, lambda: status_of_first(db) == "sent", 30)
            received = list(mail.received)

    assert waiting.status == MessageStatus.PENDING
    assert waiting.last_error
    assert waiting.next_attempt_at is not None
    [row] = messages(db)
    assert row.attempts > waiting.attempts >= 2
    assert [m["To"] for m in received] == ["late@example.com"]


async def test_a_message_still_refused_when_the_window_closes_is_recorded_failed(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    _confirm(db, "D-1", "down@example.com")
    async with sending(time_env, db, smtp(f"smtp://127.0.0.1:{free_port()}")):
        await skip_until(time_env, lambda: status_of_first(db) == "failed", 40)
    [row] = messages(db)

    # Backoff: 1, 2, 4, 8, 16, 32 minutes... within the hour of STEPPED.retry_for_s.
    assert 4 <= row.attempts <= 7
    assert row.next_attempt_at is None
    assert row.sent_at is None
    assert row.last_error


async def test_a_mailbox_the_server_refuses_fails_at_once_and_the_others_go(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    _confirm(db, "X-1", "nobody@example.com")
    _confirm(db, "X-2", "someone@example.com")
    with MailServer() as mail:
        mail.refuse.add("nobody@example.com")
        async with sending(time_env, db, smtp(mail.url)):
            await wait_for(lambda: {m.status for m in messages(db)} == {"failed", "sent"})
        received = [m["To"] for m in mail.received]
    refused, sent = messages(db)

    assert (refused.status, refused.attempts) == ("failed", 1)
    assert refused.last_error is not None
    assert "550" in refused.last_error
    assert received == ["someone@example.com"]


async def test_without_a_mail_server_messages_are_recorded_skipped(db: Database) -> None:
    _confirm(db, "S-1", "quiet@example.com")
    run_step(db, None)
    [row] = messages(db)

    assert (row.status, row.attempts, row.to) == ("skipped", 0, "quiet@example.com")
    assert row.subject == "Your order S-1 is confirmed"


async def test_two_steps_at_once_send_each_message_once(db: Database) -> None:
    for n in range(8):
        _confirm(db, f"T-{n}", f"t{n}@example.com")
    with MailServer() as mail:
        with db.session() as s:  # written, not sent yet: both steps find them due
            write_messages(s, now=datetime.now(UTC), limit=50)
        await asyncio.gather(
            asyncio.to_thread(run_step, db, smtp(mail.url)),
            asyncio.to_thread(run_step, db, smtp(mail.url)),
        )
        received = sorted(m["To"] for m in mail.received)

    assert received == sorted(f"t{n}@example.com" for n in range(8))
    assert {(m.status, m.attempts) for m in messages(db)} == {("sent", 1)}


async def test_a_boutique_collection_sends_the_customer_its_collection_code(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    with MailServer() as mail:
        async with running(time_env.client, db, profiles=lambda *_: BOUTIQUE) as h:
            _, _, code = await ready_for_collection(h, db, "C-1")
        run_step(db, smtp(mail.url))
        received = {m["Subject"]: m for m in mail.received}

    ready = received["Your order C-1 is ready for collection"]
    assert f"Your collection code: {code}" in text_of(ready)
    assert "Your order C-1 is confirmed" in received
    assert {(m.kind, m.status) for m in messages(db)} == {
        ("order_confirmed", "sent"),
        ("ready_for_collection", "sent"),
    }


async def test_a_collection_at_a_store_no_profile_covers_tells_the_customer_it_is_ready(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    with MailServer() as mail:
        async with running(time_env.client, db) as h:  # no profile: the fixed flow
            handle = await h.place(
                order("C-2", delivery={"method": "collect", "store_id": "ST-OPERA"})
            )
            view = await until(h, "C-2", lambda v: bool(v.fulfilments))
            fid = view.fulfilments[0].fulfilment_id
            await until_fulfilment(h, fid, lambda f: f.status is FulfilmentStatus.AWAITING_PICK)
            await h.pick(
                fid,
                PickReport(
                    lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
                ),
            )
            await h.pack(fid)
            await wait_for(lambda: "fulfilment.ready_for_collection" in outbox_types(db, "C-2"))
            run_step(db, smtp(mail.url))
            await h.collected(fid)  # handed over on the order's number
            await handle.result()
        received = {m["Subject"]: m for m in mail.received}

    ready = received["Your order C-2 is ready for collection"]
    assert "Give your order number, C-2, at the counter." in text_of(ready)
    assert "collection code" not in text_of(ready)
    with db.reading() as s:
        [event] = [e for e in outbox.for_order(s, "C-2") if e.type.endswith("for_collection")]
    assert event.payload == {
        "fulfilment_id": fid,
        "order_id": "C-2",
        "location_id": "ST-OPERA",
        "collection_code": None,
    }


def _scanned(db: Database, order_id: str, status: str, n: int) -> None:
    with db.session() as s:
        outbox.emit(
            s,
            event_id=f"{order_id}.F1:{status}:{n}",
            type=f"shipment.{status}",
            order_id=order_id,
            payload={
                "order_id": order_id,
                "fulfilment_id": f"{order_id}.F1",
                "carrier": "simcarrier",
                "tracking_number": f"SIM-{order_id}",
                "status": status.upper(),
                "occurred_at": datetime.now(UTC).isoformat(),
            },
        )


async def test_a_parcel_its_carrier_never_reports_in_transit_is_shipped_once(db: Database) -> None:
    _confirm(db, "S-1", "skip@example.com")
    _scanned(db, "S-1", "out_for_delivery", 1)  # the carrier's first word of the parcel
    _scanned(db, "S-1", "in_transit", 2)  # a late transit scan: the same parcel
    _scanned(db, "S-1", "out_for_delivery", 3)

    with db.session() as s:
        write_messages(s, now=datetime.now(UTC), limit=50)

    shipped = [m for m in messages(db) if m.kind == "shipped"]
    assert [(m.event_id, m.to) for m in shipped] == [
        ("S-1.F1:out_for_delivery:1", "skip@example.com")
    ]


def _reminded(db: Database, order_id: str, fulfilment_status: FulfilmentStatus) -> None:
    """An order waiting at the Opéra store, reminded, its fulfilment now ``fulfilment_status``."""
    with db.session() as s:
        s.add(
            Fulfilment(
                id=f"{order_id}.F1",
                order_id=order_id,
                location_id="ST-OPERA",
                workflow_id=f"fulfilment-{order_id}.F1",
                status=fulfilment_status.value,
                delivery_method="collect",
                lines=[],
            )
        )
        outbox.emit(
            s,
            event_id=f"{order_id}.F1:collection_reminder",
            type="fulfilment.collection_reminder",
            order_id=order_id,
            payload={
                "order_id": order_id,
                "fulfilment_id": f"{order_id}.F1",
                "location_id": "ST-OPERA",
                "collection_code": "482913",
                "customer_message": "customer.collection_reminder",
                "hold_until": "2026-12-14T09:30:00+00:00",
            },
        )


async def test_a_reminder_no_longer_true_when_its_turn_comes_is_withdrawn_not_sent(
    db: Database,
) -> None:
    # Two customers reminded while the mail server was away: one has since taken everything.
    _confirm(db, "W-1", "took-it@example.com")
    _reminded(db, "W-1", FulfilmentStatus.COLLECTED)
    _confirm(db, "W-2", "still-away@example.com")
    _reminded(db, "W-2", FulfilmentStatus.READY_FOR_COLLECTION)
    with MailServer() as mail:
        run_step(db, smtp(mail.url))
        reminded = sorted(m["To"] for m in mail.received if "still waiting" in m["Subject"])

    assert reminded == ["still-away@example.com"]
    statuses = {(m.order_id, m.kind): m.status for m in messages(db)}
    assert statuses[("W-1", "collection_reminder")] == "withdrawn"
    assert statuses[("W-2", "collection_reminder")] == "sent"
    assert statuses[("W-1", "order_confirmed")] == "sent"
