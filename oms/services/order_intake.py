"""What POST /orders refuses in an order beyond its shape: its lines against the catalogue, its
collection store, and the channel's exclusions. Read here, decided by oms.domain.order."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from oms.db import availability, fulfilment_profiles
from oms.db import orders as order_repo
from oms.db import products as product_repo
from oms.db.tables import Channel
from oms.domain.delivery import DeliveryMethod
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.order import CatalogEntry, LocationRef, OrderIn, validate_order
from oms.domain.order.validation import currency_problems, not_sold, store_problems
from oms.services import store_collection


def problems(session: Session, order: OrderIn) -> list[FieldError]:
    """Every problem found (unknown or inactive SKU, store, a currency the channel does not
    sell in, not sold in the channel...), each with its field; none for an order POST /orders
    would accept."""
    skus = {line.sku for line in order.lines}
    products = availability.load_products(session, skus)
    inactive = product_repo.inactive_skus(session, skus)
    catalog = {
        sku: CatalogEntry(sku=sku, category=p.category, active=sku not in inactive)
        for sku, p in products.items()
    }
    store = order_repo.store_location(session, order.delivery.store_id)
    locations: dict[str, LocationRef] = {store.id: store} if store is not None else {}
    found = validate_order(order, catalog=catalog, locations=locations)
    if store is not None and not found:
        found += services_not_offered(session, order, store.id)
    channel = session.get(Channel, order.channel)
    if channel is not None and order.exchange is None:
        # An exchange's replacement keeps its original order's currency, whatever the
        # channel has taken to since.
        found += currency_problems(order, channel.currency)
    try:
        setup = availability.load_channel(session, order.channel)
    except availability.UnknownChannel:
        return found  # a channel no one configured has no exclusions
    exclusions = availability.load_exclusions(session, setup.channel)
    return found + not_sold(order, setup.channel, products, exclusions)


def services_not_offered(session: Session, order: OrderIn, store_id: str) -> list[FieldError]:
    """A collection's lines asking a service the store does not perform (its fulfilment
    profile's vas step for collections): sourcing could never place them there."""
    asking = [(i, line) for i, line in enumerate(order.lines) if line.services]
    if not asking:
        return []
    offered = fulfilment_profiles.in_force(
        session, location_id=store_id, channel=order.channel, method=DeliveryMethod.COLLECT
    ).services
    out = []
    for i, line in asking:
        missing = sorted(s.value for s in line.services if s not in offered)
        if missing:
            out.append(
                FieldError(
                    field=f"lines[{i}].services",
                    code=ErrorCode.SERVICE_NOT_OFFERED,
                    reason=f"{store_id} does not offer {', '.join(missing)}",
                )
            )
    return out


def new_store_problems(
    session: Session, order: OrderIn, store_id: str, *, unsourced: bool, now: datetime
) -> list[FieldError]:
    """Why a placed collection cannot move to ``store_id``, as POST /orders would refuse that
    store (unknown, not a store, closed, a service of a line it does not perform), at the
    edit's field ``store_id``; none when it can. ``unsourced``: the order holds no stock yet,
    so the new store must be able to have the cart as at intake (its stock, or a transfer the
    channel's profile allows); once sourced, the order's run checks that itself, its own
    units counted where they are held."""
    store = order_repo.store_location(session, store_id)
    locations = {store.id: store} if store is not None else {}
    found = store_problems(store_id, locations, field="store_id")
    found = found or services_not_offered(session, order, store_id)
    if found or not unsourced:
        return found
    moved = order.model_copy(
        update={"delivery": order.delivery.model_copy(update={"store_id": store_id})}
    )
    lacking = store_collection.not_available_at_store(session, moved, now, unsourced=True)
    if lacking is None:
        return []
    return [lacking[0].model_copy(update={"field": "store_id"})]
