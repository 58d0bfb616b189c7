"""Cart holds in the database: each hold's units are reservation ledger entries whose order
id is ``cart:<cart id>``, taken and freed through ``oms.db.inventory`` like an order's.

Every move of a hold locks its row first, so a re-PUT, a release, an expiry and an order
converting the hold never interleave on the same cart; a hold that is no longer ``held`` is
never released twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from oms.db import inventory
from oms.db.engine import Database
from oms.db.tables import CartHold, Reservation
from oms.db.tables.base import as_utc as as_utc  # re-exported: callers import it from here
from oms.domain.cart_holds import (
    HeldLine,
    HoldStatus,
)
from oms.domain.ledger import LIVE
from oms.domain.sourcing import Allocation
from oms.keys import cart_hold_step_key, cart_ledger_id

# How many due holds one sweep expires; the rest wait for the next sweep.
SWEEP_LIMIT = 500


def held_lines(row: CartHold) -> list[HeldLine]:
    return [HeldLine.model_validate(line) for line in row.lines]


def get(session: Session, cart_id: str, *, lock: bool = False) -> CartHold | None:
    stmt = select(CartHold).where(CartHold.id == cart_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def store(
    session: Session,
    row: CartHold | None,
    *,
    cart_id: str,
    channel: str,
    lines: list[HeldLine],
    expires_at: datetime,
    now: datetime,
) -> CartHold:
    """Reserve the held lines in the ledger until ``expires_at`` and write the hold's row
    (``row``: the cart's row if it has one, locked by ``get``)."""
    inventory.reserve(
        session,
        order_id=cart_ledger_id(cart_id),
        # A new key per placement: the entries of a replaced hold stay in the ledger, released.
        step_key=cart_hold_step_key(cart_id, uuid.uuid4().hex),
        allocations=[
            Allocation(location_id=p.location_id, line_id=line.sku, sku=line.sku, qty=p.quantity)
            for line in lines
            for p in line.locations
        ],
        expires_at=expires_at,
    )
    if row is None:
        row = CartHold(
            id=cart_id,
            channel=channel,
            status=HoldStatus.HELD.value,
            lines=[],
            expires_at=expires_at,
            created_at=now,
        )
    row.channel = channel
    row.status = HoldStatus.HELD.value
    row.lines = [line.model_dump(mode="json") for line in lines]
    row.expires_at = expires_at
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


def set_deadline(session: Session, row: CartHold, expires_at: datetime, now: datetime) -> None:
    row.expires_at, row.updated_at = expires_at, now
    session.add(row)
    session.execute(
        update(Reservation)
        .where(
            col(Reservation.order_id) == cart_ledger_id(row.id),
            col(Reservation.status).in_(LIVE),
        )
        .values(expires_at=expires_at)
    )
    session.flush()


def _end(session: Session, row: CartHold, status: HoldStatus, now: datetime) -> int:
    units = inventory.release(session, order_id=cart_ledger_id(row.id))
    row.status, row.updated_at = status.value, now
    session.add(row)
    session.flush()
    return units


def release(session: Session, cart_id: str, now: datetime) -> CartHold | None:
    """The storefront lets the cart's stock go. Idempotent; None when there never was a hold."""
    row = get(session, cart_id, lock=True)
    if row is not None and row.status == HoldStatus.HELD.value:
        _end(session, row, HoldStatus.RELEASED, now)
    return row


def expire(session: Session, cart_id: str, now: datetime) -> CartHold | None:
    """Free the hold if it is still held and due at ``now``; else leave it as it is."""
    row = get(session, cart_id, lock=True)
    if row is not None and row.status == HoldStatus.HELD.value and as_utc(row.expires_at) <= now:
        _end(session, row, HoldStatus.EXPIRED, now)
    return row


def expire_due(session: Session, now: datetime, *, limit: int | None = None) -> list[str]:
    """Expire up to ``limit`` (SWEEP_LIMIT) holds whose deadline has passed, whatever became
    of their timers; the cart ids expired. Holds another transaction is moving are left for
    the next sweep."""
    stmt = (
        select(CartHold)
        .where(CartHold.status == HoldStatus.HELD.value, col(CartHold.expires_at) <= now)
        .order_by(col(CartHold.expires_at), col(CartHold.id))
        .limit(SWEEP_LIMIT if limit is None else limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.exec(stmt).all())
    # All their positions at once, in reserve()'s order: releasing hold after hold would
    # take them in several runs, and could deadlock with a hold being placed.
    inventory.lock_positions(session, {line.sku for row in rows for line in held_lines(row)})
    for row in rows:
        _end(session, row, HoldStatus.EXPIRED, now)
    return [row.id for row in rows]


def sweep(db: Database, now: datetime) -> int:
    """One sweep in its own transaction: how many holds it expired (SWEEP_LIMIT at most)."""
    with db.session() as s:
        return len(expire_due(s, now))


def convert(session: Session, cart_id: str, now: datetime, *, skus: Iterable[str] = ()) -> int:
    """An order takes over the cart: the hold's units go back to stock for the order to
    reserve in the same transaction, and the hold reads ``converted``. The units freed.

    ``skus``: what the order will reserve next, locked now with the hold's own positions so
    that the release and the reservation take their locks in one run, in one order.
    """
    row = get(session, cart_id, lock=True)
    if row is None or row.status != HoldStatus.HELD.value:
        return 0
    inventory.lock_positions(session, {line.sku for line in held_lines(row)} | set(skus))
    return _end(session, row, HoldStatus.CONVERTED, now)
