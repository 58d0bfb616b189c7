"""The order as storefronts send it."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from oms.domain.geo import COUNTRY_CENTROIDS, GeoPoint

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
