"""ReturnWorkflow (id ``return-{return id}``): a customer's return, from the request to the
refund.

The API has checked the request against the channel's policy and stored the return's row;
the run then: books a return label for a carrier return; refunds at once when the policy
trusts the customer's tier; waits for the parcel (``receive`` update, from ``POST
/returns/{id}/receive``; expired after the policy's ``receive_within_days``); opens a
quality-control task at the receiving location and waits for its grades (``grade`` update,
from the task desk; escalated past the policy's ``qc_due_hours``); moves the units as each
grade's reason code says; refunds what the policy refunds of the grades (and the order's
shipping charge when the policy gives it back), less what an exchange's replacement order took
of the returned goods (``return.exchange_created``: the API placed that order with the return;
the run waits for that order's end, ``replacement_ended``, and refunds the credit it did not
use).
Each step writes the return's row and a ``return.*`` event.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from oms.contracts.returns import (
        ApplyGrades,
        QcResult,
        Receipt,
        RecordReturn,
        RefundOutcome,
        RefundReturn,
        ReplacementEnded,
        ReturnInput,
        ReturnView,
    )
    from oms.contracts.shipping import ReturnLabelRequest
    from oms.domain.errors import ErrorCode
    from oms.domain.returns import (
        GradedLine,
        RefundState,
        ReturnMethod,
        ReturnStatus,
        asked_refund,
        merged,
        refund_due,
        with_shipping,
    )
    from oms.domain.tasks import TaskKind
    from workflows import calls
    from workflows.human_tasks import HumanTask, wait_for_people
    from workflows.patch_levels import RETURN_LEVELS, check_level, patched
    from workflows.policies import (
        DB_ACTIVITY,
        EXTERNAL_ACTIVITY,
        SETTLEMENT_ACTIVITY,
        condition_within,
    )
    from workflows.refusals import refuse


# Runs recorded before it refunded no shipping charge (no return had one to refund).
SHIPPING_REFUND = "aftersale-shipping-refund"
# Runs recorded before exchanges refunded the whole of the returned goods (none had one).
EXCHANGE_CREDIT = "aftersale-exchange-credit"
# Since then the credit kept back is only what the replacement order took: the run waits for
# that order's end (``replacement_ended`` signal) before its last refund, and refunds the
# credit the replacement did not use (out of stock, rejected, cancelled in whole or in part).
CREDIT_USED = "aftersale-fix-exchange-credit-used"
# How long a return waits for its replacement order's end before it keeps the whole credit
# (a replacement run from before the signal existed never sends it).
REPLACEMENT_WAIT_S = timedelta(days=60).total_seconds()
# The signal an exchange's replacement order sends its return when it ends.
REPLACEMENT_ENDED = "replacement_ended"


def return_workflow_id(return_id: str) -> str:
    return f"return-{return_id}"


def qc_task_id(return_id: str) -> str:
    return f"return-qc-{return_id}"


@workflow.defn
class ReturnWorkflow:
    @workflow.init
    def __init__(self, inp: ReturnInput) -> None:
        check_level(RETURN_LEVELS, inp.patch_level)
        self.inp = inp
        self.view = ReturnView(
            return_id=inp.return_id,
            order_id=inp.order_id,
            status=ReturnStatus.AWAITING_RECEIPT,
            method=inp.method,
            location_id=inp.location_id,
            lines=inp.lines,
            currency=inp.currency,
        )
        self.receipt: Receipt | None = None
        self.qc: QcResult | None = None
        self._refunds = 0
        self._credit_used: int | None = None

    def _patched(self, patch_id: str) -> bool:
        return patched(RETURN_LEVELS, self.inp.patch_level, patch_id)

    @workflow.run
    async def run(self, inp: ReturnInput) -> ReturnView:
        self.view.since = workflow.now()
        if inp.method is ReturnMethod.BY_CARRIER and inp.sender is not None:
            booking = await workflow.execute_activity(
                calls.book_return_label,
                ReturnLabelRequest(
                    return_id=inp.return_id, sender=inp.sender, to_location_id=inp.location_id
                ),
                summary="book the return label",
                **EXTERNAL_ACTIVITY,
            )
            self.view.label = {
                "carrier": booking.carrier,
                "tracking_number": booking.tracking_number,
                "label_url": booking.label_url,
            }
        await self._record("return.requested", label=self.view.label)
        # An exchange: its replacement order is announced, and what it took of the returned
        # goods is not refunded.
        exchanges = inp.exchange_order_id is not None and self._patched(EXCHANGE_CREDIT)
        if exchanges:
            await self._record("return.exchange_created")
        credit = inp.exchange_credit if exchanges else 0
        prices = {line.line_id: line.unit_price for line in inp.lines}
        shipping = (
            inp.shipping_refund if inp.shipping_refund and self._patched(SHIPPING_REFUND) else 0
        )
        if inp.customer_tier in inp.policy.instant_refund_tiers:
            await self._refund(with_shipping(asked_refund(inp.lines, prices), shipping) - credit)
        wait = timedelta(days=inp.policy.receive_within_days).total_seconds()
        if not await condition_within(lambda: self.receipt is not None, wait, "the parcel"):
            return await self._end(ReturnStatus.EXPIRED, "return.expired")
        assert self.receipt is not None
        self.view.status = ReturnStatus.AWAITING_QC
        self.view.received = self.receipt.lines
        self.view.since = workflow.now()
        await self._record("return.received", received=self.receipt.lines)
        grades = await self._quality_control()
        skus = {line.line_id: line.sku for line in inp.lines}
        await workflow.execute_activity(
            calls.apply_return_grades,
            ApplyGrades(
                return_id=inp.return_id,
                location_id=self.receipt.location_id,
                skus=skus,
                grades=grades,
            ),
            summary="put the returned units where their grades say",
            **DB_ACTIVITY,
        )
        self.view.grades = grades
        if exchanges and self._patched(CREDIT_USED):
            await self._settle_credit(grades, prices, shipping, credit)
        elif self.view.refund_state is not RefundState.REFUNDED:
            # What is owed less what an instant refund that went through in part paid.
            due = with_shipping(refund_due(grades, prices, inp.policy), shipping) - credit
            await self._refund(due - self.view.refunded)
        return await self._end(ReturnStatus.COMPLETED, "return.completed")

    async def _settle_credit(
        self, grades: list[GradedLine], prices: dict[str, int], shipping: int, credit: int
    ) -> None:
        """An exchange's last refund: once its replacement order has ended, what is owed less
        only the credit that order took (less what was refunded already)."""
        await condition_within(
            lambda: self._credit_used is not None, REPLACEMENT_WAIT_S, "the replacement order"
        )
        if self._credit_used is not None:
            credit = min(credit, self._credit_used)
        if self.view.refund_state is RefundState.REFUNDED:  # the instant refund went through
            owed = with_shipping(asked_refund(self.inp.lines, prices), shipping)
        else:
            owed = with_shipping(refund_due(grades, prices, self.inp.policy), shipping)
        await self._refund(owed - credit - self.view.refunded)

    async def _quality_control(self) -> list[GradedLine]:
        task = HumanTask(qc_task_id(self.inp.return_id), TaskKind.RETURN_QC, self.inp.order_id)
        due_s = timedelta(hours=self.inp.policy.qc_due_hours).total_seconds()
        assert self.receipt is not None
        await task.open(
            due_at=workflow.now() + timedelta(seconds=due_s),
            location_id=self.receipt.location_id,
            payload={
                "return_id": self.inp.return_id,
                "lines": [
                    {**r.model_dump(), "sku": self._sku(r.line_id)} for r in self.receipt.lines
                ],
            },
        )
        await wait_for_people(
            lambda: self.qc is not None,
            escalate_after_s=due_s,
            on_escalate=task.escalate,
            what="quality control",
        )
        assert self.qc is not None
        return self.qc.grades

    async def _refund(self, amount: int) -> None:
        if amount <= 0:
            return
        self._refunds += 1
        outcome: RefundOutcome = await workflow.execute_activity(
            calls.refund_return,
            RefundReturn(
                order_id=self.inp.order_id,
                return_id=self.inp.return_id,
                amount=amount,
                currency=self.inp.currency,
                attempt=self._refunds - 1,
            ),
            summary=f"refund {amount} {self.inp.currency}",
            **SETTLEMENT_ACTIVITY,
        )
        self.view.refunded += outcome.refunded
        failed = outcome.refused is not None
        self.view.refund_state = RefundState.FAILED if failed else RefundState.REFUNDED
        await self._record(
            "return.refund_failed" if failed else "return.refunded",
            refund_state=self.view.refund_state,
            refunded=self.view.refunded,
            refund_attempt=self._refunds - 1,
            refund_amount=outcome.refunded,
        )

    async def _end(self, status: ReturnStatus, event: str) -> ReturnView:
        self.view.status = status
        self.view.since = workflow.now()
        await self._record(event, grades=self.view.grades or None)
        return self.view

    async def _record(self, event: str, **changes: object) -> None:
        await workflow.execute_activity(
            calls.record_return,
            RecordReturn(
                return_id=self.inp.return_id, status=self.view.status, event=event, **changes
            ),
            summary=event,
            **DB_ACTIVITY,
        )

    def _sku(self, line_id: str) -> str:
        return next(line.sku for line in self.inp.lines if line.line_id == line_id)

    # -- what people tell the run -----------------------------------------------------------

    @workflow.update
    def receive(self, receipt: Receipt) -> ReturnView:
        self.receipt = receipt
        return self.view

    @receive.validator
    def _validate_receive(self, receipt: Receipt) -> None:
        if self.view.status is not ReturnStatus.AWAITING_RECEIPT or self.receipt is not None:
            raise refuse(ErrorCode.INVALID_STATE, f"the return is {self.view.status.value}")
        if receipt.location_id != self.inp.location_id:
            raise refuse(
                ErrorCode.INVALID_STATE,
                f"this return comes back at {self.inp.location_id}",
                "location_id",
            )
        asked = {line.line_id: line.quantity for line in self.inp.lines}
        if len({line.line_id for line in receipt.lines}) != len(receipt.lines):
            raise refuse(ErrorCode.INVALID, "each line once", "lines")
        for i, line in enumerate(receipt.lines):
            if line.line_id not in asked:
                raise refuse(
                    ErrorCode.UNKNOWN_LINE,
                    f"no line {line.line_id} in this return",
                    f"lines[{i}].line_id",
                )
            if line.quantity > asked[line.line_id]:
                raise refuse(
                    ErrorCode.EXCEEDS_RETURNABLE,
                    f"line {line.line_id}: {asked[line.line_id]} asked, {line.quantity} received",
                    f"lines[{i}].quantity",
                )

    @workflow.update
    def grade(self, result: QcResult) -> ReturnView:
        self.qc = result.model_copy(update={"grades": merged(result.grades)})
        return self.view

    @grade.validator
    def _validate_grade(self, result: QcResult) -> None:
        if self.view.status is not ReturnStatus.AWAITING_QC or self.qc is not None:
            raise refuse(ErrorCode.TASK_NOT_OPEN, f"the return is {self.view.status.value}")
        received = {line.line_id: line.quantity for line in self.view.received}
        graded: dict[str, int] = {}
        for g in result.grades:
            graded[g.line_id] = graded.get(g.line_id, 0) + g.quantity
        if graded != received:
            raise refuse(
                ErrorCode.INVALID,
                f"every received unit gets one grade: received {received}, graded {graded}",
                "grades",
            )

    @workflow.signal(name=REPLACEMENT_ENDED)
    def replacement_ended(self, ended: ReplacementEnded) -> None:
        if ended.order_id == self.inp.exchange_order_id:
            self._credit_used = ended.credited

    @workflow.query
    def status(self) -> ReturnView:
        return self.view
