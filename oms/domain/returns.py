"""Returns: what a customer may send back (the channel's return policy, as data), where a
return stands, what each quality-control grade does to stock, and what is refunded.

A return is asked for lines and quantities of a delivered order (collected, for a collection),
within the policy's window counted from delivery, never for a non-returnable category or a
product the catalogue says is not ``returnable``, never more than was delivered less what
earlier returns took. The units come back at a location (``in_store``, or ``by_carrier`` with
a return label), are graded unit by unit in a quality-control task, and each grade's reason
code (usage ``return_qc``) says what happens to the units: back on sale (``none``),
quarantined, or written off (``write_off``: nothing comes back on hand, e.g. ``qc_missing``).
The refund follows the grades the policy refunds, at the lines' unit prices, at once for
trusted tiers or once received. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oms.domain.delivery import Identifier
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.exchanges import ReplacementLine
from oms.domain.numbers import WholeNumber
from oms.domain.reason_codes import StockEffect

GRADES = ("qc_resellable", "qc_damaged", "qc_wrong_item", "qc_missing")


class ReturnMethod(StrEnum):
    IN_STORE = "in_store"  # brought to a store
    BY_CARRIER = "by_carrier"  # sent with a return label from the carrier


class ReturnStatus(StrEnum):
    """Stored in ``returns.status``; upper case like the workflows' other statuses."""

    AWAITING_RECEIPT = "AWAITING_RECEIPT"
    AWAITING_QC = "AWAITING_QC"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"  # nothing came back in time
    WITHDRAWN = "WITHDRAWN"  # its run could not be started: the customer asks again

    @property
    def is_final(self) -> bool:
        return self in (ReturnStatus.COMPLETED, ReturnStatus.EXPIRED, ReturnStatus.WITHDRAWN)

    @property
    def takes_units(self) -> bool:
        """Whether the return holds on to its units (against a later return of them)."""
        return self not in (ReturnStatus.EXPIRED, ReturnStatus.WITHDRAWN)


class RefundState(StrEnum):
    NONE = "none"
    REFUNDED = "refunded"
    FAILED = "failed"  # the gateway refused: a payment exception for customer service


class ShippingRefund(StrEnum):
    """When a return gives the shipping charge back (once per order, with its goods)."""

    NEVER = "never"
    WHEN_ALL_RETURNED = "when_all_returned"  # the return that brings the last unit back
    ALWAYS = "always"  # the order's first return that refunds goods


class ReturnPolicy(BaseModel):
    """A channel's return policy (``PUT /return-policies/{channel}``)."""

    model_config = ConfigDict(extra="forbid")

    window_days: int = Field(default=30, ge=0, le=3650, description="counted from delivery")
    category_window_days: dict[str, Annotated[int, Field(ge=0, le=3650)]] = Field(
        default_factory=dict, description="a category's own window, e.g. 14 for electronics"
    )
    non_returnable_categories: list[str] = Field(default_factory=list, max_length=200)
    instant_refund_tiers: list[str] = Field(
        default_factory=list, description="customer tiers refunded when they ask, before receipt"
    )
    refunded_grades: list[str] = Field(
        default_factory=lambda: ["qc_resellable", "qc_damaged"],
        description="QC grades whose units are refunded",
    )
    receive_within_days: int = Field(
        default=30, ge=1, le=365, description="how long a return waits for its parcel"
    )
    qc_due_hours: int = Field(default=48, ge=1, le=24 * 30)
    refund_shipping: ShippingRefund = Field(
        default=ShippingRefund.NEVER, description="when a return refunds the shipping charge"
    )
    shipping_refund_reasons: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list,
        max_length=50,
        description="request reasons that refund the shipping charge whatever "
        "`refund_shipping` says (the retailer's fault: e.g. `arrived_damaged`, `defective`)",
    )

    def window(self, category: str | None) -> timedelta:
        days = self.category_window_days.get(category or "", self.window_days)
        return timedelta(days=days)


DEFAULT_POLICY = ReturnPolicy()


class ReturnLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: Identifier
    quantity: WholeNumber = Field(ge=1, le=10_000)


def lines_once(lines: list[ReturnLineIn]) -> list[ReturnLineIn]:
    ids = [line.line_id for line in lines]
    if len(ids) != len(set(ids)):
        raise ValueError("each line once")
    return lines


class ReturnRequest(BaseModel):
    """The body of ``POST /orders/{id}/returns``."""

    model_config = ConfigDict(extra="forbid")

    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    reason_code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")] = Field(
        description="why, in the customer's words made a code (e.g. `changed_mind`)"
    )
    method: ReturnMethod
    location_id: Identifier = Field(description="where the units come back")
    exchange: list[ReplacementLine] = Field(
        default_factory=list,
        max_length=200,
        description="replacement lines: a new order for them, paid first by the returned goods",
    )
    payment_token: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None,
        description="pays what a dearer exchange costs more than the returned goods",
    )

    @field_validator("lines")
    @classmethod
    def _lines_once(cls, lines: list[ReturnLineIn]) -> list[ReturnLineIn]:
        return lines_once(lines)


