"""Payments that recover (issue 12): a capture the gateway refuses waits for customer service
(retry, re-authorize, write off) before the order ends, and a capture long after the
authorization is made on a fresh one."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.testing import WorkflowEnvironment

from oms.db import payments
from oms.db.engine import Database
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.order import OrderPolicy, OrderState, OrderStatus, PaymentState
from oms.domain.order.payment_recovery import PaymentAction, PaymentResolution
from oms.domain.order.run_info import WaitingOn, waiting_on
from oms.domain.tasks import TaskKind, TaskStatus
from tests.factories import order, seed
from tests.workflows.harness import Harness, eventually, running, task, until
from workflows.order import OrderWorkflow

STOCK = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3}
TOTAL = 2 * 1999 + 899
FULL = PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)])


async def _shipped(h: Harness, order_id: str, policy: OrderPolicy | None = None) -> str:
    await h.place(order(order_id), policy)
    fid = (await until(h, order_id, lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
    await h.pick(fid, FULL)
    await h.pack(fid)
    return fid


def _ops(db: Database, order_id: str) -> list[tuple[str, str, str, int]]:
    with db.reading() as s:
        return [
            (e.idempotency_key.removeprefix(f"{order_id}:"), e.operation, e.outcome, e.amount)
            for e in payments.entries(s, order_id=order_id)
        ]


async def _decide(h: Harness, order_id: str, fid: str, action: PaymentAction) -> None:
    handle = h.client.get_workflow_handle(f"order-{order_id}")
    await handle.execute_update(
        OrderWorkflow.resolve_payment,
        PaymentResolution(fulfilment_id=fid, action=action, reason="called the bank", actor="cs"),
    )


async def test_a_refused_capture_waits_for_customer_service_then_a_retry_collects_it(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        h.payments.refuse_captures(1)
        fid = await _shipped(h, "PR1")
        waiting = await until(h, "PR1", lambda v: bool(v.payment.exceptions))
        exc = task(db, f"payment-exception-{fid}")
        assert exc is not None
        assert (exc.kind, exc.status) == (TaskKind.PAYMENT_EXCEPTION, TaskStatus.OPEN)
        assert waiting.status is OrderStatus.IN_FULFILMENT  # the order waits; it does not end

        await _decide(h, "PR1", fid, PaymentAction.RETRY)
        result = await h.client.get_workflow_handle_for(OrderWorkflow.run, "order-PR1").result()

    assert result.status is OrderStatus.COMPLETED
    assert (result.payment.captured, result.payment.exceptions) == (TOTAL, [])
    assert result.payment.state is PaymentState.CAPTURED
    assert [o for o in _ops(db, "PR1") if o[1] == "capture"] == [
        (f"capture:{fid}", "capture", "refused", TOTAL),
        (f"capture:{fid}~retry1", "capture", "succeeded", TOTAL),
    ]
    assert "payment_exception_resolved" in [t.type for t in result.timeline]


async def test_refused_again_opens_a_new_task_and_a_write_off_ends_the_order(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        h.payments.refuse_captures(2)
        fid = await _shipped(h, "PR2")
        await until(h, "PR2", lambda v: bool(v.payment.exceptions))
        await _decide(h, "PR2", fid, PaymentAction.RETRY)
        again = await until(
            h, "PR2", lambda v: bool(v.payment.exceptions) and v.payment.exceptions[0].attempt == 1
        )
        await eventually(lambda: task(db, f"payment-exception-{fid}-1") is not None)

        await _decide(h, "PR2", fid, PaymentAction.WRITE_OFF)
        result = await h.client.get_workflow_handle_for(OrderWorkflow.run, "order-PR2").result()

    assert again.payment.exceptions[0].task_id == f"payment-exception-{fid}-1"
    assert result.status is OrderStatus.COMPLETED
    assert (result.payment.captured, result.payment.written_off) == (0, TOTAL)
    # Nothing was captured: the whole authorization is let go.
    assert result.payment.voided == TOTAL


async def test_a_reauthorization_collects_what_the_first_authorization_could_not(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        h.payments.refuse_captures(1)
        fid = await _shipped(h, "PR3")
        await until(h, "PR3", lambda v: bool(v.payment.exceptions))

        await _decide(h, "PR3", fid, PaymentAction.REAUTHORIZE)
        result = await h.client.get_workflow_handle_for(OrderWorkflow.run, "order-PR3").result()

    assert result.payment.captured == TOTAL
    ops = _ops(db, "PR3")
    assert ("reauthorize:1", "authorize", "succeeded", TOTAL) in ops
    assert (f"capture:{fid}~reauthorize1", "capture", "succeeded", TOTAL) in ops


async def test_a_capture_long_after_the_authorization_is_made_on_a_fresh_one(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    policy = OrderPolicy(authorization_valid_for_s=3600, pick_escalate_after_s=10 * 86400)
    async with running(time_env.client, db) as h:
        handle = await h.place(order("PR4"), policy)
        fid = (await until(h, "PR4", lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
        first = (await until(h, "PR4", lambda v: v.payment.authorization_id is not None)).payment

        await time_env.sleep(2 * 3600)  # the store takes its time
        await h.pick(fid, FULL)
        await h.pack(fid)
        result = await handle.result()

    assert result.payment.captured == TOTAL
    assert result.payment.authorization_id != first.authorization_id
    ops = _ops(db, "PR4")
    assert ("reauthorize:1", "authorize", "succeeded", TOTAL) in ops
    assert ("void:1", "void", "succeeded", TOTAL) in ops  # the aged one let go
    assert "payment_reauthorized" in [t.type for t in result.timeline]


def test_a_refused_capture_is_waiting_on_an_analyst() -> None:
    state = OrderState(order("W1"), datetime(2026, 12, 7, tzinfo=UTC), OrderPolicy())
    state.status = OrderStatus.IN_FULFILMENT
    state.capture_excepted("W1.F1", 100, "payment-exception-W1.F1", 0)

    assert waiting_on(state) is WaitingOn.ANALYST
