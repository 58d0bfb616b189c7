"""Payment tokens kept out of workflows, and the payment ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from oms.db.tables import PaymentLedgerEntry, PaymentToken


def keep_token(session: Session, order_id: str, token: str) -> None:
    """Keep an order's payment token while it runs (its first one: an order is placed once)."""
    if session.get(PaymentToken, order_id) is None:
        session.add(PaymentToken(order_id=order_id, token=token))


def token_for(session: Session, order_id: str) -> str | None:
    row = session.get(PaymentToken, order_id)
    return row.token if row else None


def forget_token(session: Session, order_id: str) -> bool:
    """Delete the order's token (once the order is over); whether there was one."""
    result = session.exec(delete(PaymentToken).where(col(PaymentToken.order_id) == order_id))
    return bool(result.rowcount)


def record(session: Session, entry: PaymentLedgerEntry) -> bool:
    """Record what the gateway answered, once per idempotency key; a retry's answer (the
    gateway replaying the same operation) keeps the first row. Whether this call wrote it."""
    if session.get(PaymentLedgerEntry, entry.idempotency_key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:  # recorded a moment ago by a concurrent attempt
        return False
    return True


def entry(session: Session, idempotency_key: str) -> PaymentLedgerEntry | None:
    return session.get(PaymentLedgerEntry, idempotency_key)


def entries(
    session: Session, *, order_id: str | None = None, since: datetime | None = None
) -> Sequence[PaymentLedgerEntry]:
    stmt = select(PaymentLedgerEntry)
    if order_id is not None:
        stmt = stmt.where(PaymentLedgerEntry.order_id == order_id)
    if since is not None:
        stmt = stmt.where(col(PaymentLedgerEntry.recorded_at) >= since)
    return session.exec(stmt.order_by(col(PaymentLedgerEntry.recorded_at))).all()


def by_reference(session: Session, operation: str, reference: str) -> PaymentLedgerEntry | None:
    """The operation the gateway knows by this id (a capture's, a refund's)."""
    stmt = select(PaymentLedgerEntry).where(
        PaymentLedgerEntry.operation == operation,
        PaymentLedgerEntry.gateway_reference == reference,
    )
    return session.exec(stmt.order_by(col(PaymentLedgerEntry.recorded_at))).first()
