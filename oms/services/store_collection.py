"""Collections and their store, read through oms.db and decided by oms.domain.sourcing: the
plan of a collection (its store first, what it lacks transferred where the profile allows it)
and the intake's refusal of a cart that cannot be collected at its store."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from oms.db import orders, profiles, sourcing
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.order import DeliveryMethod, OrderIn
from oms.domain.sourcing import (
    Candidate,
    OrderFacts,
    SourcingPlan,
    source_collect,
    stores_holding,
)
from oms.domain.sourcing.profiles import SourcingProfile
from oms.services.availability import sourcing_candidates


def collection_candidates(
    session: Session, channel: str, skus: Collection[str], store_id: str, now: datetime
) -> tuple[list[Candidate], SourcingProfile]:
    """The channel's profile in force and the locations a collection may be sourced from: its
    store, and every other location of the network when the profile allows transfers."""
    profile = profiles.in_force(session, channel)
    only = None if profile.transfer_to_store else [store_id]
    return sourcing_candidates(session, channel, skus, only, now), profile


def plan_collection(
    session: Session,
    facts: OrderFacts,
    candidates: list[Candidate],
    profile: SourcingProfile,
    *,
    store_id: str,
    exclude: Collection[str] = (),
) -> SourcingPlan:
    """The collection's plan: its store first, what the store lacks from elsewhere if
    ``profile.transfer_to_store``, with the address the carrier takes it to."""
    found = sourcing.store_point(session, store_id)
    plan = source_collect(
        facts,
        candidates,
        profile,
        store_id=store_id,
        store_point=found[0] if found else None,
        exclude=frozenset(exclude),
    )
    if plan.transfers and found is not None:
        plan = plan.model_copy(update={"transfer_address": found[1]})
    return plan


def not_available_at_store(
    session: Session, order: OrderIn, now: datetime, *, unsourced: bool = False
) -> tuple[FieldError, list[str]] | None:
    """Why a collection cannot be taken: its store lacks some of the cart and no transfer can
    bring it (the channel's profile does not allow ``transfer_to_store``, or no location has
    it). Answers the refusal and the stores that hold the whole cart, nearest the pickup store
    first; None when the order can be served, and for an order already placed (its own
    reservation would stand in its way: posting it again answers it as placed) unless
    ``unsourced`` says it holds no stock yet (a placed order moved to another store before
    its sourcing)."""
    store_id = order.delivery.store_id
    if order.delivery.method is not DeliveryMethod.COLLECT or store_id is None:
        return None
    if not unsourced and orders.get_order(session, order.id) is not None:
        return None
    profile = profiles.in_force(session, order.channel)
    facts = sourcing.with_categories(session, OrderFacts.of(order, {}))
    # The whole network: the stores to name, and the transfers if the profile allows them.
    cands = sourcing_candidates(session, order.channel, {x.sku for x in order.lines}, None, now)
    plan = plan_collection(session, facts, cands, profile, store_id=store_id)
    if not plan.unplaced:
        return None
    found = sourcing.store_point(session, store_id)
    near = found[0] if found else None
    needs: dict[str, int] = {}
    for line in order.lines:
        needs[line.sku] = needs.get(line.sku, 0) + line.quantity
    stores = stores_holding(cands, needs, near=near, leave_out=store_id)
    why = (
        "and no location can transfer what it lacks"
        if profile.transfer_to_store
        else "and the channel's sourcing profile does not allow transfer_to_store"
    )
    where = (
        f"the cart can be collected at {', '.join(stores)}"
        if stores
        else "no store holds the whole cart"
    )
    error = FieldError(
        field="delivery.store_id",
        code=ErrorCode.NOT_AVAILABLE_AT_STORE,
        reason=f"store {store_id} cannot serve the whole cart {why}; {where}",
    )
    return error, stores
