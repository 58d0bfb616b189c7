"""Manual tasks: human work with an SLA, each tied to the workflow it answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from oms.db import outbox
from oms.db.tables import ManualTask, utcnow
from oms.domain.tasks import TaskKind, TaskStatus
from oms.keys import REVERSED_CAPTURE_TASK

# The staff alert: one event when a task passes its first deadline, whatever its kind.
TASK_ESCALATED = "task.escalated"


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


def set_payload(session: Session, task_id: str, payload: dict[str, Any]) -> None:
    """What an open task shows changed (an order edit took units off a pick list)."""
    task = session.get(ManualTask, task_id)
    if task is not None and task.status == TaskStatus.OPEN:
        task.payload = payload
        session.add(task)
        session.flush()


def overdue(
    session: Session, *, kinds: tuple[TaskKind, ...], now: datetime, limit: int = 500
) -> list[str]:
    """Open tasks of these kinds past their due time and not escalated yet, soonest due
    first."""
    stmt = (
        select(ManualTask.id)
        .where(
            col(ManualTask.kind).in_([k.value for k in kinds]),
            ManualTask.status == TaskStatus.OPEN.value,
            col(ManualTask.escalated).is_(False),
            col(ManualTask.due_at) <= now,
        )
        .order_by(col(ManualTask.due_at))
        .limit(limit)
    )
    return list(session.exec(stmt))


def open_for_order(session: Session, order_id: str, kind: TaskKind) -> list[ManualTask]:
    """An order's open tasks of one kind."""
    stmt = select(ManualTask).where(
        ManualTask.order_id == order_id,
        ManualTask.kind == kind.value,
        ManualTask.status == TaskStatus.OPEN.value,
    )
    return list(session.exec(stmt))


def completed_between(
    session: Session, kind: TaskKind, *, since: datetime, before: datetime, limit: int = 500
) -> list[ManualTask]:
    """Tasks of one kind completed between ``since`` and ``before``, oldest first."""
    stmt = (
        select(ManualTask)
        .where(
            ManualTask.kind == kind.value,
            ManualTask.status == TaskStatus.COMPLETED.value,
            col(ManualTask.completed_at) >= since,
            col(ManualTask.completed_at) < before,
        )
        .order_by(col(ManualTask.completed_at))
        .limit(limit)
    )
    return list(session.exec(stmt))


def decided_as(session: Session, task_id: str, *, outcome: dict[str, Any], actor: str) -> None:
    """A completed task's outcome and decider set to what is carried out (a second decision
    that lost to the first: the task says the first)."""
    session.execute(
        update(ManualTask)
        .where(col(ManualTask.id) == task_id, col(ManualTask.status) == TaskStatus.COMPLETED)
        .values(outcome=outcome, completed_by=actor)
    )


def get_task(session: Session, task_id: str) -> ManualTask | None:
    return session.get(ManualTask, task_id)


def escalate(session: Session, task_id: str) -> bool:
    """Flag an open task past its first deadline and alert staff with one ``task.escalated``
    event (callers may repeat it: the flag and the event happen once). True if it was new."""
    task = session.get(ManualTask, task_id)
    if task is None or task.status != TaskStatus.OPEN or task.escalated:
        return False
    task.escalated = True
    session.add(task)
    outbox.emit(
        session,
        event_id=f"{TASK_ESCALATED}:{task_id}",
        type=TASK_ESCALATED,
        order_id=task.order_id,
        payload={
            "task_id": task.id,
            "kind": task.kind,
            "order_id": task.order_id,
            "location_id": task.location_id,
            "assignee": task.assignee,
            "due_at": task.due_at.isoformat() if task.due_at else None,
        },
    )
    return True


class Claim(StrEnum):
    """How a claim (or a completion, which needs the claim or none) went."""

    DONE = "done"
    NOT_FOUND = "not_found"
    NOT_OPEN = "not_open"
    HELD = "held"  # another person holds it


def _holdable_by(actor: str) -> Any:
    return or_(col(ManualTask.assignee).is_(None), col(ManualTask.assignee) == actor)


def _why_not(session: Session, task_id: str) -> Claim:
    task = session.get(ManualTask, task_id)
    if task is None:
        return Claim.NOT_FOUND
    session.refresh(task)
    return Claim.NOT_OPEN if task.status != TaskStatus.OPEN else Claim.HELD


