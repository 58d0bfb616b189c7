"""Sourcing profiles: how a retailer wants its orders sourced, written as data.

A profile is a versioned document (JSON, validated here), immutable once published: a change is
a new version. Its status is ``draft``, ``active`` or ``inactive``; one profile is active per
channel, and one without a channel is the default. A profile holds ordered strategies: the
first whose conditions match the order and that can place every unit wins; if none does, the
fallback places what it can and its split policy says what becomes of the rest. With
``transfer_to_store``, a collection its store cannot serve is sourced elsewhere and
transferred to the store (``oms.domain.sourcing.transfers``).

A strategy has
- conditions on the order (all that are set must hold; a list matches any of its values),
- filters that exclude locations,
- ordered criteria that rank the locations and plans left (later criteria break ties, a
  ``band`` makes values within the same band equal so that the next criterion decides),
- a split policy: at most how many locations, whether a line may be split across them, and
  what happens to units that cannot be placed (backorder, hold or cancel).

The planner (``oms.domain.sourcing``) always minimises the number of locations first; the
criteria rank the plans of that size. ``DEFAULT_PROFILE`` is what sourcing did before profiles.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from oms.keys import profile_ref

Name = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
# The largest version number: past it a 422, not a number the database cannot hold (SQLite's
# integers stop at 2**63 - 1, PostgreSQL's at 2**31 - 1).
MAX_VERSION = 2**31 - 1
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]
Values = tuple[Annotated[str, StringConstraints(min_length=1)], ...]


class ProfileStatus(StrEnum):
    """A profile version's status: stored in ``sourcing_profiles.status``, shown by
    ``/sourcing/profiles``; lower case."""

    DRAFT = "draft"
    ACTIVE = "active"
    INACTIVE = "inactive"


class DeliveryKind(StrEnum):
    """Delivery as sourcing sees it: an express shipment is its own kind."""

    SHIP = "ship"
    COLLECT = "collect"
    EXPRESS = "express"


class UnplacedAction(StrEnum):
    """What becomes of units no location can take: today's orders cancel them."""

    BACKORDER = "backorder"
    HOLD = "hold"
    CANCEL = "cancel"


CriterionName = Literal[
    "distance",  # km from the location to the destination; nearer first
    "lead_time",  # hours the location takes to fulfil; faster first
    "capacity",  # fulfilments it can still take today; more first
    "performance",  # recent reject rate + short-pick rate; lower first
    "cost",  # cost to serve from the profile's cost model; cheaper first (best margin)
    "stock_balance",  # share of its stock left after the pick; fuller first
    "location_type",  # position of its type in ``prefer``
    "priority",  # position of the location id in ``prefer``
]
RANKED_BY_LIST = ("location_type", "priority")


def _ordered(low: int | None, high: int | None, what: str) -> None:
    if low is not None and high is not None and low > high:
        raise ValueError(f"min {what} {low} is above max {what} {high}")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Conditions(_Doc):
    """When a strategy applies. Unset conditions always hold; set ones must all hold."""

    channels: Values | None = None
    customer_tiers: Values | None = None
    min_order_value: int | None = Field(default=None, ge=0, description="Minor units")
    max_order_value: int | None = Field(default=None, ge=0, description="Minor units")
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="The currency of the value bounds"
    )
    delivery: tuple[DeliveryKind, ...] | None = None
    countries: tuple[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")], ...] | None = None
    regions: Values | None = None
    categories: Values | None = Field(
        default=None, description="At least one line is in one of these categories"
    )
    only_categories: Values | None = Field(
        default=None, description="Every line is in one of these categories"
    )
    min_lines: int | None = Field(default=None, ge=1)
    max_lines: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _coherent(self) -> Conditions:
        for name, value in self:
            if isinstance(value, tuple) and not value:
                raise ValueError(f"{name}: an empty list matches no order; leave it out instead")
        _ordered(self.min_order_value, self.max_order_value, "order value")
        _ordered(self.min_lines, self.max_lines, "lines")
        if self.currency and self.min_order_value is None and self.max_order_value is None:
            raise ValueError("currency only qualifies min_order_value / max_order_value")
        return self

    @property
    def is_empty(self) -> bool:
        return self == Conditions()


class Filters(_Doc):
    """Which locations a strategy may not use."""

    location_types: Values | None = Field(default=None, description="Only these types")
    networks: Values | None = Field(default=None, description="Only members of one of these")
    open_only: bool = True
    min_remaining_capacity: int = Field(
        default=1, ge=0, description="Fulfilments it must still be able to take today"
    )
    max_distance_km: float | None = Field(default=None, gt=0)
    min_stock_cover: int = Field(
        default=0, ge=0, description="Units of each SKU the location keeps after the pick"
    )
    dropship_categories: dict[str, Values] | None = Field(
        default=None,
        description="Drop-ship vendor -> categories it may fulfil ('*': any vendor); "
        "when set, a vendor serves only those categories",
    )

    @model_validator(mode="after")
    def _coherent(self) -> Filters:
        for name in ("location_types", "networks"):
            if getattr(self, name) == ():
                raise ValueError(f"{name}: an empty list excludes every location")
        return self


class Criterion(_Doc):
    criterion: CriterionName
    band: float | None = Field(
        default=None, gt=0, description="Values within the same band rank equal (e.g. 50 km)"
    )
    prefer: Values = Field(
        default=(), description="location_type: types, priority: location ids, best first"
    )

    @model_validator(mode="after")
    def _coherent(self) -> Criterion:
        if self.criterion in RANKED_BY_LIST:
            if not self.prefer:
                raise ValueError(f"criterion {self.criterion!r} needs a 'prefer' list")
            if self.band is not None:
                raise ValueError(f"criterion {self.criterion!r} ranks by position: no band")
            if len(set(self.prefer)) != len(self.prefer):
                raise ValueError(f"criterion {self.criterion!r}: 'prefer' names one twice")
        elif self.prefer:
            raise ValueError(f"criterion {self.criterion!r} takes no 'prefer' list")
        return self


class SplitPolicy(_Doc):
    max_locations: int | None = Field(default=None, ge=1)
    split_lines: bool = Field(default=True, description="A line may come from several places")
    unplaced: UnplacedAction = UnplacedAction.CANCEL


class Strategy(_Doc):
    name: Name
    description: str = Field(default="", max_length=500)
    conditions: Conditions = Conditions()
    filters: Filters = Filters()
    criteria: tuple[Criterion, ...] = (Criterion(criterion="distance"),)
    split: SplitPolicy = SplitPolicy()

    @model_validator(mode="after")
    def _criteria_once(self) -> Strategy:
        names = [c.criterion for c in self.criteria]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"criterion {name!r} is listed twice")
        return self


