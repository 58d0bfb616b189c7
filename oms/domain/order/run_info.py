"""What ops read of a run in the Temporal UI and CLI: its one-line summary, its details, and
who it waits on now. Pure: built from the order and its state, with the time passed in.

No personal data in any of it: ids, channel, tier, SKUs, quantities, amounts, the delivery
method and country, the pickup store; never a name, an email, a street or a payment token.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.money import format_minor
from oms.domain.order.status import OrderStatus

if TYPE_CHECKING:
    from oms.domain.order.model import OrderIn
    from oms.domain.order.state import OrderState


class WaitingOn(StrEnum):
    """Who must act for a run to move on: the ``WaitingOn`` search attribute."""

    ANALYST = "analyst"
    STORE = "store"
    STOCK = "stock"
    PAYMENT = "payment"
    CARRIER = "carrier"
    CUSTOMER = "customer"
    NONE = "none"


_BY_STATUS = {
    OrderStatus.AWAITING_REVIEW: WaitingOn.ANALYST,
    OrderStatus.AWAITING_STOCK: WaitingOn.STOCK,
    OrderStatus.AUTHORIZING_PAYMENT: WaitingOn.PAYMENT,
}

# What a fulfilment in a status waits on.
FULFILMENT_WAITS = {
    FulfilmentStatus.AWAITING_PICK: WaitingOn.STORE,
    FulfilmentStatus.PICKED: WaitingOn.STORE,
    FulfilmentStatus.PACKED: WaitingOn.CARRIER,
    FulfilmentStatus.READY_FOR_COLLECTION: WaitingOn.CUSTOMER,
    FulfilmentStatus.PARTIALLY_COLLECTED: WaitingOn.CUSTOMER,
    FulfilmentStatus.IN_TRANSIT: WaitingOn.STORE,  # to be received at the collection store
}


def waiting_on(state: OrderState) -> WaitingOn:
    """Analyst, stock or payment by the order's status; in fulfilment, the store until every
    open fulfilment is ready for collection (the customer) or packed for the carrier."""
    if state.status is OrderStatus.IN_FULFILMENT:
        open_waits = {
            FULFILMENT_WAITS.get(f.status, WaitingOn.STORE)
            for f in state.fulfilments.values()
            if not f.status.is_final
        }
        if not open_waits:  # a refused capture waits for customer service
            return WaitingOn.ANALYST if state.payment.exceptions else WaitingOn.NONE
        for who in (WaitingOn.STORE, WaitingOn.CARRIER, WaitingOn.CUSTOMER):
            if who in open_waits:
                return who
    return _BY_STATUS.get(state.status, WaitingOn.NONE)


def delivery_words(order: OrderIn) -> str:
    d = order.delivery
    if d.method is DeliveryMethod.COLLECT:
        return f"collect {d.store_id}"
    country = d.address.country if d.address else "?"
    return f"ship {country}{' express' if d.express else ''}"


def order_summary(order: OrderIn) -> str:
    """One line, e.g. ``WEB-1002 · web-fr · 2 lines · 144.97 EUR · collect ST-PARIS-OPERA``."""
    n = len(order.lines)
    return " · ".join(
        (
            order.id,
            order.channel,
            f"{n} line{'s' if n != 1 else ''}",
            format_minor(order.total, order.currency),
            delivery_words(order),
        )
    )


def order_details(order: OrderIn) -> str:
    """The run's fixed details, in Temporal's markdown: the lines and the terms."""
    lines = "\n".join(
        f"- {line.line_id}: {line.quantity} × {line.sku} at "
        f"{format_minor(line.unit_price, order.currency)}"
        for line in order.lines
    )
    return (
        f"**Order {order.id}** on channel `{order.channel}`, customer tier "
        f"`{order.customer.tier.value}`\n\n"
        f"{lines}\n\n"
        f"Total {format_minor(order.total, order.currency)} · {delivery_words(order)}"
    )


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def order_current_details(state: OrderState, due_at: datetime | None) -> str:
    """What the run is doing now: status, since when, waiting on whom, due when."""
    parts = [f"**{state.status.value}** since {_when(state.status_since)}"]
    who = waiting_on(state)
    if who is not WaitingOn.NONE:
        where = ", ".join(state.fulfilment_locations) if who is WaitingOn.STORE else ""
        parts.append(f"waiting on {who.value}" + (f" ({where})" if where else ""))
    if due_at is not None:
        parts.append(f"due {_when(due_at)}")
    if state.cancel_reason is not None:
        parts.append(f"cancel reason `{state.cancel_reason.value}`")
    return " · ".join(parts)


def fulfilment_current_details(
    status: FulfilmentStatus,
    since: datetime,
    location_id: str,
    due_at: datetime | None,
    escalated: bool,
) -> str:
    """What a fulfilment is doing now: status, since when, waiting on whom, due when."""
    parts = [f"**{status.value}** since {_when(since)}"]
    who = FULFILMENT_WAITS.get(status, WaitingOn.NONE)
    if who is not WaitingOn.NONE:
        parts.append(f"waiting on {who.value} ({location_id})")
    if due_at is not None:
        parts.append(f"due {_when(due_at)}")
    if escalated:
        parts.append("escalated")
    return " · ".join(parts)


def fulfilment_summary(
    fulfilment_id: str,
    order_id: str,
    location_id: str,
    units: int,
    method: DeliveryMethod,
    express: bool,
) -> str:
    """One line, e.g. ``WEB-1002-F1 · order WEB-1002 · ST-OPERA · 3 units · ship express``."""
    how = method.value + (" express" if express else "")
    return " · ".join(
        (
            fulfilment_id,
            f"order {order_id}",
            location_id,
            f"{units} unit{'s' if units != 1 else ''}",
            how,
        )
    )


def fulfilment_details(location_id: str, lines: list[tuple[str, str, int]]) -> str:
    """The fixed details of a fulfilment: what the location picks, line by line."""
    rows = "\n".join(f"- {line_id}: {qty} × {sku}" for line_id, sku, qty in lines)
    return f"**Pick at {location_id}**\n\n{rows}"
