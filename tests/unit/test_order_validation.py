from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from oms.domain.errors import ErrorCode
from oms.domain.order import CatalogEntry, LocationRef, OrderIn, validate_order
from tests.factories import order

CATALOG = {s: CatalogEntry(sku=s, category="apparel") for s in ("SKU-TEE", "SKU-MUG")}
LOCATIONS = {
    "ST-OPERA": LocationRef(id="ST-OPERA", type="store"),
    "ST-SHUT": LocationRef(id="ST-SHUT", type="store", is_open=False),
    "WH-PARIS": LocationRef(id="WH-PARIS", type="warehouse"),
}


def codes(o: OrderIn) -> list[tuple[str, ErrorCode]]:
    return [(e.field, e.code) for e in validate_order(o, catalog=CATALOG, locations=LOCATIONS)]


def line(line_id: str = "1", sku: str = "SKU-TEE", qty: int = 1) -> dict[str, Any]:
    return {"line_id": line_id, "sku": sku, "quantity": qty, "unit_price": 100}


def test_a_valid_order_has_no_errors() -> None:
    assert codes(order()) == []


def test_each_business_rule_names_its_field_and_code() -> None:
    o = order(currency="XXX", lines=[line("1", "NOPE"), line("1", qty=0)])
    assert codes(o) == [
        ("currency", ErrorCode.UNKNOWN_CURRENCY),
        ("lines[0].sku", ErrorCode.UNKNOWN_SKU),
        ("lines[1].line_id", ErrorCode.DUPLICATE_LINE_ID),
        ("lines[1].quantity", ErrorCode.INVALID_QUANTITY),
    ]


def test_two_hundred_lines_are_fine_and_two_hundred_and_one_are_too_many() -> None:
    assert codes(order(lines=[line(str(i)) for i in range(200)])) == []
    assert codes(order(lines=[line(str(i)) for i in range(201)])) == [
        ("lines", ErrorCode.TOO_MANY_LINES)
    ]


@pytest.mark.parametrize(
    ("store", "code"),
    [
        ("NOWHERE", ErrorCode.UNKNOWN_STORE),
        ("WH-PARIS", ErrorCode.NOT_A_STORE),
        ("ST-SHUT", ErrorCode.STORE_CLOSED),
    ],
)
def test_collecting_needs_an_open_store(store: str, code: ErrorCode) -> None:
    o = order(delivery={"method": "collect", "store_id": store})
    assert codes(o) == [("delivery.store_id", code)]


def test_shipping_without_an_address_is_refused_by_the_shape() -> None:
    with pytest.raises(ValidationError, match="needs an address"):
        order(delivery={"method": "ship"})


def test_the_fingerprint_changes_with_the_content_and_only_with_it() -> None:
    assert order().fingerprint() == order().fingerprint()
    assert order().fingerprint() != order(currency="USD").fingerprint()
