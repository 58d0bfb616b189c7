"""Products written and read as the PIM sends them (``oms.domain.products``): the one way
products get in, for the API and the demo data alike.

``upsert`` takes rows in the order sent, as if one at a time: a row older than the stored
``source_version`` is stale (ignored, counted), a row whose barcodes another product keeps or
whose values break a rule is refused with its index, the others are applied; a field a row
leaves out keeps what is stored (a row creating a product without a name or a category is
refused, ``required``). Products named are locked first, in key order, so two
batches never interleave on one product.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, or_
from sqlmodel import Session, col, select

from oms.db import catalogue
from oms.db.stock_updates import insert_into
from oms.db.tables import Product, utcnow
from oms.domain.barcodes import taken_by_row
from oms.domain.errors import FieldError
from oms.domain.products import (
    Dimensions,
    ProductRow,
    is_older,
    new_product_problems,
    problems,
    relation_problems,
)

PRODUCTS: Any = Product.__table__  # type: ignore[attr-defined]
# Stored as their own columns: everything else of a row is stored under its own name.
_SIZE = ("length", "width", "height")
# What a new product has for the fields its first row leaves out.
_DEFAULTS = {
    name: info.get_default(call_default_factory=True)
    for name, info in ProductRow.model_fields.items()
    if not info.is_required()
}


@dataclass
class Upserted:
    applied: int = 0
    stale: int = 0
    errors: list[tuple[int, FieldError]] = field(default_factory=list)  # (row, error)


def _stored(row: Row[Any]) -> dict[str, Any]:
    """A stored product as the fields of a row."""
    values = dict(row._mapping)
    sizes = [values.pop(f"{d}_mm") for d in _SIZE]
    values["dimensions_mm"] = None if None in sizes else dict(zip(_SIZE, sizes, strict=True))
    values.pop("updated_at")
    return values


def _columns(sku: str, values: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if k != "dimensions_mm"}
    size = values["dimensions_mm"] or {}
    out.update({f"{d}_mm": size.get(d) for d in _SIZE})
    return {**out, "sku": sku}


def _lock(session: Session, skus: Iterable[str]) -> dict[str, dict[str, Any]]:
    stmt = (
        select(PRODUCTS)
        .where(PRODUCTS.c.sku.in_(sorted(set(skus))))
        .order_by(PRODUCTS.c.sku)
        .with_for_update()
    )
    return {row.sku: _stored(row) for row in session.execute(stmt)}


@dataclass
class _Plan:
    """What applying the rows not refused would do: the rows applied, the stale ones, each
    changed product's new fields."""

    applied: list[int] = field(default_factory=list)
    stale: int = 0
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Rows that would create a product without what a new one needs.
    incomplete: list[tuple[int, FieldError]] = field(default_factory=list)


def _plan(
    rows: Sequence[ProductRow], stored: dict[str, dict[str, Any]], refused: set[int]
) -> _Plan:
    plan = _Plan()
    for i, row in enumerate(rows):
        if i in refused:
            continue
        old = plan.state.get(row.sku) or stored.get(row.sku)
        if old is not None and is_older(row.source_version, old["source_version"]):
            plan.stale += 1
            continue
        if old is None and (missing := new_product_problems(row)):
            plan.incomplete += [(i, e) for e in missing]
            continue
        sent = row.model_dump(include=row.model_fields_set - {"sku"})
        plan.state[row.sku] = {**(old or _DEFAULTS), **sent}
        plan.applied.append(i)
    return plan


