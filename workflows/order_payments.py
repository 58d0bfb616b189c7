"""The order's captures, and payments that recover: each fulfilment's capture as it ends; a
capture the gateway refused waits for
customer service (``resolve_payment``: retry it, capture it on a fresh authorization, or write
it off) before the order ends, and a capture made long after the authorization (waiting for
stock, a collection's hold) is made against a fresh authorization of what is left.

Runs recorded before this (the patch ``payment-recovery``) ended with the refused capture's
task left to people, and captured against the authorization whatever its age.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from oms.contracts.payments import AuthorizeRequest, CaptureRequest, VoidRequest
    from oms.contracts.returns import ReplacementEnded
    from oms.domain.errors import ErrorCode
    from oms.domain.fulfilment import FulfilmentView
    from oms.domain.invoices import invoice
    from oms.domain.money import format_minor
    from oms.domain.order import OrderIn, OrderPolicy, OrderState
    from oms.domain.order.payment_recovery import PaymentAction, PaymentResolution
    from oms.domain.order.views import PaymentView
    from oms.domain.tasks import TaskKind
    from oms.gateway_keys import capture_again_key
    from oms.keys import invoice_number, payment_exception_task_id
    from workflows import calls
    from workflows.capture_again import capture_again
    from workflows.human_tasks import HumanTask, wait_for_people
    from workflows.order_steps import activity_failure
    from workflows.patch_levels import OrderPatches
    from workflows.policies import EXTERNAL_ACTIVITY, SETTLEMENT_ACTIVITY
    from workflows.refusals import refuse
    from workflows.returns import REPLACEMENT_ENDED, return_workflow_id

PAYMENT_RECOVERY = "payment-recovery"
# Since the ERP's finance events: an ``order.invoiced`` event for each fulfilment whose goods
# were captured (written with the next progress, no extra workflow task).
ORDER_INVOICED = "aftersale-order-invoiced"
# Since exchanges refund the credit their replacement did not use: an exchange's replacement
# order tells its return, when it ends, what of the credit its captures took.
CREDIT_TOLD = "aftersale-fix-exchange-credit-told"


class PaymentRecovery(OrderPatches):
    """Mixed into ``OrderWorkflow``: what a refused or late capture needs."""

    state: OrderState
    _lean: bool

    async def _tell_the_return(self) -> None:
        """An exchange's replacement order, ended: its return refunds the credit not taken."""
        exchange = self.order.exchange
        if exchange is None or not self._patched(CREDIT_TOLD):
            return
        ended = ReplacementEnded(order_id=self.order.id, credited=self.state.payment.credited)
        handle = workflow.get_external_workflow_handle(return_workflow_id(exchange.return_id))
        try:
            await handle.signal(REPLACEMENT_ENDED, ended)
        except FailureError as err:  # the return has ended (expired): nothing left to settle
            workflow.logger.warning("the return did not hear its replacement end: %s", err)

    @property
    def order(self) -> OrderIn:  # pragma: no cover
        raise NotImplementedError

    @property
    def policy(self) -> OrderPolicy:
        return self.state.policy

    async def _call_service(
        self, activity: Any, arg: Any, options: dict[str, Any], summary: str
    ) -> Any:  # pragma: no cover
        raise NotImplementedError

    async def _emit(
        self, type_: str, payload: dict[str, Any], once_per: str | None = None
    ) -> None:  # pragma: no cover
        raise NotImplementedError

    def _show(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def _checkpoint(self) -> None:  # pragma: no cover
        raise NotImplementedError

    _resolutions: list[PaymentResolution]
    _reauthorizations: int
    _editing = False
    # Fulfilments whose capture was refused: invoiced once customer service collects it.
    _uninvoiced: dict[str, FulfilmentView]

    # -- a fulfilment ended: capture -----------------------------------------------------

    async def _settle(self, view: FulfilmentView) -> None:
        """A fulfilment ended: record it and capture payment for what left the building."""
        amount = self.state.fulfilment_ended(view, workflow.now())
        if not amount:
            if self.order.credit and any(line.units_out(view.status) for line in view.lines):
                await self._invoice(view)  # goods an exchange's returned goods paid for
            return
        fid = view.fulfilment_id
        if self._editing:  # an edit may be replacing the authorization: capture after it
            await workflow.wait_condition(lambda: not self._editing)
        recovers = self._patched(PAYMENT_RECOVERY)
        if recovers:
            await self._fresh_authorization()
        auth_id = self.state.payment.authorization_id
        assert auth_id is not None
        try:
            cap = await self._call_service(
                calls.capture_payment,
                CaptureRequest(
                    order_id=self.order.id,
                    shipment_key=fid,
                    authorization_id=auth_id,
                    amount=amount,
                    currency=self.order.currency,
                ),
                SETTLEMENT_ACTIVITY,
                f"capture {format_minor(amount, self.order.currency)} for {fid}",
            )
        except FailureError as err:
            if self._lean and is_cancelled_exception(err):
                raise
            # The goods are gone: never compensate for them. Someone must collect the money
            # by hand; the order goes on and says so.
            self.state.capture_failed(fid, amount, str(activity_failure(err)), workflow.now())
            task = HumanTask(
                payment_exception_task_id(fid),
                TaskKind.PAYMENT_EXCEPTION,
                self.order.id,
                local=self._lean,
            )
            detail = {"fulfilment_id": fid, "amount": amount}
            await task.open(payload={**detail, "currency": self.order.currency})
            await self._emit(f"payment.capture_failed.{fid}", detail)
            if recovers:  # the order waits for customer service's decision before it ends
                self._capture_refused(fid, amount)
                self._uninvoiced[fid] = view
            return
        self.state.payment_captured(fid, cap.amount, workflow.now())
        await self._invoice(view)
        if self._lean:
            self._checkpoint()

    async def _invoice(self, view: FulfilmentView) -> None:
        """The ERP's invoice of a fulfilment's captured goods (and of the shipping charge when
        its capture took it), once per fulfilment."""
        if not self._patched(ORDER_INVOICED):
            return
        fid = view.fulfilment_id
        payload = invoice(
            self.order,
            view,
            number=invoice_number(fid),
            with_shipping=self.state.payment.shipping_fulfilment_id == fid,
            issued_at=workflow.now(),
        )
        await self._emit("order.invoiced", payload, once_per=fid)

    # -- an old authorization ------------------------------------------------------------

    async def _fresh_authorization(self) -> None:
        """Before a capture: an authorization older than the policy allows is replaced by a
        new one for what is left (the old one voided, as far as the gateway still holds it)."""
        left = self.state.authorization_stale(workflow.now(), self.policy.authorization_valid_for_s)
        if not left:
            return
        old = self.state.payment.authorization_id
        assert old is not None
        auth = await self._authorize_again(left, "re-authorize what is left (the old one aged)")
        if auth is None:
            return  # refused: the capture is tried on the old one, and refused in turn
        self.state.payment_reauthorized(auth.authorization_id, auth.amount, workflow.now())
        await self._let_go(old)

    async def _let_go(self, authorization_id: str) -> None:
        """Void an authorization the order no longer captures on (aged, or made for a capture
        that was refused all the same), as far as the gateway still holds it."""
        try:
            await self._call_service(
                calls.void_payment,
                VoidRequest(
                    order_id=self.order.id,
                    authorization_id=authorization_id,
                    attempt=self._reauthorizations,
                ),
                SETTLEMENT_ACTIVITY,
                "void an authorization no longer used",
            )
        except FailureError as err:  # long expired at the gateway: nothing to let go
            workflow.logger.info("authorization not voided: %s", err)

    async def _authorize_again(self, amount: int, summary: str) -> Any:
        self._reauthorizations += 1
        try:
            return await self._call_service(
                calls.authorize_payment,
                AuthorizeRequest(
                    order_id=self.order.id,
                    token=self.order.payment_token,
                    amount=amount,
                    currency=self.order.currency,
                    attempt=self._reauthorizations,
                ),
                EXTERNAL_ACTIVITY,
                f"{summary}: {format_minor(amount, self.order.currency)}",
            )
        except FailureError:
            return None

    # -- a refused capture ---------------------------------------------------------------

    def _capture_refused(self, fid: str, amount: int, attempt: int = 0) -> str:
        """Note the refused capture as waiting for customer service; its task's id."""
        base = payment_exception_task_id(fid)
        task_id = base if attempt == 0 else f"{base}-{attempt}"
        self.state.capture_excepted(fid, amount, task_id, attempt)
        return task_id

    async def _recover_payments(self) -> None:
        """Before the order ends: each refused capture is resolved by customer service."""
        while self.state.payment.exceptions:
            self._show()
            await wait_for_people(
                lambda: bool(self._resolutions),
                escalate_after_s=self.policy.payment_escalate_after_s,
                on_escalate=self._escalate_exceptions,
                what="payment exception",
            )
            while self._resolutions:
                await self._apply(self._resolutions.pop(0))

    async def _escalate_exceptions(self) -> None:
        for e in self.state.payment.exceptions:
            await HumanTask(
                e.task_id, TaskKind.PAYMENT_EXCEPTION, self.order.id, local=self._lean
            ).escalate()

    async def _apply(self, r: PaymentResolution) -> None:
        exc = self.state.exception_of(r.fulfilment_id)
        if exc is None:
            return
        now = workflow.now()
        if r.action is PaymentAction.WRITE_OFF:
            self.state.payment_written_off(exc.fulfilment_id, exc.amount, r.actor, now)
            self.state.exception_resolved(exc.fulfilment_id, r.action.value, r.actor, now)
            await self._emit(
                f"payment.written_off.{exc.fulfilment_id}",
                {"fulfilment_id": exc.fulfilment_id, "amount": exc.amount, "by": r.actor},
            )
            return
        attempt = exc.attempt + 1

        async def authorize() -> Any:
            auth = await self._authorize_again(exc.amount, "authorize the refused capture afresh")
            if auth is not None:
                self.state.authorized_for_exception(auth.amount)
            return auth

        async def capture(auth_id: str) -> Any:
            return await self._call_service(
                calls.capture_payment,
                CaptureRequest(
                    order_id=self.order.id,
                    shipment_key=capture_again_key(exc.fulfilment_id, r.action.value, attempt),
                    authorization_id=auth_id,
                    amount=exc.amount,
                    currency=self.order.currency,
                ),
                SETTLEMENT_ACTIVITY,
                f"capture {format_minor(exc.amount, self.order.currency)} again ({r.action.value})",
            )

        captured = await capture_again(
            r.action,
            self.state.payment.authorization_id,
            authorize=authorize,
            capture=capture,
            let_go=self._let_go,
        )
        if captured is not None:
            self.state.payment_captured(exc.fulfilment_id, captured.amount, now)
            self.state.exception_resolved(exc.fulfilment_id, r.action.value, r.actor, now)
            ended = self._uninvoiced.pop(exc.fulfilment_id, None)
            if ended is not None:
                await self._invoice(ended)
            return
        # Refused again: a new task for customer service.
        task_id = self._capture_refused(exc.fulfilment_id, exc.amount, attempt)
        detail = {"fulfilment_id": exc.fulfilment_id, "amount": exc.amount, "attempt": attempt}
        task = HumanTask(task_id, TaskKind.PAYMENT_EXCEPTION, self.order.id, local=self._lean)
        await task.open(payload={**detail, "currency": self.order.currency})
        await self._emit(f"payment.capture_failed.{exc.fulfilment_id}.{attempt}", detail)

    # -- customer service's decision -------------------------------------------------------

    @workflow.update
    def resolve_payment(self, resolution: PaymentResolution) -> PaymentView:
        self._resolutions.append(resolution)
        return self.state.payment

    @resolve_payment.validator
    def _validate_resolution(self, resolution: PaymentResolution) -> None:
        exc = self.state.exception_of(resolution.fulfilment_id)
        if exc is None:
            raise refuse(
                ErrorCode.INVALID_STATE,
                f"no refused capture of {resolution.fulfilment_id} waits for a decision",
                "fulfilment_id",
            )
        if any(r.fulfilment_id == resolution.fulfilment_id for r in self._resolutions):
            raise refuse(ErrorCode.INVALID_STATE, "a decision is already being carried out")
