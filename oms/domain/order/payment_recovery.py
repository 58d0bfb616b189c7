"""What customer service decides for a capture the gateway refused, or reversed after the fact,
and how a reversed capture's task reads."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PaymentAction(StrEnum):
    RETRY = "retry"  # capture again on the same authorization
    REAUTHORIZE = "reauthorize"  # authorize the amount afresh, then capture it
    WRITE_OFF = "write_off"  # give the money up: the goods are gone


class PaymentDecision(BaseModel):
    """The outcome of a ``payment_exception`` task (``POST /tasks/{id}/complete``)."""

    model_config = ConfigDict(extra="forbid")

    action: PaymentAction
    reason: str = Field(min_length=1, max_length=500)


class PaymentResolution(BaseModel):
    """The decision as the order's run is told it (``resolve_payment``)."""

    fulfilment_id: str
    action: PaymentAction
    reason: str
    actor: str


class RecoveryOutcome(StrEnum):
    """How carrying out a decision on a reversed capture ended."""

    CAPTURED = "captured"  # the money is collected again
    REFUSED = "refused"  # refused again: a new task for customer service
    WRITTEN_OFF = "written_off"


def reversed_capture_payload(
    *,
    fulfilment_id: str | None,
    amount: int,
    currency: str,
    idempotency_key: str,
    gateway_reference: str | None,
    code: str | None,
    attempt: int = 0,
) -> dict[str, Any]:
    """The payload of a ``payment_exception`` task about a capture the gateway reversed after
    the fact (``"reversed": true``): the capture's key and reference, and why. ``attempt`` n:
    the n-th try customer service asked for was refused too (``code`` says why); the key and
    reference stay the reversed capture's, which every later try is keyed on."""
    payload: dict[str, Any] = {
        "fulfilment_id": fulfilment_id,
        "amount": amount,
        "currency": currency,
        "reversed": True,
        "idempotency_key": idempotency_key,
        "gateway_reference": gateway_reference,
        "code": code,
    }
    if attempt:
        payload["attempt"] = attempt
    return payload
