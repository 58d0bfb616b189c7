"""PostgreSQL applies batches through arrays, SQLite row by row: the same batches, duplicates
and stale rows included, must leave the same positions and report the same counts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import SQLModel, select

from oms.db.atp_watch import as_utc
from oms.db.engine import Database
from oms.db.stock_updates import AbsoluteUpdate, DeltaUpdate, apply_absolute_many, apply_deltas
from oms.db.tables import InventoryPosition
from tests.conftest import PG_URL
from tests.factories import seed

KEYS = [
    (sku, loc) for sku in ("SKU-TEE", "SKU-MUG", "SKU-JEAN") for loc in ("ST-OPERA", "WH-PARIS")
]
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def figures(db: Database) -> dict[tuple[str, str], tuple[Any, ...]]:
    with db.session() as s:
        return {
            (p.sku, p.location_id): (
                p.on_hand,
                p.reserved,
                p.in_transit,
                p.source_version,
                None if p.source_updated_at is None else as_utc(p.source_updated_at),
            )
            for p in s.exec(select(InventoryPosition))
        }


def stamps(db: Database) -> dict[tuple[str, str], datetime]:
    with db.session() as s:
        return {(p.sku, p.location_id): p.updated_at for p in s.exec(select(InventoryPosition))}


def absolute_batch(rng: random.Random) -> list[AbsoluteUpdate]:
    """A few rows over six positions: repeats, stale versions and times, with and without in
    transit."""
    return [
        AbsoluteUpdate(
            sku=sku,
            location_id=loc,
            on_hand=rng.randrange(4),
            in_transit=rng.choice([None, 0, rng.randrange(3)]),
            source_version=rng.choice([None, rng.randrange(6)]),
            source_updated_at=rng.choice([None, T0 + timedelta(minutes=rng.randrange(6))]),
        )
        for sku, loc in (rng.choice(KEYS) for _ in range(rng.randrange(1, 9)))
    ]


def delta_batch(rng: random.Random) -> list[DeltaUpdate]:
    """Moves with event ids from a small pool: repeats within a batch and across batches."""
    return [
        DeltaUpdate(event_id=f"e{rng.randrange(40)}", sku=sku, location_id=loc, delta=d)
        for sku, loc, d in (
            (*rng.choice(KEYS), rng.randint(-4, 4)) for _ in range(rng.randrange(1, 9))
        )
    ]


@pytest.mark.skipif(not PG_URL, reason="OMS_TEST_DATABASE_URL is not set")
def test_postgresql_and_sqlite_apply_the_same_batches_alike(db: Database, tmp_path: Path) -> None:
    assert db.engine.dialect.name == "postgresql"
    lite = Database(f"sqlite:///{tmp_path / 'oms.db'}")
    SQLModel.metadata.create_all(lite.engine)
    try:
        for database in (db, lite):
            seed(database)
        rng = random.Random(7)
        for step in range(150):
            if rng.random() < 0.5:
                rows: list[Any] = absolute_batch(rng)
                apply: Any = apply_absolute_many
            else:
                rows, apply = delta_batch(rng), apply_deltas
            counts, stamped = [], []
            for database in (db, lite):
                before = stamps(database)
                with database.session() as s:
                    counts.append(apply(s, rows))
                after = stamps(database)
                stamped.append({k for k in after if after[k] != before.get(k)})
            assert counts[0] == counts[1], (step, rows)
            assert stamped[0] == stamped[1], (step, rows)  # updated_at moved on the same rows
            assert figures(db) == figures(lite), (step, rows)
        assert len(figures(db)) == len(KEYS)
    finally:
        lite.dispose()
