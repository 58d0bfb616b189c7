"""Products as the PIM sends them: prices per currency (from price and currency), weight,
dimensions, attributes, returnable, active, the sender's version; barcodes indexed

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRODUCTS = sa.table(
    "products",
    sa.column("sku", sa.String),
    sa.column("price", sa.Integer),
    sa.column("currency", sa.String),
    sa.column("prices", sa.JSON),
    sa.column("barcodes", sa.JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prices", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("weight_grams", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("length_mm", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("width_mm", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("height_mm", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("attributes", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(
            sa.Column("returnable", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("source_version", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    # Each product's one price becomes its price in that currency.
    bind = op.get_bind()
    rows = bind.execute(sa.select(PRODUCTS.c.sku, PRODUCTS.c.price, PRODUCTS.c.currency)).all()
    if rows:
        bind.execute(
            sa.update(PRODUCTS)
            .where(PRODUCTS.c.sku == sa.bindparam("k"))
            .values(prices=sa.bindparam("p", type_=sa.JSON)),
            [{"k": sku, "p": {currency: price}} for sku, price, currency in rows],
        )
    op.execute(sa.text("UPDATE products SET updated_at = CURRENT_TIMESTAMP"))
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("price")
        batch_op.drop_column("currency")
    barcodes = op.create_table(
        "product_barcodes",
        sa.Column("barcode", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("barcode"),
    )
    with op.batch_alter_table("product_barcodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_barcodes_sku"), ["sku"], unique=False)
    # Every product's barcodes, indexed (each was one product's already).
    owners: dict[str, str] = {}
    for sku, codes in bind.execute(sa.select(PRODUCTS.c.sku, PRODUCTS.c.barcodes)).all():
        for code in codes or ():
            owners.setdefault(code, sku)
    if owners:
        op.bulk_insert(barcodes, [{"barcode": b, "sku": s} for b, s in sorted(owners.items())])


def downgrade() -> None:
    with op.batch_alter_table("product_barcodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_barcodes_sku"))
    op.drop_table("product_barcodes")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("price", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column(
                "currency",
                sqlmodel.sql.sqltypes.AutoString(length=3),
                server_default="EUR",
                nullable=False,
            )
        )
    # A product keeps its euro price, else its first.
    bind = op.get_bind()
    for sku, prices in bind.execute(sa.select(PRODUCTS.c.sku, PRODUCTS.c.prices)).all():
        if prices:
            currency = "EUR" if "EUR" in prices else sorted(prices)[0]
            bind.execute(
                sa.update(PRODUCTS)
                .where(PRODUCTS.c.sku == sku)
                .values(price=prices[currency], currency=currency)
            )
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name in (
            "updated_at",
            "source_version",
            "active",
            "returnable",
            "attributes",
            "height_mm",
            "width_mm",
            "length_mm",
            "weight_grams",
            "prices",
        ):
            batch_op.drop_column(name)
