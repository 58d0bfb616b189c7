"""The task desk: analysts list the queue, claim a task (one holder at a time), and decide
held orders."""

from __future__ import annotations

from datetime import UTC, datetime
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
    overdue: bool = Field(description="open and past its due time")
    assignee: str | None = Field(description="who claimed it; null while it waits in the queue")
    claimed_at: datetime | None
    payload: dict[str, Any]
    outcome: dict[str, Any] | None
    completed_by: str | None
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, t: ManualTask) -> TaskPublic:
        due_at = as_utc(t.due_at) if t.due_at else None
        return cls(
            id=t.id,
            kind=TaskKind(t.kind),
            status=TaskStatus(t.status),
            order_id=t.order_id,
            location_id=t.location_id,
            escalated=t.escalated,
            due_at=due_at,
            overdue=t.status == TaskStatus.OPEN and due_at is not None and due_at < _now(),
            assignee=t.assignee,
            claimed_at=as_utc(t.claimed_at) if t.claimed_at else None,
            payload=t.payload,
            outcome=t.outcome,
            completed_by=t.completed_by,
            created_at=as_utc(t.created_at),
            completed_at=as_utc(t.completed_at) if t.completed_at else None,
        )


def _now() -> datetime:
    return datetime.now(UTC)


class TaskList(BaseModel):
    items: list[TaskPublic]


class CompleteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    reason: str = Field(min_length=1, max_length=500)


@router.get("", response_model=TaskList)
def list_tasks(
    principal: Analyst,
    db: DbDep,
    kind: TaskKind | None = None,
    status: TaskStatus | None = None,
    location_id: str | None = None,
    assignee: Annotated[
        str | None,
        Query(
            max_length=128,
            description="who holds the task: an actor, `me` (the caller) or `none` (unclaimed)",
        ),
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="true: only open tasks past their due time")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """The queue: escalated tasks first, then soonest due, then oldest."""
    holder = principal.actor if assignee == "me" else assignee
    with db.session() as s:
        rows = task_repo.list_tasks(
            s,
            kind=kind,
            status=status,
            location_id=location_id,
            assignee=None if holder == "none" else holder,
            unassigned=holder == "none",
            overdue_at=_now() if overdue else None,
            limit=limit,
            offset=offset,
        )
        return TaskList(items=[TaskPublic.of(t) for t in rows])


def _refuse_claim(result: task_repo.Claim, task_id: str) -> ApiError:
    if result is task_repo.Claim.NOT_FOUND:
        return ApiError(ErrorCode.TASK_NOT_FOUND, f"no task {task_id}", "task_id")
    if result is task_repo.Claim.NOT_OPEN:
        return ApiError(ErrorCode.TASK_NOT_OPEN, f"task {task_id} is not open", "task_id")
    return ApiError(ErrorCode.TASK_CLAIMED, f"task {task_id} is held by someone else", "task_id")


_CLAIM_REFUSALS = error_responses(
    ErrorCode.TASK_NOT_FOUND, ErrorCode.TASK_NOT_OPEN, ErrorCode.TASK_CLAIMED
)


@router.post("/{task_id}/claim", response_model=TaskPublic, responses=_CLAIM_REFUSALS)
def claim_task(task_id: str, principal: Analyst, db: DbDep) -> Any:
    """Take an open task: one holder at a time (claiming again what one holds is a no-op);
    a task someone else holds is refused with 409 `task_claimed`."""
    with db.session() as s:
        result = task_repo.claim(s, task_id, actor=principal.actor)
        if result is not task_repo.Claim.DONE:
            raise _refuse_claim(result, task_id)
        task = task_repo.get_task(s, task_id)
        assert task is not None
        s.refresh(task)
        log.info("task_claimed", task_id=task_id, kind=task.kind, by=principal.actor)
        return TaskPublic.of(task)


@router.post("/{task_id}/release", response_model=TaskPublic, responses=_CLAIM_REFUSALS)
def release_task(task_id: str, principal: Analyst, db: DbDep) -> Any:
    """Put a task one holds back in the queue (an admin may release anyone's)."""
    actor = principal.actor
    with db.session() as s:
        if principal.role == "admin":
            task = task_repo.get_task(s, task_id)
            actor = (task.assignee or actor) if task is not None else actor
        result = task_repo.release(s, task_id, actor=actor)
        if result is not task_repo.Claim.DONE:
            raise _refuse_claim(result, task_id)
        task = task_repo.get_task(s, task_id)
        assert task is not None
        s.refresh(task)
        return TaskPublic.of(task)


@router.post(
    "/{task_id}/complete",
    response_model=TaskPublic,
    responses=error_responses(
        ErrorCode.TASK_NOT_FOUND,
        ErrorCode.TASK_NOT_COMPLETABLE,
        ErrorCode.TASK_NOT_OPEN,
        ErrorCode.TASK_CLAIMED,
    ),
)
async def complete_task(
    task_id: str, body: CompleteBody, principal: Analyst, db: DbDep, client: ClientDep
) -> Any:
    """Decide a fraud review: the decision is recorded on the task and signalled to the order.
    An unclaimed task may be decided by any analyst; a claimed one only by its holder."""

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
            if not task_repo.complete(
                s, task_id, outcome=outcome, actor=principal.actor, holder_only=True
            ):
                s.refresh(task)
                if task.status == TaskStatus.OPEN:
                    raise _refuse_claim(task_repo.Claim.HELD, task_id)
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
