"""The ERP's invoice of a fulfilment: the lines that left, their taxes, the shipping charge
where its capture took it, and totals that add up."""

from __future__ import annotations

from datetime import UTC, datetime

from oms.domain.fulfilment import FulfilmentLine, FulfilmentStatus, FulfilmentView
from oms.domain.invoices import invoice
from oms.domain.order import DeliveryMethod
from oms.keys import invoice_number
from tests.factories import order

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
VAT = {"code": "FR-VAT", "rate": 20, "amount": 333}
LINES = [
    {"line_id": "1", "sku": "SKU-TEE", "quantity": 2, "unit_price": 1999, "taxes": [VAT]},
    {"line_id": "2", "sku": "SKU-MUG", "quantity": 1, "unit_price": 899},
]
SHIPPING = {"amount": 590, "taxes": [{"code": "FR-VAT", "rate": 20, "amount": 98}]}


def _shipped(picked: dict[str, int]) -> FulfilmentView:
    return FulfilmentView(
        fulfilment_id="A1.F1",
        order_id="A1",
        location_id="WH",
        status=FulfilmentStatus.SHIPPED,
        delivery_method=DeliveryMethod.SHIP,
        lines=[FulfilmentLine(line_id=i, sku="S", quantity=2, picked=p) for i, p in picked.items()],
    )


def test_an_invoice_holds_what_left_with_its_taxes_and_the_shipping() -> None:
    placed = order("A1", lines=LINES, shipping=SHIPPING)

    got = invoice(
        placed,
        _shipped({"1": 1, "2": 1}),
        number=invoice_number("A1.F1"),
        with_shipping=True,
        issued_at=T0,
    )

    assert got["invoice_number"] == "INV-A1.F1"
    assert [(li["line_id"], li["quantity"], li["amount"]) for li in got["lines"]] == [
        ("1", 1, 1999),
        ("2", 1, 899),
    ]
    assert got["lines"][0]["taxes"] == [VAT]  # one unit's
    assert got["taxes"] == [{"code": "FR-VAT", "rate": 20.0, "amount": 333 + 98}]
    assert (got["total"], got["tax_total"], got["net_total"]) == (
        1999 + 899 + 590,
        431,
        1999 + 899 + 590 - 431,
    )
    assert got["shipping"]["amount"] == 590


def test_a_line_not_picked_is_not_invoiced_nor_the_shipping_another_capture_took() -> None:
    placed = order("A1", lines=LINES, shipping=SHIPPING)

    got = invoice(placed, _shipped({"1": 2, "2": 0}), number="N", with_shipping=False, issued_at=T0)

    assert [li["line_id"] for li in got["lines"]] == ["1"]
    assert got["lines"][0]["taxes"] == [{**VAT, "amount": 666}]
    assert (got["shipping"], got["total"], got["tax_total"]) == (None, 2 * 1999, 666)
