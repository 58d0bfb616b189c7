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
    from workflows.policies import DB_ACTIVITY, LOCAL_ACTIVITY, condition_within


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
    what: str | None = None,
) -> Wait:
    """Wait on durable timers until ``done``: past ``escalate_after_s`` run ``on_escalate``
    once; past ``expire_after_s`` (counted from the start) give up, or wait on forever when
    it is None. ``what`` names the timers in the UI (e.g. "fraud review")."""
    first = f"{what}: escalate" if what else None
    if await condition_within(done, escalate_after_s, first):
        return Wait.DONE
    await on_escalate()
    if expire_after_s is None:
        await workflow.wait_condition(done)
        return Wait.ESCALATED_THEN_DONE
    second = f"{what}: give up" if what else None
    if await condition_within(done, expire_after_s - escalate_after_s, second):
        return Wait.ESCALATED_THEN_DONE
    return Wait.EXPIRED


class HumanTask:
    """One task row owned by the running workflow."""

    def __init__(self, task_id: str, kind: TaskKind, order_id: str, *, local: bool = False) -> None:
        self.task_id = task_id
        self.kind = kind
        self.order_id = order_id
        # Runs created since the lean order run write their task rows as local activities.
        self.local = local

    async def _call(self, activity: Any, arg: Any, summary: str) -> None:
        if self.local:
            await workflow.execute_local_activity(activity, arg, summary=summary, **LOCAL_ACTIVITY)
        else:
            await workflow.execute_activity(activity, arg, **DB_ACTIVITY)

    async def open(
        self,
        *,
        due_at: datetime | None = None,
        payload: dict[str, Any] | None = None,
        location_id: str | None = None,
    ) -> None:
        await self._call(
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
            f"open the {self.kind.value} task",
        )

    async def escalate(self) -> None:
        await self._call(calls.escalate_task, self.task_id, f"escalate the {self.kind.value} task")

    async def close(self, status: TaskStatus) -> None:
        await self._call(
            calls.close_task,
            CloseTask(task_id=self.task_id, status=status),
            f"close the {self.kind.value} task ({status.value})",
        )
