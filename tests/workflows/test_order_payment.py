"""Authorization: a declined card cancels the order and gives the stock back; a flaky
gateway is retried until it answers."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.db.tables import Order
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import CancelReason, LineState, OrderStatus, PaymentState
from tests.factories import order, seed
from tests.workflows.harness import ledger, outbox_types, position, running, until

STOCK = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3}
TOTAL = 2 * 1999 + 899


async def test_a_declined_card_cancels_the_order_and_releases_its_stock(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given stock for the order and a card the gateway declines
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        # When the order runs
        handle = await h.place(order("P1", payment_token="tok_decline"))
        result = await handle.result()

    # Then it is cancelled for the decline and shows the gateway's code
    assert result.status is OrderStatus.CANCELLED
    assert result.cancel_reason is CancelReason.PAYMENT_DECLINED
    assert result.payment.state is PaymentState.DECLINED
    assert result.payment.decline_code == "card_declined"
    assert result.payment.authorization_id is None
    assert (result.payment.authorized, result.payment.captured) == (0, 0)
    assert all(line.state is LineState.CANCELLED for line in result.lines)
    assert {line.cancel_reason for line in result.lines} == {"payment_declined"}
    assert result.fulfilments == []
    # And every unit it held is back on sale
    assert ledger(db, "P1") == [
        ("ST-OPERA", "1", 2, "released"),
        ("ST-OPERA", "2", 1, "released"),
    ]
    assert position(db, "SKU-TEE", "ST-OPERA") == (5, 0)
    assert position(db, "SKU-MUG", "ST-OPERA") == (3, 0)
    assert "order.cancelled" in outbox_types(db, "P1")
    # A decline is a business answer: the gateway is asked once, not retried.
    assert h.payments.attempts("P1:authorize") == 1
    with db.session() as s:
        row = s.get(Order, "P1")
        assert row is not None
        assert (row.status, row.cancel_reason) == ("CANCELLED", "payment_declined")


async def test_a_flaky_gateway_is_retried_and_the_order_completes(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given a gateway that times out twice before it authorizes
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        handle = await h.place(order("P2", payment_token="tok_flaky"))
        # When the retry backoff goes by
        await time_env.sleep(timedelta(seconds=10))
        view = await until(
            h,
            "P2",
            lambda v: v.fulfilments and v.fulfilments[0].status is FulfilmentStatus.AWAITING_PICK,
        )

        # Then the authorization went through on the third attempt, once
        assert view.payment.state is PaymentState.AUTHORIZED
        assert view.payment.authorized == TOTAL
        assert h.payments.attempts("P2:authorize") == 3
        fid = view.fulfilments[0].fulfilment_id
        await h.pick(
            fid,
            PickReport(
                lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
            ),
        )
        await h.pack(fid)
        result = await handle.result()

    # And the order completes with the full amount captured
    assert result.status is OrderStatus.COMPLETED
    assert result.payment.state is PaymentState.CAPTURED
    auth_id = result.payment.authorization_id
    assert auth_id is not None
    auth = h.payments.state(auth_id)
    assert (auth.amount, auth.captured, auth.voided) == (TOTAL, TOTAL, False)


async def test_free_lines_ship_and_an_order_that_costs_nothing_asks_the_gateway_nothing(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    gift = {"line_id": "2", "sku": "SKU-MUG", "quantity": 1, "unit_price": 0}
    paid = {"line_id": "1", "sku": "SKU-TEE", "quantity": 1, "unit_price": 1999}
    async with running(time_env.client, db) as h:
        # Given an order with a free gift, and an order of the free gift alone
        with_gift = await h.place(order("FREE-1", lines=[paid, gift]))
        only_gift = await h.place(order("FREE-2", lines=[{**gift, "line_id": "1"}]))
        for oid in ("FREE-1", "FREE-2"):
            view = await until(h, oid, lambda v: bool(v.fulfilments))
            fid = view.fulfilments[0].fulfilment_id
            lines = [PickedLine(line_id=line.line_id, picked=line.quantity) for line in view.lines]
            await h.pick(fid, PickReport(lines=lines))
            await h.pack(fid)
        first, second = await with_gift.result(), await only_gift.result()

    # Then both complete: the first charged for what costs something, the second never asked
    assert first.status is OrderStatus.COMPLETED
    assert (first.payment.authorized, first.payment.captured) == (1999, 1999)
    assert second.status is OrderStatus.COMPLETED
    assert second.payment.state is PaymentState.NONE
    assert second.payment.authorization_id is None
    assert "payment_not_needed" in [e.type for e in second.timeline]
    assert {line.state for line in second.lines} == {LineState.SHIPPED}
