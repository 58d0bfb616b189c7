"""Returns and the channels' return policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.returns import RefundState, ReturnMethod, ReturnStatus


class ReturnRow(SQLModel, table=True):
    """One return of an order (read model of its ReturnWorkflow, written by it)."""

    __tablename__ = "returns"

    id: str = Field(primary_key=True, max_length=80)
    order_id: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=64)
    status: str = Field(max_length=32, index=True, description=one_of(ReturnStatus))
    method: str = Field(max_length=16, description=one_of(ReturnMethod))
    location_id: str = Field(max_length=64, index=True)
    reason_code: str = Field(max_length=32)
    currency: str = Field(max_length=3)
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    received: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    grades: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    label: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    refund_state: str = Field(default="none", max_length=16, description=one_of(RefundState))
    refunded: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    # The order's shipping charge this return refunds with its goods (the policy's say).
    shipping_refund: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    # The replacement order an exchange placed (oms.keys.exchange_order_id).
    exchange_order_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp(nullable=False)
    updated_at: datetime = timestamp(nullable=False)
    completed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ReturnPolicyRow(SQLModel, table=True):
    """A channel's return policy (oms.domain.returns.ReturnPolicy as JSON)."""

    __tablename__ = "return_policies"

    channel: str = Field(primary_key=True, max_length=64)
    policy: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = timestamp(nullable=False)


class RefundClaim(SQLModel, table=True):
    """The part of a capture a return's refund takes, claimed before the gateway is asked:
    two refunds of one order at once split its captures between them instead of both asking
    the same capture for the same money (oms.db.returns.claim_refund)."""

    __tablename__ = "refund_claims"

    key: str = Field(primary_key=True, max_length=200, description="The refund's payment key")
    order_id: str = Field(max_length=64, index=True)
    capture_id: str = Field(max_length=200)
    authorization_id: str = Field(max_length=200)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=8)
    created_at: datetime = timestamp(nullable=False)
