"""A capture the gateway reversed after the fact, recovered on customer service's decision
(PaymentRecoveryWorkflow): captured again, on the same authorization or a fresh one, refused
again (a new task, whose decision starts the next try), or written off; the ledger and the
gateway agree all along, and the order's timeline and outbox tell it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from oms.contracts.payment_recovery import RecoveryResult
from oms.db import order_notes
from oms.db import payments as ledger
from oms.db.engine import Database
from oms.db.tables import ManualTask, OutboxEvent, PaymentLedgerEntry
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.inbound import NoticeType, PaymentNotice
from oms.domain.order.payment_recovery import PaymentAction, PaymentDecision, RecoveryOutcome
from oms.domain.tasks import TaskKind, TaskStatus
from oms.gateway_keys import capture_key
from oms.keys import payment_recovery_workflow_id
from oms.services.payment_notices import apply_notice
from oms.services.payment_reconcile import reconcile
from oms.services.payment_recoveries import recovery_of, start_recovery
from tests.factories import order, seed
from tests.workflows.harness import Harness, eventually, running, task, until
from workflows.payment_recovery import PaymentRecoveryWorkflow

STOCK = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3}
TOTAL = 2 * 1999 + 899
FULL = PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)])


async def shipped_and_completed(h: Harness, order_id: str) -> str:
    """An order picked, packed and captured in full, its run over: its fulfilment's id."""
    handle = await h.place(order(order_id))
    fid = (await until(h, order_id, lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
    await h.pick(fid, FULL)
    await h.pack(fid)
    await handle.result()
    return fid


def reverse(h: Harness, key: str, code: str = "insufficient_funds") -> ManualTask:
    """The gateway fails the capture done under ``key`` after the fact and says so (as
    ``POST /webhooks/payments/simulator`` applies it): the reversed capture's task."""
    done = h.payments.reverse(key, code)
    notice = PaymentNotice(
        type=NoticeType.CAPTURE_FAILED,
        idempotency_key=key,
        reference=done.reference,
        amount=done.amount,
        currency=done.currency,
        occurred_at=datetime.now(UTC),
        code=code,
    )
    with h.db.session() as s:
        result = apply_notice(s, gateway="simulator", notice=notice)
    assert result is not None
    assert result.task_id is not None
    found = task(h.db, result.task_id)
    assert found is not None
    return found


async def decide(h: Harness, decided: ManualTask, action: PaymentAction) -> RecoveryResult:
    """What ``POST /tasks/{id}/complete`` does with a reversed capture's task: start its
    recovery (twice here, as an API retry would: carried out once), then its result."""
    inp = recovery_of(h.db, decided, PaymentDecision(action=action, reason="called"), "cs:ana")
    await start_recovery(h.client, h.task_queue, inp)
    await start_recovery(h.client, h.task_queue, inp)
    handle = h.client.get_workflow_handle_for(
        PaymentRecoveryWorkflow.run, payment_recovery_workflow_id(decided.id)
    )
    return await handle.result()


def captures(db: Database, order_id: str) -> list[tuple[str, str, int]]:
    with db.reading() as s:
        rows = ledger.entries(s, order_id=order_id)
    return [
        (e.idempotency_key.removeprefix(f"{order_id}:capture:"), e.outcome, e.amount)
        for e in rows
        if e.operation == "capture"
    ]


def events(db: Database, order_id: str) -> list[str]:
    with db.reading() as s:
        stmt = select(OutboxEvent).where(OutboxEvent.order_id == order_id)
        return sorted(e.type for e in s.exec(stmt))


def notes(db: Database, order_id: str) -> list[tuple[str, str]]:
    with db.reading() as s:
        return [(n.type, n.actor) for n in order_notes.for_order(s, order_id)]


def books_agree(h: Harness) -> None:
    books = reconcile(h.db, h.payments)
    assert books.differences == []


async def test_a_retry_captures_a_reversed_capture_again_on_its_authorization_once(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await shipped_and_completed(h, "RV1")
        reversed_task = reverse(h, capture_key("RV1", fid))

        result = await decide(h, reversed_task, PaymentAction.RETRY)
        # The same decision sent again once the run has ended: nothing more is captured.
        await decide(h, reversed_task, PaymentAction.RETRY)

    assert (result.outcome, result.amount) == (RecoveryOutcome.CAPTURED, TOTAL)
    [(first, first_outcome, _), (again, outcome, amount)] = captures(db, "RV1")
    assert (first, first_outcome) == (fid, "refused")  # reversed
    assert again.startswith(f"{fid}~")
    assert again.endswith("-retry1")
    assert (outcome, amount) == ("succeeded", TOTAL)
    with db.reading() as s:
        row = s.get(PaymentLedgerEntry, capture_key("RV1", again))
        reversed_row = s.get(PaymentLedgerEntry, capture_key("RV1", fid))
    assert row is not None
    assert reversed_row is not None
    assert row.authorization_id == reversed_row.authorization_id
    assert h.payments.attempts(capture_key("RV1", again)) == 1
    books_agree(h)
    assert events(db, "RV1").count("payment.captured") == 2
    assert "payment.capture_reversed" in events(db, "RV1")
    assert notes(db, "RV1") == [
        ("payment_capture_reversed", "payment_gateway"),
        ("payment_captured", "payment_gateway"),
        ("payment_exception_resolved", "cs:ana"),
    ]


async def test_a_reauthorization_collects_a_capture_reversed_while_the_order_runs(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # The tee ships from the Opéra, the mug from the Bastille: the first capture is reversed
    # while the second fulfilment still waits for its pick (the order's token still kept).
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-BASTILLE"): 3})
    async with running(time_env.client, db) as h:
        handle = await h.place(order("RV2"))
        view = await until(h, "RV2", lambda v: len(v.fulfilments) == 2)
        at = {f.location_id: f.fulfilment_id for f in view.fulfilments}
        tee, mug = at["ST-OPERA"], at["ST-BASTILLE"]
        await h.pick(tee, PickReport(lines=[PickedLine(line_id="1", picked=2)]))
        await h.pack(tee)
        await eventually(lambda: captures(db, "RV2") == [(tee, "succeeded", 2 * 1999)])
        reversed_task = reverse(h, capture_key("RV2", tee))

        result = await decide(h, reversed_task, PaymentAction.REAUTHORIZE)
        await h.pick(mug, PickReport(lines=[PickedLine(line_id="2", picked=1)]))
        await h.pack(mug)
        ended = await handle.result()

    assert result.outcome is RecoveryOutcome.CAPTURED
    assert ended.status.value == "COMPLETED"  # the order's run went on as it would have
    with db.reading() as s:
        rows = {e.idempotency_key: e for e in ledger.entries(s, order_id="RV2")}
    fresh = [r for k, r in rows.items() if k.startswith("RV2:reauthorize:")]
    assert [(r.outcome, r.amount) for r in fresh] == [("succeeded", 2 * 1999)]
    [again] = [r for k, r in rows.items() if k.startswith(f"RV2:capture:{tee}~")]
    assert (again.outcome, again.amount) == ("succeeded", 2 * 1999)
    assert again.idempotency_key.endswith("-reauthorize1")
    assert again.authorization_id == fresh[0].authorization_id
    books_agree(h)
    assert ("payment_exception_resolved", "cs:ana") in notes(db, "RV2")


async def test_a_try_refused_again_opens_the_next_task_whose_decision_collects_it(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await shipped_and_completed(h, "RV3")
        reversed_task = reverse(h, capture_key("RV3", fid))
        h.payments.refuse_captures(1)

        refused = await decide(h, reversed_task, PaymentAction.RETRY)
        next_task = task(db, refused.task_id or "")
        assert next_task is not None
        captured = await decide(h, next_task, PaymentAction.RETRY)

    assert (refused.outcome, refused.code) == (RecoveryOutcome.REFUSED, "capture_refused")
    assert refused.task_id == f"{reversed_task.id}-1"
    assert (next_task.kind, next_task.status) == (TaskKind.PAYMENT_EXCEPTION, TaskStatus.OPEN)
    assert next_task.payload == {
        **reversed_task.payload,
        "attempt": 1,
        "code": "capture_refused",
    }
    assert captured.outcome is RecoveryOutcome.CAPTURED
    tries = [(k.split("-")[-1], outcome) for k, outcome, _ in captures(db, "RV3")[1:]]
    assert tries == [("retry1", "refused"), ("retry2", "succeeded")]
    # An event of its own, naming the task decided: never the order's own capture_failed.<n>
    assert not [e for e in events(db, "RV3") if e.startswith("payment.capture_failed")]
    with db.reading() as s:
        [refused_event] = s.exec(
            select(OutboxEvent).where(
                OutboxEvent.type == f"payment.recovery_refused.{reversed_task.id}"
            )
        ).all()
    assert refused_event.payload == {
        "order_id": "RV3",
        "fulfilment_id": fid,
        "amount": TOTAL,
        "attempt": 1,
        "action": "retry",
        "code": "capture_refused",
        "task_id": reversed_task.id,
        "next_task_id": next_task.id,
        "reversed": True,
    }
    # No run watches the next task: it is due, for the escalation sweep
    assert next_task.due_at is not None
    books_agree(h)


async def test_a_reauthorization_after_the_orders_end_is_refused_without_its_token(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await shipped_and_completed(h, "RV4")
        reversed_task = reverse(h, capture_key("RV4", fid))

        result = await decide(h, reversed_task, PaymentAction.REAUTHORIZE)

    # The token went with the order's end: nothing was authorized, customer service decides
    # again (a retry, or a write-off).
    assert (result.outcome, result.code) == (RecoveryOutcome.REFUSED, "payment_token_missing")
    assert captures(db, "RV4") == [(fid, "refused", TOTAL)]
    books_agree(h)


async def test_a_write_off_gives_the_reversed_capture_up_and_says_so(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await shipped_and_completed(h, "RV5")
        reversed_task = reverse(h, capture_key("RV5", fid))

        result = await decide(h, reversed_task, PaymentAction.WRITE_OFF)

    assert (result.outcome, result.amount) == (RecoveryOutcome.WRITTEN_OFF, TOTAL)
    assert captures(db, "RV5") == [(fid, "refused", TOTAL)]  # the gateway was not asked
    with db.reading() as s:
        [written_off] = s.exec(
            select(OutboxEvent).where(OutboxEvent.type == f"payment.written_off.{fid}")
        ).all()
    assert written_off.payload == {
        "order_id": "RV5",
        "fulfilment_id": fid,
        "amount": TOTAL,
        "by": "cs:ana",
        "task_id": reversed_task.id,
        "reversed": True,
    }
    assert notes(db, "RV5")[1:] == [
        ("payment_written_off", "cs:ana"),
        ("payment_exception_resolved", "cs:ana"),
    ]
    books_agree(h)
