"""A return's activities: its row and events, the stock its grades move, its refund over the
order's captures, and the carrier's return label."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.payments import PaymentActivities
from oms.connectors.carriers import Carrier, CarrierRejected
from oms.contracts.payments import RefundRequest
from oms.contracts.returns import ApplyGrades, RecordReturn, RefundOutcome, RefundReturn
from oms.contracts.shipping import Booking, ReturnLabelRequest
from oms.db import returns as return_repo
from oms.db.engine import Database
from oms.gateway_keys import return_refund_for
from oms.logging import get_logger

log = get_logger(__name__)


class ReturnActivities:
    def __init__(self, db: Database, payments: PaymentActivities, carrier: Carrier) -> None:
        self.db = db
        self.payments = payments
        self.carrier = carrier

    @activity.defn
    def record_return(self, req: RecordReturn) -> None:
        change = return_repo.ReturnChange(
            return_id=req.return_id,
            status=req.status,
            event=req.event,
            received=[r.model_dump() for r in req.received] if req.received else None,
            grades=[g.model_dump() for g in req.grades] if req.grades else None,
            label=req.label,
            refund_state=req.refund_state.value if req.refund_state else None,
            refunded=req.refunded,
            refund_attempt=req.refund_attempt,
            refund_amount=req.refund_amount,
        )
        with self.db.session() as s:
            row = return_repo.record(s, change)
        if row is None:
            # The API stores the row before it starts the run: a run without its row (or with
            # a row the API withdrew) is one the API gave up starting. It ends, failed, rather
            # than retrying for ever.
            raise ApplicationError(
                f"no return row {req.return_id} to record",
                type="ReturnNotStored",
                non_retryable=True,
            )
        log.info("return_recorded", return_id=req.return_id, status=req.status.value)

    @activity.defn
    def apply_return_grades(self, req: ApplyGrades) -> dict[str, tuple[int, int]]:
        with self.db.session() as s:
            moved = return_repo.apply_grades(
                s,
                return_id=req.return_id,
                location_id=req.location_id,
                skus=req.skus,
                grades=req.grades,
            )
        log.info("return_graded", return_id=req.return_id, moved=moved)
        return moved

    @activity.defn
    def refund_return(self, req: RefundReturn) -> RefundOutcome:
        """Refund the amount over the order's captures, a refund per capture it touches, each
        once (its key names the return and the capture). A refusal is answered, not raised:
        the return records it and customer service takes it from there."""
        with self.db.session() as s:
            parts = return_repo.claim_refund(
                s, req.order_id, req.return_id, req.attempt, req.amount
            )
        refunded = 0
        for part in parts:
            try:
                done = self.payments.refund_payment(
                    RefundRequest(
                        order_id=req.order_id,
                        refund_for=return_refund_for(req.return_id, req.attempt, part.capture_id),
                        capture_id=part.capture_id,
                        authorization_id=part.authorization_id,
                        amount=part.amount,
                        currency=part.currency,
                    )
                )
            except ApplicationError as refused:
                with self.db.session() as s:
                    return_repo.release_unpaid(s, req.order_id, req.return_id, req.attempt)
                return RefundOutcome(refunded=refunded, refused=refused.type or "refused")
            refunded += done.amount
        if refunded < req.amount:
            return RefundOutcome(refunded=refunded, refused="nothing_left_to_refund")
        return RefundOutcome(refunded=refunded)

    @activity.defn
    def book_return_label(self, req: ReturnLabelRequest) -> Booking:
        try:
            return self.carrier.book_return(
                idempotency_key=f"{req.return_id}:return-label", request=req
            )
        except CarrierRejected as exc:
            raise ApplicationError(
                str(exc), exc.code, type="CarrierRejected", non_retryable=True
            ) from exc
