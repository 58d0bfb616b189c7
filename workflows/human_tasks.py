"""Human tasks as a workflow runs them: open one with a due time, wait for people under an
SLA (escalate at the first deadline, expire at the second), close it.

The order's fraud review and payment exceptions are ``HumanTask`` rows; the fulfilment's pick
deadline waits with ``wait_for_people`` (its pick task row is kept in step with the fulfilment
by ``save_fulfilment``). The task kinds to come (returns QC, value-added services) take the
same path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from oms.contracts.tasks import CloseTask, OpenTask
    from oms.domain.tasks import TaskKind, TaskStatus
    from workflows import calls
    from workflows.policies import DB_ACTIVITY, condition_within


class Wait(StrEnum):
    """How a wait for people ended."""

    DONE = "done"
    ESCALATED_THEN_DONE = "escalated_then_done"
    EXPIRED = "expired"


async def wait_for_people(
    done: Callable[[], bool],
    *,
    escalate_after_s: float,
    on_escalate: Callable[[], Awaitable[None]],
    expire_after_s: float | None = None,
) -> Wait:
    """Wait on durable timers until ``done``: past ``escalate_after_s`` run ``on_escalate``
    once; past ``expire_after_s`` (counted from the start) give up, or wait on forever when
    it is None."""
    if await condition_within(done, escalate_after_s):
        return Wait.DONE
    await on_escalate()
    if expire_after_s is None:
        await workflow.wait_condition(done)
        return Wait.ESCALATED_THEN_DONE
    if await condition_within(done, expire_after_s - escalate_after_s):
        return Wait.ESCALATED_THEN_DONE
    return Wait.EXPIRED


class HumanTask:
    """One task row owned by the running workflow."""

    def __init__(self, task_id: str, kind: TaskKind, order_id: str) -> None:
        self.task_id = task_id
        self.kind = kind
        self.order_id = order_id

    async def open(
        self,
        *,
        due_at: datetime | None = None,
        payload: dict[str, Any] | None = None,
        location_id: str | None = None,
    ) -> None:
        await workflow.execute_activity(
            calls.open_task,
            OpenTask(
                task_id=self.task_id,
                kind=self.kind,
                order_id=self.order_id,
                workflow_id=workflow.info().workflow_id,
                location_id=location_id,
                due_at=due_at,
                payload=payload or {},
            ),
            **DB_ACTIVITY,
        )

    async def escalate(self) -> None:
        await workflow.execute_activity(calls.escalate_task, self.task_id, **DB_ACTIVITY)

    async def close(self, status: TaskStatus) -> None:
        await workflow.execute_activity(
            calls.close_task, CloseTask(task_id=self.task_id, status=status), **DB_ACTIVITY
        )
