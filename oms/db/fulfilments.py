"""Fulfilments as store staff see them: pick lists, parcels and shipments per location."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, and_, col, or_, select

from oms.db.tables import Fulfilment, utcnow
from oms.domain.fulfilment import (
    AT_THE_STORE,
    FulfilmentLine,
    FulfilmentProgress,
    FulfilmentStatus,
    FulfilmentView,
    cancelled_for,
)
from oms.domain.store_work import work_of


def save(
    session: Session,
    view: FulfilmentView,
    *,
    workflow_id: str,
    express: bool = False,
    pick_due_at: datetime | None = None,
) -> Fulfilment:
    """Create or update the row from the workflow's view (idempotent). The pick deadline
    kept is the first one given: an escalation moves the task's, not the wave priority."""
    row = session.get(Fulfilment, view.fulfilment_id)
    if row is None:
        row = Fulfilment(
            id=view.fulfilment_id,
            order_id=view.order_id,
            location_id=view.location_id,
            workflow_id=workflow_id,
            status=view.status.value,
            delivery_method=view.delivery_method.value,
            lines=[],
        )
    row.express = express
    if row.pick_due_at is None:
        row.pick_due_at = pick_due_at
    row.status = view.status.value
    row.lines = [line.model_dump(mode="json") for line in view.lines]
    row.parcels = [p.model_dump(mode="json") for p in view.parcels]
    row.carrier = view.carrier
    row.tracking_number = view.tracking_number
    row.label_url = view.label_url
    row.profile = view.profile
    row.steps = [step.model_dump(mode="json") for step in view.steps]
    work = work_of(view.status, view.steps, row.pick_due_at)
    row.work_kind = work.kind.value if work else None
    row.work_due_at = work.due_at if work else None
    row.transfer_to = view.transfer_to
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def worked_at(row: Fulfilment) -> str:
    """The location whose work the fulfilment is now: a transfer is its source's until it
    leaves, then the collection store's."""
    if row.transfer_to is not None and FulfilmentStatus(row.status) in AT_THE_STORE:
        return row.transfer_to
    return row.location_id


def get(session: Session, fulfilment_id: str) -> Fulfilment | None:
    return session.get(Fulfilment, fulfilment_id)


def for_order(session: Session, order_id: str) -> list[Fulfilment]:
    stmt = select(Fulfilment).where(Fulfilment.order_id == order_id).order_by(col(Fulfilment.id))
    return list(session.exec(stmt))


def for_location(
    session: Session,
    location_id: str,
    *,
    status: FulfilmentStatus | None,
    limit: int,
    offset: int,
) -> list[Fulfilment]:
    # Each row at the location whose work it is: a transfer at its source until it leaves,
    # then at the collection store that receives it and hands it to the customer.
    at_store = [s.value for s in AT_THE_STORE]
    transfer = col(Fulfilment.transfer_to)
    stmt = select(Fulfilment).where(
        or_(
            and_(
                Fulfilment.location_id == location_id,
                or_(transfer.is_(None), col(Fulfilment.status).not_in(at_store)),
            ),
            and_(transfer == location_id, col(Fulfilment.status).in_(at_store)),
        )
    )
    if status is not None:
        stmt = stmt.where(Fulfilment.status == status)
    stmt = stmt.order_by(col(Fulfilment.created_at), col(Fulfilment.id))
    return list(session.exec(stmt.offset(offset).limit(limit)))


def progress_of(row: Fulfilment) -> FulfilmentProgress:
    """What the order learns of a fulfilment from its row (lean runs read it, not signals)."""
    lines = [FulfilmentLine.model_validate(x) for x in row.lines]
    return FulfilmentProgress(
        fulfilment_id=row.id,
        location_id=row.location_id,
        status=FulfilmentStatus(row.status),
        picked={
            str(line["line_id"]): int(line["picked"])
            for line in row.lines
            if line.get("picked") is not None
        },
        tracking_number=row.tracking_number,
        carrier=row.carrier,
        cancel_short=[line.line_id for line in lines if line.short_cancelled],
        collected={line.line_id: line.collected for line in lines if line.collected is not None},
        cancelled_for=cancelled_for(lines),
    )
