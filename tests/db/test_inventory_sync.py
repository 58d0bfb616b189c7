"""Bulk inventory syncs against the database: staging, best sellers first, stale rows, what a
full snapshot zeroes, and each row applied once however the run is interrupted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from oms.db import bulk
from oms.db.atp_watch import as_utc
from oms.db.engine import Database
from oms.db.stock_updates import DeltaUpdate, apply_deltas
from oms.db.tables import InventoryPosition, InventorySyncRow
from oms.domain.errors import DomainError
from oms.domain.snapshots import FileRefused, MissingPolicy, SnapshotFormat
from tests.factories import seed
from tests.syncs import chunks_of_rows, errors, markers, positions, run, sold, stage, sync_of

FILE = """sku,location_id,on_hand,in_transit
SKU-TEE,ST-OPERA,11,
SKU-PHONE,ST-OPERA,12,
SKU-JEAN,ST-OPERA,13,
SKU-MUG,ST-OPERA,14,
SKU-TEE,ST-BASTILLE,15,
SKU-MUG,ST-BASTILLE,16,1
SKU-JEAN,WH-PARIS,17,
"""
IN_FILE = {
    ("SKU-TEE", "ST-OPERA"): 11,
    ("SKU-PHONE", "ST-OPERA"): 12,
    ("SKU-JEAN", "ST-OPERA"): 13,
    ("SKU-MUG", "ST-OPERA"): 14,
    ("SKU-TEE", "ST-BASTILLE"): 15,
    ("SKU-MUG", "ST-BASTILLE"): 16,
    ("SKU-JEAN", "WH-PARIS"): 17,
}


def on_hand(db: Database) -> dict[tuple[str, str], int]:
    return {key: figures[0] for key, figures in positions(db).items()}


def test_rows_of_the_best_selling_skus_are_applied_first(db: Database) -> None:
    # Given mugs sell most this week, jeans a little; a big cart hold on tee shirts and an
    # old run on phones are not this week's sales
    seed(db)
    sold(db, "SKU-MUG", 5)
    sold(db, "SKU-JEAN", 2)
    sold(db, "SKU-TEE", 50, order_id="cart:C1")
    sold(db, "SKU-PHONE", 100, days_ago=30)

    # When the file is staged
    sync = stage(db, FILE, chunk_size=2)

    # Then mugs come first, then jeans, then the rest in file order, two rows a chunk
    assert sync.chunks_total == 4
    assert chunks_of_rows(db) == {4: 0, 6: 0, 3: 1, 7: 1, 1: 2, 2: 2, 5: 3}


def test_planning_keeps_the_chunks_numbered_at_staging(db: Database) -> None:
    seed(db)
    stage(db, FILE, chunk_size=2)
    before = chunks_of_rows(db)

    # Mugs start selling after the upload: planning (or planning again) moves no row
    sold(db, "SKU-MUG", 5)
    with db.session() as s:
        planned = bulk.plan(s, "S1", datetime.now(UTC))
    with db.session() as s:
        again = bulk.plan(s, "S1", datetime.now(UTC))

    assert chunks_of_rows(db) == before
    assert (planned.status, planned.chunks_total) == ("running", 4)
    assert again == planned


def test_a_row_older_than_the_stored_figure_is_counted_stale_and_not_applied(
    db: Database,
) -> None:
    seed(db)
    with db.session() as s:
        s.add(
            InventoryPosition(sku="SKU-MUG", location_id="ST-OPERA", on_hand=40, source_version=10)
        )
        s.add(
            InventoryPosition(
                sku="SKU-JEAN",
                location_id="ST-OPERA",
                on_hand=8,
                source_updated_at=datetime(2026, 11, 26, 10, 0, tzinfo=UTC),
            )
        )
    stage(
        db,
        "sku,location_id,on_hand,source_version,source_updated_at\n"
        "SKU-MUG,ST-OPERA,1,9,\n"  # older version
        "SKU-TEE,ST-OPERA,7,11,\n"
        "SKU-JEAN,ST-OPERA,2,,2026-11-26T10:59:00+02:00\n"  # 08:59 UTC: older time
        "SKU-PHONE,ST-OPERA,3,,2026-11-26T11:00:00Z\n",
        location_id="ST-OPERA",
        missing=MissingPolicy.KEEP,
    )

    sync = run(db)

    assert (sync.applied, sync.stale) == (2, 2)
    assert on_hand(db) == {
        ("SKU-MUG", "ST-OPERA"): 40,
        ("SKU-TEE", "ST-OPERA"): 7,
        ("SKU-JEAN", "ST-OPERA"): 8,
        ("SKU-PHONE", "ST-OPERA"): 3,
    }
    assert sum(applied + stale for _, applied, stale in markers(db)) == 4


def test_reserved_is_never_touched_and_in_transit_changes_only_when_given(db: Database) -> None:
    seed(db)
    with db.session() as s:
        s.add(
            InventoryPosition(
                sku="SKU-TEE", location_id="ST-OPERA", on_hand=10, reserved=4, in_transit=6
            )
        )
        s.add(InventoryPosition(sku="SKU-MUG", location_id="ST-OPERA", on_hand=3, in_transit=3))
    stage(
        db,
        '{"sku": "SKU-TEE", "location_id": "ST-OPERA", "on_hand": 12}\n'
        '{"sku": "SKU-MUG", "location_id": "ST-OPERA", "on_hand": 5, "in_transit": 0}\n'
        '{"sku": "SKU-JEAN", "location_id": "ST-OPERA", "on_hand": 2, "in_transit": null}\n',
        fmt=SnapshotFormat.JSONL,
        chunk_size=5,
    )

    sync = run(db)

    assert (sync.applied, sync.stale, sync.chunks_total) == (3, 0, 1)
    assert positions(db) == {
        ("SKU-TEE", "ST-OPERA"): (12, 4, 6),
        ("SKU-MUG", "ST-OPERA"): (5, 0, 0),
        ("SKU-JEAN", "ST-OPERA"): (2, 0, 0),
    }


def test_a_file_repeating_a_figure_keeps_its_time_and_takes_the_new_version(db: Database) -> None:
    # Given tee shirts counted at 5 and mugs at 3 long ago, at version 1
    seed(db)
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as s:
        for sku, qty in (("SKU-TEE", 5), ("SKU-MUG", 3)):
            s.add(
                InventoryPosition(
                    sku=sku, location_id="ST-OPERA", on_hand=qty, source_version=1,
                    updated_at=long_ago,
                )
            )  # fmt: skip

    # When a file at version 2 repeats the tee shirts and moves the mugs
    stage(
        db, "sku,location_id,on_hand,source_version\nSKU-TEE,ST-OPERA,5,2\nSKU-MUG,ST-OPERA,4,2\n"
    )
    sync = run(db)

    # Then both rows count as applied and take version 2; only the mugs' figures are new
    assert (sync.applied, sync.stale) == (2, 0)
    with db.session() as s:
        tee = s.get(InventoryPosition, ("SKU-TEE", "ST-OPERA"))
        mug = s.get(InventoryPosition, ("SKU-MUG", "ST-OPERA"))
        assert tee is not None
        assert mug is not None
        assert (tee.source_version, mug.source_version) == (2, 2)
        assert as_utc(tee.updated_at) == long_ago
        assert as_utc(mug.updated_at) > long_ago


def test_a_snapshot_of_a_location_zeroes_what_it_leaves_out_there_only(db: Database) -> None:
    # Given stock at the Opéra store and at Bastille
    seed(
        db,
        {
            ("SKU-TEE", "ST-OPERA"): 5,
            ("SKU-MUG", "ST-OPERA"): 5,
            ("SKU-JEAN", "ST-OPERA"): 5,
            ("SKU-TEE", "ST-BASTILLE"): 5,
        },
    )
    # When the Opéra snapshot lists tee shirts, and mugs with a typo in the figure
    stage(
        db,
        "sku,location_id,on_hand\nSKU-TEE,ST-OPERA,3\nSKU-MUG,ST-OPERA,4.5\n",
        location_id="ST-OPERA",
    )
    sync = run(db)

    # Then the jeans it left out are gone, the mugs it named are kept, Bastille is untouched
    assert sync.missing == "zero"
    assert (sync.applied, sync.rejected, sync.zeroed) == (1, 1, 1)
    assert on_hand(db) == {
        ("SKU-TEE", "ST-OPERA"): 3,
        ("SKU-MUG", "ST-OPERA"): 5,
        ("SKU-JEAN", "ST-OPERA"): 0,
        ("SKU-TEE", "ST-BASTILLE"): 5,
    }


def test_a_network_file_keeps_what_it_leaves_out_unless_asked_to_zero(db: Database) -> None:
    stock = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-LYON"): 5, ("SKU-JEAN", "WH-PARIS"): 5}
    seed(db, stock)
    stage(db, "sku,location_id,on_hand\nSKU-TEE,ST-OPERA,3\n", sync_id="KEEP")
    kept = run(db, "KEEP")
    assert kept.missing == "keep"
    assert (kept.applied, kept.zeroed) == (1, 0)
    assert on_hand(db)[("SKU-MUG", "ST-LYON")] == 5

    stage(
        db,
        "sku,location_id,on_hand\nSKU-TEE,ST-OPERA,2\n",
        sync_id="ZERO",
        missing=MissingPolicy.ZERO,
    )
    zeroed = run(db, "ZERO")

    assert zeroed.zeroed == 2
    assert on_hand(db) == {
        ("SKU-TEE", "ST-OPERA"): 2,
        ("SKU-MUG", "ST-LYON"): 0,
        ("SKU-JEAN", "WH-PARIS"): 0,
    }


def test_a_figure_dated_after_the_file_arrived_is_not_zeroed(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    stage(db, "sku,location_id,on_hand\nSKU-MUG,ST-OPERA,3\n", location_id="ST-OPERA")
    # A store count dated after the upload lands while the sync runs
    with db.session() as s:
        s.add(
            InventoryPosition(
                sku="SKU-JEAN",
                location_id="ST-OPERA",
                on_hand=9,
                source_updated_at=datetime(2999, 1, 1, tzinfo=UTC),
            )
        )

    sync = run(db)

    assert sync.zeroed == 1
    assert on_hand(db)[("SKU-TEE", "ST-OPERA")] == 0
    assert on_hand(db)[("SKU-JEAN", "ST-OPERA")] == 9


def test_a_chunk_applied_again_changes_nothing(db: Database) -> None:
    seed(db)
    stage(db, FILE, chunk_size=2)
    now = datetime.now(UTC)
    with db.session() as s:
        bulk.plan(s, "S1", now)
        assert bulk.apply_chunk(s, "S1", 0, now)
    chunk0 = [row for row, chunk in chunks_of_rows(db).items() if chunk == 0]
    # Another feed moves one of the chunk's positions after it was applied
    with db.session() as s:
        pos = s.get(InventoryPosition, ("SKU-TEE", "ST-OPERA"))
        assert pos is not None
        pos.on_hand = 99
        s.add(pos)

    with db.session() as s:
        again = bulk.apply_chunk(s, "S1", 0, now)

    assert again is False
    assert chunk0 == [1, 2]
    assert on_hand(db)[("SKU-TEE", "ST-OPERA")] == 99
    assert markers(db) == [(0, 2, 0)]
    assert (sync_of(db).applied, sync_of(db).chunks_done) == (2, 1)


def test_a_sync_interrupted_half_way_and_run_again_applies_each_row_once(db: Database) -> None:
    # Given a sync whose first run applied two of its four chunks, then died
    seed(db, {("SKU-PHONE", "ST-LYON"): 3})
    stage(db, FILE, chunk_size=2)
    now = datetime.now(UTC)
    with db.session() as s:
        bulk.plan(s, "S1", now)
    for chunk in (0, 1):
        with db.session() as s:
            bulk.apply_chunk(s, "S1", chunk, now)

    # When the whole run starts again from the top
    sync = run(db)

    # Then every row counts once, each chunk has one marker, positions are the file's
    assert sync.status == "completed"
    assert sync.applied + sync.stale == len(IN_FILE)
    assert (sync.applied, sync.chunks_done, sync.chunks_total) == (7, 4, 4)
    assert [chunk for chunk, _, _ in markers(db)] == [0, 1, 2, 3]
    assert sum(applied for _, applied, _ in markers(db)) == 7
    assert on_hand(db) == {**IN_FILE, ("SKU-PHONE", "ST-LYON"): 3}
    with db.session() as s:
        assert s.get(InventorySyncRow, ("S1", 1)) is None  # staged rows are dropped


def test_two_runs_applying_the_same_chunks_at_once_apply_each_row_once(db: Database) -> None:
    seed(db)
    stage(db, FILE, chunk_size=1)
    now = datetime.now(UTC)
    with db.session() as s:
        total = bulk.plan(s, "S1", now).chunks_total

    def apply_all() -> int:
        done = 0
        for chunk in range(total):
            with db.session() as s:
                done += bulk.apply_chunk(s, "S1", chunk, now)
        return done

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: apply_all(), range(2)))

    assert sum(results) == total == 7
    sync = sync_of(db)
    assert (sync.applied, sync.stale, sync.chunks_done) == (7, 0, 7)
    assert [chunk for chunk, _, _ in markers(db)] == list(range(7))


def test_bad_rows_are_reported_with_row_field_and_code_and_the_rest_is_applied(
    db: Database,
) -> None:
    seed(db)
    sync = stage(
        db,
        "sku,location_id,on_hand,in_transit\n"
        "SKU-TEE,ST-OPERA,3,\n"  # 1: fine
        "SKU-TEE,ST-NOWHERE,3,\n"  # 2: unknown location
        "SKU-MUG,ST-OPERA,-2,\n"  # 3: negative
        "SKU-MUG,ST-OPERA\n"  # 4: malformed line
        "SKU-NOPE,ST-OPERA,1,\n"  # 5: unknown SKU
        "SKU-TEE,ST-OPERA,4,\n"  # 6: same position as row 1
        "SKU-JEAN,ST-OPERA,2,-1\n"  # 7: negative in transit
        "\n"  # 8: blank, skipped
        "SKU-JEAN,ST-LYON,2,1\n",  # 9: fine
    )

    assert (sync.total_rows, sync.rejected) == (8, 6)
    assert errors(db) == [
        (2, "location_id", "location_not_found"),
        (3, "on_hand", "out_of_range"),
        (4, "row", "invalid_format"),
        (5, "sku", "unknown_sku"),
        (6, "location_id", "duplicate_row"),
        (7, "in_transit", "out_of_range"),
    ]
    done = run(db)
    assert (done.applied, done.stale) == (2, 0)
    assert on_hand(db) == {("SKU-TEE", "ST-OPERA"): 3, ("SKU-JEAN", "ST-LYON"): 2}


def test_a_file_without_one_valid_row_stages_nothing(db: Database) -> None:
    seed(db)
    with pytest.raises(FileRefused) as refused:
        stage(db, "sku,location_id,on_hand\nSKU-TEE,ST-OPERA,-1\n", location_id="ST-OPERA")

    assert [(e.field, e.code.value) for e in refused.value.errors] == [
        ("rows[1].on_hand", "out_of_range")
    ]
    assert chunks_of_rows(db) == {}


def test_a_sync_of_an_unknown_location_is_refused(db: Database) -> None:
    seed(db)
    with pytest.raises(DomainError) as refused:
        stage(db, "sku,location_id,on_hand\nSKU-TEE,ST-MARS,1\n", location_id="ST-MARS")

    assert (refused.value.code.value, refused.value.field) == ("location_not_found", "location_id")


def test_a_figure_that_moved_after_the_file_arrived_is_not_zeroed(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    stage(db, "sku,location_id,on_hand\nSKU-TEE,ST-OPERA,4\n", location_id="ST-OPERA")
    # Goods received while the sync waits: a delta (no source time) for a SKU the file omits
    with db.session() as s:
        apply_deltas(
            s, [DeltaUpdate(event_id="gr-1", sku="SKU-MUG", location_id="ST-OPERA", delta=10)]
        )

    sync = run(db)

    assert sync.zeroed == 0
    assert on_hand(db)[("SKU-MUG", "ST-OPERA")] == 10
    assert on_hand(db)[("SKU-TEE", "ST-OPERA")] == 4
