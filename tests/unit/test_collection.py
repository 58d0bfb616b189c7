"""Click & collect at the counter, on the rules alone: what a customer may take, what is left,
and what the order makes of a collection nobody came back for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oms.domain.collection import (
    CollectionTimes,
    all_collected,
    apply_collection,
    collect_refusals,
    left_over,
    units_taken,
)
from oms.domain.errors import ErrorCode
from oms.domain.fulfilment import FulfilmentLine, FulfilmentStatus, FulfilmentView
from oms.domain.fulfilment_profiles import CollectionPolicy
from oms.domain.fulfilment_steps import CollectedLine, CollectReport
from oms.domain.order import CancelReason, DeliveryMethod, LineState, OrderPolicy, OrderState
from oms.domain.sourcing import Allocation, SourcingPlan
from tests.factories import order

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Two tees and a mug picked; a scarf short-picked (none to collect).
LINES = [
    FulfilmentLine(line_id="1", sku="SKU-TEE", quantity=2, picked=2),
    FulfilmentLine(line_id="2", sku="SKU-MUG", quantity=1, picked=1),
    FulfilmentLine(line_id="3", sku="SKU-SCARF", quantity=1, picked=0),
]


def _report(*lines: tuple[str, int]) -> CollectReport:
    taken = [CollectedLine(line_id=line_id, quantity=n) for line_id, n in lines]
    return CollectReport(code="123456", lines=taken or None)


def test_a_customer_cannot_take_a_line_that_is_not_there_or_more_than_is_left() -> None:
    errors = collect_refusals(LINES, _report(("9", 1), ("1", 3), ("2", 1), ("2", 1), ("3", 1)))

    assert [(e.field, e.code) for e in errors] == [
        ("lines[0].line_id", ErrorCode.UNKNOWN_LINE),
        ("lines[1].quantity", ErrorCode.INVALID_QUANTITY),
        ("lines[3].line_id", ErrorCode.DUPLICATE_LINE_ID),
        ("lines[4].quantity", ErrorCode.INVALID_QUANTITY),
    ]


def test_what_was_taken_is_counted_and_the_rest_waits_for_the_same_customer() -> None:
    first = apply_collection(LINES, units_taken(LINES, _report(("1", 1))))
    rest = units_taken(first, _report())  # no lines: everything still waiting

    assert [line.collected for line in first] == [1, 0, 0]
    assert left_over(first) == {"1": 1, "2": 1}
    assert collect_refusals(first, _report(("1", 2)))[0].code is ErrorCode.INVALID_QUANTITY
    assert rest == {"1": 1, "2": 1}
    assert all_collected(apply_collection(first, rest))


def test_the_reminder_and_the_end_of_the_hold_count_from_the_moment_it_was_ready() -> None:
    times = CollectionTimes.of(
        T0, CollectionPolicy(remind_after=timedelta(hours=12), hold_for=timedelta(days=2))
    )

    assert (times.remind_at, times.hold_until) == (T0 + timedelta(hours=12), T0 + timedelta(days=2))


def _collect_order(state: OrderState) -> str:
    allocs = [
        Allocation(location_id="ST", line_id="1", sku="SKU-TEE", qty=2),
        Allocation(location_id="ST", line_id="2", sku="SKU-MUG", qty=1),
    ]
    state.sourced(SourcingPlan(allocations=allocs, unplaced=[], strategy="s"), "initial", T0)
    state.payment_authorized("auth-1", state.book.open_amount(), T0)
    fid = state.next_fulfilment_id()
    state.book.assign(fid, "ST", allocs)
    state.fulfilment_started(fid, "ST")
    return fid


def _not_collected(fid: str, collected: dict[str, int]) -> FulfilmentView:
    lines = [line.model_copy(update={"collected": collected[line.line_id]}) for line in LINES[:2]]
    return FulfilmentView(
        fulfilment_id=fid,
        order_id="A1",
        location_id="ST",
        status=FulfilmentStatus.NOT_COLLECTED,
        delivery_method=DeliveryMethod.COLLECT,
        lines=lines,
    )


def test_an_order_charges_what_was_taken_and_cancels_the_rest_not_collected() -> None:
    state = OrderState(order("A1"), T0, OrderPolicy())
    fid = _collect_order(state)

    charge = state.fulfilment_ended(_not_collected(fid, {"1": 1, "2": 0}), T0)

    assert charge == 1999
    tee, mug = state.book.views()
    assert (tee.state, tee.shipped, tee.cancelled) == (LineState.COLLECTED, 1, 1)
    assert (mug.state, mug.cancelled, mug.cancel_reason) == (
        LineState.CANCELLED,
        1,
        CancelReason.NOT_COLLECTED,
    )
    assert not state.nothing_shipped()


def test_an_order_nobody_came_for_is_cancelled_not_collected_not_out_of_stock() -> None:
    state = OrderState(order("A1"), T0, OrderPolicy())
    fid = _collect_order(state)

    charge = state.fulfilment_ended(_not_collected(fid, {"1": 0, "2": 0}), T0)

    assert charge == 0
    assert state.nothing_shipped()
    assert state.nothing_shipped_reason() is CancelReason.NOT_COLLECTED
    assert [line.cancel_reason for line in state.book.views()] == [CancelReason.NOT_COLLECTED] * 2
