"""Stock: positions, applied deltas, safety rules, exclusions, the figures storefronts were
told, cart holds and the reservation ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.cart_holds import HoldStatus
from oms.domain.ledger import ReservationStatus


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
    # Units out of sellable stock (not in on_hand) until someone inspects them: what a reason
    # code with the quarantine effect set apart. A server default: bulk inserts omit it.
    quarantined: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    # Big: senders often use a timestamp in milliseconds or a log sequence number.
    source_version: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    source_updated_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # When on hand, in transit or reserved last changed, not when a sender last wrote.
    updated_at: datetime = timestamp(nullable=False)


class InventoryEvent(SQLModel, table=True):
    """Inventory deltas already applied, by the sender's event id: each applies once."""

    __tablename__ = "inventory_events"

    event_id: str = Field(primary_key=True, max_length=200)
    sku: str = Field(max_length=64)
    location_id: str = Field(max_length=64)
    delta: int
    applied_at: datetime = timestamp(nullable=False)


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
    created_at: datetime = timestamp(nullable=False)
    updated_at: datetime = timestamp(nullable=False)


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
    created_at: datetime = timestamp(nullable=False)


class ChannelAtp(SQLModel, table=True):
    """The last channel ATP storefronts were told about, to detect crossings."""

    __tablename__ = "channel_atp"

    channel_id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(primary_key=True, max_length=64)
    atp: int
    updated_at: datetime = timestamp(nullable=False)


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
    created_at: datetime = timestamp(nullable=False)
    updated_at: datetime = timestamp(nullable=False)


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
    status: str = Field(max_length=16, description=one_of(ReservationStatus))
    step_key: str = Field(max_length=160, description="Idempotency key of the step that took it")
    part: int = Field(
        default=0,
        description="0: as reserved; 1: split off by a short pick; 2 and up: collection n is 1 + n",
    )
    expires_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = timestamp(nullable=False)
    updated_at: datetime = timestamp(nullable=False)
