"""What one location does for one order: pick, pack, ship or hand over for collection."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.delivery import DeliveryMethod
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.fulfilment_profiles import Service
from oms.domain.fulfilment_steps import StepState
from oms.domain.numbers import WholeNumber
from oms.domain.reason_codes import Code, ReasonEffects, RoutingEffect


class FulfilmentStatus(StrEnum):
    """Where one location's work for an order is: stored in ``fulfilments.status``; upper
    case like ``OrderStatus``, and kept as first written for the same reasons."""

    AWAITING_PICK = "AWAITING_PICK"
    PICKED = "PICKED"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"
    READY_FOR_COLLECTION = "READY_FOR_COLLECTION"
    COLLECTED = "COLLECTED"
    # A transfer on its way to the collection store, to be received there by scan.
    IN_TRANSIT = "IN_TRANSIT"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    # Some units collected, the rest still waits for the customer (same code) until the hold
    # ends; then NOT_COLLECTED: what was left went back to stock, its lines were cancelled.
    PARTIALLY_COLLECTED = "PARTIALLY_COLLECTED"
    NOT_COLLECTED = "NOT_COLLECTED"

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def has_left_the_building(self) -> bool:
        """Goods are with the carrier or the customer: the order can no longer be cancelled."""
        return self in (
            FulfilmentStatus.SHIPPED,
            FulfilmentStatus.COLLECTED,
            FulfilmentStatus.PARTIALLY_COLLECTED,
        )

    @property
    def is_charged(self) -> bool:
        """The order charges it when it ends: something may have left the building (an
        uncollected fulfilment may have been collected in part)."""
        return self.has_left_the_building or self is FulfilmentStatus.NOT_COLLECTED


# Where a transfer is the collection store's work, not its source's: from the moment it leaves
# the source (listed at the store it goes to, ``transfer_to``) to its collection.
AT_THE_STORE = frozenset(
    {
        FulfilmentStatus.IN_TRANSIT,
        FulfilmentStatus.READY_FOR_COLLECTION,
        FulfilmentStatus.PARTIALLY_COLLECTED,
        FulfilmentStatus.COLLECTED,
        FulfilmentStatus.NOT_COLLECTED,
    }
)

_FINAL = {
    FulfilmentStatus.SHIPPED,
    FulfilmentStatus.COLLECTED,
    FulfilmentStatus.REJECTED,
    FulfilmentStatus.CANCELLED,
    FulfilmentStatus.NOT_COLLECTED,
}
# Work a location still has to do: not yet handed over, collected, rejected or cancelled.
OPEN_STATUSES = tuple(status for status in FulfilmentStatus if status not in _FINAL)


class FulfilmentLine(BaseModel):
    line_id: str
    sku: str
    quantity: int
    picked: int | None = None
    # A code of the reason-code taxonomy whose usages include ``short_pick``.
    short_reason: Code | None = None
    # The code's effects when the pick was reported (None in a report from before the
    # taxonomy, or sent without them: the stock effect is then read from the table).
    short_effects: ReasonEffects | None = None
    # Value-added services the order line asks for (gift_wrap...): the profile's vas step.
    services: list[Service] = Field(default_factory=list)
    # Units the customer took at the counter, over every collection; None until a collection
    # that counts by line (and in every view recorded before partial collection).
    collected: int | None = None

    @property
    def short(self) -> int:
        return 0 if self.picked is None else self.quantity - self.picked

    @property
    def left_to_collect(self) -> int:
        return (self.picked or 0) - (self.collected or 0)

    def units_out(self, status: FulfilmentStatus) -> int:
        """Units that left the building: those collected when counted by line, else every
        unit picked once the fulfilment has shipped or been collected."""
        if self.collected is not None:
            return self.collected
        return (self.picked or 0) if status.has_left_the_building else 0

    @property
    def short_cancelled(self) -> bool:
        """What was not picked is to be cancelled, not sourced again, by its reason."""
        effects = self.short_effects
        return (
            self.short > 0 and effects is not None and effects.routing is RoutingEffect.CANCEL_UNITS
        )

    @property
    def why_cancelled(self) -> CancelledShort | None:
        """The reason code its short units are cancelled for, with its message key."""
        if not self.short_cancelled or self.short_reason is None:
            return None
        effects = self.short_effects
        message = effects.customer_message if effects is not None else None
        return CancelledShort(reason_code=self.short_reason, customer_message=message)


class CancelledShort(BaseModel):
    """Why a line's short units were cancelled: the reason code given and the key of the
    message the customer is sent, as the code said when the pick was reported."""

    reason_code: str
    customer_message: str | None = None


class PickedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: str
    picked: WholeNumber = Field(ge=0)
    short_reason: Code | None = Field(
        default=None, description="Why fewer were picked: a code listed by GET /reason-codes"
    )


class PickReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[PickedLine] = Field(min_length=1)
    actor: str = "store"
    # Filled by the API from the reason codes in force, by code: what the short units' stock
    # and routing become. Absent from reports recorded before the taxonomy.
    effects: dict[str, ReasonEffects] = Field(default_factory=dict)


class Parcel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight_grams: WholeNumber = Field(gt=0, le=70_000)
    reference: str | None = Field(default=None, max_length=64)


class PackReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parcels: list[Parcel] = Field(min_length=1, max_length=50)
    actor: str = "store"


class HandOverReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str = "store"


class FulfilmentView(BaseModel):
    fulfilment_id: str
    order_id: str
    location_id: str
    status: FulfilmentStatus
    delivery_method: DeliveryMethod
    lines: list[FulfilmentLine]
    parcels: list[Parcel] = Field(default_factory=list)
    carrier: str | None = None
    tracking_number: str | None = None
    # The label the carrier made for the parcel (a URL of its own), kept for the store.
    label_url: str | None = None
    escalated: bool = False
    # Revision 3: the steps of the location's fulfilment profile, and which profile it is.
    profile: str | None = None
    steps: list[StepState] = Field(default_factory=list)
    # A transfer: the collection store it is shipped to, received at and collected from.
    transfer_to: str | None = None

    @property
    def current_step(self) -> StepState | None:
        return next((s for s in self.steps if not s.status.is_over), None)

    def has_label(self, label: str) -> bool:
        """Whether a scanned label is one of this fulfilment's parcels: its tracking number
        or a parcel's reference."""
        labels = {self.tracking_number, *(p.reference for p in self.parcels)} - {None}
        return label in labels

    @property
    def short_picked(self) -> bool:
        """Some line was picked short: the order sources the rest elsewhere."""
        return any(line.picked is not None and line.picked < line.quantity for line in self.lines)


