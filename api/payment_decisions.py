"""Customer service's decision on a refused capture (a ``payment_exception`` task completed),
sent where it is carried out: to the order's run, which waits for it; or, for a capture the
gateway reversed after the fact, to a ``PaymentRecoveryWorkflow`` of its own."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from temporalio.client import Client
from temporalio.service import RPCError

from api.errors import ApiError
from api.fulfilment_updates import run_update
from oms.config import Settings
from oms.db.engine import Database
from oms.db.tables import ManualTask
from oms.domain.errors import ErrorCode
from oms.domain.order.payment_recovery import PaymentDecision, PaymentResolution
from oms.services.payment_recoveries import is_reversed, recovery_of, start_recovery
from workflows.order import OrderWorkflow


async def decide_payment(
    db: Database,
    client: Client,
    settings: Settings,
    task: ManualTask,
    decision: PaymentDecision,
    actor: str,
) -> None:
    """Carry the decision to its workflow.

    Raises:
        RunEnded: the order's run is over (a refused capture it no longer waits on).
        ApiError: the workflow could not be reached: the task must be opened again.
    """
    if is_reversed(task):
        inp = await run_in_threadpool(recovery_of, db, task, decision, actor)
        try:
            await start_recovery(client, settings.task_queue, inp)
        except (RPCError, RuntimeError) as err:
            raise ApiError(
                ErrorCode.UNAVAILABLE, "the decision could not be carried out; the task is open"
            ) from err
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
