"""The orders read model and the order event log."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from oms.db import payments
from oms.db.stock_updates import insert_into
from oms.db.tables import Location, Order, OrderEvent, utcnow
from oms.domain.fraud import CustomerHistory, FraudDecision
from oms.domain.order import (
    CancelReason,
    LocationRef,
    OrderIn,
    OrderStatus,
    TimelineEntry,
)


def insert_order(session: Session, order: OrderIn, *, received_at: datetime) -> tuple[Order, bool]:
    """Accept an order once. Returns the stored row and whether this call created it."""
    existing = session.get(Order, order.id)
    if existing is not None:
        if existing.fingerprint == order.fingerprint():
            # Stored before the OMS kept tokens apart: the same body brings its token again.
            payments.keep_token(session, order.id, order.payment_token)
        return existing, False
    row = Order(
        id=order.id,
        channel=order.channel,
        customer_id=order.customer.id,
        customer_tier=order.customer.tier.value,
        status=OrderStatus.RECEIVED.value,
        currency=order.currency,
        total=order.total,
        line_count=len(order.lines),
        delivery_method=order.delivery.method.value,
        fingerprint=order.fingerprint(),
        # Without the payment token, which the OMS keeps apart (oms.db.payments) and deletes
        # once the order is over.
        payload=order.for_run().model_dump(mode="json"),
        created_at=received_at,
        updated_at=received_at,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
            payments.keep_token(session, order.id, order.payment_token)
    except IntegrityError:
        # Another request accepted the same order id a moment ago.
        session.expire_all()
        existing = session.get(Order, order.id)
        assert existing is not None
        return existing, False
    return row, True


class OrderNotStored(LookupError):
    """The read model has no row for this order. The API stores the row before it starts the
    order's workflow, so a workflow recording progress for an order without one is a fault to
    be seen, not a write to skip."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} has no row in the read model")
        self.order_id = order_id


def get_order(session: Session, order_id: str) -> Order | None:
    return session.get(Order, order_id)


def update_order(
    session: Session,
    order_id: str,
    *,
    status: OrderStatus,
    cancel_reason: CancelReason | None = None,
    fraud_score: int | None = None,
    fraud_decision: FraudDecision | None = None,
    fulfilment_locations: list[str] | None = None,
) -> None:
    """Bring the order's row up to the workflow's state.

    Raises:
        OrderNotStored: there is no row for this order.
    """
    row = session.get(Order, order_id)
    if row is None:
        raise OrderNotStored(order_id)
    # Delivered comes after the run, from carrier tracking: a retried record of the run's end
    # does not take it back.
    if not (row.status == OrderStatus.DELIVERED and status is OrderStatus.COMPLETED):
        row.status = status.value
    if cancel_reason is not None:
        row.cancel_reason = cancel_reason.value
    if fraud_score is not None:
        row.fraud_score = fraud_score
    if fraud_decision is not None:
        row.fraud_decision = fraud_decision
    if fulfilment_locations is not None:
        row.fulfilment_locations = fulfilment_locations
    row.updated_at = utcnow()
    session.add(row)


def set_edited(session: Session, order: OrderIn) -> None:
    """The stored order as edits left it: its delivery and its lines (their services)."""
    row = session.get(Order, order.id)
    if row is None:
        raise OrderNotStored(order.id)
    edited = order.model_dump(mode="json", include={"delivery", "lines"})
    row.payload = {**row.payload, **edited}
    session.add(row)


ORDER_EVENTS: Any = OrderEvent.__table__  # type: ignore[attr-defined]


def append_events(session: Session, order_id: str, entries: list[tuple[int, TimelineEntry]]) -> int:
    """Write timeline entries; an entry already stored (same seq) is skipped, so retries are
    harmless. Returns how many were new."""
    if not entries:
        return 0
    rows = [
        {
            "order_id": order_id,
            "seq": seq,
            "type": entry.type,
            "status": entry.status.value if entry.status else None,
            "actor": entry.actor,
            "detail": entry.detail,
            "at": entry.at,
        }
        for seq, entry in entries
    ]
    # One statement for them all; an entry already stored is left as it is.
    stmt = insert_into(session, ORDER_EVENTS).values(rows)
    stmt = stmt.on_conflict_do_nothing(index_elements=["order_id", "seq"])
    # Counted from RETURNING: a driver's rowcount of a multi-row INSERT is not always given.
    return len(session.execute(stmt.returning(ORDER_EVENTS.c.seq)).all())


def events_for(session: Session, order_id: str) -> list[OrderEvent]:
    stmt = select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(col(OrderEvent.seq))
    return list(session.exec(stmt))


def customer_history(
    session: Session, customer_id: str, *, now: datetime, window: timedelta, exclude_order: str
) -> CustomerHistory:
    def count(*conds: Any) -> int:
        stmt = (
            select(func.count())
            .select_from(Order)
            .where(Order.customer_id == customer_id, Order.id != exclude_order, *conds)
        )
        return int(session.exec(stmt).one())

    return CustomerHistory(
        completed_orders=count(Order.status == OrderStatus.COMPLETED.value),
        cancelled_for_fraud=count(Order.cancel_reason == CancelReason.FRAUD_REJECTED.value),
        orders_in_window=count(col(Order.created_at) >= now - window),
    )


@dataclass
class OrderFilter:
    status: OrderStatus | None = None
    channel: str | None = None
    # The caller's channels (a scoped key): only these; None: every channel.
    channels: tuple[str, ...] | None = None
    customer_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def encode_cursor(row: Order) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises ValueError on a cursor this service did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        at, order_id = raw.split("|", 1)
        return datetime.fromisoformat(at), order_id
    except Exception as exc:
        raise ValueError("not a cursor issued by this API") from exc


def list_orders(
    session: Session, flt: OrderFilter, *, limit: int, cursor: str | None
) -> tuple[list[Order], str | None]:
    """Newest first, keyset-paginated so pages stay stable while orders arrive."""
    stmt = select(Order)
    if flt.status is not None:
        stmt = stmt.where(Order.status == flt.status)
    if flt.channel:
        stmt = stmt.where(Order.channel == flt.channel)
    if flt.channels is not None:
        stmt = stmt.where(col(Order.channel).in_(flt.channels))
    if flt.customer_id:
        stmt = stmt.where(Order.customer_id == flt.customer_id)
    if flt.created_from:
        stmt = stmt.where(col(Order.created_at) >= flt.created_from)
    if flt.created_to:
        stmt = stmt.where(col(Order.created_at) < flt.created_to)
    if cursor:
        at, order_id = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                col(Order.created_at) < at,
                and_(col(Order.created_at) == at, col(Order.id) < order_id),
            )
        )
    stmt = stmt.order_by(col(Order.created_at).desc(), col(Order.id).desc()).limit(limit + 1)
    rows = list(session.exec(stmt))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def newest(session: Session, *, last: int, channel: str | None = None) -> list[Order]:
    """The ``last`` orders placed most recently (of one channel if given), newest first."""
    stmt = select(Order).order_by(col(Order.created_at).desc(), col(Order.id).desc())
    if channel is not None:
        stmt = stmt.where(Order.channel == channel)
    return list(session.exec(stmt.limit(last)))


def store_location(session: Session, store_id: str | None) -> LocationRef | None:
    """The location an order is to be collected at, as order validation reads it."""
    store = session.get(Location, store_id) if store_id else None
    if store is None:
        return None
    return LocationRef(id=store.id, type=store.type, is_open=store.is_open)
