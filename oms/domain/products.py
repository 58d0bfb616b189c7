"""Products as the PIM sends them: what a product is (name, category, prices per currency,
barcodes, weight and size, free attributes) and whether it may be returned and sold.

A row carries the sender's ``source_version``: a row older than the stored one is ignored and
counted as stale, never applied (as inventory positions are). A field a row leaves out keeps
what is stored (its default on a new product). Pure: no I/O.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from oms.domain.delivery import Identifier
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.money import is_known_currency
from oms.domain.numbers import WholeNumber
from oms.domain.recommendations.relations import MAX_RELATIONS, Relation, duplicates
from oms.domain.snapshots import MAX_VERSION

Gtin = Annotated[str, StringConstraints(pattern=r"^[0-9]{8,14}$")]
CATEGORY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$"
Category = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=CATEGORY_PATTERN)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
MAX_PRICE = 10**12  # minor units
MAX_GRAMS = 10**7  # 10 tonnes
MAX_MM = 10**5  # 100 metres
MAX_ATTRIBUTES_BYTES = 16_384
MAX_BARCODES = 50


class Dimensions(BaseModel):
    """Length, width and height in millimetres."""

    model_config = ConfigDict(extra="forbid")

    length: WholeNumber = Field(ge=0, le=MAX_MM)
    width: WholeNumber = Field(ge=0, le=MAX_MM)
    height: WholeNumber = Field(ge=0, le=MAX_MM)


# What a new product cannot go without; an existing one keeps its own when a row leaves them out.
REQUIRED_WHEN_NEW = ("name", "category")


class ProductIn(BaseModel):
    """The body of ``PUT /products/{sku}``. Leaving a field out keeps its stored value, so a
    PIM sends what it manages (``{"active": false}`` deactivates a product); a new product
    needs a name and a category (``new_product_problems``)."""

    model_config = ConfigDict(extra="forbid")

    # Left out: the stored value; null is never a name, so the schema says a string.
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None,
        json_schema_extra=lambda schema: _string_only(schema, minLength=1, maxLength=200),
        description="Required for a new product; left out, the stored name stays",
    )
    category: Category | None = Field(
        default=None,
        json_schema_extra=lambda schema: _string_only(
            schema, minLength=1, maxLength=64, pattern=CATEGORY_PATTERN
        ),
        description="Required for a new product; left out, the stored category stays",
    )
    prices: dict[CurrencyCode, Annotated[WholeNumber, Field(ge=0, le=MAX_PRICE)]] = Field(
        default_factory=dict,
        max_length=50,
        description='List price per currency in minor units, e.g. {"EUR": 1999, "GBP": 1799}',
    )
    barcodes: list[Gtin] = Field(
        default_factory=list,
        max_length=MAX_BARCODES,
        description="GTINs a scan reads for this product; each belongs to one product only",
    )
    weight_grams: WholeNumber | None = Field(default=None, ge=0, le=MAX_GRAMS)
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
    source_version: WholeNumber | None = Field(
        default=None,
        ge=0,
        le=MAX_VERSION,
        description="The sender's version: a row older than the stored one is ignored (stale)",
    )

    @field_validator("name", "category", mode="before")
    @classmethod
    def _not_null(cls, value: object, info: ValidationInfo) -> object:
        if value is None:
            raise ValueError(f"{info.field_name} is never null: left out, the stored one stays")
        return value


def _string_only(schema: dict[str, Any], **constraints: Any) -> None:
    """A field that takes a string or nothing, never null: the document says a string (with
    its JSON Schema constraints, ``minLength``...)."""
    description = schema.get("description")
    schema.clear()
    schema.update({"type": "string", **constraints})
    if description:
        schema["description"] = description


class ProductRow(ProductIn):
    """One row of ``POST /products``."""

    sku: Identifier


def new_product_problems(row: ProductIn) -> list[FieldError]:
    """What a row creating a product leaves out that a product cannot go without."""
    return [
        FieldError(
            field=name,
            code=ErrorCode.REQUIRED,
            reason=f"a new product needs a {name}",
        )
        for name in REQUIRED_WHEN_NEW
        if name not in row.model_fields_set
    ]


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
