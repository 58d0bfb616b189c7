"""Recorded runs of AppeasementWorkflow for the replay test: refunded over the order's capture
(REFUND), refused by the gateway because the capture was refunded at the gateway by hand (REFUSED),
cancelled while the gateway does not answer (CANCEL: its end recorded failed once the refund's
attempt under way has ended, its claim held), and withdrawn by the API before its run took it
(WITHDRAWN: the run fails before any refund). Run by hand with a new prefix after a compatible
change: ``python -m tests.workflows.record_appeasement_paths R16AP``; test_replay replays what it
saved."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile

from sqlmodel import select
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from oms.db.tables import PaymentLedgerEntry
from oms.services.appeasements import withdraw
from tests.appeasements import granted, started, stored
from tests.returns import delivered
from tests.workflows.gateways import RefundsLater
from tests.workflows.harness import eventually, running
from tests.workflows.record_order_paths import fresh_db, save
from tests.workflows.record_profile_paths import run_recorder


async def record_appeasement_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db) as h:
            refunded = f"{prefix}-REFUND"
            await delivered(h, refunded)
            _, handle = await granted(h, refunded, 1000)
            await handle.result()
            await save(env, [handle.id])

            refused = f"{prefix}-REFUSED"
            await delivered(h, refused)
            with db.reading() as s:
                capture = s.exec(
                    select(PaymentLedgerEntry).where(
                        PaymentLedgerEntry.order_id == refused,
                        PaymentLedgerEntry.operation == "capture",
                    )
                ).one()
            assert capture.gateway_reference is not None
            h.payments.refund(
                idempotency_key=f"{refused}:by-hand",
                capture_id=capture.gateway_reference,
                amount=capture.amount,
                currency=capture.currency,
            )
            _, handle = await granted(h, refused, 700, reason_code="damaged_packaging")
            await handle.result()
            await save(env, [handle.id])

            withdrawn = f"{prefix}-WITHDRAWN"
            await delivered(h, withdrawn)
            inp = stored(h, withdrawn, 500)
            withdraw(db, inp.appeasement_id)
            handle = await started(h, inp)
            with contextlib.suppress(WorkflowFailureError):
                await handle.result()
            await save(env, [handle.id])

        gateway = RefundsLater()
        async with running(env.client, db, payments=gateway) as h:
            cancelled = f"{prefix}-CANCEL"
            await delivered(h, cancelled)
            _, handle = await granted(h, cancelled, 800)
            await eventually(lambda: gateway.refund_calls >= 1)
            await handle.cancel()
            with contextlib.suppress(WorkflowFailureError):
                await handle.result()
            await save(env, [handle.id])
        db.dispose()


if __name__ == "__main__":
    asyncio.run(run_recorder(record_appeasement_paths, sys.argv[1]))
