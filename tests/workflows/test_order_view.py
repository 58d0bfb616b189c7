"""What the `status` query and Temporal visibility show of an order while it runs."""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import LineState, OrderStatus, OrderView
from oms.temporal import CHANNEL, CUSTOMER_TIER, FULFILMENT_LOCATIONS, ORDER_STATUS
from tests.factories import order, seed
from tests.workflows.harness import running, until


async def search_attributes(handle: WorkflowHandle[Any, Any]) -> dict[str, object]:
    attrs = (await handle.describe()).typed_search_attributes
    return {
        "status": attrs.get(ORDER_STATUS),
        "channel": attrs.get(CHANNEL),
        "tier": attrs.get(CUSTOMER_TIER),
        "locations": attrs.get(FULFILMENT_LOCATIONS),
    }


def allocations(view: OrderView, line_id: str) -> list[tuple[str, int, int | None, str]]:
    line = next(line for line in view.lines if line.line_id == line_id)
    return [(a.location_id, a.qty, a.picked, a.status.value) for a in line.allocations]


def states(view: OrderView) -> dict[str, LineState]:
    return {line.line_id: line.state for line in view.lines}


async def test_the_order_view_follows_each_line_through_its_fulfilments(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an order whose tee shirts are in a store and whose mug is at the warehouse
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "WH-PARIS"): 3})
    async with running(time_env.client, db) as h:
        handle = await h.place(order("V1"))

        # When both locations have their pick lists
        view = await until(
            h,
            "V1",
            lambda v: (
                len(v.fulfilments) == 2
                and all(f.status is FulfilmentStatus.AWAITING_PICK for f in v.fulfilments)
            ),
        )

        # Then each line shows where it is allocated, and visibility shows the same
        by_location = {f.location_id: f.fulfilment_id for f in view.fulfilments}
        store, warehouse = by_location["ST-OPERA"], by_location["WH-PARIS"]
        assert view.status is OrderStatus.IN_FULFILMENT
        assert states(view) == {"1": LineState.RESERVED, "2": LineState.RESERVED}
        assert allocations(view, "1") == [("ST-OPERA", 2, None, "AWAITING_PICK")]
        assert allocations(view, "2") == [("WH-PARIS", 1, None, "AWAITING_PICK")]
        assert view.lines[0].allocations[0].fulfilment_id == store
        assert await search_attributes(handle) == {
            "status": "IN_FULFILMENT",
            "channel": "web-fr",
            "tier": "standard",
            "locations": ["ST-OPERA", "WH-PARIS"],
        }

        # When the store picks its line
        await h.pick(store, PickReport(lines=[PickedLine(line_id="1", picked=2)]))
        view = await until(h, "V1", lambda v: allocations(v, "1")[0][3] == "PICKED")
        # Then that line is picked, the other still reserved
        assert states(view) == {"1": LineState.PICKED, "2": LineState.RESERVED}
        assert allocations(view, "1") == [("ST-OPERA", 2, 2, "PICKED")]

        # When the store ships it
        await h.pack(store)
        view = await until(h, "V1", lambda v: v.payment.captured > 0)
        # Then the line is shipped with its tracking number, the order still in fulfilment
        assert states(view) == {"1": LineState.SHIPPED, "2": LineState.RESERVED}
        assert view.lines[0].shipped == 2
        shipped = next(f for f in view.fulfilments if f.fulfilment_id == store)
        assert shipped.status is FulfilmentStatus.SHIPPED
        assert shipped.tracking_number
        assert view.status is OrderStatus.IN_FULFILMENT
        assert (await search_attributes(handle))["status"] == "IN_FULFILMENT"

        # When the warehouse ships the mug
        await h.pick(warehouse, PickReport(lines=[PickedLine(line_id="2", picked=1)]))
        await h.pack(warehouse)
        result = await handle.result()
        final_attributes = await search_attributes(handle)

    # Then the order is complete everywhere: the view, visibility and the timeline
    assert result.status is OrderStatus.COMPLETED
    assert states(result) == {"1": LineState.SHIPPED, "2": LineState.SHIPPED}
    assert final_attributes["status"] == "COMPLETED"
    assert [(t.type, t.status) for t in result.timeline] == [
        ("order_received", OrderStatus.RECEIVED),
        ("fraud_check_started", OrderStatus.FRAUD_CHECK),
        ("fraud_assessed", None),
        ("sourcing_started", OrderStatus.SOURCING),
        ("sourced", None),
        ("payment_authorizing", OrderStatus.AUTHORIZING_PAYMENT),
        ("payment_authorized", None),
        ("fulfilment_started", OrderStatus.IN_FULFILMENT),
        ("fulfilments_created", None),
        ("fulfilment_shipped", None),
        ("payment_captured", None),
        ("fulfilment_shipped", None),
        ("payment_captured", None),
        ("order_completed", OrderStatus.COMPLETED),
    ]
    times = [t.at for t in result.timeline]
    assert times == sorted(times)
    assert [t.actor for t in result.timeline if t.type == "fulfilment_shipped"] == [
        "ST-OPERA",
        "WH-PARIS",
    ]
    assert result.updated_at == times[-1]
    # The stored event log is the same timeline, in the same order.
    with db.session() as s:
        stored = order_repo.events_for(s, "V1")
    assert [(e.seq, e.type) for e in stored] == [(i, t.type) for i, t in enumerate(result.timeline)]
