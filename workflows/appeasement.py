"""AppeasementWorkflow (id ``appeasement-{appeasement id}``): a goodwill refund on an order,
without a return.

The API has checked the appeasement (its reason code, its amount against what the order may still
refund), stored its row and claimed its part of the order's captures; the run refunds that through
the payment gateway (retried until the gateway answers; one refund per capture, each once by its
key), then records the appeasement ``refunded``, or ``failed`` with the gateway's code, with its
event (``order.appeasement_granted`` / ``order.appeasement_failed``). Cancelled before the gateway
answered, it waits for the refund's attempt under way to end (the gateway may pay it), then records
the appeasement as the ledger then stands: ``refunded`` if it was paid in full, else failed
(``cancelled``), its claims on parts the gateway never answered held (they may have been paid: a
late notice or reconciliation tells). A run whose appeasement the API withdrew (it could not start
it, then the server had after all) ends, failed, before any refund.

No signals or updates. Query: ``status`` (its ``AppeasementView``). Its current details say what
it does: refunding since when, waiting on the gateway; then how it ended.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from oms.contracts.appeasements import (
        WITHDRAWN_ERROR,
        AppeasementInput,
        AppeasementOutcome,
        AppeasementView,
        RecordAppeasement,
        RefundAppeasement,
    )
    from oms.domain.appeasements import (
        APPEASEMENT_FAILED,
        APPEASEMENT_GRANTED,
        CANCELLED,
        RUN_FAILED,
        AppeasementStatus,
    )
    from workflows import calls
    from workflows.policies import DB_ACTIVITY, SETTLEMENT_ACTIVITY


def _withdrawn(err: BaseException) -> bool:
    cause = err.cause if isinstance(err, ActivityError) else None
    return isinstance(cause, ApplicationError) and cause.type == WITHDRAWN_ERROR


@workflow.defn
class AppeasementWorkflow:
    @workflow.init
    def __init__(self, inp: AppeasementInput) -> None:
        self.inp = inp
        self.view = AppeasementView(
            appeasement_id=inp.appeasement_id,
            order_id=inp.order_id,
            status=AppeasementStatus.PENDING,
            amount=inp.amount,
            currency=inp.currency,
        )

    @workflow.run
    async def run(self, inp: AppeasementInput) -> AppeasementView:
        since = workflow.now().strftime("%Y-%m-%d %H:%M UTC")
        workflow.set_current_details(
            f"**refunding** {self._money()} · waiting on the payment gateway since {since}"
        )
        try:
            outcome: AppeasementOutcome = await workflow.execute_activity(
                calls.refund_appeasement,
                RefundAppeasement(appeasement_id=inp.appeasement_id, order_id=inp.order_id),
                summary=f"refund {inp.amount} {inp.currency}",
                # Cancelled, the run still waits for the attempt under way: the gateway may
                # pay it, and its end is recorded from what the ledger then says.
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                **SETTLEMENT_ACTIVITY,
            )
        except (Exception, asyncio.CancelledError) as err:
            # Not BaseException: a worker evicting this run from its cache is no failure.
            if _withdrawn(err):
                raise
            code = CANCELLED if is_cancelled_exception(err) else RUN_FAILED
            # Runs even when this workflow is being cancelled: the row must not stay pending.
            ending = self._record(AppeasementStatus.FAILED, code)
            await asyncio.shield(asyncio.ensure_future(ending))
            raise
        if outcome.code is not None:
            await self._record(AppeasementStatus.FAILED, outcome.code)
        else:
            await self._record(AppeasementStatus.REFUNDED, None)
        return self.view

    async def _record(self, status: AppeasementStatus, code: str | None) -> None:
        event = APPEASEMENT_GRANTED if status is AppeasementStatus.REFUNDED else APPEASEMENT_FAILED
        refunded: int = await workflow.execute_activity(
            calls.record_appeasement,
            RecordAppeasement(appeasement_id=self.inp.appeasement_id, status=status, code=code),
            summary=event,
            **DB_ACTIVITY,
        )
        # The ledger's word: a refund the gateway made in full stands, whatever cut the run.
        full = refunded >= self.inp.amount
        self.view.status = AppeasementStatus.REFUNDED if full else status
        self.view.code = None if full else code
        self.view.refunded = refunded
        shown = f"**{self.view.status.value}** {refunded} of {self._money()} refunded"
        code = self.view.code
        workflow.set_current_details(shown + (f" ({code})" if code else ""))

    def _money(self) -> str:
        return f"{self.inp.amount} {self.inp.currency}"

    @workflow.query
    def status(self) -> AppeasementView:
        return self.view
