"""Inventory updates from other systems (WMS, POS, ERP): absolute figures and deltas.

An absolute figure older than what is stored (by source version, or by source time when no
version is sent) is ignored and counted, never applied. A delta carries an event id and is
applied once, however often it is sent.

``updated_at`` on a position means "figures last changed": a write that leaves on hand and in
transit as they were keeps it (while still taking the newer source version and time), so the
ATP watcher, which scans positions by ``updated_at``, reads only positions whose figures moved,
and PostgreSQL can update such a row in place (no indexed column changes; see migration 0006).

On PostgreSQL a batch travels as one array per column, unnested into a single statement whose
text never changes (SQLAlchemy compiles it once, PostgreSQL plans it like any other); SQLite,
the embedded default, gets the same statements row by row through ``executemany``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    case,
    column,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from oms.db.tables import InventoryEvent, InventoryPosition, utcnow
from oms.domain.numbers import WholeNumber
from oms.domain.reason_codes import Code
from oms.domain.snapshots import MAX_QUANTITY, MAX_VERSION


class AbsoluteUpdate(BaseModel):
    """One row of an absolute batch, as a sender posts it (negative figures are refused by
    the caller per row, with the row's index)."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    location_id: str = Field(min_length=1, max_length=64)
    on_hand: WholeNumber = Field(le=MAX_QUANTITY)
    in_transit: WholeNumber | None = Field(default=None, le=MAX_QUANTITY)
    source_version: WholeNumber | None = Field(default=None, le=MAX_VERSION)
    source_updated_at: datetime | None = None


class DeltaUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=200)
    sku: str = Field(min_length=1, max_length=64)
    location_id: str = Field(min_length=1, max_length=64)
    delta: WholeNumber = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)
    reason: Code | None = Field(
        default=None,
        description="Why (an adjustment): a reason code whose usages include adjustment; "
        "its stock effect says what the delta does (oms.services.adjustments)",
    )


POSITIONS: Any = InventoryPosition.__table__  # type: ignore[attr-defined]
EVENTS: Any = InventoryEvent.__table__  # type: ignore[attr-defined]
POSITION_COLUMNS = (
    "sku",
    "location_id",
    "on_hand",
    "reserved",
    "in_transit",
    "source_version",
    "source_updated_at",
    "updated_at",
)
NOW = bindparam("now", type_=DateTime(timezone=True))


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_into(session: Session, table: Any) -> Any:
    """INSERT in the dialect's flavour (both have ON CONFLICT ... RETURNING)."""
    return (postgresql.insert if _postgresql(session) else sqlite.insert)(table)


def position_insert(session: Session) -> Any:
    return insert_into(session, POSITIONS)


def unless_older(stmt: Any, *, with_transit: bool) -> Any:
    """``stmt`` (an INSERT of whole positions) that, on an existing position, sets on hand (and
    in transit, ``with_transit``) and the source stamps unless the stored figure is newer: by
    source version, else by source time. ``updated_at`` moves only if a figure does. Never
    touches ``reserved``. RETURNING one row per position written, figures changed or not:
    psycopg counts a conflict whose update was skipped as a row."""
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
    moved = new.on_hand.is_distinct_from(old.on_hand)
    if with_transit:
        moved = or_(moved, new.in_transit.is_distinct_from(old.in_transit))
    changes = {
        "on_hand": new.on_hand,
        "source_version": new.source_version,
        "source_updated_at": new.source_updated_at,
        "updated_at": case((moved, new.updated_at), else_=old.updated_at),
    }
    if with_transit:
        changes["in_transit"] = new.in_transit
    return stmt.on_conflict_do_update(
        index_elements=["sku", "location_id"], set_=changes, where=not_older
    ).returning(old.sku)


def _unnest(*columns: tuple[str, Any]) -> Any:
    """A row source over one array parameter per column (``all_`` and its name): a batch of
    any size is the same statement."""
    arrays = (bindparam(f"all_{name}", type_=postgresql.ARRAY(kind)) for name, kind in columns)
    return (
        func.unnest(*arrays)
        .table_valued(*(column(name, kind) for name, kind in columns))
        .render_derived(with_types=False)
    )


def _absolute_statement(with_transit: bool) -> Any:
    """PostgreSQL: one round of an absolute batch (distinct positions), in key order so that
    concurrent writers lock positions in the same order."""
    rows = _unnest(
        ("sku", String),
        ("location_id", String),
        ("on_hand", Integer),
        ("in_transit", Integer),
        ("source_version", BigInteger),
        ("source_updated_at", DateTime(timezone=True)),
    )
    source = select(
        rows.c.sku,
        rows.c.location_id,
        rows.c.on_hand,
        literal(0, Integer),
        func.coalesce(rows.c.in_transit, 0),
        rows.c.source_version,
        rows.c.source_updated_at,
        NOW,
    ).order_by(rows.c.sku, rows.c.location_id)
    stmt = postgresql.insert(POSITIONS).from_select(POSITION_COLUMNS, source)
    return unless_older(stmt, with_transit=with_transit)


ABSOLUTE = {with_transit: _absolute_statement(with_transit) for with_transit in (False, True)}
ABSOLUTE_FIELDS = (
    "sku",
    "location_id",
    "on_hand",
    "in_transit",
    "source_version",
    "source_updated_at",
)


def _arrays(rows: Sequence[BaseModel], fields: Sequence[str]) -> dict[str, list[Any]]:
    return {f"all_{f}": [getattr(r, f) for r in rows] for f in fields}


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


