"""An appeasement's run: what starts it, what it asks of activities, and how it shows itself."""

from __future__ import annotations

from pydantic import BaseModel

from oms.domain.appeasements import AppeasementStatus

# The error a run fails with when its appeasement was withdrawn before its refund (the API
# gave up starting it): nothing to record.
WITHDRAWN_ERROR = "AppeasementWithdrawn"
# Its refund's code when the gateway refunded less than it asked (its claim covered no more).
NOTHING_LEFT = "nothing_left_to_refund"


class AppeasementInput(BaseModel):
    """What the run needs, fixed when the appeasement was granted (its row, its claims on the
    order's captures and the note stay in the database)."""

    appeasement_id: str
    order_id: str
    amount: int
    currency: str
    reason_code: str


class RefundAppeasement(BaseModel):
    appeasement_id: str
    order_id: str


class AppeasementOutcome(BaseModel):
    """What the gateway answered: what it refunded, and its code when it refused."""

    refunded: int
    code: str | None = None


class RecordAppeasement(BaseModel):
    """The appeasement's end as the run saw it; what was refunded is read from the ledger."""

    appeasement_id: str
    status: AppeasementStatus
    code: str | None = None


class AppeasementView(BaseModel):
    appeasement_id: str
    order_id: str
    status: AppeasementStatus
    amount: int
    refunded: int = 0
    currency: str
    code: str | None = None
