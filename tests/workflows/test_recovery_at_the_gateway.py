"""What a reversed capture's recovery leaves at the gateway, and when it asks nothing of it: the
reversed amount let go of on the first authorization once collected elsewhere or written off,
a fresh authorization voided when its capture is refused or the run cancelled, nothing
captured twice when the gateway captured it again on its own; a decision whose start got no
answer carried out by the sweep, and a second, different decision refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from oms.config import Settings
from oms.contracts.payment_recovery import RecoveryInput
from oms.db import payments as ledger
from oms.db import tasks as task_repo
from oms.db.engine import Database
from oms.db.tables import ManualTask, OutboxEvent
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.inbound import NoticeOutcome, NoticeType, PaymentNotice
from oms.domain.order import OrderView
from oms.domain.order.payment_recovery import PaymentAction, PaymentDecision, RecoveryOutcome
from oms.domain.tasks import TaskStatus
from oms.gateway_keys import capture_key
from oms.keys import payment_recovery_workflow_id
from oms.services.payment_notices import apply_notice
from oms.services.payment_recoveries import (
    DecisionUnderWay,
    recovery_of,
    start_recovery,
    start_undecided,
)
from tests.factories import order, seed
from tests.workflows.gateways import CapturesUnanswered
from tests.workflows.harness import Harness, eventually, running, task, tasks_of, until
from tests.workflows.test_reversed_capture_recovery import (
    STOCK,
    TOTAL,
    books_agree,
    captures,
    decide,
    reverse,
    shipped_and_completed,
)
from workflows.order import OrderWorkflow
from workflows.payment_recovery import PaymentRecoveryWorkflow

SPLIT = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-BASTILLE"): 3}
TEES = 2 * 1999


async def tee_reversed_while_running(
    h: Harness, order_id: str
) -> tuple[WorkflowHandle[OrderWorkflow, OrderView], str, ManualTask]:
    """The tee ships from the Opéra and is captured, then reversed, while the mug waits for
    its pick at the Bastille: the order's run, the mug's fulfilment, the reversed task."""
    handle = await h.place(order(order_id))
    view = await until(h, order_id, lambda v: len(v.fulfilments) == 2)
    at = {f.location_id: f.fulfilment_id for f in view.fulfilments}
    await h.pick(at["ST-OPERA"], PickReport(lines=[PickedLine(line_id="1", picked=2)]))
    await h.pack(at["ST-OPERA"])
    await eventually(lambda: len(captures(h.db, order_id)) == 1)
    return handle, at["ST-BASTILLE"], reverse(h, capture_key(order_id, at["ST-OPERA"]))


def authorization_of(db: Database, key: str) -> str:
    with db.reading() as s:
        row = ledger.entry(s, key)
    assert row is not None
    assert row.authorization_id is not None
    return row.authorization_id


def fresh_authorization(db: Database, order_id: str) -> str:
    with db.reading() as s:
        [row] = [
            e
            for e in ledger.entries(s, order_id=order_id)
            if e.idempotency_key.startswith(f"{order_id}:reauthorize:")
        ]
    assert row.authorization_id is not None
    return row.authorization_id


def held(h: Harness, authorization_id: str) -> int:
    """What the authorization still holds on the customer's card."""
    state = h.payments.state(authorization_id)
    return 0 if state.voided else state.amount - state.captured


async def test_a_reauthorization_collected_lets_go_of_the_reversed_amount_on_the_first(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, SPLIT)
    async with running(time_env.client, db) as h:
        handle, mug, reversed_task = await tee_reversed_while_running(h, "RG1")
        first = authorization_of(db, "RG1:authorize")
        assert held(h, first) == TOTAL  # the reversal gave the tees' amount back to it

        result = await decide(h, reversed_task, PaymentAction.REAUTHORIZE)
        # While the order runs, only the reversed amount is let go of: the mug's capture
        # still needs the rest.
        released = h.payments.state(first).released
        await h.pick(mug, PickReport(lines=[PickedLine(line_id="2", picked=1)]))
        await h.pack(mug)
        await handle.result()

    assert (result.outcome, result.released) == (RecoveryOutcome.CAPTURED, TEES)
    assert released == TEES
    assert held(h, first) == 0  # nothing left on the customer's card once the order is over
    assert held(h, fresh_authorization(db, "RG1")) == 0  # captured in full
    books_agree(h)


