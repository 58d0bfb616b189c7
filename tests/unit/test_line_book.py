from __future__ import annotations

from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.order import LineBook, LineState, OrderLine
from oms.domain.sourcing import Allocation


def book() -> LineBook:
    return LineBook(
        [
            OrderLine(line_id="1", sku="A", quantity=3, unit_price=1000),
            OrderLine(line_id="2", sku="B", quantity=1, unit_price=500),
        ]
    )


def states(b: LineBook) -> dict[str, LineState]:
    return {v.line_id: v.state for v in b.views()}


def test_lines_move_from_pending_to_reserved_to_picked_to_shipped() -> None:
    b = book()
    assert states(b) == {"1": LineState.PENDING, "2": LineState.PENDING}
    allocs = [
        Allocation(location_id="L1", line_id="1", sku="A", qty=3),
        Allocation(location_id="L1", line_id="2", sku="B", qty=1),
    ]
    b.reserve(allocs)
    assert states(b) == {"1": LineState.RESERVED, "2": LineState.RESERVED}
    b.assign("F1", "L1", allocs)
    b.progress("F1", FulfilmentStatus.PICKED, {"1": 3, "2": 1})
    assert states(b) == {"1": LineState.PICKED, "2": LineState.PICKED}
    b.progress("F1", FulfilmentStatus.SHIPPED, {})
    assert states(b) == {"1": LineState.SHIPPED, "2": LineState.SHIPPED}
    assert b.shipped_units() == 4


def test_a_line_half_shipped_and_half_cancelled_reads_as_shipped_for_what_is_left() -> None:
    b = book()
    b.assign("F1", "L1", [Allocation(location_id="L1", line_id="1", sku="A", qty=3)])
    b.progress("F1", FulfilmentStatus.SHIPPED, {"1": 2})
    b.cancel_units("1", 1, "short_pick")
    view = next(v for v in b.views() if v.line_id == "1")
    assert (view.state, view.shipped, view.cancelled, view.cancel_reason) == (
        LineState.SHIPPED,
        2,
        1,
        "short_pick",
    )


def test_a_line_shipped_in_part_while_the_rest_is_still_being_picked_is_partially_shipped() -> None:
    b = book()
    b.assign("F1", "L1", [Allocation(location_id="L1", line_id="1", sku="A", qty=2)])
    b.assign("F2", "L2", [Allocation(location_id="L2", line_id="1", sku="A", qty=1)])
    b.progress("F1", FulfilmentStatus.SHIPPED, {"1": 2})
    assert states(b)["1"] is LineState.PARTIALLY_SHIPPED


def test_cancelling_the_rest_never_cancels_what_already_shipped() -> None:
    b = book()
    b.assign("F1", "L1", [Allocation(location_id="L1", line_id="1", sku="A", qty=3)])
    b.progress("F1", FulfilmentStatus.SHIPPED, {"1": 3})
    b.cancel_rest("customer_request")
    views = {v.line_id: v for v in b.views()}
    assert views["1"].cancelled == 0
    assert views["2"].cancelled == 1
    assert views["2"].state is LineState.CANCELLED


def test_the_amount_to_authorize_leaves_out_cancelled_units() -> None:
    b = book()
    assert b.open_amount() == 3500
    b.cancel_units("1", 2, "out_of_stock")
    assert b.open_amount() == 1500
