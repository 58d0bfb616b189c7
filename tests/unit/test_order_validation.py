from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from oms.domain.errors import ErrorCode
from oms.domain.order import CatalogEntry, LocationRef, OrderIn, validate_order
from oms.domain.order.validation import currency_problems, document_problems
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


def raw(**changes: Any) -> dict[str, Any]:
    return {**order().model_dump(mode="json"), **changes}


def document_codes(body: object) -> list[tuple[str, ErrorCode]]:
    return [(e.field, e.code) for e in document_problems(body)]


def test_the_rules_that_need_no_parsed_order_run_over_the_body_as_sent() -> None:
    body = raw(
        currency="euros",
        lines=[line("1", qty=0), line("1", qty=2), {"line_id": "3", "quantity": "0"}, "x"],
        customer={"id": "C-1"},  # no email: the shape's problem, not a rule's
    )

    assert document_codes(body) == [
        ("currency", ErrorCode.UNKNOWN_CURRENCY),
        ("lines[0].quantity", ErrorCode.INVALID_QUANTITY),
        ("lines[1].line_id", ErrorCode.DUPLICATE_LINE_ID),
        ("lines[2].quantity", ErrorCode.INVALID_QUANTITY),
    ]
    assert document_codes(raw(lines=[line(str(i)) for i in range(201)])) == [
        ("lines", ErrorCode.TOO_MANY_LINES)
    ]


@pytest.mark.parametrize("quantity", ["two", 1.5, True, None, [1]])
def test_a_quantity_the_shape_cannot_read_is_left_to_the_shape(quantity: object) -> None:
    assert document_codes(raw(lines=[{"line_id": "1", "quantity": quantity}])) == []


@pytest.mark.parametrize("body", [None, [1, 2], "order", raw(currency=3, lines="many")])
def test_a_body_of_the_wrong_kind_has_no_rule_problems(body: object) -> None:
    assert document_codes(body) == []


def address(**coordinates: float) -> dict[str, Any]:
    """The factory's Paris address with only these coordinates."""
    sent = order().model_dump(mode="json")["delivery"]["address"]
    return {k: v for k, v in sent.items() if k not in ("lat", "lon")} | coordinates


@pytest.mark.parametrize(
    ("coordinates", "missing"),
    [({"lat": 48.85}, "lon"), ({"lon": 2.35}, "lat")],
)
def test_half_a_point_is_refused_at_the_missing_coordinate(
    coordinates: dict[str, float], missing: str
) -> None:
    shipped = order(delivery={"method": "ship", "address": address(**coordinates)})
    assert codes(shipped) == [(f"delivery.address.{missing}", ErrorCode.REQUIRED)]
    billed = order(billing_address=address(**coordinates))
    assert codes(billed) == [(f"billing_address.{missing}", ErrorCode.REQUIRED)]
    body = raw(delivery={"method": "ship", "address": address(**coordinates)}, currency=7)
    assert document_codes(body) == [(f"delivery.address.{missing}", ErrorCode.REQUIRED)]


def test_an_address_with_both_coordinates_or_neither_is_fine() -> None:
    for coordinates in ({}, {"lat": 48.85, "lon": 2.35}):
        shipped = order(delivery={"method": "ship", "address": address(**coordinates)})
        assert codes(shipped) == []


@pytest.mark.parametrize("field", ["quantity", "unit_price"])
def test_true_or_false_is_not_a_number_of_an_order_line(field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        order(lines=[{**line(), field: True}])

    [error] = refused.value.errors()
    assert (error["loc"], error["type"]) == (("lines", 0, field), "int_type")


def test_an_order_in_another_currency_than_its_channels_is_refused_at_currency() -> None:
    assert currency_problems(order(currency="EUR"), "EUR") == []
    assert currency_problems(order(currency="USD"), None) == []  # a channel taking any

    [problem] = currency_problems(order(currency="USD"), "EUR")

    assert (problem.field, problem.code) == ("currency", ErrorCode.CURRENCY_MISMATCH)
    assert problem.reason == "web-fr sells in EUR, not USD"
    # A currency no one knows is told once, as unknown_currency, not as another one too.
    assert currency_problems(order(currency="XXX"), "EUR") == []
