"""oms.domain.returns: what a policy lets a customer send back, and what is refunded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from oms.domain.reason_codes import StockEffect
from oms.domain.returns import (
    GradedLine,
    LineFacts,
    ReturnLineIn,
    ReturnMethod,
    ReturnPolicy,
    ReturnRequest,
    refund_due,
    refusals,
    return_stock,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def facts(**over: object) -> dict[str, LineFacts]:
    base = {
        "line_id": "1",
        "sku": "SKU-TEE",
        "unit_price": 1999,
        "category": "apparel",
        "delivered": 2,
        "delivered_at": NOW - timedelta(days=10),
        "returned": 0,
    }
    return {"1": LineFacts.model_validate(base | over)}


def ask(quantity: int = 1, line_id: str = "1") -> ReturnRequest:
    return ReturnRequest(
        lines=[ReturnLineIn(line_id=line_id, quantity=quantity)],
        reason_code="changed_mind",
        method=ReturnMethod.IN_STORE,
        location_id="ST-OPERA",
    )


def codes(errors: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(e.code.value, e.field) for e in errors]


def test_inside_the_window_nothing_is_refused() -> None:
    assert refusals(ask(2), facts(), ReturnPolicy(), NOW) == []


@pytest.mark.parametrize(
    ("over", "policy", "expected"),
    [
        ({"returned": 1}, ReturnPolicy(), ("exceeds_returnable", "lines[0].quantity")),
        ({"delivered": 0, "delivered_at": None}, ReturnPolicy(), ("not_delivered", "lines[0]")),
        ({}, ReturnPolicy(window_days=5), ("return_window_closed", "lines[0]")),
        (
            {},
            ReturnPolicy(category_window_days={"apparel": 7}),
            ("return_window_closed", "lines[0]"),
        ),
        (
            {},
            ReturnPolicy(non_returnable_categories=["apparel"]),
            ("not_returnable", "lines[0]"),
        ),
        ({"returnable": False}, ReturnPolicy(), ("not_returnable", "lines[0]")),
    ],
)
def test_each_rule_refuses_with_its_code_and_line(
    over: dict[str, object], policy: ReturnPolicy, expected: tuple[str, str]
) -> None:
    assert codes(refusals(ask(2), facts(**over), policy, NOW)) == [expected]


def test_a_category_window_longer_than_the_default_lets_it_in() -> None:
    policy = ReturnPolicy(window_days=5, category_window_days={"apparel": 30})

    assert refusals(ask(), facts(), policy, NOW) == []


def test_an_unknown_line_and_a_line_twice_are_refused() -> None:
    assert codes(refusals(ask(line_id="9"), facts(), ReturnPolicy(), NOW)) == [
        ("unknown_line", "lines[0].line_id")
    ]
    with pytest.raises(ValidationError):
        ReturnRequest(
            lines=[ReturnLineIn(line_id="1", quantity=1)] * 2,
            reason_code="changed_mind",
            method=ReturnMethod.IN_STORE,
            location_id="ST-OPERA",
        )


def test_refunds_follow_the_grades_the_policy_refunds() -> None:
    grades = [
        GradedLine(line_id="1", grade="qc_resellable", quantity=2),
        GradedLine(line_id="1", grade="qc_damaged", quantity=1),
        GradedLine(line_id="1", grade="qc_missing", quantity=1),
    ]
    prices = {"1": 1000}

    assert refund_due(grades, prices, ReturnPolicy()) == 3000
    assert refund_due(grades, prices, ReturnPolicy(refunded_grades=["qc_resellable"])) == 2000


@pytest.mark.parametrize(
    ("effect", "moved"),
    [
        (StockEffect.NONE, (3, 0)),
        (StockEffect.RECOUNT, (3, 0)),
        (StockEffect.QUARANTINE, (0, 3)),
        (StockEffect.WRITE_OFF, (0, 0)),
    ],
)
def test_returned_units_go_where_their_grade_says(
    effect: StockEffect, moved: tuple[int, int]
) -> None:
    assert return_stock(effect, 3) == moved