def upsert(session: Session, rows: Sequence[ProductRow]) -> Upserted:
    """Apply these rows (see the module); what was applied, stale and refused.

    The barcodes are checked against what the rows applied would leave: a row refused or
    stale keeps its product's barcodes, so a barcode it gives up is not free for another row.
    """
    errors = [
        (i, e)
        for i, row in enumerate(rows)
        for e in [*problems(row), *relation_problems(row.sku, row)]
    ]
    stored = _lock(session, (r.sku for r in rows))
    given = [b for r in rows if "barcodes" in r.model_fields_set for b in r.barcodes]
    owners = catalogue.skus_of_barcodes(session, given) if given else {}
    while True:  # each round refuses more rows, so it ends
        plan = _plan(rows, stored, {i for i, _e in errors})
        refused = plan.incomplete + _barcodes_taken(rows, plan.applied, owners)
        if not refused:
            break
        errors += refused
    if plan.state:
        changed = sorted(plan.state)
        _write(session, [_columns(sku, plan.state[sku]) for sku in changed])
        catalogue.index_barcodes(session, {sku: plan.state[sku]["barcodes"] for sku in changed})
    errors.sort(key=lambda e: e[0])
    return Upserted(applied=len(plan.applied), stale=plan.stale, errors=errors)


def upsert_all(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Rows that must all go in (the demo data, tests' data), through ``upsert``; a row it
    refuses raises ValueError. The number applied."""
    result = upsert(session, [ProductRow.model_validate(row) for row in rows])
    if result.errors:
        i, error = result.errors[0]
        raise ValueError(f"product row {i} refused at {error.field}: {error.reason}")
    return result.applied


def _barcodes_taken(
    rows: Sequence[ProductRow], applied: list[int], owners: dict[str, str]
) -> list[tuple[int, FieldError]]:
    """Applied rows giving a barcode that another product keeps (or another row gives)."""
    setting = [i for i in applied if "barcodes" in rows[i].model_fields_set]
    wanted = [(rows[i].sku, rows[i].barcodes) for i in setting]
    return [(setting[k], error) for k, error in taken_by_row(wanted, owners)]


def _write(session: Session, values: list[dict[str, Any]]) -> None:
    now = utcnow()
    stmt = insert_into(session, PRODUCTS)
    names = [k for k in values[0] if k != "sku"]
    stmt = stmt.on_conflict_do_update(
        index_elements=["sku"],
        set_={**{k: stmt.excluded[k] for k in names}, "updated_at": stmt.excluded.updated_at},
    )
    session.execute(stmt, [{**v, "updated_at": now} for v in values])


# -- reading -------------------------------------------------------------------------------


def dimensions(product: Product) -> Dimensions | None:
    sizes = (product.length_mm, product.width_mm, product.height_mm)
    if any(s is None for s in sizes):
        return None
    return Dimensions.model_validate(dict(zip(_SIZE, sizes, strict=True)))


def encode_cursor(sku: str) -> str:
    return base64.urlsafe_b64encode(sku.encode()).decode()


def decode_cursor(cursor: str) -> str:
    """Raises ValueError on a cursor this service did not issue."""
    try:
        sku = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except Exception as exc:
        raise ValueError("not a cursor issued by this API") from exc
    if not sku:
        raise ValueError("not a cursor issued by this API")
    return sku


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page(
    session: Session,
    *,
    category: str | None = None,
    q: str | None = None,
    active: bool | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[Product], str | None]:
    """Products by SKU (bytewise, on any server), ``q`` found in the name or the SKU (case
    aside); keyset-paged: the next page's cursor, or None on the last."""
    sku: Any = col(Product.sku)
    if session.get_bind().dialect.name == "postgresql":
        sku = sku.collate("C")
    stmt = select(Product)
    if category is not None:
        stmt = stmt.where(Product.category == category)
    if active is not None:
        stmt = stmt.where(Product.active == active)
    if q:
        pattern = _like(q)
        stmt = stmt.where(
            or_(
                col(Product.name).ilike(pattern, escape="\\"),
                col(Product.sku).ilike(pattern, escape="\\"),
            )
        )
    if cursor:
        stmt = stmt.where(sku > decode_cursor(cursor))
    rows = list(session.exec(stmt.order_by(sku).limit(limit + 1)))
    more = len(rows) > limit
    return rows[:limit], encode_cursor(rows[limit - 1].sku) if more else None


def inactive_skus(session: Session, skus: Iterable[str]) -> set[str]:
    """Those of these SKUs whose product is not sold (``active`` false)."""
    stmt = select(col(Product.sku)).where(
        col(Product.sku).in_(sorted(set(skus))), col(Product.active).is_(False)
    )
    return set(session.exec(stmt))