class CostRate(_Doc):
    """Cost to serve one parcel from a location type, in minor units."""

    per_parcel: int = Field(default=0, ge=0, description="Picking and packing a parcel")
    per_km: float = Field(default=0, ge=0, description="Shipping, per km to the destination")


class SourcingProfile(_Doc):
    id: Name
    version: Version
    status: ProfileStatus = ProfileStatus.DRAFT
    channel: Name | None = Field(default=None, description="None: the default profile")
    description: str = Field(default="", max_length=2000)
    strategies: tuple[Strategy, ...] = Field(min_length=1)
    fallback: Strategy
    costs: dict[str, CostRate] = Field(
        default_factory=dict, description="Location type -> cost rate ('*': any other type)"
    )
    transfer_to_store: bool = Field(
        default=False,
        description="A collection whose store lacks stock is sourced elsewhere and "
        "transferred to the store; false: refused at intake (not_available_at_store)",
    )

    @model_validator(mode="after")
    def _coherent(self) -> SourcingProfile:
        names = [s.name for s in (*self.strategies, self.fallback)]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"strategy name {name!r} is used twice")
        if not self.fallback.conditions.is_empty:
            raise ValueError("the fallback applies to every order: it takes no conditions")
        uses_cost = any(
            c.criterion == "cost" for s in (*self.strategies, self.fallback) for c in s.criteria
        )
        if uses_cost and not self.costs:
            raise ValueError("criterion 'cost' needs a cost model ('costs')")
        return self

    @property
    def ref(self) -> str:
        return profile_ref(self.id, self.version)

    def cost_rate(self, location_type: str) -> CostRate:
        return self.costs.get(location_type) or self.costs.get("*") or _FREE


_FREE = CostRate()


_NEAREST = (Criterion(criterion="distance"),)

DEFAULT_PROFILE = SourcingProfile(
    id="default",
    version=1,
    status=ProfileStatus.ACTIVE,
    description="The nearest single location that has every line, else the fewest locations, "
    "nearest first; lines may be split; what no location has is cancelled.",
    strategies=(Strategy(name="fewest-nearest", criteria=_NEAREST),),
    fallback=Strategy(name="what-is-available", criteria=_NEAREST),
)


class ProfileConflict(ValueError):
    pass


def active_profile(profiles: Iterable[SourcingProfile], channel: str) -> SourcingProfile:
    """The channel's active profile, else the active default, else ``DEFAULT_PROFILE``.

    Raises ProfileConflict when two profiles are active for the same channel (or as default).
    """
    mine: list[SourcingProfile] = []
    default: list[SourcingProfile] = []
    for p in profiles:
        if p.status is ProfileStatus.ACTIVE:
            if p.channel == channel:
                mine.append(p)
            elif p.channel is None:
                default.append(p)
    for found in (mine, default):
        if len(found) > 1:
            refs = ", ".join(sorted(p.ref for p in found))
            raise ProfileConflict(f"more than one active profile for {channel!r}: {refs}")
        if found:
            return found[0]
    return DEFAULT_PROFILE
