"""Safety stock rules and which one applies: pure and deterministic.

A rule holds back either a fixed ``quantity`` or a ``percent`` of what is on hand, rounded up
(10% of 25 holds back 3), so that a percentage never promises a unit that a fraction of a unit
would have protected.

Precedence at a location (one SKU at one location), most specific first::

    sku_at_location > sku > category > location > dropship_vendor > location_type

Only the most specific level with a matching rule counts; rules at less specific levels are
ignored, so a SKU rule of 0 exempts a fast mover from its store's safety stock. Two matching
rules at the same level are settled by the larger resulting quantity (the safer one), then by
the smaller rule id, so the answer never depends on the order rules are stored in.

Precedence for a channel's buffer, held back once from the sum over its network::

    channel + sku > channel + category > channel-wide

A channel's own ``buffer`` (set on the channel itself) sits at the channel-wide level, beside
channel-wide rules, and is named ``channel-buffer:<channel id>`` in explanations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oms.domain.numbers import WholeNumber

LocationType = Literal["warehouse", "store", "dropship", "dark_store"]


class SafetyScope(StrEnum):
    SKU_AT_LOCATION = "sku_at_location"
    SKU = "sku"
    CATEGORY = "category"
    LOCATION = "location"
    DROPSHIP_VENDOR = "dropship_vendor"
    LOCATION_TYPE = "location_type"
    CHANNEL = "channel"


POSITION_PRECEDENCE: tuple[SafetyScope, ...] = (
    SafetyScope.SKU_AT_LOCATION,
    SafetyScope.SKU,
    SafetyScope.CATEGORY,
    SafetyScope.LOCATION,
    SafetyScope.DROPSHIP_VENDOR,
    SafetyScope.LOCATION_TYPE,
)

_MATCH_FIELDS = ("sku", "category", "location_id", "vendor_id", "location_type", "channel")
_REQUIRED: dict[SafetyScope, frozenset[str]] = {
    SafetyScope.SKU_AT_LOCATION: frozenset({"sku", "location_id"}),
    SafetyScope.SKU: frozenset({"sku"}),
    SafetyScope.CATEGORY: frozenset({"category"}),
    SafetyScope.LOCATION: frozenset({"location_id"}),
    SafetyScope.DROPSHIP_VENDOR: frozenset({"vendor_id"}),
    SafetyScope.LOCATION_TYPE: frozenset({"location_type"}),
    SafetyScope.CHANNEL: frozenset({"channel"}),
}


class SafetyQuantity(BaseModel):
    """How much to hold back: exactly one of a fixed quantity or a percent of on hand."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quantity: WholeNumber | None = Field(default=None, ge=0, le=2**31 - 1)
    percent: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _exactly_one_amount(self) -> SafetyQuantity:
        if (self.quantity is None) == (self.percent is None):
            raise ValueError("set exactly one of 'quantity' or 'percent'")
        return self

    def amount(self, on_hand: int) -> int:
        """Units held back when ``on_hand`` units are on hand."""
        if self.quantity is not None:
            return self.quantity
        # Decimal of the printed value: 14.3% of 1000 is 143, not the float's 143.0000001 -> 144.
        return math.ceil(Decimal(str(self.percent)) * max(0, on_hand) / 100)


class SafetyRule(SafetyQuantity):
    """A safety stock rule; the fields its scope needs are set and no others."""

    id: str = Field(min_length=1)
    scope: SafetyScope
    sku: str | None = None
    category: str | None = None
    location_id: str | None = None
    vendor_id: str | None = None
    location_type: LocationType | None = None
    channel: str | None = None

    @model_validator(mode="after")
    def _fields_fit_the_scope(self) -> SafetyRule:
        given = {name for name in _MATCH_FIELDS if getattr(self, name) is not None}
        required = _REQUIRED[self.scope]
        if missing := sorted(required - given):
            raise ValueError(f"a {self.scope} rule needs {', '.join(missing)}")
        allowed = required | ({"sku", "category"} if self.scope is SafetyScope.CHANNEL else set())
        if extra := sorted(given - allowed):
            raise ValueError(f"a {self.scope} rule cannot also set {', '.join(extra)}")
        if self.sku is not None and self.category is not None:
            raise ValueError("a channel rule narrows to a sku or a category, not both")
        return self


class AppliedSafety(BaseModel):
    """The quantity held back and the rule that set it (``None`` when no rule matched)."""

    model_config = ConfigDict(frozen=True)

    quantity: int = 0
    rule_id: str | None = None
    scope: SafetyScope | None = None


NO_SAFETY = AppliedSafety()


