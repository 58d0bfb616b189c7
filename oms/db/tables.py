"""Database tables. Alembic migrations (``oms/db/migrations``) create them; tests may too."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from oms.domain.cart_holds import HoldStatus
from oms.domain.delivery import DeliveryMethod
from oms.domain.fraud import FraudDecision
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.order.model import CustomerTier
from oms.domain.order.status import CancelReason, OrderStatus
from oms.domain.snapshots import MissingPolicy, SnapshotFormat, SyncStatus
from oms.domain.sourcing.profiles import ProfileStatus
from oms.domain.tasks import TaskKind, TaskStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(vocabulary: type[StrEnum]) -> str:
    """A column's description: the values of the enum it stores, which code writes and
    compares as members (columns hold the values as plain strings)."""
    return " | ".join(vocabulary)


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), **kw))


class Location(SQLModel, table=True):
    __tablename__ = "locations"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    type: str = Field(max_length=20, description="warehouse | store | dropship | dark_store")
    country: str = Field(default="FR", max_length=2)
    lat: float
    lon: float
    daily_capacity: int = Field(default=1000, ge=0)
    lead_time_hours: float = Field(
        default=0,
        ge=0,
        sa_column_kwargs={"server_default": "0"},
        description="Hours from an order reaching it to its parcel leaving; sourcing ranks by it",
    )
    is_open: bool = True
    vendor_id: str | None = Field(
        default=None, max_length=64, description="The drop-ship vendor (dropship locations only)"
    )
    created_at: datetime = _ts(nullable=False)


class Network(SQLModel, table=True):
    """A named set of locations, e.g. every French store and warehouse."""

    __tablename__ = "networks"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime = _ts(nullable=False)


class NetworkLocation(SQLModel, table=True):
    __tablename__ = "network_locations"

    network_id: str = Field(primary_key=True, max_length=64, foreign_key="networks.id")
    location_id: str = Field(primary_key=True, max_length=64, foreign_key="locations.id")


class Channel(SQLModel, table=True):
    """Where orders come from (web-fr, app-fr, marketplace-x, kiosk): a market, and the
    network of locations that may sell into it."""

    __tablename__ = "channels"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    market: str = Field(max_length=16, description="e.g. FR, BE, EU")
    network_id: str = Field(max_length=64, foreign_key="networks.id")
    buffer_quantity: int | None = Field(default=None, ge=0, description="Units held back")
    buffer_percent: float | None = Field(default=None, ge=0, le=100)
    low_stock: int = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="Channel ATP at or under which a low_stock event fires; 0: never",
    )
    created_at: datetime = _ts(nullable=False)


class Product(SQLModel, table=True):
    __tablename__ = "products"

    sku: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    category: str = Field(max_length=64, index=True)
    price: int = Field(default=0, description="List price in minor units")
    currency: str = Field(default="EUR", max_length=3)


class InventoryPosition(SQLModel, table=True):
    __tablename__ = "inventory_positions"
    __table_args__ = (
        Index("ix_positions_location", "location_id"),
        # What changed since a moment: the ATP watcher's scan for crossings.
        Index("ix_positions_updated", "updated_at"),
        # Room in each page for the new version of a row whose figures did not change (no
        # indexed column moves): PostgreSQL then updates it in place, indexes untouched.
        {"postgresql_with": {"fillfactor": 80}},
    )

    sku: str = Field(primary_key=True, max_length=64)
    location_id: str = Field(primary_key=True, max_length=64, foreign_key="locations.id")
    on_hand: int = Field(default=0, ge=0)
    reserved: int = Field(default=0, ge=0)
    in_transit: int = Field(default=0, ge=0)
    # Big: senders often use a timestamp in milliseconds or a log sequence number.
    source_version: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    source_updated_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # When on hand, in transit or reserved last changed, not when a sender last wrote.
    updated_at: datetime = _ts(nullable=False)


class InventoryEvent(SQLModel, table=True):
    """Inventory deltas already applied, by the sender's event id: each applies once."""

    __tablename__ = "inventory_events"

    event_id: str = Field(primary_key=True, max_length=200)
    sku: str = Field(max_length=64)
    location_id: str = Field(max_length=64)
    delta: int
    applied_at: datetime = _ts(nullable=False)


