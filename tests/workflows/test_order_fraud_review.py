"""Orders the fraud rules hold for an analyst, reject outright, or that nobody decides in time."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from oms.db import tasks as task_repo
from oms.db.engine import Database
from oms.db.tables import Order
from oms.domain.fraud import FraudReviewDecision
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import (
    CancelReason,
    LineState,
    OrderIn,
    OrderPolicy,
    OrderStatus,
    PaymentState,
)
from tests.factories import order, seed
from tests.workflows.harness import (
    eventually,
    ledger,
    outbox_types,
    position,
    running,
    task,
    tasks_of,
    until,
)
from workflows.order import OrderWorkflow

PHONE = 89900


def phone_order(order_id: str, phones: int = 1) -> OrderIn:
    """A new customer with no history buying phones: 45 points (review), 90 with six."""
    return order(
        order_id,
        customer={"id": f"C-{order_id}", "email": "new@example.com", "tier": "new"},
        lines=[{"line_id": "1", "sku": "SKU-PHONE", "quantity": phones, "unit_price": PHONE}],
    )


async def test_an_approved_review_lets_the_order_through_to_completion(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given a risky order and phones in stock
    seed(db, {("SKU-PHONE", "ST-OPERA"): 3})
    async with running(time_env.client, db) as h:
        handle = await h.place(phone_order("R1"))

        # Then it waits for an analyst, with a task in their queue
        view = await until(h, "R1", lambda v: v.status is OrderStatus.AWAITING_REVIEW)
        assert view.fraud is not None
        assert (view.fraud.score, view.fraud.decision) == (45, "review")
        review = task(db, "fraud-review-R1")
        assert review is not None
        assert (review.kind, review.status, review.escalated) == ("fraud_review", "open", False)
        assert review.payload["score"] == 45
        await eventually(lambda: "fraud_review.requested" in outbox_types(db, "R1"))
        # Nothing is held while the order waits.
        assert ledger(db, "R1") == []

        # When the analyst approves it (as the API does: decide the task, then signal)
        with db.session() as s:
            assert task_repo.complete(
                s, "fraud-review-R1", outcome={"decision": "approve"}, actor="analyst-1"
            )
        await handle.signal(
            OrderWorkflow.fraud_decision,
            FraudReviewDecision(decision="approve", reason="known customer", actor="analyst-1"),
        )

        # Then it is sourced, fulfilled and completed
        view = await until(
            h,
            "R1",
            lambda v: v.fulfilments and v.fulfilments[0].status is FulfilmentStatus.AWAITING_PICK,
        )
        fid = view.fulfilments[0].fulfilment_id
        await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
        await h.pack(fid)
        result = await handle.result()

    assert result.status is OrderStatus.COMPLETED
    assert result.fraud is not None
    assert result.fraud.review_decision == "approve"
    assert result.fraud.reviewed_by == "analyst-1"
    assert result.fraud.review_reason == "known customer"
    assert result.lines[0].state is LineState.SHIPPED
    assert result.payment.state is PaymentState.CAPTURED
    assert result.payment.captured == PHONE
    types = [t.type for t in result.timeline]
    assert types.index("fraud_review_requested") < types.index("fraud_review_decided")
    assert types.index("fraud_review_decided") < types.index("sourcing_started")
    # The analyst's decision stays on the task: nothing expires or cancels it afterwards.
    review = task(db, "fraud-review-R1")
    assert review is not None
    assert (review.status, review.completed_by) == ("completed", "analyst-1")
    assert position(db, "SKU-PHONE", "ST-OPERA") == (2, 0)
    with db.session() as s:
        row = s.get(Order, "R1")
        assert row is not None
        assert (row.status, row.fraud_score, row.fraud_decision) == ("COMPLETED", 45, "approve")


async def test_a_rejected_review_cancels_the_order_without_touching_stock(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given a risky order waiting for review
    seed(db, {("SKU-PHONE", "ST-OPERA"): 3})
    async with running(time_env.client, db) as h:
        handle = await h.place(phone_order("R2"))
        await until(h, "R2", lambda v: v.status is OrderStatus.AWAITING_REVIEW)

        # When the analyst rejects it
        await handle.signal(
            OrderWorkflow.fraud_decision,
            FraudReviewDecision(decision="reject", reason="stolen card", actor="analyst-1"),
        )
        result = await handle.result()

    # Then it is cancelled for fraud; sourcing never ran and the task is closed
    assert result.status is OrderStatus.CANCELLED
    assert result.cancel_reason is CancelReason.FRAUD_REJECTED
    assert result.fraud is not None
    assert (result.fraud.review_decision, result.fraud.reviewed_by) == ("reject", "analyst-1")
    assert result.lines[0].state is LineState.CANCELLED
    assert result.lines[0].cancel_reason == "fraud_rejected"
    assert result.payment.state is PaymentState.NONE
    assert "sourcing_started" not in [t.type for t in result.timeline]
    assert ledger(db, "R2") == []
    assert position(db, "SKU-PHONE", "ST-OPERA") == (3, 0)
    review = task(db, "fraud-review-R2")
    assert review is not None
    assert review.status == "cancelled"
    assert "order.cancelled" in outbox_types(db, "R2")
    with db.session() as s:
        row = s.get(Order, "R2")
        assert row is not None
        assert (row.status, row.cancel_reason) == ("CANCELLED", "fraud_rejected")


async def test_a_review_nobody_decides_is_escalated_then_cancelled(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given a risky order whose review escalates after an hour and expires after two
    seed(db, {("SKU-PHONE", "ST-OPERA"): 3})
    policy = OrderPolicy(review_escalate_after_s=3600, review_timeout_after_s=7200)
    async with running(time_env.client, db) as h:
        handle = await h.place(phone_order("R3"), policy)
        await until(h, "R3", lambda v: v.status is OrderStatus.AWAITING_REVIEW)

        # When almost an hour goes by, nothing happens yet
        await time_env.sleep(timedelta(minutes=59))
        review = task(db, "fraud-review-R3")
        assert review is not None
        assert (review.status, review.escalated) == ("open", False)

        # When the hour has passed without a decision
        await time_env.sleep(timedelta(minutes=2))

        # Then the task is escalated and the order is still waiting
        view = await until(
            h, "R3", lambda v: "fraud_review_escalated" in [t.type for t in v.timeline]
        )
        assert view.status is OrderStatus.AWAITING_REVIEW
        review = task(db, "fraud-review-R3")
        assert review is not None
        assert (review.status, review.escalated) == ("open", True)
        await eventually(lambda: "fraud_review.escalated" in outbox_types(db, "R3"))

        # When the second deadline passes too
        result = await handle.result()

    # Then the order is cancelled for the timeout and the task has expired
    assert result.status is OrderStatus.CANCELLED
    assert result.cancel_reason is CancelReason.REVIEW_TIMEOUT
    assert result.lines[0].state is LineState.CANCELLED
    review = task(db, "fraud-review-R3")
    assert review is not None
    assert (review.status, review.escalated) == ("expired", True)
    assert ledger(db, "R3") == []
    # The escalation alerts staff twice: the review's own event and every task's alert.
    assert outbox_types(db, "R3") == [
        "fraud_review.escalated",
        "fraud_review.requested",
        "order.cancelled",
        "task.escalated",
    ]
    # Two hours of workflow time separate the request and the cancellation.
    types = [t.type for t in result.timeline]
    requested = result.timeline[types.index("fraud_review_requested")].at
    cancelled = result.timeline[types.index("order_cancelled")].at
    assert cancelled - requested >= timedelta(hours=2)


async def test_a_high_risk_order_is_rejected_without_a_review(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given a new customer ordering six phones (over 5 000 EUR): 90 points
    seed(db, {("SKU-PHONE", "ST-OPERA"): 10})
    async with running(time_env.client, db) as h:
        # When the order runs
        handle = await h.place(phone_order("R4", phones=6))
        result = await handle.result()

    # Then it is cancelled by the rules, with no task for anyone
    assert result.status is OrderStatus.CANCELLED
    assert result.cancel_reason is CancelReason.FRAUD_REJECTED
    assert result.fraud is not None
    assert (result.fraud.score, result.fraud.decision) == (90, "reject")
    assert result.fraud.review_decision is None
    assert tasks_of(db, "R4") == []
    assert ledger(db, "R4") == []
    assert position(db, "SKU-PHONE", "ST-OPERA") == (10, 0)
    assert outbox_types(db, "R4") == ["order.cancelled"]
    cancelled = result.timeline[-1]
    assert (cancelled.type, cancelled.actor) == ("order_cancelled", "fraud_rules")
