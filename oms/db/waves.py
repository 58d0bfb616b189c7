"""Pick waves in the database: the open fulfilments a wave may take, and the waves.

A wave build reads in two queries (the most urgent open fulfilments not in a wave, then the
products they need with their place at the location) and writes in three statements (the
wave, its lines, the fulfilments it takes). It never reads fulfilments one by one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, any_, bindparam, insert, nulls_last, text, update
from sqlalchemy import select as columns
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from oms.db.tables import Fulfilment, PickWave, PickWaveLine, Product, ProductLocation, utcnow
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.waves import Candidate, CandidateLine, ProductPlace, WaveLine, WaveStatus

# The database reads this many more fulfilments than a wave takes when a unit limit may
# skip some, so that a few big ones do not starve the wave.
UNIT_LIMIT_SLACK = 4


# PostgreSQL: a whole wave's lines in one statement and one parameter.
_LINES_FROM_JSON = text(
    "INSERT INTO pick_wave_lines "
    "SELECT * FROM json_populate_recordset(NULL::pick_wave_lines, :rows)"
)


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _one_of(session: Session, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``= ANY(array)``: one parameter, where an IN list
    of a hundred SKUs costs SQLAlchemy more to render than the database to run."""
    if _postgresql(session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


class WaveTaken(Exception):
    """Another wave took some of these fulfilments between the read and the write."""


def candidates(
    session: Session, location_id: str, *, limit: int, lock: bool = True
) -> list[Candidate]:
    """The location's fulfilments waiting for a pick and in no wave, most urgent first (the
    rule of ``oms.domain.waves.priority``), at most ``limit``. On PostgreSQL the rows are
    locked, skipping those a concurrent build holds, so two builds never take the same."""
    stmt = (
        columns(
            col(Fulfilment.id),
            col(Fulfilment.express),
            col(Fulfilment.pick_due_at),
            col(Fulfilment.lines),
        )
        .where(
            col(Fulfilment.location_id) == location_id,
            col(Fulfilment.status) == FulfilmentStatus.AWAITING_PICK,
            col(Fulfilment.wave_id).is_(None),
        )
        .order_by(
            col(Fulfilment.express).desc(),
            nulls_last(col(Fulfilment.pick_due_at).asc()),
            col(Fulfilment.id),
        )
        .limit(limit)
    )
    if lock:
        stmt = stmt.with_for_update(skip_locked=True, of=Fulfilment)
    # Our own rows, read by the thousand: built without validating them again.
    return [
        Candidate.model_construct(
            fulfilment_id=fid,
            express=bool(express),
            pick_due_at=due,
            lines=[
                CandidateLine.model_construct(
                    line_id=line["line_id"], sku=line["sku"], quantity=int(line["quantity"])
                )
                for line in lines
            ],
        )
        for fid, express, due, lines in session.execute(stmt)
    ]


def places(session: Session, location_id: str, skus: Sequence[str]) -> dict[str, ProductPlace]:
    """The products of these SKUs with their category and, where set, their place here."""
    stmt = (
        columns(
            col(Product.sku),
            col(Product.category),
            col(ProductLocation.bin),
            col(ProductLocation.zone),
            col(ProductLocation.walk_order),
        )
        .select_from(Product)
        .outerjoin(
            ProductLocation,
            and_(
                col(ProductLocation.sku) == col(Product.sku),
                col(ProductLocation.location_id) == location_id,
            ),
        )
        .where(_one_of(session, col(Product.sku), sorted(set(skus))))
    )
    return {
        sku: ProductPlace.model_construct(
            sku=sku, category=category, bin=bin_, zone=zone, walk_order=walk
        )
        for sku, category, bin_, zone, walk in session.execute(stmt)
    }


def store(
    session: Session,
    *,
    wave: PickWave,
    lines: Sequence[WaveLine],
    fulfilment_ids: Sequence[str],
) -> None:
    """Write the wave, its lines, and mark its fulfilments as taken. Raises ``WaveTaken``
    (the caller rolls back) when one of them was taken by another wave meanwhile."""
    session.add(wave)
    session.flush()
    rows = [{"wave_id": wave.id, **line.model_dump()} for line in lines]
    if rows and _postgresql(session):
        session.execute(_LINES_FROM_JSON, {"rows": json.dumps(rows)})
    elif rows:
        # Core, not ORM objects: a wave has a hundred lines or more.
        session.connection().execute(insert(PickWaveLine.__table__), rows)  # type: ignore[attr-defined]
    taken = session.execute(
        update(Fulfilment)
        .where(
            _one_of(session, col(Fulfilment.id), fulfilment_ids), col(Fulfilment.wave_id).is_(None)
        )
        .values(wave_id=wave.id)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != len(fulfilment_ids):  # type: ignore[attr-defined]
        raise WaveTaken(wave.id)


def get(session: Session, wave_id: str, *, for_update: bool = False) -> PickWave | None:
    if not for_update:
        return session.get(PickWave, wave_id)
    stmt = select(PickWave).where(col(PickWave.id) == wave_id).with_for_update()
    return session.exec(stmt).first()


def lines_of(session: Session, wave_id: str) -> list[PickWaveLine]:
    stmt = select(PickWaveLine).where(col(PickWaveLine.wave_id) == wave_id)
    return list(session.exec(stmt.order_by(col(PickWaveLine.seq))))


def members(session: Session, wave_id: str) -> list[Fulfilment]:
    """The fulfilments the wave took, by id."""
    stmt = select(Fulfilment).where(col(Fulfilment.wave_id) == wave_id)
    return list(session.exec(stmt.order_by(col(Fulfilment.id))))


def for_location(
    session: Session,
    location_id: str,
    *,
    status: WaveStatus | None,
    limit: int,
    offset: int,
) -> list[PickWave]:
    stmt = select(PickWave).where(col(PickWave.location_id) == location_id)
    if status is not None:
        stmt = stmt.where(col(PickWave.status) == status)
    stmt = stmt.order_by(col(PickWave.created_at), col(PickWave.id))
    return list(session.exec(stmt.offset(offset).limit(limit)))


def claim(session: Session, wave_id: str, picker: str, at: datetime) -> bool:
    """Give an open wave to one picker; False when it is not open any more."""
    result = session.execute(
        update(PickWave)
        .where(col(PickWave.id) == wave_id, col(PickWave.status) == WaveStatus.OPEN)
        .values(status=WaveStatus.CLAIMED, picker=picker, claimed_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release(session: Session, wave_id: str, fulfilment_ids: Sequence[str]) -> None:
    """Let these fulfilments of a finished wave (their pick refused) into a later wave."""
    if fulfilment_ids:
        session.execute(
            update(Fulfilment)
            .where(
                col(Fulfilment.wave_id) == wave_id,
                col(Fulfilment.status) == FulfilmentStatus.AWAITING_PICK,
                _one_of(session, col(Fulfilment.id), fulfilment_ids),
            )
            .values(wave_id=None)
            .execution_options(synchronize_session=False)
        )


def save_picks(session: Session, wave: PickWave, picks: dict[str, Any]) -> None:
    wave.picks = picks
    session.add(wave)


def save_outcomes(session: Session, wave: PickWave, outcomes: dict[str, Any], done: bool) -> None:
    """What the sort did for each fulfilment; once each has its outcome the wave is over."""
    wave.outcomes = outcomes
    if done:
        wave.status = WaveStatus.SORTED
        wave.sorted_at = utcnow()
    session.add(wave)