class SafetyBook:
    """The position rules of one SKU, filed by what they match, so that finding the rule for
    each of hundreds of locations is a few dictionary lookups, not a scan of every rule."""

    __slots__ = ("_by_location", "_by_sku_at", "_by_type", "_by_vendor", "_category", "_sku")

    def __init__(self, rules: Iterable[SafetyRule], *, sku: str, category: str) -> None:
        self._by_sku_at: dict[str, list[SafetyRule]] = {}
        self._sku: list[SafetyRule] = []
        self._category: list[SafetyRule] = []
        self._by_location: dict[str, list[SafetyRule]] = {}
        self._by_vendor: dict[str, list[SafetyRule]] = {}
        self._by_type: dict[str, list[SafetyRule]] = {}
        for rule in rules:
            match rule.scope:
                case SafetyScope.SKU_AT_LOCATION if rule.sku == sku:
                    self._by_sku_at.setdefault(str(rule.location_id), []).append(rule)
                case SafetyScope.SKU if rule.sku == sku:
                    self._sku.append(rule)
                case SafetyScope.CATEGORY if rule.category == category:
                    self._category.append(rule)
                case SafetyScope.LOCATION:
                    self._by_location.setdefault(str(rule.location_id), []).append(rule)
                case SafetyScope.DROPSHIP_VENDOR:
                    self._by_vendor.setdefault(str(rule.vendor_id), []).append(rule)
                case SafetyScope.LOCATION_TYPE:
                    self._by_type.setdefault(str(rule.location_type), []).append(rule)

    def _found(
        self, location_id: str, location_type: str, vendor_id: str | None
    ) -> list[SafetyRule] | None:
        return (
            self._by_sku_at.get(location_id)
            or self._sku
            or self._category
            or self._by_location.get(location_id)
            or (self._by_vendor.get(vendor_id) if vendor_id is not None else None)
            or self._by_type.get(location_type)
        )

    def at(
        self, *, location_id: str, location_type: str, vendor_id: str | None, on_hand: int
    ) -> AppliedSafety:
        """The safety stock at one location: the most specific level with a rule wins."""
        found = self._found(location_id, location_type, vendor_id)
        if not found:
            return NO_SAFETY
        if len(found) == 1:  # the usual case: no ranking, no validation
            rule = found[0]
            return AppliedSafety.model_construct(
                quantity=rule.amount(on_hand), rule_id=rule.id, scope=rule.scope
            )
        return _winner([(0, -r.amount(on_hand), r.id, r) for r in found])

    def quantity_at(
        self, location_id: str, location_type: str, vendor_id: str | None, on_hand: int
    ) -> int:
        """What ``at`` holds back, without saying which rule: the figures-only hot path."""
        found = self._found(location_id, location_type, vendor_id)
        if not found:
            return 0
        return max(r.amount(on_hand) for r in found)


def position_safety(
    rules: Iterable[SafetyRule],
    *,
    sku: str,
    category: str,
    location_id: str,
    location_type: LocationType,
    vendor_id: str | None,
    on_hand: int,
) -> AppliedSafety:
    """The safety stock for one SKU at one location, by the precedence above."""
    return SafetyBook(rules, sku=sku, category=category).at(
        location_id=location_id, location_type=location_type, vendor_id=vendor_id, on_hand=on_hand
    )


def channel_buffer(
    rules: Iterable[SafetyRule],
    *,
    channel_id: str,
    default: SafetyQuantity | None,
    sku: str,
    category: str,
    on_hand: int,
) -> AppliedSafety:
    """The buffer a channel holds back for a SKU, by the precedence above.

    ``on_hand`` is what percentages apply to: the on-hand summed over the locations that count.
    """
    ranked: list[tuple[int, int, str, SafetyRule]] = []
    for rule in rules:
        if rule.scope is not SafetyScope.CHANNEL or rule.channel != channel_id:
            continue
        if rule.sku is not None:
            level = 0 if rule.sku == sku else None
        elif rule.category is not None:
            level = 1 if rule.category == category else None
        else:
            level = 2
        if level is not None:
            ranked.append((level, -rule.amount(on_hand), rule.id, rule))
    if default is not None:
        rule = SafetyRule(
            id=f"channel-buffer:{channel_id}",
            scope=SafetyScope.CHANNEL,
            channel=channel_id,
            quantity=default.quantity,
            percent=default.percent,
        )
        ranked.append((2, -rule.amount(on_hand), rule.id, rule))
    return _winner(ranked)


def _winner(ranked: list[tuple[int, int, str, SafetyRule]]) -> AppliedSafety:
    if not ranked:
        return NO_SAFETY
    _, negative_amount, rule_id, rule = min(ranked, key=lambda t: t[:3])
    return AppliedSafety(quantity=-negative_amount, rule_id=rule_id, scope=rule.scope)
