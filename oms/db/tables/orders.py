"""The orders read model, its timeline, human tasks, fulfilments and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Text, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.delivery import DeliveryMethod
from oms.domain.fraud import FraudDecision
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.order.model import CustomerTier
from oms.domain.order.status import CancelReason, OrderStatus
from oms.domain.shipments import ShipmentStatus
from oms.domain.store_work import WorkKind
from oms.domain.tasks import TaskKind, TaskStatus


class Order(SQLModel, table=True):
    """Read model of orders, for lists and filters; live status comes from the workflow."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_created", "created_at", "id"),
        Index("ix_orders_customer_created", "customer_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    channel: str = Field(max_length=64, index=True)
    customer_id: str = Field(max_length=64)
    customer_tier: str = Field(max_length=16, description=one_of(CustomerTier))
    status: str = Field(max_length=32, index=True, description=one_of(OrderStatus))
    cancel_reason: str | None = Field(default=None, max_length=32, description=one_of(CancelReason))
    currency: str = Field(max_length=3)
    total: int = Field(sa_column=Column(BigInteger, nullable=False))
    line_count: int
    delivery_method: str = Field(max_length=16, description=one_of(DeliveryMethod))
    fingerprint: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    fraud_score: int | None = None
    fraud_decision: str | None = Field(
        default=None, max_length=16, description=one_of(FraudDecision)
    )
    fulfilment_locations: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = timestamp(nullable=False)
    updated_at: datetime = timestamp(nullable=False)
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class OrderEvent(SQLModel, table=True):
    """Every status change and notable step of an order: what, who or what caused it, when."""

    __tablename__ = "order_events"
    __table_args__ = (UniqueConstraint("order_id", "seq", name="uq_order_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(max_length=64, index=True)
    seq: int = Field(description="Position in the order's timeline; makes writes idempotent")
    type: str = Field(max_length=64)
    status: str | None = Field(default=None, max_length=32, description=one_of(OrderStatus))
    actor: str = Field(max_length=128)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = timestamp(nullable=False)


class OrderNote(SQLModel, table=True):
    """A timeline entry of an order written outside its run (a capture the gateway reversed, a
    decision on it carried out after the run's end): once per key. The order's view lays them
    over the run's own timeline, by time."""

    __tablename__ = "order_notes"
    __table_args__ = (UniqueConstraint("key", name="uq_order_note_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    order_id: str = Field(max_length=64, index=True)
    type: str = Field(max_length=64)
    actor: str = Field(max_length=128)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = timestamp(nullable=False)


class ManualTask(SQLModel, table=True):
    """Human work: fraud reviews, pick lists. Each belongs to a workflow it signals."""

    __tablename__ = "manual_tasks"
    __table_args__ = (
        Index("ix_tasks_kind_status", "kind", "status"),
        Index("ix_tasks_assignee_status", "assignee", "status"),
        Index("ix_tasks_status_due", "status", "due_at"),
        # A location's open tasks of a kind by due time: its services to do (store work).
        Index("ix_tasks_location_kind_status", "location_id", "kind", "status", "due_at"),
    )

    id: str = Field(primary_key=True, max_length=160)
    kind: str = Field(max_length=32, description=one_of(TaskKind))
    status: str = Field(max_length=16, description=one_of(TaskStatus))
    order_id: str = Field(max_length=64, index=True)
    workflow_id: str = Field(max_length=200)
    location_id: str | None = Field(default=None, max_length=64, index=True)
    escalated: bool = False
    due_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    completed_by: str | None = Field(default=None, max_length=128)
    created_at: datetime = timestamp(nullable=False)
    completed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # The one person working on it (POST /tasks/{id}/claim); None while it waits in the queue.
    assignee: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class Fulfilment(SQLModel, table=True):
    """What one location does for one order: its pick list, parcels and shipment."""

    __tablename__ = "fulfilments"
    __table_args__ = (
        Index("ix_fulfilments_location_status", "location_id", "status"),
        Index("ix_fulfilments_wave", "wave_id"),
        # A location's open work, soonest due first (GET /locations/{id}/work).
        Index(
            "ix_fulfilments_work",
            "location_id",
            "work_due_at",
            "id",
            postgresql_where=text("work_kind IS NOT NULL"),
            sqlite_where=text("work_kind IS NOT NULL"),
        ),
        Index("ix_fulfilments_transfer_status", "transfer_to", "status"),
    )

    id: str = Field(primary_key=True, max_length=80)
    order_id: str = Field(max_length=64, index=True)
    location_id: str = Field(max_length=64)
    workflow_id: str = Field(max_length=200)
    status: str = Field(max_length=32, description=one_of(FulfilmentStatus))
    delivery_method: str = Field(max_length=16, description=one_of(DeliveryMethod))
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    parcels: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    carrier: str | None = Field(default=None, max_length=64, index=True)
    tracking_number: str | None = Field(default=None, max_length=64, index=True)
    # Unbounded: carriers answer presigned URLs of any length.
    label_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Carrier tracking after handover (oms.domain.shipments): the status, when the carrier saw
    # it, and when the parcel was delivered.
    delivery_status: str | None = Field(
        default=None, max_length=32, description=one_of(ShipmentStatus)
    )
    tracked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # What orders a wave's fulfilments: express first, then the earliest pick deadline.
    express: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    pick_due_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    wave_id: str | None = Field(
        default=None, max_length=100, description="The pick wave that took it, if any"
    )
    # The run's fulfilment profile ("id@version") and its steps (StepState as JSON), so that
    # a store app sees what comes next without asking Temporal; empty for runs before profiles.
    profile: str | None = Field(default=None, max_length=80)
    steps: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # What the store has left to do on it and by when (oms.domain.store_work.work_of),
    # written with the row; null once nothing is left.
    work_kind: str | None = Field(default=None, max_length=32, description=one_of(WorkKind))
    work_due_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # A transfer: the collection store it goes to, receives it (status IN_TRANSIT until then)
    # and hands it over; null for a fulfilment delivered from where it was picked.
    transfer_to: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp(nullable=False)
    updated_at: datetime = timestamp(nullable=False)


class OutboxEvent(SQLModel, table=True):
    """Events for other systems (alerts, status changes), delivered by the webhook relay;
    ``delivered_at`` is when the relay turned the event into its deliveries (docs/events.md)."""

    __tablename__ = "outbox_events"
    # Feeds page events of a type in commit order.
    __table_args__ = (
        Index("ix_outbox_type_created", "type", "created_at", "id"),
        # The webhook relay's queue: events not relayed yet, in the order they were written.
        Index(
            "ix_outbox_unrelayed",
            "created_at",
            "id",
            postgresql_where=text("delivered_at IS NULL"),
            sqlite_where=text("delivered_at IS NULL"),
        ),
        # The customer messages' queue: events not looked at for a message yet.
        Index(
            "ix_outbox_unmessaged",
            "created_at",
            "id",
            postgresql_where=text("messaged_at IS NULL"),
            sqlite_where=text("messaged_at IS NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=200, description="Idempotency key")
    type: str = Field(max_length=64, index=True)
    order_id: str | None = Field(default=None, max_length=64, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp(nullable=False)
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # When the customer messages looked at it (and wrote its message, if it makes one).
    messaged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
