"""What customer service decides for a capture the gateway refused, or reversed after the fact,
and how a reversed capture's task reads."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.order.status import PaymentState
from oms.domain.order.views import PaymentException, PaymentView


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
    # The gateway captured it again on its own before the run captured: nothing asked of it.
    RECAPTURED = "recaptured"


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


class ReversalFacts(BaseModel):
    """What the ledger, the task desk and the order's notes know of an order's reversed
    captures, which its run does not (the gateway's notice and the recoveries happen beside
    it, often after it)."""

    reversed: int = 0  # captures the gateway reversed (and did not capture again itself)
    collected: int = 0  # captured again by recoveries
    written_off: int = 0  # given up by recoveries
    waiting: list[PaymentException] = Field(default_factory=list)  # open tasks


def with_reversals(payment: PaymentView, facts: ReversalFacts) -> PaymentView:
    """The run's payment view with the ledger's truth laid over it: a reversed capture no
    longer counts as captured (until a recovery captures it again), its open task is one of
    the exceptions, a recovery's write-off is written off."""
    if not (facts.reversed or facts.waiting):
        return payment
    captured = payment.captured - facts.reversed + facts.collected
    state = payment.state
    short = captured < payment.captured
    if short and state in (PaymentState.CAPTURED, PaymentState.PARTIALLY_CAPTURED):
        state = PaymentState.PARTIALLY_CAPTURED if captured > 0 else PaymentState.AUTHORIZED
    waiting = {e.task_id for e in payment.exceptions}
    return payment.model_copy(
        update={
            "captured": captured,
            "state": state,
            "reversed": facts.reversed,
            "written_off": payment.written_off + facts.written_off,
            "exceptions": [
                *payment.exceptions,
                *(e for e in facts.waiting if e.task_id not in waiting),
            ],
        }
    )
