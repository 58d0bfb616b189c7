"""Human tasks as activities: opened, escalated and closed for the workflow that owns them."""

from __future__ import annotations

from temporalio import activity

from oms.contracts.tasks import CloseTask, OpenTask
from oms.db import tasks
from oms.db.engine import Database
from oms.domain.tasks import TaskStatus
from oms.logging import get_logger

log = get_logger(__name__)


class TaskActivities:
    def __init__(self, db: Database) -> None:
        self.db = db

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
            return tasks.close_open_for_order(s, order_id, status=TaskStatus.CANCELLED)
