"""Fulfilment profiles (versioned documents): how each location works an order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, text
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment_profiles import ProfileStatus


class FulfilmentProfile(SQLModel, table=True):
    """A version of a fulfilment profile (``oms.domain.fulfilment_profiles``): immutable once
    published. At most one active version per profile id; many profiles are active at once,
    each for its own scope.

    The scope columns copy the document's ``applies_to`` (null: open) so that the profile in
    force for a fulfilment is found by reading only the active profiles that match it.
    """

    __tablename__ = "fulfilment_profiles"
    __table_args__ = (
        Index(
            "uq_fulfilment_profiles_active",
            "id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    status: str = Field(max_length=16, description=one_of(ProfileStatus))
    location_id: str | None = Field(default=None, max_length=64, description="Scope")
    location_type: str | None = Field(default=None, max_length=20, description="Scope")
    channel: str | None = Field(default=None, max_length=64, description="Scope")
    delivery_method: str | None = Field(
        default=None, max_length=16, description="Scope: " + one_of(DeliveryMethod)
    )
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_by: str | None = Field(default=None, max_length=128)
    created_at: datetime = timestamp(nullable=False)
    published_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
