"""A reversed capture's recovery (``PaymentRecoveryWorkflow``): customer service's decision and
what carrying it out needs, and how it ended."""

from __future__ import annotations

from pydantic import BaseModel, Field

from oms.domain.order.payment_recovery import PaymentResolution, RecoveryOutcome


class RecoveryInput(BaseModel):
    """One decision on a ``payment_exception`` task about a capture the gateway reversed after
    the fact. No payment token: a reauthorization takes the order's stored one."""

    task_id: str  # the task decided
    order_id: str
    amount: int
    currency: str
    # The capture the gateway reversed (its idempotency key): every try of it is keyed on it.
    reversed_key: str
    gateway_reference: str | None = None
    # What it was captured on: what a retry captures on again (None: the ledger never knew).
    authorization_id: str | None
    attempt: int = Field(ge=1, description="this try: 1, then one more for each refused again")
    decision: PaymentResolution
    # When a try refused again escalates its next task (OMS_PAYMENT_ESCALATE_AFTER).
    escalate_after_s: float = 4 * 3600.0


class RecoveryPayment(BaseModel):
    """One call a recovery's try makes to the gateway: ``try_`` keys it
    (``oms.gateway_keys.recovery_try``), apart from the order's own calls. An authorization
    takes the order's stored payment token; a void or a release names ``authorization_id``
    (a release lets go of ``amount`` of the reversed capture's authorization)."""

    order_id: str
    try_: str
    amount: int
    currency: str
    authorization_id: str | None = None


class Released(BaseModel):
    """What a release let go of on the reversed capture's authorization: part of it while the
    order runs, all that is left once it is over (None from the activity: nothing to do)."""

    voided_amount: int
    partial: bool


class RecoveryResult(BaseModel):
    outcome: RecoveryOutcome
    amount: int
    capture_id: str | None = None
    # Refused again: the task customer service decides next, and the gateway's code.
    task_id: str | None = None
    code: str | None = None
    # Let go of on the reversed capture's authorization (collected elsewhere, or written off).
    released: int = 0
