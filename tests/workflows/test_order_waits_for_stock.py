"""Profiles that backorder or hold what no location has: the order waits for stock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import CancelRequest
from oms.db import profiles
from oms.db.engine import Database
from oms.db.orders import get_order
from oms.db.stock_updates import AbsoluteUpdate, apply_absolute_many
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import CancelReason, LineState, OrderPolicy, OrderStatus
from oms.temporal import ORDER_STATUS
from tests.factories import order, seed
from tests.workflows.harness import eventually, position, running, until
from workflows.order import OrderWorkflow

HOUR = 3600.0
POLICY = OrderPolicy(stock_retry_s=HOUR, stock_wait_s=3 * HOUR)


def publish_profile(db: Database, unplaced: str) -> None:
    doc: dict[str, Any] = {
        "channel": "web-fr",
        "strategies": [{"name": "nearest", "criteria": [{"criterion": "distance"}]}],
        "fallback": {"name": "rest", "split": {"unplaced": unplaced}},
    }
    with db.session() as s:
        profiles.create_draft(s, "waits", doc, created_by=None)
        profiles.publish(s, "waits", 1)


def receive(db: Database, sku: str, location_id: str, on_hand: int) -> None:
    with db.session() as s:
        apply_absolute_many(s, [AbsoluteUpdate(sku=sku, location_id=location_id, on_hand=on_hand)])


def full_pick(view: Any) -> PickReport:
    return PickReport(lines=[PickedLine(line_id=x.line_id, picked=x.quantity) for x in view.lines])


async def test_a_backordered_line_ships_later_from_where_stock_arrived(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})  # no mug anywhere
    publish_profile(db, "backorder")
    async with running(time_env.client, db) as h:
        handle = await h.place(order("B1"), POLICY)
        view = await until(h, "B1", lambda v: len(v.fulfilments) == 1)
        assert "awaiting_stock" in [e.type for e in view.timeline]
        first = view.fulfilments[0].fulfilment_id
        # The tees go ahead at once
        await h.pick(first, full_pick(await h.fulfilment_view(first)))
        await h.pack(first)
        # The mugs arrive at the warehouse; the next try, an hour on, places them there
        receive(db, "SKU-MUG", "WH-PARIS", 4)
        await time_env.sleep(timedelta(seconds=HOUR + 60))
        view = await until(h, "B1", lambda v: len(v.fulfilments) == 2)
        second = view.fulfilments[1]
        assert second.location_id == "WH-PARIS"
        await until(h, "B1", lambda v: v.fulfilments[1].status is FulfilmentStatus.AWAITING_PICK)
        await h.pick(second.fulfilment_id, full_pick(await h.fulfilment_view(second.fulfilment_id)))
        await h.pack(second.fulfilment_id)
        result = await handle.result()

    assert result.status is OrderStatus.COMPLETED
    assert all(line.state is LineState.SHIPPED for line in result.lines)
    assert result.payment.captured == 2 * 1999 + 899


async def test_a_held_order_ships_nothing_until_all_is_placed_then_gives_up_on_the_rest(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    publish_profile(db, "hold")
    async with running(time_env.client, db) as h:
        handle = await h.place(order("H1"), POLICY)
        view = await until(h, "H1", lambda v: v.status is OrderStatus.AWAITING_STOCK)
        assert view.fulfilments == []  # the tees wait for the mug
        # No mug ever comes: past the wait the mug is cancelled and the tees go ahead
        await time_env.sleep(timedelta(seconds=3 * HOUR + 60))
        view = await until(h, "H1", lambda v: len(v.fulfilments) == 1)
        fid = view.fulfilments[0].fulfilment_id
        await until(h, "H1", lambda v: v.fulfilments[0].status is FulfilmentStatus.AWAITING_PICK)
        await h.pick(fid, full_pick(await h.fulfilment_view(fid)))
        await h.pack(fid)
        result = await handle.result()

    assert result.status is OrderStatus.COMPLETED
    states = {line.sku: (line.state, line.cancel_reason) for line in result.lines}
    assert states["SKU-TEE"][0] is LineState.SHIPPED
    assert states["SKU-MUG"] == (LineState.CANCELLED, "out_of_stock")
    assert "stock_wait_over" in [e.type for e in result.timeline]


async def test_a_held_order_cancelled_while_waiting_lets_its_stock_go(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    publish_profile(db, "hold")
    async with running(time_env.client, db) as h:
        handle = await h.place(order("H2"), POLICY)
        await until(h, "H2", lambda v: v.status is OrderStatus.AWAITING_STOCK)
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 2)  # the tees are kept aside
        answer = await handle.execute_update(
            OrderWorkflow.cancel, CancelRequest(reason=CancelReason.CUSTOMER_REQUEST)
        )
        assert answer.accepted
        result = await handle.result()

    assert result.status is OrderStatus.CANCELLED
    assert position(db, "SKU-TEE", "ST-OPERA") == (5, 0)


def _row_status(db: Database, order_id: str) -> str:
    with db.reading() as s:
        row = get_order(s, order_id)
        assert row is not None
        return row.status


async def test_a_backordered_line_placed_later_leaves_the_order_in_fulfilment(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})  # no mug anywhere
    publish_profile(db, "backorder")
    async with running(time_env.client, db) as h:
        handle = await h.place(order("B2"), POLICY)
        view = await until(h, "B2", lambda v: len(v.fulfilments) == 1)
        first = view.fulfilments[0].fulfilment_id
        # The mugs arrive; the next try places them and starts a second fulfilment
        receive(db, "SKU-MUG", "WH-PARIS", 4)
        await time_env.sleep(timedelta(seconds=HOUR + 60))
        view = await until(h, "B2", lambda v: len(v.fulfilments) == 2)
        second = view.fulfilments[1].fulfilment_id
        await until(h, "B2", lambda v: v.fulfilments[1].status is FulfilmentStatus.AWAITING_PICK)

        # Then the order is being fulfilled, not sourced, wherever it is read
        view = await h.view("B2")
        assert view.status is OrderStatus.IN_FULFILMENT
        tried = [e.detail for e in view.timeline if e.type == "stock_tried"]
        assert tried == [{"step": "stock-1", "placed": 1, "awaiting": 0}]
        await eventually(lambda: _row_status(db, "B2") == "IN_FULFILMENT")
        shown = (await handle.describe()).typed_search_attributes
        assert shown.get(ORDER_STATUS) == "IN_FULFILMENT"
        for fid in (first, second):
            await h.pick(fid, full_pick(await h.fulfilment_view(fid)))
            await h.pack(fid)
        result = await handle.result()

    assert result.status is OrderStatus.COMPLETED


async def test_a_held_order_still_waiting_after_a_try_reads_awaiting_stock(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    publish_profile(db, "hold")
    async with running(time_env.client, db) as h:
        handle = await h.place(order("H3"), POLICY)
        await until(h, "H3", lambda v: v.status is OrderStatus.AWAITING_STOCK)
        # A try an hour on finds no mug: the order still waits for stock
        await time_env.sleep(timedelta(seconds=HOUR + 60))
        await until(h, "H3", lambda v: v.timeline[-1].type == "stock_tried")
        await eventually(lambda: _row_status(db, "H3") == "AWAITING_STOCK")
        view = await h.view("H3")
        assert view.status is OrderStatus.AWAITING_STOCK
        assert view.timeline[-1].detail == {"step": "stock-1", "placed": 0, "awaiting": 1}
        shown = (await handle.describe()).typed_search_attributes
        assert shown.get(ORDER_STATUS) == "AWAITING_STOCK"
        # The mugs arrive: the next try places them and the whole order goes ahead
        receive(db, "SKU-MUG", "WH-PARIS", 4)
        await time_env.sleep(timedelta(seconds=HOUR + 60))
        view = await until(
            h,
            "H3",
            lambda v: (
                len(v.fulfilments) == 2
                and all(f.status is FulfilmentStatus.AWAITING_PICK for f in v.fulfilments)
            ),
        )
        for f in view.fulfilments:
            await h.pick(f.fulfilment_id, full_pick(await h.fulfilment_view(f.fulfilment_id)))
            await h.pack(f.fulfilment_id)
        result = await handle.result()

    assert result.status is OrderStatus.COMPLETED
    # The try that placed everything said nothing of its own: the order went ahead
    assert [e.detail["step"] for e in result.timeline if e.type == "stock_tried"] == ["stock-1"]
