"""Units scanned for fulfilments' steps (``fulfilment_scans``)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms.db.tables import Fulfilment, FulfilmentScan, utcnow


def lock(session: Session, fulfilment_id: str) -> Fulfilment | None:
    """The fulfilment's row, locked until the transaction ends: two scans of the last unit
    at once must not both count."""
    stmt = select(Fulfilment).where(col(Fulfilment.id) == fulfilment_id).with_for_update()
    return session.exec(stmt).first()


def counts(session: Session, fulfilment_id: str, step: str) -> dict[str, int]:
    """Units scanned for the step, per line id."""
    stmt = (
        select(col(FulfilmentScan.line_id), func.count())
        .where(col(FulfilmentScan.fulfilment_id) == fulfilment_id, col(FulfilmentScan.step) == step)
        .group_by(col(FulfilmentScan.line_id))
    )
    return {line_id: int(n) for line_id, n in session.exec(stmt)}


def add(
    session: Session,
    *,
    fulfilment_id: str,
    step: str,
    line_id: str,
    sku: str,
    barcode: str,
    actor: str,
) -> None:
    session.add(
        FulfilmentScan(
            fulfilment_id=fulfilment_id,
            step=step,
            line_id=line_id,
            sku=sku,
            barcode=barcode,
            actor=actor,
            scanned_at=utcnow(),
        )
    )
    session.flush()
