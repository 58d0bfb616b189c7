"""The task desk: analysts list the queue, claim a task (one holder at a time), and decide
held orders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError, RPCStatusCode

from api.deps import ClientDep, DbDep, Principal, SettingsDep, require
from api.errors import ApiError, error_responses
from api.fulfilment_updates import RunEnded, run_update
from api.openapi import schema_of
from api.payment_decisions import DecisionRefused, decide_payment, prepare_payment
from api.task_outcomes import (
    OUTCOMES,
    CompleteBody,
    DeliveryOutcome,
    QcOutcome,
    outcome_of,
)
from api.views import MAX_OFFSET, as_utc
from oms.contracts.returns import QcResult
from oms.db import reason_codes as reason_code_repo
from oms.db import tasks as task_repo
from oms.db.engine import Database
from oms.db.tables import ManualTask
from oms.domain import reason_codes as reasons
from oms.domain.errors import ErrorCode
from oms.domain.fraud import FraudReviewDecision
from oms.domain.inbound import ChargebackOutcome
from oms.domain.order.payment_recovery import PaymentDecision
from oms.domain.reason_codes import ReasonUsage
from oms.domain.tasks import TaskKind, TaskStatus
from oms.logging import get_logger
from oms.services.payment_notices import chargeback_decided
from workflows.order import OrderWorkflow
from workflows.returns import ReturnWorkflow, return_workflow_id

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


@router.get(
    "/{task_id}", response_model=TaskPublic, responses=error_responses(ErrorCode.TASK_NOT_FOUND)
)
def get_task(task_id: str, _: Analyst, db: DbDep) -> Any:
    """One task, whatever its status (the console opens a task from the queue with it)."""
    with db.reading() as s:
        task = task_repo.get_task(s, task_id)
    if task is None:
        raise ApiError(ErrorCode.TASK_NOT_FOUND, f"no task {task_id}", "task_id")
    return TaskPublic.of(task)


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


def _settle(
    db: Database, task_id: str, outcome: dict[str, Any], principal: Principal
) -> ManualTask:
    """Complete the open task for its holder (or anyone while unclaimed)."""
    with db.session() as s:
        task = task_repo.get_task(s, task_id)
        assert task is not None
        if not task_repo.complete(
            s, task_id, outcome=outcome, actor=principal.actor, holder_only=True
        ):
            s.refresh(task)
            if task.status == TaskStatus.OPEN:
                raise _refuse_claim(task_repo.Claim.HELD, task_id)
            raise ApiError(
                ErrorCode.TASK_NOT_OPEN, f"task {task_id} is {task.status}, not open", "task_id"
            )
        s.commit()
        s.refresh(task)
        return task


def _reopen(db: Database, task_id: str) -> None:
    with db.session() as s:
        task_repo.reopen(s, task_id)


def _close_orphan(db: Database, task_id: str) -> None:
    with db.session() as s:
        task_repo.reopen(s, task_id)
        task_repo.close(s, task_id, status=TaskStatus.CANCELLED)


def _task_of(db: Database, task_id: str) -> ManualTask:
    with db.reading() as s:
        task = task_repo.get_task(s, task_id)
    if task is None:
        raise ApiError(ErrorCode.TASK_NOT_FOUND, f"no task {task_id}", "task_id")
    if task.kind not in OUTCOMES:
        raise ApiError(
            ErrorCode.TASK_NOT_COMPLETABLE,
            f"a {task.kind} task is not decided here: "
            + _DONE_ELSEWHERE.get(task.kind, "it is completed through its fulfilment endpoints"),
            "task_id",
        )
    return task


def _check_grades(db: Database, outcome: QcOutcome) -> None:
    with db.reading() as s:
        codes = reason_code_repo.resolve(s, {g.grade for g in outcome.grades})
    errors = [
        refused
        for i, g in enumerate(outcome.grades)
        if (
            refused := reasons.refusal(
                codes.get(g.grade), g.grade, ReasonUsage.RETURN_QC, f"grades[{i}].grade"
            )
        )
        is not None
    ]
    if errors:
        raise ApiError.invalid(errors)


@router.post(
    "/{task_id}/complete",
    response_model=TaskPublic,
    responses=error_responses(
        ErrorCode.TASK_NOT_FOUND,
        ErrorCode.TASK_NOT_COMPLETABLE,
        ErrorCode.TASK_NOT_OPEN,
        ErrorCode.TASK_CLAIMED,
        ErrorCode.REASON_NOT_ALLOWED,
        ErrorCode.PAYMENT_DECISION_UNDER_WAY,
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            schema_of(CompleteBody),
                            schema_of(QcOutcome),
                            schema_of(DeliveryOutcome),
                            schema_of(PaymentDecision),
                            schema_of(ChargebackOutcome),
                        ]
                    }
                }
            },
        }
    },
)
async def complete_task(
    task_id: str,
    principal: Analyst,
    db: DbDep,
    client: ClientDep,
    settings: SettingsDep,
    body: Annotated[dict[str, Any], Body()],
) -> Any:
    """Complete a task with the outcome its kind takes, and tell the workflow that owns it:
    a fraud review `{"decision": "approve" | "reject", "reason"}`; a return's quality control
    `{"grades": [{"line_id", "grade", "quantity"}]}`, every received unit graded with a
    `return_qc` reason code; a failed delivery `{"resolution": "reshipped" | "refunded" |
    "redelivery_booked" | "closed", "note"}`; a refused capture `{"action": "retry" |
    "reauthorize" | "write_off", "reason"}`, which the order carries out before it ends (a
    capture the gateway reversed after the fact, `"reversed": true`: a `PaymentRecoveryWorkflow`
    carries it out, whether the order's run is over or not, once per task: the completed task
    is the decision, started by the worker's sweep when Temporal is away, and a run found
    carrying out another one is 409 `payment_decision_under_way`); a chargeback
    `{"decision": "accept" | "dispute", "note"}`, announced as `payment.chargeback_decided`.
    An unclaimed task may be completed by any analyst; a claimed one only by its holder."""
    task = await run_in_threadpool(_task_of, db, task_id)
    kind = TaskKind(task.kind)
    outcome = outcome_of(kind, body)
    if isinstance(outcome, QcOutcome):
        await run_in_threadpool(_check_grades, db, outcome)
    recovery = None
    if isinstance(outcome, PaymentDecision):  # read before the task is decided
        recovery = await prepare_payment(db, settings, task, outcome, principal.actor)
    done = await run_in_threadpool(_settle, db, task_id, outcome.model_dump(mode="json"), principal)
    try:
        if isinstance(outcome, CompleteBody):
            await _decide_review(client, task, outcome, principal)
        elif isinstance(outcome, ChargebackOutcome):
            await run_in_threadpool(_chargeback_decided, db, done, outcome, principal)
        elif isinstance(outcome, PaymentDecision):
            await decide_payment(db, client, settings, task, outcome, principal.actor, recovery)
        elif isinstance(outcome, QcOutcome):
            result = QcResult(grades=outcome.grades, actor=principal.actor)
            await run_update(
                client,
                return_workflow_id(str(task.payload["return_id"])),
                ReturnWorkflow.grade,
                result,
                what="return",
            )
    except RunEnded:
        # Nothing owns the task any more (the order ended meanwhile): it is closed, not
        # left open for ever.
        await run_in_threadpool(_close_orphan, db, task_id)
        raise
    except DecisionRefused:
        raise  # the task says the decision its workflow carries out
    except ApiError:
        # The outcome did not reach its workflow: the task is open again, to be retried.
        await run_in_threadpool(_reopen, db, task_id)
        raise
    log.info("task_completed", task_id=task_id, kind=kind.value, by=principal.actor)
    return TaskPublic.of(done)


def _chargeback_decided(
    db: Database, task: ManualTask, outcome: ChargebackOutcome, principal: Principal
) -> None:
    with db.session() as s:
        chargeback_decided(s, task, outcome.decision.value, outcome.note, principal.actor)


async def _decide_review(
    client: Any, task: ManualTask, body: CompleteBody, principal: Principal
) -> None:
    handle = client.get_workflow_handle(task.workflow_id)
    try:
        await handle.signal(
            OrderWorkflow.fraud_decision,
            FraudReviewDecision(decision=body.decision, reason=body.reason, actor=principal.actor),
        )
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise RunEnded("order") from err
        raise ApiError(
            ErrorCode.UNAVAILABLE, "the order could not be reached; the task is still open"
        ) from err
    log.info(
        "fraud_review_decided",
        task_id=task.id,
        order_id=task.order_id,
        decision=body.decision,
        by=principal.actor,
    )
