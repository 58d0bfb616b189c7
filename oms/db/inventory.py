"""Inventory positions and the reservation ledger.

Every change to ``reserved`` goes with a ledger entry in the same transaction, so that
``reserved`` always equals the sum of a position's live (held or committed) entries. Taking a
reservation is a single conditional UPDATE that cannot take availability below zero: the
database re-checks ``on_hand - reserved >= qty`` on the row it locks, under any concurrency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from oms.db.tables import InventoryEvent, InventoryPosition, Reservation, utcnow
from oms.domain.fulfilment import FulfilmentLine
from oms.domain.ledger import LIVE, ReservationStatus
from oms.domain.reason_codes import StockEffect, stock_change
from oms.domain.sourcing import Allocation


class InsufficientStock(Exception):
    """Another order took the stock between planning and reserving: plan again."""

    def __init__(self, sku: str, location_id: str, qty: int) -> None:
        super().__init__(f"cannot reserve {qty} x {sku} at {location_id}")
        self.sku = sku
        self.location_id = location_id
        self.qty = qty


def lock_positions(session: Session, skus: Iterable[str]) -> None:
    """Lock every position of these SKUs before reading their ATP, in the order reserve() takes
    them: a concurrent order or hold for the same SKUs waits, then reads what this one took,
    so two can never both count the same unit or eat into safety stock together (reserve()'s
    own check stops only at zero). SQLite already runs one writer at a time."""
    session.execute(
        select(InventoryPosition.sku, InventoryPosition.location_id)
        .where(col(InventoryPosition.sku).in_(sorted(set(skus))))
        .order_by(col(InventoryPosition.sku), col(InventoryPosition.location_id))
        .with_for_update()
    ).all()


def reservations_for_step(session: Session, step_key: str) -> list[Reservation]:
    """The step's entries, locked until the transaction ends: moves on them happen once."""
    stmt = (
        select(Reservation)
        .where(Reservation.step_key == step_key)
        .order_by(col(Reservation.id))
        .with_for_update()
    )
    return list(session.exec(stmt))


