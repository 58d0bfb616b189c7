"""Batches of inventory updates, applied set-based but exactly as one row at a time would."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms.db.engine import Database
from oms.db.stock_updates import AbsoluteUpdate, DeltaUpdate, apply_absolute_many, apply_deltas
from oms.db.tables import InventoryPosition
from tests.factories import seed


def on_hand(db: Database, sku: str, loc: str) -> int | None:
    with db.session() as s:
        pos = s.get(InventoryPosition, (sku, loc))
        return None if pos is None else pos.on_hand


def test_a_position_named_twice_in_a_batch_ends_as_row_by_row_would(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    rows = [
        AbsoluteUpdate(sku="SKU-TEE", location_id="ST-OPERA", on_hand=9, source_version=3),
        AbsoluteUpdate(sku="SKU-TEE", location_id="ST-OPERA", on_hand=7, source_version=2),
        AbsoluteUpdate(sku="SKU-MUG", location_id="ST-OPERA", on_hand=4, in_transit=6),
    ]
    with db.session() as s:
        assert apply_absolute_many(s, rows) == 2  # version 2 after version 3 is stale
    assert on_hand(db, "SKU-TEE", "ST-OPERA") == 9
    with db.session() as s:
        mug = s.get(InventoryPosition, ("SKU-MUG", "ST-OPERA"))
        assert mug is not None
        assert (mug.on_hand, mug.in_transit, mug.reserved) == (4, 6, 0)


def test_deltas_of_one_batch_floor_each_move_in_order(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 0})
    moves = [5, -10, 3]  # one at a time: 0 -> 5 -> 0 -> 3 (the sum, -2, would give 0)
    rows = [
        DeltaUpdate(event_id=f"e{i}", sku="SKU-TEE", location_id="ST-OPERA", delta=d)
        for i, d in enumerate(moves)
    ]
    with db.session() as s:
        assert apply_deltas(s, [*rows, rows[0]]) == 3  # e0 twice in the batch: once
    assert on_hand(db, "SKU-TEE", "ST-OPERA") == 3
    with db.session() as s:
        assert apply_deltas(s, rows) == 0  # sent again: nothing moves
    assert on_hand(db, "SKU-TEE", "ST-OPERA") == 3


def test_a_delta_for_a_position_not_yet_known_creates_it(db: Database) -> None:
    seed(db)
    with db.session() as s:
        apply_deltas(s, [DeltaUpdate(event_id="x", sku="SKU-MUG", location_id="ST-LYON", delta=4)])
    assert on_hand(db, "SKU-MUG", "ST-LYON") == 4


def test_the_same_events_sent_by_two_systems_at_once_apply_once(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 100})
    rows = [
        DeltaUpdate(event_id=f"pos-{i}", sku="SKU-TEE", location_id="ST-OPERA", delta=-1)
        for i in range(40)
    ]
    applied: list[int] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        barrier.wait()
        with db.session() as s:
            applied.append(apply_deltas(s, rows))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(applied) == 40
    assert on_hand(db, "SKU-TEE", "ST-OPERA") == 60


EXAMPLE = itertools.count()


# The database outlives the examples: each seeds only once and sends event ids of its own.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=st.integers(0, 20), moves=st.lists(st.integers(-15, 15), max_size=12))
def test_composed_moves_equal_one_at_a_time(db: Database, start: int, moves: list[int]) -> None:
    example = next(EXAMPLE)
    if on_hand(db, "SKU-TEE", "ST-OPERA") is None:
        seed(db)
    with db.session() as s:
        apply_absolute_many(
            s, [AbsoluteUpdate(sku="SKU-TEE", location_id="ST-OPERA", on_hand=start)]
        )
    rows = [
        DeltaUpdate(event_id=f"{example}-{i}", sku="SKU-TEE", location_id="ST-OPERA", delta=d)
        for i, d in enumerate(moves)
    ]
    with db.session() as s:
        apply_deltas(s, rows)
    expected = start
    for d in moves:
        expected = max(0, expected + d)
    assert on_hand(db, "SKU-TEE", "ST-OPERA") == expected


def test_a_batch_as_large_as_the_api_takes_applies_whole(db: Database) -> None:
    # 5,000 rows is what POST /inventory/positions and /inventory/deltas take at most; as one
    # multi-row VALUES that was 40,000 parameters, more than SQLite allows in a statement.
    seed(db)
    skus = [f"SKU-{i:05d}" for i in range(5000)]
    rows = [
        AbsoluteUpdate(sku=sku, location_id="ST-OPERA", on_hand=i % 10, in_transit=i % 3 or None)
        for i, sku in enumerate(skus)
    ]
    deltas = [
        DeltaUpdate(event_id=f"big-{i}", sku=sku, location_id="ST-OPERA", delta=-5)
        for i, sku in enumerate(skus)
    ]
    with db.session() as s:
        assert apply_absolute_many(s, rows) == 5000
    with db.session() as s:
        assert apply_deltas(s, deltas) == 5000
    with db.session() as s:
        last = s.get(InventoryPosition, (skus[-1], "ST-OPERA"))
        assert last is not None
        assert (last.on_hand, last.in_transit) == (4, 1)  # 9 - 5, and in transit as sent
    assert on_hand(db, skus[6], "ST-OPERA") == 1  # 6 - 5
    assert on_hand(db, skus[3], "ST-OPERA") == 0  # 3 - 5, floored


def stamp(db: Database, sku: str, loc: str) -> tuple[int, int | None, datetime]:
    with db.session() as s:
        pos = s.get(InventoryPosition, (sku, loc))
        assert pos is not None
        return pos.on_hand, pos.source_version, pos.updated_at


def test_figures_sent_again_keep_updated_at_but_take_the_newer_version(db: Database) -> None:
    # Given a count of 5 at version 1
    seed(db)
    tee = AbsoluteUpdate(sku="SKU-TEE", location_id="ST-OPERA", on_hand=5, source_version=1)
    with db.session() as s:
        apply_absolute_many(s, [tee])
    _, _, counted_at = stamp(db, "SKU-TEE", "ST-OPERA")

    # When the same figure comes again at version 3, and the version-2 count arrives late
    with db.session() as s:
        assert apply_absolute_many(s, [tee.model_copy(update={"source_version": 3})]) == 1
    with db.session() as s:
        late = tee.model_copy(update={"on_hand": 9, "source_version": 2})
        assert apply_absolute_many(s, [late]) == 0

    # Then the figures date from the first count, the version is 3, and 2 was stale
    assert stamp(db, "SKU-TEE", "ST-OPERA") == (5, 3, counted_at)

    # And a figure that does move takes a new time
    with db.session() as s:
        apply_absolute_many(s, [tee.model_copy(update={"on_hand": 4, "source_version": 4})])
    assert stamp(db, "SKU-TEE", "ST-OPERA")[2] > counted_at


def test_a_change_of_in_transit_alone_moves_updated_at(db: Database) -> None:
    seed(db)
    row = AbsoluteUpdate(sku="SKU-MUG", location_id="WH-PARIS", on_hand=5, in_transit=0)
    with db.session() as s:
        apply_absolute_many(s, [row])
    first = stamp(db, "SKU-MUG", "WH-PARIS")[2]
    with db.session() as s:
        apply_absolute_many(s, [row])  # the same again: no change
    assert stamp(db, "SKU-MUG", "WH-PARIS")[2] == first
    with db.session() as s:
        apply_absolute_many(s, [row.model_copy(update={"in_transit": 6})])
    assert stamp(db, "SKU-MUG", "WH-PARIS")[2] > first


def test_deltas_that_cancel_out_keep_updated_at(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 4})
    before = stamp(db, "SKU-TEE", "ST-OPERA")
    rows = [
        DeltaUpdate(event_id=f"net-zero-{i}", sku="SKU-TEE", location_id="ST-OPERA", delta=d)
        for i, d in enumerate([3, -3])
    ]
    with db.session() as s:
        assert apply_deltas(s, rows) == 2
    assert stamp(db, "SKU-TEE", "ST-OPERA") == before
    with db.session() as s:
        apply_deltas(s, [rows[0].model_copy(update={"event_id": "net-one", "delta": 1})])
    assert stamp(db, "SKU-TEE", "ST-OPERA")[0] == 5
    assert stamp(db, "SKU-TEE", "ST-OPERA")[2] > before[2]
