"""What customer service decides for a capture the gateway refused."""

from __future__ import annotations

from enum import StrEnum

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
