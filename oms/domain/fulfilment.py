"""What one location does for one order: pick, pack, ship or hand over for collection."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.delivery import DeliveryMethod
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.fulfilment_profiles import Service
from oms.domain.fulfilment_steps import StepState


class FulfilmentStatus(StrEnum):
    """Where one location's work for an order is: stored in ``fulfilments.status``; upper
    case like ``OrderStatus``, and kept as first written for the same reasons."""

    AWAITING_PICK = "AWAITING_PICK"
    PICKED = "PICKED"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"
    READY_FOR_COLLECTION = "READY_FOR_COLLECTION"
    COLLECTED = "COLLECTED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def has_left_the_building(self) -> bool:
        """Goods are with the carrier or the customer: the order can no longer be cancelled."""
        return self in (FulfilmentStatus.SHIPPED, FulfilmentStatus.COLLECTED)


_FINAL = {
    FulfilmentStatus.SHIPPED,
    FulfilmentStatus.COLLECTED,
    FulfilmentStatus.REJECTED,
    FulfilmentStatus.CANCELLED,
}


class ShortReason(StrEnum):
    """Why store staff could not pick the full quantity (reason codes)."""

    NOT_FOUND = "not_found"
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    EXPIRED = "expired"
    OTHER = "other"

    @property
    def stock_is_gone(self) -> bool:
        """The units are not sellable: the location's on-hand figure must come down."""
        return self in (ShortReason.NOT_FOUND, ShortReason.DAMAGED, ShortReason.EXPIRED)


class FulfilmentLine(BaseModel):
    line_id: str
    sku: str
    quantity: int
    picked: int | None = None
    short_reason: ShortReason | None = None
    # Value-added services the order line asks for (gift_wrap...): the profile's vas step.
    services: list[Service] = Field(default_factory=list)

    @property
    def short(self) -> int:
        return 0 if self.picked is None else self.quantity - self.picked


class PickedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: str
    picked: int = Field(ge=0)
    short_reason: ShortReason | None = None


class PickReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[PickedLine] = Field(min_length=1)
    actor: str = "store"


class Parcel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight_grams: int = Field(gt=0, le=70_000)
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
    escalated: bool = False
    # Revision 3: the steps of the location's fulfilment profile, and which profile it is.
    profile: str | None = None
    steps: list[StepState] = Field(default_factory=list)

    @property
    def current_step(self) -> StepState | None:
        return next((s for s in self.steps if not s.status.is_over), None)

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
                    reason="a short pick needs a reason code: "
                    + ", ".join(r.value for r in ShortReason),
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
    return [
        line.model_copy(
            update={
                "picked": picked[line.line_id].picked,
                "short_reason": picked[line.line_id].short_reason
                if picked[line.line_id].picked < line.quantity
                else None,
            }
        )
        for line in lines
    ]


class FulfilmentProgress(BaseModel):
    """A child fulfilment tells its order where it is, so the order view stays live."""

    fulfilment_id: str
    location_id: str
    status: FulfilmentStatus
    picked: dict[str, int] = Field(default_factory=dict)
    tracking_number: str | None = None
    carrier: str | None = None

    @classmethod
    def of(cls, view: FulfilmentView) -> FulfilmentProgress:
        return cls(
            fulfilment_id=view.fulfilment_id,
            location_id=view.location_id,
            status=view.status,
            picked={line.line_id: line.picked for line in view.lines if line.picked is not None},
            tracking_number=view.tracking_number,
            carrier=view.carrier,
        )
