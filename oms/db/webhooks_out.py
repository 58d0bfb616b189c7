"""Webhooks out: subscriptions, and the deliveries the relay makes of the outbox's events
(oms.domain.webhooks_out says which events match, in which order and when to retry)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from oms.db.tables import OutboxEvent, WebhookDelivery, WebhookSubscription
from oms.db.tables.base import as_utc
from oms.domain.webhooks_out import (
    DeliveryStatus,
    Due,
    Outcome,
    matches,
    next_attempt,
    ordering_key,
)

OPEN = (DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value)


def create(
    session: Session, *, subscription_id: str, url: str, events: list[str], secret: str
) -> WebhookSubscription:
    row = WebhookSubscription(id=subscription_id, url=url, events=events, secret=secret)
    session.add(row)
    session.flush()
    return row


def subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.exec(select(WebhookSubscription).order_by(col(WebhookSubscription.id))))


def subscription(session: Session, subscription_id: str) -> WebhookSubscription | None:
    return session.get(WebhookSubscription, subscription_id)


def remove(session: Session, subscription_id: str) -> bool:
    """Drop the subscription; what was still to be sent to it is dropped with it."""
    row = session.get(WebhookSubscription, subscription_id)
    if row is None:
        return False
    session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.subscription_id) == subscription_id,
            col(WebhookDelivery.status).in_(OPEN),
        )
        .values(status=DeliveryStatus.DEAD.value, next_attempt_at=None, last_error="unsubscribed")
    )
    session.delete(row)
    session.flush()
    return True


def rotate(
    session: Session, subscription_id: str, secret: str, *, now: datetime, grace: timedelta
) -> WebhookSubscription | None:
    """A new secret; the one before still signs (beside it) for ``grace``."""
    row = session.get(WebhookSubscription, subscription_id)
    if row is None:
        return None
    row.previous_secret = row.secret if grace > timedelta(0) else None
    row.previous_until = now + grace if grace > timedelta(0) else None
    row.secret, row.rotated_at = secret, now
    session.add(row)
    session.flush()
    return row


def signing_secrets(row: WebhookSubscription, now: datetime) -> list[str]:
    """The secrets a request is signed with now: the current one, and the one before it
    during the grace period of a rotation."""
    keys = [row.secret]
    if row.previous_secret and row.previous_until and as_utc(row.previous_until) > now:
        keys.append(row.previous_secret)
    return keys


def relay(session: Session, *, now: datetime, limit: int) -> int:
    """Turn up to ``limit`` events not relayed yet, oldest first, into one pending delivery
    for each subscription whose patterns match; answers how many events were relayed."""
    events = list(
        session.exec(
            select(OutboxEvent)
            .where(col(OutboxEvent.delivered_at).is_(None))
            .order_by(col(OutboxEvent.created_at), col(OutboxEvent.id))
            .limit(limit)
        )
    )
    if not events:
        return 0
    subs = subscriptions(session)
    for e in events:
        key = ordering_key(e.order_id, e.payload)
        for sub in subs:
            if matches(sub.events, e.type):
                session.add(
                    WebhookDelivery(
                        subscription_id=sub.id,
                        event_id=e.id,
                        event_type=e.type,
                        ordering_key=key,
                        status=DeliveryStatus.PENDING.value,
                        next_attempt_at=now,
                    )
                )
        e.delivered_at = now
        session.add(e)
    session.flush()
    return len(events)


def _heads() -> Any:
    """Open deliveries that no earlier open delivery of the same subscription and ordering
    key holds back."""
    earlier = aliased(WebhookDelivery)
    d = WebhookDelivery
    held = exists().where(
        and_(
            col(earlier.subscription_id) == col(d.subscription_id),
            col(earlier.ordering_key) == col(d.ordering_key),
            col(earlier.status).in_(OPEN),
            col(earlier.id) < col(d.id),
        )
    )
    return and_(col(d.status).in_(OPEN), ~held)


def due(session: Session, *, now: datetime, limit: int) -> list[Due]:
    """The deliveries that may go now (their time has come, nothing holds them back), oldest
    first."""
    d = WebhookDelivery
    stmt = (
        select(d, WebhookSubscription, OutboxEvent)
        .join(WebhookSubscription, col(WebhookSubscription.id) == col(d.subscription_id))
        .join(OutboxEvent, col(OutboxEvent.id) == col(d.event_id))
        .where(_heads(), col(d.next_attempt_at) <= now)
        .order_by(col(d.id))
        .limit(limit)
    )
    out = []
    for delivery, sub, event in session.exec(stmt):
        assert delivery.id is not None
        out.append(
            Due(
                delivery_id=delivery.id,
                url=sub.url,
                secrets=signing_secrets(sub, now),
                event_id=event.id,
                event_type=event.type,
                created_at=as_utc(event.created_at),
                payload=event.payload,
            )
        )
    return out


def record(
    session: Session, outcomes: Sequence[Outcome], *, now: datetime, retry_for: timedelta
) -> dict[DeliveryStatus, int]:
    """Store each attempt's outcome: delivered, failed with its next attempt, or dead once
    the retry window is over. Answers how many ended in each status."""
    counts: dict[DeliveryStatus, int] = {}
    ids = [o.delivery_id for o in outcomes]
    rows = {
        r.id: r
        for r in session.exec(select(WebhookDelivery).where(col(WebhookDelivery.id).in_(ids)))
    }
    for o in outcomes:
        row = rows.get(o.delivery_id)
        if row is None or row.status not in OPEN:  # redelivered or unsubscribed meanwhile
            continue
        row.attempts += 1
        row.first_attempt_at = row.first_attempt_at or now
        row.last_status_code, row.last_error = o.status_code, (o.error or None)
        if o.ok:
            status, row.delivered_at, row.next_attempt_at = DeliveryStatus.DELIVERED, now, None
        else:
            row.next_attempt_at = next_attempt(
                row.attempts, as_utc(row.first_attempt_at), now, retry_for
            )
            status = DeliveryStatus.FAILED if row.next_attempt_at else DeliveryStatus.DEAD
        row.status = status.value
        counts[status] = counts.get(status, 0) + 1
        session.add(row)
    session.flush()
    return counts


def next_due(session: Session) -> datetime | None:
    """When the next delivery that nothing holds back falls due; None: none is waiting."""
    stmt = (
        select(WebhookDelivery.next_attempt_at)
        .where(_heads())
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(1)
    )
    at = session.exec(stmt).first()
    return as_utc(at) if at is not None else None


def deliveries(
    session: Session,
    *,
    subscription_id: str | None,
    status: DeliveryStatus | None,
    after: int | None,
    limit: int,
) -> list[WebhookDelivery]:
    stmt = select(WebhookDelivery).order_by(col(WebhookDelivery.id)).limit(limit)
    if subscription_id is not None:
        stmt = stmt.where(col(WebhookDelivery.subscription_id) == subscription_id)
    if status is not None:
        stmt = stmt.where(col(WebhookDelivery.status) == status.value)
    if after is not None:
        stmt = stmt.where(col(WebhookDelivery.id) > after)
    return list(session.exec(stmt))


def redeliver(session: Session, delivery_id: int, *, now: datetime) -> WebhookDelivery | None:
    """Send the delivery again now, whatever its status, with a new retry window."""
    row = session.get(WebhookDelivery, delivery_id)
    if row is None or session.get(WebhookSubscription, row.subscription_id) is None:
        return None
    row.status = DeliveryStatus.PENDING.value
    row.next_attempt_at, row.first_attempt_at, row.delivered_at = now, None, None
    session.add(row)
    session.flush()
    return row