def reserve(
    session: Session,
    *,
    order_id: str,
    step_key: str,
    allocations: list[Allocation],
    expires_at: datetime | None = None,
) -> list[Reservation]:
    """Hold stock for each allocation, all or nothing (the caller's transaction).

    Raises:
        InsufficientStock: a position no longer has the quantity; nothing is held.
    """
    now = utcnow()
    entries: list[Reservation] = []
    # A fixed order of row locks keeps concurrent multi-line reservations free of deadlocks.
    for a in sorted(allocations, key=lambda a: (a.sku, a.location_id, a.line_id)):
        result = session.execute(
            update(InventoryPosition)
            .where(
                col(InventoryPosition.sku) == a.sku,
                col(InventoryPosition.location_id) == a.location_id,
                col(InventoryPosition.on_hand) - col(InventoryPosition.reserved) >= a.qty,
            )
            .values(reserved=col(InventoryPosition.reserved) + a.qty, updated_at=now)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise InsufficientStock(a.sku, a.location_id, a.qty)
        entry = Reservation(
            order_id=order_id,
            line_id=a.line_id,
            sku=a.sku,
            location_id=a.location_id,
            qty=a.qty,
            status=ReservationStatus.HELD,
            step_key=step_key,
            expires_at=expires_at,
        )
        session.add(entry)
        entries.append(entry)
    session.flush()
    return entries


def adjust(
    session: Session,
    sku: str,
    location_id: str,
    *,
    reserved: int = 0,
    on_hand: int = 0,
    quarantined: int = 0,
) -> bool:
    """Move a position's figures, never below 0. False when there is no such position."""
    # One UPDATE computed on the row the database locks: reading the figures first and writing
    # them back would let two orders moving the same position at once undo each other's change.
    new_reserved = col(InventoryPosition.reserved) + reserved
    new_on_hand = col(InventoryPosition.on_hand) + on_hand
    values = {
        "reserved": case((new_reserved < 0, 0), else_=new_reserved),
        "on_hand": case((new_on_hand < 0, 0), else_=new_on_hand),
        "updated_at": utcnow(),
    }
    if quarantined:
        # Never more set apart than there was on hand to take it from.
        moved = case((new_on_hand < 0, col(InventoryPosition.on_hand)), else_=-on_hand)
        values["quarantined"] = col(InventoryPosition.quarantined) + moved
    result = session.execute(
        update(InventoryPosition)
        .where(col(InventoryPosition.sku) == sku, col(InventoryPosition.location_id) == location_id)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Recount:
    """Units a short pick's reason asks to be counted again at their location."""

    order_id: str
    sku: str
    location_id: str
    units: int
    reason: str | None


def commit_pick(
    session: Session,
    *,
    step_key: str,
    location_id: str,
    lines: list[FulfilmentLine],
    stock_effects: Mapping[str, StockEffect] | None = None,
) -> list[Recount]:
    """Picked units become committed; short units are released, and their stock moves as
    their reason code's stock effect says (``stock_effects`` by line id; none when absent):
    off on-hand, into quarantine, or left for a recount (answered, for the caller to open).
    Idempotent: only held entries move."""
    effects = stock_effects or {}
    recounts: list[Recount] = []
    held = [
        r
        for r in reservations_for_step(session, step_key)
        if r.location_id == location_id and r.status == ReservationStatus.HELD
    ]
    by_line = {line.line_id: line for line in lines}
    for entry in held:
        line = by_line.get(entry.line_id)
        if line is None or line.picked is None:
            continue
        keep = min(entry.qty, line.picked)
        short = entry.qty - keep
        now = utcnow()
        if keep:
            entry.qty, entry.status, entry.updated_at = keep, ReservationStatus.COMMITTED, now
            session.add(entry)
        else:
            entry.status, entry.updated_at = ReservationStatus.RELEASED, now
            session.add(entry)
        if short:
            if keep:
                session.add(
                    Reservation(
                        order_id=entry.order_id,
                        line_id=entry.line_id,
                        sku=entry.sku,
                        location_id=entry.location_id,
                        qty=short,
                        status=ReservationStatus.RELEASED,
                        step_key=entry.step_key,
                        part=1,
                    )
                )
            change = stock_change(effects.get(line.line_id, StockEffect.NONE), short)
            adjust(
                session,
                entry.sku,
                entry.location_id,
                reserved=-short,
                on_hand=change.on_hand,
                quarantined=change.quarantined,
            )
            if change.recount:
                recounts.append(
                    Recount(entry.order_id, entry.sku, entry.location_id, short, line.short_reason)
                )
    session.flush()
    return recounts


def consume(session: Session, *, step_key: str, location_id: str) -> int:
    """Goods left the location: committed entries are consumed and on-hand comes down."""
    units = 0
    for entry in reservations_for_step(session, step_key):
        if entry.location_id != location_id or entry.status != ReservationStatus.COMMITTED:
            continue
        entry.status, entry.updated_at = ReservationStatus.CONSUMED, utcnow()
        session.add(entry)
        adjust(session, entry.sku, entry.location_id, reserved=-entry.qty, on_hand=-entry.qty)
        units += entry.qty
    session.flush()
    return units


def consume_part(
    session: Session, *, step_key: str, location_id: str, units: Mapping[str, int], part: int
) -> int:
    """Some committed units left the location (a collection): per line, they are split off as
    a consumed entry of ``part`` (the whole entry consumed when they are all it holds) and
    on-hand comes down. Idempotent: a line whose part exists, or with nothing committed, is
    left as it is."""
    entries = [r for r in reservations_for_step(session, step_key) if r.location_id == location_id]
    done = {r.line_id for r in entries if r.part == part}
    moved = 0
    for line_id, wanted in sorted(units.items()):
        entry = next(
            (
                r
                for r in entries
                if r.line_id == line_id and r.status == ReservationStatus.COMMITTED
            ),
            None,
        )
        if line_id in done or entry is None or wanted <= 0:
            continue
        take, now = min(wanted, entry.qty), utcnow()
        if take == entry.qty:
            entry.status, entry.updated_at = ReservationStatus.CONSUMED, now
        else:
            entry.qty, entry.updated_at = entry.qty - take, now
            session.add(
                Reservation(
                    order_id=entry.order_id,
                    line_id=line_id,
                    sku=entry.sku,
                    location_id=location_id,
                    qty=take,
                    status=ReservationStatus.CONSUMED,
                    step_key=step_key,
                    part=part,
                )
            )
        session.add(entry)
        adjust(session, entry.sku, location_id, reserved=-take, on_hand=-take)
        moved += take
    session.flush()
    return moved


def release(
    session: Session,
    *,
    order_id: str,
    step_key: str | None = None,
    location_id: str | None = None,
    picked_effect: StockEffect | None = None,
) -> int:
    """Release live entries of an order (optionally of one step and location). Idempotent.

    ``picked_effect``: what becomes of units already picked (committed entries), by a
    cancellation's reason code: ``write_off`` takes them off on hand, ``quarantine`` moves
    them into the quarantined figure; otherwise they are back in stock."""
    stmt = select(Reservation).where(
        Reservation.order_id == order_id, col(Reservation.status).in_(LIVE)
    )
    if step_key is not None:
        stmt = stmt.where(Reservation.step_key == step_key)
    if location_id is not None:
        stmt = stmt.where(Reservation.location_id == location_id)
    # Positions are locked in the same order as reserve() takes them: no deadlock between two.
    # FOR UPDATE: a second release of the same entries (a retried activity racing the first)
    # waits, then finds them no longer live, so nothing is released twice.
    stmt = stmt.order_by(
        col(Reservation.sku), col(Reservation.location_id), col(Reservation.id)
    ).with_for_update()
    units = 0
    for entry in session.exec(stmt):
        picked = entry.status == ReservationStatus.COMMITTED
        entry.status, entry.updated_at = ReservationStatus.RELEASED, utcnow()
        session.add(entry)
        change = stock_change(picked_effect, entry.qty) if picked and picked_effect else None
        if change is not None and not change.recount:
            adjust(
                session,
                entry.sku,
                entry.location_id,
                reserved=-entry.qty,
                on_hand=change.on_hand,
                quarantined=change.quarantined,
            )
        else:
            adjust(session, entry.sku, entry.location_id, reserved=-entry.qty, on_hand=0)
        units += entry.qty
    session.flush()
    return units


def live_reserved(session: Session, sku: str, location_id: str) -> int:
    """Sum of the live ledger entries of one position (what ``reserved`` must equal)."""
    stmt = select(func.coalesce(func.sum(Reservation.qty), 0)).where(
        Reservation.sku == sku,
        Reservation.location_id == location_id,
        col(Reservation.status).in_(LIVE),
    )
    return int(session.exec(stmt).one())


def receive_once(
    session: Session,
    *,
    event_id: str,
    sku: str,
    location_id: str,
    on_hand: int = 0,
    quarantined: int = 0,
) -> bool:
    """Units coming back into a location (on hand, or set apart), once per inventory event
    id; the position is made when the location never held the SKU. False when the event was
    applied before."""
    if session.get(InventoryEvent, event_id) is not None:
        return False
    position = session.get(InventoryPosition, (sku, location_id))
    if position is None:
        position = InventoryPosition(sku=sku, location_id=location_id)
    position.on_hand += on_hand
    position.quarantined = (position.quarantined or 0) + quarantined
    position.updated_at = utcnow()
    session.add(position)
    session.add(InventoryEvent(event_id=event_id, sku=sku, location_id=location_id, delta=on_hand))
    return True


def restock(session: Session, *, key: str, location_id: str, units: Mapping[str, int]) -> int:
    """Put units back on hand at a location, once per ``key`` and SKU (an inventory event
    each); how many were new."""
    added = 0
    for sku, qty in units.items():
        if qty > 0 and receive_once(
            session, event_id=f"{key}:{sku}", sku=sku, location_id=location_id, on_hand=qty
        ):
            added += qty
    session.flush()
    return added
