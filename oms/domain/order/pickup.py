"""A collection's store changed after the order was placed (docs/order-edits.md): the customer
collects at another store. The rule is pure: the order's state is handed in, whether anything
is to change comes out, or the refusal.

The point of no return is the first store's work on the order: once a fulfilment of it started
its pick (picked, packed, a transfer shipped to the store, ready for collection, collected),
its units stay where they are. Before that, every open fulfilment is moved: its units
released and sourced again for the new store (its own stock, or a transfer to it). Before
sourcing (fraud check, review) the order is simply sourced for the new store when its time
comes.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from oms.domain.delivery import DeliveryMethod, Identifier
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.order.edits import (
    BEFORE_SOURCING,
    EditRefusal,
    EditRefused,
    held_for_stock,
    refuse_edit,
)
from oms.domain.order.status import OrderStatus

# What a fulfilment that did nothing for the first store may be: waiting for its pick, or
# ended without handing anything over.
_UNTOUCHED = frozenset(
    {FulfilmentStatus.AWAITING_PICK, FulfilmentStatus.REJECTED, FulfilmentStatus.CANCELLED}
)
_WHY = {
    FulfilmentStatus.PICKED: "{store} has already picked part of the order",
    FulfilmentStatus.PACKED: "{store} has already packed part of the order",
    FulfilmentStatus.IN_TRANSIT: "part of the order is on its way to {store}",
    FulfilmentStatus.READY_FOR_COLLECTION: "the order is ready for collection at {store}",
    FulfilmentStatus.PARTIALLY_COLLECTED: "part of the order was collected at {store}",
    FulfilmentStatus.COLLECTED: "part of the order was collected at {store}",
    FulfilmentStatus.NOT_COLLECTED: "part of the order waited for its customer at {store}",
    FulfilmentStatus.SHIPPED: "part of the order has shipped",
}


class PickupStoreChange(BaseModel):
    """``change_pickup_store``: collect the order at another store."""

    model_config = ConfigDict(extra="forbid")

    store_id: Identifier
    actor: str = "customer_service"


def pickup_store_to_change(
    status: OrderStatus,
    method: DeliveryMethod,
    current: str | None,
    new: str,
    fulfilments: Sequence[FulfilmentStatus],
    *,
    pick_started: bool = False,
    unassigned: int = 0,
    while_awaiting_stock: bool = False,
) -> bool:
    """Whether the collection moves from ``current`` to ``new`` (False: it is the same store,
    nothing to do); raises ``EditRefused`` when it cannot.

    ``fulfilments``: the statuses of the order's fulfilments; ``pick_started``: a unit of an
    open one was reported picked; ``unassigned``: units sourced but not yet handed to a
    fulfilment (the order is starting them)."""
    if method is not DeliveryMethod.COLLECT:
        raise EditRefused(
            EditRefusal.NOT_A_COLLECTION, "the order is shipped to an address: it has no store"
        )
    refuse_edit(status, while_awaiting_stock=while_awaiting_stock)
    if new == current:
        return False
    if status in BEFORE_SOURCING:
        return True  # sourced for the new store when its time comes
    if status is OrderStatus.AWAITING_STOCK:
        raise held_for_stock(f"the units held at {current} can move to another store")
    if unassigned:
        raise EditRefused(
            EditRefusal.ORDER_BUSY, "the order's fulfilments are being started: try again"
        )
    for s in fulfilments:
        if s not in _UNTOUCHED:
            why = _WHY.get(s, "part of the order is {status}")
            raise EditRefused(
                EditRefusal.PAST_POINT_OF_NO_RETURN,
                why.format(store=current, status=s.value),
            )
    if pick_started:
        raise EditRefused(
            EditRefusal.PAST_POINT_OF_NO_RETURN, f"{current} has already picked part of the order"
        )
    return True
