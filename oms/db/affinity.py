"""Co-purchase affinity kept from order history (``oms.db.affinity`` keeps,
``oms.domain.recommendations.affinity`` decides).

A refresh counts the orders placed since the last one, a batch per transaction: baskets per
product and per pair are added, the products counted marked ``stale`` and the point reached
moved together, so a batch counts once whatever is retried. Then the neighbours of every stale
product are rebuilt from the counts, ``_SLICE`` products a transaction (a refresh cut short
leaves them stale for the next). A backlog is so counted first and ranked once, not once per
batch.

Orders are read in (created_at, id) order up to ``LAG`` before now: an order whose transaction
is still open may yet appear with an earlier time, and one left behind would never count.
Every order placed counts, whatever became of it: a cancelled basket still says what goes
with what. Lifts of products not counted since keep the basket total they were computed with
(their order among themselves does not depend on it).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlmodel import Session, col

from oms.db.availability import _fetch, _marks
from oms.db.engine import Database
from oms.db.stock_updates import insert_into
from oms.db.tables import (
    AffinityNeighbour,
    AffinityRefresh,
    CopurchaseItem,
    CopurchasePair,
    Order,
)
from oms.db.tables.base import as_utc
from oms.domain.recommendations.affinity import MIN_SUPPORT, basket_counts, neighbours_of

STATE_ID = "orders"
LAG = timedelta(seconds=60)
BATCH_ORDERS = 2000
_SLICE = 500  # SKUs per IN (...): well under the bound parameters SQLite takes

ITEMS: Any = CopurchaseItem.__table__  # type: ignore[attr-defined]
PAIRS: Any = CopurchasePair.__table__  # type: ignore[attr-defined]
NEIGHBOURS: Any = AffinityNeighbour.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Batch:
    orders: int
    skus: int
    baskets: int  # every basket counted so far
    caught_up: bool


@dataclass(frozen=True)
class Refreshed:
    orders: int
    rebuilt: int  # products whose neighbours were rebuilt
    baskets: int
    caught_up: bool


def refresh(
    db: Database,
    now: Callable[[], datetime],
    *,
    max_orders: int,
    batch: int = BATCH_ORDERS,
    beat: Callable[[int], None] = lambda _n: None,
) -> Refreshed:
    """What one refresh does (AffinityRefreshWorkflow's activity, the bench, the tests): count
    batches of orders until caught up or ``max_orders`` are counted, then rebuild the
    neighbours of every product counted since (``_SLICE`` a transaction); ``beat`` after each
    transaction. Each transaction stands alone: a refresh cut short is taken up by the next."""
    orders = rebuilt = baskets = 0
    caught_up = False
    while orders < max_orders and not caught_up:
        with db.session() as s:
            counted = refresh_batch(s, now(), min(batch, max_orders - orders))
        orders, baskets, caught_up = orders + counted.orders, counted.baskets, counted.caught_up
        beat(orders)
    while True:
        with db.session() as s:
            done = rebuild_stale(s)
        rebuilt += done
        beat(orders)
        if done < _SLICE:
            return Refreshed(orders=orders, rebuilt=rebuilt, baskets=baskets, caught_up=caught_up)


def _state(session: Session) -> AffinityRefresh:
    # Locked: a second refresh (there should be none) waits instead of counting twice.
    row = session.get(AffinityRefresh, STATE_ID, with_for_update=True)
    if row is not None:
        return row
    state = AffinityRefresh(id=STATE_ID)
    session.add(state)
    session.flush()
    return state


def _next_orders(
    session: Session, state: AffinityRefresh, until: datetime, limit: int
) -> list[tuple[str, datetime, list[str]]]:
    o = Order
    stmt = select(col(o.id), col(o.created_at), col(o.payload)).where(col(o.created_at) <= until)
    if state.after_created_at is not None:
        after = as_utc(state.after_created_at)
        stmt = stmt.where(
            or_(
                col(o.created_at) > after,
                and_(col(o.created_at) == after, col(o.id) > state.after_order_id),
            )
        )
    rows = session.execute(stmt.order_by(col(o.created_at), col(o.id)).limit(limit)).all()
    return [
        (oid, created, [str(line["sku"]) for line in (payload or {}).get("lines", [])])
        for oid, created, payload in rows
    ]


def _add(
    session: Session,
    table: Any,
    keys: list[str],
    count: str,
    rows: list[dict[str, Any]],
    also: dict[str, Any] | None = None,
) -> None:
    if not rows:
        return
    stmt = insert_into(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={count: table.c[count] + stmt.excluded[count], **(also or {})}
    )
    for start in range(0, len(rows), 5000):
        session.execute(stmt, rows[start : start + 5000])


def add_counts(session: Session, items: Counter[str], pairs: Counter[tuple[str, str]]) -> None:
    """Add baskets per product and per pair (stored both ways)."""
    counted = [{"sku": k, "baskets": n, "stale": True} for k, n in items.items()]
    _add(session, ITEMS, ["sku"], "baskets", counted, {"stale": True})
    both = [{"sku": a, "other": b, "together": n} for (a, b), n in pairs.items()]
    both += [{"sku": b, "other": a, "together": n} for (a, b), n in pairs.items()]
    both.sort(key=lambda r: (r["sku"], r["other"]))  # one lock order for every writer
    _add(session, PAIRS, ["sku", "other"], "together", both)


def _items(session: Session, skus: Collection[str]) -> dict[str, int]:
    wanted = sorted(set(skus))
    out: dict[str, int] = {}
    for start in range(0, len(wanted), _SLICE):
        part = wanted[start : start + _SLICE]
        out.update(
            session.execute(select(ITEMS.c.sku, ITEMS.c.baskets).where(ITEMS.c.sku.in_(part))).all()
        )
    return out


def rebuild_neighbours(session: Session, skus: Collection[str], baskets: int) -> None:
    """Replace the stored neighbours of these products by what the counts say now."""
    wanted = sorted(set(skus))
    for start in range(0, len(wanted), _SLICE):
        part = wanted[start : start + _SLICE]
        together: dict[str, dict[str, int]] = {sku: {} for sku in part}
        for sku, other, n in session.execute(
            select(PAIRS.c.sku, PAIRS.c.other, PAIRS.c.together).where(
                PAIRS.c.sku.in_(part), PAIRS.c.together >= MIN_SUPPORT
            )
        ):
            together[sku][other] = n
        items = _items(session, {*part, *(o for t in together.values() for o in t)})
        session.execute(delete(NEIGHBOURS).where(NEIGHBOURS.c.sku.in_(part)))
        rows = [
            {"sku": n.sku, "rank": n.rank, "neighbour": n.neighbour, "together": n.together,
             "lift": n.lift}
            for sku in part
            for n in neighbours_of(sku, together[sku], items, baskets)
        ]  # fmt: skip
        if rows:
            session.execute(insert(NEIGHBOURS), rows)
        session.execute(update(ITEMS).where(ITEMS.c.sku.in_(part)).values(stale=False))


def rebuild_stale(session: Session, limit: int = _SLICE) -> int:
    """Rebuild the neighbours of up to ``limit`` products counted since theirs were built
    (``stale``); how many."""
    state = _state(session)
    skus = [
        sku
        for (sku,) in session.execute(
            select(ITEMS.c.sku).where(ITEMS.c.stale.is_(True)).order_by(ITEMS.c.sku).limit(limit)
        )
    ]
    if skus:
        rebuild_neighbours(session, skus, state.baskets)
    return len(skus)


def refresh_batch(session: Session, now: datetime, limit: int = BATCH_ORDERS) -> Batch:
    """Count the next ``limit`` orders (see the module), marking the products they hold
    stale; what it read."""
    state = _state(session)
    read = _next_orders(session, state, now - LAG, limit)
    n, items, pairs = basket_counts(skus for _id, _at, skus in read)
    if read:
        add_counts(session, items, pairs)
        state.baskets += n
        state.after_order_id, state.after_created_at = read[-1][0], read[-1][1]
    state.refreshed_at = now
    session.add(state)
    session.flush()
    return Batch(
        orders=len(read), skus=len(items), baskets=state.baskets, caught_up=len(read) < limit
    )


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Linked:
    """What is known of the anchors: each one's given relations and learnt neighbours."""

    relations: dict[str, list[dict[str, Any]]]
    neighbours: dict[str, list[tuple[str, int, float]]]  # anchor -> (sku, together, lift)


def links_of(session: Session, anchors: Iterable[str]) -> Linked:
    """Two indexed reads, plain SQL as ATP lookups read (``oms.db.availability``): the
    anchors' relations (``products.relations``) and their stored neighbours, best first."""
    wanted = sorted(set(anchors))
    marks = _marks(wanted)
    relations = {
        sku: _json(rel)
        for sku, rel in _fetch(
            session, f"SELECT sku, relations FROM products WHERE sku IN ({marks})", wanted
        )
    }
    neighbours: dict[str, list[tuple[str, int, float]]] = {}
    for sku, other, n, lift in _fetch(
        session,
        "SELECT sku, neighbour, together, lift FROM affinity_neighbours"
        f" WHERE sku IN ({marks}) ORDER BY sku, rank",
        wanted,
    ):
        neighbours.setdefault(sku, []).append((other, n, lift))
    return Linked(relations=relations, neighbours=neighbours)


def not_sold(session: Session, skus: Collection[str]) -> set[str]:
    """Those of these SKUs whose product is not sold (``active`` false)."""
    wanted = sorted(set(skus))
    if not wanted:
        return set()
    return {
        sku
        for (sku,) in _fetch(
            session,
            f"SELECT sku FROM products WHERE sku IN ({_marks(wanted)}) AND active = ?",
            [*wanted, False],
        )
    }


def _json(value: Any) -> list[dict[str, Any]]:
    # The driver's cursor hands JSON back parsed (psycopg) or as text (SQLite).
    return list(json.loads(value) if isinstance(value, str | bytes) else value or [])


def neighbours(session: Session, sku: str) -> list[tuple[str, int, float]]:
    return links_of(session, [sku]).neighbours.get(sku, [])


def counted(session: Session) -> Mapping[str, Any]:
    """How far the history was read (for the operator and the tests)."""
    row = session.get(AffinityRefresh, STATE_ID)
    if row is None:
        return {"baskets": 0, "refreshed_at": None}
    return {"baskets": row.baskets, "refreshed_at": row.refreshed_at}
