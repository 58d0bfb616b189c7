"""Manual tasks: human work with an SLA, each tied to the workflow it answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from oms.db.tables import ManualTask, utcnow
from oms.domain.tasks import TaskKind, TaskStatus


def open_task(
    session: Session,
    *,
    task_id: str,
    kind: TaskKind,
    order_id: str,
    workflow_id: str,
    location_id: str | None = None,
    due_at: datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> ManualTask:
    """Create the task once; a retried call returns the one already there."""
    task = session.get(ManualTask, task_id)
    if task is not None:
        return task
    task = ManualTask(
        id=task_id,
        kind=kind,
        status=TaskStatus.OPEN,
        order_id=order_id,
        workflow_id=workflow_id,
        location_id=location_id,
        due_at=due_at,
        payload=payload or {},
    )
    session.add(task)
    session.flush()
    return task


def get_task(session: Session, task_id: str) -> ManualTask | None:
    return session.get(ManualTask, task_id)


def escalate(session: Session, task_id: str) -> None:
    task = session.get(ManualTask, task_id)
    if task is not None and task.status == TaskStatus.OPEN:
        task.escalated = True
        session.add(task)


def complete(session: Session, task_id: str, *, outcome: dict[str, Any], actor: str) -> bool:
    """Mark an open task completed. False when it was not open (already decided, expired)."""
    result = session.execute(
        update(ManualTask)
        .where(col(ManualTask.id) == task_id, col(ManualTask.status) == TaskStatus.OPEN)
        .values(
            status=TaskStatus.COMPLETED, outcome=outcome, completed_by=actor, completed_at=utcnow()
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def reopen(session: Session, task_id: str) -> None:
    """Undo a completion whose decision never reached its workflow, so it can be retried."""
    session.execute(
        update(ManualTask)
        .where(col(ManualTask.id) == task_id, col(ManualTask.status) == TaskStatus.COMPLETED)
        .values(status=TaskStatus.OPEN, outcome=None, completed_by=None, completed_at=None)
    )


def close(session: Session, task_id: str, *, status: TaskStatus, actor: str = "system") -> None:
    """Close a task that is still open (cancelled, expired); a decided task stays as it is."""
    session.execute(
        update(ManualTask)
        .where(col(ManualTask.id) == task_id, col(ManualTask.status) == TaskStatus.OPEN)
        .values(status=status, completed_by=actor, completed_at=utcnow())
    )


def close_open_for_order(session: Session, order_id: str, *, status: TaskStatus) -> int:
    result = session.execute(
        update(ManualTask)
        .where(col(ManualTask.order_id) == order_id, col(ManualTask.status) == TaskStatus.OPEN)
        .values(status=status, completed_by="system", completed_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def list_tasks(
    session: Session,
    *,
    kind: TaskKind | None = None,
    status: TaskStatus | None = None,
    location_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ManualTask]:
    stmt = select(ManualTask)
    if kind:
        stmt = stmt.where(ManualTask.kind == kind)
    if status:
        stmt = stmt.where(ManualTask.status == status)
    if location_id:
        stmt = stmt.where(ManualTask.location_id == location_id)
    stmt = stmt.order_by(
        col(ManualTask.escalated).desc(), col(ManualTask.created_at), col(ManualTask.id)
    )
    return list(session.exec(stmt.offset(offset).limit(limit)))
