"""Edits while a held order waits for stock (``AWAITING_STOCK``, for up to
``OMS_STOCK_WAIT_AT_MOST``): the units that wait can be cancelled, and the order goes ahead at
once when none is left to wait for; a new address is taken; what would touch the units already
placed and held says why it must wait (``awaiting_stock``), instead of "try again in a moment"."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import CancelRequest
from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.fulfilment_profiles import Service
from oms.domain.order import CancelReason, LineState, OrderStatus, PaymentState
from oms.domain.order.edits import DeliveryChange, LineCancel, ServiceAdd
from tests.factories import order, seed
from tests.workflows.harness import Harness, outbox_types, position, running, until
from tests.workflows.test_order_edits import LYON
from tests.workflows.test_order_waits_for_stock import POLICY, full_pick, publish_profile
from workflows.order import OrderWorkflow

TEE, MUG = 1999, 899


def _cancel(line_id: str, quantity: int | None = None) -> LineCancel:
    return LineCancel(line_id=line_id, quantity=quantity, code="customer_request", actor="cs")


async def _held(h: Harness, order_id: str) -> None:
    """Placed and held: the tees reserved at the Opéra store, the mug waiting for stock."""
    await h.place(order(order_id), POLICY)
    await until(h, order_id, lambda v: v.status is OrderStatus.AWAITING_STOCK)


async def _ship_all(h: Harness, order_id: str, count: int = 1) -> None:
    view = await until(
        h,
        order_id,
        lambda v: (
            len(v.fulfilments) == count
            and all(f.status is FulfilmentStatus.AWAITING_PICK for f in v.fulfilments)
        ),
    )
    for f in view.fulfilments:
        await h.pick(f.fulfilment_id, full_pick(await h.fulfilment_view(f.fulfilment_id)))
        await h.pack(f.fulfilment_id)


async def test_the_line_waiting_for_stock_is_cancelled_and_the_rest_goes_ahead_at_once(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})  # no mug anywhere
    publish_profile(db, "hold")
    async with running(time_env.client, db) as h:
        await _held(h, "AW1")
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-AW1")

        # When the customer gives up on the mug while the order waits for it
        result = await handle.execute_update(OrderWorkflow.cancel_line, _cancel("2"))

        # Then the edit is accepted, and the tees go ahead without waiting for the next try
        # (no time passes in this test: the next try is an hour away)
        assert (result.accepted, result.cancelled) == (True, 1)
        view = await until(h, "AW1", lambda v: v.status is OrderStatus.IN_FULFILMENT)
        assert view.payment.authorized == 2 * TEE
        await _ship_all(h, "AW1")
        done = await handle.result()

    assert done.status is OrderStatus.COMPLETED
    assert done.payment.captured == 2 * TEE
    states = {line.line_id: (line.state, line.cancel_reason) for line in done.lines}
    assert states == {
        "1": (LineState.SHIPPED, None),
        "2": (LineState.CANCELLED, CancelReason.CUSTOMER_REQUEST),
    }
    # No try was needed: the order did not wait for the timer of the next one
    assert [e.detail["step"] for e in done.timeline if e.type == "sourced"] == ["initial"]
    assert "stock_wait_over" not in [e.type for e in done.timeline]
    assert "order.line_cancelled" in outbox_types(db, "AW1")


async def test_units_held_for_a_waiting_order_are_refused_with_the_reason(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    publish_profile(db, "hold")
    async with running(time_env.client, db) as h:
        await _held(h, "AW2")
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-AW2")

        # When customer service tries to cancel a placed tee, or to add a service
        refusals = []
        for update, req in (
            (OrderWorkflow.cancel_line, _cancel("1", 1)),
            (OrderWorkflow.add_service, ServiceAdd(line_id="2", service=Service.GIFT_WRAP)),
        ):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(update, req)  # type: ignore[arg-type]
            refusals.append(refused.value.cause)

        # Then each is refused for what it is: the order waits for stock and holds its tees
        for cause in refusals:
            assert isinstance(cause, ApplicationError)
            assert cause.type == "awaiting_stock"
            assert "once its fulfilments start" in cause.message
        assert "1 placed unit(s) of line 1" in refusals[0].message
        view = await h.view("AW2")
        assert view.status is OrderStatus.AWAITING_STOCK
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 2)  # still held
        await handle.execute_update(
            OrderWorkflow.cancel, CancelRequest(reason=CancelReason.CUSTOMER_REQUEST)
        )
        done = await handle.result()

    assert done.status is OrderStatus.CANCELLED


async def test_a_waiting_order_takes_a_new_address_and_ships_there(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    publish_profile(db, "hold")
    async with running(time_env.client, db) as h:
        await _held(h, "AW3")
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-AW3")

        result = await handle.execute_update(
            OrderWorkflow.change_delivery, DeliveryChange(address=LYON)
        )

        assert result.accepted
        assert (await h.view("AW3")).status is OrderStatus.AWAITING_STOCK
        # The mug is given up on: the tees go ahead, to the new address
        await handle.execute_update(OrderWorkflow.cancel_line, _cancel("2"))
        await _ship_all(h, "AW3")
        done = await handle.result()
        view = await h.fulfilment_view(done.fulfilments[0].fulfilment_id)

    assert done.status is OrderStatus.COMPLETED
    assert done.payment.state is PaymentState.CAPTURED
    assert h.carrier.destination(view.tracking_number or "") == LYON
