"""What sourcing reads about locations besides their stock, and the decisions it records.

A candidate location carries, beside what it may promise (``oms.db.availability`` reads it,
``oms.domain.sourcing.candidates`` builds the candidates): the networks
it belongs to, its daily capacity, the orders it took today (UTC) and its open work from before
(fulfilments not yet handed over or collected), its lead time, what it has
on hand of the order's SKUs (for stock balance), and its recent record over ``RECORD_DAYS``: the
share of its fulfilments it rejected and the share it picked short. A few
grouped queries over the candidates, whatever the order's size.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlmodel import Session, col

from oms.db import tables as t
from oms.domain.delivery import Address
from oms.domain.fulfilment import OPEN_STATUSES, FulfilmentStatus
from oms.domain.geo import GeoPoint
from oms.domain.ledger import ReservationStatus
from oms.domain.sourcing import OrderFacts, SourcingPlan
from oms.keys import CART_PREFIX

RECORD_DAYS = 30


def location_facts(
    session: Session, location_ids: Collection[str], now: datetime, skus: Collection[str] = ()
) -> dict[str, dict[str, Any]]:
    if not location_ids:
        return {}
    ids = sorted(location_ids)
    out: dict[str, dict[str, Any]] = {i: {"networks": []} for i in ids}
    nl = t.NetworkLocation
    for network_id, loc in session.execute(
        select(col(nl.network_id), col(nl.location_id))
        .where(col(nl.location_id).in_(ids))
        .order_by(col(nl.network_id))
    ):
        out[loc]["networks"].append(network_id)
    for loc, capacity, lead_time in session.execute(
        select(
            col(t.Location.id), col(t.Location.daily_capacity), col(t.Location.lead_time_hours)
        ).where(col(t.Location.id).in_(ids))
    ):
        out[loc]["daily_capacity"] = capacity
        out[loc]["lead_time_hours"] = lead_time
    # On hand per SKU, for the stock-balance criterion (what a pick leaves of the shelf).
    p = t.InventoryPosition
    for loc, sku, on_hand in session.execute(
        select(col(p.location_id), col(p.sku), col(p.on_hand)).where(
            col(p.location_id).in_(ids), col(p.sku).in_(sorted(skus))
        )
    ):
        out[loc].setdefault("on_hand", {})[sku] = on_hand
    r = t.Reservation
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for loc, orders in session.execute(
        select(col(r.location_id), func.count(distinct(col(r.order_id))))
        .where(
            col(r.location_id).in_(ids),
            col(r.created_at) >= midnight,
            col(r.part) == 0,
            col(r.status)
            != ReservationStatus.RELEASED,  # a cancelled order's work is not done there
            ~col(r.order_id).startswith(CART_PREFIX),
        )
        .group_by(col(r.location_id))
    ):
        out[loc]["capacity_used"] = int(orders)
    # Open work from before today: fulfilments not yet handed over or collected. Today's are
    # in capacity_used already.
    f = t.Fulfilment
    for loc, still_open in session.execute(
        select(col(f.location_id), func.count())
        .where(
            col(f.location_id).in_(ids),
            col(f.status).in_(OPEN_STATUSES),
            col(f.created_at) < midnight,
        )
        .group_by(col(f.location_id))
    ):
        out[loc]["open_work"] = int(still_open)
    since = now - timedelta(days=RECORD_DAYS)
    done: dict[str, int] = {}
    for loc, total, rejected in session.execute(
        select(
            col(f.location_id),
            func.count(),
            func.sum(case((col(f.status) == FulfilmentStatus.REJECTED.value, 1), else_=0)),
        )
        .where(col(f.location_id).in_(ids), col(f.created_at) >= since)
        .group_by(col(f.location_id))
    ):
        done[loc] = int(total)
        out[loc]["reject_rate"] = min(1.0, int(rejected or 0) / int(total))
    # A short pick splits a ledger entry: its released part (part 1) marks the fulfilment.
    for loc, shorts in session.execute(
        select(col(r.location_id), func.count(distinct(col(r.step_key))))
        .where(col(r.location_id).in_(ids), col(r.part) == 1, col(r.created_at) >= since)
        .group_by(col(r.location_id))
    ):
        if done.get(loc):
            out[loc]["short_pick_rate"] = min(1.0, int(shorts) / done[loc])
    return out


def with_categories(session: Session, facts: OrderFacts) -> OrderFacts:
    """The facts with each line's category from the catalogue."""
    skus = sorted({line.sku for line in facts.lines})
    categories = dict(
        session.execute(
            select(col(t.Product.sku), col(t.Product.category)).where(col(t.Product.sku).in_(skus))
        ).all()
    )
    lines = [
        line.model_copy(update={"category": categories.get(line.sku, line.category)})
        for line in facts.lines
    ]
    return facts.model_copy(update={"lines": lines})


def record(
    session: Session, *, order_id: str, step_key: str, plan: SourcingPlan, replans: int
) -> None:
    """Keep the decision's explanation with the order (one per sourcing step)."""
    explanation = plan.explanation
    if explanation is None:
        return
    body = explanation.model_dump(mode="json")
    body["replans"] = replans
    body["allocations"] = [a.model_dump() for a in plan.allocations]
    body["unplaced"] = [d.model_dump() for d in plan.unplaced]
    body["unplaced_action"] = plan.unplaced_action.value
    session.merge(
        t.SourcingDecision(
            step_key=step_key,
            order_id=order_id,
            profile_id=explanation.profile_id,
            profile_version=explanation.profile_version,
            strategy=explanation.strategy,
            explanation=body,
        )
    )
    session.flush()


def decisions(session: Session, order_id: str) -> list[t.SourcingDecision]:
    return list(
        session.exec(
            select(t.SourcingDecision)  # type: ignore[call-overload]
            .where(col(t.SourcingDecision.order_id) == order_id)
            .order_by(col(t.SourcingDecision.created_at), col(t.SourcingDecision.step_key))
        ).scalars()
    )


def sourced_with(session: Session, order_ids: list[str]) -> dict[str, tuple[str, int]]:
    """Order id -> (profile id, version) of its first sourcing (a re-route may differ)."""
    if not order_ids:
        return {}
    d = t.SourcingDecision
    found: dict[str, tuple[str, int]] = {}
    for order_id, profile_id, version in session.execute(
        select(col(d.order_id), col(d.profile_id), col(d.profile_version))
        .where(col(d.order_id).in_(order_ids))
        .order_by(col(d.created_at), col(d.step_key))
    ):
        found.setdefault(order_id, (profile_id, version))
    return found


def store_point(session: Session, store_id: str) -> tuple[GeoPoint, Address] | None:
    """Where a collection store is, and the address a transfer's carrier takes it: locations
    keep no street address, so the carrier gets the store's name, id, country and coordinates."""
    store = session.get(t.Location, store_id)
    if store is None:
        return None
    address = Address(
        name=store.name,
        line1=store.name,
        city=store.name,
        postal_code=store.id,
        country=store.country,
        lat=store.lat,
        lon=store.lon,
    )
    return GeoPoint(lat=store.lat, lon=store.lon), address
