"""Signed webhooks in: who may send (a secret per sender), which events were applied (once per
event id), and each shipment's tracking history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.inbound import SenderKind
from oms.domain.shipments import ShipmentStatus


class WebhookSender(SQLModel, table=True):
    """A system that calls the OMS's webhooks (``carrier:<name>``, ``payments:<gateway>``, a
    WMS, a POS), the secret its requests are signed with, and the locations it speaks for (a
    WMS's warehouses, a POS's stores)."""

    __tablename__ = "webhook_senders"

    id: str = Field(primary_key=True, max_length=64)
    secret: str = Field(max_length=200)
    kind: str = Field(max_length=16, description=one_of(SenderKind))
    locations: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp(nullable=False)
    rotated_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class InboundEvent(SQLModel, table=True):
    """An event a sender sent and the OMS applied: a second request with its id is ignored."""

    __tablename__ = "inbound_events"

    sender: str = Field(primary_key=True, max_length=64)
    event_id: str = Field(primary_key=True, max_length=200)
    type: str = Field(max_length=64)
    received_at: datetime = timestamp(nullable=False)


class ShipmentEvent(SQLModel, table=True):
    """One tracking status of one shipment, as its carrier sent it (in or out of order)."""

    __tablename__ = "shipment_events"

    id: int | None = Field(default=None, primary_key=True)
    fulfilment_id: str = Field(max_length=80, index=True)
    order_id: str = Field(max_length=64, index=True)
    carrier: str = Field(max_length=64)
    tracking_number: str = Field(max_length=64)
    status: str = Field(max_length=32, description=one_of(ShipmentStatus))
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    event_id: str = Field(max_length=200)
    received_at: datetime = timestamp(nullable=False)
