"""One reason-code taxonomy: why something did not go as planned, and what follows from it.

Every code says where it may be used (a short pick, a cancellation, a skipped step...) and its
effects: on stock (``write_off``, ``quarantine``, ``recount``, ``none``), on routing
(``reroute``, ``cancel_units``, ``none``) and the key of the message the customer is sent.
The codes are data (table ``reason_codes``, edited through ``/reason-codes``); what is here is
the built-in set the database is seeded with, and the rules that turn an effect into a change.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.errors import ErrorCode, FieldError

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", examples=["not_found"])]
MessageKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.]{0,99}$")]


class ReasonUsage(StrEnum):
    """Where a code may be given; stored in ``reason_codes.usages``; lower case."""

    SHORT_PICK = "short_pick"
    REJECTION = "rejection"
    CANCELLATION = "cancellation"
    SKIP_STEP = "skip_step"
    RETURN_QC = "return_qc"
    ADJUSTMENT = "adjustment"
    RETURN_REQUEST = "return_request"  # why the customer sends it back
    APPEASEMENT = "appeasement"  # why customer service gives money back without a return


class StockEffect(StrEnum):
    """What happens to the units the reason is about; lower case."""

    WRITE_OFF = "write_off"  # they leave on hand: not there, or not sellable
    QUARANTINE = "quarantine"  # out of sellable stock, held apart until someone inspects them
    RECOUNT = "recount"  # stock left as it is; a recount task is opened for the location
    NONE = "none"


class RoutingEffect(StrEnum):
    """What happens to the order's units the reason is about; lower case."""

    REROUTE = "reroute"  # sourced again, elsewhere
    CANCEL_UNITS = "cancel_units"  # cancelled (and not charged)
    NONE = "none"


class ReasonEffects(BaseModel):
    """A code's effects as they stood when it was given: what a pick report carries, so that
    what is applied is what was in force when staff reported it."""

    model_config = ConfigDict(frozen=True)

    stock: StockEffect
    routing: RoutingEffect
    # The key of the message the customer is sent (None in reports from before it was kept).
    customer_message: MessageKey | None = None


class ReasonCode(BaseModel):
    code: Code
    label: str = Field(min_length=1, max_length=200)
    usages: list[ReasonUsage] = Field(min_length=1)
    stock_effect: StockEffect = StockEffect.NONE
    routing_effect: RoutingEffect = RoutingEffect.NONE
    customer_message: MessageKey | None = None
    active: bool = True
    built_in: bool = False

    @property
    def effects(self) -> ReasonEffects:
        return ReasonEffects(
            stock=self.stock_effect,
            routing=self.routing_effect,
            customer_message=self.customer_message,
        )

    def allows(self, usage: ReasonUsage) -> bool:
        return self.active and usage in self.usages


def _code(
    code: str,
    label: str,
    usages: list[ReasonUsage],
    stock: StockEffect = StockEffect.NONE,
    routing: RoutingEffect = RoutingEffect.NONE,
    message: str | None = None,
) -> ReasonCode:
    return ReasonCode(
        code=code,
        label=label,
        usages=usages,
        stock_effect=stock,
        routing_effect=routing,
        customer_message=message,
        built_in=True,
    )


U = ReasonUsage
_PICKING = [U.SHORT_PICK, U.REJECTION]
_REROUTED = "customer.item_sent_from_elsewhere"
_CANCELLED = "customer.order_cancelled"
W, R = StockEffect.WRITE_OFF, RoutingEffect.REROUTE

