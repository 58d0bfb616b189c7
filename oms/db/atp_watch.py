"""The ATP watcher's database side: which positions changed, the figures storefronts were last
told (``channel_atp``), and storing the new ones with their events. What changed and which
event it makes is ``oms.domain.stock_events.changes``'s to say.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from oms.db import outbox
from oms.db.tables import Channel, InventoryPosition
from oms.db.tables import ChannelAtp as Recorded
from oms.db.tables.base import as_utc as as_utc  # re-exported: callers import it from here
from oms.domain.stock_events import FigureChange, PositionKey, WatchCursor


def changed(session: Session, cursor: WatchCursor, limit: int) -> list[PositionKey]:
    """The next positions of the cursor's pass, oldest update first.

    ``updated_at`` is when a position's figures last changed (a write that repeats them keeps
    it), which is all this scan needs: a write that leaves the figures as they were moves no
    ATP."""
    p = InventoryPosition
    updated, sku, loc = col(p.updated_at), col(p.sku), col(p.location_id)
    stmt = select(updated, sku, loc)
    if cursor.since is not None:
        stmt = stmt.where(updated >= cursor.since)
    if (a := cursor.after) is not None:
        stmt = stmt.where(
            or_(
                updated > a.updated_at,
                and_(
                    updated == a.updated_at,
                    or_(sku > a.sku, and_(sku == a.sku, loc > a.location_id)),
                ),
            )
        )
    rows = session.execute(stmt.order_by(updated, sku, loc).limit(limit)).all()
    return [PositionKey(updated_at=as_utc(at), sku=s, location_id=lo) for at, s, lo in rows]


def channel_ids(session: Session) -> list[str]:
    return list(session.execute(select(col(Channel.id)).order_by(col(Channel.id))).scalars())


def recorded_figures(session: Session, channel_id: str, skus: Sequence[str]) -> dict[str, Recorded]:
    """The figures storefronts were last told of these SKUs in the channel, locked: a second
    pass over the same SKUs (a retried attempt still running) waits, then compares with what
    this one records, so one crossing is never reported as two."""
    return {
        row.sku: row
        for row in session.execute(
            select(Recorded)
            .where(col(Recorded.channel_id) == channel_id, col(Recorded.sku).in_(sorted(skus)))
            .with_for_update()
        ).scalars()
    }


def store(
    session: Session,
    channel_id: str,
    found: Sequence[FigureChange],
    rows: dict[str, Recorded],
    now: datetime,
) -> list[str]:
    """Record the new figures and write each crossing's event to the outbox (once per event
    id); answers the ids of the events new to the outbox."""
    emitted: list[str] = []
    for change in found:
        if change.event_id is not None and change.event_type is not None and change.payload:
            if outbox.emit(
                session,
                event_id=change.event_id,
                type=change.event_type,
                order_id=None,
                payload=change.payload.model_dump(),
            ):
                emitted.append(change.event_id)
        row = rows.get(change.sku)
        if row is None:
            row = Recorded(channel_id=channel_id, sku=change.sku, atp=change.atp, updated_at=now)
        row.atp, row.updated_at = change.atp, now
        session.add(row)
    session.flush()
    return emitted
