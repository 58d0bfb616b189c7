"""Recorded runs of payments that recover (the patch ``payment-recovery``): a capture the
gateway refused, retried on customer service's word (R9-PAYRETRY), and a capture two hours
after an authorization good for one, made on a fresh one (R9-PAYSTALE). Run by hand with a
new prefix after a compatible change: ``python -m tests.workflows.record_payment_paths R9``."""

from __future__ import annotations

import asyncio
import sys
import tempfile

from temporalio.testing import WorkflowEnvironment

from oms.domain.order import OrderPolicy
from oms.domain.order.payment_recovery import PaymentAction
from oms.keys import fulfilment_workflow_id
from tests.factories import order
from tests.workflows.harness import running, until
from tests.workflows.record_order_paths import fresh_db, save
from tests.workflows.record_profile_paths import FULL, run_recorder
from tests.workflows.test_payment_recovery import _decide, _shipped
from workflows.order import OrderWorkflow


async def record_payment_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db) as h:
            oid = f"{prefix}-PAYRETRY"
            h.payments.refuse_captures(1)
            fid = await _shipped(h, oid)
            await until(h, oid, lambda v: bool(v.payment.exceptions))
            await _decide(h, oid, fid, PaymentAction.RETRY)
            await env.client.get_workflow_handle_for(OrderWorkflow.run, f"order-{oid}").result()
            await save(env, [f"order-{oid}", fulfilment_workflow_id(fid)])

            oid = f"{prefix}-PAYSTALE"
            policy = OrderPolicy(authorization_valid_for_s=3600, pick_escalate_after_s=86400)
            handle = await h.place(order(oid), policy)
            view = await until(h, oid, lambda v: bool(v.fulfilments))
            fid = view.fulfilments[0].fulfilment_id
            await env.sleep(2 * 3600)
            await h.pick(fid, FULL)
            await h.pack(fid)
            await handle.result()
            await save(env, [f"order-{oid}", fulfilment_workflow_id(fid)])
        db.dispose()


if __name__ == "__main__":
    asyncio.run(run_recorder(record_payment_paths, sys.argv[1]))
