"""Signed webhooks in, beyond carrier tracking: who may send what, and the bodies of a payment
gateway's notices, a warehouse's (WMS) confirmations and a till's (POS) sales and returns.

A sender is registered with a kind; a WMS or POS sender also with the locations it speaks for.
Every body is checked here, before anything is applied. Pure: no I/O.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from oms.domain.delivery import Identifier
from oms.domain.fulfilment import Parcel, PickedLine
from oms.domain.numbers import WholeNumber
from oms.keys import CARRIER_SENDER, PAYMENT_SENDER


class SenderKind(StrEnum):
    """Stored in ``webhook_senders.kind``: which endpoint a sender may call."""

    CARRIER = "carrier"  # POST /webhooks/carriers/{carrier}
    PAYMENT_GATEWAY = "payment_gateway"  # POST /webhooks/payments/{gateway}
    WMS = "wms"  # POST /webhooks/wms
    POS = "pos"  # POST /webhooks/pos


# The kind a sender's id implies (``carrier:<name>``, ``payments:<gateway>``, ``wms...``).
_PREFIXES = (
    (CARRIER_SENDER, SenderKind.CARRIER),
    (PAYMENT_SENDER, SenderKind.PAYMENT_GATEWAY),
    ("wms", SenderKind.WMS),
    ("pos", SenderKind.POS),
)
# Senders that speak for locations: their events name one, which must be theirs.
LOCATED = frozenset({SenderKind.WMS, SenderKind.POS})


def kind_of_id(sender_id: str) -> SenderKind | None:
    """The kind a sender's id names by its start; None when it names none."""
    for prefix, kind in _PREFIXES:
        if sender_id.startswith(prefix):
            return kind
    return None


def sender_refusal(sender_id: str, kind: SenderKind | None, locations: list[str]) -> str | None:
    """Why a sender cannot be registered so; None when it can."""
    implied = kind_of_id(sender_id)
    if kind is None and implied is None:
        return "kind is required: the sender's id names none (carrier:, payments:, wms, pos)"
    if kind is not None and implied is not None and kind is not implied:
        return f"the id {sender_id!r} names a {implied.value} sender, not a {kind.value} one"
    if locations and (kind or implied) not in LOCATED:
        return "only a wms or pos sender speaks for locations"
    return None


Sku = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
GatewayId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


# -- payment gateways ---------------------------------------------------------------------


class NoticeType(StrEnum):
    """What a gateway's notice says happened, after it answered the OMS's call."""

    CAPTURE_SUCCEEDED = "capture.succeeded"
    CAPTURE_FAILED = "capture.failed"  # a capture it had answered as done did not go through
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    CHARGEBACK_OPENED = "chargeback.opened"  # the card holder disputes a capture


class PaymentNotice(BaseModel):
    """The body of ``POST /webhooks/payments/{gateway}``. The operation is named by the
    ``Idempotency-Key`` the OMS sent (``idempotency_key``) or by the gateway's own id of it
    (``reference``: the capture's or the refund's; a chargeback names the capture)."""

    model_config = ConfigDict(extra="forbid")

    type: NoticeType
    idempotency_key: GatewayId | None = None
    reference: GatewayId | None = None
    amount: WholeNumber = Field(ge=0, le=10**12, description="minor units")
    currency: Currency
    occurred_at: AwareDatetime
    code: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="why it failed; a chargeback's reason",
    )
    chargeback_id: GatewayId | None = Field(
        default=None, description="the gateway's id of the dispute (chargeback.opened)"
    )

    @model_validator(mode="after")
    def _names_its_operation(self) -> PaymentNotice:
        if self.idempotency_key is None and self.reference is None:
            raise ValueError("a notice names its operation: idempotency_key or reference")
        if self.type is NoticeType.CHARGEBACK_OPENED and self.chargeback_id is None:
            raise ValueError("a chargeback notice carries its chargeback_id")
        return self

    @property
    def operation(self) -> str:
        return "refund" if self.type.value.startswith("refund") else "capture"

    @property
    def failed(self) -> bool:
        return self.type in (NoticeType.CAPTURE_FAILED, NoticeType.REFUND_FAILED)


class NoticeOutcome(StrEnum):
    """What a notice did to the payment ledger (answered by the webhook)."""

    CONFIRMED = "confirmed"  # the ledger already said so
    RECORDED = "recorded"  # the ledger had no row: written as the gateway says
    REVERSED = "reversed"  # a success the OMS recorded failed after all
    CONFLICT = "conflict"  # a refusal the OMS recorded succeeded after all: left for people
    RECAPTURED = "recaptured"  # a reversed capture the gateway made again on its own
    CHARGEBACK = "chargeback"  # a chargeback task opened
    DUPLICATE = "duplicate"


