"""Customer service's decision on a refused capture (a ``payment_exception`` task completed),
sent where it is carried out: to the order's run, which waits for it; or, for a capture the
gateway reversed after the fact, to a ``PaymentRecoveryWorkflow`` of its own.

A reversed capture's decision is prepared (its input read from the ledger) before the task is
completed, so that a failure there leaves the task open. Once completed, the task is the
decision: when Temporal gives no clear answer to the start, the task stays completed and the
worker's sweep starts the run (``oms.services.payment_recoveries``); a second decision is
refused 409 ``task_not_open`` as for any completed task, and a run found carrying out another
decision (a task reopened by an API of before) is refused 409 ``payment_decision_under_way``,
the task saying the decision under way."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from temporalio.client import Client
from temporalio.service import RPCError

from api.errors import ApiError
from api.fulfilment_updates import run_update
from oms.config import Settings
from oms.contracts.payment_recovery import RecoveryInput
from oms.db import tasks as task_repo
from oms.db.engine import Database
from oms.db.tables import ManualTask
from oms.domain.errors import ErrorCode
from oms.domain.order.payment_recovery import PaymentDecision, PaymentResolution
from oms.keys import payment_recovery_workflow_id
from oms.logging import get_logger
from oms.services.payment_recoveries import (
    DecisionUnderWay,
    is_reversed,
    recovery_of,
    start_recovery,
)
from workflows.order import OrderWorkflow

log = get_logger(__name__)


class DecisionRefused(ApiError):
    """The decision was not carried out, and the task must stay as it is (not reopened)."""


async def prepare_payment(
    db: Database, settings: Settings, task: ManualTask, decision: PaymentDecision, actor: str
) -> RecoveryInput | None:
    """What a reversed capture's decision needs, read before its task is completed (None for
    a refused capture the order's run waits on)."""
    if not is_reversed(task):
        return None
    return await run_in_threadpool(
        lambda: recovery_of(
            db, task, decision, actor, escalate_after=settings.payment_escalate_after
        )
    )


async def decide_payment(
    db: Database,
    client: Client,
    settings: Settings,
    task: ManualTask,
    decision: PaymentDecision,
    actor: str,
    recovery: RecoveryInput | None,
) -> None:
    """Carry the decision to its workflow (``recovery``: a reversed capture's, prepared).

    Raises:
        RunEnded: the order's run is over (a refused capture it no longer waits on).
        DecisionRefused: the task's recovery carries out another decision.
        ApiError: the order's run could not be reached: the task must be opened again.
    """
    if recovery is not None:
        await _start(db, client, settings, recovery)
        return
    resolution = PaymentResolution(
        fulfilment_id=str(task.payload["fulfilment_id"]),
        action=decision.action,
        reason=decision.reason,
        actor=actor,
    )
    await run_update(
        client, task.workflow_id, OrderWorkflow.resolve_payment, resolution, what="order"
    )


async def _start(db: Database, client: Client, settings: Settings, inp: RecoveryInput) -> None:
    try:
        await start_recovery(client, settings.task_queue, inp)
    except DecisionUnderWay as err:
        await run_in_threadpool(_decided_as, db, err)
        raise DecisionRefused(
            ErrorCode.PAYMENT_DECISION_UNDER_WAY,
            f"task {inp.task_id}'s {err.action} decided by {err.actor} is being carried out "
            f"({payment_recovery_workflow_id(inp.task_id)}); it stays the task's decision",
            "action",
            detail={"under_way": err.decision, "decided_by": err.actor},
        ) from err
    except (RPCError, RuntimeError) as err:
        # No clear answer: the run may exist or not. The task stays decided; the worker's
        # sweep starts its run if there is none (never a second decision).
        log.warning("payment_recovery_start_deferred", task_id=inp.task_id, error=str(err))


def _decided_as(db: Database, err: DecisionUnderWay) -> None:
    with db.session() as s:
        task_repo.decided_as(s, err.task_id, outcome=err.decision, actor=err.actor)
