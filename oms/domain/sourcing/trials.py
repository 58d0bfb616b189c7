"""What a sourcing plan costs, and how two profiles' plans for the same orders compare.

Pure: the plans come from ``oms.domain.sourcing``, the candidates they were made from give each
location's type and place. A plan is measured by
- its shipments: the locations it uses (one parcel each; more than one is a split shipment),
- its distance: the km from each of those locations to the destination, summed (none without a
  destination, e.g. a collection in store),
- its cost to serve: per location used, ``per_parcel + per_km x km`` from one profile's cost
  model (km 0 without a destination), as the ``cost`` criterion counts it, in minor units,
- the units it could not place, and what becomes of them.

Replaying a draft compares, order by order, the plan of the profile an order was sourced with
(before) and the draft's (after), both measured with the draft's cost model so that the two
figures are in the same money.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from pydantic import BaseModel, Field, computed_field

from oms.domain.geo import GeoPoint, distance_km
from oms.domain.sourcing.models import Candidate, SourcingPlan
from oms.domain.sourcing.profiles import SourcingProfile, UnplacedAction

KM_DIGITS = 3

N = TypeVar("N", int, float)


class PlanMetrics(BaseModel):
    locations: list[str] = Field(description="Locations used, by id: one shipment each")
    distance_km: float | None = Field(
        description="Km from each location used to the destination, summed; null: no destination"
    )
    cost: int = Field(description="Cost to serve in minor units, by the cost model compared with")
    units_unplaced: int
    unplaced_action: UnplacedAction | None = Field(
        description="What becomes of the unplaced units; null when every unit is placed"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def shipments(self) -> int:
        """Parcels: one per location used; above one, a split shipment."""
        return len(self.locations)

    @property
    def placed_in_full(self) -> bool:
        return self.units_unplaced == 0


def measure(
    plan: SourcingPlan,
    candidates: Iterable[Candidate],
    destination: GeoPoint | None,
    costs: SourcingProfile,
) -> PlanMetrics:
    """The plan's figures; ``costs`` is the profile whose cost model prices it."""
    where = {c.location_id: c for c in candidates}
    total_km = 0.0
    cost = 0.0
    for loc in plan.locations:
        c = where[loc]
        km = distance_km(c.point, destination) if destination is not None else 0.0
        rate = costs.cost_rate(c.type)
        total_km += km
        cost += rate.per_parcel + rate.per_km * km
    unplaced = sum(d.qty for d in plan.unplaced)
    return PlanMetrics(
        locations=plan.locations,
        distance_km=round(total_km, KM_DIGITS) if destination is not None else None,
        cost=round(cost),
        units_unplaced=unplaced,
        unplaced_action=plan.unplaced_action if unplaced else None,
    )


def same_outcome(a: SourcingPlan, b: SourcingPlan) -> bool:
    """Whether two plans take the same units from the same places and leave the same units,
    to the same fate."""

    def outcome(p: SourcingPlan) -> tuple[object, ...]:
        taken = sorted((x.line_id, x.sku, x.location_id, x.qty) for x in p.allocations)
        left = sorted((d.line_id, d.sku, d.qty) for d in p.unplaced)
        return (taken, left, p.unplaced_action if left else None)

    return outcome(a) == outcome(b)


class OrderTrial(BaseModel):
    order_id: str
    channel: str
    sourced_with: str = Field(description="The profile the order was sourced with (before)")
    changed: bool
    before: PlanMetrics
    after: PlanMetrics


def compare(
    order_id: str,
    channel: str,
    *,
    before: SourcingPlan,
    after: SourcingPlan,
    candidates: Iterable[Candidate],
    destination: GeoPoint | None,
    costs: SourcingProfile,
    sourced_with: str,
) -> OrderTrial:
    """One order's plans side by side, both priced by ``costs``."""
    cands = list(candidates)
    return OrderTrial(
        order_id=order_id,
        channel=channel,
        sourced_with=sourced_with,
        changed=not same_outcome(before, after),
        before=measure(before, cands, destination, costs),
        after=measure(after, cands, destination, costs),
    )


class Change(BaseModel, Generic[N]):
    before: N
    after: N
    difference: N = Field(description="after - before")


def _change(before: int, after: int) -> Change[int]:
    return Change[int](before=before, after=after, difference=after - before)


def _km(before: float, after: float) -> Change[float]:
    b, a = round(before, KM_DIGITS), round(after, KM_DIGITS)
    return Change[float](before=b, after=a, difference=round(a - b, KM_DIGITS))


class TrialTotals(BaseModel):
    orders: int = Field(description="Orders compared")
    changed: int = Field(description="Orders whose plan would change")
    shipments: Change[int] = Field(description="Locations used, summed over the orders")
    split_orders: Change[int] = Field(description="Orders shipped from more than one location")
    distance_km: Change[float] = Field(description="Over the orders with a destination")
    cost: Change[int] = Field(description="Minor units, by the draft's cost model")
    not_placed_in_full: Change[int] = Field(description="Orders with units left unplaced")
    units_unplaced: Change[int]


def totals(replays: Iterable[OrderTrial]) -> TrialTotals:
    rows = list(replays)
    before = [r.before for r in rows]
    after = [r.after for r in rows]
    return TrialTotals(
        orders=len(rows),
        changed=sum(r.changed for r in rows),
        shipments=_change(sum(m.shipments for m in before), sum(m.shipments for m in after)),
        split_orders=_change(
            sum(m.shipments > 1 for m in before), sum(m.shipments > 1 for m in after)
        ),
        distance_km=_km(
            sum(m.distance_km or 0.0 for m in before), sum(m.distance_km or 0.0 for m in after)
        ),
        cost=_change(sum(m.cost for m in before), sum(m.cost for m in after)),
        not_placed_in_full=_change(
            sum(not m.placed_in_full for m in before), sum(not m.placed_in_full for m in after)
        ),
        units_unplaced=_change(
            sum(m.units_unplaced for m in before), sum(m.units_unplaced for m in after)
        ),
    )
