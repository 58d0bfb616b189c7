"""What the recommendations learn from order history (``oms.db.affinity`` keeps them): baskets
per product and per pair, each product's best neighbours, and how far the history was read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel


class CopurchaseItem(SQLModel, table=True):
    """How many baskets (orders) held the product; ``stale`` until its neighbours are rebuilt
    from its latest counts."""

    __tablename__ = "copurchase_items"

    sku: str = Field(primary_key=True, max_length=64)
    baskets: int = Field(default=0)
    stale: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class CopurchasePair(SQLModel, table=True):
    """How many baskets held both products; stored both ways, so a product's pairs are one
    range of the key."""

    __tablename__ = "copurchase_pairs"

    sku: str = Field(primary_key=True, max_length=64)
    other: str = Field(primary_key=True, max_length=64)
    together: int = Field(default=0)


class AffinityNeighbour(SQLModel, table=True):
    """A product's best neighbours by learnt affinity (``rank`` 0 first): what a
    recommendation reads, one range of the key per product."""

    __tablename__ = "affinity_neighbours"

    sku: str = Field(primary_key=True, max_length=64)
    rank: int = Field(primary_key=True)
    neighbour: str = Field(max_length=64)
    together: int
    lift: float


class AffinityRefresh(SQLModel, table=True):
    """How far the order history was read: orders after (``after_created_at``,
    ``after_order_id``) are still to count."""

    __tablename__ = "affinity_refresh"

    id: str = Field(primary_key=True, max_length=32)
    baskets: int = Field(default=0)
    after_created_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    after_order_id: str = Field(default="", max_length=64)
    refreshed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