def validate_pick(lines: list[FulfilmentLine], report: PickReport) -> list[FieldError]:
    """Every line reported once, never more than asked, and every shortfall explained."""
    errors: list[FieldError] = []
    by_id = {line.line_id: line for line in lines}
    seen: set[str] = set()
    for i, picked in enumerate(report.lines):
        field = f"lines[{i}]"
        line = by_id.get(picked.line_id)
        if line is None:
            errors.append(
                FieldError(
                    field=f"{field}.line_id",
                    code=ErrorCode.UNKNOWN_LINE,
                    reason=f"line {picked.line_id!r} is not in this pick list",
                )
            )
            continue
        if picked.line_id in seen:
            errors.append(
                FieldError(
                    field=f"{field}.line_id",
                    code=ErrorCode.DUPLICATE_LINE_ID,
                    reason=f"line {picked.line_id!r} is reported twice",
                )
            )
        seen.add(picked.line_id)
        if picked.picked > line.quantity:
            errors.append(
                FieldError(
                    field=f"{field}.picked",
                    code=ErrorCode.PICK_EXCEEDS_REQUESTED,
                    reason=f"picked {picked.picked} but only {line.quantity} were asked for",
                )
            )
        elif picked.picked < line.quantity and picked.short_reason is None:
            errors.append(
                FieldError(
                    field=f"{field}.short_reason",
                    code=ErrorCode.REASON_REQUIRED,
                    reason="a short pick needs a reason code (GET /reason-codes?usage=short_pick)",
                )
            )
    for line_id in by_id.keys() - seen:
        errors.append(
            FieldError(
                field="lines",
                code=ErrorCode.REQUIRED,
                reason=f"line {line_id!r} is missing from the report",
            )
        )
    return errors


def apply_pick(lines: list[FulfilmentLine], report: PickReport) -> list[FulfilmentLine]:
    picked = {p.line_id: p for p in report.lines}
    out = []
    for line in lines:
        p = picked[line.line_id]
        reason = p.short_reason if p.picked < line.quantity else None
        effects = report.effects.get(reason) if reason is not None else None
        update: dict[str, object] = {"picked": p.picked, "short_reason": reason}
        if effects is not None:  # only then: a line as recorded before stays as it was
            update["short_effects"] = effects
        out.append(line.model_copy(update=update))
    return out


class FulfilmentProgress(BaseModel):
    """A child fulfilment tells its order where it is, so the order view stays live."""

    fulfilment_id: str
    location_id: str
    status: FulfilmentStatus
    picked: dict[str, int] = Field(default_factory=dict)
    tracking_number: str | None = None
    carrier: str | None = None
    # Lines whose short units are cancelled rather than sourced again (their reason's
    # routing effect is ``cancel_units``).
    cancel_short: list[str] = Field(default_factory=list)
    # Units collected per line, for a collection counted by line (partial collection).
    collected: dict[str, int] = Field(default_factory=dict)
    # Their reason codes and message keys, by line (since cancellations name them).
    cancelled_for: dict[str, CancelledShort] = Field(default_factory=dict)

    @classmethod
    def of(cls, view: FulfilmentView) -> FulfilmentProgress:
        return cls(
            fulfilment_id=view.fulfilment_id,
            location_id=view.location_id,
            status=view.status,
            picked={line.line_id: line.picked for line in view.lines if line.picked is not None},
            tracking_number=view.tracking_number,
            carrier=view.carrier,
            cancel_short=[line.line_id for line in view.lines if line.short_cancelled],
            collected={
                line.line_id: line.collected for line in view.lines if line.collected is not None
            },
            cancelled_for=cancelled_for(view.lines),
        )


def cancelled_for(lines: list[FulfilmentLine]) -> dict[str, CancelledShort]:
    """The lines whose short units are cancelled, with why (``FulfilmentProgress``)."""
    return {line.line_id: why for line in lines if (why := line.why_cancelled) is not None}
