"""The products the OMS knows: enough of the catalogue to validate and route orders."""

from __future__ import annotations

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Product(SQLModel, table=True):
    __tablename__ = "products"

    sku: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    category: str = Field(max_length=64, index=True)
    price: int = Field(default=0, description="List price in minor units")
    currency: str = Field(default="EUR", max_length=3)
    barcodes: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default="[]"),
        description="GTINs a scan may read for this product",
    )
