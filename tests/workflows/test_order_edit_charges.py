"""An order edit on an order with a shipping charge: the authorization comes down to what is
left with the shipping still in it, so the capture of the rest goes through (it failed with
``capture_exceeds_authorization`` when the lower amount counted the goods only)."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from oms.db import payments
from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import OrderStatus, PaymentState
from oms.domain.order.edits import LineCancel
from tests.factories import order, seed
from tests.workflows.gateways import VoidsWholeOnly
from tests.workflows.harness import Harness, running, until, until_fulfilment
from workflows.order import OrderWorkflow

TEE, MUG, SHIPPING = 1999, 899, 500
STOCK = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3}
REST = PickReport(lines=[PickedLine(line_id="1", picked=1), PickedLine(line_id="2", picked=1)])


def _ops(db: Database, order_id: str) -> list[tuple[str, str, int]]:
    with db.reading() as s:
        return [(e.operation, e.outcome, e.amount) for e in payments.entries(s, order_id=order_id)]


async def _one_tee_cancelled_then_shipped(h: Harness, order_id: str) -> None:
    await h.place(order(order_id, shipping={"amount": SHIPPING}))
    view = await until(
        h,
        order_id,
        lambda v: bool(v.fulfilments) and v.payment.state is PaymentState.AUTHORIZED,
    )
    assert view.payment.authorized == 2 * TEE + MUG + SHIPPING
    fid = view.fulfilments[0].fulfilment_id
    await until_fulfilment(h, fid, lambda v: v.status is FulfilmentStatus.AWAITING_PICK)
    handle = h.client.get_workflow_handle_for(OrderWorkflow.run, f"order-{order_id}")

    # When customer service takes one tee shirt off the order before its pick
    cancel = LineCancel(line_id="1", quantity=1, code="customer_request", actor="cs")
    result = await handle.execute_update(OrderWorkflow.cancel_line, cancel)
    assert result.accepted

    # Then the authorization still covers the shipping
    await until(h, order_id, lambda v: v.payment.authorized == TEE + MUG + SHIPPING)
    # And the rest ships and is captured in full, the shipping with it
    await h.pick(fid, REST)
    await h.pack(fid)
    done = await handle.result()
    assert done.status is OrderStatus.COMPLETED
    assert done.payment.captured == TEE + MUG + SHIPPING
    assert done.payment.exceptions == []
    assert done.payment.capture_failures == []


async def test_a_partial_void_leaves_the_shipping_authorized(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        await _one_tee_cancelled_then_shipped(h, "EC1")
    assert _ops(db, "EC1") == [
        ("authorize", "succeeded", 2 * TEE + MUG + SHIPPING),
        ("partial_void", "succeeded", TEE),
        ("capture", "succeeded", TEE + MUG + SHIPPING),
    ]


async def test_a_fresh_authorization_after_an_edit_covers_the_shipping(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db, VoidsWholeOnly()) as h:
        await _one_tee_cancelled_then_shipped(h, "EC2")
    assert _ops(db, "EC2") == [
        ("authorize", "succeeded", 2 * TEE + MUG + SHIPPING),
        ("authorize", "succeeded", TEE + MUG + SHIPPING),
        ("void", "succeeded", 2 * TEE + MUG + SHIPPING),
        ("capture", "succeeded", TEE + MUG + SHIPPING),
    ]
