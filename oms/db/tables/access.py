"""API keys, stored hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from oms.db.tables.base import timestamp


def _when() -> datetime | None:
    """An optional moment (a column of its own each time it is called)."""
    when: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    return when


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=32, description="Public key id (prefix)")
    name: str = Field(max_length=128)
    role: str = Field(
        max_length=16, description="storefront | analyst | store | integration | admin"
    )
    location_id: str | None = Field(default=None, max_length=64)
    channels: list[str] | None = Field(
        default=None,
        sa_column=Column(JSON, nullable=True),
        description="A storefront key's channels; None: every channel",
    )
    key_hash: str = Field(max_length=64, unique=True)
    revoked: bool = False
    created_at: datetime = timestamp(nullable=False)
    expires_at: datetime | None = _when()
    last_used_at: datetime | None = _when()
    revoked_at: datetime | None = _when()
    # The secret before the last rotation, valid until previous_valid_until.
    previous_hash: str | None = Field(default=None, max_length=64, index=True)
    previous_valid_until: datetime | None = _when()


class IdempotencyKey(SQLModel, table=True):
    """An ``Idempotency-Key`` a caller used, and the request it was first used for: the same
    key with another request is refused until the row is older than
    ``OMS_IDEMPOTENCY_KEYS_KEPT`` (oms.db.idempotency_keys)."""

    __tablename__ = "idempotency_keys"

    # The id of the API key that used it (it survives a rotation): callers never share keys.
    scope: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=100)
    # oms.request_keys.request_fingerprint: method, route, path parameters and body, hashed.
    fingerprint: str = Field(max_length=64)
    # What a refusal names: the method and the route ("POST /orders/{order_id}/...").
    request: str = Field(max_length=200)
    first_used_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
