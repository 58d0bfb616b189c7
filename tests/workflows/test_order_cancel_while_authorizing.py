"""A cancel that arrives while the gateway is authorizing: the run waits for the gateway's
answer and voids what it authorized, instead of abandoning a call that could still hold the
customer's funds with nothing left to release them (issue 10)."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import CancelRequest
from oms.db.engine import Database
from oms.db.tables import Order
from oms.domain.order import CancelReason, OrderStatus, PaymentState
from oms.gateway_keys import authorize_key
from tests.factories import order, seed
from tests.workflows.gateways import SlowToAuthorize
from tests.workflows.harness import eventually, ledger, position, running
from workflows.order import OrderWorkflow

STOCK = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3}


def assert_voided_and_released(gateway: SlowToAuthorize, db: Database, order_id: str) -> None:
    auth_id = next(
        t.authorization_id
        for t in gateway.transactions()
        if t.idempotency_key == authorize_key(order_id)
    )
    state = gateway.state(auth_id)
    assert (state.voided, state.captured) == (True, 0)
    assert {status for *_, status in ledger(db, order_id)} == {"released"}
    assert position(db, "SKU-TEE", "ST-OPERA") == (5, 0)


async def test_a_customer_cancel_during_the_authorization_voids_what_it_authorized(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    gateway = SlowToAuthorize()
    async with running(time_env.client, db, payments=gateway) as h:
        handle = await h.place(order("CA1"))
        # The authorization is in flight at the gateway
        await eventually(lambda: gateway.calls == 2)

        # When the customer cancels, then the gateway answers that it authorized
        result = await handle.execute_update(
            OrderWorkflow.cancel, CancelRequest(reason=CancelReason.CUSTOMER_REQUEST)
        )
        gateway.answer.set()
        view = await handle.result()

    # Then the order is cancelled for the customer's reason, and the authorization voided
    assert result.accepted
    assert (view.status, view.cancel_reason) == (
        OrderStatus.CANCELLED,
        CancelReason.CUSTOMER_REQUEST,
    )
    assert view.payment.state is PaymentState.VOIDED
    assert_voided_and_released(gateway, db, "CA1")


async def test_cancelling_the_run_during_the_authorization_voids_what_it_authorized(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    gateway = SlowToAuthorize()
    async with running(time_env.client, db, payments=gateway) as h:
        handle = await h.place(order("CA2"))
        await eventually(lambda: gateway.calls == 2)

        # When an operator cancels the run through Temporal, then the gateway answers
        await handle.cancel()
        await asyncio.sleep(0.2)  # the cancel reaches the run before the gateway answers
        gateway.answer.set()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()

    assert isinstance(failure.value.cause, CancelledError)
    assert_voided_and_released(gateway, db, "CA2")
    with db.session() as s:
        row = s.get(Order, "CA2")
        assert row is not None
        assert (row.status, row.cancel_reason) == ("CANCELLED", "workflow_cancelled")