class SafetyRule(SQLModel, table=True):
    """Safety stock held back; which rule applies is ``oms.domain.safety``'s business."""

    __tablename__ = "safety_rules"

    id: str = Field(primary_key=True, max_length=64)
    scope: str = Field(max_length=20)
    sku: str | None = Field(default=None, max_length=64, index=True)
    category: str | None = Field(default=None, max_length=64)
    location_id: str | None = Field(default=None, max_length=64)
    vendor_id: str | None = Field(default=None, max_length=64)
    location_type: str | None = Field(default=None, max_length=20)
    channel: str | None = Field(default=None, max_length=64)
    quantity: int | None = None
    percent: float | None = None
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class Exclusion(SQLModel, table=True):
    """A SKU, category or location kept out of a channel or market (``oms.domain.availability``)."""

    __tablename__ = "exclusions"

    id: str = Field(primary_key=True, max_length=64)
    channel: str | None = Field(default=None, max_length=64)
    market: str | None = Field(default=None, max_length=16)
    sku: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    location_id: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts(nullable=False)


class ChannelAtp(SQLModel, table=True):
    """The last channel ATP storefronts were told about, to detect crossings."""

    __tablename__ = "channel_atp"

    channel_id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(primary_key=True, max_length=64)
    atp: int
    updated_at: datetime = _ts(nullable=False)


class CartHold(SQLModel, table=True):
    """Stock a storefront holds for a cart until ``expires_at``; its units are ledger entries
    (``reservations``) whose order id is ``cart:<id>``."""

    __tablename__ = "cart_holds"
    # The sweep reads the overdue holds.
    __table_args__ = (Index("ix_cart_holds_due", "status", "expires_at"),)

    id: str = Field(primary_key=True, max_length=58)
    channel: str = Field(max_length=64)
    status: str = Field(max_length=16, description=one_of(HoldStatus))
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class InventorySync(SQLModel, table=True):
    """A bulk inventory snapshot and how far its InventorySyncWorkflow has got."""

    __tablename__ = "inventory_syncs"

    id: str = Field(primary_key=True, max_length=64)
    status: str = Field(max_length=16, description=one_of(SyncStatus))
    location_id: str | None = Field(
        default=None, max_length=64, description="The location snapshotted; None: the network"
    )
    missing: str = Field(
        default=MissingPolicy.KEEP, max_length=8, description=one_of(MissingPolicy)
    )
    format: str = Field(max_length=8, description=one_of(SnapshotFormat))
    workflow_id: str = Field(max_length=200)
    total_rows: int = 0
    rejected: int = 0
    chunk_size: int = 5000
    chunks_total: int = 0
    chunks_done: int = 0
    applied: int = 0
    stale: int = 0
    zeroed: int = 0
    error: str | None = Field(default=None, max_length=2000)
    created_by: str | None = Field(default=None, max_length=128)
    created_at: datetime = _ts(nullable=False)
    started_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class InventorySyncRow(SQLModel, table=True):
    """A staged row of a sync, valid and waiting for its chunk to be applied."""

    __tablename__ = "inventory_sync_rows"
    __table_args__ = (Index("ix_sync_rows_chunk", "sync_id", "chunk"),)

    sync_id: str = Field(primary_key=True, max_length=64)
    row: int = Field(primary_key=True, description="Row number in the file, from 1")
    chunk: int | None = None
    sku: str = Field(max_length=64)
    location_id: str = Field(max_length=64)
    on_hand: int
    in_transit: int | None = None
    source_version: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    source_updated_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class InventorySyncChunk(SQLModel, table=True):
    """A chunk already applied: a resumed sync skips it, so no row applies twice."""

    __tablename__ = "inventory_sync_chunks"

    sync_id: str = Field(primary_key=True, max_length=64)
    chunk: int = Field(primary_key=True)
    applied: int
    stale: int
    done_at: datetime = _ts(nullable=False)


