"""A return's refund split over the order's captures: the same split on every call, never
more than a capture took less what other returns refunded of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oms.db import returns as return_repo
from oms.db.engine import Database
from oms.db.tables import PaymentLedgerEntry

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _entry(key: str, operation: str, amount: int, ref: str, minutes: int) -> PaymentLedgerEntry:
    return PaymentLedgerEntry(
        idempotency_key=key,
        order_id="O1",
        operation=operation,
        outcome="succeeded",
        amount=amount,
        currency="EUR",
        authorization_id="auth-1",
        gateway_reference=ref,
        recorded_at=T0 + timedelta(minutes=minutes),
    )


def test_a_refund_takes_the_oldest_captures_first_and_counts_other_returns(db: Database) -> None:
    with db.session() as s:
        s.add(_entry("O1:capture:O1.F1", "capture", 3000, "cap-1", 1))
        s.add(_entry("O1:capture:O1.F2", "capture", 2000, "cap-2", 2))
        s.add(_entry("O1:refund:O1.R1@cap-1", "refund", 2500, "ref-1", 3))

    with db.reading() as s:
        parts = return_repo.refund_parts(s, "O1", "O1.R2", 2000)
        again = return_repo.refund_parts(s, "O1", "O1.R2", 2000)
        too_much = return_repo.refund_parts(s, "O1", "O1.R2", 9000)

    assert [(p.capture_id, p.amount) for p in parts] == [("cap-1", 500), ("cap-2", 1500)]
    assert again == parts
    # Never more than is left to refund.
    assert sum(p.amount for p in too_much) == 2500


def test_a_returns_own_refunds_do_not_change_its_split(db: Database) -> None:
    with db.session() as s:
        s.add(_entry("O1:capture:O1.F1", "capture", 3000, "cap-1", 1))
        s.add(_entry("O1:capture:O1.F2", "capture", 2000, "cap-2", 2))
        # R1's first part went through before a retry.
        s.add(_entry("O1:refund:O1.R1@cap-1", "refund", 3000, "ref-1", 3))

    with db.reading() as s:
        parts = return_repo.refund_parts(s, "O1", "O1.R1", 4000)

    assert [(p.capture_id, p.amount) for p in parts] == [("cap-1", 3000), ("cap-2", 1000)]
