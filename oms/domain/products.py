"""Products as the PIM sends them: what a product is (name, category, prices per currency,
barcodes, weight and size, free attributes) and whether it may be returned and sold.

A row carries the sender's ``source_version``: a row older than the stored one is ignored and
counted as stale, never applied (as inventory positions are). A field a row leaves out keeps
what is stored (its default on a new product). Pure: no I/O.
"""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from oms.domain.delivery import Identifier
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.money import is_known_currency
from oms.domain.recommendations.relations import MAX_RELATIONS, Relation, duplicates
from oms.domain.snapshots import MAX_VERSION

Gtin = Annotated[str, StringConstraints(pattern=r"^[0-9]{8,14}$")]
Category = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")
]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
MAX_PRICE = 10**12  # minor units
MAX_GRAMS = 10**7  # 10 tonnes
MAX_MM = 10**5  # 100 metres
MAX_ATTRIBUTES_BYTES = 16_384
MAX_BARCODES = 50


class Dimensions(BaseModel):
    """Length, width and height in millimetres."""

    model_config = ConfigDict(extra="forbid")

    length: int = Field(ge=0, le=MAX_MM)
    width: int = Field(ge=0, le=MAX_MM)
    height: int = Field(ge=0, le=MAX_MM)


class ProductIn(BaseModel):
    """The body of ``PUT /products/{sku}``. Leaving a field out keeps its stored value."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    category: Category
    prices: dict[CurrencyCode, Annotated[int, Field(ge=0, le=MAX_PRICE)]] = Field(
        default_factory=dict,
        max_length=50,
        description='List price per currency in minor units, e.g. {"EUR": 1999, "GBP": 1799}',
    )
    barcodes: list[Gtin] = Field(
        default_factory=list,
        max_length=MAX_BARCODES,
        description="GTINs a scan reads for this product; each belongs to one product only",
    )
    weight_grams: int | None = Field(default=None, ge=0, le=MAX_GRAMS)
    dimensions_mm: Dimensions | None = None
    attributes: dict[str, JsonValue] = Field(
        default_factory=dict,
        description=f"Free JSON object, at most {MAX_ATTRIBUTES_BYTES} bytes as JSON",
    )
    relations: list[Relation] = Field(
        default_factory=list,
        max_length=MAX_RELATIONS,
        description="Products to offer with it (related, accessory, upsell) or in its place "
        "(substitute), each with an optional weight; [] clears them",
    )
    returnable: bool = Field(default=True, description="false: every return of it is refused")
    active: bool = Field(default=True, description="false: an order for it is refused")
    source_version: int | None = Field(
        default=None,
        ge=0,
        le=MAX_VERSION,
        description="The sender's version: a row older than the stored one is ignored (stale)",
    )


class ProductRow(ProductIn):
    """One row of ``POST /products``."""

    sku: Identifier


def problems(product: ProductIn) -> list[FieldError]:
    """What the shape cannot say: currencies the OMS does not know, attributes too large."""
    errors = [
        FieldError(
            field=f"prices.{currency}",
            code=ErrorCode.UNKNOWN_CURRENCY,
            reason=f"{currency!r} is not a supported ISO 4217 currency code (e.g. EUR)",
        )
        for currency in product.prices
        if not is_known_currency(currency)
    ]
    size = len(json.dumps(product.attributes, separators=(",", ":")).encode())
    if size > MAX_ATTRIBUTES_BYTES:
        errors.append(
            FieldError(
                field="attributes",
                code=ErrorCode.OUT_OF_RANGE,
                reason=f"attributes take {size} bytes as JSON, at most {MAX_ATTRIBUTES_BYTES}",
            )
        )
    return errors


def relation_problems(sku: str, product: ProductIn) -> list[FieldError]:
    """Relations naming the product itself, or the same product and kind twice."""
    return [
        FieldError(
            field=f"relations[{i}].sku",
            code=ErrorCode.DUPLICATE_ROW,
            reason=f"{product.relations[i].sku!r} is the product itself or named twice as "
            f"{product.relations[i].kind.value}",
        )
        for i in duplicates(sku, product.relations)
    ]


def is_older(version: int | None, stored: int | None) -> bool:
    """A row older than what is stored: both versioned, the row's lower (equal applies)."""
    return version is not None and stored is not None and version < stored
