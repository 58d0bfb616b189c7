"""Appeasements: goodwill refunds on an order without a return (oms.domain.appeasements)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.appeasements import AppeasementStatus


class AppeasementRow(SQLModel, table=True):
    """One appeasement of an order: stored by the API as it is granted, brought to its end by
    its AppeasementWorkflow once the gateway has answered its refund."""

    __tablename__ = "appeasements"

    id: str = Field(primary_key=True, max_length=80, description="oms.keys.appeasement_id")
    order_id: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=64)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    reason_code: str = Field(max_length=32)
    # Customer service's own words, for whoever reads the order later: never sent on.
    note: str = Field(max_length=1000)
    line_id: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=16, index=True, description=one_of(AppeasementStatus))
    refunded: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    code: str | None = Field(default=None, max_length=64, description="Why it failed")
    requested_by: str = Field(max_length=128, description="The actor: <role>:<key name>")
    # The request's Idempotency-Key token (oms.request_keys.idempotency_token): the same
    # request again answers this appeasement. Cleared when its run could not start, so the key
    # asks anew.
    idempotency_token: str | None = Field(default=None, max_length=160, unique=True)
    created_at: datetime = timestamp(nullable=False)
    updated_at: datetime = timestamp(nullable=False)
    completed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
