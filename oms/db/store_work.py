"""A location's open work from the read model, soonest due first, a page at a time.

One statement, keyset-paged: three sources each read at most a page plus one after the cursor
in their index's order, united and ordered: the fulfilments' open work (``fulfilments.work_kind``
and ``work_due_at``, written with each row, by ``ix_fulfilments_work``), the open waves with the
soonest due time of the fulfilments they took, and the open service (vas) tasks (by
``ix_tasks_location_kind_status``). A fulfilment in an open wave is the wave's item; one at its
vas step is its tasks' items.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    nulls_last,
    or_,
    true,
    union_all,
)
from sqlalchemy import select as columns
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from oms.db.tables import Fulfilment, ManualTask, PickWave
from oms.domain.fulfilment import AT_THE_STORE, FulfilmentStatus
from oms.domain.fulfilment_profiles import StepType
from oms.domain.fulfilment_steps import StepState
from oms.domain.store_work import FROM_FULFILMENTS, WorkItem, WorkKind, work_of
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


def _bytewise(postgresql: bool, ident: Any) -> Any:
    """Ids in byte order, whatever the database's collation: the cursor's comparisons and
    every sort agree, on any server."""
    return ident.collate("C") if postgresql else ident


def _after(due: Any, ident: Any, shape: str) -> ColumnElement[bool]:
    """Past the cursor in the order soonest due first, no due time last, then by id."""
    if shape == FIRST:
        return true()
    after_id = ident > bindparam("after_id")
    if shape == UNDATED:
        return and_(due.is_(None), after_id)
    after_due = bindparam("after_due", type_=DateTime(timezone=True))
    return or_(due > after_due, and_(due == after_due, after_id), due.is_(None))


# A page starts at the top, after an item with a due time, or after one without.
FIRST, DATED, UNDATED = "first", "dated", "undated"


def _shape(cursor: Cursor | None) -> str:
    return FIRST if cursor is None else DATED if cursor.due_at is not None else UNDATED


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
    postgresql = session.get_bind().dialect.name == "postgresql"
    sources = tuple(
        source
        for source, kinds in ((FULFILMENTS, FROM_FULFILMENTS), (WAVES, (WorkKind.WAVE_TO_PICK,)),
                              (SERVICES, (WorkKind.SERVICE_TO_DO,)))
        if kind is None or kind in kinds
    )  # fmt: skip
    stmt = _page_stmt(postgresql, _shape(cursor), sources, kind is not None)
    params: dict[str, Any] = {"location_id": location_id, "n": limit + 1, "kind": kind}
    if cursor is not None:
        params.update(after_id=cursor.item_id, after_due=cursor.due_at)
    rows = list(session.connection().execute(stmt, params))
    makers = {FULFILMENTS: _fulfilment_item, WAVES: _wave_item, SERVICES: _service_item}
    items = [makers[row.source](row, now) for row in rows[:limit]]
    return [item for item in items if item is not None], len(rows) > limit


# Where an item comes from: the column that tells the rows of one query apart.
FULFILMENTS, WAVES, SERVICES = "fulfilment", "wave", "service"


@lru_cache
def _page_stmt(postgresql: bool, shape: str, sources: tuple[str, ...], one_kind: bool) -> Any:
    """One statement per shape of page (its values bound at each call: building it costs more
    than the database takes to answer): each source's first rows after the cursor in its own
    index order, then the page of them all in the list's order."""
    branches = {
        FULFILMENTS: lambda: _fulfilments_stmt(postgresql, shape, one_kind),
        WAVES: lambda: _waves_stmt(postgresql, shape),
        SERVICES: lambda: _services_stmt(postgresql, shape),
    }
    parts = [columns(branches[source]().subquery()) for source in sources]
    every = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    return (
        columns(every)
        .order_by(nulls_last(every.c.due_at.asc()), _bytewise(postgresql, every.c.id))
        .limit(bindparam("n"))
    )


def _row(source: str, ident: Any, due: Any, **values: Any) -> list[Any]:
    """A source's columns as every source gives them (null where it has none)."""
    return [
        literal_column(f"'{source}'", String).label("source"),
        ident.label("id"),
        due.label("due_at"),
        *(
            (values[name] if name in values else cast(null(), type_)).label(name)
            for name, type_ in _COLUMNS.items()
        ),
    ]


# Typed, so that PostgreSQL unites a source's nulls with another's values.
_COLUMNS: dict[str, Any] = {
    "order_id": String(),
    "status": String(),
    "doc": JSON(),
    "pick_due_at": DateTime(timezone=True),
    "picker": String(),
    "size": Integer(),
}


def _item(
    kind: WorkKind, item_id: str, due_at: datetime | None, now: datetime, **more: Any
) -> WorkItem:
    due = _utc(due_at)
    return WorkItem(
        kind=kind, id=item_id, due_at=due, overdue=due is not None and due < now, **more
    )


