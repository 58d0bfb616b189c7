"""Keeping the read model, the event log and the outbox in step with the workflows: the
order row and its timeline, outbox events, fulfilment rows and their pick tasks."""

from __future__ import annotations

from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from oms.contracts.fulfilment import SaveFulfilment
from oms.contracts.read_model import EmitEvent, RecordNotes, RecordProgress
from oms.db import (
    deliveries,
    fulfilments,
    inventory,
    order_edits,
    order_notes,
    outbox,
    payments,
    tasks,
)
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentProgress, FulfilmentStatus, FulfilmentView
from oms.domain.fulfilment_profiles import StepType
from oms.domain.fulfilment_steps import StepStatus
from oms.domain.order import OrderStatus
from oms.domain.tasks import TaskKind, TaskStatus
from oms.keys import pick_task_id, vas_task_id
from oms.logging import get_logger
from oms.services import picks, skips
from oms.services.recommendations import for_confirmation

log = get_logger(__name__)
CONFIRMED = "order.confirmed"


class ReadModelActivities:
    def __init__(self, db: Database) -> None:
        self.db = db

    @activity.defn
    def record_progress(self, req: RecordProgress) -> int:
        """Bring the read model and the event log up to the workflow's state (idempotent).

        An order without its row (a database restored from before the order was placed) is
        retried, not skipped: the run waits, visibly, until the row is back."""
        emit = [self._enriched(e) for e in req.emit]
        try:
            with self.db.session() as s:
                order_repo.update_order(
                    s,
                    req.order_id,
                    status=req.status,
                    cancel_reason=req.cancel_reason,
                    fraud_score=req.fraud_score,
                    fraud_decision=req.fraud_decision,
                    fulfilment_locations=req.fulfilment_locations,
                )
                if req.edited is not None:
                    order_repo.set_edited(s, req.edited)
                new = order_repo.append_events(s, req.order_id, req.events)
                for e in emit:
                    outbox.emit(
                        s, event_id=e.event_id, type=e.type, order_id=e.order_id, payload=e.payload
                    )
                if req.status.is_final:
                    # Nothing more is authorized for an order that is over: its token goes.
                    payments.forget_token(s, req.order_id)
                if req.status is OrderStatus.COMPLETED:
                    # Parcels the carrier delivered before the run's end was recorded.
                    deliveries.settle_order(s, req.order_id)
        except order_repo.OrderNotStored:
            log.error("order_row_missing", order_id=req.order_id, status=req.status.value)
            raise
        log.info(
            "order_progress_recorded", order_id=req.order_id, status=req.status.value, events=new
        )
        return new

    def _enriched(self, event: EmitEvent) -> EmitEvent:
        """The event as written: an ``order.confirmed`` carries ``recommendations`` from the
        order's fulfilment locations, read before the write's transaction and never in its
        way: a failure leaves the list empty (and is logged)."""
        if event.type != CONFIRMED:
            return event
        try:
            with self.db.reading() as s:
                found = for_confirmation(s, event.payload)
        except Exception as exc:  # the order's progress matters more than its suggestions
            log.warning(
                "confirmation_recommendations_failed",
                order_id=event.order_id,
                error=f"{type(exc).__name__}: {exc}",
            )
            found = []
        return event.model_copy(update={"payload": {**event.payload, "recommendations": found}})

    @activity.defn
    def emit_event(self, req: EmitEvent) -> bool:
        req = self._enriched(req)
        with self.db.session() as s:
            new = outbox.emit(
                s, event_id=req.event_id, type=req.type, order_id=req.order_id, payload=req.payload
            )
        if new:
            log.info("event_emitted", type=req.type, order_id=req.order_id, event_id=req.event_id)
        return new

    @activity.defn
    def record_notes(self, req: RecordNotes) -> int:
        """Write timeline entries and events of an order from outside its run (idempotent:
        each once, by its key); how many entries were new."""
        with self.db.session() as s:
            new = sum(order_notes.add(s, req.order_id, key, entry) for key, entry in req.notes)
            for e in req.emit:
                outbox.emit(
                    s, event_id=e.event_id, type=e.type, order_id=e.order_id, payload=e.payload
                )
        log.info("order_notes_recorded", order_id=req.order_id, notes=new, events=len(req.emit))
        return new

    @activity.defn
    def fulfilment_progress(self, order_id: str) -> list[FulfilmentProgress]:
        """Where each of the order's fulfilments is, from their rows."""
        with self.db.reading() as s:
            return [fulfilments.progress_of(row) for row in fulfilments.for_order(s, order_id)]

    @activity.defn
    def save_fulfilment(self, req: SaveFulfilment) -> None:
        """Write the fulfilment row; open its pick task while it waits for a picker and close
        it once picked, rejected or cancelled. With ``commit`` or ``consume``, the pick's or
        the departure's effect on the reservation ledger is part of the same transaction."""
        view = req.view
        with self.db.session() as s:
            if req.drop is not None:
                _drop(s, view, req)
            if req.commit is not None:
                picks.record_pick(s, req.commit)
            if req.consume is not None:
                inventory.consume(
                    s, step_key=req.consume.step_key, location_id=req.consume.location_id
                )
            if req.collect is not None:
                inventory.consume_part(
                    s,
                    step_key=req.collect.step_key,
                    location_id=req.collect.location_id,
                    units=req.collect.units,
                    part=req.collect.part,
                )
            if req.restock is not None:
                inventory.restock(
                    s,
                    key=req.restock.key,
                    location_id=req.restock.location_id,
                    units=req.restock.units,
                )
            if req.release is not None:
                inventory.release(
                    s,
                    order_id=view.order_id,
                    step_key=req.release.step_key,
                    location_id=req.release.location_id,
                )
            fulfilments.save(
                s,
                view,
                workflow_id=req.workflow_id,
                express=req.express,
                pick_due_at=req.pick_due_at,
            )
            task_id = pick_task_id(view.fulfilment_id)
            if view.status is FulfilmentStatus.AWAITING_PICK:
                if req.drop is not None:  # the pick list the store sees loses those units
                    tasks.set_payload(
                        s, task_id, {"fulfilment_id": view.fulfilment_id, "lines": _lines(view)}
                    )
                tasks.open_task(
                    s,
                    task_id=task_id,
                    kind=TaskKind.PICK,
                    order_id=view.order_id,
                    workflow_id=req.workflow_id,
                    location_id=view.location_id,
                    due_at=req.pick_due_at,
                    payload={
                        "fulfilment_id": view.fulfilment_id,
                        "lines": [line.model_dump(mode="json") for line in view.lines],
                    },
                )
                if view.escalated:
                    tasks.escalate(s, task_id)
            elif view.status is FulfilmentStatus.CANCELLED:
                tasks.close(s, task_id, status=TaskStatus.CANCELLED)
            else:
                tasks.complete(s, task_id, outcome={"status": view.status.value}, actor="store")
            _keep_service_tasks(s, view, req.workflow_id)
            skips.apply_skip_effects(s, view, req.workflow_id)
            for e in req.emit:
                outbox.emit(
                    s, event_id=e.event_id, type=e.type, order_id=e.order_id, payload=e.payload
                )
        log.info(
            "fulfilment_saved",
            fulfilment_id=view.fulfilment_id,
            location_id=view.location_id,
            order_id=view.order_id,
            status=view.status.value,
        )


