"""Human tasks: the kinds of work people do for a workflow, and where each task stands."""

from __future__ import annotations

from enum import StrEnum


class TaskKind(StrEnum):
    """Stored in ``manual_tasks.kind``, shown and filtered by ``GET /tasks``; lower case."""

    FRAUD_REVIEW = "fraud_review"
    PAYMENT_EXCEPTION = "payment_exception"
    PICK = "pick"
    VAS = "vas"  # a value-added service (gift wrap, engraving...) for one order line
    # Count a position again: a short pick's reason code asked for it (stock left as it was).
    RECOUNT = "recount"
    # A parcel the carrier could not deliver: customer service decides what happens next.
    DELIVERY_EXCEPTION = "delivery_exception"
    # Grade every unit a return brought back (qc_resellable, qc_damaged...).
    RETURN_QC = "return_qc"
    # A card holder disputes a capture (a gateway's notice): accept it or dispute it.
    CHARGEBACK = "chargeback"


class TaskStatus(StrEnum):
    """Stored in ``manual_tasks.status``, shown and filtered by ``GET /tasks``; lower case."""

    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
