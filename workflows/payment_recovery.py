"""PaymentRecoveryWorkflow: carries out customer service's decision on a capture the gateway
reversed after the fact (a ``payment_exception`` task whose payload says ``"reversed": true``),
whether the order's run is still open or long over.

The decision is carried out as the order's run carries out its own refused captures
(``workflows/order_payments.py``): the same activities, the same sequence
(``workflows/capture_again.py``), the same events. Only the keys differ: each try has its own
(``oms.gateway_keys.recovery_try``), apart from the order's, so that the gateway never answers
a try with an operation it did before.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from oms.contracts.payment_recovery import RecoveryInput, RecoveryResult
    from oms.contracts.payments import AuthorizeRequest, CaptureRequest, VoidRequest
    from oms.contracts.read_model import EmitEvent, RecordNotes
    from oms.domain.money import format_minor
    from oms.domain.order import STORED_PAYMENT_TOKEN, TimelineEntry
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
    from workflows.order_steps import activity_failure
    from workflows.policies import EXTERNAL_ACTIVITY, LOCAL_ACTIVITY, SETTLEMENT_ACTIVITY

GATEWAY = "payment_gateway"  # the actor of what the gateway did, as in the order's timeline
# Why a try captured nothing when the gateway gave no code (it never answered).
NO_ANSWER = "gateway_unavailable"
NO_AUTHORIZATION = "no_authorization"


@workflow.defn
class PaymentRecoveryWorkflow:
    """Carry out one decision, then end:

    - ``retry``: capture the amount again on the authorization the reversed capture was made
      on;
    - ``reauthorize``: authorize the amount afresh with the order's stored payment token, then
      capture it (the fresh authorization is voided if its capture is refused all the same);
    - ``write_off``: the money is given up (``payment.written_off.<fulfilment>``).

    A try refused again opens the next ``payment_exception`` task (attempt n+1, its own id);
    its decision starts the next run. Each outcome is written to the order's timeline (order
    notes) with its events. No signals, queries or updates: one run per task decided
    (``payment-recovery-<task id>``), so a decision sent twice is carried out once.
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
        if action is PaymentAction.WRITE_OFF:
            return await self._written_off()
        captured = await capture_again(
            action,
            inp.authorization_id,
            authorize=self._authorize,
            capture=self._capture,
            let_go=self._let_go,
        )
        if captured is None:
            return await self._refused_again()
        return await self._collected(captured.capture_id, captured.amount)

    # -- the gateway -----------------------------------------------------------------------

    async def _authorize(self) -> Any:
        inp = self.inp
        try:
            return await workflow.execute_activity(
                calls.authorize_payment,
                AuthorizeRequest(
                    order_id=inp.order_id,
                    token=STORED_PAYMENT_TOKEN,
                    amount=inp.amount,
                    currency=inp.currency,
                    attempt=inp.attempt,
                    recovery=self._try,
                ),
                summary=f"authorize {self._money()} afresh for the reversed capture",
                **EXTERNAL_ACTIVITY,
            )
        except FailureError as err:
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
            self._refused(err)
            raise

    async def _let_go(self, authorization_id: str) -> None:
        try:
            await workflow.execute_activity(
                calls.void_payment,
                VoidRequest(
                    order_id=self.inp.order_id,
                    authorization_id=authorization_id,
                    attempt=self.inp.attempt,
                    recovery=self._try,
                ),
                summary="void the fresh authorization its refused capture leaves",
                **SETTLEMENT_ACTIVITY,
            )
        except FailureError as err:  # long expired at the gateway: nothing to let go
            workflow.logger.info("authorization not voided: %s", err)

    def _refused(self, err: FailureError) -> None:
        cause = activity_failure(err)
        if isinstance(cause, ApplicationError) and cause.details:
            self._code = str(cause.details[0])  # the gateway's refusal, as the activity read it
        else:
            self._code = NO_ANSWER

    # -- outcomes --------------------------------------------------------------------------

    async def _collected(self, capture_id: str, amount: int) -> RecoveryResult:
        d = self.inp.decision
        await self._record(
            [
                ("payment_captured", GATEWAY, {"amount": amount}),
                ("payment_exception_resolved", d.actor, {"action": d.action.value}),
            ]
        )
        workflow.set_current_details(f"**captured** {self._money()} again ({d.action.value})")
        return RecoveryResult(
            outcome=RecoveryOutcome.CAPTURED, amount=amount, capture_id=capture_id
        )

    async def _written_off(self) -> RecoveryResult:
        inp, d = self.inp, self.inp.decision
        await self._record(
            [
                ("payment_written_off", d.actor, {"amount": inp.amount}),
                ("payment_exception_resolved", d.actor, {"action": d.action.value}),
            ],
            (
                f"payment.written_off.{d.fulfilment_id}",
                {"fulfilment_id": d.fulfilment_id, "amount": inp.amount, "by": d.actor},
            ),
        )
        workflow.set_current_details(f"**written off** {self._money()}")
        return RecoveryResult(outcome=RecoveryOutcome.WRITTEN_OFF, amount=inp.amount)

    async def _refused_again(self) -> RecoveryResult:
        """A new task for customer service, the next try's: the reversed capture's payload,
        with this try's number and why it was refused."""
        inp, d = self.inp, self.inp.decision
        code = self._code or NO_AUTHORIZATION
        task_id = reversed_capture_task_id(inp.reversed_key, inp.attempt)
        task = HumanTask(task_id, TaskKind.PAYMENT_EXCEPTION, inp.order_id, local=True)
        await task.open(
            payload=reversed_capture_payload(
                fulfilment_id=d.fulfilment_id,
                amount=inp.amount,
                currency=inp.currency,
                idempotency_key=inp.reversed_key,
                gateway_reference=inp.gateway_reference,
                code=code,
                attempt=inp.attempt,
            )
        )
        detail = {"amount": inp.amount, "attempt": inp.attempt}
        await self._record(
            [
                (
                    "payment_capture_failed",
                    GATEWAY,
                    {**detail, "action": d.action.value, "error": code, "next_task_id": task_id},
                )
            ],
            (
                f"payment.capture_failed.{d.fulfilment_id}.{inp.attempt}",
                {"fulfilment_id": d.fulfilment_id, **detail},
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