def notice_outcome(
    recorded: str | None, reversed_before: bool, notice: PaymentNotice
) -> NoticeOutcome:
    """What a success or failure notice does to a ledger row whose outcome is ``recorded``
    (None: no row); ``reversed_before``: the row is a success reversed by a notice since."""
    if recorded is None:
        return NoticeOutcome.RECORDED
    if notice.failed:
        if recorded != "succeeded":
            return NoticeOutcome.CONFIRMED
        # Reversed, recaptured, then failed again: once each is what the books take.
        return NoticeOutcome.CONFLICT if reversed_before else NoticeOutcome.REVERSED
    if recorded == "succeeded":
        return NoticeOutcome.CONFIRMED
    if reversed_before and notice.operation == "capture":
        return NoticeOutcome.RECAPTURED  # the gateway captured it again on its own
    # Refused when the OMS asked (or a refund reversed since): someone decides, nothing is
    # flipped.
    return NoticeOutcome.CONFIRMED if reversed_before else NoticeOutcome.CONFLICT


class ChargebackDecision(StrEnum):
    ACCEPT = "accept"  # the money goes back to the card holder
    DISPUTE = "dispute"  # evidence goes to the gateway


class ChargebackOutcome(BaseModel):
    """The outcome of a ``chargeback`` task (``POST /tasks/{id}/complete``)."""

    model_config = ConfigDict(extra="forbid")

    decision: ChargebackDecision
    note: str = Field(min_length=1, max_length=500)


# -- warehouses ---------------------------------------------------------------------------


class WmsEventType(StrEnum):
    PICK_CONFIRMED = "pick_confirmed"  # lines picked; a short line with its reason code
    PACK_CONFIRMED = "pack_confirmed"  # the parcels
    SHIPPED = "shipped"  # the parcel left with the carrier


class WmsEvent(BaseModel):
    """The body of ``POST /webhooks/wms``: one step of one fulfilment at one of the sender's
    warehouses, applied as store staff's own action on it would be."""

    model_config = ConfigDict(extra="forbid")

    type: WmsEventType
    fulfilment_id: Identifier
    occurred_at: AwareDatetime
    lines: list[PickedLine] | None = Field(
        default=None, min_length=1, max_length=400, description="pick_confirmed"
    )
    parcels: list[Parcel] | None = Field(
        default=None, min_length=1, max_length=50, description="pack_confirmed"
    )
    carrier: str | None = Field(default=None, min_length=1, max_length=64, description="shipped")
    tracking_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="shipped: the parcel's tracking number (or a parcel reference given at pack)",
    )

    @model_validator(mode="after")
    def _carries_what_its_type_needs(self) -> WmsEvent:
        needs = {
            WmsEventType.PICK_CONFIRMED: ("lines", self.lines),
            WmsEventType.PACK_CONFIRMED: ("parcels", self.parcels),
            WmsEventType.SHIPPED: ("tracking_number", self.tracking_number),
        }
        field, value = needs[self.type]
        if value is None:
            raise ValueError(f"a {self.type.value} event carries {field}")
        return self


# -- tills --------------------------------------------------------------------------------


class PosEventType(StrEnum):
    SALE = "sale"  # units left the store with a customer
    RETURN = "return"  # units a customer brought back to the store


class PosLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: WholeNumber = Field(gt=0, le=10_000)
    resellable: bool = Field(
        default=True, description="return: false sets the units apart (quarantined)"
    )


class PosEvent(BaseModel):
    """The body of ``POST /webhooks/pos``: a sale or a return at one of the sender's stores,
    applied to that store's on hand once per event id."""

    model_config = ConfigDict(extra="forbid")

    type: PosEventType
    location_id: Identifier
    occurred_at: AwareDatetime
    lines: list[PosLine] = Field(min_length=1, max_length=400)

    @model_validator(mode="after")
    def _one_line_per_sku_and_kind(self) -> PosEvent:
        seen = [(line.sku, line.resellable) for line in self.lines]
        if len(set(seen)) != len(seen):
            raise ValueError("one line per SKU (and per resellable or not)")
        if self.type is PosEventType.SALE and not all(line.resellable for line in self.lines):
            raise ValueError("resellable is for a return's lines")
        return self


def pos_moves(event: PosEvent) -> list[tuple[str, int, int]]:
    """(sku, on hand change, quarantined change) per line: a sale takes units off on hand, a
    return puts them back, or sets them apart when they cannot be sold again."""
    if event.type is PosEventType.SALE:
        return [(line.sku, -line.quantity, 0) for line in event.lines]
    return [
        (line.sku, line.quantity, 0) if line.resellable else (line.sku, 0, line.quantity)
        for line in event.lines
    ]
