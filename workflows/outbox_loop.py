"""What the two long-running readers of the outbox share (the webhook relay, the customer
messages): one activity call that polls the outbox for ``run_for_s``, then, once caught up, a
pause until the next retry falls due or ``idle_s``, whichever is sooner (a ``wake`` signal ends
it early); continue as new every ``calls_per_run`` calls or when Temporal suggests it."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

CALLS_PER_RUN = 250


class LoopSettings(BaseModel):
    """Each reader sets its own defaults (a subclass); these are the webhook relay's."""

    run_for_s: float = Field(default=30.0, ge=0, description="How long one call keeps polling")
    poll_s: float = Field(default=0.2, gt=0, description="Pause between empty passes in a call")
    idle_s: float = Field(
        default=1.0, gt=0, description="Pause between calls once caught up (at most)"
    )
    batch: int = Field(default=500, ge=1, description="Events and deliveries per pass")
    retry_for_s: float = Field(
        default=3 * 86400.0, gt=0, description="How long a failing delivery is retried"
    )


class Pass(Protocol):
    """What a call answers that the loop reads."""

    @property
    def caught_up(self) -> bool: ...

    @property
    def next_due_s(self) -> float | None: ...


S = TypeVar("S", bound=LoopSettings)
R = TypeVar("R", bound=Pass)


class OutboxLoop(Generic[S, R]):
    """The loop; each workflow keeps its own typed run, signals and query around it."""

    _settings: S
    _last: R | None
    _woken: bool

    def _start(self, settings: S) -> None:
        self._settings = settings
        self._last = None
        self._woken = False

    async def _calls(self, calls_per_run: int, call: Callable[[S], Awaitable[R]]) -> None:
        """Up to ``calls_per_run`` calls, each followed by its pause; the caller then
        continues as new."""
        for _ in range(calls_per_run):
            s = self._settings
            self._woken = False
            result = await call(s)
            self._last = result
            if result.caught_up and not self._woken:
                pause = s.idle_s
                if result.next_due_s is not None:
                    pause = min(pause, result.next_due_s)
                if pause > 0:
                    with contextlib.suppress(TimeoutError):
                        await workflow.wait_condition(
                            lambda: self._woken,
                            timeout=timedelta(seconds=pause),
                            timeout_summary="caught up: next pass",
                        )
            if workflow.info().is_continue_as_new_suggested():
                break


async def start_loop(
    client: Client,
    run: Any,
    inp: BaseModel,
    *,
    workflow_id: str,
    task_queue: str,
    summary: str,
    details: str,
    configure: Any,
    settings: LoopSettings | None,
) -> WorkflowHandle[Any, None]:
    """Start a reader unless it runs already (one per namespace, a fixed id); with settings,
    the running one takes them."""
    handle: WorkflowHandle[Any, None] = await client.start_workflow(
        run,
        inp,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=summary,
        static_details=details,
    )
    if settings is not None:
        await handle.signal(configure, settings)
    return handle
