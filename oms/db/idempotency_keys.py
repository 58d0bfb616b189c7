"""The Idempotency-Keys callers used: the request each was first used for, and when; a row
older than what the OMS keeps counts as unused (api.idempotency, docs/api.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from oms.db.tables import IdempotencyKey
from oms.db.tables.base import as_utc


@dataclass(frozen=True)
class FirstUse:
    """The other request a key was first used for (``POST /orders/{order_id}/...``)."""

    request: str
    at: datetime


def claim(
    session: Session,
    *,
    scope: str,
    key: str,
    fingerprint: str,
    request: str,
    now: datetime,
    kept: timedelta,
) -> FirstUse | None:
    """Hold the caller's key to this request. None: its first use (recorded now), or the same
    request again; otherwise the other request that holds the key, until its use is older
    than ``kept``. Of concurrent first uses one row wins (the primary key); the others are
    compared with it."""
    cutoff = now - kept
    while True:
        row = _held(session, scope, key, cutoff)
        if row is not None:
            same = row.fingerprint == fingerprint
            return None if same else FirstUse(row.request, as_utc(row.first_used_at))
        try:
            with session.begin_nested():
                # A use past its time frees the key: this request takes it.
                session.exec(delete(IdempotencyKey).where(*_of(scope, key), _until(cutoff)))
                session.add(
                    IdempotencyKey(
                        scope=scope,
                        key=key,
                        fingerprint=fingerprint,
                        request=request,
                        first_used_at=now,
                    )
                )
                session.flush()
        except IntegrityError:
            continue  # another request took it meanwhile (committed): compare with it
        return None


def forget(session: Session, *, before: datetime) -> int:
    """Delete the uses at or before ``before`` (they already count as unused); how many."""
    result = session.exec(delete(IdempotencyKey).where(_until(before)))
    return result.rowcount or 0


def _held(session: Session, scope: str, key: str, cutoff: datetime) -> IdempotencyKey | None:
    stmt = (
        select(IdempotencyKey)
        .where(*_of(scope, key), col(IdempotencyKey.first_used_at) > cutoff)
        .execution_options(populate_existing=True)
    )
    return session.exec(stmt).first()


def _of(scope: str, key: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return col(IdempotencyKey.scope) == scope, col(IdempotencyKey.key) == key


def _until(moment: datetime) -> ColumnElement[bool]:
    return col(IdempotencyKey.first_used_at) <= moment
