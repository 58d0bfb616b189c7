"""Order edits before the point of no return: what customer service may still change, and why
it may not (docs/order-edits.md).

Each edit is an update of the order's workflow that answers accepted or refused with a stable
reason (``EditRefusal``, the API's error code). The rules here are pure: the order's state is
handed in, the plan or the refusal comes out.

The point of no return, per edit:

- cancelling units of a line: while the units wait for stock, or sit in a fulfilment that has
  not started picking (``AWAITING_PICK``; the fulfilment itself also refuses once its pick is in
  a wave or a unit was scanned). Before sourcing (fraud check, review) every unit is editable.
  While a held order waits for stock (``AWAITING_STOCK``) the units that wait can go; those
  already placed are held for it, in no fulfilment yet, until the order goes ahead.
- changing the delivery address: while no fulfilment of the order has been packed (the carrier
  is booked with the address at the pack); only for a shipment.
- adding a service to a line: while every unit of the line sits in a fulfilment that has not
  started picking, at a location whose profile performs that service.
- changing a collection's store: while no fulfilment of the order has started its pick
  (``oms.domain.order.pickup``); only for a collection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.delivery import Address, DeliveryMethod
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.fulfilment_profiles import Service
from oms.domain.numbers import WholeNumber
from oms.domain.order.status import CancelReason, OrderStatus
from oms.domain.order.views import LineView
from oms.domain.sourcing.models import Demand


class EditRefusal(StrEnum):
    """Why an edit was refused: the API answers 409 with it as the error code (404 for a line
    the order does not have)."""

    ORDER_FINAL = "order_final"
    LINE_NOT_FOUND = "line_not_found"
    QUANTITY_EXCEEDS_OPEN = "quantity_exceeds_open"
    PAST_POINT_OF_NO_RETURN = "past_point_of_no_return"
    ORDER_BUSY = "order_busy"
    NOT_A_SHIPMENT = "not_a_shipment"
    NOT_A_COLLECTION = "not_a_collection"
    # The new collection store cannot have every unit (its stock, or a transfer to it).
    NOT_AVAILABLE_AT_STORE = "not_available_at_store"
    SERVICE_NOT_PERFORMED = "service_not_performed"
    SERVICE_ALREADY_ASKED = "service_already_asked"
    # The order waits for stock, and the edit would touch the units held for it meanwhile:
    # possible once its fulfilments start.
    AWAITING_STOCK = "awaiting_stock"


class EditRefused(Exception):
    def __init__(self, reason: EditRefusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# Nothing is sourced yet: every unit of every line can still go.
BEFORE_SOURCING = frozenset(
    {OrderStatus.RECEIVED, OrderStatus.FRAUD_CHECK, OrderStatus.AWAITING_REVIEW}
)
# A step is under way whose outcome the edit would race (a sourcing, an authorization): try
# again in a moment. A run from before edits while waiting for stock counts its wait as one.
BUSY = frozenset(
    {OrderStatus.SOURCING, OrderStatus.AUTHORIZING_PAYMENT, OrderStatus.AWAITING_STOCK}
)


class LineCancel(BaseModel):
    """``cancel_line``: cancel ``quantity`` units of a line (None: all that is left)."""

    model_config = ConfigDict(extra="forbid")

    line_id: str
    quantity: WholeNumber | None = Field(default=None, ge=1)
    reason: CancelReason = CancelReason.CUSTOMER_REQUEST
    # The taxonomy's code as given (``reason`` is the order's own vocabulary) and its
    # customer message key.
    code: str = CancelReason.CUSTOMER_REQUEST.value
    customer_message: str | None = None
    actor: str = "customer_service"


class DeliveryChange(BaseModel):
    """``change_delivery``: ship to another address (and, given, at another speed)."""

    model_config = ConfigDict(extra="forbid")

    address: Address
    express: bool | None = None  # None: as it was
    actor: str = "customer_service"


class ServiceAdd(BaseModel):
    """``add_service``: the line asks for one more value-added service."""

    model_config = ConfigDict(extra="forbid")

    line_id: str
    service: Service
    actor: str = "customer_service"


class EditResult(BaseModel):
    """An edit's answer: accepted (with the edit's number on the order), or refused and why."""

    accepted: bool
    status: OrderStatus
    reason: EditRefusal | None = None
    message: str | None = None
    edit: int | None = None
    # Units a line cancel took off the line.
    cancelled: int = 0

    @classmethod
    def refused(cls, status: OrderStatus, err: EditRefused) -> EditResult:
        return cls(accepted=False, status=status, reason=err.reason, message=err.message)


@dataclass
class CancelPlan:
    """Where the units a line cancel takes come from: first those waiting for stock, then
    those in fulfilments before their pick (the latest fulfilment first)."""

    line_id: str
    quantity: int
    awaiting: int = 0
    fulfilments: dict[str, int] = field(default_factory=dict)


def refuse_edit(status: OrderStatus, *, while_awaiting_stock: bool = False) -> None:
    """An order takes no edit once final, nor while a step the edit would race is under way.
    ``while_awaiting_stock``: the run takes edits while it waits for stock (a wait of days is
    no moment); each edit then says what it may change of a held order."""
    if status.is_final:
        raise EditRefused(EditRefusal.ORDER_FINAL, f"order is already {status.value}")
    if status is OrderStatus.AWAITING_STOCK and while_awaiting_stock:
        return
    if status in BUSY:
        raise EditRefused(EditRefusal.ORDER_BUSY, f"order is {status.value}: try again in a moment")


def held_for_stock(what: str) -> EditRefused:
    """A held order's placed units are reserved for it, in no fulfilment, until the order goes
    ahead: ``what`` waits until then."""
    return EditRefused(
        EditRefusal.AWAITING_STOCK,
        f"the order waits for stock and holds what is placed until every unit is: {what} "
        "once its fulfilments start",
    )


def open_units(line: LineView) -> int:
    """Units of the line neither shipped, collected nor cancelled."""
    return line.quantity - line.cancelled - line.shipped


def plan_line_cancel(
    status: OrderStatus,
    line: LineView | None,
    quantity: int | None,
    awaiting: list[Demand],
    *,
    while_awaiting_stock: bool = False,
) -> CancelPlan:
    """Which units a cancel of ``quantity`` units of ``line`` (None: all it has left) takes;
    raises ``EditRefused`` when it cannot take them all."""
    refuse_edit(status, while_awaiting_stock=while_awaiting_stock)
    if line is None:
        raise EditRefused(EditRefusal.LINE_NOT_FOUND, "the order has no such line")
    left = open_units(line)
    wanted = left if quantity is None else quantity
    if left == 0 or wanted > left:
        raise EditRefused(
            EditRefusal.QUANTITY_EXCEEDS_OPEN,
            f"line {line.line_id} has {left} unit(s) left to cancel, not {wanted}",
        )
    plan = CancelPlan(line_id=line.line_id, quantity=wanted)
    if status in BEFORE_SOURCING:
        return plan  # nothing placed yet: the line is simply sourced for less
    need = wanted
    waiting = sum(d.qty for d in awaiting if d.line_id == line.line_id)
    plan.awaiting = min(need, waiting)
    need -= plan.awaiting
    if need and status is OrderStatus.AWAITING_STOCK:
        raise held_for_stock(f"{need} placed unit(s) of line {line.line_id} can be cancelled")
    for a in reversed(line.allocations):
        if need == 0:
            break
        if a.status is not FulfilmentStatus.AWAITING_PICK or a.picked is not None:
            continue
        take = min(need, a.qty)
        if take:
            plan.fulfilments[a.fulfilment_id] = take
            need -= take
    if need:
        raise EditRefused(
            EditRefusal.PAST_POINT_OF_NO_RETURN,
            f"{need} unit(s) of line {line.line_id} are already being picked, packed or shipped",
        )
    return plan


def take_awaiting(awaiting: list[Demand], line_id: str, qty: int) -> list[Demand]:
    """The units waiting for stock, less ``qty`` of this line."""
    out: list[Demand] = []
    for d in awaiting:
        if d.line_id == line_id and qty:
            take = min(qty, d.qty)
            qty -= take
            if d.qty > take:
                out.append(d.model_copy(update={"qty": d.qty - take}))
            continue
        out.append(d)
    return out


def refuse_delivery_change(
    status: OrderStatus,
    method: DeliveryMethod,
    fulfilments: list[FulfilmentStatus],
    *,
    while_awaiting_stock: bool = False,
) -> None:
    """A new address is taken until a parcel is packed (the carrier is booked with the
    address at the pack); a collection's store is not changed this way. While the order waits
    for stock, what is placed keeps its location and ships to the new address."""
    if method is not DeliveryMethod.SHIP:
        raise EditRefused(
            EditRefusal.NOT_A_SHIPMENT, "the order is collected in store: it has no address"
        )
    refuse_edit(status, while_awaiting_stock=while_awaiting_stock)
    movable = (
        FulfilmentStatus.AWAITING_PICK,
        FulfilmentStatus.PICKED,
        FulfilmentStatus.REJECTED,
        FulfilmentStatus.CANCELLED,
    )
    if any(s not in movable for s in fulfilments):
        raise EditRefused(
            EditRefusal.PAST_POINT_OF_NO_RETURN,
            "a parcel of the order is already packed for the carrier or on its way",
        )


def refuse_service(
    status: OrderStatus,
    line: LineView | None,
    service: Service,
    asked: list[Service],
    *,
    while_awaiting_stock: bool = False,
) -> None:
    """A service is added to a line not sourced yet (sourcing then looks for a location that
    performs it), or whose every open unit is before its pick."""
    refuse_edit(status, while_awaiting_stock=while_awaiting_stock)
    if line is None:
        raise EditRefused(EditRefusal.LINE_NOT_FOUND, "the order has no such line")
    if service in asked:
        raise EditRefused(
            EditRefusal.SERVICE_ALREADY_ASKED, f"line {line.line_id} already asks for {service}"
        )
    if open_units(line) == 0:
        raise EditRefused(
            EditRefusal.QUANTITY_EXCEEDS_OPEN, f"line {line.line_id} has no unit left"
        )
    if status in BEFORE_SOURCING:
        return
    if status is OrderStatus.AWAITING_STOCK:
        raise held_for_stock(f"a service can be added to line {line.line_id}")
    live = [a for a in line.allocations if not a.status.is_final]
    if not live or any(a.status is not FulfilmentStatus.AWAITING_PICK for a in live):
        raise EditRefused(
            EditRefusal.PAST_POINT_OF_NO_RETURN,
            f"line {line.line_id} is not waiting for its pick at one location",
        )
