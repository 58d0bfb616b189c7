"""The payment gateway simulator's own store: its SQLite tables, and what it knows of one
authorization (``oms.connectors.payment_simulator`` keeps them)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from oms.connectors.payments import GatewayTransaction
from oms.contracts.payments import Capture

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (idempotency_key TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS operations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    operation TEXT NOT NULL,
    result TEXT NOT NULL,
    authorization_id TEXT NOT NULL,
    reference TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS authorizations (
    authorization_id TEXT PRIMARY KEY,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS captures (
    capture_id TEXT PRIMARY KEY,
    authorization_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reversals (idempotency_key TEXT PRIMARY KEY, code TEXT NOT NULL);
"""


class AuthorizationState(BaseModel):
    """What the simulator knows about one authorization (for tests)."""

    authorization_id: str
    amount: int
    currency: str
    captured: int = 0
    voided: bool = False
    # Let go of by partial voids: no longer in ``amount``.
    released: int = 0
    captures: list[Capture] = Field(default_factory=list)
    refunded: dict[str, int] = Field(default_factory=dict, description="per capture id")


# An operation's columns, as ``transaction_of`` reads them.
TRANSACTION_COLUMNS = (
    "idempotency_key, operation, reference, authorization_id, amount, currency, created_at"
)


def transaction_of(row: tuple[str, str, str, str, int, str, str]) -> GatewayTransaction:
    key, operation, reference, auth_id, amount, currency, created_at = row
    return GatewayTransaction.model_validate(
        {
            "idempotency_key": key,
            "operation": operation,
            "reference": reference,
            "authorization_id": auth_id,
            "amount": amount,
            "currency": currency,
            "created_at": datetime.fromisoformat(created_at),
        }
    )


def count_attempt(db: sqlite3.Connection, idempotency_key: str) -> int:
    """One more call under this key: how many there were, this one included."""
    db.execute(
        "INSERT INTO attempts VALUES (?, 1) ON CONFLICT(idempotency_key) DO UPDATE SET n = n + 1",
        (idempotency_key,),
    )
    row = db.execute("SELECT n FROM attempts WHERE idempotency_key = ?", (idempotency_key,))
    return int(row.fetchone()[0])


def insert_operation(
    db: sqlite3.Connection, what: tuple[str, str, str, str, str], amount: int, currency: str
) -> None:
    """An operation done: ``what`` is its key, kind, result (JSON), authorization, reference."""
    db.execute(
        "INSERT INTO operations (idempotency_key, operation, result, authorization_id,"
        " reference, amount, currency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (*what, amount, currency, datetime.now(UTC).isoformat()),
    )
