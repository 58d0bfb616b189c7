"""The catalogue from the PIM: products written one at a time or in batches (integration
keys), read by storefronts and integrations.

Every write goes through ``oms.db.products.upsert``, the demo data's too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field, JsonValue, TypeAdapter, ValidationError, WithJsonSchema

from api.deps import DbDep, Principal, require
from api.errors import ApiError, RowError, error_responses, shape_errors
from api.openapi import schema_of
from api.views import as_utc
from oms.db import products
from oms.db.tables import Product
from oms.domain.errors import ErrorCode
from oms.domain.products import Dimensions, ProductIn, ProductRow
from oms.domain.recommendations import Relation

router = APIRouter(prefix="/products", tags=["catalogue"])

Reader = Annotated[Principal, Depends(require("storefront", "integration"))]
Writer = Annotated[Principal, Depends(require("integration"))]
Sku = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
MAX_ROWS = 5000


class ProductPublic(BaseModel):
    sku: str
    name: str
    category: str
    prices: dict[str, int] = Field(description="List price per currency, in minor units")
    barcodes: list[str]
    weight_grams: int | None
    dimensions_mm: Dimensions | None
    attributes: dict[str, JsonValue]
    relations: list[Relation]
    returnable: bool
    active: bool
    source_version: int | None
    updated_at: datetime

    @classmethod
    def of(cls, p: Product) -> ProductPublic:
        return cls(
            sku=p.sku,
            name=p.name,
            category=p.category,
            prices=dict(p.prices or {}),
            barcodes=list(p.barcodes or []),
            weight_grams=p.weight_grams,
            dimensions_mm=products.dimensions(p),
            attributes=dict(p.attributes or {}),
            relations=[Relation.model_validate(r) for r in p.relations or []],
            returnable=p.returnable,
            active=p.active,
            source_version=p.source_version,
            updated_at=as_utc(p.updated_at),
        )


class ProductPage(BaseModel):
    items: list[ProductPublic]
    next_cursor: str | None = Field(description="The next page's cursor; null on the last")


class ProductsBody(BaseModel):
    # Read as objects and checked one by one (a bad row is reported, the others go ahead);
    # the document shows a row's own schema.
    rows: list[Annotated[dict[str, Any], WithJsonSchema(schema_of(ProductRow))]] = Field(
        min_length=1, max_length=MAX_ROWS
    )


class ProductsResult(BaseModel):
    applied: int = 0
    stale: int = Field(default=0, description="Rows older than the stored source_version")
    rejected: int = 0
    errors: list[RowError] = Field(default_factory=list)


_ROW = TypeAdapter(ProductRow)


@router.get("", response_model=ProductPage, responses=error_responses(ErrorCode.INVALID_CURSOR))
def list_products(
    _: Reader,
    db: DbDep,
    category: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=200, description="In the name or the SKU")] = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> Any:
    """Products by SKU; `q` finds text in the name or the SKU (case aside). Follow
    `next_cursor` for the next page."""
    with db.reading() as s:
        try:
            rows, next_cursor = products.page(
                s, category=category, q=q, active=active, limit=limit, cursor=cursor
            )
        except ValueError as exc:
            raise ApiError(ErrorCode.INVALID_CURSOR, str(exc), "cursor") from exc
        return ProductPage(items=[ProductPublic.of(p) for p in rows], next_cursor=next_cursor)


@router.post("", response_model=ProductsResult)
def post_products(body: ProductsBody, _: Writer, db: DbDep) -> Any:
    """Up to 5,000 products, each created or updated (a field left out keeps its value). A
    row older than the stored `source_version` is ignored and counted as `stale`; a bad row
    is refused with its index, field, code and reason and does not stop the others."""
    result = ProductsResult()
    good: list[tuple[int, ProductRow]] = []
    for i, raw in enumerate(body.rows):
        try:
            good.append((i, _ROW.validate_python(raw)))
        except ValidationError as exc:
            result.errors += [RowError(index=i, **e.model_dump()) for e in shape_errors(exc)]
    with db.session() as s:
        written = products.upsert(s, [row for _i, row in good])
    result.errors += [RowError(index=good[k][0], **e.model_dump()) for k, e in written.errors]
    result.errors.sort(key=lambda e: e.index)
    result.applied, result.stale = written.applied, written.stale
    result.rejected = len({e.index for e in result.errors})
    return result


@router.put(
    "/{sku}",
    response_model=ProductPublic,
    status_code=200,
    responses={
        201: {"model": ProductPublic, "description": "Created"},
        **error_responses(ErrorCode.STALE_VERSION, ErrorCode.BARCODE_TAKEN),
    },
)
def put_product(sku: Sku, body: ProductIn, _: Writer, db: DbDep, response: Response) -> Any:
    """Create or update one product (a field left out keeps its value): `201` when new. A
    `source_version` older than the stored one is `409 stale_version` and changes nothing."""
    row = ProductRow.model_validate({**body.model_dump(exclude_unset=True), "sku": sku})
    with db.session() as s:
        created = s.get(Product, sku) is None
        written = products.upsert(s, [row])
        if written.errors:
            raise ApiError.invalid([e for _i, e in written.errors])
        if written.stale:
            stored = s.get(Product, sku)
            raise ApiError(
                ErrorCode.STALE_VERSION,
                f"the stored product is at version {stored.source_version if stored else None}",
                "source_version",
            )
    with db.reading() as s:
        product = s.get(Product, sku)
        assert product is not None
        if created:
            response.status_code = 201
            response.headers["Location"] = f"/products/{sku}"
        return ProductPublic.of(product)


@router.get(
    "/{sku}", response_model=ProductPublic, responses=error_responses(ErrorCode.SKU_NOT_FOUND)
)
def get_product(sku: str, _: Reader, db: DbDep) -> Any:
    with db.reading() as s:
        product = s.get(Product, sku)
        if product is None:
            raise ApiError(ErrorCode.SKU_NOT_FOUND, f"SKU {sku!r} is not in the catalogue", "sku")
        return ProductPublic.of(product)
