"""Recorded runs of PaymentRecoveryWorkflow (a capture the gateway reversed after the fact,
recovered on customer service's decision): a retry captured (RETRY); a retry refused, a new
task (REFUSED), whose retry is captured (RETRYAGAIN); a reauthorization while the order runs
whose capture is refused, the fresh authorization voided (REAUTHVOID), then authorized and
captured on the next task, the reversed amount let go of on the first authorization
(REAUTHAGAIN); a write-off, the first authorization voided (WRITEOFF); a retry that finds the
gateway captured it again on its own (RECAPTURED). Each run is started as the
API starts it, under an id naming its scenario (``payment-recovery-<prefix>-<SCENARIO>``; the
API's is ``payment-recovery-<task id>``). Run by hand with a new prefix after a compatible
change: ``python -m tests.workflows.record_recovery_paths R16RC``; test_replay replays what it
saved."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime

from sqlmodel import SQLModel
from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.db.tables import ManualTask
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.inbound import NoticeType, PaymentNotice
from oms.domain.order.payment_recovery import PaymentAction, PaymentDecision
from oms.gateway_keys import capture_key
from oms.services.payment_notices import apply_notice
from oms.services.payment_recoveries import recovery_of
from tests.factories import order, seed
from tests.workflows.harness import Harness, eventually, running, task, until
from tests.workflows.record_order_paths import save
from tests.workflows.record_profile_paths import run_recorder
from tests.workflows.test_reversed_capture_recovery import (
    captures,
    reverse,
    shipped_and_completed,
)
from workflows.payment_recovery import PaymentRecoveryWorkflow


def _db(tmp: str, name: str, stock: dict[tuple[str, str], int]) -> Database:
    db = Database(f"sqlite:///{tmp}/{name}.db")
    SQLModel.metadata.create_all(db.engine)
    seed(db, stock)
    return db


async def _decided(
    env: WorkflowEnvironment, h: Harness, decided: ManualTask, action: PaymentAction, run: str
) -> ManualTask | None:
    """Start the task's recovery under the scenario's id, save its history; the next task
    when it was refused again."""
    inp = recovery_of(h.db, decided, PaymentDecision(action=action, reason="called"), "cs:ana")
    result = await env.client.execute_workflow(
        PaymentRecoveryWorkflow.run, inp, id=run, task_queue=h.task_queue
    )
    await save(env, [run])
    return task(h.db, result.task_id) if result.task_id else None


def recaptured(h: Harness, key: str) -> None:
    """The gateway captures the reversed capture again on its own and says so."""
    done = h.payments.recapture(key)
    notice = PaymentNotice(
        type=NoticeType.CAPTURE_SUCCEEDED,
        idempotency_key=key,
        amount=done.amount,
        currency=done.currency,
        occurred_at=datetime.now(UTC),
    )
    with h.db.session() as s:
        apply_notice(s, gateway="simulator", notice=notice)


async def record_recovery_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = _db(tmp, "one", {("SKU-TEE", "ST-OPERA"): 20, ("SKU-MUG", "ST-OPERA"): 20})
        async with running(env.client, db) as h:
            for scenario, action in (
                ("RETRY", PaymentAction.RETRY),
                ("WRITEOFF", PaymentAction.WRITE_OFF),
            ):
                oid = f"{prefix}-{scenario}"
                fid = await shipped_and_completed(h, oid)
                reversed_task = reverse(h, capture_key(oid, fid))
                await _decided(env, h, reversed_task, action, f"payment-recovery-{oid}")

            oid = f"{prefix}-REFUSED"
            fid = await shipped_and_completed(h, oid)
            reversed_task = reverse(h, capture_key(oid, fid))
            h.payments.refuse_captures(1)
            run = f"payment-recovery-{oid}"
            following = await _decided(env, h, reversed_task, PaymentAction.RETRY, run)
            assert following is not None
            run = f"payment-recovery-{prefix}-RETRYAGAIN"
            await _decided(env, h, following, PaymentAction.RETRY, run)

            oid = f"{prefix}-RECAPTURED"
            fid = await shipped_and_completed(h, oid)
            reversed_task = reverse(h, capture_key(oid, fid), "technical_error")
            recaptured(h, capture_key(oid, fid))
            await _decided(env, h, reversed_task, PaymentAction.RETRY, f"payment-recovery-{oid}")
        db.dispose()

        # The tee ships from the Opéra, the mug from the Bastille: the tee's capture is
        # reversed while the mug waits for its pick, the order's token still kept.
        db = _db(tmp, "split", {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-BASTILLE"): 3})
        async with running(env.client, db) as h:
            oid = f"{prefix}-REAUTHVOID"
            handle = await h.place(order(oid))
            view = await until(h, oid, lambda v: len(v.fulfilments) == 2)
            at = {f.location_id: f.fulfilment_id for f in view.fulfilments}
            tee = at["ST-OPERA"]
            await h.pick(tee, PickReport(lines=[PickedLine(line_id="1", picked=2)]))
            await h.pack(tee)
            await eventually(lambda: len(captures(db, oid)) == 1)
            reversed_task = reverse(h, capture_key(oid, tee))
            h.payments.refuse_captures(1)
            run = f"payment-recovery-{oid}"
            following = await _decided(env, h, reversed_task, PaymentAction.REAUTHORIZE, run)
            assert following is not None
            run = f"payment-recovery-{prefix}-REAUTHAGAIN"
            await _decided(env, h, following, PaymentAction.REAUTHORIZE, run)
            await handle.terminate(reason="recorded")  # the mug's fulfilment is not the point
        db.dispose()


if __name__ == "__main__":
    asyncio.run(run_recorder(record_recovery_paths, sys.argv[1]))
