"""Events for other systems, written once per idempotency key (the transactional outbox)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from oms.db.tables import OutboxEvent


def emit(
    session: Session, *, event_id: str, type: str, order_id: str | None, payload: dict[str, Any]
) -> bool:
    """Store the event unless it already is. True if it was new."""
    if session.get(OutboxEvent, event_id) is not None:
        return False
    session.add(OutboxEvent(id=event_id, type=type, order_id=order_id, payload=payload))
    session.flush()
    return True


def for_order(session: Session, order_id: str) -> list[OutboxEvent]:
    stmt = (
        select(OutboxEvent)
        .where(OutboxEvent.order_id == order_id)
        .order_by(col(OutboxEvent.created_at))
    )
    return list(session.exec(stmt))
