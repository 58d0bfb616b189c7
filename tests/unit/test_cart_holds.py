"""Where a cart hold takes its units from, and when a channel ATP change is news."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oms.domain.availability import StockEvent
from oms.domain.cart_holds import HeldLine, HoldLineIn, Placement, SkuAvailability, plan_hold
from oms.domain.cart_holds import same_lines as holds_exactly
from oms.domain.errors import ErrorCode
from oms.domain.stock_events import PositionKey, WatchCursor, assess, event_id
from tests.factories import order

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def line(sku: str, quantity: int) -> HoldLineIn:
    return HoldLineIn(sku=sku, quantity=quantity)


def test_a_line_is_held_where_there_is_most_then_by_location_id() -> None:
    available = {"TEE": SkuAvailability(atp=9, by_location={"B": 2, "A": 2, "C": 5})}

    plan = plan_hold("web", [line("TEE", 8)], available)

    assert plan.shortages == []
    assert plan.lines[0].locations == [
        Placement(location_id="C", quantity=5),
        Placement(location_id="A", quantity=2),
        Placement(location_id="B", quantity=1),
    ]


def test_a_hold_cannot_take_the_channel_buffer_even_when_locations_have_it() -> None:
    # 10 units counted at the locations, a buffer of 4: the channel promises 6.
    available = {"TEE": SkuAvailability(atp=6, by_location={"A": 10})}

    plan = plan_hold("web", [line("TEE", 7)], available)

    assert plan.lines == []
    [short] = plan.shortages
    assert short.field == "lines[0].quantity"
    assert short.code is ErrorCode.INSUFFICIENT_STOCK
    assert "7 x TEE asked, 6 available in web" == short.reason


def test_a_sku_on_two_lines_is_held_once_for_the_sum_and_refused_on_its_first_line() -> None:
    available = {
        "TEE": SkuAvailability(atp=3, by_location={"A": 3}),
        "MUG": SkuAvailability(atp=5, by_location={"A": 5}),
    }

    fits = plan_hold("web", [line("MUG", 1), line("TEE", 1), line("TEE", 2)], available)
    too_many = plan_hold("web", [line("MUG", 1), line("TEE", 2), line("TEE", 2)], available)

    assert [(h.sku, h.quantity) for h in fits.lines] == [("MUG", 1), ("TEE", 3)]
    assert [s.field for s in too_many.shortages] == ["lines[1].quantity"]


def test_every_short_line_is_named_not_only_the_first() -> None:
    available = {
        "TEE": SkuAvailability(atp=0, by_location={"A": 0}),
        "MUG": SkuAvailability(atp=1, by_location={"A": 1}),
    }

    plan = plan_hold("web", [line("TEE", 1), line("MUG", 2)], available)

    assert [s.field for s in plan.shortages] == ["lines[0].quantity", "lines[1].quantity"]


def test_the_same_skus_and_quantities_in_another_order_only_extend_a_hold() -> None:
    held = [
        HeldLine(sku="TEE", quantity=2, locations=[]),
        HeldLine(sku="MUG", quantity=1, locations=[]),
    ]

    assert holds_exactly(held, [line("MUG", 1), line("TEE", 1), line("TEE", 1)])
    assert not holds_exactly(held, [line("MUG", 1), line("TEE", 3)])
    assert not holds_exactly(held, [line("TEE", 2)])


def test_a_sku_seen_for_the_first_time_makes_no_event_whatever_its_figure() -> None:
    assert assess(None, 0, low_stock=5) is None
    assert assess(None, 3, low_stock=5) is None


def test_news_is_a_crossing_of_zero_or_of_the_low_stock_threshold() -> None:
    assert assess(4, 0, low_stock=5) is StockEvent.OUT_OF_STOCK
    assert assess(0, 2, low_stock=5) is StockEvent.BACK_IN_STOCK
    assert assess(9, 5, low_stock=5) is StockEvent.LOW_STOCK
    assert assess(9, 6, low_stock=5) is None
    assert assess(4, 3, low_stock=5) is None


def test_an_event_id_names_the_crossing_and_the_record_it_starts_from() -> None:
    first = event_id("web-fr", "TEE", StockEvent.OUT_OF_STOCK, 0, T0)
    again = event_id("web-fr", "TEE", StockEvent.OUT_OF_STOCK, 0, T0)
    later = event_id("web-fr", "TEE", StockEvent.OUT_OF_STOCK, 0, T0 + timedelta(microseconds=1))

    assert first == again == "atp:web-fr:TEE:out_of_stock:0:1795694400000000"
    assert later != first


def test_the_next_pass_reaches_back_by_the_overlap_from_when_this_one_began() -> None:
    cursor = (
        WatchCursor(since=T0)
        .reading(T0 + timedelta(seconds=30))
        .advanced(PositionKey(updated_at=T0 + timedelta(seconds=29), sku="TEE", location_id="A"))
        .reading(T0 + timedelta(seconds=31))
    )

    after = cursor.next_pass(timedelta(seconds=10))

    assert cursor.started == T0 + timedelta(seconds=30)
    assert after == WatchCursor(since=T0 + timedelta(seconds=20))


def test_the_start_of_the_next_pass_never_moves_back() -> None:
    unread = WatchCursor(since=T0).next_pass(timedelta(seconds=10))
    early = (
        WatchCursor(since=T0).reading(T0 + timedelta(seconds=1)).next_pass(timedelta(seconds=10))
    )

    assert unread.since == T0
    assert early.since == T0


def test_an_order_without_a_cart_keeps_the_fingerprint_it_had_before_carts_existed() -> None:
    # Computed by the code before OrderIn had a cart_id: a stored order posted again after
    # the upgrade must still be the same order, not a conflict.
    assert order("A1").fingerprint() == (
        "1e1ff6e8ed666604ddb71d3d42eb70b965ffc7d5c81c36a57e3b3c054e3bf2ef"
    )
    assert order("A1", cart_id="CART-1").fingerprint() != order("A1").fingerprint()