class LineFacts(BaseModel):
    """What the order says of one line, for a return: its price and category, how many units
    were delivered, when, and how many earlier returns took."""

    line_id: str
    sku: str
    unit_price: int
    category: str | None
    returnable: bool = True  # the product's own say (the PIM's ``returnable``)
    delivered: int
    delivered_at: datetime | None
    returned: int


def refusals(
    request: ReturnRequest, facts: dict[str, LineFacts], policy: ReturnPolicy, now: datetime
) -> list[FieldError]:
    """Every rule the request breaks, each naming its line; empty when it may be returned."""
    errors: list[FieldError] = []
    for i, asked in enumerate(request.lines):
        field = f"lines[{i}]"
        line = facts.get(asked.line_id)
        if line is None:
            errors.append(
                _err(f"{field}.line_id", ErrorCode.UNKNOWN_LINE, f"no line {asked.line_id}")
            )
            continue
        if line.category is not None and line.category in policy.non_returnable_categories:
            errors.append(
                _err(
                    field,
                    ErrorCode.NOT_RETURNABLE,
                    f"{line.sku} ({line.category}) cannot be returned",
                )
            )
            continue
        if not line.returnable:
            errors.append(_err(field, ErrorCode.NOT_RETURNABLE, f"{line.sku} cannot be returned"))
            continue
        if line.delivered == 0 or line.delivered_at is None:
            errors.append(
                _err(field, ErrorCode.NOT_DELIVERED, f"line {line.line_id} was not delivered")
            )
            continue
        closes = line.delivered_at + policy.window(line.category)
        if now > closes:
            errors.append(
                _err(
                    field,
                    ErrorCode.RETURN_WINDOW_CLOSED,
                    f"line {line.line_id}: the return window closed on {closes:%Y-%m-%d}",
                )
            )
            continue
        left = line.delivered - line.returned
        if asked.quantity > left:
            errors.append(
                _err(
                    f"{field}.quantity",
                    ErrorCode.EXCEEDS_RETURNABLE,
                    f"line {line.line_id}: {left} of {line.delivered} delivered may still be "
                    f"returned, {asked.quantity} asked",
                )
            )
    return errors


def _err(field: str, code: ErrorCode, reason: str) -> FieldError:
    return FieldError(field=field, code=code, reason=reason)


class GradedLine(BaseModel):
    """How many units of a line got a grade (a QC reason code)."""

    model_config = ConfigDict(extra="forbid")

    line_id: Identifier
    grade: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    quantity: WholeNumber = Field(ge=1, le=10_000)


def merged(grades: Sequence[GradedLine]) -> list[GradedLine]:
    """The grades with one row per line and grade (a unit-by-unit grading repeats them)."""
    units: dict[tuple[str, str], int] = {}
    for g in grades:
        units[(g.line_id, g.grade)] = units.get((g.line_id, g.grade), 0) + g.quantity
    return [GradedLine(line_id=li, grade=gr, quantity=q) for (li, gr), q in units.items()]


def return_stock(effect: StockEffect, units: int) -> tuple[int, int]:
    """(on hand, quarantined) added at the receiving location for ``units`` returned units
    graded with a code of this stock effect."""
    if effect is StockEffect.QUARANTINE:
        return 0, units
    if effect is StockEffect.WRITE_OFF:
        return 0, 0
    return units, 0  # none (back on sale) and recount (on sale, to be counted)


def shipping_refund(
    policy: ReturnPolicy,
    *,
    reason_code: str,
    shipping: int,
    already_refunded: bool,
    all_returned: bool,
) -> int:
    """The shipping charge a return gives back with its goods: once per order, when the
    policy says so for this return."""
    if not shipping or already_refunded:
        return 0
    if reason_code in policy.shipping_refund_reasons:
        return shipping
    if policy.refund_shipping is ShippingRefund.ALWAYS:
        return shipping
    if policy.refund_shipping is ShippingRefund.WHEN_ALL_RETURNED and all_returned:
        return shipping
    return 0


def all_returned(request: ReturnRequest, facts: dict[str, LineFacts]) -> bool:
    """Whether this return brings back every delivered unit of the order still out."""
    asked = {line.line_id: line.quantity for line in request.lines}
    return all(f.returned + asked.get(f.line_id, 0) >= f.delivered for f in facts.values())


def with_shipping(goods: int, shipping: int) -> int:
    """A refund of goods and the shipping that goes with it: shipping only with goods."""
    return goods + shipping if goods > 0 else 0


def refund_due(grades: list[GradedLine], prices: dict[str, int], policy: ReturnPolicy) -> int:
    """What the customer gets back for graded units."""
    return sum(
        prices.get(g.line_id, 0) * g.quantity for g in grades if g.grade in policy.refunded_grades
    )


class _Asked(Protocol):
    @property
    def line_id(self) -> str: ...

    @property
    def quantity(self) -> int: ...


def asked_refund(lines: Sequence[_Asked], prices: dict[str, int]) -> int:
    """What an instant refund (before receipt) pays: every unit asked for."""
    return sum(prices.get(line.line_id, 0) * line.quantity for line in lines)
