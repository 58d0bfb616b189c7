"""Sourcing without reserving: one order simulated, or recent orders tried under a draft.

Both build candidates exactly as a placed order's sourcing does (``activities.sourcing``): the
channel's network less its exclusions, each location's ATP under its safety rules, its networks,
capacity and record; a collection only from its store; categories from the catalogue. Callers
run them in ``Database.read_only()`` (rolled back, and read only on PostgreSQL): nothing is
reserved, nothing recorded.

Stock is not kept as it was when an order was placed, so an order tried again is planned on today's
stock by both profiles: the comparison is like for like, not a reconstruction of the past.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session

from oms.db import fulfilment_profiles, orders, profiles, sourcing
from oms.domain.errors import DomainError
from oms.domain.order import DeliveryMethod, OrderIn
from oms.domain.sourcing import Candidate, OrderFacts, SourcingPlan, source_order
from oms.domain.sourcing.profiles import DEFAULT_PROFILE, SourcingProfile
from oms.domain.sourcing.trials import OrderTrial, compare
from oms.services.availability import sourcing_candidates, with_services
from oms.services.store_collection import plan_collection

Where = tuple[str, frozenset[str], tuple[str, ...] | None]


def plan(
    session: Session, order: OrderIn, profile: SourcingProfile, now: datetime
) -> tuple[SourcingPlan, list[Candidate], OrderFacts]:
    """The plan the order's first sourcing would make now with this profile, the candidates it
    was made from and the order's facts."""
    facts = sourcing.with_categories(session, OrderFacts.of(order, {}))
    store = order.delivery.store_id
    if order.delivery.method is DeliveryMethod.COLLECT and store and profile.transfer_to_store:
        # As a placed collection is: its store first, what it lacks transferred to it.
        skus = {x.sku for x in order.lines}
        cands = _with_services(
            session, sourcing_candidates(session, order.channel, skus, None, now), facts
        )
        return plan_collection(session, facts, cands, profile, store_id=store), cands, facts
    cands = _with_services(session, candidates_for(session, order, now), facts)
    return source_order(facts, cands, profile), cands, facts


def _with_services(session: Session, cands: list[Candidate], facts: OrderFacts) -> list[Candidate]:
    """Each candidate with the services its fulfilment profile performs, as the worker as
    deployed sees them, when a line asks one."""
    return with_services(session, cands, facts, fulfilment_profiles.choose)


def candidates_for(session: Session, order: OrderIn, now: datetime) -> list[Candidate]:
    return sourcing_candidates(session, *_where(order), now)


def _where(order: OrderIn) -> Where:
    """Whose network, which SKUs, which locations only: what an order's candidates depend on."""
    delivery = order.delivery
    collect = delivery.method is DeliveryMethod.COLLECT
    only = (delivery.store_id,) if collect and delivery.store_id else None
    return order.channel, frozenset(x.sku for x in order.lines), only


def over_past_orders(
    session: Session,
    draft: SourcingProfile,
    *,
    last: int,
    channel: str | None,
    now: datetime,
) -> tuple[list[OrderTrial], int]:
    """The last ``last`` orders (newest first, of one channel if given), each planned with the
    profile it was sourced with and with the draft on the same candidates, priced by the
    draft's cost model. Also answers how many orders could not be read (their stored body no
    longer validates, or the profile version they name is gone) and were left out."""
    rows = orders.newest(session, last=last, channel=channel)
    used = sourcing.sourced_with(session, [r.id for r in rows])
    known: dict[tuple[str, int], SourcingProfile | None] = {}
    # Orders that ask the same locations for the same SKUs share their candidates: each group
    # is read once, and one group's candidates are held at a time.
    groups: dict[Where, list[tuple[int, OrderIn, SourcingProfile]]] = {}
    skipped = 0
    for i, row in enumerate(rows):
        ref = used.get(row.id, (DEFAULT_PROFILE.id, DEFAULT_PROFILE.version))
        if ref not in known:
            known[ref] = _stored(session, ref)
        before = known[ref]
        try:
            order = OrderIn.model_validate(row.payload)
        except ValidationError:
            order = None
        if order is None or before is None:
            skipped += 1
            continue
        groups.setdefault(_where(order), []).append((i, order, before))
    out: dict[int, OrderTrial] = {}
    for where, members in groups.items():
        shared = sourcing_candidates(session, *where, now)
        for i, order, before in members:
            facts = sourcing.with_categories(session, OrderFacts.of(order, {}))
            cands = _with_services(session, shared, facts)
            out[i] = compare(
                order.id,
                order.channel,
                before=source_order(facts, cands, before),
                after=source_order(facts, cands, draft),
                candidates=cands,
                destination=facts.destination,
                costs=draft,
                sourced_with=before.ref,
            )
    return [out[i] for i in sorted(out)], skipped


def _stored(session: Session, ref: tuple[str, int]) -> SourcingProfile | None:
    if ref == (DEFAULT_PROFILE.id, DEFAULT_PROFILE.version):
        return DEFAULT_PROFILE
    try:
        return profiles.of_row(profiles.get_row(session, *ref))
    except DomainError:
        return None
