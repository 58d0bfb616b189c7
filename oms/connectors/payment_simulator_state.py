"""The payment gateway simulator's own store: its SQLite tables, and what it knows of one
authorization (``oms.connectors.payment_simulator`` keeps them)."""

from __future__ import annotations

from pydantic import BaseModel, Field

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
