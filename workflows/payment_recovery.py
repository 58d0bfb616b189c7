"""PaymentRecoveryWorkflow: carries out customer service's decision on a capture the gateway
reversed after the fact (a ``payment_exception`` task whose payload says ``"reversed": true``),
whether the order's run is still open or long over.

The decision is carried out in the sequence the order's run carries out its own refused
captures (``workflows/capture_again.py``), through activities of its own
(``activities/payment_recovery.py``: a worker of before them cannot run them as the order's)
and keys of its own per try (``oms.gateway_keys.recovery_try``), apart from the order's, so
that the gateway never answers a try with an operation it did before.

What counts as refused: only the gateway's refusal (a non-retryable ``ApplicationError`` the
activity raises). A cancelled run is cancelled (a fresh authorization is voided first,
shielded); a call that gave up without an answer fails the run for ops to look at rather than
open a next task, whose try would capture under a new key while this one may have gone
through (the gateway calls retry until the gateway answers, so that is not expected).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from oms.contracts.payment_recovery import RecoveryInput, RecoveryPayment, RecoveryResult
    from oms.contracts.payments import CaptureRequest
    from oms.contracts.read_model import EmitEvent, RecordNotes
    from oms.domain.money import format_minor
    from oms.domain.order import TimelineEntry
    from oms.domain.order.payment_recovery import (
        PaymentAction,
        RecoveryOutcome,
        reversed_capture_payload,
    )
    from oms.domain.tasks import TaskKind
    from oms.gateway_keys import recovery_try
    from oms.keys import order_note_key, recovery_event_id, reversed_capture_task_id
    from workflows import calls
    from workflows.capture_again import capture_again
    from workflows.human_tasks import HumanTask
    from workflows.order_steps import activity_failure, to_the_end
    from workflows.policies import LOCAL_ACTIVITY, SETTLEMENT_ACTIVITY

GATEWAY = "payment_gateway"  # the actor of what the gateway did, as in the order's timeline
NO_AUTHORIZATION = "no_authorization"


@workflow.defn
class PaymentRecoveryWorkflow:
    """Carry out one decision, then end:

    - ``retry``: capture the amount again on the authorization the reversed capture was made
      on;
    - ``reauthorize``: authorize the amount afresh with the order's stored payment token, then
      capture it (the fresh authorization is voided if its capture is refused all the same);
    - ``write_off``: the money is given up (``payment.written_off.<fulfilment>``).

    Once the money is collected on a fresh authorization, or written off, the reversed amount
    the gateway gave back to the reversed capture's authorization is let go of
    (``release_reversed``). Before anything, the run checks that the gateway did not capture
    the reversed capture again on its own meanwhile (its notice applied): then it ends
    ``recaptured``, asking the gateway nothing and writing nothing off. A try refused again
    opens the next ``payment_exception`` task (attempt n+1, its own id, due after
    ``escalate_after_s``); its decision starts the next run. Each outcome is written to the
    order's timeline (order notes) with its events. No signals, queries or updates: one run per
    task decided (``payment-recovery-<task id>``), so a decision sent twice is carried out
    once.
    """

    @workflow.init
    def __init__(self, inp: RecoveryInput) -> None:
        self.inp = inp
        d = inp.decision
        self._try = recovery_try(d.fulfilment_id, inp.reversed_key, d.action.value, inp.attempt)
        self._code: str | None = None  # why the gateway refused the try

    @workflow.run
    async def run(self, inp: RecoveryInput) -> RecoveryResult:
        action = inp.decision.action
        workflow.set_current_details(
            f"**{action.value}** {self._money()} for `{inp.decision.fulfilment_id}` "
            f"(task `{inp.task_id}`, try {inp.attempt})"
        )
        if await workflow.execute_local_activity(
            calls.recaptured_by_gateway,
            inp,
            summary="did the gateway capture it again on its own?",
            **LOCAL_ACTIVITY,
        ):
            return await self._recaptured()  # nothing to collect, nothing to give up
        if action is PaymentAction.WRITE_OFF:
            released = await self._release()
            return await self._written_off(released)
        captured = await capture_again(
            action,
            inp.authorization_id,
            authorize=self._authorize,
            capture=self._capture,
            let_go=self._let_go,
            refused=self._is_refusal,
        )
        if captured is None:
            return await self._refused_again()
        released = await self._release() if action is PaymentAction.REAUTHORIZE else 0
        return await self._collected(captured.capture_id, captured.amount, released)

    # -- the gateway -----------------------------------------------------------------------

    def _payment(self, authorization_id: str | None = None) -> RecoveryPayment:
        inp = self.inp
        return RecoveryPayment(
            order_id=inp.order_id,
            try_=self._try,
            amount=inp.amount,
            currency=inp.currency,
            authorization_id=authorization_id,
        )

    async def _authorize(self) -> Any:
        try:
            return await workflow.execute_activity(
                calls.authorize_recovery,
                self._payment(),
                summary=f"authorize {self._money()} afresh for the reversed capture",
                **SETTLEMENT_ACTIVITY,
            )
        except FailureError as err:
            if not self._is_refusal(err):
                raise  # cancelled, or no answer: never taken for a refusal
            self._refused(err)
            return None

    async def _capture(self, authorization_id: str) -> Any:
        inp = self.inp
        try:
            return await workflow.execute_activity(
                calls.capture_payment,
                CaptureRequest(
                    order_id=inp.order_id,
                    shipment_key=self._try,
                    authorization_id=authorization_id,
                    amount=inp.amount,
                    currency=inp.currency,
                ),
                summary=f"capture {self._money()} again ({inp.decision.action.value})",
                **SETTLEMENT_ACTIVITY,
            )
        except FailureError as err:
            if self._is_refusal(err):
                self._refused(err)
            raise

    async def _let_go(self, authorization_id: str) -> None:
        """Void the fresh authorization its refused (or cancelled) capture leaves: to its end,
        whatever cancels the run meanwhile (a compensation)."""
        await to_the_end(self._void(authorization_id))

    async def _void(self, authorization_id: str) -> None:
        try:
            await workflow.execute_activity(
                calls.void_recovery,
                self._payment(authorization_id),
                summary="void the fresh authorization its refused capture leaves",
                **SETTLEMENT_ACTIVITY,
            )
        except FailureError as err:  # long expired at the gateway: nothing to let go
            workflow.logger.info("authorization not voided: %s", err)

    async def _release(self) -> int:
        """Let go of the reversed amount on the reversed capture's authorization (the gateway
        gave it back there): the money is collected elsewhere, or given up."""
        if self.inp.authorization_id is None:
            return 0
        try:
            released = await workflow.execute_activity(
                calls.release_reversed,
                self._payment(self.inp.authorization_id),
                summary=f"let go of {self._money()} on the reversed capture's authorization",
                **SETTLEMENT_ACTIVITY,
            )
        except FailureError as err:
            if not self._is_refusal(err):
                raise
            workflow.logger.info("reversed amount not let go of: %s", err)  # expired, voided
            return 0
        return released.voided_amount if released is not None else 0

    @staticmethod
    def _is_refusal(err: FailureError) -> bool:
        """The gateway's answer (a non-retryable error of the activity), not a cancel or a
        call that gave up without one."""
        if is_cancelled_exception(err):
            return False
        cause = activity_failure(err)
        return isinstance(cause, ApplicationError) and cause.non_retryable

    def _refused(self, err: FailureError) -> None:
        cause = activity_failure(err)
        assert isinstance(cause, ApplicationError)
        # The gateway's code, as the activity read it.
        self._code = str(cause.details[0]) if cause.details else cause.type or "refused"

    # -- outcomes --------------------------------------------------------------------------

    async def _collected(self, capture_id: str, amount: int, released: int) -> RecoveryResult:
        d = self.inp.decision
        await self._record(
            [
                ("payment_captured", GATEWAY, {"amount": amount, "released": released}),
                ("payment_exception_resolved", d.actor, {"action": d.action.value}),
            ]
        )
        workflow.set_current_details(f"**captured** {self._money()} again ({d.action.value})")
        return RecoveryResult(
            outcome=RecoveryOutcome.CAPTURED,
            amount=amount,
            capture_id=capture_id,
            released=released,
        )

    async def _written_off(self, released: int) -> RecoveryResult:
        inp, d = self.inp, self.inp.decision
        await self._record(
            [
                ("payment_written_off", d.actor, {"amount": inp.amount, "released": released}),
                ("payment_exception_resolved", d.actor, {"action": d.action.value}),
            ],
            (
                f"payment.written_off.{d.fulfilment_id}",
                {
                    "fulfilment_id": d.fulfilment_id,
                    "amount": inp.amount,
                    "by": d.actor,
                    "task_id": inp.task_id,
                    "reversed": True,
                },
            ),
        )
        workflow.set_current_details(f"**written off** {self._money()}")
        return RecoveryResult(
            outcome=RecoveryOutcome.WRITTEN_OFF, amount=inp.amount, released=released
        )

    async def _recaptured(self) -> RecoveryResult:
        """The gateway captured the reversed capture again on its own: nothing to collect."""
        d = self.inp.decision
        await self._record(
            [
                (
                    "payment_exception_resolved",
                    GATEWAY,
                    {"action": d.action.value, "outcome": RecoveryOutcome.RECAPTURED.value},
                )
            ]
        )
        workflow.set_current_details("**recaptured by the gateway**: nothing asked of it")
        return RecoveryResult(outcome=RecoveryOutcome.RECAPTURED, amount=self.inp.amount)

    async def _refused_again(self) -> RecoveryResult:
        """A new task for customer service, the next try's: the reversed capture's payload,
        with this try's number and why it was refused."""
        inp, d = self.inp, self.inp.decision
        code = self._code or NO_AUTHORIZATION
        task_id = reversed_capture_task_id(inp.reversed_key, inp.attempt)
        task = HumanTask(task_id, TaskKind.PAYMENT_EXCEPTION, inp.order_id, local=True)
        await task.open(
            # No run watches it: the worker's escalation sweep escalates it once overdue.
            due_at=workflow.now() + timedelta(seconds=inp.escalate_after_s),
            payload=reversed_capture_payload(
                fulfilment_id=d.fulfilment_id,
                amount=inp.amount,
                currency=inp.currency,
                idempotency_key=inp.reversed_key,
                gateway_reference=inp.gateway_reference,
                code=code,
                attempt=inp.attempt,
            ),
        )
        detail = {"amount": inp.amount, "attempt": inp.attempt}
        decided = inp.task_id
        # An event type of its own, one per task decided: apart from the order's own refused
        # tries (payment.capture_failed.<fulfilment>.<attempt>).
        await self._record(
            [
                (
                    "payment_capture_failed",
                    GATEWAY,
                    {**detail, "action": d.action.value, "error": code, "next_task_id": task_id},
                )
            ],
            (
                f"payment.recovery_refused.{decided}",
                {
                    "fulfilment_id": d.fulfilment_id,
                    **detail,
                    "action": d.action.value,
                    "code": code,
                    "task_id": decided,
                    "next_task_id": task_id,
                    "reversed": True,
                },
            ),
        )
        workflow.set_current_details(f"**refused again** ({code}): task `{task_id}` opened")
        return RecoveryResult(
            outcome=RecoveryOutcome.REFUSED, amount=inp.amount, task_id=task_id, code=code
        )

    async def _record(
        self,
        entries: list[tuple[str, str, dict[str, Any]]],
        event: tuple[str, dict[str, Any]] | None = None,
    ) -> None:
        """The order's timeline entries (type, actor, detail) and event of this outcome, in one
        write: each names the fulfilment and the task decided."""
        inp, now = self.inp, workflow.now()
        about = {"fulfilment_id": inp.decision.fulfilment_id, "task_id": inp.task_id}
        notes = [
            (
                order_note_key(inp.task_id, type_),
                TimelineEntry(at=now, type=type_, actor=actor, detail={**about, **detail}),
            )
            for type_, actor, detail in entries
        ]
        emit = []
        if event is not None:
            type_, payload = event
            emit.append(
                EmitEvent(
                    event_id=recovery_event_id(inp.task_id, type_),
                    type=type_,
                    order_id=inp.order_id,
                    payload={"order_id": inp.order_id, **payload},
                )
            )
        await workflow.execute_local_activity(
            calls.record_notes,
            RecordNotes(order_id=inp.order_id, notes=notes, emit=emit),
            summary=f"record the outcome on the order ({', '.join(e[0] for e in entries)})",
            **LOCAL_ACTIVITY,
        )

    def _money(self) -> str:
        return format_minor(self.inp.amount, self.inp.currency)
