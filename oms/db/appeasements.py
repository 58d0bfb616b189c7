"""Appeasements in the database: their rows, the claims their refunds take on the order's
captures (``oms.db.refund_claims``, with the returns' refunds), and the events they write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from oms.db import outbox, refund_claims
from oms.db.tables import AppeasementRow, PaymentLedgerEntry, utcnow
from oms.domain.appeasements import (
    APPEASEMENT_FAILED,
    APPEASEMENT_GRANTED,
    UNANSWERED,
    AppeasementStatus,
)
from oms.domain.refunds import RefundPart
from oms.gateway_keys import (
    appeasement_refund_for,
    appeasement_refund_prefix,
    refund_appeasement,
    refund_key,
)
from oms.keys import appeasement_event_id, appeasement_id, appeasement_seq


def get(session: Session, appeasement_id: str) -> AppeasementRow | None:
    return session.get(AppeasementRow, appeasement_id)


def for_order(session: Session, order_id: str) -> list[AppeasementRow]:
    stmt = (
        select(AppeasementRow)
        .where(AppeasementRow.order_id == order_id)
        .order_by(col(AppeasementRow.created_at), col(AppeasementRow.id))
    )
    return list(session.exec(stmt))


def by_token(session: Session, token: str) -> AppeasementRow | None:
    """The appeasement a request under an Idempotency-Key made (its token)."""
    stmt = select(AppeasementRow).where(AppeasementRow.idempotency_token == token)
    return session.exec(stmt).first()


def pending_before(session: Session, before: datetime) -> list[AppeasementRow]:
    """The appeasements granted before ``before`` that no run has taken yet (``pending``)."""
    stmt = select(AppeasementRow).where(
        AppeasementRow.status == AppeasementStatus.PENDING.value,
        col(AppeasementRow.created_at) < before,
    )
    return list(session.exec(stmt.order_by(col(AppeasementRow.created_at))))


def next_id(session: Session, order_id: str) -> str:
    """``<order>.A<n>``, one more than the order's highest: an id is never given twice (one
    whose run could not start stays, failed)."""
    ids = session.exec(select(AppeasementRow.id).where(AppeasementRow.order_id == order_id))
    taken = [n for n in (appeasement_seq(order_id, i) for i in ids) if n is not None]
    return appeasement_id(order_id, max(taken, default=0) + 1)


def _mine(row: AppeasementRow) -> str:
    return appeasement_refund_prefix(row.order_id, row.id)


def claim(session: Session, row: AppeasementRow) -> list[RefundPart]:
    """The parts of the order's captures the appeasement's refund takes, claimed once (the
    order's row locked): the same parts on every call."""
    return refund_claims.claim(
        session,
        row.order_id,
        mine=_mine(row),
        key_for=lambda capture: refund_key(row.order_id, appeasement_refund_for(row.id, capture)),
        amount=row.amount,
    )


def pending_parts(session: Session, appeasement_id: str) -> list[RefundPart] | None:
    """The parts its refund claimed, while it is not at its end, the row marked ``refunding``
    (taken by its run: the API can no longer withdraw it), the order's row locked so the API
    cannot withdraw it meanwhile; None when it is at its end (withdrawn), or not stored."""
    row = session.get(AppeasementRow, appeasement_id)
    if row is None:
        return None
    refund_claims.lock_order(session, row.order_id)
    session.refresh(row)
    if AppeasementStatus(row.status).is_final:
        return None
    if row.status != AppeasementStatus.REFUNDING.value:
        row.status, row.updated_at = AppeasementStatus.REFUNDING.value, utcnow()
        session.add(row)
    return claim(session, row)


def store(session: Session, row: AppeasementRow) -> list[RefundPart]:
    """Store a new appeasement and claim its refund's parts of the captures, in the caller's
    transaction (which holds the order's row: what it checked the amount against stays so)."""
    session.add(row)
    session.flush()
    return claim(session, row)


def refunded(session: Session, row: AppeasementRow) -> int:
    """What the gateway refunded of the appeasement, as the ledger says."""
    mine = _mine(row)
    stmt = select(PaymentLedgerEntry).where(
        PaymentLedgerEntry.order_id == row.order_id,
        PaymentLedgerEntry.operation == "refund",
        PaymentLedgerEntry.outcome == "succeeded",
    )
    return sum(e.amount for e in session.exec(stmt) if e.idempotency_key.startswith(mine))


def release_unpaid(session: Session, row: AppeasementRow) -> None:
    refund_claims.release_unpaid(session, row.order_id, _mine(row))


def withdraw(session: Session, appeasement_id: str, code: str) -> bool:
    """An appeasement whose run could not be started: failed with ``code``, its captures'
    parts free again, its Idempotency-Key token let go (the key asks anew). Nothing was
    refunded, so no event. Whether it was still pending: one its run has taken (the server
    started it after all), ``refunding`` or at its end, is left to its run."""
    row = session.get(AppeasementRow, appeasement_id)
    if row is None:
        return False
    refund_claims.lock_order(session, row.order_id)
    session.refresh(row)
    if row.status != AppeasementStatus.PENDING.value:
        return False
    release_unpaid(session, row)
    row.status, row.code, row.idempotency_token = AppeasementStatus.FAILED.value, code, None
    row.updated_at = row.completed_at = utcnow()
    session.add(row)
    return True


def refund_reversed(session: Session, refund_key: str, code: str) -> None:
    """The gateway says a refund it had answered as done failed (a late notice, the ledger
    already says refused): the appeasement it was for, if it is at its end, refunded what the
    ledger now says, ``failed`` with the gateway's ``code`` when that is short of its amount
    (``payment.refund_failed`` tells finance). One still refunding reads the ledger at its
    end."""
    appeasement = refund_appeasement(refund_key)
    row = session.get(AppeasementRow, appeasement) if appeasement is not None else None
    if row is None or not AppeasementStatus(row.status).is_final:
        return
    row.refunded = refunded(session, row)
    if row.refunded < row.amount:
        row.status, row.code = AppeasementStatus.FAILED.value, code
    row.updated_at = utcnow()
    session.add(row)


def payload(row: AppeasementRow) -> dict[str, Any]:
    """What an appeasement's events carry (never its note: customer service's own words)."""
    return {
        "appeasement_id": row.id,
        "order_id": row.order_id,
        "status": row.status,
        "amount": row.amount,
        "refunded": row.refunded,
        "currency": row.currency,
        "reason_code": row.reason_code,
        "line_id": row.line_id,
        "code": row.code,
    }


def record(
    session: Session, appeasement_id: str, status: AppeasementStatus, code: str | None
) -> AppeasementRow | None:
    """Bring the row to its end as its run saw it, with what the ledger says was refunded (a refused
    one's unpaid claims let go; not one whose refund the gateway never answered: its run was
    cancelled or failed, the parts may have been paid), and write its event once; None when there is
    no row. The ledger's word stands: what the gateway refunded in full is refunded, whatever cut
    the run short, and so is a run the API gave up on that refunded after all."""
    row = session.get(AppeasementRow, appeasement_id)
    if row is None:
        return None
    row.refunded = refunded(session, row)
    if row.refunded >= row.amount:
        status, code = AppeasementStatus.REFUNDED, None
    if status is AppeasementStatus.FAILED and code not in UNANSWERED:
        release_unpaid(session, row)
    row.status, row.code = status.value, code
    row.updated_at = utcnow()
    row.completed_at = row.completed_at or row.updated_at
    session.add(row)
    event = APPEASEMENT_GRANTED if status is AppeasementStatus.REFUNDED else APPEASEMENT_FAILED
    outbox.emit(
        session,
        event_id=appeasement_event_id(event, row.id),
        type=event,
        order_id=row.order_id,
        payload=payload(row),
    )
    return row
