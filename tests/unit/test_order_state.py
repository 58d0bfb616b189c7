"""The order's rules, on the aggregate alone: no Temporal, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oms.domain.fraud import FraudAssessment, FraudDecision, FraudReviewDecision, ReviewDecision
from oms.domain.fulfilment import (
    FulfilmentLine,
    FulfilmentProgress,
    FulfilmentStatus,
    FulfilmentView,
)
from oms.domain.order import (
    CancelReason,
    DeliveryMethod,
    LineState,
    OrderPolicy,
    OrderState,
    OrderStatus,
    PaymentState,
)
from oms.domain.sourcing import Allocation, Demand, SourcingPlan
from oms.domain.sourcing.profiles import UnplacedAction
from tests.factories import order

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _state(policy: OrderPolicy | None = None, **overrides: object) -> OrderState:
    return OrderState(order("A1", **overrides), T0, policy or OrderPolicy())


def _placed(state: OrderState, location: str = "WH") -> str:
    """Both lines reserved at one location and handed to its fulfilment."""
    allocs = [
        Allocation(location_id=location, line_id="1", sku="SKU-TEE", qty=2),
        Allocation(location_id=location, line_id="2", sku="SKU-MUG", qty=1),
    ]
    state.sourced(SourcingPlan(allocations=allocs, unplaced=[], strategy="s"), "initial", T0)
    fid = state.next_fulfilment_id()
    state.book.assign(fid, location, allocs)
    state.fulfilment_started(fid, location)
    return fid


def _ended(fid: str, status: FulfilmentStatus, picked: dict[str, int]) -> FulfilmentView:
    qty = {"1": 2, "2": 1}
    sku = {"1": "SKU-TEE", "2": "SKU-MUG"}
    return FulfilmentView(
        fulfilment_id=fid,
        order_id="A1",
        location_id="WH",
        status=status,
        delivery_method=DeliveryMethod.SHIP,
        lines=[
            FulfilmentLine(line_id=i, sku=sku[i], quantity=qty[i], picked=p)
            for i, p in picked.items()
        ],
    )


def test_a_cancel_is_accepted_until_something_is_packed_for_the_carrier() -> None:
    state = _state()
    fid = _placed(state)
    assert state.cancel_refusal(already_cancelling=False) is None
    assert state.cancel_refusal(already_cancelling=True) == "order is already being cancelled"
    state.progress(FulfilmentProgress(fulfilment_id=fid, location_id="WH", status="PACKED"))
    refusal = state.cancel_refusal(already_cancelling=False)
    assert refusal == "part of the order is packed and being handed to the carrier"


def test_a_cancel_of_a_finished_or_shipped_order_is_refused() -> None:
    state = _state()
    fid = _placed(state)
    state.progress(FulfilmentProgress(fulfilment_id=fid, location_id="WH", status="SHIPPED"))
    assert "already shipped" in (state.cancel_refusal(already_cancelling=False) or "")
    state.set_status(OrderStatus.COMPLETED, "order_completed", "system", T0)
    assert state.cancel_refusal(already_cancelling=False) == "order is already COMPLETED"


def test_a_collect_order_packed_at_its_store_can_still_be_cancelled() -> None:
    state = _state(delivery={"method": "collect", "store_id": "ST-OPERA"})
    fid = _placed(state, "ST-OPERA")
    state.progress(FulfilmentProgress(fulfilment_id=fid, location_id="ST-OPERA", status="PACKED"))
    assert state.cancel_refusal(already_cancelling=False) is None


def test_what_is_captured_is_what_left_the_building_at_its_price() -> None:
    state = _state()
    fid = _placed(state)
    state.payment_authorized("auth-1", 2 * 1999 + 899, T0)
    amount = state.fulfilment_ended(_ended(fid, FulfilmentStatus.SHIPPED, {"1": 1, "2": 1}), T0)
    assert amount == 1999 + 899
    state.payment_captured(fid, amount, T0)
    assert state.payment.state is PaymentState.PARTIALLY_CAPTURED
    assert state.should_void_at_completion()
    state.payment_voided(1999, T0)
    state.payment_settled()
    # Something was captured: the order's money is not 'voided', only its rest was let go.
    assert state.payment.state is PaymentState.PARTIALLY_CAPTURED
    assert (state.payment.captured, state.payment.voided) == (2898, 1999)


def test_a_rejected_fulfilment_or_one_without_an_authorization_captures_nothing() -> None:
    state = _state()
    fid = _placed(state)
    rejected = _ended(fid, FulfilmentStatus.REJECTED, {"1": 0, "2": 0})
    state.payment_authorized("auth-1", 4897, T0)
    assert state.fulfilment_ended(rejected, T0) == 0
    unpaid = _state()
    fid2 = _placed(unpaid)
    assert unpaid.capture_amount(_ended(fid2, FulfilmentStatus.SHIPPED, {"1": 2, "2": 1})) == 0


def test_everything_captured_makes_the_payment_captured_and_nothing_to_void() -> None:
    state = _state()
    fid = _placed(state)
    state.payment_authorized("auth-1", 4897, T0)
    amount = state.fulfilment_ended(_ended(fid, FulfilmentStatus.SHIPPED, {"1": 2, "2": 1}), T0)
    state.payment_captured(fid, amount, T0)
    assert not state.should_void_at_completion()
    state.payment_settled()
    assert state.payment.state is PaymentState.CAPTURED


def test_a_declined_card_is_never_voided_and_a_voided_one_not_twice() -> None:
    state = _state()
    state.payment_declined("card_declined", T0)
    assert not state.should_void_at_cancel()
    other = _state()
    other.payment_authorized("auth-1", 100, T0)
    assert other.should_void_at_cancel()
    other.payment_voided(100, T0)
    assert other.payment.state is PaymentState.VOIDED
    assert not other.should_void_at_cancel()


def test_a_short_pick_is_reported_once_and_routed_once() -> None:
    state = _state()
    fid = _placed(state)
    state.progress(
        FulfilmentProgress(
            fulfilment_id=fid, location_id="WH", status="PICKED", picked={"1": 1, "2": 1}
        )
    )
    reported = state.take_reported_shorts()
    assert reported == [(fid, [Demand(line_id="1", sku="SKU-TEE", qty=1)])]
    assert state.reroute(fid, reported[0][1], cancelling=False) == "reroute-1"
    assert state.excluded == {"WH"}
    # The same shortfall seen again when the fulfilment ends is not routed a second time.
    state.fulfilment_ended(_ended(fid, FulfilmentStatus.SHIPPED, {"1": 1, "2": 1}), T0)
    assert state.shorts_after(fid) == []
    assert state.take_reported_shorts() == []


def test_past_the_allowed_re_routes_short_units_are_cancelled_as_short_picked() -> None:
    state = _state(OrderPolicy(max_reroutes=0))
    fid = _placed(state)
    state.fulfilment_ended(_ended(fid, FulfilmentStatus.SHIPPED, {"1": 1, "2": 1}), T0)
    shorts = state.shorts_after(fid)
    assert state.reroute(fid, shorts, cancelling=False) is None
    line = next(v for v in state.view().lines if v.line_id == "1")
    assert (line.shipped, line.cancelled, line.cancel_reason) == (1, 1, CancelReason.SHORT_PICK)


def test_an_order_being_cancelled_routes_nothing_again() -> None:
    state = _state()
    fid = _placed(state)
    shorts = [Demand(line_id="2", sku="SKU-MUG", qty=1)]
    assert state.reroute(fid, shorts, cancelling=True) is None
    mug = next(v for v in state.view().lines if v.line_id == "2")
    assert (mug.cancelled, mug.cancel_reason) == (1, CancelReason.SHORT_PICK)
    assert state.excluded == {"WH"}
    assert state.reroutes == 0


def test_backordered_units_wait_and_are_cancelled_past_the_wait() -> None:
    policy = OrderPolicy(stock_retry_s=3600, stock_wait_s=3 * 3600)
    state = _state(policy)
    plan = SourcingPlan(
        allocations=[Allocation(location_id="WH", line_id="1", sku="SKU-TEE", qty=2)],
        unplaced=[Demand(line_id="2", sku="SKU-MUG", qty=1)],
        unplaced_action=UnplacedAction.BACKORDER,
        strategy="s",
    )
    state.sourced(plan, "initial", T0)
    assert state.awaiting == [Demand(line_id="2", sku="SKU-MUG", qty=1)]
    assert state.seconds_to_next_stock_try(T0) == 3600
    # Never past the end of the wait, and never less than a second.
    assert state.seconds_to_next_stock_try(T0 + timedelta(hours=2, minutes=30)) == 1800
    assert state.seconds_to_next_stock_try(T0 + timedelta(hours=4)) == 1
    waiting, step = state.take_awaiting()
    assert (waiting, step, state.awaiting) == (plan.unplaced, "stock-1", [])
    state.sourced(plan.model_copy(update={"allocations": []}), step, T0 + timedelta(hours=3))
    state.give_up_waiting(T0 + timedelta(hours=3))
    assert state.awaiting == []
    mug = next(v for v in state.view().lines if v.line_id == "2")
    assert (mug.state, mug.cancel_reason) == (LineState.CANCELLED, CancelReason.OUT_OF_STOCK)


def test_units_no_location_can_take_are_cancelled_when_the_profile_says_cancel() -> None:
    state = _state()
    plan = SourcingPlan(
        allocations=[], unplaced=[Demand(line_id="2", sku="SKU-MUG", qty=1)], strategy="s"
    )
    state.sourced(plan, "initial", T0)
    assert state.awaiting == []
    assert state.view().lines[1].state is LineState.CANCELLED


def test_the_first_analyst_decision_stands_and_none_is_taken_once_the_order_is_over() -> None:
    state = _state()
    assessment = FraudAssessment(
        score=50,
        decision=FraudDecision.REVIEW,
        reasons=[],
        review_threshold=40,
        reject_threshold=80,
    )
    state.fraud_assessed(assessment, T0)
    state.receive_review(FraudReviewDecision(decision=ReviewDecision.REJECT, reason="stolen card"))
    state.receive_review(FraudReviewDecision(decision=ReviewDecision.APPROVE, reason="late"))
    assert state.review_decided(T0) is True
    assert state.fraud_decision == "reject"
    finished = _state()
    finished.set_status(OrderStatus.CANCELLED, "order_cancelled", "system", T0)
    finished.receive_review(FraudReviewDecision(decision=ReviewDecision.APPROVE, reason="ok"))
    assert finished.review is None


def test_the_timeline_hands_the_read_model_only_what_it_has_not_stored() -> None:
    state = _state()
    state.set_status(OrderStatus.RECEIVED, "order_received", "web-fr", T0)
    state.log("note", "system", T0)
    assert [i for i, _ in state.unrecorded()] == [0, 1]
    state.mark_recorded()
    state.log("later", "system", T0 + timedelta(seconds=1))
    assert [(i, e.type) for i, e in state.unrecorded()] == [(2, "later")]
    assert state.view().updated_at == T0 + timedelta(seconds=1)


@pytest.mark.parametrize("status", [OrderStatus.RECEIVED, OrderStatus.CANCELLED])
def test_the_view_the_api_builds_is_the_aggregate_s_own(status: OrderStatus) -> None:
    placed = order("A1")
    view = OrderState.restored(
        placed,
        status=status,
        received_at=T0,
        updated_at=T0,
        cancel_reason=CancelReason.OTHER if status is OrderStatus.CANCELLED else None,
    ).view()
    assert view.workflow_id == "order-A1"
    assert view.status is status
    # A cancelled order shipped nothing: every line reads cancelled, with the order's reason.
    expected = LineState.CANCELLED if status is OrderStatus.CANCELLED else LineState.PENDING
    assert [(v.line_id, v.state) for v in view.lines] == [("1", expected), ("2", expected)]
    assert view.total == placed.total
    assert view.payment.state is PaymentState.NONE
