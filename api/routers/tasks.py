"""Manual tasks: fraud analysts list their queue and decide held orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api.deps import ClientDep, DbDep, Principal, require
from api.errors import ApiError, error_responses
from api.views import MAX_OFFSET, as_utc
from oms.db import tasks as task_repo
from oms.db.tables import ManualTask
from oms.domain.errors import ErrorCode
from oms.domain.fraud import FraudReviewDecision, ReviewDecision
from oms.domain.tasks import TaskKind, TaskStatus
from oms.logging import get_logger
from workflows.order import OrderWorkflow

log = get_logger(__name__)
# How a task other than a fraud review gets done, when it is not through its fulfilment.
_DONE_ELSEWHERE: dict[str, str] = {
    TaskKind.RECOUNT: "count the position and send its figure as a stock update",
}

router = APIRouter(prefix="/tasks", tags=["tasks"])

Analyst = Annotated[Principal, Depends(require("analyst"))]


class TaskPublic(BaseModel):
    id: str
    kind: TaskKind
    status: TaskStatus
    order_id: str
    location_id: str | None
    escalated: bool
    due_at: datetime | None
    payload: dict[str, Any]
    outcome: dict[str, Any] | None
    completed_by: str | None
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, t: ManualTask) -> TaskPublic:
        return cls(
            id=t.id,
            kind=TaskKind(t.kind),
            status=TaskStatus(t.status),
            order_id=t.order_id,
            location_id=t.location_id,
            escalated=t.escalated,
            due_at=as_utc(t.due_at) if t.due_at else None,
            payload=t.payload,
            outcome=t.outcome,
            completed_by=t.completed_by,
            created_at=as_utc(t.created_at),
            completed_at=as_utc(t.completed_at) if t.completed_at else None,
        )


class TaskList(BaseModel):
    items: list[TaskPublic]


class CompleteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    reason: str = Field(min_length=1, max_length=500)


@router.get("", response_model=TaskList)
def list_tasks(
    _: Analyst,
    db: DbDep,
    kind: TaskKind | None = None,
    status: TaskStatus | None = None,
    location_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """Escalated tasks first, then oldest first."""
    with db.session() as s:
        rows = task_repo.list_tasks(
            s, kind=kind, status=status, location_id=location_id, limit=limit, offset=offset
        )
        return TaskList(items=[TaskPublic.of(t) for t in rows])


@router.post(
    "/{task_id}/complete",
    response_model=TaskPublic,
    responses=error_responses(
        ErrorCode.TASK_NOT_FOUND, ErrorCode.TASK_NOT_COMPLETABLE, ErrorCode.TASK_NOT_OPEN
    ),
)
async def complete_task(
    task_id: str, body: CompleteBody, principal: Analyst, db: DbDep, client: ClientDep
) -> Any:
    """Decide a fraud review: the decision is recorded on the task and signalled to the order."""

    def decide() -> ManualTask:
        with db.session() as s:
            task = task_repo.get_task(s, task_id)
            if task is None:
                raise ApiError(ErrorCode.TASK_NOT_FOUND, f"no task {task_id}", "task_id")
            if task.kind != TaskKind.FRAUD_REVIEW:
                raise ApiError(
                    ErrorCode.TASK_NOT_COMPLETABLE,
                    f"a {task.kind} task is not decided here: "
                    + _DONE_ELSEWHERE.get(
                        task.kind, "it is completed through its fulfilment endpoints"
                    ),
                    "task_id",
                )
            outcome = {"decision": body.decision.value, "reason": body.reason}
            if not task_repo.complete(s, task_id, outcome=outcome, actor=principal.actor):
                raise ApiError(
                    ErrorCode.TASK_NOT_OPEN,
                    f"task {task_id} is {task.status}, not open",
                    "task_id",
                )
            s.commit()
            s.refresh(task)
            return task

    task = await run_in_threadpool(decide)
    handle = client.get_workflow_handle(task.workflow_id)
    try:
        await handle.signal(
            OrderWorkflow.fraud_decision,
            FraudReviewDecision(decision=body.decision, reason=body.reason, actor=principal.actor),
        )
    except RPCError as err:
        # The decision is stored but did not reach the order: reopen so it can be retried.
        def reopen() -> None:
            with db.session() as s:
                task_repo.reopen(s, task_id)

        await run_in_threadpool(reopen)
        raise ApiError(
            ErrorCode.UNAVAILABLE, "the order could not be reached; the task is still open"
        ) from err
    log.info(
        "fraud_review_decided",
        task_id=task_id,
        order_id=task.order_id,
        decision=body.decision,
        by=principal.actor,
    )
    return TaskPublic.of(task)
