"""What completing a task takes, by the task's kind (``POST /tasks/{id}/complete``): each kind
its own outcome, checked against the task's kind (``api.openapi.schema_of`` writes their
schemas into the OpenAPI document)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.errors import from_validation
from oms.domain.fraud import ReviewDecision
from oms.domain.inbound import ChargebackOutcome
from oms.domain.order.payment_recovery import PaymentDecision
from oms.domain.returns import GradedLine
from oms.domain.tasks import TaskKind


class CompleteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    reason: str = Field(min_length=1, max_length=500)


class QcOutcome(BaseModel):
    """The outcome of a ``return_qc`` task: a grade (a ``return_qc`` reason code) for every
    unit the return brought back."""

    model_config = ConfigDict(extra="forbid")

    grades: list[GradedLine] = Field(min_length=1, max_length=400)


class DeliveryResolution(StrEnum):
    RESHIPPED = "reshipped"  # sent again (a new order, today)
    REFUNDED = "refunded"  # paid back (a return, today)
    REDELIVERY_BOOKED = "redelivery_booked"  # the carrier tries again
    CLOSED = "closed"  # nothing more to do


class DeliveryOutcome(BaseModel):
    """The outcome of a ``delivery_exception`` task: what customer service did about it."""

    model_config = ConfigDict(extra="forbid")

    resolution: DeliveryResolution
    note: str = Field(min_length=1, max_length=500)


# Each kind decided here takes its own outcome (the body is checked against the task's kind).
OUTCOMES: dict[TaskKind, type[BaseModel]] = {
    TaskKind.FRAUD_REVIEW: CompleteBody,
    TaskKind.RETURN_QC: QcOutcome,
    # The order's run ended before the parcel failed: the outcome is the record.
    TaskKind.DELIVERY_EXCEPTION: DeliveryOutcome,
    # A capture the gateway refused: the order waits for this decision before it ends (one
    # the gateway reversed after the fact: a PaymentRecoveryWorkflow carries it out).
    TaskKind.PAYMENT_EXCEPTION: PaymentDecision,
    # A card holder disputes a capture: accepted or disputed with the gateway; the record.
    TaskKind.CHARGEBACK: ChargebackOutcome,
}


def outcome_of(kind: TaskKind, body: dict[str, Any]) -> BaseModel:
    try:
        return OUTCOMES[kind].model_validate(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise from_validation(RequestValidationError(errors)) from exc
