"""The catalogue as stores use it: products' barcodes and where products sit per location."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from oms.db.tables import Product, ProductBarcode, ProductLocation, utcnow


def existing_skus(session: Session, skus: Iterable[str]) -> set[str]:
    stmt = select(col(Product.sku)).where(col(Product.sku).in_(sorted(set(skus))))
    return set(session.exec(stmt))


def put_places(session: Session, location_id: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Set the bin, zone and walk order of these SKUs at the location (insert or replace);
    products not named keep their place. Rows: sku, bin, zone, walk_order."""
    values = [{**row, "location_id": location_id, "updated_at": utcnow()} for row in rows]
    if not values:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(ProductLocation).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["sku", "location_id"],
        set_={
            "bin": stmt.excluded.bin,
            "zone": stmt.excluded.zone,
            "walk_order": stmt.excluded.walk_order,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    session.execute(stmt)
    return len(values)


def clear_places(session: Session, location_id: str) -> None:
    session.execute(delete(ProductLocation).where(col(ProductLocation.location_id) == location_id))


# Barcodes looked up per statement: well under the bound parameters SQLite takes.
_SLICE = 5000


def skus_of_barcodes(session: Session, barcodes: Collection[str]) -> dict[str, str]:
    """Which SKU each barcode is, for those a product has (``product_barcodes``)."""
    wanted = sorted(set(barcodes))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _SLICE):
        stmt = select(col(ProductBarcode.barcode), col(ProductBarcode.sku)).where(
            col(ProductBarcode.barcode).in_(wanted[start : start + _SLICE])
        )
        found.update(dict(session.exec(stmt).all()))
    return found


def index_barcodes(session: Session, barcodes: Mapping[str, Sequence[str]]) -> None:
    """Make ``product_barcodes`` say what these SKUs' new lists say (each barcode theirs
    alone, as the caller checked)."""
    skus = sorted(barcodes)
    for start in range(0, len(skus), _SLICE):
        part = skus[start : start + _SLICE]
        session.execute(delete(ProductBarcode).where(col(ProductBarcode.sku).in_(part)))
    rows = [{"barcode": b, "sku": sku} for sku in skus for b in dict.fromkeys(barcodes[sku])]
    if rows:
        session.execute(insert(ProductBarcode), rows)


def set_barcodes(session: Session, barcodes: Mapping[str, list[str]]) -> None:
    """Replace the barcode lists of these SKUs (each known, each barcode theirs alone)."""
    products = session.exec(select(Product).where(col(Product.sku).in_(sorted(barcodes))))
    for product in products:
        product.barcodes = list(dict.fromkeys(barcodes[product.sku]))
        session.add(product)
    session.flush()
    index_barcodes(session, barcodes)
