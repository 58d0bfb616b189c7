"""Escalating the tasks no run owns: a ``delivery_exception`` task is opened by the carrier's
webhook after the order's run has ended, and a ``payment_exception`` task about a capture the
gateway reversed after the fact by the gateway's notice (or by the recovery of one, refused
again), so no workflow timer watches their due time. The worker's sweep escalates each one once
it is overdue, as a run escalates its own tasks: the ``escalated`` flag and one
``task.escalated`` event (the staff alert). A payment exception the order's run opened has no
due time (its run's timer escalates it), so the sweep never sees it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from oms.config import Settings
from oms.db import tasks
from oms.db.engine import Database
from oms.domain.tasks import TaskKind
from oms.logging import get_logger
from oms.services.sweeps import every

log = get_logger(__name__)
# The kinds whose owner is not a running workflow (the others escalate in their run).
SWEPT_KINDS = (TaskKind.DELIVERY_EXCEPTION, TaskKind.PAYMENT_EXCEPTION)


def escalate_overdue(db: Database, *, now: datetime | None = None) -> list[str]:
    """Escalate every overdue task of the swept kinds; the ids escalated now."""
    now = now or datetime.now(UTC)
    escalated = []
    with db.session() as s:
        for task_id in tasks.overdue(s, kinds=SWEPT_KINDS, now=now):
            if tasks.escalate(s, task_id):
                escalated.append(task_id)
    for task_id in escalated:
        log.warning("task_escalated", task_id=task_id, by="sweep")
    return escalated


async def sweep_escalations(db: Database, settings: Settings) -> None:
    """Run ``escalate_overdue`` every ``OMS_TASK_ESCALATION_SWEEP``, for ever; a round that
    cannot reach the database is logged and tried again at the next."""
    await every(
        settings.task_escalation_sweep,
        lambda: asyncio.to_thread(escalate_overdue, db),
        "task_escalation_sweep",
    )
