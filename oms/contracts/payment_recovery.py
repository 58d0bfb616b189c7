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


class RecoveryResult(BaseModel):
    outcome: RecoveryOutcome
    amount: int
    capture_id: str | None = None
    # Refused again: the task customer service decides next, and the gateway's code.
    task_id: str | None = None
    code: str | None = None