async def test_a_write_off_after_the_orders_end_lets_go_of_what_the_reversal_gave_back(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await shipped_and_completed(h, "RG2")
        reversed_task = reverse(h, capture_key("RG2", fid))
        first = authorization_of(db, "RG2:authorize")
        assert held(h, first) == TOTAL

        result = await decide(h, reversed_task, PaymentAction.WRITE_OFF)

    assert (result.outcome, result.released) == (RecoveryOutcome.WRITTEN_OFF, TOTAL)
    assert h.payments.state(first).voided  # the order is over: all of it
    assert held(h, first) == 0
    books_agree(h)


async def test_a_fresh_authorization_whose_capture_is_refused_is_voided(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, SPLIT)
    async with running(time_env.client, db) as h:
        _, _, reversed_task = await tee_reversed_while_running(h, "RG3")
        h.payments.refuse_captures(1)

        result = await decide(h, reversed_task, PaymentAction.REAUTHORIZE)

    assert (result.outcome, result.code) == (RecoveryOutcome.REFUSED, "capture_refused")
    fresh = fresh_authorization(db, "RG3")
    assert h.payments.state(fresh).voided
    assert held(h, fresh) == 0
    # Nothing collected: the first authorization keeps the reversed amount for a retry.
    assert held(h, authorization_of(db, "RG3:authorize")) == TOTAL
    books_agree(h)


async def test_a_cancelled_capture_is_no_refusal_and_its_fresh_authorization_is_voided(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, SPLIT)
    gateway = CapturesUnanswered()
    async with running(time_env.client, db, gateway) as h:
        _, _, reversed_task = await tee_reversed_while_running(h, "RG4")
        gateway.down.set()
        inp = recovery_of(
            db, reversed_task, PaymentDecision(action=PaymentAction.REAUTHORIZE, reason="x"), "cs"
        )
        await start_recovery(h.client, h.task_queue, inp)
        run = h.client.get_workflow_handle_for(
            PaymentRecoveryWorkflow.run, payment_recovery_workflow_id(reversed_task.id)
        )
        await eventually(lambda: gateway.calls >= 1)  # the capture waits for an answer

        await run.cancel()
        with pytest.raises(WorkflowFailureError):
            await run.result()

    # Cancelled, not "refused again": no next task, no refusal event, and the fresh
    # authorization does not stay held on the customer's card.
    assert [t.id for t in tasks_of(db, "RG4") if t.id.startswith(reversed_task.id)] == [
        reversed_task.id
    ]
    with db.reading() as s:
        refused = s.exec(select(OutboxEvent).where(OutboxEvent.order_id == "RG4")).all()
    assert not [e for e in refused if e.type.startswith("payment.recovery_refused")]
    assert gateway.state(fresh_authorization(db, "RG4")).voided


@pytest.mark.parametrize("action", [PaymentAction.RETRY, PaymentAction.WRITE_OFF])
async def test_a_capture_the_gateway_made_again_meanwhile_is_neither_captured_nor_given_up(
    time_env: WorkflowEnvironment, db: Database, action: PaymentAction
) -> None:
    seed(db, STOCK)
    oid = f"RG5-{action.value}"
    async with running(time_env.client, db) as h:
        fid = await shipped_and_completed(h, oid)
        key = capture_key(oid, fid)
        reversed_task = reverse(h, key, "technical_error")
        # The gateway captures it again on its own and says so, as customer service decides.
        done = h.payments.recapture(key)
        notice = PaymentNotice(
            type=NoticeType.CAPTURE_SUCCEEDED,
            idempotency_key=key,
            amount=done.amount,
            currency=done.currency,
            occurred_at=datetime.now(UTC),
        )
        with db.session() as s:
            applied = apply_notice(s, gateway="simulator", notice=notice)

        result = await decide(h, reversed_task, action)

    assert applied is not None
    assert applied.outcome is NoticeOutcome.RECAPTURED
    assert result.outcome is RecoveryOutcome.RECAPTURED
    assert captures(db, oid) == [(fid, "succeeded", TOTAL)]  # nothing captured again
    with db.reading() as s:
        told = [e.type for e in s.exec(select(OutboxEvent).where(OutboxEvent.order_id == oid))]
    assert f"payment.written_off.{fid}" not in told  # nor given up
    assert held(h, authorization_of(db, f"{oid}:authorize")) == 0
    closed = task(db, reversed_task.id)
    assert closed is not None
    assert closed.status == TaskStatus.CANCELLED
    books_agree(h)


async def test_a_decision_whose_run_never_started_is_carried_out_by_the_sweep(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await shipped_and_completed(h, "RG6")
        reversed_task = reverse(h, capture_key("RG6", fid))
        # The API completed the task, then got no answer from Temporal: no run.
        with db.session() as s:
            decision = {"action": "retry", "reason": "called"}
            assert task_repo.complete(s, reversed_task.id, outcome=decision, actor="cs:ana")
            s.commit()
        settings = Settings(task_queue=h.task_queue)
        later = datetime.now(UTC) + timedelta(minutes=5)

        started = await start_undecided(db, h.client, settings, now=later)
        again = await start_undecided(db, h.client, settings, now=later)
        result = await h.client.get_workflow_handle_for(
            PaymentRecoveryWorkflow.run, payment_recovery_workflow_id(reversed_task.id)
        ).result()

    assert (started, again) == ([reversed_task.id], [])
    assert result.outcome is RecoveryOutcome.CAPTURED
    assert [outcome for _, outcome, _ in captures(db, "RG6")] == ["refused", "succeeded"]
    books_agree(h)


async def test_a_second_different_decision_finds_the_first_under_way(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await shipped_and_completed(h, "RG7")
        reversed_task = reverse(h, capture_key("RG7", fid))

        def asked(action: PaymentAction) -> RecoveryInput:
            return recovery_of(db, reversed_task, PaymentDecision(action=action, reason="x"), "cs")

        first = await start_recovery(h.client, h.task_queue, asked(PaymentAction.RETRY))
        same = await start_recovery(h.client, h.task_queue, asked(PaymentAction.RETRY))
        with pytest.raises(DecisionUnderWay) as refused:
            await start_recovery(h.client, h.task_queue, asked(PaymentAction.WRITE_OFF))
        result = await h.client.get_workflow_handle_for(
            PaymentRecoveryWorkflow.run, payment_recovery_workflow_id(reversed_task.id)
        ).result()

    assert (first, same) == (True, False)
    assert (refused.value.action, refused.value.actor) == ("retry", "cs")
    assert result.outcome is RecoveryOutcome.CAPTURED  # the first decision, carried out once
