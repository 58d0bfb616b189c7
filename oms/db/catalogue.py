"""The catalogue as stores use it: products' barcodes and where products sit per location."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import String, cast, delete, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from oms.db.tables import Product, ProductLocation, utcnow


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


def _holding(barcodes: Collection[str]) -> Any:
    """Products whose barcode list holds one of these. Barcodes are digits only (GTINs), so
    matching the quoted value in the list's JSON text is exact, on SQLite and PostgreSQL."""
    as_text = cast(Product.barcodes, String)
    return or_(*(as_text.like(f"%{json.dumps(b)}%") for b in barcodes))


def skus_of_barcodes(
    session: Session, barcodes: Collection[str], *, likely: Collection[str] = ()
) -> dict[str, str]:
    """Which SKU each barcode is, for those a product has. ``likely``: the SKUs a scan should
    find (a wave's, a fulfilment's); read first, the catalogue is searched only for barcodes
    none of them has."""
    found: dict[str, str] = {}
    if likely:
        stmt = select(col(Product.sku), col(Product.barcodes)).where(
            col(Product.sku).in_(sorted(set(likely)))
        )
        found.update(_index(session.exec(stmt), barcodes))
    rest = [b for b in set(barcodes) if b not in found]
    if rest:
        stmt = select(col(Product.sku), col(Product.barcodes)).where(_holding(rest))
        found.update(_index(session.exec(stmt), rest))
    return found


def _index(rows: Iterable[tuple[str, list[str]]], wanted: Collection[str]) -> dict[str, str]:
    wanted_set = set(wanted)
    return {b: sku for sku, codes in rows for b in codes or () if b in wanted_set}


def set_barcodes(session: Session, barcodes: Mapping[str, list[str]]) -> None:
    """Replace the barcode lists of these SKUs (each known, each barcode theirs alone)."""
    products = session.exec(select(Product).where(col(Product.sku).in_(sorted(barcodes))))
    for product in products:
        product.barcodes = list(dict.fromkeys(barcodes[product.sku]))
        session.add(product)
