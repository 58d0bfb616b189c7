"""Inventory updates from other systems (WMS, POS, ERP): absolute figures and deltas.

An absolute figure older than what is stored (by source version, or by source time when no
version is sent) is ignored and counted, never applied. A delta carries an event id and is
applied once, however often it is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, bindparam, case, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from oms.db.tables import InventoryEvent, InventoryPosition, utcnow


class AbsoluteUpdate(BaseModel):
    """One row of an absolute batch, as a sender posts it (negative figures are refused by
    the caller per row, with the row's index)."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    location_id: str = Field(min_length=1, max_length=64)
    on_hand: int
    in_transit: int | None = None
    source_version: int | None = None
    source_updated_at: datetime | None = None


class DeltaUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=200)
    sku: str = Field(min_length=1, max_length=64)
    location_id: str = Field(min_length=1, max_length=64)
    delta: int


POSITIONS: Any = InventoryPosition.__table__  # type: ignore[attr-defined]


def position_insert(session: Session) -> Any:
    """INSERT into positions, in the dialect's flavour (both have ON CONFLICT ... RETURNING)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(POSITIONS)


def unless_older(stmt: Any, *, with_transit: bool) -> Any:
    """``stmt`` (an INSERT of whole positions) that, on an existing position, sets on hand (and
    in transit, ``with_transit``) and the source stamps unless the stored figure is newer: by
    source version, else by source time. Never touches ``reserved``. RETURNING one row per
    position written: psycopg counts a conflict whose update was skipped as a row."""
    new, old = stmt.excluded, POSITIONS.c
    not_older = and_(
        or_(
            old.source_version.is_(None),
            new.source_version.is_(None),
            new.source_version >= old.source_version,
        ),
        or_(
            old.source_updated_at.is_(None),
            new.source_updated_at.is_(None),
            new.source_updated_at >= old.source_updated_at,
        ),
    )
    changes = {
        "on_hand": new.on_hand,
        "source_version": new.source_version,
        "source_updated_at": new.source_updated_at,
        "updated_at": new.updated_at,
    }
    if with_transit:
        changes["in_transit"] = new.in_transit
    return stmt.on_conflict_do_update(
        index_elements=["sku", "location_id"], set_=changes, where=not_older
    ).returning(old.sku)


def _values(row: AbsoluteUpdate, now: datetime) -> dict[str, Any]:
    return {
        "sku": row.sku,
        "location_id": row.location_id,
        "on_hand": row.on_hand,
        "reserved": 0,
        "in_transit": row.in_transit or 0,
        "source_version": row.source_version,
        "source_updated_at": row.source_updated_at,
        "updated_at": now,
    }


def apply_absolute_many(session: Session, rows: Sequence[AbsoluteUpdate]) -> int:
    """Apply a batch as if row by row, in a few set-based statements; the number applied.

    A position named twice in the batch is written in two rounds, in the batch's order, so
    the later row wins unless it is older, exactly as one row at a time would do.
    """
    now = utcnow()
    rounds: list[list[AbsoluteUpdate]] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.sku, row.location_id)
        n = seen.get(key, 0)
        seen[key] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(row)
    applied = 0
    for batch in rounds:
        for with_transit in (False, True):
            part = [_values(r, now) for r in batch if (r.in_transit is not None) == with_transit]
            if part:
                stmt = unless_older(
                    position_insert(session).values(part), with_transit=with_transit
                )
                applied += len(session.execute(stmt).all())
    return applied


def apply_deltas(session: Session, rows: Sequence[DeltaUpdate]) -> int:
    """Apply each delta whose event id is new, as if one at a time in the batch's order
    (each move floored at 0); the number applied, the rest being duplicates.

    Set-based: one INSERT records the new event ids (a concurrent batch carrying the same id
    waits on it, then skips it), one creates missing positions, one UPDATE per position. A
    run of floored moves x -> max(0, x + d) composes into x -> max(x + a, b), so each
    position is written once whatever the number of its deltas.
    """
    first: dict[str, DeltaUpdate] = {}
    for row in rows:
        first.setdefault(row.event_id, row)
    if not first:
        return 0
    now = utcnow()
    events: Any = InventoryEvent.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(events)
    fresh = set(
        session.execute(
            insert.values(
                [
                    {
                        "event_id": r.event_id,
                        "sku": r.sku,
                        "location_id": r.location_id,
                        "delta": r.delta,
                        "applied_at": now,
                    }
                    for r in first.values()
                ]
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(events.c.event_id)
        ).scalars()
    )
    moves: dict[tuple[str, str], tuple[int, int]] = {}
    for event_id, r in first.items():
        if event_id in fresh:
            a, b = moves.get((r.sku, r.location_id), (0, 0))
            moves[(r.sku, r.location_id)] = (a + r.delta, max(b + r.delta, 0))
    if not moves:
        return 0
    keys = sorted(moves)  # one lock order for every writer: no deadlock between batches
    session.execute(
        position_insert(session)
        .values(
            [
                {
                    "sku": sku,
                    "location_id": loc,
                    "on_hand": 0,
                    "reserved": 0,
                    "in_transit": 0,
                    "updated_at": now,
                }
                for sku, loc in keys
            ]
        )
        .on_conflict_do_nothing(index_elements=["sku", "location_id"])
    )
    moved = POSITIONS.c.on_hand + bindparam("a")
    session.execute(
        update(POSITIONS)
        .where(POSITIONS.c.sku == bindparam("k_sku"), POSITIONS.c.location_id == bindparam("k_loc"))
        .values(
            on_hand=case((moved < bindparam("b"), bindparam("b")), else_=moved),
            updated_at=now,
        ),
        [
            {"k_sku": sku, "k_loc": loc, "a": moves[sku, loc][0], "b": moves[sku, loc][1]}
            for sku, loc in keys
        ],
    )
    return len(fresh)
