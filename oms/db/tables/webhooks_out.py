"""Signed webhooks out: who subscribed to which events, and each event's delivery to each
subscription (its attempts, its last answer and when it is tried next)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.webhooks_out import DeliveryStatus


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscriptions"

    id: str = Field(primary_key=True, max_length=64)
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret: str = Field(max_length=200)
    # The secret before the last rotation, which still signs until previous_until.
    previous_secret: str | None = Field(default=None, max_length=200)
    previous_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = timestamp(nullable=False)
    rotated_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class WebhookDelivery(SQLModel, table=True):
    """One outbox event for one subscription. Ids grow in outbox order, so the lowest open id
    of a subscription and ordering key is the one that may go."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_event"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_key", "subscription_id", "ordering_key", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: str = Field(max_length=64)
    event_id: str = Field(max_length=200)
    event_type: str = Field(max_length=64)
    ordering_key: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=16, description=one_of(DeliveryStatus))
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = timestamp(nullable=False)
    first_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
