"""An order nobody has stock for is cancelled before any money is asked for."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.domain.order import CancelReason, LineState, OrderStatus, PaymentState
from tests.factories import order, seed
from tests.workflows.harness import fulfilment_rows, ledger, outbox_types, position, running


async def test_an_order_with_no_stock_anywhere_is_cancelled_as_out_of_stock(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given locations that have none of the ordered SKUs
    seed(db, {("SKU-JEAN", "ST-OPERA"): 4, ("SKU-TEE", "ST-LYON"): 0})
    async with running(time_env.client, db) as h:
        # When the order runs
        handle = await h.place(order("S1"))
        result = await handle.result()

    # Then it is cancelled as out of stock, with nothing held and nothing charged
    assert result.status is OrderStatus.CANCELLED
    assert result.cancel_reason is CancelReason.OUT_OF_STOCK
    assert all(line.state is LineState.CANCELLED for line in result.lines)
    assert {(line.cancelled, line.cancel_reason) for line in result.lines} == {
        (2, "out_of_stock"),
        (1, "out_of_stock"),
    }
    assert result.payment.state is PaymentState.NONE
    assert h.payments.attempts("S1:authorize") == 0
    assert result.fulfilments == []
    assert ledger(db, "S1") == []
    assert fulfilment_rows(db, "S1") == []
    assert position(db, "SKU-TEE", "ST-LYON") == (0, 0)
    assert position(db, "SKU-JEAN", "ST-OPERA") == (4, 0)
    assert outbox_types(db, "S1") == ["order.cancelled"]
