"""An appeasement's activities: its refund over the order's captures, and its end (its row and
its event)."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.payments import PaymentActivities
from oms.contracts.appeasements import (
    NOTHING_LEFT,
    WITHDRAWN_ERROR,
    AppeasementOutcome,
    RecordAppeasement,
    RefundAppeasement,
)
from oms.contracts.payments import RefundRequest
from oms.db import appeasements as repo
from oms.db.engine import Database
from oms.gateway_keys import appeasement_refund_for
from oms.logging import get_logger

log = get_logger(__name__)


class AppeasementActivities:
    def __init__(self, db: Database, payments: PaymentActivities) -> None:
        self.db = db
        self.payments = payments

    @activity.defn
    def refund_appeasement(self, req: RefundAppeasement) -> AppeasementOutcome:
        """Refund the appeasement over the order's captures, a refund per capture its claim
        took when it was granted, each once (its key names the appeasement and the capture).
        A refusal is answered, not raised: the appeasement records it, with the gateway's
        code; so is a refund short of the amount (``nothing_left_to_refund``: the captures had no
        more). One no longer pending (the API gave up starting its run) is refunded no more:
        the run ends, failed, rather than retrying for ever."""
        with self.db.session() as s:
            parts = repo.pending_parts(s, req.appeasement_id)
            row = repo.get(s, req.appeasement_id)
            asked = row.amount if row is not None else 0
        if parts is None:
            raise ApplicationError(
                f"appeasement {req.appeasement_id} is not pending",
                type=WITHDRAWN_ERROR,
                non_retryable=True,
            )
        order_id = req.order_id
        refunded = 0
        for part in parts:
            try:
                done = self.payments.refund_payment(
                    RefundRequest(
                        order_id=order_id,
                        refund_for=appeasement_refund_for(req.appeasement_id, part.capture_id),
                        capture_id=part.capture_id,
                        authorization_id=part.authorization_id,
                        amount=part.amount,
                        currency=part.currency,
                    )
                )
            except ApplicationError as refused:
                code = str(refused.details[0]) if refused.details else refused.type
                return AppeasementOutcome(refunded=refunded, code=code or "refused")
            refunded += done.amount
        if refunded < asked:
            # Its claim covered less than it asked (the captures had no more): never refunded
            # for less, as a return's refund.
            return AppeasementOutcome(refunded=refunded, code=NOTHING_LEFT)
        log.info("appeasement_refunded", order_id=order_id, appeasement_id=req.appeasement_id)
        return AppeasementOutcome(refunded=refunded)

    @activity.defn
    def record_appeasement(self, req: RecordAppeasement) -> int:
        """Its end: the row, what the ledger says was refunded, the event. Answers that."""
        with self.db.session() as s:
            row = repo.record(s, req.appeasement_id, req.status, req.code)
            if row is None:
                raise ApplicationError(
                    f"no appeasement row {req.appeasement_id} to record",
                    type="AppeasementNotStored",
                    non_retryable=True,
                )
            refunded = row.refunded
        log.info("appeasement_recorded", appeasement_id=req.appeasement_id, status=req.status.value)
        return refunded
