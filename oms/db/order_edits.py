"""What an order edit changes in the database: units out of a fulfilment before its pick (their
reservation released), checked against what the store has started (a wave, a scan)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms.db.inventory import adjust
from oms.db.scans import lock
from oms.db.tables import FulfilmentScan, Reservation, utcnow
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.ledger import ReservationStatus


def picking_started(session: Session, fulfilment_id: str) -> str | None:
    """Why the store has started on this fulfilment's pick (its row locked until the
    transaction ends, so a wave cannot take it meanwhile), or None when it has not."""
    row = lock(session, fulfilment_id)
    if row is None:
        return None  # not stored yet: nobody can have started on it
    if row.status != FulfilmentStatus.AWAITING_PICK.value:
        return f"the fulfilment is {row.status}"
    if row.wave_id is not None:
        return f"the fulfilment is being picked in wave {row.wave_id}"
    scanned = session.exec(
        select(func.count()).where(col(FulfilmentScan.fulfilment_id) == fulfilment_id)
    ).one()
    if scanned:
        return "units of the fulfilment have been scanned"
    return None


def release_units(
    session: Session, *, step_key: str, location_id: str, units: Mapping[str, int], part: int
) -> int:
    """Release ``units`` (by line) of the step's held entries at the location: split off as a
    released entry of ``part`` (the whole entry released when they are all it holds).
    Idempotent: a line whose part exists, or with nothing held, is left as it is."""
    entries = list(
        session.exec(
            select(Reservation)
            .where(
                Reservation.step_key == step_key,
                Reservation.location_id == location_id,
            )
            .order_by(col(Reservation.id))
            .with_for_update()
        )
    )
    done = {r.line_id for r in entries if r.part == part}
    released = 0
    for line_id, wanted in sorted(units.items()):
        entry = next(
            (r for r in entries if r.line_id == line_id and r.status == ReservationStatus.HELD),
            None,
        )
        if line_id in done or entry is None or wanted <= 0:
            continue
        take, now = min(wanted, entry.qty), utcnow()
        if take == entry.qty:
            entry.status, entry.updated_at = ReservationStatus.RELEASED, now
        else:
            entry.qty, entry.updated_at = entry.qty - take, now
            session.add(
                Reservation(
                    order_id=entry.order_id,
                    line_id=line_id,
                    sku=entry.sku,
                    location_id=location_id,
                    qty=take,
                    status=ReservationStatus.RELEASED,
                    step_key=step_key,
                    part=part,
                )
            )
        session.add(entry)
        adjust(session, entry.sku, location_id, reserved=-take)
        released += take
    session.flush()
    return released
