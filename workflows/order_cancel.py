"""The order's ``cancel`` update: accepted until something has left the building (or, for a
shipment, been packed for the carrier), refused with the reason after.

A cancel asked again while the order is being cancelled is a client's retry (its first answer
lost to a timeout) or a second caller asking the same: since the patch below it is answered as
the accepted cancel was (accepted, the order's status now) when it asks the same cancellation
(the reason and its code), and refused naming the cancellation under way when it asks another.
Runs recorded before refused every second cancel ("already being cancelled").
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from oms.contracts.orders import CancelRequest, CancelResult
    from oms.domain.order import CancelReason
    from workflows import calls
    from workflows.order_records import OrderRecords
    from workflows.policies import LOCAL_ACTIVITY

CANCEL_ASKED_AGAIN = "cancel-asked-again"
# The run lets its update handlers finish before it ends: a compensation waits for an edit
# under way (its units and its authorization settled before the order's are let go), edits
# waiting on the main flow stop waiting, and the run ends once no handler runs. Runs recorded
# before could end with an edit still running: its caller got an error instead of its answer,
# and an authorization it made meanwhile was never voided.
HANDLERS_FINISH = "handlers-finish-first"


class CancelUpdate(OrderRecords):
    """Mixed into ``OrderWorkflow``."""

    _main: asyncio.Task[None] | None
    # The reason the order is being cancelled for, once its compensation has begun (a cancel
    # accepted, or the OMS's own: fraud, stock, payment...).
    _cancelling_for: CancelReason | None = None

    async def _handlers_finish(self) -> None:
        """The run's last step: no update may be left running (its caller would get an error,
        not its answer)."""
        if self._patched(HANDLERS_FINISH):
            await workflow.wait_condition(workflow.all_handlers_finished)

    @workflow.update
    async def cancel(self, req: CancelRequest) -> CancelResult:
        cancelling = self._cancel is not None or self._compensating
        if cancelling and self._patched(CANCEL_ASKED_AGAIN):
            return self._asked_again(req)
        if self._lean and self._cancel is None and self.state.open_fulfilments():
            # A lean run does not hear each pick and pack: it reads where its fulfilments are
            # before it decides (a cancel is refused once something is packed or has left).
            for progress in await workflow.execute_local_activity(
                calls.fulfilment_progress,
                self.order.id,
                summary="read the fulfilments' progress",
                **LOCAL_ACTIVITY,
            ):
                if progress.fulfilment_id in self.state.open_fulfilments():
                    self.state.progress(progress)
        status = self.state.status
        refusal = self.state.cancel_refusal(already_cancelling=self._cancel is not None)
        if refusal:
            return CancelResult(accepted=False, status=status, reason=refusal)
        self._cancel = req
        if self._main is not None and not self._main.done():
            self._main.cancel()
        detail = {"reason": req.reason.value, "note": req.note}
        self.state.log("cancel_accepted", req.actor, workflow.now(), detail)
        return CancelResult(accepted=True, status=status)

    def _asked_again(self, req: CancelRequest) -> CancelResult:
        """A cancel while the order is being cancelled: the same cancellation is answered as
        it was accepted, another is refused with the one under way."""
        status = self.state.status
        given = self._cancel
        if given is not None and req.same_cancellation(given.reason, given.reason_code):
            return CancelResult(accepted=True, status=status)
        reason = given.reason_code if given is not None else self._cancelling_for
        return CancelResult(
            accepted=False,
            status=status,
            reason=f"order is already being cancelled ({reason or 'other'})",
        )