def _write_absolute(
    session: Session, rows: list[AbsoluteUpdate], now: datetime, with_transit: bool
) -> int:
    if _postgresql(session):
        params = _arrays(rows, ABSOLUTE_FIELDS)
        return len(session.execute(ABSOLUTE[with_transit], {**params, "now": now}).all())
    stmt = unless_older(sqlite.insert(POSITIONS), with_transit=with_transit)
    return len(session.execute(stmt, [_values(r, now) for r in rows]).all())


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
            part = [r for r in batch if (r.in_transit is not None) == with_transit]
            if part:
                applied += _write_absolute(session, part, now, with_transit)
    return applied


# -- deltas ----------------------------------------------------------------------------------


def _moved(old: Any, a: Any, b: Any) -> dict[str, Any]:
    """The SET of a composed move x -> max(x + a, b), stamping ``updated_at`` only if on hand
    changes."""
    on_hand = case((old.on_hand + a < b, b), else_=old.on_hand + a)
    return {
        "on_hand": on_hand,
        "updated_at": case((on_hand != old.on_hand, NOW), else_=old.updated_at),
    }


def _delta_statements() -> tuple[Any, Any, Any, Any]:
    """PostgreSQL: record new event ids, create missing positions, lock positions in key
    order, move them."""
    events = _unnest(
        ("event_id", String), ("sku", String), ("location_id", String), ("delta", Integer)
    )
    record = (
        postgresql.insert(EVENTS)
        .from_select(
            ["event_id", "sku", "location_id", "delta", "applied_at"],
            select(events.c.event_id, events.c.sku, events.c.location_id, events.c.delta, NOW)
            # One order for every writer: two batches sharing event ids never deadlock.
            .order_by(events.c.event_id),
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(EVENTS.c.event_id)
    )
    keys = _unnest(("sku", String), ("location_id", String))
    create = (
        postgresql.insert(POSITIONS)
        .from_select(
            ["sku", "location_id", "on_hand", "reserved", "in_transit", "updated_at"],
            select(keys.c.sku, keys.c.location_id, *(literal(0, Integer),) * 3, NOW).order_by(
                keys.c.sku, keys.c.location_id
            ),
        )
        .on_conflict_do_nothing(index_elements=["sku", "location_id"])
    )
    p = POSITIONS.c
    lock = (
        select(p.sku)
        .join(keys, and_(p.sku == keys.c.sku, p.location_id == keys.c.location_id))
        .order_by(p.sku, p.location_id)
        .with_for_update(of=POSITIONS)
    )
    moves = _unnest(("sku", String), ("location_id", String), ("a", Integer), ("b", Integer))
    move = (
        update(POSITIONS)
        .where(p.sku == moves.c.sku, p.location_id == moves.c.location_id)
        .values(_moved(p, moves.c.a, moves.c.b))
    )
    return record, create, lock, move


RECORD, CREATE, LOCK, MOVE = _delta_statements()


def record_events(session: Session, rows: Sequence[DeltaUpdate], now: datetime) -> set[str]:
    """The event ids of ``rows`` not seen before, now recorded. A concurrent batch inserting
    the same id makes this one wait for it, then skip it."""
    if _postgresql(session):
        params = _arrays(rows, ("event_id", "sku", "location_id", "delta"))
        return set(session.execute(RECORD, {**params, "now": now}).scalars())
    stmt = (
        sqlite.insert(EVENTS)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(EVENTS.c.event_id)
    )
    values = [
        {
            "event_id": r.event_id,
            "sku": r.sku,
            "location_id": r.location_id,
            "delta": r.delta,
            "applied_at": now,
        }
        for r in rows
    ]
    return set(session.execute(stmt, values).scalars())


def _move(session: Session, moves: dict[tuple[str, str], tuple[int, int]], now: datetime) -> None:
    keys = sorted(moves)  # one lock order for every writer: no deadlock between batches
    skus, locs = [k[0] for k in keys], [k[1] for k in keys]
    if _postgresql(session):
        at = {"all_sku": skus, "all_location_id": locs}
        session.execute(CREATE, {**at, "now": now})
        session.execute(LOCK, at)
        a, b = [moves[k][0] for k in keys], [moves[k][1] for k in keys]
        session.execute(MOVE, {**at, "all_a": a, "all_b": b, "now": now})
        return
    session.execute(
        sqlite.insert(POSITIONS).on_conflict_do_nothing(index_elements=["sku", "location_id"]),
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
        ],
    )
    p = POSITIONS.c
    session.execute(
        update(POSITIONS)
        .where(p.sku == bindparam("k_sku"), p.location_id == bindparam("k_loc"))
        .values(_moved(p, bindparam("a"), bindparam("b"))),
        [
            {
                "k_sku": sku,
                "k_loc": loc,
                "a": moves[sku, loc][0],
                "b": moves[sku, loc][1],
                "now": now,
            }
            for sku, loc in keys
        ],
    )


def apply_deltas(session: Session, rows: Sequence[DeltaUpdate]) -> int:
    """Apply each delta whose event id is new, as if one at a time in the batch's order
    (each move floored at 0); the number applied, the rest being duplicates.

    Set-based: one INSERT records the new event ids (a concurrent batch carrying the same id
    waits on it, then skips it), then every position moved is written once. A run of floored
    moves x -> max(0, x + d) composes into x -> max(x + a, b), so each position is written
    once whatever the number of its deltas.
    """
    first: dict[str, DeltaUpdate] = {}
    for row in rows:
        first.setdefault(row.event_id, row)
    if not first:
        return 0
    now = utcnow()
    fresh = record_events(session, list(first.values()), now)
    moves: dict[tuple[str, str], tuple[int, int]] = {}
    for event_id, r in first.items():
        if event_id in fresh:
            a, b = moves.get((r.sku, r.location_id), (0, 0))
            moves[(r.sku, r.location_id)] = (a + r.delta, max(b + r.delta, 0))
    if moves:
        _move(session, moves, now)
    return len(fresh)
