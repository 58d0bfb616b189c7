"""Exchanges: a return that asks for replacement lines (the same SKU in another size, or
another product) places a new order for them, paid first by the returned goods.

The returned units are worth what the customer paid for them; the replacement lines are priced
as the original order priced that SKU, else at the catalogue's price in the order's currency.
The returned goods pay for the replacement up to their value (the *credit*): a cheaper
replacement leaves the difference to refund, a dearer one leaves the difference to charge, on
a payment token the request must bring (the original order's was let go when it ended). Pure:
no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.delivery import Identifier
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.numbers import WholeNumber


class ReplacementLine(BaseModel):
    """A unit the customer wants in place of what they send back."""

    model_config = ConfigDict(extra="forbid")

    sku: Identifier
    quantity: WholeNumber = Field(ge=1, le=10_000)


@dataclass(frozen=True)
class ExchangeTerms:
    returned: int  # what the returned units are worth
    replacement: int  # what the replacement lines cost
    credit: int  # the part of the replacement the returned goods pay
    charge: int  # what the exchange order charges (a dearer replacement)
    refund: int  # what is left to refund of the returned goods (a cheaper one)


def terms(returned: int, replacement: int) -> ExchangeTerms:
    credit = min(returned, replacement)
    return ExchangeTerms(
        returned=returned,
        replacement=replacement,
        credit=credit,
        charge=replacement - credit,
        refund=returned - credit,
    )


def replacement_prices(
    lines: Sequence[ReplacementLine],
    *,
    ordered: Mapping[str, int],
    catalogue: Mapping[str, int],
) -> tuple[list[int], list[FieldError]]:
    """Each replacement line's unit price: the original order's for its SKU, else the
    catalogue's in the order's currency; a line with neither is refused."""
    prices: list[int] = []
    errors: list[FieldError] = []
    for i, line in enumerate(lines):
        price = ordered.get(line.sku, catalogue.get(line.sku))
        if price is None:
            errors.append(
                FieldError(
                    field=f"exchange[{i}].sku",
                    code=ErrorCode.NO_PRICE,
                    reason=f"{line.sku} has no price in the order's currency",
                )
            )
            price = 0
        prices.append(price)
    return prices, errors


def credit_taken(credit_left: int, amount: int) -> int:
    """What of a capture an exchange's credit pays (the rest goes to the card)."""
    return min(max(credit_left, 0), amount)
