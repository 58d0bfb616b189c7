"""The relay's storage: outbox events become one delivery per matching subscription, once;
a rotated secret signs beside the new one for its grace period only; an unsubscribed URL gets
nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from oms.db import outbox, webhooks_out
from oms.db.engine import Database
from oms.db.tables import OutboxEvent, WebhookDelivery

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


def subscribe(db: Database, sub_id: str, events: list[str]) -> None:
    with db.session() as s:
        webhooks_out.create(
            s, subscription_id=sub_id, url="http://127.0.0.1:9/", events=events, secret="old"
        )


def test_each_event_becomes_one_delivery_per_matching_subscription_once(db: Database) -> None:
    subscribe(db, "orders", ["order.*"])
    subscribe(db, "all", ["*"])
    with db.session() as s:
        outbox.emit(s, event_id="e1", type="order.completed", order_id="O1", payload={})
        outbox.emit(s, event_id="e2", type="task.escalated", order_id=None, payload={})
    with db.session() as s:
        first = webhooks_out.relay(s, now=NOW, limit=100)
    with db.session() as s:
        second = webhooks_out.relay(s, now=NOW, limit=100)
    with db.reading() as s:
        made = sorted((d.subscription_id, d.event_id) for d in s.exec(select(WebhookDelivery)))
        relayed = [e.delivered_at for e in s.exec(select(OutboxEvent))]
        due = webhooks_out.due(s, now=NOW, limit=100)

    assert (first, second) == (2, 0)
    assert made == [("all", "e1"), ("all", "e2"), ("orders", "e1")]
    assert all(at is not None for at in relayed)
    assert len(due) == 3


def test_a_rotated_secret_signs_beside_the_new_one_until_its_grace_ends(db: Database) -> None:
    subscribe(db, "s1", ["*"])
    with db.session() as s:
        row = webhooks_out.rotate(s, "s1", "new", now=NOW, grace=timedelta(hours=24))
        assert row is not None
        during = webhooks_out.signing_secrets(row, NOW + timedelta(hours=23))
        after = webhooks_out.signing_secrets(row, NOW + timedelta(hours=25))
        at_once = webhooks_out.rotate(s, "s1", "newer", now=NOW, grace=timedelta(0))
        assert at_once is not None
        alone = webhooks_out.signing_secrets(at_once, NOW)

    assert (during, after, alone) == (["new", "old"], ["new"], ["newer"])


def test_what_was_still_to_be_sent_to_an_unsubscribed_url_is_dead(db: Database) -> None:
    subscribe(db, "s1", ["*"])
    with db.session() as s:
        outbox.emit(s, event_id="e1", type="order.completed", order_id="O1", payload={})
        webhooks_out.relay(s, now=NOW, limit=10)
    with db.session() as s:
        assert webhooks_out.remove(s, "s1")
    with db.reading() as s:
        (row,) = s.exec(select(WebhookDelivery))
        due = webhooks_out.due(s, now=NOW, limit=10)

    assert (row.status, row.last_error) == ("dead", "unsubscribed")
    assert due == []
