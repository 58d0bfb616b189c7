"""The order as storefronts send it."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.domain.delivery import Address, Delivery, Identifier
from oms.domain.fulfilment_profiles import Service
from oms.domain.numbers import WholeNumber
from oms.domain.order.charges import ExchangeOf, Shipping, Taxes

MAX_LINES = 200
MAX_QUANTITY = 10_000
# 10 million in major units of a 2-decimal currency: far above any real basket line, far
# below what the database's 64-bit totals can hold for 200 lines.
MAX_UNIT_PRICE = 1_000_000_000

# What an order's workflow carries in place of the payment token: the API keeps the token
# (oms.db.payments) and the authorize activity looks it up by order id, so that no token is
# ever written to a workflow's history.
STORED_PAYMENT_TOKEN = "stored"

# A storefront's cart: its hold's ledger entries are "cart:<id>", within the 64 of an order id.
CartId = Annotated[
    str, StringConstraints(min_length=1, max_length=58, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]


class CustomerTier(StrEnum):
    NEW = "new"
    STANDARD = "standard"
    GOLD = "gold"
    VIP = "vip"


# An email address as an order gives it: one @, a dot in the domain, no spaces.
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Identifier
    email: Email
    tier: CustomerTier = CustomerTier.STANDARD
    locale: Literal["fr", "en"] | None = Field(
        default=None,
        description="The language of the customer's messages; absent: the channel's, else en",
    )


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: Identifier
    sku: Identifier
    quantity: WholeNumber
    unit_price: WholeNumber = Field(
        ge=0, le=MAX_UNIT_PRICE, description="Unit price in minor units of the order currency"
    )
    services: list[Service] = Field(
        default_factory=list,
        max_length=len(Service),
        description="Value-added services for this line (gift_wrap, engraving...)",
    )
    taxes: Taxes = Field(
        default_factory=list,
        description="Taxes included in the unit price, per unit, as the storefront gives them",
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
    # Any string: an unknown one is a business problem (unknown_currency), found with the rest.
    currency: str = Field(max_length=64, description="ISO 4217 code, e.g. EUR")
    delivery: Delivery
    payment_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    billing_address: Address | None = None
    cart_id: CartId | None = Field(
        default=None,
        description="The cart whose stock hold (PUT /carts/{cart_id}/hold) this order takes over",
    )
    shipping: Shipping | None = Field(
        default=None, description="The delivery charge, taxes included; in the order's total"
    )

    exchange: ExchangeOf | None = Field(
        default=None,
        description="Set by the OMS on an exchange's replacement order (POST /orders/{id}/returns)",
    )

    @property
    def credit(self) -> int:
        """What an exchange's returned goods pay of this order."""
        return self.exchange.credit if self.exchange is not None else 0

    @property
    def goods_total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def shipping_amount(self) -> int:
        return self.shipping.amount if self.shipping is not None else 0

    @property
    def total(self) -> int:
        return self.goods_total + self.shipping_amount

    def for_run(self) -> OrderIn:
        """The order as its workflow and the read model carry it: the payment token replaced
        by a reference to the one the API keeps."""
        return self.model_copy(update={"payment_token": STORED_PAYMENT_TOKEN})

    def line(self, line_id: str) -> OrderLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)

    def fingerprint(self) -> str:
        """A hash of the order's content: the same body posted twice has the same fingerprint."""
        # Without a cart, shipping or a locale, as before they existed: orders stored then keep
        # their fingerprint.
        unset = {
            name for name in ("cart_id", "shipping", "exchange") if getattr(self, name) is None
        }
        body = self.model_dump(mode="json", exclude=unset or None)
        if body["customer"]["locale"] is None:  # the same for orders placed before locales
            del body["customer"]["locale"]
        for line in body["lines"]:  # the same for lines without services or taxes
            for name in ("services", "taxes"):
                if not line[name]:
                    del line[name]
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class CatalogEntry(BaseModel):
    sku: str
    category: str
    active: bool = True


class LocationRef(BaseModel):
    id: str
    type: Literal["warehouse", "store", "dropship", "dark_store"]
    is_open: bool = True
