"""The storefront stock-event feed: the watcher's outbox events, oldest first, by cursor.

Events are ordered by (created_at, id). One watcher writes them, one transaction after the
other, so an event never appears behind a cursor already handed out.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from oms.db.tables import OutboxEvent
from oms.domain.stock_events import EVENT_TYPES


def _utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def encode_cursor(event: OutboxEvent) -> str:
    raw = f"{_utc(event.created_at).isoformat()}|{event.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises ValueError on a cursor this service did not issue."""
    try:
        at, event_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return _utc(datetime.fromisoformat(at)), event_id
    except Exception as exc:
        raise ValueError("not a cursor issued by this API") from exc


def page(
    session: Session, *, channel: str | None, after: str | None, limit: int
) -> tuple[list[OutboxEvent], bool]:
    """Up to ``limit`` stock events after the cursor, and whether more are waiting."""
    created, event_id = col(OutboxEvent.created_at), col(OutboxEvent.id)
    stmt = select(OutboxEvent).where(col(OutboxEvent.type).in_(sorted(EVENT_TYPES.values())))
    if channel is not None:
        stmt = stmt.where(col(OutboxEvent.payload)["channel"].as_string() == channel)
    if after is not None:
        at, last_id = decode_cursor(after)
        stmt = stmt.where(or_(created > at, and_(created == at, event_id > last_id)))
    rows = list(session.exec(stmt.order_by(created, event_id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit
