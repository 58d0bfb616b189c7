"""Deciding which locations fulfil an order: pure and deterministic.

This first planner does what a retailer expects by default: the nearest single location that
can fulfil every line; failing that, the fewest locations (a greedy cover that takes, at each
step, the location covering the most remaining units, nearer first). Configurable profiles
replace the ranking later; the inputs and the plan stay the same.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from oms.domain.geo import GeoPoint, distance_km


class Demand(BaseModel):
    line_id: str
    sku: str
    qty: int = Field(gt=0)


class Candidate(BaseModel):
    """A location that could fulfil, with what it can promise per SKU right now."""

    location_id: str
    type: str
    point: GeoPoint
    is_open: bool = True
    available: dict[str, int]


class Allocation(BaseModel):
    location_id: str
    line_id: str
    sku: str
    qty: int = Field(gt=0)


class CandidateNote(BaseModel):
    location_id: str
    distance_km: float | None
    covers_units: int
    excluded: str | None = None


class SourcingPlan(BaseModel):
    allocations: list[Allocation] = Field(default_factory=list)
    unplaced: list[Demand] = Field(default_factory=list)
    strategy: str = ""
    candidates: list[CandidateNote] = Field(default_factory=list)

    @property
    def locations(self) -> list[str]:
        return sorted({a.location_id for a in self.allocations})

    def by_location(self) -> dict[str, list[Allocation]]:
        out: dict[str, list[Allocation]] = {}
        for a in self.allocations:
            out.setdefault(a.location_id, []).append(a)
        return dict(sorted(out.items()))


def plan_sourcing(
    demands: list[Demand],
    candidates: list[Candidate],
    *,
    destination: GeoPoint | None,
    exclude: frozenset[str] = frozenset(),
) -> SourcingPlan:
    """Place every demand on the fewest, nearest locations without exceeding availability."""
    notes: list[CandidateNote] = []
    usable: list[tuple[float, str, Candidate]] = []
    for c in sorted(candidates, key=lambda c: c.location_id):
        dist = distance_km(destination, c.point) if destination is not None else None
        covers = _units_covered(demands, c.available)
        reason = None
        if c.location_id in exclude:
            reason = "excluded_after_failure"
        elif not c.is_open:
            reason = "closed"
        elif covers == 0:
            reason = "no_stock"
        notes.append(
            CandidateNote(
                location_id=c.location_id, distance_km=dist, covers_units=covers, excluded=reason
            )
        )
        if reason is None:
            usable.append((dist if dist is not None else 0.0, c.location_id, c))
    usable.sort(key=lambda t: (t[0], t[1]))

    total_units = sum(d.qty for d in demands)
    for _, _, c in usable:
        if _units_covered(demands, c.available) == total_units:
            allocations = [
                Allocation(location_id=c.location_id, line_id=d.line_id, sku=d.sku, qty=d.qty)
                for d in demands
            ]
            return SourcingPlan(
                allocations=allocations, strategy="single_location_nearest", candidates=notes
            )

    return _greedy_cover(demands, usable, notes)


def _units_covered(demands: list[Demand], available: dict[str, int]) -> int:
    left = dict(available)
    covered = 0
    for d in demands:
        take = min(d.qty, max(0, left.get(d.sku, 0)))
        covered += take
        left[d.sku] = left.get(d.sku, 0) - take
    return covered


def _greedy_cover(
    demands: list[Demand],
    usable: list[tuple[float, str, Candidate]],
    notes: list[CandidateNote],
) -> SourcingPlan:
    remaining = {d.line_id: d.qty for d in demands}
    stock = {c.location_id: dict(c.available) for _, _, c in usable}
    allocations: list[Allocation] = []
    used: set[str] = set()
    while any(remaining.values()):
        best: tuple[int, float, str] | None = None
        for dist, loc_id, _ in usable:
            if loc_id in used:
                continue
            open_demands = [
                Demand(line_id=d.line_id, sku=d.sku, qty=remaining[d.line_id])
                for d in demands
                if remaining[d.line_id] > 0
            ]
            covers = _units_covered(open_demands, stock[loc_id])
            if covers and (best is None or (-covers, dist, loc_id) < (-best[0], best[1], best[2])):
                best = (covers, dist, loc_id)
        if best is None:
            break
        loc_id = best[2]
        used.add(loc_id)
        for d in demands:
            take = min(remaining[d.line_id], max(0, stock[loc_id].get(d.sku, 0)))
            if take:
                allocations.append(
                    Allocation(location_id=loc_id, line_id=d.line_id, sku=d.sku, qty=take)
                )
                remaining[d.line_id] -= take
                stock[loc_id][d.sku] -= take
    unplaced = [
        Demand(line_id=d.line_id, sku=d.sku, qty=remaining[d.line_id])
        for d in demands
        if remaining[d.line_id] > 0
    ]
    strategy = "fewest_locations" if allocations else "nothing_available"
    return SourcingPlan(
        allocations=allocations, unplaced=unplaced, strategy=strategy, candidates=notes
    )
