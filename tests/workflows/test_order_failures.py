"""What happens when something other than the customer goes wrong: the analyst answers
early, the carrier refuses the address, the gateway refuses a capture."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from oms.connectors.carriers import BUSY_POSTAL_CODE
from oms.contracts.orders import OrderWorkflowInput
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.domain.fraud import FraudReviewDecision
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import CancelReason, OrderIn, OrderPolicy, OrderStatus, PaymentState
from oms.domain.order.payment_recovery import PaymentAction, PaymentResolution
from oms.keys import order_workflow_id
from tests.factories import PARIS, order, seed, shipped_to
from tests.workflows.gateways import RefusesCaptures
from tests.workflows.harness import (
    fulfilment_rows,
    ledger,
    position,
    running,
    tasks_of,
    until,
)
from workflows.order import OrderWorkflow

FULL = PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)])


def risky_order(order_id: str) -> OrderIn:
    return order(
        order_id,
        customer={"id": f"C-{order_id}", "email": "n@example.com", "tier": "new"},
        lines=[{"line_id": "1", "sku": "SKU-PHONE", "quantity": 1, "unit_price": 89900}],
    )


async def test_an_analyst_decision_that_arrives_before_the_review_is_recorded_is_kept(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-PHONE", "ST-OPERA"): 3})
    async with running(time_env.client, db) as h:
        o = risky_order("EARLY-1")
        with db.session() as s:
            order_repo.insert_order(s, o, received_at=datetime.now(UTC))
        # Signal-with-start: the decision is there before the run has even scored the order.
        handle = await time_env.client.start_workflow(
            OrderWorkflow.run,
            OrderWorkflowInput(order=o, received_at=datetime.now(UTC), policy=OrderPolicy()),
            id=order_workflow_id(o.id),
            task_queue=h.task_queue,
            start_signal="fraud_decision",
            start_signal_args=[
                FraudReviewDecision(decision="approve", reason="known customer", actor="a1")
            ],
        )
        view = await until(
            h,
            o.id,
            lambda v: v.fulfilments and v.fulfilments[0].status is FulfilmentStatus.AWAITING_PICK,
        )
        fid = view.fulfilments[0].fulfilment_id
        await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
        await h.pack(fid)
        result = await handle.result()

    assert result.status is OrderStatus.COMPLETED
    assert result.fraud is not None
    assert result.fraud.decision == "review"
    assert result.fraud.review_decision == "approve"


async def test_a_carrier_refusing_the_address_rejects_that_shipment_not_the_whole_order(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    undeliverable = {
        "method": "ship",
        "address": {
            "name": "A",
            "line1": "1 rue",
            "city": "Paris",
            "postal_code": "00000",
            "country": "FR",
            **PARIS,
        },
    }
    async with running(time_env.client, db) as h:
        handle = await h.place(order("CARRIER-1", delivery=undeliverable))
        view = await until(h, "CARRIER-1", lambda v: v.fulfilments)
        fid = view.fulfilments[0].fulfilment_id
        await until(
            h, "CARRIER-1", lambda v: v.fulfilments[0].status is FulfilmentStatus.AWAITING_PICK
        )
        await h.pick(fid, FULL)
        await h.pack(fid)
        result = await handle.result()  # completes: it does not fail

    assert result.status is OrderStatus.CANCELLED
    assert result.cancel_reason is CancelReason.OUT_OF_STOCK
    assert [f.status for f in result.fulfilments] == [FulfilmentStatus.REJECTED]
    assert result.payment.state is PaymentState.VOIDED
    assert position(db, "SKU-TEE", "ST-OPERA") == (5, 0)
    assert "fulfilment_failed" in [e.type for e in result.timeline]


async def test_a_refused_capture_keeps_the_shipped_order_and_opens_a_payment_exception(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    async with running(time_env.client, db, payments=RefusesCaptures()) as h:
        handle = await h.place(order("CAPTURE-1"))
        view = await until(
            h,
            "CAPTURE-1",
            lambda v: v.fulfilments and v.fulfilments[0].status is FulfilmentStatus.AWAITING_PICK,
        )
        fid = view.fulfilments[0].fulfilment_id
        await h.pick(fid, FULL)
        await h.pack(fid)
        # The order does not end on it: it waits for customer service's decision
        waiting = await until(h, "CAPTURE-1", lambda v: bool(v.payment.exceptions))
        kinds = {(t.kind, t.status) for t in tasks_of(db, "CAPTURE-1")}
        await handle.execute_update(
            OrderWorkflow.resolve_payment,
            PaymentResolution(
                fulfilment_id=fid, action=PaymentAction.WRITE_OFF, reason="lost", actor="cs"
            ),
        )
        result = await handle.result()

    assert waiting.status is OrderStatus.IN_FULFILMENT
    assert waiting.payment.capture_failures == [fid]
    assert ("payment_exception", "open") in kinds
    assert result.status is OrderStatus.COMPLETED
    assert result.payment.captured == 0
    assert result.payment.written_off == 2 * 1999 + 899
    # The goods left: their stock is consumed, never put back.
    assert position(db, "SKU-TEE", "ST-OPERA") == (3, 0)
    assert {status for *_, status in ledger(db, "CAPTURE-1")} == {"consumed"}


async def test_a_gateway_and_a_carrier_down_for_a_while_are_waited_for_in_plain_sight(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    busy = shipped_to(BUSY_POSTAL_CODE)
    async with running(time_env.client, db) as h:
        # Given a gateway and a carrier that each fail their first two tries
        handle = await h.place(order("BUSY-1", payment_token="tok_flaky", delivery=busy))
        view = await until(h, "BUSY-1", lambda v: v.fulfilments)
        fid = view.fulfilments[0].fulfilment_id
        await h.pick(fid, FULL)
        await h.pack(fid)
        result = await handle.result()
        order_history = await handle.fetch_history()
        child_history = await h.fulfilment(fid).fetch_history()

    # Then the order completes, having said what it waited on while it retried
    assert result.status is OrderStatus.COMPLETED
    assert result.fulfilments[0].tracking_number
    with db.session() as s:
        recorded = [e.status for e in order_repo.events_for(s, "BUSY-1") if e.status]
    assert OrderStatus.AUTHORIZING_PAYMENT in recorded
    # and each retried call is a regular activity, after one local attempt
    assert scheduled(order_history) == ["authorize_payment"]
    assert scheduled(child_history) == ["book_shipment"]
    assert [row.status for row in fulfilment_rows(db, "BUSY-1")] == ["SHIPPED"]


def scheduled(history: WorkflowHistory) -> list[str]:
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
