"""What a return refunds of the order's shipping charge, by the channel's policy."""

from __future__ import annotations

from oms.domain.returns import (
    LineFacts,
    ReturnLineIn,
    ReturnMethod,
    ReturnPolicy,
    ReturnRequest,
    ShippingRefund,
    all_returned,
    shipping_refund,
    with_shipping,
)

SHIPPING = 590


def _refund(policy: ReturnPolicy, reason: str = "changed_mind", **kw: bool) -> int:
    facts = {"already_refunded": False, "all_returned": False, **kw}
    return shipping_refund(policy, reason_code=reason, shipping=SHIPPING, **facts)


def test_by_default_the_shipping_charge_is_not_refunded() -> None:
    assert _refund(ReturnPolicy()) == 0
    assert _refund(ReturnPolicy(), all_returned=True) == 0


def test_when_all_returned_only_the_return_that_brings_the_last_unit_back_refunds_it() -> None:
    policy = ReturnPolicy(refund_shipping=ShippingRefund.WHEN_ALL_RETURNED)
    assert _refund(policy) == 0
    assert _refund(policy, all_returned=True) == SHIPPING


def test_always_refunds_it_once_per_order() -> None:
    policy = ReturnPolicy(refund_shipping=ShippingRefund.ALWAYS)
    assert _refund(policy) == SHIPPING
    assert _refund(policy, already_refunded=True) == 0


def test_a_reason_of_the_retailers_fault_refunds_it_whatever_the_rule() -> None:
    policy = ReturnPolicy(shipping_refund_reasons=["arrived_damaged", "defective"])
    assert _refund(policy, reason="arrived_damaged") == SHIPPING
    assert _refund(policy, reason="changed_mind") == 0
    assert _refund(policy, reason="defective", already_refunded=True) == 0


def test_shipping_goes_back_only_with_goods() -> None:
    assert with_shipping(1999, SHIPPING) == 1999 + SHIPPING
    assert with_shipping(0, SHIPPING) == 0  # every unit graded as not refunded


def _facts(line_id: str, delivered: int, returned: int) -> LineFacts:
    return LineFacts(
        line_id=line_id,
        sku=line_id,
        unit_price=100,
        category=None,
        delivered=delivered,
        delivered_at=None,
        returned=returned,
    )


def test_all_returned_counts_earlier_returns_and_this_one() -> None:
    facts = {"1": _facts("1", 2, 1), "2": _facts("2", 1, 0)}

    def ask(*lines: tuple[str, int]) -> ReturnRequest:
        return ReturnRequest(
            lines=[ReturnLineIn(line_id=li, quantity=q) for li, q in lines],
            reason_code="changed_mind",
            method=ReturnMethod.IN_STORE,
            location_id="ST",
        )

    assert all_returned(ask(("1", 1), ("2", 1)), facts)
    assert not all_returned(ask(("2", 1)), facts)
