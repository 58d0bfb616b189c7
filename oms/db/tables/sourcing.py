"""Sourcing profiles (versioned documents) and the decisions made with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, text
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.sourcing.profiles import ProfileStatus


class SourcingProfile(SQLModel, table=True):
    """A version of a sourcing profile (``oms.domain.sourcing.profiles``): immutable once published.

    ``channel`` is ``*`` for the default profile. At most one active version per channel.
    """

    __tablename__ = "sourcing_profiles"
    __table_args__ = (
        Index(
            "uq_sourcing_profiles_active",
            "channel",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    channel: str = Field(max_length=64, description="A channel id, or * for the default")
    status: str = Field(max_length=16, description=one_of(ProfileStatus))
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_by: str | None = Field(default=None, max_length=128)
    created_at: datetime = timestamp(nullable=False)
    published_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class SourcingDecision(SQLModel, table=True):
    """Why an order's stock was placed where it was: one per sourcing step."""

    __tablename__ = "sourcing_decisions"

    step_key: str = Field(primary_key=True, max_length=160)
    order_id: str = Field(max_length=64, index=True)
    profile_id: str = Field(max_length=64)
    profile_version: int
    strategy: str | None = Field(default=None, max_length=64)
    explanation: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp(nullable=False)
