"""Cancelling an order: accepted until something ships, and every hold is undone when it is."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment

from oms.connectors.carriers import BUSY_POSTAL_CODE
from oms.contracts.orders import CancelRequest
from oms.db.engine import Database
from oms.db.tables import Order
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import CancelReason, LineState, OrderIn, OrderStatus, OrderView, PaymentState
from oms.keys import fulfilment_workflow_id
from tests.factories import order, seed, shipped_to
from tests.workflows.harness import (
    Harness,
    eventually,
    fulfilment_rows,
    ledger,
    outbox_types,
    position,
    run_status,
    running,
    task,
    tasks_of,
    until,
)
from workflows.order import OrderWorkflow

STOCK = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3}
TOTAL = 2 * 1999 + 899
CUSTOMER_CANCEL = CancelRequest(reason=CancelReason.CUSTOMER_REQUEST, actor="storefront")


async def in_fulfilment(h: Harness, o: OrderIn) -> OrderView:
    """Place the order and return once its store can see the pick list."""
    await h.place(o)
    view = await until(
        h,
        o.id,
        lambda v: v.fulfilments and v.fulfilments[0].status is FulfilmentStatus.AWAITING_PICK,
    )
    pick_task = f"pick-{view.fulfilments[0].fulfilment_id}"
    await eventually(lambda: task(h.db, pick_task) is not None, interval=0.002)
    return view


def assert_everything_undone(
    h: Harness, db: Database, result: OrderView, order_id: str, *, pick_task: str
) -> None:
    """No stock held, the authorization voided, no open task, the fulfilment cancelled."""
    assert all(line.state is LineState.CANCELLED for line in result.lines)
    assert {status for *_, status in ledger(db, order_id)} == {"released"}
    assert position(db, "SKU-TEE", "ST-OPERA") == (5, 0)
    assert position(db, "SKU-MUG", "ST-OPERA") == (3, 0)
    assert result.payment.state is PaymentState.VOIDED
    assert (result.payment.captured, result.payment.voided) == (0, TOTAL)
    auth_id = result.payment.authorization_id
    assert auth_id is not None
    auth = h.payments.state(auth_id)
    assert (auth.voided, auth.captured) == (True, 0)
    assert [t.status for t in tasks_of(db, order_id)] == [pick_task]
    assert [f.status for f in fulfilment_rows(db, order_id)] == ["CANCELLED"]
    assert [f.status for f in result.fulfilments] == [FulfilmentStatus.CANCELLED]


async def test_a_customer_cancel_before_picking_undoes_everything(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an order waiting for a picker
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        view = await in_fulfilment(h, order("X1"))
        fid = view.fulfilments[0].fulfilment_id
        assert ledger(db, "X1") == [("ST-OPERA", "1", 2, "held"), ("ST-OPERA", "2", 1, "held")]
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, view.workflow_id)

        # When the customer cancels it
        answer = await handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL)

        # Then the cancel is accepted and the order ends cancelled, with every hold undone
        assert answer.accepted is True
        assert answer.reason is None
        result: OrderView = await handle.result()
        child = await run_status(h.client, fulfilment_workflow_id(fid))

    assert result.status is OrderStatus.CANCELLED
    assert result.cancel_reason is CancelReason.CUSTOMER_REQUEST
    assert {line.cancel_reason for line in result.lines} == {"customer_request"}
    assert_everything_undone(h, db, result, "X1", pick_task="cancelled")
    assert child.name == "CANCELED"
    assert "order.cancelled" in outbox_types(db, "X1")
    cancelled = result.timeline[-1]
    assert (cancelled.type, cancelled.actor) == ("order_cancelled", "storefront")
    with db.session() as s:
        row = s.get(Order, "X1")
        assert row is not None
        assert (row.status, row.cancel_reason) == ("CANCELLED", "customer_request")


async def test_a_customer_cancel_after_picking_returns_the_picked_units(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an order whose units are picked but not packed
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        view = await in_fulfilment(h, order("X2"))
        fid = view.fulfilments[0].fulfilment_id
        await h.pick(
            fid,
            PickReport(
                lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
            ),
        )
        await eventually(lambda: [f.status for f in fulfilment_rows(db, "X2")] == ["PICKED"])
        assert {status for *_, status in ledger(db, "X2")} == {"committed"}
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, view.workflow_id)

        # When the customer cancels it
        answer = await handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL)
        result: OrderView = await handle.result()

    # Then the picked units go back on sale and nothing is charged
    assert answer.accepted is True
    assert result.status is OrderStatus.CANCELLED
    assert result.cancel_reason is CancelReason.CUSTOMER_REQUEST
    # (the pick task was completed by the picker before the cancel)
    assert_everything_undone(h, db, result, "X2", pick_task="completed")


async def test_a_cancel_after_part_of_the_order_shipped_is_refused(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an order split over two locations, one of which has shipped its part
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "WH-PARIS"): 3})
    async with running(time_env.client, db) as h:
        handle = await h.place(order("X3"))
        view = await until(
            h,
            "X3",
            lambda v: (
                len(v.fulfilments) == 2
                and all(f.status is FulfilmentStatus.AWAITING_PICK for f in v.fulfilments)
            ),
        )
        by_location = {f.location_id: f.fulfilment_id for f in view.fulfilments}
        tees, mugs = by_location["ST-OPERA"], by_location["WH-PARIS"]
        await eventually(lambda: len(tasks_of(db, "X3")) == 2)  # both stores see their lists
        await h.pick(tees, PickReport(lines=[PickedLine(line_id="1", picked=2)]))
        await h.pack(tees)
        await until(
            h,
            "X3",
            lambda v: (
                any(f.status is FulfilmentStatus.SHIPPED for f in v.fulfilments)
                and v.payment.captured > 0
            ),
        )

        # When the customer asks to cancel
        answer = await handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL)

        # Then the cancel is refused with a reason, and nothing is undone
        assert answer.accepted is False
        assert answer.status is OrderStatus.IN_FULFILMENT
        assert answer.reason == "part of the order has already shipped or been collected"
        view = await h.view("X3")
        assert view.status is OrderStatus.IN_FULFILMENT
        assert view.cancel_reason is None
        assert "cancel_accepted" not in [t.type for t in view.timeline]
        assert ("WH-PARIS", "2", 1, "held") in ledger(db, "X3")
        assert position(db, "SKU-MUG", "WH-PARIS") == (3, 1)
        auth_id = view.payment.authorization_id
        assert auth_id is not None
        assert h.payments.state(auth_id).voided is False
        pick_task = task(db, f"pick-{mugs}")
        assert pick_task is not None
        assert pick_task.status == "open"
        assert (await h.fulfilment_view(mugs)).status is FulfilmentStatus.AWAITING_PICK

        # And the rest of the order can still be fulfilled
        await h.pick(mugs, PickReport(lines=[PickedLine(line_id="2", picked=1)]))
        await h.pack(mugs)
        result: OrderView = await handle.result()

    assert result.status is OrderStatus.COMPLETED
    assert result.payment.captured == TOTAL
    assert h.payments.state(auth_id).voided is False


def risky(order_id: str) -> OrderIn:
    """A new customer buying a phone: held for a fraud review."""
    return order(
        order_id,
        customer={"id": f"C-{order_id}", "email": "new@example.com", "tier": "new"},
        lines=[{"line_id": "1", "sku": "SKU-PHONE", "quantity": 1, "unit_price": 89900}],
    )


async def test_a_cancel_once_the_parcel_is_packed_for_a_busy_carrier_is_refused(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an order packed at its store while the carrier does not answer yet
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        handle = await h.place(order("X9", delivery=shipped_to(BUSY_POSTAL_CODE)))
        view = await until(h, "X9", lambda v: bool(v.fulfilments))
        fid = view.fulfilments[0].fulfilment_id
        await h.pick(
            fid,
            PickReport(
                lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
            ),
        )
        await h.pack(fid)
        assert [f.status for f in fulfilment_rows(db, "X9")] == ["PACKED"]

        # When the customer asks to cancel while the booking is retried
        answer = await handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL)
        result = await handle.result()

    # Then the cancel is refused: the parcel goes, and is paid for
    assert answer.accepted is False
    assert answer.reason == "part of the order is packed and being handed to the carrier"
    assert result.status is OrderStatus.COMPLETED
    assert result.payment.captured == TOTAL


async def test_a_customer_cancel_while_awaiting_review_closes_the_review(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an order held for a fraud review
    seed(db, {("SKU-PHONE", "ST-OPERA"): 3})
    async with running(time_env.client, db) as h:
        handle = await h.place(risky("X7"))
        await until(h, "X7", lambda v: v.status is OrderStatus.AWAITING_REVIEW)

        # When the customer cancels it
        answer = await handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL)
        result: OrderView = await handle.result()

    # Then it ends cancelled, and the analyst's task leaves their queue
    assert (answer.accepted, answer.status) == (True, OrderStatus.AWAITING_REVIEW)
    assert (result.status, result.cancel_reason) == (
        OrderStatus.CANCELLED,
        CancelReason.CUSTOMER_REQUEST,
    )
    review = task(db, "fraud-review-X7")
    assert review is not None
    assert review.status == "cancelled"
    assert ledger(db, "X7") == []
    assert result.payment.state is PaymentState.NONE


async def test_cancelling_the_workflow_while_awaiting_review_closes_the_review(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an order held for a fraud review
    seed(db, {("SKU-PHONE", "ST-OPERA"): 3})
    async with running(time_env.client, db) as h:
        handle = await h.place(risky("X4"))
        await until(h, "X4", lambda v: v.status is OrderStatus.AWAITING_REVIEW)

        # When an operator cancels the workflow itself through Temporal
        await handle.cancel()

        # Then the workflow ends cancelled
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()

    assert isinstance(failure.value.cause, CancelledError)
    # And its compensations still ran: the review task is closed and the read model says so
    review = task(db, "fraud-review-X4")
    assert review is not None
    assert review.status == "cancelled"
    assert ledger(db, "X4") == []
    assert "order.cancelled" in outbox_types(db, "X4")
    with db.session() as s:
        row = s.get(Order, "X4")
        assert row is not None
        assert (row.status, row.cancel_reason) == ("CANCELLED", "workflow_cancelled")


async def test_cancelling_the_workflow_during_fulfilment_undoes_everything(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an order waiting for a picker
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        view = await in_fulfilment(h, order("X5"))
        fid = view.fulfilments[0].fulfilment_id
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, view.workflow_id)

        # When an operator cancels the workflow itself through Temporal
        # (in real time: a skip while the child's cancel is in flight would jump to the
        # run's timeout)
        with time_env.auto_time_skipping_disabled():
            await handle.cancel()
            with pytest.raises(WorkflowFailureError) as failure:
                await handle.result()
        child = await run_status(h.client, fulfilment_workflow_id(fid))

    # Then it ends cancelled, and stock, payment, pick task and fulfilment are all undone
    assert isinstance(failure.value.cause, CancelledError)
    assert child.name == "CANCELED"
    assert {status for *_, status in ledger(db, "X5")} == {"released"}
    assert position(db, "SKU-TEE", "ST-OPERA") == (5, 0)
    assert position(db, "SKU-MUG", "ST-OPERA") == (3, 0)
    auth_id = view.payment.authorization_id
    assert auth_id is not None
    assert (h.payments.state(auth_id).voided, h.payments.state(auth_id).captured) == (True, 0)
    assert [t.status for t in tasks_of(db, "X5")] == ["cancelled"]
    assert [f.status for f in fulfilment_rows(db, "X5")] == ["CANCELLED"]
    with db.session() as s:
        row = s.get(Order, "X5")
        assert row is not None
        assert (row.status, row.cancel_reason) == ("CANCELLED", "workflow_cancelled")


async def test_orders_cancelled_as_soon_as_their_pick_lists_appear_never_get_stuck(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given orders cancelled the moment their pick lists appear, while each fulfilment may
    # still be telling its order about it (a cancel that lands then must not be lost)
    seed(db, {("SKU-TEE", "ST-OPERA"): 100, ("SKU-MUG", "ST-OPERA"): 100})
    order_ids = [f"X6-{i}" for i in range(8)]

    async def cancel_early(h: Harness, order_id: str) -> OrderView:
        customer = {"id": f"C-{order_id}", "email": "bob@example.com"}  # no velocity rule
        view = await in_fulfilment(h, order(order_id, customer=customer))
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, view.workflow_id)
        answer = await handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL)
        assert answer.accepted is True
        return await handle.result()

    async with running(time_env.client, db) as h:
        # When they are all cancelled
        results = await asyncio.gather(*(cancel_early(h, order_id) for order_id in order_ids))

    # Then every one ends cancelled, with its stock back on sale and its fulfilment ended
    assert {(r.status, r.cancel_reason) for r in results} == {
        (OrderStatus.CANCELLED, CancelReason.CUSTOMER_REQUEST)
    }
    assert {f.status for r in results for f in r.fulfilments} == {FulfilmentStatus.CANCELLED}
    assert position(db, "SKU-TEE", "ST-OPERA") == (100, 0)
    assert position(db, "SKU-MUG", "ST-OPERA") == (100, 0)
    for order_id in order_ids:
        assert [t.status for t in tasks_of(db, order_id)] == ["cancelled"]