def _lines(view: FulfilmentView) -> list[dict[str, object]]:
    return [line.model_dump(mode="json") for line in view.lines]


def _drop(s: Session, view: FulfilmentView, req: SaveFulfilment) -> None:
    """An order edit's units leave the fulfilment: refused (not retried) once the store has
    started its pick; else their reservation is released with the row's new lines."""
    assert req.drop is not None
    started = order_edits.picking_started(s, view.fulfilment_id)
    if started is not None:
        raise ApplicationError(started, type="past_point_of_no_return", non_retryable=True)
    order_edits.release_units(
        s,
        step_key=req.drop.step_key,
        location_id=req.drop.location_id,
        units=req.drop.units,
        part=req.drop.part,
    )


def _keep_service_tasks(s: Session, view: FulfilmentView, workflow_id: str) -> None:
    """A profile's vas step: one task per service per line while the step is under way,
    with the step's due time; done with the step, cancelled with the fulfilment."""
    step = next((st for st in view.steps if st.type is StepType.VAS), None)
    if step is None:
        return
    for line in view.lines:
        for service in line.services:
            task_id = vas_task_id(view.fulfilment_id, line.line_id, service.value)
            if view.status is FulfilmentStatus.CANCELLED:
                tasks.close(s, task_id, status=TaskStatus.CANCELLED)
            elif step.status is StepStatus.ACTIVE:
                tasks.open_task(
                    s,
                    task_id=task_id,
                    kind=TaskKind.VAS,
                    order_id=view.order_id,
                    workflow_id=workflow_id,
                    location_id=view.location_id,
                    due_at=step.due_at,
                    payload={
                        "fulfilment_id": view.fulfilment_id,
                        "step": step.key,
                        "line_id": line.line_id,
                        "sku": line.sku,
                        "service": service.value,
                    },
                )
                if step.escalated:
                    tasks.escalate(s, task_id)
            elif step.status is StepStatus.DONE:
                tasks.complete(s, task_id, outcome={"step": step.key}, actor=step.actor or "store")
            elif step.status is StepStatus.SKIPPED:
                tasks.close(s, task_id, status=TaskStatus.CANCELLED, actor=step.actor or "store")
