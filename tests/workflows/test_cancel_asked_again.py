"""A cancel asked again while the order is being cancelled (a client's retry after a timeout):
answered as the accepted cancel was when it asks the same cancellation, refused naming the
cancellation under way when it asks another (workflows/order_cancel.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import CancelRequest
from oms.db.engine import Database
from oms.domain.order import CancelReason, OrderPolicy, OrderState, OrderStatus, PaymentState
from tests.factories import order, seed
from tests.workflows.gateways import SlowToVoid
from tests.workflows.harness import running
from tests.workflows.test_order_cancellation import CUSTOMER_CANCEL, STOCK, in_fulfilment
from workflows.order import OrderWorkflow
from workflows.order_cancel import CancelUpdate

CHANGED_MIND = CancelRequest(reason=CancelReason.OTHER, code="changed_mind", actor="storefront")


async def test_a_cancel_asked_again_while_the_order_is_being_cancelled_answers_as_the_first(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    gateway = SlowToVoid()  # the compensation waits for the gateway's void
    async with running(time_env.client, db, gateway) as h:
        await in_fulfilment(h, order("CA1"))
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-CA1")
        first = await handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL)
        assert (first.accepted, first.status) == (True, OrderStatus.IN_FULFILMENT)
        for _ in range(400):  # until the void is retried: the order is being cancelled
            if gateway.calls >= 2:
                break
            await asyncio.sleep(0.05)

        # When the storefront, whose first answer timed out, asks the same again
        again = await handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL)
        # and someone asks another cancellation
        other = await handle.execute_update(OrderWorkflow.cancel, CHANGED_MIND)
        gateway.answer.set()
        done = await handle.result()

    # Then the retry is accepted as the first was (the order as it is now), not refused
    assert (again.accepted, again.status, again.reason) == (True, OrderStatus.IN_FULFILMENT, None)
    # and the other is refused, naming the cancellation under way
    assert not other.accepted
    assert other.reason == "order is already being cancelled (customer_request)"
    assert done.status is OrderStatus.CANCELLED
    assert done.cancel_reason is CancelReason.CUSTOMER_REQUEST
    assert done.payment.state is PaymentState.VOIDED
    # One cancellation: the retry added nothing to the order's story
    assert [e.type for e in done.timeline].count("cancel_accepted") == 1


def test_a_cancel_while_the_oms_cancels_the_order_itself_is_refused_with_its_reason() -> None:
    # The OMS's own cancellation (here: nothing could ship) leaves no window a test can hold
    # open from outside (its compensation is local activities only): the answer, alone.
    run = CancelUpdate()
    run.state = OrderState(order("CA2"), datetime.now(UTC), OrderPolicy())
    run._compensating, run._cancelling_for = True, CancelReason.OUT_OF_STOCK

    late = run._asked_again(CUSTOMER_CANCEL)

    assert not late.accepted
    assert late.reason == "order is already being cancelled (out_of_stock)"
