"""Carrier tracking applied to the read model: each shipment's status and history, the
customer-service task a failed delivery opens, and the order ``DELIVERED`` once every shipment
is (oms.domain.shipments says the rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from oms.db import outbox, tasks
from oms.db.tables import Fulfilment, Order, ShipmentEvent, utcnow
from oms.db.tables.base import as_utc
from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.order.status import OrderStatus
from oms.domain.shipments import EVENT_OF, ShipmentStatus, TrackingUpdate, all_delivered, moves_on
from oms.domain.tasks import TaskKind, TaskStatus
from oms.keys import order_workflow_id

ORDER_DELIVERED = "order.delivered"
# How long customer service has to act on a parcel the carrier could not deliver.
EXCEPTION_DUE = timedelta(hours=24)


def exception_task_id(fulfilment_id: str) -> str:
    return f"delivery-exception-{fulfilment_id}"


class Tracked(StrEnum):
    APPLIED = "applied"  # the shipment moved on
    RECORDED = "recorded"  # kept in its history only (late, or after delivery)
    UNKNOWN_SHIPMENT = "unknown_shipment"


@dataclass(frozen=True)
class TrackingResult:
    outcome: Tracked
    fulfilment_id: str | None = None
    order_id: str | None = None
    order_delivered: bool = False


def shipment(session: Session, carrier: str, tracking_number: str) -> Fulfilment | None:
    stmt = select(Fulfilment).where(
        Fulfilment.carrier == carrier, Fulfilment.tracking_number == tracking_number
    )
    return session.exec(stmt).first()


def apply_tracking(
    session: Session,
    *,
    carrier: str,
    event_id: str,
    update: TrackingUpdate,
    exception_due: timedelta = EXCEPTION_DUE,
) -> TrackingResult:
    """Record one tracking update of ``carrier``'s parcel and move its shipment on (the caller
    has made sure this event id is applied once). A failed delivery's task is due
    ``exception_due`` later (``OMS_DELIVERY_EXCEPTION_ESCALATE_AFTER``)."""
    row = shipment(session, carrier, update.tracking_number)
    if row is None:
        return TrackingResult(Tracked.UNKNOWN_SHIPMENT)
    session.add(
        ShipmentEvent(
            fulfilment_id=row.id,
            order_id=row.order_id,
            carrier=carrier,
            tracking_number=update.tracking_number,
            status=update.status.value,
            occurred_at=update.occurred_at,
            detail=update.as_detail(),
            event_id=event_id,
        )
    )
    current = ShipmentStatus(row.delivery_status) if row.delivery_status else None
    tracked_at = as_utc(row.tracked_at) if row.tracked_at else None
    if not moves_on(current, tracked_at, update):
        return TrackingResult(Tracked.RECORDED, row.id, row.order_id)
    row.delivery_status = update.status.value
    row.tracked_at = update.occurred_at
    if update.status is ShipmentStatus.DELIVERED:
        row.delivered_at = update.occurred_at
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    outbox.emit(
        session,
        event_id=f"{EVENT_OF[update.status]}:{row.id}:{event_id}",
        type=EVENT_OF[update.status],
        order_id=row.order_id,
        payload={
            "fulfilment_id": row.id,
            "order_id": row.order_id,
            "carrier": carrier,
            **update.as_detail(),
        },
    )
    _keep_exception_task(session, row, carrier, update, exception_due)
    delivered = settle_order(session, row.order_id)
    return TrackingResult(Tracked.APPLIED, row.id, row.order_id, delivered)


def _keep_exception_task(
    session: Session, row: Fulfilment, carrier: str, update: TrackingUpdate, due: timedelta
) -> None:
    task_id = exception_task_id(row.id)
    if update.status is ShipmentStatus.DELIVERY_EXCEPTION:
        task = tasks.open_task(
            session,
            task_id=task_id,
            kind=TaskKind.DELIVERY_EXCEPTION,
            order_id=row.order_id,
            workflow_id=order_workflow_id(row.order_id),
            location_id=row.location_id,
            due_at=utcnow() + due,
            payload={
                "fulfilment_id": row.id,
                "carrier": carrier,
                "tracking_number": update.tracking_number,
                "detail": update.detail,
                "occurred_at": update.occurred_at.isoformat(),
            },
        )
        if task.status != TaskStatus.OPEN:  # a second failure after one was dealt with
            tasks.reopen_closed(session, task_id, due_at=utcnow() + due)
    else:
        # The carrier got it moving again: nothing left for customer service.
        tasks.complete(
            session,
            task_id,
            outcome={"resolved_by_carrier": update.status.value},
            actor=f"carrier:{carrier}",
        )


def settle_order(session: Session, order_id: str) -> bool:
    """Mark the order ``DELIVERED`` once its run is over and every shipment it made is
    delivered (collections and cancelled fulfilments aside). True when it became so now."""
    order = session.get(Order, order_id)
    if order is None or order.status != OrderStatus.COMPLETED:
        return False
    shipped = [
        f
        for f in session.exec(select(Fulfilment).where(Fulfilment.order_id == order_id))
        if f.delivery_method == DeliveryMethod.SHIP and f.status == FulfilmentStatus.SHIPPED
    ]
    statuses = [ShipmentStatus(f.delivery_status) if f.delivery_status else None for f in shipped]
    if not all_delivered(statuses):
        return False
    delivered_at = max(as_utc(f.delivered_at) for f in shipped if f.delivered_at is not None)
    order.status = OrderStatus.DELIVERED.value
    order.delivered_at = delivered_at
    order.updated_at = utcnow()
    session.add(order)
    outbox.emit(
        session,
        event_id=f"{ORDER_DELIVERED}:{order_id}",
        type=ORDER_DELIVERED,
        order_id=order_id,
        payload={
            "order_id": order_id,
            "delivered_at": delivered_at.isoformat(),
            "shipments": [f.id for f in shipped],
        },
    )
    return True


def history(session: Session, order_id: str) -> list[ShipmentEvent]:
    """Every tracking status of the order's shipments, in the order the carriers saw them."""
    stmt = (
        select(ShipmentEvent)
        .where(ShipmentEvent.order_id == order_id)
        .order_by(col(ShipmentEvent.occurred_at), col(ShipmentEvent.id))
    )
    return list(session.exec(stmt))
