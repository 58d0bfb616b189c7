"""Sourcing and the reservation ledger, as activities: plan and reserve, commit a pick, consume
what shipped, release what is let go."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session
from temporalio import activity

from oms.contracts.fulfilment import CommitPick, ConsumeRequest
from oms.contracts.sourcing import ReleaseRequest, SourcingPreview, SourcingRequest
from oms.db import cart_holds, inventory, profiles, sourcing
from oms.db.engine import Database
from oms.db.tables import Reservation, utcnow
from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment_profiles import DEFAULT_PROFILE
from oms.domain.sourcing import (
    Allocation,
    Candidate,
    Demand,
    FactLine,
    OrderFacts,
    SourcingPlan,
    source_order,
)
from oms.logging import get_logger
from oms.services import picks
from oms.services.availability import (
    ProfileChoice,
    delivery_method,
    sourcing_candidates,
    with_services,
)
from oms.services.store_collection import collection_candidates, plan_collection

log = get_logger(__name__)

# A plan loses a race when another order takes the stock between planning and reserving;
# each retry plans again on fresh figures.
MAX_PLAN_ATTEMPTS = 5

__all__ = ["ProfileChoice", "SourcingActivities"]


class SourcingActivities:
    def __init__(
        self,
        db: Database,
        *,
        before_reserve: Callable[[str, SourcingPlan], None] | None = None,
        before_plan: Callable[[SourcingRequest], None] | None = None,
        profiles: ProfileChoice | None = None,
    ) -> None:
        self.db = db
        # Which fulfilment profile each chosen location runs (None: profiles are not in use,
        # and fulfilments run the fixed flow of revision 2).
        self.profiles = profiles
        # Called between planning and reserving (order id, plan): where a race is lost. Tests
        # use it to let another order take the stock at that very moment.
        self.before_reserve = before_reserve
        # Called before a new step plans, outside its transaction: tests use it to let another
        # order take stock between what an order previewed and what it sources.
        self.before_plan = before_plan

    @activity.defn
    def source_and_reserve(self, req: SourcingRequest) -> SourcingPlan:
        """Plan on current availability and hold the stock in one transaction.

        Retried with the same step key, it returns what that step already holds.
        """
        with self.db.session() as s:
            held = inventory.reservations_for_step(s, req.step_key)
            if held:
                return self._with_profiles(
                    req, _transfers_of(s, req, _plan_from_entries(req, held))
                )
        if self.before_plan is not None:
            self.before_plan(req)
        for attempt in range(1, MAX_PLAN_ATTEMPTS + 1):
            try:
                with self.db.session() as s:
                    # The hold's units go back to stock and the order reserves in the same
                    # transaction: counted once, and never lost to another order in between.
                    converted = (
                        cart_holds.convert(
                            s, req.cart_id, utcnow(), skus=(d.sku for d in req.demands)
                        )
                        if req.cart_id is not None
                        else 0
                    )
                    skus = {d.sku for d in req.demands}
                    inventory.lock_positions(s, skus)
                    now = utcnow()
                    facts = sourcing.with_categories(s, _facts(req))
                    if req.collect_store is not None:
                        store = req.collect_store
                        cands, profile = collection_candidates(s, req.channel, skus, store, now)
                        if self.profiles is not None:  # a location does the services it offers
                            cands = with_services(s, cands, facts, self.profiles)
                        plan = plan_collection(
                            s, facts, cands, profile, store_id=store, exclude=req.exclude
                        )
                    else:
                        cands = sourcing_candidates(s, req.channel, skus, req.only_locations, now)
                        if self.profiles is not None:  # a location does the services it offers
                            cands = with_services(s, cands, facts, self.profiles)
                        profile = profiles.in_force(s, req.channel)
                        plan = source_order(facts, cands, profile, exclude=frozenset(req.exclude))
                    if self.before_reserve is not None:
                        self.before_reserve(req.order_id, plan)
                    inventory.reserve(
                        s,
                        order_id=req.order_id,
                        step_key=req.step_key,
                        allocations=plan.allocations,
                    )
                    sourcing.record(
                        s,
                        order_id=req.order_id,
                        step_key=req.step_key,
                        plan=plan,
                        replans=attempt - 1,
                    )
            except inventory.InsufficientStock as lost:
                log.info(
                    "sourcing_race_lost",
                    order_id=req.order_id,
                    sku=lost.sku,
                    location_id=lost.location_id,
                    attempt=attempt,
                )
                continue
            log.info(
                "sourced",
                order_id=req.order_id,
                strategy=plan.strategy,
                locations=plan.locations,
                unplaced=len(plan.unplaced),
                cart_id=req.cart_id,
                cart_units=converted,
            )
            # The same order as a retry rebuilds it from the ledger: same step, same answer. The
            # explanation stays in the database (GET /orders/{id}/sourcing), out of the history.
            return self._with_profiles(
                req,
                plan.model_copy(
                    update={
                        "allocations": _in_demand_order(req, plan.allocations),
                        "explanation": None,
                        "candidates": [],
                    }
                ),
            )
        raise RuntimeError(f"stock kept moving while sourcing {req.order_id}; will retry")

    def _with_profiles(self, req: SourcingRequest, plan: SourcingPlan) -> SourcingPlan:
        """The plan with the fulfilment profile each of its locations runs for this order."""
        # A transfer always runs steps (its own, the receipt, the store's collection): the
        # built-in profile where no other covers it, even with profiles not in use.
        transfers = dict.fromkeys(plan.transfers, DEFAULT_PROFILE)
        if self.profiles is None or not plan.allocations:
            return plan.model_copy(update={"fulfilment_profiles": transfers}) if transfers else plan
        method = delivery_method(req.facts)
        # A transfer ships from its source; the store it goes to runs its collection steps.
        methods = {
            loc: DeliveryMethod.SHIP if loc in plan.transfers else method for loc in plan.locations
        }
        if plan.transfers and req.collect_store is not None:
            methods[req.collect_store] = DeliveryMethod.COLLECT
        with self.db.reading() as s:
            chosen = {loc: self.profiles(s, loc, req.channel, m) for loc, m in methods.items()}
        # A location no profile covers runs the fixed flow it always ran (revision 2).
        configured = {loc: p for loc, p in chosen.items() if p is not DEFAULT_PROFILE}
        return plan.model_copy(update={"fulfilment_profiles": {**transfers, **configured}})

    @activity.defn
    def preview_sourcing(self, req: SourcingPreview) -> list[str]:
        """The locations sourcing would choose now for the request (an order edit's new
        destination, or a collection's new store), the units held at ``held_at`` (or each
        location of ``holdings``) counted as available there; none when it could not place
        them all. Reserves nothing."""
        r = req.request
        skus = {d.sku for d in r.demands}
        holdings = req.holdings or {req.held_at: req.held}
        with self.db.reading() as s:
            facts = sourcing.with_categories(s, _facts(r))
            now = utcnow()
            if r.collect_store is not None:
                cands, profile = collection_candidates(s, r.channel, skus, r.collect_store, now)
            else:
                cands = sourcing_candidates(s, r.channel, skus, r.only_locations, now)
                profile = profiles.in_force(s, r.channel)
            cands = [_credited(c, holdings.get(c.location_id, {})) for c in cands]
            if self.profiles is not None:
                cands = with_services(s, cands, facts, self.profiles)
            if r.collect_store is not None:
                plan = plan_collection(
                    s, facts, cands, profile, store_id=r.collect_store, exclude=r.exclude
                )
            else:
                plan = source_order(facts, cands, profile, exclude=frozenset(r.exclude))
        return [] if plan.unplaced else plan.locations

    @activity.defn
    def commit_pick(self, req: CommitPick) -> None:
        with self.db.session() as s:
            picks.record_pick(s, req)

    @activity.defn
    def consume_reservations(self, req: ConsumeRequest) -> int:
        with self.db.session() as s:
            return inventory.consume(s, step_key=req.step_key, location_id=req.location_id)

    @activity.defn
    def release_reservations(self, req: ReleaseRequest) -> int:
        with self.db.session() as s:
            units = inventory.release(
                s,
                order_id=req.order_id,
                step_key=req.step_key,
                location_id=req.location_id,
                picked_effect=req.picked_effect,
            )
        if units:
            log.info(
                "reservations_released",
                order_id=req.order_id,
                units=units,
                location_id=req.location_id,
            )
        return units


def _in_demand_order(req: SourcingRequest, allocations: list[Allocation]) -> list[Allocation]:
    rank = {d.line_id: i for i, d in enumerate(req.demands)}
    return sorted(allocations, key=lambda a: (rank.get(a.line_id, len(rank)), a.location_id))


def _transfers_of(s: Session, req: SourcingRequest, plan: SourcingPlan) -> SourcingPlan:
    """A plan rebuilt from the ledger, with its transfers: a collection's units held away from
    its store are on their way to it."""
    store = req.collect_store
    moved = {loc: store for loc in plan.locations if store is not None and loc != store}
    if not moved or store is None:
        return plan
    found = sourcing.store_point(s, store)
    return plan.model_copy(
        update={"transfers": moved, "transfer_address": found[1] if found else None}
    )


def _facts(req: SourcingRequest) -> OrderFacts:
    lines = [FactLine(line_id=d.line_id, sku=d.sku, qty=d.qty) for d in req.demands]
    if req.facts is None:  # a request from before profiles: what it knows
        return OrderFacts(channel=req.channel, destination=req.destination, lines=lines)
    # The lines' services as the order asked them (none in runs recorded before they counted).
    services = {line.line_id: line.services for line in req.facts.lines}
    lines = [x.model_copy(update={"services": services.get(x.line_id, [])}) for x in lines]
    return req.facts.model_copy(update={"lines": lines})


def _plan_from_entries(req: SourcingRequest, held: list[Reservation]) -> SourcingPlan:
    # Every entry of the step counts, released ones too: a pick splits an entry into the
    # committed part and the released short, so the step's entries still sum to what it took.
    taken: dict[tuple[str, str, str], int] = {}
    for r in held:
        key = (r.line_id, r.location_id, r.sku)
        taken[key] = taken.get(key, 0) + r.qty
    allocations = [
        Allocation(location_id=loc, line_id=line_id, sku=sku, qty=qty)
        for (line_id, loc, sku), qty in taken.items()
    ]
    placed: dict[str, int] = {}
    for a in allocations:
        placed[a.line_id] = placed.get(a.line_id, 0) + a.qty
    unplaced = [
        Demand(line_id=d.line_id, sku=d.sku, qty=d.qty - placed.get(d.line_id, 0))
        for d in req.demands
        if d.qty > placed.get(d.line_id, 0)
    ]
    return SourcingPlan(
        allocations=_in_demand_order(req, allocations),
        unplaced=unplaced,
        strategy="already_reserved",
    )


def _credited(candidate: Candidate, held: dict[str, int]) -> Candidate:
    """A candidate with the units an order holds there counted as available."""
    if not held:
        return candidate
    available = {
        **candidate.available,
        **{sku: candidate.available.get(sku, 0) + n for sku, n in held.items()},
    }
    return candidate.model_copy(update={"available": available})
