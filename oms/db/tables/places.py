"""Locations, the networks they form and the channels that sell from them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from oms.db.tables.base import timestamp


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
    created_at: datetime = timestamp(nullable=False)


class Network(SQLModel, table=True):
    """A named set of locations, e.g. every French store and warehouse."""

    __tablename__ = "networks"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime = timestamp(nullable=False)


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
    market: str = Field(max_length=16, description="ISO 3166-1 alpha-2 country, e.g. FR, BE")
    network_id: str = Field(max_length=64, foreign_key="networks.id")
    buffer_quantity: int | None = Field(default=None, ge=0, description="Units held back")
    buffer_percent: float | None = Field(default=None, ge=0, le=100)
    low_stock: int = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="Channel ATP at or under which a low_stock event fires; 0: never",
    )
    locale: str | None = Field(
        default=None, max_length=8, description="Its customers' messages' language: fr | en"
    )
    currency: str | None = Field(
        default=None, max_length=3, description="ISO 4217: its orders' currency; None: any"
    )
    created_at: datetime = timestamp(nullable=False)
