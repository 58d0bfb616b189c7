"""What an edit leaves the authorization to cover, counted as the first authorization counts
it: the goods still open, the shipping charge until its capture, less an exchange's credit and
less what was captured. Too low, and a later capture exceeds the authorization."""

from __future__ import annotations

from datetime import UTC, datetime

from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment import FulfilmentLine, FulfilmentStatus, FulfilmentView
from oms.domain.order import OrderPolicy, OrderState
from oms.domain.order.edits import LineCancel
from oms.domain.sourcing import Allocation, SourcingPlan
from tests.factories import order

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TEE, MUG, SHIPPING = 1999, 899, 500


def _two_fulfilments(state: OrderState) -> tuple[str, str]:
    """The tee shirts (2) at WH, the mug at ST."""
    fids = []
    for location, line_id, sku, qty in (("WH", "1", "SKU-TEE", 2), ("ST", "2", "SKU-MUG", 1)):
        alloc = Allocation(location_id=location, line_id=line_id, sku=sku, qty=qty)
        state.sourced(SourcingPlan(allocations=[alloc], unplaced=[], strategy="s"), "initial", T0)
        fid = state.next_fulfilment_id()
        state.book.assign(fid, location, [alloc])
        state.fulfilment_started(fid, location)
        fids.append(fid)
    return fids[0], fids[1]


def _mug_shipped(state: OrderState, fid: str) -> int:
    """The mug's fulfilment ships and is captured: answers the amount captured."""
    view = FulfilmentView(
        fulfilment_id=fid,
        order_id="A1",
        location_id="ST",
        status=FulfilmentStatus.SHIPPED,
        delivery_method=DeliveryMethod.SHIP,
        lines=[FulfilmentLine(line_id="2", sku="SKU-MUG", quantity=1, picked=1)],
    )
    amount = state.fulfilment_ended(view, T0)
    state.payment_captured(fid, amount, T0)
    return amount


def _one_tee_cancelled(state: OrderState, fid: str) -> None:
    state.line_cancelled(LineCancel(line_id="1", quantity=1), 0, {fid: 1}, 0, T0)


def _authorized(state: OrderState) -> int:
    amount = state.authorization_amount(state.book.open_amount())
    state.payment_authorized("auth-1", amount, T0)
    return amount


def test_with_shipping_the_lower_authorization_still_covers_it() -> None:
    state = OrderState(order("A1", shipping={"amount": SHIPPING}), T0, OrderPolicy())
    tees, _ = _two_fulfilments(state)
    assert _authorized(state) == 2 * TEE + MUG + SHIPPING

    _one_tee_cancelled(state, tees)

    # One tee shirt, the mug and the shipping are still to capture (not the goods alone)
    assert state.authorization_too_high() == TEE + MUG + SHIPPING


def test_after_the_first_capture_took_the_shipping_what_is_left_is_the_goods() -> None:
    state = OrderState(order("A1", shipping={"amount": SHIPPING}), T0, OrderPolicy())
    tees, mug = _two_fulfilments(state)
    _authorized(state)
    assert _mug_shipped(state, mug) == MUG + SHIPPING

    _one_tee_cancelled(state, tees)

    # The one tee shirt left is what the tee shirts' capture will take
    assert state.authorization_too_high() == TEE


def test_an_exchange_credit_is_not_authorized_again_after_an_edit() -> None:
    exchange = {"return_id": "A0.R1", "credit": MUG}
    state = OrderState(order("A1", exchange=exchange), T0, OrderPolicy())
    tees, _ = _two_fulfilments(state)
    assert _authorized(state) == 2 * TEE

    _one_tee_cancelled(state, tees)

    # The credit pays the mug: the card is left with one tee shirt
    assert state.authorization_too_high() == TEE


def test_an_exchange_credit_spent_by_a_capture_is_counted_once() -> None:
    exchange = {"return_id": "A0.R1", "credit": MUG}
    state = OrderState(order("A1", exchange=exchange), T0, OrderPolicy())
    tees, mug = _two_fulfilments(state)
    _authorized(state)
    assert _mug_shipped(state, mug) == 0  # the credit paid it

    _one_tee_cancelled(state, tees)

    assert state.authorization_too_high() == TEE


def test_nothing_to_lower_when_what_is_left_is_what_is_held() -> None:
    state = OrderState(order("A1", shipping={"amount": SHIPPING}), T0, OrderPolicy())
    _, mug = _two_fulfilments(state)
    _authorized(state)
    _mug_shipped(state, mug)

    assert state.amount_left() == 2 * TEE
    assert state.authorization_too_high() == 0
