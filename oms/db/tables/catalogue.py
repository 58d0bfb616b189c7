"""The products the OMS knows, as the PIM sends them (``PUT /products/{sku}``, ``POST
/products``): enough of the catalogue to validate, route, pick and take back orders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from oms.db.tables.base import timestamp, utcnow


class Product(SQLModel, table=True):
    __tablename__ = "products"

    sku: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    category: str = Field(max_length=64, index=True)
    prices: dict[str, int] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False, server_default="{}"),
        description="List price per currency, in minor units",
    )
    barcodes: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default="[]"),
        description="GTINs a scan may read for this product",
    )
    weight_grams: int | None = Field(default=None)
    length_mm: int | None = Field(default=None)
    width_mm: int | None = Field(default=None)
    height_mm: int | None = Field(default=None)
    attributes: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    relations: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default="[]"),
        description="Relations to other products (oms.domain.recommendations.relations)",
    )
    returnable: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    active: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    source_version: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    updated_at: datetime = timestamp(nullable=False, default=utcnow)


class ProductBarcode(SQLModel, table=True):
    """Which product each barcode is (``products.barcodes``, indexed): a scan's lookup, and the
    rule that a barcode belongs to one product only."""

    __tablename__ = "product_barcodes"

    barcode: str = Field(primary_key=True, max_length=14)
    sku: str = Field(max_length=64, index=True)
