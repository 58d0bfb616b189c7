"""API keys, stored hashed."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from oms.db.tables.base import timestamp


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=32, description="Public key id (prefix)")
    name: str = Field(max_length=128)
    role: str = Field(
        max_length=16, description="storefront | analyst | store | integration | admin"
    )
    location_id: str | None = Field(default=None, max_length=64)
    key_hash: str = Field(max_length=64, unique=True)
    revoked: bool = False
    created_at: datetime = timestamp(nullable=False)
