"""Collections and their store: what the store serves itself, what is transferred to it.

A collection is served by its store when the store has the stock. What it lacks is sourced
from the channel's other locations only where the profile says ``transfer_to_store``: those
locations pick and ship it to the store, which receives it and hands it to the customer. The
explanation says so (``transfers``: from which location to which store, and why) and keeps
how the transfer's locations were chosen (``transfer_decision``). Without transfers, what the
store lacks is unplaced, and the API refuses such an order at intake, naming the stores that
hold the whole cart (``stores_holding``).

Pure and deterministic, like the planner it calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from oms.domain.geo import GeoPoint, PointSource, distance_km
from oms.domain.sourcing.decide import decide
from oms.domain.sourcing.explain import TransferNote
from oms.domain.sourcing.models import Candidate, FactLine, OrderFacts, SourcingPlan
from oms.domain.sourcing.profiles import SourcingProfile

# How many stores an intake refusal names.
STORES_NAMED = 10


def source_collect(
    order: OrderFacts,
    candidates: Sequence[Candidate],
    profile: SourcingProfile,
    *,
    store_id: str,
    store_point: GeoPoint | None,
    exclude: frozenset[str] = frozenset(),
) -> SourcingPlan:
    """The store's own plan; what it cannot serve transferred from elsewhere when the profile
    allows it (``plan.transfers``: source location -> the store), nearest the store first by
    the profile's criteria (the store is the destination)."""
    at_store = [c for c in candidates if c.location_id == store_id]
    plan = decide(order, at_store, profile, exclude).plan
    if not plan.unplaced or not profile.transfer_to_store:
        return plan
    categories = {line.line_id: line.category for line in order.lines}
    # The store is where the transfer goes: distances are measured to it (else as the order's).
    to_store: dict[str, object] = {}
    if store_point is not None:
        to_store = {
            "destination": store_point,
            "destination_source": PointSource.STORE,
            "destination_area": store_id,
        }
    rest = order.model_copy(
        update={
            **to_store,
            "lines": [
                FactLine(
                    line_id=d.line_id, sku=d.sku, qty=d.qty, category=categories.get(d.line_id, "")
                )
                for d in plan.unplaced
            ],
        }
    )
    others = [c for c in candidates if c.location_id != store_id]
    moved = decide(rest, others, profile, exclude | {store_id}).plan
    explanation = plan.explanation
    notes = [
        TransferNote(
            from_location=loc,
            to_store=store_id,
            line_ids=sorted({a.line_id for a in allocs}),
            units=sum(a.qty for a in allocs),
            reason=f"transfer_to_store from {loc} to store {store_id}: the store lacks "
            f"{sum(a.qty for a in allocs)} unit(s) of the cart",
        )
        for loc, allocs in moved.by_location().items()
    ]
    if explanation is not None:
        explanation = explanation.model_copy(
            update={"transfers": notes, "transfer_decision": moved.explanation}
        )
    if not moved.allocations:
        return plan.model_copy(update={"explanation": explanation})
    return plan.model_copy(
        update={
            "allocations": plan.allocations + moved.allocations,
            "unplaced": moved.unplaced,
            "strategy": plan.strategy if plan.allocations else moved.strategy,
            "unplaced_action": moved.unplaced_action,
            "transfers": dict.fromkeys(moved.locations, store_id),
            "explanation": explanation,
        }
    )


def stores_holding(
    candidates: Sequence[Candidate],
    needs: Mapping[str, int],
    *,
    near: GeoPoint | None,
    leave_out: str | None = None,
) -> list[str]:
    """Open stores that can serve every unit of the cart on their own, nearest ``near`` (the
    pickup store) first, then by id; at most ``STORES_NAMED``."""
    found = [
        c
        for c in candidates
        if c.type == "store"
        and c.is_open
        and c.location_id != leave_out
        and all(c.available.get(sku, 0) >= qty for sku, qty in needs.items())
    ]
    found.sort(key=lambda c: (distance_km(near, c.point) if near else 0.0, c.location_id))
    return [c.location_id for c in found[:STORES_NAMED]]
