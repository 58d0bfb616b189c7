"""Cart holds: stock a storefront keeps aside for a cart until a deadline. Pure rules.

Where a hold's units come from: for each line, the network locations that count towards the
channel's ATP, the one with the most ATP first (then by id), until the quantity is placed. A
line may not take more than the channel ATP of its SKU (the channel buffer stays untouched),
and a hold is all or nothing: one short line refuses the whole cart. A SKU listed on
two lines is held once, for the sum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.availability import ChannelAtp
from oms.domain.delivery import Identifier
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.numbers import WholeNumber
from oms.domain.order.model import MAX_LINES, MAX_QUANTITY

# Ledger entries of a hold carry the order id "cart:<cart id>" (oms.keys.cart_ledger_id).
MIN_TTL_S = 60
MAX_TTL_S = 86_400
DEFAULT_TTL_S = 900


class HoldStatus(StrEnum):
    """Stored in ``cart_holds.status``, shown by ``/carts/{cart_id}/hold``; lower case."""

    HELD = "held"
    RELEASED = "released"
    EXPIRED = "expired"
    CONVERTED = "converted"


class HoldLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Identifier
    quantity: WholeNumber = Field(ge=1, le=MAX_QUANTITY)


class HoldIn(BaseModel):
    """What a storefront asks to hold for a cart."""

    model_config = ConfigDict(extra="forbid")

    channel: Identifier
    lines: list[HoldLineIn] = Field(min_length=1, max_length=MAX_LINES)
    ttl_seconds: int = Field(
        default=DEFAULT_TTL_S,
        ge=MIN_TTL_S,
        le=MAX_TTL_S,
        description=f"How long the stock stays held, {MIN_TTL_S} to {MAX_TTL_S} seconds "
        f"(default {DEFAULT_TTL_S}); a new PUT of the same cart starts a new TTL",
    )


class Placement(BaseModel):
    location_id: str
    quantity: int


class HeldLine(BaseModel):
    sku: str
    quantity: int
    locations: list[Placement]


@dataclass(frozen=True)
class SkuAvailability:
    """A SKU's channel ATP and what each network location counts for in it."""

    atp: int
    by_location: Mapping[str, int]


@dataclass
class HoldPlan:
    lines: list[HeldLine] = field(default_factory=list)
    shortages: list[FieldError] = field(default_factory=list)


class HoldRefused(Exception):
    """The hold cannot be placed; nothing changes. The errors' codes say why: unknown SKUs,
    or not enough stock."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.reason for e in errors))
        self.errors = errors


def decide_hold(request: HoldIn, figures: Mapping[str, ChannelAtp | None]) -> list[HeldLine]:
    """Where each SKU of the cart is held, given each SKU's channel figures (None: not in the
    catalogue). All or nothing.

    Raises:
        HoldRefused: SKUs not in the catalogue; else every SKU there is too little of.
    """
    wanted = merged(request.lines)
    unknown = [
        FieldError(
            field=f"lines[{index}].sku",
            code=ErrorCode.UNKNOWN_SKU,
            reason=f"SKU {sku!r} is not in the catalogue",
        )
        for sku, (index, _) in wanted.items()
        if figures.get(sku) is None
    ]
    if unknown:
        raise HoldRefused(unknown)
    available = {
        sku: SkuAvailability(atp=f.atp, by_location=f.by_location)
        for sku, f in figures.items()
        if f is not None
    }
    plan = plan_hold(request.channel, request.lines, available)
    if plan.shortages:
        raise HoldRefused(plan.shortages)
    return plan.lines


def merged(lines: Sequence[HoldLineIn]) -> dict[str, tuple[int, int]]:
    """Quantity per SKU, in the order SKUs first appear, with the index of that first line
    (a cart that lists a SKU twice holds the sum, as availability options count it)."""
    out: dict[str, tuple[int, int]] = {}
    for i, line in enumerate(lines):
        first, qty = out.get(line.sku, (i, 0))
        out[line.sku] = (first, qty + line.quantity)
    return out


def plan_hold(
    channel_id: str, lines: Sequence[HoldLineIn], available: Mapping[str, SkuAvailability]
) -> HoldPlan:
    """Where each SKU is held, or every SKU that cannot be (``available`` has every SKU).

    A shortage names the SKU's first line (``lines[i].quantity``) and what is available.
    """
    plan = HoldPlan()
    for sku, (index, quantity) in merged(lines).items():
        figures = available[sku]
        if quantity > figures.atp:
            plan.shortages.append(
                FieldError(
                    field=f"lines[{index}].quantity",
                    code=ErrorCode.INSUFFICIENT_STOCK,
                    reason=f"{quantity} x {sku} asked, {figures.atp} available in {channel_id}",
                )
            )
            continue
        plan.lines.append(
            HeldLine(sku=sku, quantity=quantity, locations=_place(sku, quantity, figures))
        )
    return plan


def _place(sku: str, quantity: int, figures: SkuAvailability) -> list[Placement]:
    placed: list[Placement] = []
    left = quantity
    by_most = sorted(figures.by_location.items(), key=lambda kv: (-kv[1], kv[0]))
    for location_id, counted in by_most:
        if left == 0 or counted <= 0:
            break
        take = min(left, counted)
        placed.append(Placement(location_id=location_id, quantity=take))
        left -= take
    # The channel ATP never exceeds the sum of what its locations count for.
    assert left == 0, f"{sku}: locations count for less than the channel ATP"
    return placed


def same_lines(held: Sequence[HeldLine], asked: Sequence[HoldLineIn]) -> bool:
    """Whether a hold already holds exactly what is asked (a re-PUT that only extends it)."""
    asked_qty = {sku: qty for sku, (_, qty) in merged(asked).items()}
    return {h.sku: h.quantity for h in held} == asked_qty