class InventorySyncError(SQLModel, table=True):
    """A row of a sync that failed validation, with why."""

    __tablename__ = "inventory_sync_errors"

    sync_id: str = Field(primary_key=True, max_length=64)
    row: int = Field(primary_key=True)
    field: str = Field(max_length=64)
    code: str = Field(max_length=32)
    reason: str = Field(max_length=500)


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
    created_at: datetime = _ts(nullable=False)
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
    created_at: datetime = _ts(nullable=False)


class Reservation(SQLModel, table=True):
    """One lease in the reservation ledger.

    ``reserved`` on a position equals the sum of ``qty`` over its entries whose status is
    ``held`` or ``committed``.
    """

    __tablename__ = "reservations"
    __table_args__ = (
        # One entry per step, line and location (part 0), plus at most one split-off part
        # (part 1) when a pick commits less than was held: a retried or duplicated step
        # can never hold the same stock twice.
        UniqueConstraint(
            "step_key", "line_id", "location_id", "part", name="uq_reservation_step_line"
        ),
        Index("ix_reservations_position", "sku", "location_id", "status"),
        # Recent demand per SKU (sales velocity) reads entries by time.
        Index("ix_reservations_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(max_length=64, index=True)
    line_id: str = Field(max_length=64)
    sku: str = Field(max_length=64)
    location_id: str = Field(max_length=64)
    qty: int = Field(gt=0)
    status: str = Field(max_length=16, description="held | committed | released | consumed")
    step_key: str = Field(max_length=160, description="Idempotency key of the step that took it")
    part: int = Field(default=0, description="0: as reserved; 1: split off by a short pick")
    expires_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


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
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


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
    at: datetime = _ts(nullable=False)


class ManualTask(SQLModel, table=True):
    """Human work: fraud reviews, pick lists. Each belongs to a workflow it signals."""

    __tablename__ = "manual_tasks"
    __table_args__ = (Index("ix_tasks_kind_status", "kind", "status"),)

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
    created_at: datetime = _ts(nullable=False)
    completed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class Fulfilment(SQLModel, table=True):
    """What one location does for one order: its pick list, parcels and shipment."""

    __tablename__ = "fulfilments"
    __table_args__ = (Index("ix_fulfilments_location_status", "location_id", "status"),)

    id: str = Field(primary_key=True, max_length=80)
    order_id: str = Field(max_length=64, index=True)
    location_id: str = Field(max_length=64)
    workflow_id: str = Field(max_length=200)
    status: str = Field(max_length=32, description=one_of(FulfilmentStatus))
    delivery_method: str = Field(max_length=16, description=one_of(DeliveryMethod))
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    parcels: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    carrier: str | None = Field(default=None, max_length=64)
    tracking_number: str | None = Field(default=None, max_length=64)
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class OutboxEvent(SQLModel, table=True):
    """Events for other systems (alerts, status changes), delivered by the webhook relay."""

    __tablename__ = "outbox_events"
    # Feeds page events of a type in commit order.
    __table_args__ = (Index("ix_outbox_type_created", "type", "created_at", "id"),)

    id: str = Field(primary_key=True, max_length=200, description="Idempotency key")
    type: str = Field(max_length=64, index=True)
    order_id: str | None = Field(default=None, max_length=64, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts(nullable=False)
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=32, description="Public key id (prefix)")
    name: str = Field(max_length=128)
    role: str = Field(
        max_length=16, description="storefront | analyst | store | integration | admin"
    )
    location_id: str | None = Field(default=None, max_length=64)
    key_hash: str = Field(max_length=64, unique=True)
    revoked: bool = False
    created_at: datetime = _ts(nullable=False)
