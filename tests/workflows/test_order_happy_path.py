from __future__ import annotations

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.db.tables import InventoryPosition, Order, OrderEvent, OutboxEvent, Reservation
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import LineState, OrderStatus, PaymentState
from tests.factories import order, seed
from tests.workflows.harness import running, until


async def test_an_order_goes_from_checkout_to_shipped_and_captured(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(
        db,
        {
            ("SKU-TEE", "ST-OPERA"): 5,
            ("SKU-MUG", "ST-OPERA"): 3,
            ("SKU-TEE", "WH-PARIS"): 50,
            ("SKU-MUG", "WH-PARIS"): 50,
        },
    )
    async with running(time_env.client, db) as h:
        handle = await h.place(order("A1"))
        view = await until(
            h,
            "A1",
            lambda v: v.fulfilments and v.fulfilments[0].status is FulfilmentStatus.AWAITING_PICK,
        )
        assert view.status is OrderStatus.IN_FULFILMENT
        fid = view.fulfilments[0].fulfilment_id
        # The nearest location that has every line is the Opéra store.
        assert view.fulfilments[0].location_id == "ST-OPERA"
        await h.pick(
            fid,
            PickReport(
                lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
            ),
        )
        await h.pack(fid)
        result = await handle.result()

    assert result.status is OrderStatus.COMPLETED
    assert all(line.state is LineState.SHIPPED for line in result.lines)
    assert result.payment.state is PaymentState.CAPTURED
    assert result.payment.captured == 2 * 1999 + 899
    assert result.fulfilments[0].tracking_number
    with db.session() as s:
        tee = s.get(InventoryPosition, ("SKU-TEE", "ST-OPERA"))
        assert tee is not None
        assert (tee.on_hand, tee.reserved) == (3, 0)
        statuses = {r.status for r in s.exec(select(Reservation))}
        assert statuses == {"consumed"}
        row = s.get(Order, "A1")
        # Stored as the API stores it, then brought up to date by the workflow, which records
        # its last status before it returns.
        assert row is not None
        assert (row.status, row.fraud_decision) == (OrderStatus.COMPLETED, "approve")
        assert row.fulfilment_locations == ["ST-OPERA"]
        events = [e.type for e in s.exec(select(OrderEvent).where(OrderEvent.order_id == "A1"))]
        assert events[0] == "order_received"
        assert events[-1] == "order_completed"
        # Confirmed to the customer once paid for and sent to its store, before it completes.
        outbox = list(s.exec(select(OutboxEvent).where(OutboxEvent.order_id == "A1")))
        assert [e.type for e in outbox] == [
            "order.confirmed",
            "payment.captured",
            "order.invoiced",
            "order.completed",
        ]
        confirmed = outbox[0].payload
        assert (confirmed["channel"], confirmed["delivery_method"]) == ("web-fr", "ship")
        assert [
            (f["location_id"], [(x["sku"], x["quantity"]) for x in f["lines"]])
            for f in confirmed["fulfilments"]
        ] == [("ST-OPERA", [("SKU-TEE", 2), ("SKU-MUG", 1)])]
        assert confirmed["total"] == 2 * 1999 + 899