# Each statement is built once per shape (its values are bound at each call): building one
# costs more than the database takes to answer it.


@lru_cache
def _fulfilments_stmt(postgresql: bool, shape: str, one_kind: bool) -> Any:
    f = Fulfilment
    due, ident, work = col(f.work_due_at), _bytewise(postgresql, col(f.id)), col(f.work_kind)
    stmt = columns(
        *_row(
            FULFILMENTS,
            col(f.id),
            due,
            order_id=col(f.order_id),
            status=col(f.status),
            doc=col(f.steps),
            pick_due_at=col(f.pick_due_at),
        )
    )
    at_store = [s.value for s in AT_THE_STORE]
    here = or_(
        # Its own location's work, but a transfer's once it has left for the store...
        and_(
            col(f.location_id) == bindparam("location_id"),
            or_(col(f.transfer_to).is_(None), col(f.status).not_in(at_store)),
        ),
        # ...which is the store's from then on (oms.db.fulfilments.worked_at).
        and_(col(f.transfer_to) == bindparam("location_id"), col(f.status).in_(at_store)),
    )
    stmt = stmt.where(
        here,
        work.is_not(None),
        work != WorkKind.SERVICE_TO_DO.value,
        # Picked with its wave.
        or_(col(f.wave_id).is_(None), work != WorkKind.FULFILMENT_TO_PICK.value),
        _after(due, ident, shape),
    )
    if one_kind:
        stmt = stmt.where(work == bindparam("kind"))
    return stmt.order_by(nulls_last(due.asc()), ident).limit(bindparam("n"))


def _fulfilment_item(row: Any, now: datetime) -> WorkItem | None:
    fid, order_id, status, steps, pick_due, due_at = (
        row.id, row.order_id, row.status, row.doc, row.pick_due_at, row.due_at
    )  # fmt: skip
    found = work_of(
        FulfilmentStatus(status), [StepState.model_validate(s) for s in steps], pick_due
    )
    if found is None:  # never written so: a row's work is its steps'
        return None
    return _item(
        found.kind,
        fid,
        due_at,
        now,
        step=found.step.key if found.step else None,
        step_type=found.step_type,
        order_id=order_id,
        fulfilment_id=fid,
    )


@lru_cache
def _waves_stmt(postgresql: bool, shape: str) -> Any:
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
            col(w.location_id) == bindparam("location_id"),
            col(w.status) != WaveStatus.SORTED.value,  # open or claimed
        )
        .group_by(col(w.id), col(w.status), col(w.picker), col(w.fulfilment_count))
        .subquery()
    )
    due, ident = inner.c.due_at, _bytewise(postgresql, inner.c.id)
    return (
        columns(
            *_row(
                WAVES,
                inner.c.id,
                due,
                status=inner.c.status,
                picker=inner.c.picker,
                size=inner.c.size,
            )
        )  # fmt: skip
        .where(_after(due, ident, shape))
        .order_by(nulls_last(due.asc()), ident)
        .limit(bindparam("n"))
    )


def _wave_item(row: Any, now: datetime) -> WorkItem:
    wave_id, status, picker, size, due_at = row.id, row.status, row.picker, row.size, row.due_at
    return _item(
        WorkKind.WAVE_TO_PICK,
        wave_id,
        due_at,
        now,
        step_type=StepType.PICK,
        wave_id=wave_id,
        wave_status=WaveStatus(status),
        picker=picker,
        fulfilment_count=size,
    )


@lru_cache
def _services_stmt(postgresql: bool, shape: str) -> Any:
    t = ManualTask
    due, ident = col(t.due_at), _bytewise(postgresql, col(t.id))
    return (
        columns(*_row(SERVICES, col(t.id), due, order_id=col(t.order_id), doc=col(t.payload)))
        .where(
            col(t.location_id) == bindparam("location_id"),
            col(t.kind) == TaskKind.VAS.value,
            col(t.status) == TaskStatus.OPEN.value,
            _after(due, ident, shape),
        )
        .order_by(nulls_last(due.asc()), ident)
        .limit(bindparam("n"))
    )


def _service_item(row: Any, now: datetime) -> WorkItem:
    task_id, order_id, payload, due_at = row.id, row.order_id, row.doc, row.due_at
    return _item(
        WorkKind.SERVICE_TO_DO,
        task_id,
        due_at,
        now,
        step=payload.get("step"),
        step_type=StepType.VAS,
        order_id=order_id,
        fulfilment_id=payload.get("fulfilment_id"),
        task_id=task_id,
        line_id=payload.get("line_id"),
        sku=payload.get("sku"),
        service=payload.get("service"),
    )