# Today's behaviour, exactly: not found, damaged and expired units leave on-hand, a wrong item
# or "other" leaves it alone, and every short pick is sourced again elsewhere. The cancel
# reasons are those the order workflow and the cancel endpoint record.
BUILT_IN: tuple[ReasonCode, ...] = (
    _code("not_found", "Not found on the shelf", [*_PICKING, U.ADJUSTMENT], W, R, _REROUTED),
    _code("damaged", "Damaged", [*_PICKING, U.ADJUSTMENT], W, R, _REROUTED),
    _code("expired", "Past its date", [*_PICKING, U.ADJUSTMENT], W, R, _REROUTED),
    _code("wrong_item", "Another item in its place", _PICKING, routing=R, message=_REROUTED),
    _code(
        "other",
        "Other",
        [*_PICKING, U.CANCELLATION, U.SKIP_STEP, U.ADJUSTMENT],
        routing=R,
        message=_REROUTED,
    ),
    _code("customer_request", "The customer asked", [U.CANCELLATION], message=_CANCELLED),
    _code("duplicate_order", "Placed twice", [U.CANCELLATION], message=_CANCELLED),
    _code("fraud_rejected", "Refused as fraud", [U.CANCELLATION], message=_CANCELLED),
    _code("review_timeout", "Not reviewed in time", [U.CANCELLATION], message=_CANCELLED),
    _code("out_of_stock", "Out of stock", [U.CANCELLATION], message="customer.out_of_stock"),
    _code(
        "payment_declined",
        "Payment declined",
        [U.CANCELLATION],
        message="customer.payment_declined",
    ),
    _code("workflow_cancelled", "Cancelled by operations", [U.CANCELLATION], message=_CANCELLED),
    _code("failed", "The order failed", [U.CANCELLATION], message=_CANCELLED),
    _code("short_pick", "Could not be picked", [U.CANCELLATION], message="customer.item_cancelled"),
    _code(
        "overdue",
        "Not picked in time: the fulfilment was given up",
        [U.REJECTION],
        routing=R,
        message=_REROUTED,
    ),
    _code(
        "not_collected",
        "Not collected in time: back to stock",
        [U.CANCELLATION],
        routing=RoutingEffect.CANCEL_UNITS,
        message="customer.collection_not_collected",
    ),
    _code("not_requested", "The customer does not want it", [U.SKIP_STEP]),
    _code("equipment_unavailable", "Equipment out of order", [U.SKIP_STEP]),
    _code("no_time", "The customer is waiting", [U.SKIP_STEP]),
    _code("qc_resellable", "Back on sale", [U.RETURN_QC], message="customer.return_accepted"),
    _code(
        "qc_damaged",
        "Returned damaged",
        [U.RETURN_QC],
        W,
        message="customer.return_damaged",
    ),
    _code(
        "qc_wrong_item",
        "Another item returned",
        [U.RETURN_QC],
        StockEffect.QUARANTINE,
        message="customer.return_wrong_item",
    ),
    # Nothing came back: nothing goes on hand (a return's stock follows its grades).
    _code(
        "qc_missing", "Nothing in the parcel", [U.RETURN_QC], W, message="customer.return_missing"
    ),
    _code("changed_mind", "Changed their mind", [U.RETURN_REQUEST]),
    _code("wrong_size", "Wrong size", [U.RETURN_REQUEST]),
    _code("defective", "Does not work", [U.RETURN_REQUEST]),
    _code("not_as_described", "Not as described", [U.RETURN_REQUEST]),
    _code("arrived_damaged", "Arrived damaged", [U.RETURN_REQUEST]),
    _code("arrived_late", "Arrived too late", [U.RETURN_REQUEST]),
    _code("cycle_count", "Counted", [U.ADJUSTMENT]),
    _code("found", "Found again", [U.ADJUSTMENT]),
    # Goodwill refunds without a return (oms.domain.appeasements): no stock or routing effect.
    _code("late_delivery", "Arrived later than promised", [U.APPEASEMENT]),
    _code("damaged_packaging", "Packaging damaged, goods kept", [U.APPEASEMENT]),
    _code("service_failure", "Service below what was promised", [U.APPEASEMENT]),
    _code("price_match", "Price matched", [U.APPEASEMENT]),
)
BUILT_IN_BY_CODE: dict[str, ReasonCode] = {c.code: c for c in BUILT_IN}


class StockChange(BaseModel):
    """What a reason does to a position for ``units`` units that were not picked."""

    on_hand: int = 0
    quarantined: int = 0
    recount: bool = False


def stock_change(effect: StockEffect, units: int) -> StockChange:
    if units <= 0:
        return StockChange()
    if effect is StockEffect.WRITE_OFF:
        return StockChange(on_hand=-units)
    if effect is StockEffect.QUARANTINE:
        return StockChange(on_hand=-units, quarantined=units)
    if effect is StockEffect.RECOUNT:
        return StockChange(recount=True)
    return StockChange()


def refusal(
    code: ReasonCode | None, given: str, usage: ReasonUsage, field: str
) -> FieldError | None:
    """Why ``given`` cannot be used for ``usage`` (unknown, retired or meant for something
    else), or None when it can."""
    if code is not None and code.allows(usage):
        return None
    if code is None:
        why = f"no reason code {given!r}"
    elif not code.active:
        why = f"reason code {given!r} is no longer in use"
    else:
        why = f"reason code {given!r} is not for a {usage.value}"
    return FieldError(
        field=field,
        code=ErrorCode.REASON_NOT_ALLOWED,
        reason=f"{why}: GET /reason-codes?usage={usage.value} lists those that are",
    )


def change_refusal(stored: ReasonCode | None, new: ReasonCode) -> FieldError | None:
    """A built-in code's label, effects and message may change, not its existence: it keeps
    every usage it was built with, where code and workflows give it today."""
    if stored is None or not stored.built_in:
        return None
    built = BUILT_IN_BY_CODE.get(stored.code)
    lost = [u.value for u in built.usages if u not in new.usages] if built else []
    if not lost:
        return None
    return FieldError(
        field="usages",
        code=ErrorCode.BUILT_IN,
        reason=f"{stored.code!r} is built in and stays usable for {', '.join(lost)}",
    )
