"""The rules of order edits on the aggregate alone: which units a line cancel takes, and
when an edit is past its point of no return."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oms.domain.delivery import Address
from oms.domain.fulfilment import FulfilmentProgress, FulfilmentStatus
from oms.domain.fulfilment_profiles import Service
from oms.domain.order import OrderPolicy, OrderState, OrderStatus
from oms.domain.order.edits import (
    DeliveryChange,
    EditRefusal,
    EditRefused,
    LineCancel,
    take_awaiting,
)
from oms.domain.sourcing import Allocation, Demand, SourcingPlan
from tests.factories import order

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TEE, MUG = 1999, 899


def _state(**overrides: object) -> OrderState:
    return OrderState(order("A1", **overrides), T0, OrderPolicy())


def _in_fulfilment(state: OrderState, tees: int = 2) -> str:
    allocs = [
        Allocation(location_id="WH", line_id="1", sku="SKU-TEE", qty=tees),
        Allocation(location_id="WH", line_id="2", sku="SKU-MUG", qty=1),
    ]
    state.sourced(SourcingPlan(allocations=allocs, unplaced=[], strategy="s"), "initial", T0)
    fid = state.next_fulfilment_id()
    state.book.assign(fid, "WH", allocs)
    state.fulfilment_started(fid, "WH")
    state.set_status(OrderStatus.IN_FULFILMENT, "fulfilment_started", "system", T0)
    return fid


def _cancel(line_id: str, quantity: int | None = None) -> LineCancel:
    return LineCancel(line_id=line_id, quantity=quantity)


def _refusal(state: OrderState, req: LineCancel) -> EditRefusal:
    with pytest.raises(EditRefused) as refused:
        state.plan_cancel(req)
    return refused.value.reason


def test_units_waiting_for_their_pick_are_taken_from_their_fulfilment() -> None:
    state = _state()
    fid = _in_fulfilment(state)

    plan = state.plan_cancel(_cancel("1", 1))

    assert (plan.quantity, plan.awaiting, plan.fulfilments) == (1, 0, {fid: 1})


def test_units_waiting_for_stock_go_first() -> None:
    state = _state()
    fid = _in_fulfilment(state, tees=1)
    state.awaiting = [Demand(line_id="1", sku="SKU-TEE", qty=1)]

    plan = state.plan_cancel(_cancel("1"))

    assert (plan.quantity, plan.awaiting, plan.fulfilments) == (2, 1, {fid: 1})


def test_a_picked_line_is_past_the_point_of_no_return() -> None:
    state = _state()
    fid = _in_fulfilment(state)
    state.progress(
        FulfilmentProgress(
            fulfilment_id=fid, location_id="WH", status=FulfilmentStatus.PICKED, picked={"1": 2}
        )
    )

    assert _refusal(state, _cancel("1", 1)) is EditRefusal.PAST_POINT_OF_NO_RETURN


def test_more_than_the_line_has_left_is_refused() -> None:
    state = _state()
    _in_fulfilment(state)

    assert _refusal(state, _cancel("1", 3)) is EditRefusal.QUANTITY_EXCEEDS_OPEN


def test_an_unknown_line_and_a_final_or_busy_order_are_refused() -> None:
    state = _state()
    _in_fulfilment(state)
    assert _refusal(state, _cancel("9")) is EditRefusal.LINE_NOT_FOUND
    state.set_status(OrderStatus.SOURCING, "sourcing_started", "system", T0)
    assert _refusal(state, _cancel("1")) is EditRefusal.ORDER_BUSY
    state.set_status(OrderStatus.COMPLETED, "order_completed", "system", T0)
    assert _refusal(state, _cancel("1")) is EditRefusal.ORDER_FINAL


def test_before_sourcing_a_cancelled_unit_is_never_sourced_nor_authorized() -> None:
    state = _state()
    req = _cancel("1", 1)
    plan = state.plan_cancel(req)
    assert plan.fulfilments == {}

    state.line_cancelled(req, 0, {}, plan.quantity, T0)

    assert state.book.demands() == [
        Demand(line_id="1", sku="SKU-TEE", qty=1),
        Demand(line_id="2", sku="SKU-MUG", qty=1),
    ]
    assert state.book.open_amount() == TEE + MUG


def test_a_cancel_of_every_last_unit_cancels_the_order() -> None:
    state = _state()
    fid = _in_fulfilment(state)
    state.line_cancelled(_cancel("2"), 0, {fid: 1}, 0, T0)

    assert state.cancels_everything(state.plan_cancel(_cancel("1")))
    assert not state.cancels_everything(state.plan_cancel(_cancel("1", 1)))


def test_the_authorization_comes_down_to_what_is_left() -> None:
    state = _state()
    fid = _in_fulfilment(state)
    state.payment_authorized("auth-1", 2 * TEE + MUG, T0)

    state.line_cancelled(_cancel("1", 1), 0, {fid: 1}, 0, T0)

    assert state.authorization_too_high() == TEE + MUG
    assert state.book.allocations_of(fid)[0].qty == 1


def test_a_new_address_is_refused_once_a_parcel_is_packed_and_for_a_collection() -> None:
    state = _state()
    fid = _in_fulfilment(state)
    state.check_delivery_change()  # before the pick: taken
    state.fulfilments[fid].status = FulfilmentStatus.PACKED
    with pytest.raises(EditRefused) as packed:
        state.check_delivery_change()
    collect = _state(delivery={"method": "collect", "store_id": "ST-OPERA"})
    with pytest.raises(EditRefused) as collected:
        collect.check_delivery_change()

    assert packed.value.reason is EditRefusal.PAST_POINT_OF_NO_RETURN
    assert collected.value.reason is EditRefusal.NOT_A_SHIPMENT


def test_a_new_address_is_the_order_s_from_then_on() -> None:
    state = _state()
    lyon = Address(name="A", line1="1 pl", city="Lyon", postal_code="69002", country="FR")

    state.delivery_changed(DeliveryChange(address=lyon), T0)

    assert state.order.delivery.address == lyon
    assert state.timeline[-1].type == "delivery_changed"


def test_a_service_is_added_once_and_only_before_the_pick() -> None:
    state = _state()
    fid = _in_fulfilment(state)
    state.check_service("2", Service.GIFT_WRAP)
    state.service_added("2", Service.GIFT_WRAP, "cs", T0)

    with pytest.raises(EditRefused) as twice:
        state.check_service("2", Service.GIFT_WRAP)
    state.fulfilments[fid].status = FulfilmentStatus.PICKED
    state.book.progress(fid, FulfilmentStatus.PICKED, {"1": 2, "2": 1})
    with pytest.raises(EditRefused) as picked:
        state.check_service("1", Service.ENGRAVING)

    assert state.order.line("2").services == [Service.GIFT_WRAP]
    assert twice.value.reason is EditRefusal.SERVICE_ALREADY_ASKED
    assert picked.value.reason is EditRefusal.PAST_POINT_OF_NO_RETURN


def test_units_waiting_for_stock_are_taken_line_by_line() -> None:
    waiting = [Demand(line_id="1", sku="T", qty=2), Demand(line_id="2", sku="M", qty=1)]

    assert take_awaiting(waiting, "1", 1) == [
        Demand(line_id="1", sku="T", qty=1),
        Demand(line_id="2", sku="M", qty=1),
    ]
    assert take_awaiting(waiting, "1", 2) == [Demand(line_id="2", sku="M", qty=1)]


def _held(state: OrderState, *, edits: bool = True) -> None:
    """A held order: the tees placed and reserved (in no fulfilment), the mug waiting."""
    tees = [Allocation(location_id="WH", line_id="1", sku="SKU-TEE", qty=2)]
    mug = [Demand(line_id="2", sku="SKU-MUG", qty=1)]
    plan = SourcingPlan(allocations=tees, unplaced=mug, strategy="s", unplaced_action="hold")
    state.sourced(plan, "initial", T0)
    state.set_status(OrderStatus.AWAITING_STOCK, "order_held_for_stock", "sourcing", T0)
    state.edits_while_awaiting_stock = edits


def test_while_a_held_order_waits_for_stock_its_waiting_units_can_be_cancelled() -> None:
    state = _state()
    _held(state)

    plan = state.plan_cancel(_cancel("2"))

    assert (plan.quantity, plan.awaiting, plan.fulfilments) == (1, 1, {})


def test_while_a_held_order_waits_for_stock_its_placed_units_say_why_they_wait() -> None:
    state = _state()
    _held(state)

    with pytest.raises(EditRefused) as refused:
        state.plan_cancel(_cancel("1", 1))
    assert refused.value.reason is EditRefusal.AWAITING_STOCK
    assert "1 placed unit(s) of line 1 can be cancelled once its fulfilments start" in str(
        refused.value
    )
    with pytest.raises(EditRefused) as service:
        state.check_service("2", Service.GIFT_WRAP)
    assert service.value.reason is EditRefusal.AWAITING_STOCK
    state.check_delivery_change()  # a new address is taken


def test_a_run_from_before_edits_while_waiting_for_stock_is_busy_all_the_wait() -> None:
    state = _state()
    _held(state, edits=False)

    assert _refusal(state, _cancel("2")) is EditRefusal.ORDER_BUSY
