"""Read-model writes, the event log, outbox events, manual tasks and fraud scoring."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from temporalio import activity

from oms.contracts.fraud import FraudCheck
from oms.contracts.read_model import EmitEvent, RecordProgress
from oms.contracts.tasks import CloseTask, OpenTask
from oms.db import orders as order_repo
from oms.db import outbox, tasks
from oms.db.engine import Database
from oms.db.tables import Product
from oms.domain.fraud import FraudAssessment, FraudPolicy, assess
from oms.logging import get_logger

log = get_logger(__name__)


class OrderActivities:
    def __init__(self, db: Database, fraud_policy: FraudPolicy | None = None) -> None:
        self.db = db
        self.fraud_policy = fraud_policy or FraudPolicy()

    @activity.defn
    def record_progress(self, req: RecordProgress) -> int:
        """Bring the read model and the event log up to the workflow's state (idempotent)."""
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
            new = order_repo.append_events(s, req.order_id, req.events)
        log.info(
            "order_progress_recorded", order_id=req.order_id, status=req.status.value, events=new
        )
        return new

    @activity.defn
    def emit_event(self, req: EmitEvent) -> bool:
        with self.db.session() as s:
            new = outbox.emit(
                s, event_id=req.event_id, type=req.type, order_id=req.order_id, payload=req.payload
            )
        if new:
            log.info("event_emitted", type=req.type, order_id=req.order_id, event_id=req.event_id)
        return new

    @activity.defn
    def open_task(self, req: OpenTask) -> None:
        with self.db.session() as s:
            tasks.open_task(
                s,
                task_id=req.task_id,
                kind=req.kind,
                order_id=req.order_id,
                workflow_id=req.workflow_id,
                location_id=req.location_id,
                due_at=req.due_at,
                payload=req.payload,
            )
        log.info(
            "task_opened",
            task_id=req.task_id,
            kind=req.kind,
            order_id=req.order_id,
            location_id=req.location_id,
        )

    @activity.defn
    def escalate_task(self, task_id: str) -> None:
        with self.db.session() as s:
            tasks.escalate(s, task_id)
        log.warning("task_escalated", task_id=task_id)

    @activity.defn
    def close_task(self, req: CloseTask) -> None:
        with self.db.session() as s:
            tasks.close(s, req.task_id, status=req.status, actor=req.actor)

    @activity.defn
    def close_order_tasks(self, order_id: str) -> int:
        with self.db.session() as s:
            return tasks.close_open_for_order(s, order_id, status="cancelled")

    @activity.defn
    def assess_fraud(self, req: FraudCheck) -> FraudAssessment:
        """Score the order against the customer's history; the rules live in oms.domain."""
        policy = self.fraud_policy
        order = req.order
        with self.db.session() as s:
            history = order_repo.customer_history(
                s,
                order.customer.id,
                now=req.received_at,
                window=timedelta(minutes=policy.velocity_window_minutes),
                exclude_order=order.id,
            )
            skus = {line.sku for line in order.lines}
            products = s.exec(select(Product).where(col(Product.sku).in_(skus)))
            categories = {p.sku: p.category for p in products}
        result = assess(order, categories=categories, history=history, policy=policy)
        log.info(
            "fraud_assessed",
            order_id=order.id,
            score=result.score,
            decision=result.decision.value,
            reasons=[r.code for r in result.reasons],
        )
        return result
