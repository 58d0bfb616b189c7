"""The order as storefronts send it, its status vocabulary and its validation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from oms.domain.errors import ErrorCode, FieldError
from oms.domain.geo import COUNTRY_CENTROIDS, GeoPoint
from oms.domain.money import is_known_currency

MAX_LINES = 200
MAX_QUANTITY = 10_000
# 10 million in major units of a 2-decimal currency: far above any real basket line, far
# below what the database's 64-bit totals can hold for 200 lines.
MAX_UNIT_PRICE = 1_000_000_000

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
# A storefront's cart: its hold's ledger entries are "cart:<id>", within the 64 of an order id.
CartId = Annotated[
    str, StringConstraints(min_length=1, max_length=58, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]


class OrderStatus(StrEnum):
    """Where an order is in its life. Values are what the API and search attributes show."""

    RECEIVED = "RECEIVED"
    FRAUD_CHECK = "FRAUD_CHECK"
    AWAITING_REVIEW = "AWAITING_REVIEW"
    SOURCING = "SOURCING"
    AWAITING_STOCK = "AWAITING_STOCK"
    AUTHORIZING_PAYMENT = "AUTHORIZING_PAYMENT"
    IN_FULFILMENT = "IN_FULFILMENT"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)


class CancelReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    DUPLICATE_ORDER = "duplicate_order"
    OTHER = "other"
    FRAUD_REJECTED = "fraud_rejected"
    REVIEW_TIMEOUT = "review_timeout"
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_DECLINED = "payment_declined"
    NOTHING_SHIPPED = "nothing_shipped"
    WORKFLOW_CANCELLED = "workflow_cancelled"
    FAILED = "failed"


class CustomerTier(StrEnum):
    NEW = "new"
    STANDARD = "standard"
    GOLD = "gold"
    VIP = "vip"


class DeliveryMethod(StrEnum):
    SHIP = "ship"
    COLLECT = "collect"


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Identifier
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
    tier: CustomerTier = CustomerTier.STANDARD


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line1: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line2: str | None = Field(default=None, max_length=200)
    city: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    country: CountryCode
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    def point(self) -> GeoPoint | None:
        """Coordinates if the storefront sent them, else the country's centroid, if known."""
        if self.lat is not None and self.lon is not None:
            return GeoPoint(lat=self.lat, lon=self.lon)
        return COUNTRY_CENTROIDS.get(self.country)


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: DeliveryMethod
    address: Address | None = None
    store_id: Identifier | None = None
    express: bool = False

    @model_validator(mode="after")
    def _method_needs_its_target(self) -> Delivery:
        if self.method is DeliveryMethod.SHIP and self.address is None:
            raise ValueError("a 'ship' delivery needs an address")
        if self.method is DeliveryMethod.COLLECT and self.store_id is None:
            raise ValueError("a 'collect' delivery needs a store_id")
        return self


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: Identifier
    sku: Identifier
    quantity: int
    unit_price: int = Field(
        ge=0, le=MAX_UNIT_PRICE, description="Unit price in minor units of the order currency"
    )

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


class OrderIn(BaseModel):
    """An order as a storefront places it."""

    model_config = ConfigDict(extra="forbid")

    id: Identifier
    channel: Identifier
    customer: Customer
    lines: list[OrderLine] = Field(min_length=1)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    delivery: Delivery
    payment_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    billing_address: Address | None = None
    cart_id: CartId | None = Field(
        default=None,
        description="The cart whose stock hold (PUT /carts/{cart_id}/hold) this order takes over",
    )

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def line(self, line_id: str) -> OrderLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)

    def fingerprint(self) -> str:
        """A hash of the order's content: the same body posted twice has the same fingerprint."""
        # Without a cart, as before carts existed: orders stored then keep their fingerprint.
        body = self.model_dump(mode="json", exclude={"cart_id"} if self.cart_id is None else None)
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class CatalogEntry(BaseModel):
    sku: str
    category: str


class LocationRef(BaseModel):
    id: str
    type: Literal["warehouse", "store", "dropship", "dark_store"]
    is_open: bool = True


def validate_order(
    order: OrderIn,
    *,
    catalog: Mapping[str, CatalogEntry],
    locations: Mapping[str, LocationRef],
) -> list[FieldError]:
    """Business validation beyond the shape: every problem found, each with its field."""
    errors: list[FieldError] = []
    if not is_known_currency(order.currency):
        errors.append(
            FieldError(
                field="currency",
                code=ErrorCode.UNKNOWN_CURRENCY,
                reason=f"{order.currency} is not a supported ISO 4217 currency",
            )
        )
    if len(order.lines) > MAX_LINES:
        errors.append(
            FieldError(
                field="lines",
                code=ErrorCode.TOO_MANY_LINES,
                reason=f"an order has at most {MAX_LINES} lines, got {len(order.lines)}",
            )
        )
    seen: set[str] = set()
    for i, line in enumerate(order.lines):
        if line.line_id in seen:
            errors.append(
                FieldError(
                    field=f"lines[{i}].line_id",
                    code=ErrorCode.DUPLICATE_LINE_ID,
                    reason=f"line id {line.line_id!r} appears more than once",
                )
            )
        seen.add(line.line_id)
        if not 0 < line.quantity <= MAX_QUANTITY:
            errors.append(
                FieldError(
                    field=f"lines[{i}].quantity",
                    code=ErrorCode.INVALID_QUANTITY,
                    reason=f"quantity must be a whole number from 1 to {MAX_QUANTITY}",
                )
            )
        if line.sku not in catalog:
            errors.append(
                FieldError(
                    field=f"lines[{i}].sku",
                    code=ErrorCode.UNKNOWN_SKU,
                    reason=f"SKU {line.sku!r} is not in the catalogue",
                )
            )
    if order.delivery.method is DeliveryMethod.COLLECT:
        store = locations.get(order.delivery.store_id or "")
        if store is None:
            errors.append(
                FieldError(
                    field="delivery.store_id",
                    code=ErrorCode.UNKNOWN_STORE,
                    reason=f"no location {order.delivery.store_id!r}",
                )
            )
        elif store.type != "store":
            errors.append(
                FieldError(
                    field="delivery.store_id",
                    code=ErrorCode.NOT_A_STORE,
                    reason=f"{store.id} is a {store.type}, orders can only be collected at a store",
                )
            )
        elif not store.is_open:
            errors.append(
                FieldError(
                    field="delivery.store_id",
                    code=ErrorCode.STORE_CLOSED,
                    reason=f"store {store.id} is closed",
                )
            )
    return errors
