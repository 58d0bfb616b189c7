"""Recorded runs of ReturnWorkflow for the replay test: an in-store return received, graded
and refunded (RET-STORE), and a carrier return with its label, refunded at once for a trusted
tier and never sent back (RET-EXPIRE). Run by hand with a new prefix after a compatible change:
``python -m tests.workflows.record_return_paths R9``."""

from __future__ import annotations

import asyncio
import sys
import tempfile

from temporalio.testing import WorkflowEnvironment

from oms.contracts.returns import QcResult, Receipt
from oms.db import returns as return_repo
from oms.domain.returns import GradedLine, ReturnLineIn, ReturnMethod, ReturnPolicy
from tests.returns import asked, delivered
from tests.workflows.harness import running
from tests.workflows.record_order_paths import fresh_db, save
from tests.workflows.record_profile_paths import run_recorder
from workflows.returns import ReturnWorkflow


async def record_return_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db) as h:
            await delivered(h, f"{prefix}-RET-STORE")
            inp, handle = await asked(h, f"{prefix}-RET-STORE", [("1", 2)])
            await handle.execute_update(
                ReturnWorkflow.receive,
                Receipt(
                    location_id="ST-OPERA",
                    lines=[ReturnLineIn(line_id="1", quantity=2)],
                    actor="store:opera",
                ),
            )
            await asyncio.sleep(1)  # the QC task opens
            await handle.execute_update(
                ReturnWorkflow.grade,
                QcResult(
                    grades=[
                        GradedLine(line_id="1", grade="qc_resellable", quantity=1),
                        GradedLine(line_id="1", grade="qc_damaged", quantity=1),
                    ],
                    actor="analyst:qc",
                ),
            )
            await handle.result()
            await save(env, [handle.id])

            with db.session() as s:
                return_repo.set_policy(s, "web-fr", ReturnPolicy(instant_refund_tiers=["vip"]))
            await delivered(h, f"{prefix}-RET-EXPIRE", tier="vip")
            inp, handle = await asked(
                h, f"{prefix}-RET-EXPIRE", [("2", 1)], method=ReturnMethod.BY_CARRIER
            )
            await env.sleep(inp.policy.receive_within_days * 86400 + 60)
            await handle.result()
            await save(env, [handle.id])
        db.dispose()


if __name__ == "__main__":
    asyncio.run(run_recorder(record_return_paths, sys.argv[1]))