def claim(session: Session, task_id: str, *, actor: str) -> Claim:
    """Give an open task to ``actor``: one holder at a time. Claiming again what one already
    holds is done (a retried request); a task held by someone else is ``HELD``."""
    result = session.execute(
        update(ManualTask)
        .where(
            col(ManualTask.id) == task_id,
            col(ManualTask.status) == TaskStatus.OPEN,
            col(ManualTask.assignee).is_(None),
        )
        .values(assignee=actor, claimed_at=utcnow())
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return Claim.DONE
    task = session.get(ManualTask, task_id)
    if task is not None:
        session.refresh(task)
        if task.status == TaskStatus.OPEN and task.assignee == actor:
            return Claim.DONE
    return _why_not(session, task_id)


def release(session: Session, task_id: str, *, actor: str) -> Claim:
    """Put a task one holds back in the queue."""
    result = session.execute(
        update(ManualTask)
        .where(
            col(ManualTask.id) == task_id,
            col(ManualTask.status) == TaskStatus.OPEN,
            _holdable_by(actor),
        )
        .values(assignee=None, claimed_at=None)
    )
    return Claim.DONE if result.rowcount else _why_not(session, task_id)  # type: ignore[attr-defined]


def complete(
    session: Session,
    task_id: str,
    *,
    outcome: dict[str, Any],
    actor: str,
    holder_only: bool = False,
) -> bool:
    """Mark an open task completed. False when it was not open (already decided, expired), or,
    with ``holder_only``, when someone else holds it."""
    stmt = update(ManualTask).where(
        col(ManualTask.id) == task_id, col(ManualTask.status) == TaskStatus.OPEN
    )
    if holder_only:
        stmt = stmt.where(_holdable_by(actor))
    result = session.execute(
        stmt.values(
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


def reopen_closed(session: Session, task_id: str, *, due_at: datetime | None = None) -> None:
    """Open again a task that was closed, for a new occurrence of what opened it (a second
    failed delivery): back in the queue, unclaimed, with a new due time."""
    session.execute(
        update(ManualTask)
        .where(col(ManualTask.id) == task_id, col(ManualTask.status) != TaskStatus.OPEN)
        .values(
            status=TaskStatus.OPEN,
            outcome=None,
            completed_by=None,
            completed_at=None,
            assignee=None,
            claimed_at=None,
            escalated=False,
            due_at=due_at,
        )
    )


def close(session: Session, task_id: str, *, status: TaskStatus, actor: str = "system") -> None:
    """Close a task that is still open (cancelled, expired); a decided task stays as it is."""
    session.execute(
        update(ManualTask)
        .where(col(ManualTask.id) == task_id, col(ManualTask.status) == TaskStatus.OPEN)
        .values(status=status, completed_by=actor, completed_at=utcnow())
    )


# Tasks about money the gateway already moved: the order's own end does not close them, nor
# a reversed capture's payment exception (a recovery carries its decision out, run or not).
OUTLIVE_THE_ORDER = (TaskKind.CHARGEBACK,)


def close_open_for_order(session: Session, order_id: str, *, status: TaskStatus) -> int:
    result = session.execute(
        update(ManualTask)
        .where(
            col(ManualTask.order_id) == order_id,
            col(ManualTask.status) == TaskStatus.OPEN,
            col(ManualTask.kind).not_in(OUTLIVE_THE_ORDER),
            ~col(ManualTask.id).startswith(REVERSED_CAPTURE_TASK),
        )
        .values(status=status, completed_by="system", completed_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def list_tasks(
    session: Session,
    *,
    kind: TaskKind | None = None,
    status: TaskStatus | None = None,
    location_id: str | None = None,
    assignee: str | None = None,
    unassigned: bool = False,
    overdue_at: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ManualTask]:
    """The queue: escalated first, then soonest due (tasks without a due time after), then
    oldest. ``overdue_at``: only open tasks due before that instant."""
    stmt = select(ManualTask)
    if kind:
        stmt = stmt.where(ManualTask.kind == kind)
    if status:
        stmt = stmt.where(ManualTask.status == status)
    if location_id:
        stmt = stmt.where(ManualTask.location_id == location_id)
    if assignee:
        stmt = stmt.where(ManualTask.assignee == assignee)
    if unassigned:
        stmt = stmt.where(col(ManualTask.assignee).is_(None))
    if overdue_at is not None:
        stmt = stmt.where(
            ManualTask.status == TaskStatus.OPEN,
            col(ManualTask.due_at).is_not(None),
            col(ManualTask.due_at) < overdue_at,
        )
    stmt = stmt.order_by(
        col(ManualTask.escalated).desc(),
        col(ManualTask.due_at).is_(None),
        col(ManualTask.due_at),
        col(ManualTask.created_at),
        col(ManualTask.id),
    )
    return list(session.exec(stmt.offset(offset).limit(limit)))
