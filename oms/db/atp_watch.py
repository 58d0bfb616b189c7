"""The ATP watcher's database side: which positions changed, and each channel's figure for
their SKUs compared with the last one storefronts were told (``channel_atp``).

Comparing is idempotent: a SKU whose channel ATP has not moved since it was recorded writes
nothing, so reading the same positions twice emits nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from oms.db import availability as av
from oms.db import outbox
from oms.db.tables import Channel, InventoryPosition
from oms.db.tables import ChannelAtp as Recorded
from oms.domain.availability_lookup import atp_for
from oms.domain.stock_events import (
    EVENT_TYPES,
    PositionKey,
    StockEventPayload,
    WatchCursor,
    assess,
    event_id,
)


def as_utc(dt: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; every stored time is UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


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


def record(
    session: Session, skus: Sequence[str], now: datetime, *, channels: Sequence[str]
) -> list[str]:
    """Bring each channel's recorded figure of these SKUs up to date, emitting an outbox
    event for every crossing; the event ids emitted. SKUs not in the catalogue are skipped."""
    emitted: list[str] = []
    for channel_id in channels:
        try:
            setup = av.load_channel(session, channel_id)
        except av.UnknownChannel:
            continue
        # The recorded figures are locked before the new ones are read: a second pass over
        # the same SKUs (a retried attempt still running) waits, then compares with what this
        # one recorded, so one crossing is never reported as two.
        stored = {
            row.sku: row
            for row in session.execute(
                select(Recorded)
                .where(col(Recorded.channel_id) == channel_id, col(Recorded.sku).in_(sorted(skus)))
                .with_for_update()
            ).scalars()
        }
        figures = atp_for(setup, av.load_facts(session, setup, skus), skus)
        for sku in skus:
            figure = figures.get(sku)
            if figure is None:
                continue
            row = stored.get(sku)
            if row is None:
                session.add(
                    Recorded(channel_id=channel_id, sku=sku, atp=figure.atp, updated_at=now)
                )
                continue
            if row.atp == figure.atp:
                continue
            kind = assess(row.atp, figure.atp, setup.low_stock)
            if kind is not None:
                key = event_id(channel_id, sku, kind, figure.atp, as_utc(row.updated_at))
                payload = StockEventPayload(
                    channel=channel_id,
                    sku=sku,
                    previous_atp=row.atp,
                    atp=figure.atp,
                    low_stock=setup.low_stock,
                )
                if outbox.emit(
                    session,
                    event_id=key,
                    type=EVENT_TYPES[kind],
                    order_id=None,
                    payload=payload.model_dump(),
                ):
                    emitted.append(key)
            row.atp, row.updated_at = figure.atp, now
            session.add(row)
    session.flush()
    return emitted
