"""Payments: the tokens the API keeps out of workflows, and the ledger of every operation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from oms.db.tables.base import timestamp


class PaymentToken(SQLModel, table=True):
    """A storefront's payment token, kept by the OMS while its order runs: the order's workflow
    carries a reference to it (``oms.domain.order.STORED_PAYMENT_TOKEN``), never the token.
    Deleted once the order is over."""

    __tablename__ = "payment_tokens"

    order_id: str = Field(primary_key=True, max_length=64)
    token: str = Field(max_length=200)
    created_at: datetime = timestamp(nullable=False)


class PaymentLedgerEntry(SQLModel, table=True):
    """One payment operation as the OMS saw the gateway answer it: what ``oms payments
    reconcile`` compares with the gateway's own record. One row per idempotency key: a retry
    that the gateway replays is the same operation."""

    __tablename__ = "payment_ledger"

    idempotency_key: str = Field(primary_key=True, max_length=200)
    order_id: str = Field(max_length=64, index=True)
    operation: str = Field(
        max_length=16, description="authorize | capture | void | partial_void | refund"
    )
    outcome: str = Field(max_length=16, description="succeeded | refused")
    amount: int = Field(description="Minor units: asked for when refused, done when succeeded")
    currency: str = Field(max_length=8)
    authorization_id: str | None = Field(default=None, max_length=200)
    gateway_reference: str | None = Field(default=None, max_length=200)
    code: str | None = Field(default=None, max_length=64, description="Why it was refused")
    recorded_at: datetime = timestamp(nullable=False, index=True)
    # A gateway's notice (POST /webhooks/payments/{gateway}) confirmed the operation, or said
    # that one the OMS recorded as succeeded failed after all (outcome then refused).
    confirmed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    reversed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
