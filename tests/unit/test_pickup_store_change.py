"""A collection moved to another store (oms.domain.order.pickup): allowed until a store starts
picking the order, only for a collection, and the order's delivery names the new store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.order import OrderPolicy, OrderState, OrderStatus
from oms.domain.order.edits import EditRefusal, EditRefused
from oms.domain.order.pickup import PickupStoreChange, pickup_store_to_change
from oms.domain.sourcing import Allocation, SourcingPlan
from tests.factories import order

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
COLLECT = DeliveryMethod.COLLECT
AWAITING = FulfilmentStatus.AWAITING_PICK


def _collection() -> OrderState:
    o = order("P1", delivery={"method": "collect", "store_id": "ST-OPERA"})
    return OrderState(o, T0, OrderPolicy())


def _sourced(state: OrderState, *, start: bool = True) -> str:
    allocs = [
        Allocation(location_id="ST-OPERA", line_id="1", sku="SKU-TEE", qty=2),
        Allocation(location_id="ST-OPERA", line_id="2", sku="SKU-MUG", qty=1),
    ]
    state.sourced(SourcingPlan(allocations=allocs, unplaced=[], strategy="s"), "initial", T0)
    state.set_status(OrderStatus.IN_FULFILMENT, "fulfilment_started", "system", T0)
    fid = state.next_fulfilment_id()
    if start:
        state.book.assign(fid, "ST-OPERA", allocs)
        state.fulfilment_started(fid, "ST-OPERA")
    return fid


def _refusal(state: OrderState, store_id: str = "ST-BASTILLE") -> EditRefused:
    with pytest.raises(EditRefused) as refused:
        state.check_pickup_store_change(store_id)
    return refused.value


def test_a_collection_waiting_for_its_pick_moves_to_another_store() -> None:
    state = _collection()
    _sourced(state)

    assert state.check_pickup_store_change("ST-BASTILLE") is True


def test_a_collection_not_yet_sourced_moves_whatever_its_review() -> None:
    for status in (OrderStatus.RECEIVED, OrderStatus.FRAUD_CHECK, OrderStatus.AWAITING_REVIEW):
        assert pickup_store_to_change(status, COLLECT, "ST-OPERA", "ST-BASTILLE", []) is True


def test_the_store_it_is_collected_at_already_changes_nothing() -> None:
    state = _collection()
    _sourced(state)

    assert state.check_pickup_store_change("ST-OPERA") is False


@pytest.mark.parametrize(
    ("status", "why"),
    [
        (FulfilmentStatus.PICKED, "ST-OPERA has already picked part of the order"),
        (FulfilmentStatus.PACKED, "ST-OPERA has already packed part of the order"),
        (FulfilmentStatus.IN_TRANSIT, "part of the order is on its way to ST-OPERA"),
        (FulfilmentStatus.READY_FOR_COLLECTION, "the order is ready for collection at ST-OPERA"),
        (FulfilmentStatus.PARTIALLY_COLLECTED, "part of the order was collected at ST-OPERA"),
    ],
)
def test_once_a_store_started_on_the_order_it_stays_there(
    status: FulfilmentStatus, why: str
) -> None:
    state = _collection()
    fid = _sourced(state)
    state.fulfilments[fid].status = status

    refused = _refusal(state)

    assert refused.reason is EditRefusal.PAST_POINT_OF_NO_RETURN
    assert refused.message == why


def test_a_pick_reported_in_part_is_past_the_point_of_no_return() -> None:
    state = _collection()
    fid = _sourced(state)
    state.book.progress(fid, AWAITING, {"1": 1})

    assert _refusal(state).reason is EditRefusal.PAST_POINT_OF_NO_RETURN


def test_a_fulfilment_that_ended_without_handing_over_does_not_hold_the_order_back() -> None:
    statuses = [FulfilmentStatus.REJECTED, FulfilmentStatus.CANCELLED, AWAITING]
    status = OrderStatus.IN_FULFILMENT

    assert pickup_store_to_change(status, COLLECT, "ST-OPERA", "ST-BASTILLE", statuses) is True


def test_a_shipment_has_no_store_to_change() -> None:
    state = OrderState(order("P2"), T0, OrderPolicy())

    assert _refusal(state).reason is EditRefusal.NOT_A_COLLECTION


def test_a_final_order_or_one_being_sourced_refuses_as_other_edits_do() -> None:
    final = pickup_store_to_change
    with pytest.raises(EditRefused) as completed:
        final(OrderStatus.COMPLETED, COLLECT, "ST-OPERA", "ST-BASTILLE", [])
    with pytest.raises(EditRefused) as sourcing:
        final(OrderStatus.SOURCING, COLLECT, "ST-OPERA", "ST-BASTILLE", [])

    assert completed.value.reason is EditRefusal.ORDER_FINAL
    assert sourcing.value.reason is EditRefusal.ORDER_BUSY


def test_units_sourced_whose_fulfilment_is_not_started_yet_make_the_order_busy() -> None:
    state = _collection()
    _sourced(state, start=False)

    assert _refusal(state).reason is EditRefusal.ORDER_BUSY


def test_the_new_store_is_the_order_s_from_then_on() -> None:
    state = _collection()
    state.next_edit()

    before = state.pickup_store_changed(PickupStoreChange(store_id="ST-BASTILLE"), T0)

    assert before == "ST-OPERA"
    assert state.order.delivery.store_id == "ST-BASTILLE"
    entry = state.timeline[-1]
    assert entry.type == "pickup_store_changed"
    assert entry.detail == {"edit": 1, "from": "ST-OPERA", "to": "ST-BASTILLE"}


def test_a_collection_waiting_for_stock_keeps_its_store_until_it_goes_ahead() -> None:
    with pytest.raises(EditRefused) as refused:
        pickup_store_to_change(
            OrderStatus.AWAITING_STOCK,
            COLLECT,
            "ST-OPERA",
            "ST-BASTILLE",
            [],
            unassigned=2,
            while_awaiting_stock=True,
        )
    assert refused.value.reason is EditRefusal.AWAITING_STOCK
    assert "the units held at ST-OPERA can move to another store" in str(refused.value)
