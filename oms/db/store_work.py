"""A location's open work from the read model, soonest due first, a page at a time.

Three keyset-paged queries, each reading at most a page plus one in its index's order, merged:
the fulfilments' open work (``fulfilments.work_kind`` and ``work_due_at``, written with each
row, by ``ix_fulfilments_work``), the open waves with the soonest due time of the fulfilments
they took, and the open service (vas) tasks. A fulfilment in an open wave is the wave's item;
one at its vas step is its tasks' items.
"""

from __future__ import annotations

import base64
import heapq
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, nulls_last, or_, true
from sqlalchemy import select as columns
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from oms.db.tables import Fulfilment, ManualTask, PickWave
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.fulfilment_profiles import StepType
from oms.domain.fulfilment_steps import StepState
from oms.domain.store_work import FROM_FULFILMENTS, WorkItem, WorkKind, sort_key, work_of
from oms.domain.tasks import TaskKind, TaskStatus
from oms.domain.waves import WaveStatus


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last item's due time (None: the items without one) and id."""

    due_at: datetime | None
    item_id: str


def _utc(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def encode_cursor(item: WorkItem) -> str:
    due = item.due_at.astimezone(UTC).isoformat() if item.due_at else ""
    return base64.urlsafe_b64encode(f"{due}|{item.id}".encode()).decode()


def decode_cursor(cursor: str) -> Cursor:
    """Raises ValueError on a cursor this service did not issue."""
    try:
        due, item_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return Cursor(_utc(datetime.fromisoformat(due)) if due else None, item_id)
    except Exception as exc:
        raise ValueError("not a cursor issued by this API") from exc


def _bytewise(session: Session, ident: Any) -> Any:
    """Ids compared as Python compares them, whatever the database's collation: the three
    sources are merged here in the order they were read."""
    return ident.collate("C") if session.get_bind().dialect.name == "postgresql" else ident


def _after(due: Any, ident: Any, cursor: Cursor | None) -> ColumnElement[bool]:
    """Past the cursor in the order soonest due first, no due time last, then by id."""
    if cursor is None:
        return true()
    if cursor.due_at is None:
        return and_(due.is_(None), ident > cursor.item_id)
    return or_(
        due > cursor.due_at, and_(due == cursor.due_at, ident > cursor.item_id), due.is_(None)
    )


def page(
    session: Session,
    location_id: str,
    *,
    now: datetime,
    limit: int,
    cursor: Cursor | None = None,
    kind: WorkKind | None = None,
) -> tuple[list[WorkItem], bool]:
    """Up to ``limit`` items after the cursor, soonest due first, and whether more follow."""
    sources = []
    if kind is None or kind in FROM_FULFILMENTS:
        sources.append(_fulfilments(session, location_id, now, limit + 1, cursor, kind))
    if kind in (None, WorkKind.WAVE_TO_PICK):
        sources.append(_waves(session, location_id, now, limit + 1, cursor))
    if kind in (None, WorkKind.SERVICE_TO_DO):
        sources.append(_services(session, location_id, now, limit + 1, cursor))
    items = list(heapq.merge(*sources, key=sort_key))[: limit + 1]
    return items[:limit], len(items) > limit


def _fulfilments(
    session: Session,
    location_id: str,
    now: datetime,
    limit: int,
    cursor: Cursor | None,
    kind: WorkKind | None,
) -> list[WorkItem]:
    f = Fulfilment
    due, ident, work = col(f.work_due_at), _bytewise(session, col(f.id)), col(f.work_kind)
    stmt = columns(col(f.id), col(f.order_id), col(f.status), col(f.steps), col(f.pick_due_at), due)
    stmt = stmt.where(
        col(f.location_id) == location_id,
        work.is_not(None),
        work != WorkKind.SERVICE_TO_DO,
        # Picked with its wave.
        or_(col(f.wave_id).is_(None), work != WorkKind.FULFILMENT_TO_PICK),
        _after(due, ident, cursor),
    )
    if kind is not None:
        stmt = stmt.where(work == kind)
    stmt = stmt.order_by(nulls_last(due.asc()), ident).limit(limit)
    out = []
    for fid, order_id, status, steps, pick_due, due_at in session.execute(stmt):
        found = work_of(
            FulfilmentStatus(status), [StepState.model_validate(s) for s in steps], pick_due
        )
        if found is None:  # the row's work as last written, and nothing left since
            continue
        due_at = _utc(due_at)
        out.append(
            WorkItem(
                kind=found.kind,
                id=fid,
                due_at=due_at,
                overdue=due_at is not None and due_at < now,
                step=found.step.key if found.step else None,
                step_type=found.step_type,
                order_id=order_id,
                fulfilment_id=fid,
            )
        )
    return out


def _waves(
    session: Session, location_id: str, now: datetime, limit: int, cursor: Cursor | None
) -> list[WorkItem]:
    w, f = PickWave, Fulfilment
    members = and_(
        col(f.wave_id) == col(w.id), col(f.status) == FulfilmentStatus.AWAITING_PICK.value
    )
    inner = (
        columns(
            col(w.id).label("id"),
            col(w.status).label("status"),
            col(w.picker).label("picker"),
            col(w.fulfilment_count).label("size"),
            func.min(col(f.work_due_at)).label("due_at"),
        )
        .select_from(w)
        .outerjoin(f, members)
        .where(
            col(w.location_id) == location_id,
            col(w.status).in_([WaveStatus.OPEN.value, WaveStatus.CLAIMED.value]),
        )
        .group_by(col(w.id), col(w.status), col(w.picker), col(w.fulfilment_count))
        .subquery()
    )
    due, ident = inner.c.due_at, _bytewise(session, inner.c.id)
    stmt = (
        columns(inner)
        .where(_after(due, ident, cursor))
        .order_by(nulls_last(due.asc()), ident)
        .limit(limit)
    )
    out = []
    for wave_id, status, picker, size, due_at in session.execute(stmt):
        due_at = _utc(due_at)
        out.append(
            WorkItem(
                kind=WorkKind.WAVE_TO_PICK,
                id=wave_id,
                due_at=due_at,
                overdue=due_at is not None and due_at < now,
                step_type=StepType.PICK,
                wave_id=wave_id,
                wave_status=WaveStatus(status),
                picker=picker,
                fulfilment_count=size,
            )
        )
    return out


def _services(
    session: Session, location_id: str, now: datetime, limit: int, cursor: Cursor | None
) -> list[WorkItem]:
    t = ManualTask
    due, ident = col(t.due_at), _bytewise(session, col(t.id))
    stmt = (
        columns(col(t.id), col(t.order_id), col(t.payload), due)
        .where(
            col(t.location_id) == location_id,
            col(t.kind) == TaskKind.VAS.value,
            col(t.status) == TaskStatus.OPEN.value,
            _after(due, ident, cursor),
        )
        .order_by(nulls_last(due.asc()), ident)
        .limit(limit)
    )
    out = []
    for task_id, order_id, payload, due_at in session.execute(stmt):
        due_at = _utc(due_at)
        out.append(
            WorkItem(
                kind=WorkKind.SERVICE_TO_DO,
                id=task_id,
                due_at=due_at,
                overdue=due_at is not None and due_at < now,
                step=payload.get("step"),
                step_type=StepType.VAS,
                order_id=order_id,
                fulfilment_id=payload.get("fulfilment_id"),
                task_id=task_id,
                line_id=payload.get("line_id"),
                sku=payload.get("sku"),
                service=payload.get("service"),
            )
        )
    return out
