"""The sweep escalates the tasks no run watches (delivery exceptions) once overdue, once each,
with one task.escalated alert; tasks a run owns are left to their run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from oms.db import tasks
from oms.db.engine import Database
from oms.db.tables import ManualTask, OutboxEvent
from oms.domain.tasks import TaskKind, TaskStatus
from oms.services.task_escalation import escalate_overdue

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _open(db: Database, task_id: str, kind: TaskKind, due_in: timedelta) -> None:
    with db.session() as s:
        tasks.open_task(
            s,
            task_id=task_id,
            kind=kind,
            order_id="O1",
            workflow_id="order-O1",
            due_at=NOW + due_in,
        )


def test_an_overdue_delivery_exception_is_escalated_once_and_alerts_staff(db: Database) -> None:
    _open(db, "delivery-exception-O1.F1", TaskKind.DELIVERY_EXCEPTION, -timedelta(minutes=1))
    _open(db, "delivery-exception-O1.F2", TaskKind.DELIVERY_EXCEPTION, timedelta(hours=3))
    _open(db, "pick-O1.F1", TaskKind.PICK, -timedelta(hours=1))

    first = escalate_overdue(db, now=NOW)
    again = escalate_overdue(db, now=NOW + timedelta(minutes=1))
    later = escalate_overdue(db, now=NOW + timedelta(hours=4))

    assert first == ["delivery-exception-O1.F1"]
    assert again == []
    assert later == ["delivery-exception-O1.F2"]
    with db.reading() as s:
        flagged = {t.id for t in s.exec(select(ManualTask)) if t.escalated}
        alerts = [e.payload["task_id"] for e in s.exec(select(OutboxEvent))]
    # The pick task's own run escalates it: the sweep leaves it alone.
    assert flagged == {"delivery-exception-O1.F1", "delivery-exception-O1.F2"}
    assert sorted(alerts) == ["delivery-exception-O1.F1", "delivery-exception-O1.F2"]


def test_a_delivery_exception_dealt_with_in_time_is_never_escalated(db: Database) -> None:
    _open(db, "delivery-exception-O1.F1", TaskKind.DELIVERY_EXCEPTION, timedelta(hours=1))
    with db.session() as s:
        tasks.complete(s, "delivery-exception-O1.F1", outcome={"action": "resend"}, actor="cs")

    assert escalate_overdue(db, now=NOW + timedelta(days=2)) == []


def test_a_reversed_capture_task_is_swept_and_outlives_its_orders_cancel(db: Database) -> None:
    # Opened by the gateway's notice with a due time: no run watches it.
    _open(db, "payment-reversed-0123456789abcdef", TaskKind.PAYMENT_EXCEPTION, -timedelta(1))
    _open(db, "fraud-review-O1", TaskKind.FRAUD_REVIEW, timedelta(hours=1))

    escalated = escalate_overdue(db, now=NOW)
    with db.session() as s:
        closed = tasks.close_open_for_order(s, "O1", status=TaskStatus.CANCELLED)
        s.commit()

    assert escalated == ["payment-reversed-0123456789abcdef"]
    assert closed == 1  # the order's own review, not the reversed capture's decision
    with db.reading() as s:
        left = tasks.get_task(s, "payment-reversed-0123456789abcdef")
        assert left is not None
        assert left.status == TaskStatus.OPEN
