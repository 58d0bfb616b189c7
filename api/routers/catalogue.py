"""The catalogue as stores use it, set by the integration: products' barcodes (what a scan
reads) and where products sit in each location (bin, zone, walk order: wave pick lines
follow it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import DbDep, Principal, require
from api.errors import ApiError, error_responses
from oms.db import catalogue
from oms.db.tables import Location
from oms.domain.barcodes import taken
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.order import Identifier

router = APIRouter(tags=["catalogue"])

Integration = Annotated[Principal, Depends(require("integration"))]
Gtin = Annotated[str, StringConstraints(pattern=r"^[0-9]{8,14}$")]
Place = Annotated[str, StringConstraints(min_length=1, max_length=32)]
MAX_ROWS = 5000


class BinRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Identifier
    bin: Place
    zone: Place
    walk_order: int = Field(ge=0, le=10_000_000, description="Pick lines go up this order")


class BinsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BinRow] = Field(min_length=1, max_length=MAX_ROWS)
    replace: bool = Field(
        default=False, description="true: products not listed lose their place here"
    )


class BarcodeRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Identifier
    barcodes: list[Gtin] = Field(max_length=50, description="GTINs; [] clears them")


class BarcodesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BarcodeRow] = Field(min_length=1, max_length=MAX_ROWS)


class Written(BaseModel):
    written: int


def _unknown_skus(found: set[str], skus: list[str]) -> list[FieldError]:
    return [
        FieldError(
            field=f"items[{i}].sku",
            code=ErrorCode.UNKNOWN_SKU,
            reason=f"SKU {sku!r} is not in the catalogue",
        )
        for i, sku in enumerate(skus)
        if sku not in found
    ]


def _duplicates(skus: list[str]) -> list[FieldError]:
    seen: set[str] = set()
    errors = []
    for i, sku in enumerate(skus):
        if sku in seen:
            errors.append(
                FieldError(
                    field=f"items[{i}].sku",
                    code=ErrorCode.DUPLICATE_ROW,
                    reason=f"SKU {sku!r} is listed twice",
                )
            )
        seen.add(sku)
    return errors


@router.put(
    "/locations/{location_id}/bins",
    response_model=Written,
    responses=error_responses(ErrorCode.LOCATION_NOT_FOUND),
)
def put_bins(location_id: str, body: BinsBody, _: Integration, db: DbDep) -> Any:
    """Where products sit at the location; the SKUs listed are set, others keep their place
    unless `replace` is true."""
    skus = [row.sku for row in body.items]
    with db.session() as s:
        if s.get(Location, location_id) is None:
            raise ApiError(
                ErrorCode.LOCATION_NOT_FOUND, f"no location {location_id}", "location_id"
            )
        errors = _duplicates(skus) + _unknown_skus(catalogue.existing_skus(s, skus), skus)
        if errors:
            raise ApiError.invalid(errors)
        if body.replace:
            catalogue.clear_places(s, location_id)
        written = catalogue.put_places(s, location_id, [row.model_dump() for row in body.items])
    return Written(written=written)


@router.put("/products/barcodes", response_model=Written)
def put_barcodes(body: BarcodesBody, _: Integration, db: DbDep) -> Any:
    """The barcodes of these products, each list replacing the product's; a barcode belongs
    to one product only (`422 barcode_taken` otherwise)."""
    skus = [row.sku for row in body.items]
    wanted = {row.sku: row.barcodes for row in body.items}
    with db.session() as s:
        errors = _duplicates(skus) + _unknown_skus(catalogue.existing_skus(s, skus), skus)
        owners = catalogue.skus_of_barcodes(s, [b for row in body.items for b in row.barcodes])
        errors += taken([(row.sku, row.barcodes) for row in body.items], owners)
        if errors:
            raise ApiError.invalid(errors)
        catalogue.set_barcodes(s, wanted)
    return Written(written=len(wanted))
