"""Which moves of a channel figure are news, decided without a database."""

from __future__ import annotations

from datetime import UTC, datetime

from oms.domain.availability import ChannelAtp
from oms.domain.stock_events import changes

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def figure(atp: int) -> ChannelAtp:
    return ChannelAtp.model_construct(sku="x", channel="web-fr", atp=atp, by_location={})


def test_first_sight_is_a_baseline_and_an_unmoved_figure_is_not_news() -> None:
    found = changes(
        "web-fr",
        5,
        ["NEW", "SAME", "GONE"],
        {"SAME": (7, T0)},
        {"NEW": figure(0), "SAME": figure(7), "GONE": None},
    )
    assert [(c.sku, c.atp, c.first_sight, c.event_type) for c in found] == [("NEW", 0, True, None)]


def test_a_sell_out_and_a_run_low_make_their_events_keyed_by_the_previous_record() -> None:
    found = changes(
        "web-fr",
        5,
        ["TEE", "MUG", "CAP"],
        {"TEE": (3, T0), "MUG": (20, T0), "CAP": (20, T0)},
        {"TEE": figure(0), "MUG": figure(4), "CAP": figure(12)},
    )
    by_sku = {c.sku: c for c in found}
    assert by_sku["TEE"].event_type == "inventory.out_of_stock"
    assert by_sku["TEE"].event_id is not None
    assert by_sku["TEE"].event_id.startswith("atp:web-fr:TEE:out_of_stock:0:")
    assert by_sku["TEE"].payload is not None
    assert by_sku["TEE"].payload.previous_atp == 3
    assert by_sku["MUG"].event_type == "inventory.low_stock"
    # A move that crosses nothing is recorded, without an event.
    assert (by_sku["CAP"].atp, by_sku["CAP"].event_type) == (12, None)
