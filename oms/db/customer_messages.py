"""Customer messages: the outbox events not looked at yet, one row per message (unique by its
key), the messages due now (claimed by one pass at a time), each attempt's outcome, and an
order's list (oms.services.customer_messages decides; this loads and stores)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from oms.db.tables import Channel, CustomerMessage, Location, Order, OutboxEvent, Product
from oms.db.tables.base import as_utc
from oms.domain.messages import MessageStatus


def unmessaged(session: Session, *, limit: int) -> list[OutboxEvent]:
    """Up to ``limit`` events not looked at for a message yet, oldest first."""
    stmt = (
        select(OutboxEvent)
        .where(col(OutboxEvent.messaged_at).is_(None))
        .order_by(col(OutboxEvent.created_at), col(OutboxEvent.id))
        .limit(limit)
    )
    return list(session.exec(stmt))


def mark_messaged(session: Session, events: Sequence[OutboxEvent], *, now: datetime) -> None:
    for e in events:
        e.messaged_at = now
        session.add(e)
    session.flush()


def order(session: Session, order_id: str) -> Order | None:
    return session.get(Order, order_id)


def channel_locale(session: Session, channel_id: str) -> str | None:
    ch = session.get(Channel, channel_id)
    return ch.locale if ch is not None else None


def names(session: Session, skus: set[str], location_ids: set[str]) -> tuple[dict[str, str], ...]:
    """Product names by SKU and location names by id, for those that exist."""
    products = dict(
        session.exec(select(Product.sku, Product.name).where(col(Product.sku).in_(skus))).all()
    )
    places = dict(
        session.exec(
            select(Location.id, Location.name).where(col(Location.id).in_(location_ids))
        ).all()
    )
    return products, places


def one(
    session: Session, order_id: str, message_id: int, *, lock: bool = False
) -> CustomerMessage | None:
    """The order's message of that id; ``lock``: held until the transaction ends (PostgreSQL),
    so two requests to send it again take turns."""
    row = session.get(CustomerMessage, message_id, with_for_update=lock)
    return row if row is not None and row.order_id == order_id else None


def by_key(session: Session, key: str) -> CustomerMessage | None:
    return session.exec(select(CustomerMessage).where(CustomerMessage.key == key)).first()


def has_message(session: Session, order_id: str, kind: str) -> bool:
    """Whether the order has a message of this kind that told, or will tell, its customer
    (sent, on its way, or recorded with no mail server): one that failed or was withdrawn
    told them nothing."""
    told = (MessageStatus.PENDING.value, MessageStatus.SENT.value, MessageStatus.SKIPPED.value)
    stmt = select(CustomerMessage.id).where(
        CustomerMessage.order_id == order_id,
        CustomerMessage.kind == kind,
        col(CustomerMessage.status).in_(told),
    )
    return session.exec(stmt.limit(1)).first() is not None


def pending_copy(session: Session, order_id: str, message_id: int) -> int | None:
    """A copy of the message asked for before and not sent yet: its id."""
    stmt = select(CustomerMessage.id).where(
        CustomerMessage.order_id == order_id,
        CustomerMessage.resend_of == message_id,
        CustomerMessage.status == MessageStatus.PENDING.value,
    )
    return session.exec(stmt).first()


def add(session: Session, row: CustomerMessage) -> bool:
    """Store the message unless one with its key is there. True if it is new."""
    exists = session.exec(select(CustomerMessage.id).where(CustomerMessage.key == row.key))
    if exists.first() is not None:
        return False
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another pass wrote it a moment ago
        return False
    return True


def claim_due(
    session: Session, *, now: datetime, limit: int, token: str, lease: timedelta
) -> list[tuple[CustomerMessage, OutboxEvent, Order]]:
    """Take up to ``limit`` pending messages due now for this pass (``token``): nobody else
    takes them before ``now + lease``. The UPDATE re-checks each row, so of two passes that
    saw the same row only one takes it."""
    ids = list(
        session.exec(
            select(CustomerMessage.id)
            .where(
                CustomerMessage.status == MessageStatus.PENDING.value,
                col(CustomerMessage.next_attempt_at) <= now,
            )
            .order_by(col(CustomerMessage.id))
            .limit(limit)
        )
    )
    if not ids:
        return []
    session.execute(
        update(CustomerMessage)
        .where(
            col(CustomerMessage.id).in_(ids),
            col(CustomerMessage.status) == MessageStatus.PENDING.value,
            col(CustomerMessage.next_attempt_at) <= now,
        )
        .values(claim=token, next_attempt_at=now + lease)
    )
    session.flush()
    stmt = (
        select(CustomerMessage, OutboxEvent, Order)
        .join(OutboxEvent, col(OutboxEvent.id) == col(CustomerMessage.event_id))
        .join(Order, col(Order.id) == col(CustomerMessage.order_id))
        .where(CustomerMessage.claim == token, col(CustomerMessage.id).in_(ids))
        .order_by(col(CustomerMessage.id))
    )
    return [(m, e, o) for m, e, o in session.exec(stmt)]


def record(session: Session, message_id: int, token: str, **changes: Any) -> bool:
    """Write an attempt's outcome to a message this pass still holds. False when another
    pass took it meanwhile (this one's lease ran out)."""
    row = session.get(CustomerMessage, message_id)
    if row is None or row.claim != token:
        return False
    for name, value in changes.items():
        setattr(row, name, value)
    row.claim = None
    session.add(row)
    session.flush()
    return True


def next_due(session: Session) -> datetime | None:
    stmt = (
        select(CustomerMessage.next_attempt_at)
        .where(CustomerMessage.status == MessageStatus.PENDING.value)
        .order_by(col(CustomerMessage.next_attempt_at))
        .limit(1)
    )
    at = session.exec(stmt).first()
    return as_utc(at) if at is not None else None


def for_order(
    session: Session, order_id: str, *, after: int | None, limit: int
) -> list[CustomerMessage]:
    stmt = (
        select(CustomerMessage)
        .where(CustomerMessage.order_id == order_id)
        .order_by(col(CustomerMessage.id))
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(col(CustomerMessage.id) > after)
    return list(session.exec(stmt))
