"""The reason-code taxonomy (``oms.domain.reason_codes``): seeded with the built-in codes,
edited by admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.reason_codes import RoutingEffect, StockEffect


class ReasonCodeRow(SQLModel, table=True):
    __tablename__ = "reason_codes"

    code: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=200)
    # Where the code may be used: a list of ReasonUsage values.
    usages: list[str] = Field(sa_column=Column(JSON, nullable=False))
    stock_effect: str = Field(max_length=16, description=one_of(StockEffect))
    routing_effect: str = Field(max_length=16, description=one_of(RoutingEffect))
    customer_message: str | None = Field(default=None, max_length=100)
    built_in: bool = False
    # A retired code stays, so that what history says of it can still be read.
    active: bool = True
    created_at: datetime = timestamp(nullable=False)
    updated_at: datetime = timestamp(nullable=False)
