"""Customer service's decision on a capture the gateway reversed after the fact, carried out:
completing such a ``payment_exception`` task (``POST /tasks/{id}/complete``) starts a
``PaymentRecoveryWorkflow`` for it, one per task, whether the order's run is still open or
long over (workflows/payment_recovery.py).
"""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from oms.contracts.payment_recovery import RecoveryInput
from oms.db import payments as ledger
from oms.db.engine import Database
from oms.db.tables import ManualTask
from oms.domain.money import format_minor
from oms.domain.order.payment_recovery import PaymentAction, PaymentDecision, PaymentResolution
from oms.keys import payment_recovery_workflow_id, reversed_capture_task_id
from oms.temporal import ORDER_ID
from workflows.payment_recovery import PaymentRecoveryWorkflow

_WHAT = {
    PaymentAction.RETRY: "capture it again on the authorization it was made on",
    PaymentAction.REAUTHORIZE: "authorize it afresh with the order's stored payment token, then "
    "capture it",
    PaymentAction.WRITE_OFF: "write it off",
}


def is_reversed(task: ManualTask) -> bool:
    """A ``payment_exception`` task about a capture the gateway reversed after the fact (or
    about a try at collecting it that was refused in turn)."""
    return bool(task.payload.get("reversed"))


def recovery_of(
    db: Database, task: ManualTask, decision: PaymentDecision, actor: str
) -> RecoveryInput:
    """What carrying out the decision on a reversed capture's task needs: its payload, and
    the authorization the reversed capture was made on (its ledger row)."""
    payload = task.payload
    key = str(payload["idempotency_key"])
    with db.reading() as s:
        captured = ledger.entry(s, key)
    return RecoveryInput(
        task_id=task.id,
        order_id=task.order_id,
        amount=int(payload["amount"]),
        currency=str(payload["currency"]),
        reversed_key=key,
        gateway_reference=payload.get("gateway_reference"),
        authorization_id=captured.authorization_id if captured is not None else None,
        attempt=int(payload.get("attempt", 0)) + 1,
        decision=PaymentResolution(
            fulfilment_id=str(payload["fulfilment_id"]),
            action=decision.action,
            reason=decision.reason,
            actor=actor,
        ),
    )


async def start_recovery(
    client: Client, task_queue: str, inp: RecoveryInput, *, tries: int = 3
) -> None:
    """Start the task's recovery, once whatever happens: a start that timed out may have
    started it on the server, so it is asked again, and "already started" (even long ended)
    is taken for a start: that run is this task's, and the gateway is never asked twice.

    Raises:
        RPCError, RuntimeError: Temporal could not be reached ``tries`` times.
    """
    for attempt in range(1, tries + 1):
        try:
            await _start(client, task_queue, inp)
            return
        except WorkflowAlreadyStartedError:
            return
        except (RPCError, RuntimeError):
            if attempt == tries:
                raise
            await asyncio.sleep(0.2 * attempt)


async def _start(client: Client, task_queue: str, inp: RecoveryInput) -> None:
    d = inp.decision
    money = format_minor(inp.amount, inp.currency)
    await client.start_workflow(
        PaymentRecoveryWorkflow.run,
        inp,
        id=payment_recovery_workflow_id(inp.task_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=(
            f"payment recovery · order {inp.order_id} · {d.action.value} {money} for "
            f"{d.fulfilment_id} (try {inp.attempt})"
        ),
        static_details=(
            f"Carries out customer service's decision on the capture of `{d.fulfilment_id}` "
            f"({money}) that the gateway reversed after the fact (task `{inp.task_id}`): "
            f"{_WHAT[d.action]}. A try refused again opens task "
            f"`{reversed_capture_task_id(inp.reversed_key, inp.attempt)}` for the next decision."
        ),
        search_attributes=TypedSearchAttributes([SearchAttributePair(ORDER_ID, inp.order_id)]),
    )
