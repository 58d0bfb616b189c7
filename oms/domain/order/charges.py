"""What an order charges beyond its goods, and the taxes in its prices, as the storefront says.

Prices are tax-inclusive, as in EU retail: a line's ``unit_price`` already holds the taxes its
``taxes`` name, so a tax amount is the part of the price that is that tax, never added on top.
A line's tax amounts are per unit, like its price (the tax in one unit); the shipping
charge's are for the whole charge. The OMS does not compute taxes: it keeps what the
storefront (which knows the rates of the destination) sent, checks that the parts never exceed
the whole, and passes them on to the ERP's invoices (``order.invoiced``). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.domain.errors import ErrorCode, FieldError
from oms.domain.numbers import WholeNumber

MAX_CHARGE = 1_000_000_000  # like a unit price: far below what 64-bit totals hold
MAX_TAXES = 10

TaxCode = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
]


class Tax(BaseModel):
    """One tax included in an amount (e.g. ``{"code": "FR-VAT", "rate": 20, "amount": 333}``)."""

    model_config = ConfigDict(extra="forbid")

    code: TaxCode
    rate: float = Field(ge=0, le=100, description="percent, e.g. 20 for 20 %; as given")
    amount: WholeNumber = Field(
        ge=0, le=MAX_CHARGE, description="the part of the amount that is this tax, minor units"
    )


Taxes = Annotated[list[Tax], Field(max_length=MAX_TAXES)]


class Shipping(BaseModel):
    """What the customer pays for delivery, taxes included (captured with the first capture)."""

    model_config = ConfigDict(extra="forbid")

    amount: WholeNumber = Field(
        ge=0, le=MAX_CHARGE, description="minor units of the order currency"
    )
    taxes: Taxes = Field(default_factory=list, description="included in the amount")


class ExchangeOf(BaseModel):
    """An exchange's replacement order: the return it replaces goods of, and what those
    returned goods pay of it (the card pays only the rest)."""

    model_config = ConfigDict(extra="forbid")

    return_id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    credit: int = Field(ge=0, description="minor units the returned goods pay")


def tax_total(taxes: Sequence[Tax]) -> int:
    return sum(t.amount for t in taxes)


def tax_problems(field: str, taxes: Sequence[Tax], amount: int, what: str) -> list[FieldError]:
    """The taxes of an amount: each code once, their sum no more than the amount."""
    errors: list[FieldError] = []
    codes = [t.code for t in taxes]
    for i, code in enumerate(codes):
        if code in codes[:i]:
            errors.append(
                FieldError(
                    field=f"{field}[{i}].code",
                    code=ErrorCode.DUPLICATE_TAX_CODE,
                    reason=f"tax {code!r} appears more than once",
                )
            )
    if tax_total(taxes) > amount:
        errors.append(
            FieldError(
                field=field,
                code=ErrorCode.TAXES_EXCEED_AMOUNT,
                reason=f"the taxes ({tax_total(taxes)}) exceed {what} ({amount}) they are part of",
            )
        )
    return errors


def scaled(taxes: Sequence[Tax], units: int) -> list[Tax]:
    """A unit's taxes for ``units`` units."""
    return [t.model_copy(update={"amount": t.amount * units}) for t in taxes]


def summed(groups: Sequence[Sequence[Tax]]) -> list[Tax]:
    """Taxes added up per code and rate, in the order first seen (an invoice's tax summary)."""
    totals: dict[tuple[str, float], int] = {}
    for taxes in groups:
        for t in taxes:
            totals[(t.code, t.rate)] = totals.get((t.code, t.rate), 0) + t.amount
    return [Tax(code=code, rate=rate, amount=amount) for (code, rate), amount in totals.items()]
