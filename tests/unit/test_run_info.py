"""What ops read of an order run in Temporal, and the order view brought up to its
fulfilments' rows: pure functions, no Temporal, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oms.domain.fulfilment import FulfilmentProgress, FulfilmentStatus
from oms.domain.order import DeliveryMethod, LineState, OrderPolicy, OrderState, OrderStatus
from oms.domain.order.lines import with_progress
from oms.domain.order.run_info import (
    WaitingOn,
    fulfilment_details,
    fulfilment_summary,
    order_current_details,
    order_details,
    order_summary,
    waiting_on,
)
from oms.domain.sourcing import Allocation, SourcingPlan
from tests.factories import order

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
COLLECT = {"method": "collect", "store_id": "ST-PARIS-OPERA"}
# Everything personal the factory's order carries.
PERSONAL = ("alice@example.com", "Alice", "rue de Rivoli", "75001", "tok_ok", "C1")


def _in_fulfilment(state: OrderState, *locations: str) -> list[str]:
    allocs = [
        Allocation(location_id=loc, line_id=line_id, sku=sku, qty=qty)
        for loc, (line_id, sku, qty) in zip(
            locations, [("1", "SKU-TEE", 2), ("2", "SKU-MUG", 1)], strict=False
        )
    ]
    state.sourced(SourcingPlan(allocations=allocs, unplaced=[], strategy="s"), "initial", T0)
    fids = []
    for a in allocs:
        fid = state.next_fulfilment_id()
        state.book.assign(fid, a.location_id, [a])
        state.fulfilment_started(fid, a.location_id)
        fids.append(fid)
    state.set_status(OrderStatus.IN_FULFILMENT, "fulfilment_started", "system", T0)
    return fids


def test_the_summary_is_one_line_of_what_ops_need_and_nothing_personal() -> None:
    o = order("WEB-1002", delivery=COLLECT)

    assert order_summary(o) == "WEB-1002 · web-fr · 2 lines · 48.97 EUR · collect ST-PARIS-OPERA"
    shipped = order_summary(order("WEB-1003"))
    assert shipped == "WEB-1003 · web-fr · 2 lines · 48.97 EUR · ship FR"
    assert "\n" not in order_summary(o)
    for text in (order_summary(o), order_details(o), shipped, order_details(order("WEB-1003"))):
        assert not [p for p in PERSONAL if p in text], text


def test_the_details_list_every_line_and_the_terms() -> None:
    details = order_details(order("WEB-1002"))

    assert "- 1: 2 × SKU-TEE at 19.99 EUR" in details
    assert "- 2: 1 × SKU-MUG at 8.99 EUR" in details
    assert "Total 48.97 EUR · ship FR" in details
    assert "`standard`" in details


def test_a_fulfilment_says_where_what_and_how_many() -> None:
    summary = fulfilment_summary("A1.F1", "A1", "ST-OPERA", 3, DeliveryMethod.SHIP, True)
    details = fulfilment_details("ST-OPERA", [("1", "SKU-TEE", 2), ("2", "SKU-MUG", 1)])

    assert summary == "A1.F1 · order A1 · ST-OPERA · 3 units · ship express"
    assert details == "**Pick at ST-OPERA**\n\n- 1: 2 × SKU-TEE\n- 2: 1 × SKU-MUG"


def test_who_an_order_waits_on_follows_its_status_and_its_fulfilments() -> None:
    state = OrderState(order("A1"), T0, OrderPolicy())
    assert waiting_on(state) is WaitingOn.NONE
    state.set_status(OrderStatus.AWAITING_REVIEW, "fraud_review_requested", "rules", T0)
    assert waiting_on(state) is WaitingOn.ANALYST
    state.set_status(OrderStatus.AUTHORIZING_PAYMENT, "payment_authorizing", "system", T0)
    assert waiting_on(state) is WaitingOn.PAYMENT
    state.set_status(OrderStatus.AWAITING_STOCK, "order_held_for_stock", "sourcing", T0)
    assert waiting_on(state) is WaitingOn.STOCK

    first, second = _in_fulfilment(state, "ST-OPERA", "WH-PARIS")
    assert waiting_on(state) is WaitingOn.STORE
    # One store is done and the other's parcel waits for its customer: the customer.
    state.fulfilments[first].status = FulfilmentStatus.SHIPPED
    state.fulfilments[second].status = FulfilmentStatus.READY_FOR_COLLECTION
    assert waiting_on(state) is WaitingOn.CUSTOMER
    state.fulfilments[second].status = FulfilmentStatus.PACKED
    assert waiting_on(state) is WaitingOn.CARRIER


def test_the_current_details_say_since_when_on_whom_and_until_when() -> None:
    state = OrderState(order("A1"), T0, OrderPolicy())
    later = T0 + timedelta(minutes=5)
    state.set_status(OrderStatus.AWAITING_REVIEW, "fraud_review_requested", "rules", later)
    # Setting the same status again does not move "since".
    state.set_status(
        OrderStatus.AWAITING_REVIEW, "fraud_review_escalated", "sla", later + timedelta(seconds=1)
    )

    text = order_current_details(state, T0 + timedelta(hours=24))

    assert text == (
        "**AWAITING_REVIEW** since 2026-12-01 09:05 UTC · waiting on analyst · "
        "due 2026-12-02 09:00 UTC"
    )


def test_the_view_catches_up_with_the_rows_of_its_live_fulfilments() -> None:
    state = OrderState(order("A1"), T0, OrderPolicy())
    first, second = _in_fulfilment(state, "ST-OPERA", "WH-PARIS")
    # The order already heard the second one end (rejected: nothing picked).
    state.progress(
        FulfilmentProgress(
            fulfilment_id=second,
            location_id="WH-PARIS",
            status=FulfilmentStatus.REJECTED,
            picked={"2": 0},
        )
    )
    rows = [
        FulfilmentProgress(
            fulfilment_id=first,
            location_id="ST-OPERA",
            status=FulfilmentStatus.SHIPPED,
            picked={"1": 2},
            carrier="SIM",
            tracking_number="T1",
        ),
        # A stale row of the fulfilment the order saw end: the order's account stands.
        FulfilmentProgress(
            fulfilment_id=second, location_id="WH-PARIS", status=FulfilmentStatus.AWAITING_PICK
        ),
    ]

    view = with_progress(state.view(), rows)

    lines = {line.line_id: line for line in view.lines}
    assert (lines["1"].state, lines["1"].shipped) == (LineState.SHIPPED, 2)
    assert lines["1"].allocations[0].picked == 2
    assert lines["2"].allocations[0].status is FulfilmentStatus.REJECTED
    summaries = {f.fulfilment_id: f for f in view.fulfilments}
    assert (summaries[first].status, summaries[first].tracking_number) == (
        FulfilmentStatus.SHIPPED,
        "T1",
    )
    assert summaries[second].status is FulfilmentStatus.REJECTED
    # Without newer rows the view is the order's own.
    assert with_progress(state.view(), []) == state.view()
