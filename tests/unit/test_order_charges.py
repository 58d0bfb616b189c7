"""An order's shipping charge and the taxes in its prices: validated, in the total, authorized,
captured with the first capture of goods; bodies without them keep their fingerprint."""

from __future__ import annotations

from datetime import UTC, datetime

from oms.domain.errors import ErrorCode
from oms.domain.fulfilment import FulfilmentLine, FulfilmentStatus, FulfilmentView
from oms.domain.order import DeliveryMethod, OrderPolicy, OrderState
from oms.domain.order.validation import charge_problems
from oms.domain.sourcing import Allocation, SourcingPlan
from tests.factories import order

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
VAT = {"code": "FR-VAT", "rate": 20, "amount": 333}
TAXED_LINES = [
    {"line_id": "1", "sku": "SKU-TEE", "quantity": 2, "unit_price": 1999, "taxes": [VAT]},
    {"line_id": "2", "sku": "SKU-MUG", "quantity": 1, "unit_price": 899},
]
SHIPPING = {"amount": 590, "taxes": [{"code": "FR-VAT", "rate": 20, "amount": 98}]}


def test_an_order_without_charges_keeps_the_fingerprint_it_had_before_them() -> None:
    # The hash of the factory's order as stored before shipping and taxes existed.
    assert order("A1").fingerprint() == (
        "1e1ff6e8ed666604ddb71d3d42eb70b965ffc7d5c81c36a57e3b3c054e3bf2ef"
    )
    assert (
        order("A1", cart_id="C1").fingerprint()
        == order("A1", cart_id="C1", shipping=None).fingerprint()
    )
    assert order("A1", shipping=SHIPPING).fingerprint() != order("A1").fingerprint()
    assert order("A1", lines=TAXED_LINES).fingerprint() != order("A1").fingerprint()


def test_the_total_holds_the_goods_and_the_shipping_charge() -> None:
    placed = order("A1", shipping=SHIPPING)
    assert (placed.goods_total, placed.total) == (2 * 1999 + 899, 2 * 1999 + 899 + 590)
    assert order("A1").total == 2 * 1999 + 899


def test_taxes_above_the_amount_they_are_part_of_are_refused_naming_the_field() -> None:
    too_much = [{**TAXED_LINES[0], "taxes": [{**VAT, "amount": 2000}]}, TAXED_LINES[1]]
    shipping = {"amount": 100, "taxes": [{"code": "VAT", "rate": 20, "amount": 101}]}
    problems = charge_problems(order("A1", lines=too_much, shipping=shipping))
    assert [(p.field, p.code) for p in problems] == [
        ("lines[0].taxes", ErrorCode.TAXES_EXCEED_AMOUNT),
        ("shipping.taxes", ErrorCode.TAXES_EXCEED_AMOUNT),
    ]
    twice = [{**TAXED_LINES[0], "taxes": [VAT, VAT]}, TAXED_LINES[1]]
    assert [(p.field, p.code) for p in charge_problems(order("A1", lines=twice))] == [
        ("lines[0].taxes[1].code", ErrorCode.DUPLICATE_TAX_CODE)
    ]
    assert charge_problems(order("A1", lines=TAXED_LINES, shipping=SHIPPING)) == []


def _shipped(fid: str, picked: dict[str, int]) -> FulfilmentView:
    sku = {"1": "SKU-TEE", "2": "SKU-MUG"}
    return FulfilmentView(
        fulfilment_id=fid,
        order_id="A1",
        location_id="WH",
        status=FulfilmentStatus.SHIPPED,
        delivery_method=DeliveryMethod.SHIP,
        lines=[
            FulfilmentLine(line_id=i, sku=sku[i], quantity=p, picked=p) for i, p in picked.items()
        ],
    )


def _two_fulfilments(state: OrderState) -> tuple[str, str]:
    fids = []
    for location, line_id, sku, qty in (("WH", "1", "SKU-TEE", 2), ("ST", "2", "SKU-MUG", 1)):
        alloc = Allocation(location_id=location, line_id=line_id, sku=sku, qty=qty)
        state.sourced(SourcingPlan(allocations=[alloc], unplaced=[], strategy="s"), "initial", T0)
        fid = state.next_fulfilment_id()
        state.book.assign(fid, location, [alloc])
        state.fulfilment_started(fid, location)
        fids.append(fid)
    return fids[0], fids[1]


def test_the_authorization_covers_the_shipping_and_the_first_capture_takes_it() -> None:
    state = OrderState(order("A1", shipping=SHIPPING), T0, OrderPolicy())
    f1, f2 = _two_fulfilments(state)
    goods = state.book.open_amount()
    assert state.authorization_amount(goods) == goods + 590
    assert state.authorization_amount(0) == 0  # nothing to ship: no shipping either
    state.payment_authorized("auth-1", goods + 590, T0)
    # The second fulfilment ends first: it takes the shipping; the other one does not.
    assert state.fulfilment_ended(_shipped(f2, {"2": 1}), T0) == 899 + 590
    assert state.fulfilment_ended(_shipped(f1, {"1": 2}), T0) == 2 * 1999
    assert state.payment.shipping_fulfilment_id == f2
    assert state.view().shipping is not None
    assert state.view().total == goods + 590


def test_a_rejected_first_fulfilment_leaves_the_shipping_to_the_next() -> None:
    state = OrderState(order("A1", shipping=SHIPPING), T0, OrderPolicy())
    f1, f2 = _two_fulfilments(state)
    state.payment_authorized("auth-1", state.authorization_amount(state.book.open_amount()), T0)
    assert state.fulfilment_ended(_shipped(f1, {"1": 0}), T0) == 0
    assert state.fulfilment_ended(_shipped(f2, {"2": 1}), T0) == 899 + 590


def test_an_order_without_shipping_captures_its_goods_only() -> None:
    state = OrderState(order("A1"), T0, OrderPolicy())
    f1, _ = _two_fulfilments(state)
    state.payment_authorized("auth-1", state.authorization_amount(state.book.open_amount()), T0)
    assert state.payment.authorized == 2 * 1999 + 899
    assert state.fulfilment_ended(_shipped(f1, {"1": 2}), T0) == 2 * 1999


def test_an_exchange_order_authorizes_and_captures_only_what_its_credit_does_not_pay() -> None:
    exchange = {"return_id": "A0.R1", "credit": 899}
    state = OrderState(order("A1", exchange=exchange), T0, OrderPolicy())
    f1, f2 = _two_fulfilments(state)
    assert state.authorization_amount(state.book.open_amount()) == 2 * 1999 + 899 - 899
    state.payment_authorized("auth-1", 2 * 1999, T0)
    # The first capture spends the credit; the next one is the card's alone.
    assert state.fulfilment_ended(_shipped(f2, {"2": 1}), T0) == 0
    assert state.fulfilment_ended(_shipped(f1, {"1": 2}), T0) == 2 * 1999
    assert state.payment.credited == 899
    assert state.view().exchange_of == "A0.R1"
