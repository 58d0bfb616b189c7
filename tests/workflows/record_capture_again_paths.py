"""Recorded runs of the order's own refused capture carried out again (workflows/capture_again.py
since it was shared with PaymentRecoveryWorkflow): reauthorized and captured (REAUTH);
reauthorized, its capture refused again and the fresh authorization voided, then written off
(REAUTHVOID); retried, refused again, then retried and captured (RETRYAGAIN).

Recorded with the code from before capture_again was taken out of workflows/order_payments.py
(the first parent of the merge that brought PaymentRecoveryWorkflow), in a worktree of that
commit: that today's code replays them proves the extraction changed no command. Run by hand
with a new prefix: ``python -m tests.workflows.record_capture_again_paths R16CA``."""

from __future__ import annotations

import asyncio
import sys
import tempfile

from temporalio.testing import WorkflowEnvironment

from oms.domain.order.payment_recovery import PaymentAction
from oms.keys import fulfilment_workflow_id
from tests.workflows.harness import Harness, running, until
from tests.workflows.record_order_paths import fresh_db, save
from tests.workflows.record_profile_paths import run_recorder
from tests.workflows.test_payment_recovery import _decide, _shipped
from workflows.order import OrderWorkflow


async def _refused_again(h: Harness, oid: str, fid: str, action: PaymentAction) -> None:
    """Decide the refused capture, which is refused in turn: the next task waits."""
    await _decide(h, oid, fid, action)
    await until(h, oid, lambda v: [e.attempt for e in v.payment.exceptions] == [1])


async def record_capture_again_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db) as h:
            for scenario, refusals, actions in (
                ("REAUTH", 1, [PaymentAction.REAUTHORIZE]),
                ("REAUTHVOID", 2, [PaymentAction.REAUTHORIZE, PaymentAction.WRITE_OFF]),
                ("RETRYAGAIN", 2, [PaymentAction.RETRY, PaymentAction.RETRY]),
            ):
                oid = f"{prefix}-{scenario}"
                h.payments.refuse_captures(refusals)
                fid = await _shipped(h, oid)
                await until(h, oid, lambda v: bool(v.payment.exceptions))
                *again, last = actions
                for action in again:
                    await _refused_again(h, oid, fid, action)
                await _decide(h, oid, fid, last)
                handle = env.client.get_workflow_handle_for(OrderWorkflow.run, f"order-{oid}")
                await handle.result()
                await save(env, [f"order-{oid}", fulfilment_workflow_id(fid)])
        db.dispose()


if __name__ == "__main__":
    asyncio.run(run_recorder(record_capture_again_paths, sys.argv[1]))
