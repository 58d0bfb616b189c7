"""What happens to an order after its run: carrier tracking laid over the order's view (the
run has ended by the time parcels move; the read model knows where they are), in its
timeline the notes written outside the run (a capture the gateway reversed, customer service's
decision on it carried out) and the appeasements customer service granted, and those reversed
captures in its payment (the run does not know of them)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from api.views import as_utc
from oms.db import appeasements as appeasement_repo
from oms.db import deliveries, order_notes
from oms.db import fulfilments as fulfilment_repo
from oms.db import payments as ledger
from oms.db import tasks as task_repo
from oms.db.engine import Database
from oms.db.tables import AppeasementRow, Fulfilment, Order, ShipmentEvent
from oms.domain.appeasements import AppeasementStatus
from oms.domain.order import OrderStatus, OrderView, TimelineEntry
from oms.domain.order.payment_recovery import ReversalFacts, with_reversals
from oms.domain.order.views import PaymentException
from oms.domain.shipments import EVENT_OF, ShipmentStatus
from oms.domain.tasks import TaskKind
from oms.gateway_keys import is_recovery_capture


def with_delivery(
    view: OrderView, row: Order | None, shipments: list[Fulfilment], events: list[ShipmentEvent]
) -> OrderView:
    """The view with each shipment's delivery status, the carriers' tracking in the
    timeline, and ``DELIVERED`` once the read model says every shipment is."""
    tracked = {f.id: (f.delivery_status, f.delivered_at) for f in shipments if f.delivery_status}
    if not tracked and not events:
        return view
    fulfilments = [
        fs.model_copy(
            update={
                "delivery_status": ShipmentStatus(tracked[fs.fulfilment_id][0]),
                "delivered_at": _utc(tracked[fs.fulfilment_id][1]),
            }
        )
        if fs.fulfilment_id in tracked
        else fs
        for fs in view.fulfilments
    ]
    timeline = sorted(
        [
            *view.timeline,
            *(
                TimelineEntry(
                    at=as_utc(e.occurred_at),
                    type=EVENT_OF[ShipmentStatus(e.status)],
                    actor=f"carrier:{e.carrier}",
                    detail={"fulfilment_id": e.fulfilment_id, **e.detail},
                )
                for e in events
            ),
        ],
        key=lambda entry: entry.at,
    )
    update: dict[str, object] = {"fulfilments": fulfilments, "timeline": timeline}
    if row is not None and row.status == OrderStatus.DELIVERED:
        update |= {"status": OrderStatus.DELIVERED, "delivered_at": _utc(row.delivered_at)}
    return view.model_copy(update=update)


def with_notes(view: OrderView, notes: list[TimelineEntry]) -> OrderView:
    """The view with these entries written outside the run (notes, appeasements) in its
    timeline, by time."""
    if not notes:
        return view
    timeline = sorted([*view.timeline, *notes], key=lambda entry: entry.at)
    return view.model_copy(update={"timeline": timeline})


def _utc(at: datetime | None) -> datetime | None:
    return as_utc(at) if at is not None else None


def appeasement_entries(rows: list[AppeasementRow]) -> list[TimelineEntry]:
    """Each appeasement as the timeline tells it: granted by someone, then refunded or failed
    (as its run recorded it)."""
    entries: list[TimelineEntry] = []
    for a in rows:
        entries.append(
            TimelineEntry(
                at=as_utc(a.created_at),
                type="appeasement_requested",
                actor=a.requested_by,
                detail={
                    "appeasement_id": a.id,
                    "amount": a.amount,
                    "currency": a.currency,
                    "reason_code": a.reason_code,
                    "line_id": a.line_id,
                },
            )
        )
        status = AppeasementStatus(a.status)
        if status.is_final and a.completed_at is not None:
            entries.append(
                TimelineEntry(
                    at=as_utc(a.completed_at),
                    type=f"appeasement_{status.value}",
                    actor="payments",
                    detail={"appeasement_id": a.id, "refunded": a.refunded, "code": a.code},
                )
            )
    return entries


# The note every reversal writes (oms.services.payment_notices): only then is the ledger read.
_REVERSED = "payment_capture_reversed"
_WRITTEN_OFF = "payment_written_off"  # a note only a recovery writes


def _reversals(s: Session, order_id: str, notes: list[TimelineEntry]) -> ReversalFacts | None:
    if not any(n.type == _REVERSED for n in notes):
        return None
    rows = [e for e in ledger.entries(s, order_id=order_id) if e.operation == "capture"]
    waiting = [
        PaymentException(
            fulfilment_id=str(t.payload.get("fulfilment_id")),
            amount=int(t.payload["amount"]),
            attempt=int(t.payload.get("attempt", 0)),
            task_id=t.id,
        )
        for t in task_repo.open_for_order(s, order_id, TaskKind.PAYMENT_EXCEPTION)
        if t.payload.get("reversed")
    ]
    return ReversalFacts(
        reversed=sum(e.amount for e in rows if e.reversed_at and e.outcome == "refused"),
        # Every capture a recovery made, reversed since or not (a reversed one is among the
        # reversed, and never was in the run's own captured).
        collected=sum(
            e.amount
            for e in rows
            if is_recovery_capture(e.idempotency_key)
            and (e.outcome == "succeeded" or e.reversed_at is not None)
        ),
        written_off=sum(int(n.detail.get("amount", 0)) for n in notes if n.type == _WRITTEN_OFF),
        waiting=waiting,
    )


def after_sale(db: Database, view: OrderView) -> OrderView:
    with db.reading() as s:
        row = s.get(Order, view.order_id)
        shipments = fulfilment_repo.for_order(s, view.order_id)
        events = deliveries.history(s, view.order_id)
        notes = order_notes.for_order(s, view.order_id)
        facts = _reversals(s, view.order_id, notes)
        notes += appeasement_entries(appeasement_repo.for_order(s, view.order_id))
    shown = with_notes(with_delivery(view, row, shipments, events), notes)
    if facts is None:
        return shown
    return shown.model_copy(update={"payment": with_reversals(shown.payment, facts)})
