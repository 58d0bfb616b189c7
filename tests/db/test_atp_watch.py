"""The ATP watcher: crossings of zero and of the low-stock threshold become outbox events,
each exactly once, however often the same changes are read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select
from temporalio.testing import ActivityEnvironment

from activities.atp_watch import AtpWatchActivities
from oms.contracts.atp_watch import WatchRequest, WatchResult
from oms.db import inventory
from oms.db.engine import Database
from oms.db.tables import ChannelAtp, InventoryPosition, OutboxEvent, Product
from oms.domain.sourcing import Allocation
from oms.domain.stock_events import WatchCursor
from oms.services.cart_holds import place
from tests.factories import seed
from tests.holds import add_channel, ask, set_on_hand

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class Watcher:
    """Runs the watch activity as the workflow does: call again until caught up."""

    def __init__(self, db: Database, *, overlap_s: float = 10.0, max_skus: int = 10_000) -> None:
        self.acts = AtpWatchActivities(db)
        self.cursor = WatchCursor()
        self.overlap_s = overlap_s
        self.max_skus = max_skus
        self.calls: list[WatchResult] = []

    def run(self) -> int:
        """One whole pass; the events it emitted."""
        events = 0
        for _ in range(100):
            result = ActivityEnvironment().run(
                self.acts.watch_atp,
                WatchRequest(cursor=self.cursor, overlap_s=self.overlap_s, max_skus=self.max_skus),
            )
            self.calls.append(result)
            self.cursor, events = result.cursor, events + result.events
            if result.caught_up:
                return events
        raise AssertionError("the watcher never caught up")


def events(db: Database) -> list[tuple[str, dict[str, Any]]]:
    with db.session() as s:
        rows = s.exec(select(OutboxEvent).order_by(col(OutboxEvent.created_at)))
        return [(e.type, e.payload) for e in rows]


def figure(db: Database, channel: str, sku: str) -> int | None:
    with db.session() as s:
        row = s.get(ChannelAtp, (channel, sku))
        return row.atp if row is not None else None


def test_the_first_look_records_every_figure_without_an_event(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-LYON"): 0})
    add_channel(db, low_stock=10)

    emitted = Watcher(db).run()

    assert emitted == 0
    assert events(db) == []
    assert (figure(db, "web-fr", "SKU-TEE"), figure(db, "web-fr", "SKU-MUG")) == (5, 0)


def test_running_out_coming_back_and_running_low_each_make_one_event(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 10})
    add_channel(db, low_stock=3)
    watcher = Watcher(db)
    watcher.run()

    set_on_hand(db, {("SKU-TEE", "ST-OPERA"): 0})
    watcher.run()
    set_on_hand(db, {("SKU-TEE", "ST-OPERA"): 9})
    watcher.run()
    set_on_hand(db, {("SKU-TEE", "ST-OPERA"): 2})
    watcher.run()

    assert events(db) == [
        (
            "inventory.out_of_stock",
            {"channel": "web-fr", "sku": "SKU-TEE", "previous_atp": 10, "atp": 0, "low_stock": 3},
        ),
        (
            "inventory.back_in_stock",
            {"channel": "web-fr", "sku": "SKU-TEE", "previous_atp": 0, "atp": 9, "low_stock": 3},
        ),
        (
            "inventory.low_stock",
            {"channel": "web-fr", "sku": "SKU-TEE", "previous_atp": 9, "atp": 2, "low_stock": 3},
        ),
    ]


def test_a_move_that_crosses_nothing_is_recorded_without_an_event(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 10})
    add_channel(db, low_stock=3)
    watcher = Watcher(db)
    watcher.run()

    set_on_hand(db, {("SKU-TEE", "ST-OPERA"): 7})
    emitted = watcher.run()

    assert emitted == 0
    assert figure(db, "web-fr", "SKU-TEE") == 7
    assert events(db) == []


def test_reading_the_same_changes_twice_emits_each_crossing_once(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 4})
    add_channel(db)
    watcher = Watcher(db)
    watcher.run()
    set_on_hand(db, {("SKU-TEE", "ST-OPERA"): 0})
    before = watcher.cursor

    first = watcher.run()
    watcher.cursor = before  # the same window again, as an overlap or a retried call reads it
    second = watcher.run()
    watcher.cursor = WatchCursor()  # and everything from the start, as a new watcher would
    third = watcher.run()

    assert (first, second, third) == (1, 0, 0)
    assert [t for t, _ in events(db)] == ["inventory.out_of_stock"]


def test_a_hold_that_takes_the_last_units_puts_the_sku_out_of_stock_in_its_channel_only(
    db: Database,
) -> None:
    seed(db, {("SKU-PHONE", "ST-OPERA"): 2, ("SKU-PHONE", "ST-LYON"): 4})
    add_channel(db, "web-fr", ["ST-OPERA"])
    add_channel(db, "web-lyon", ["ST-LYON"])
    watcher = Watcher(db)
    watcher.run()

    with db.session() as s:
        place(s, cart_id="C1", request=ask({"SKU-PHONE": 2}), now=NOW)
    watcher.run()

    assert [(t, p["channel"]) for t, p in events(db)] == [("inventory.out_of_stock", "web-fr")]
    assert figure(db, "web-lyon", "SKU-PHONE") == 4


def test_an_order_reserving_stock_is_seen_like_any_other_change(db: Database) -> None:
    seed(db, {("SKU-MUG", "ST-OPERA"): 6})
    add_channel(db, low_stock=5)
    watcher = Watcher(db)
    watcher.run()

    with db.session() as s:
        inventory.reserve(
            s,
            order_id="O1",
            step_key="O1:source:initial",
            allocations=[Allocation(location_id="ST-OPERA", line_id="1", sku="SKU-MUG", qty=2)],
        )
    watcher.run()

    assert [(t, p["atp"]) for t, p in events(db)] == [("inventory.low_stock", 4)]


def test_a_large_change_is_worked_through_in_bounded_calls_that_resume(db: Database) -> None:
    seed(db)
    add_channel(db)
    skus = [f"SKU-{n:04d}" for n in range(1200)]
    with db.session() as s:
        for sku in skus:
            s.add(Product(sku=sku, name=sku, category="bulk"))
        s.flush()
        for sku in skus:
            s.add(InventoryPosition(sku=sku, location_id="WH-PARIS", on_hand=3))
    watcher = Watcher(db, max_skus=500)
    watcher.run()
    with db.session() as s:
        for pos in s.exec(select(InventoryPosition)):
            pos.on_hand, pos.updated_at = 0, datetime.now(UTC)
            s.add(pos)
    first_pass = len(watcher.calls)

    emitted = watcher.run()

    assert emitted == 1200
    second = watcher.calls[first_pass:]
    assert [(c.skus, c.caught_up) for c in second] == [(500, False), (500, False), (200, True)]


def test_a_quiet_watcher_rereads_only_what_changed_within_the_overlap(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 4, ("SKU-MUG", "ST-OPERA"): 4})
    add_channel(db)
    careful, hasty = Watcher(db, overlap_s=3600), Watcher(db, overlap_s=0)
    careful.run()
    hasty.run()

    careful.run()
    hasty.run()

    # Both positions were stamped before the first pass began: the second pass of a watcher
    # with an hour of overlap reads them again, one without overlap reads nothing.
    assert (careful.calls[-1].skus, hasty.calls[-1].skus) == (2, 0)
    assert events(db) == []
