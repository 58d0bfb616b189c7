"""Deciding which locations fulfil an order: pure and deterministic.

``source_order`` runs a sourcing profile (``oms.domain.sourcing.profiles``) over the order's
facts and the candidate locations: the first strategy whose conditions match and that places
every unit wins, else the fallback places what it can. Within a strategy the filters exclude
locations, the search (``oms.domain.sourcing.search``) finds the fewest locations that place
the order, and the criteria (``oms.domain.sourcing.rules``) rank the plans of that size. A
plan never takes more of a SKU at a location than its ATP, and the same input always gives
the same plan (candidates are read in location-id order, every tie ends on location ids).

``plan_sourcing`` is the entry point sourcing had before profiles: the built-in default
profile, today's strategy names and candidate notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from oms.domain.geo import GeoPoint
from oms.domain.sourcing.decide import decide
from oms.domain.sourcing.models import (
    Candidate,
    CandidateNote,
    Demand,
    FactLine,
    OrderFacts,
    SourcingPlan,
)
from oms.domain.sourcing.profiles import DEFAULT_PROFILE, SourcingProfile

__all__ = ["consume_capacity", "plan_sourcing", "source_order"]


def source_order(
    order: OrderFacts,
    candidates: Sequence[Candidate],
    profile: SourcingProfile = DEFAULT_PROFILE,
    *,
    exclude: frozenset[str] = frozenset(),
) -> SourcingPlan:
    """Plan the order with the profile, explained (``plan.explanation``).

    ``exclude``: locations that failed this order before (a rejection, a short pick).
    """
    return decide(order, candidates, profile, exclude).plan


def plan_sourcing(
    demands: list[Demand],
    candidates: list[Candidate],
    *,
    destination: GeoPoint | None,
    exclude: frozenset[str] = frozenset(),
) -> SourcingPlan:
    """Place every demand on the fewest, nearest locations without exceeding availability.

    The default profile, reported as before profiles: strategy ``single_location_nearest``,
    ``fewest_locations`` or ``nothing_available``, and a note for every candidate.
    """
    facts = OrderFacts(
        destination=destination,
        lines=[FactLine(line_id=d.line_id, sku=d.sku, qty=d.qty) for d in demands],
    )
    decision = decide(facts, candidates, DEFAULT_PROFILE, exclude)
    plan = decision.plan
    if not plan.allocations:
        strategy = "nothing_available"
    elif not plan.unplaced and len(plan.locations) == 1:
        strategy = "single_location_nearest"
    else:
        strategy = "fewest_locations"
    needs = [(d.sku, d.qty) for d in demands]
    notes = [
        CandidateNote(
            location_id=c.location_id,
            distance_km=decision.distances.of(c),
            covers_units=_units_covered(needs, c.available),
            excluded=decision.reasons.get(c.location_id),
        )
        for c in decision.candidates
    ]
    return plan.model_copy(update={"strategy": strategy, "candidates": notes, "explanation": None})


def consume_capacity(candidates: Iterable[Candidate], plan: SourcingPlan) -> list[Candidate]:
    """The candidates once the plan's fulfilments count against today's capacity: one per
    location the plan uses. Capacity is per location and per day; the caller starts each day
    from ``capacity_used=0``."""
    used = set(plan.locations)
    return [
        c.model_copy(update={"capacity_used": c.capacity_used + 1}) if c.location_id in used else c
        for c in candidates
    ]


def _units_covered(needs: list[tuple[str, int]], available: dict[str, int]) -> int:
    left = dict(available)
    covered = 0
    for sku, qty in needs:
        take = min(qty, max(0, left.get(sku, 0)))
        covered += take
        left[sku] = left.get(sku, 0) - take
    return covered
