"""Customer messages: one row per message the OMS sends (or would send) a customer, unique by
its key, so that a pass that runs twice neither writes nor sends it twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.messages import Locale, MessageKind, MessageStatus


class CustomerMessage(SQLModel, table=True):
    __tablename__ = "customer_messages"
    __table_args__ = (
        Index("ix_customer_message_due", "status", "next_attempt_at"),
        Index("ix_customer_message_order", "order_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300, unique=True, description="oms.keys.customer_message_key")
    order_id: str = Field(max_length=64)
    event_id: str = Field(max_length=200, description="The outbox event it was written from")
    kind: str = Field(max_length=32, description=one_of(MessageKind))
    locale: str = Field(max_length=8, description=one_of(Locale))
    # The customer's address as the order gave it: the customer's own record of what was sent.
    to: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    status: str = Field(max_length=16, description=one_of(MessageStatus))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    # The Message-ID header it went with (the same on every attempt).
    provider_message_id: str | None = Field(default=None, max_length=300)
    # Which pass holds it while it is sent (oms.db.customer_messages.claim).
    claim: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp(nullable=False)
    first_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    sent_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # A copy sent again on request: the message it copies, and the API key that asked.
    resend_of: int | None = None
    requested_by: str | None = Field(default=None, max_length=64)
