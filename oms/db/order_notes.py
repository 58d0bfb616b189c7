"""Timeline entries of an order written outside its run (``order_notes``): a capture the
gateway reversed after the fact, and customer service's decision on it carried out."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from oms.db.stock_updates import insert_into
from oms.db.tables import OrderNote
from oms.db.tables.base import as_utc
from oms.domain.order import TimelineEntry

NOTES: Any = OrderNote.__table__  # type: ignore[attr-defined]


def add(session: Session, order_id: str, key: str, entry: TimelineEntry) -> bool:
    """Write the entry unless its key is stored already (a retried write). True if new."""
    stmt = (
        insert_into(session, NOTES)
        .values(
            key=key,
            order_id=order_id,
            type=entry.type,
            actor=entry.actor,
            detail=entry.detail,
            at=entry.at,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(NOTES.c.key)
    )
    return session.execute(stmt).first() is not None


def for_order(session: Session, order_id: str) -> list[TimelineEntry]:
    """The order's notes, oldest first (those written together in the order written)."""
    stmt = (
        select(OrderNote)
        .where(OrderNote.order_id == order_id)
        .order_by(col(OrderNote.at), col(OrderNote.id))
    )
    return [
        TimelineEntry(at=as_utc(n.at), type=n.type, actor=n.actor, detail=n.detail)
        for n in session.exec(stmt)
    ]
