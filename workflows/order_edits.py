"""Order edits before the point of no return, as updates of the order's workflow: cancel units
of a line (``cancel_line``), ship to another address (``change_delivery``), add a service to a
line (``add_service``). Each answers ``EditResult``: accepted, or refused with the reason
(``oms.domain.order.edits``); the validators refuse what the order already knows it cannot do.

Units in a fulfilment are taken out by the fulfilment itself, before its pick (signal ``edit``,
answered by ``edit_answered``: ``workflows.fulfilment_edits``); their reservation is released
there. The authorization comes down to what is left (its surplus voided where the gateway
voids part of an authorization, else a fresh authorization of the lower amount and the old one
voided). An edit that leaves no unit of the order is the order's cancellation, for the edit's
reason.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from oms.contracts.fulfilment import EditAnswer, FulfilmentEdit
    from oms.contracts.orders import CancelRequest
    from oms.contracts.payments import PartialVoidRequest
    from oms.contracts.read_model import EmitEvent
    from oms.domain.errors import ErrorCode
    from oms.domain.fulfilment_profiles import Service
    from oms.domain.money import format_minor
    from oms.domain.order import OrderIn, OrderState, OrderStatus
    from oms.domain.order.edits import (
        BEFORE_SOURCING,
        EditRefusal,
        EditRefused,
        EditResult,
        LineCancel,
        ServiceAdd,
    )
    from oms.keys import order_edit_event_id
    from workflows import calls
    from workflows.patch_levels import OrderPatches
    from workflows.policies import LOCAL_ACTIVITY, SETTLEMENT_ACTIVITY
    from workflows.refusals import refuse

LINE_CANCEL = "order-edit-line-cancel"
SERVICE_ADD = "order-edit-service"
# An edit to several fulfilments held by each, then applied by all or let go by all.
ALL_OR_NONE = "order-edit-fix-all-or-none"


def refusal(err: EditRefused) -> Exception:
    return refuse(ErrorCode(err.reason.value), err.message)


def refused_by(status: OrderStatus, answer: EditAnswer) -> EditResult:
    """A fulfilment refused the edit: so is the order's."""
    return EditResult(
        accepted=False,
        status=status,
        reason=EditRefusal(answer.reason or EditRefusal.PAST_POINT_OF_NO_RETURN),
        message=answer.message,
    )


class OrderEdits(OrderPatches):
    """Mixed into ``OrderWorkflow``."""

    state: OrderState
    _lean: bool
    _cancel: CancelRequest | None
    _main: asyncio.Task[None] | None
    _children: dict[str, Any]
    _outbox: list[EmitEvent]
    # One edit at a time; none once the order is completing or being cancelled.
    _editing = False
    _finishing = False
    _compensating = False
    _closing = False
    # The fulfilments' answers to edits, by (fulfilment, edit), until the edit takes them.
    _edit_answers: dict[tuple[str, int], EditAnswer]

    @property
    def order(self) -> OrderIn:  # pragma: no cover
        raise NotImplementedError

    async def _flush(self) -> None:  # pragma: no cover
        raise NotImplementedError

    async def _authorize_again(self, amount: int, summary: str) -> Any:  # pragma: no cover
        raise NotImplementedError

    async def _call_service(
        self, activity: Any, arg: Any, options: dict[str, Any], summary: str
    ) -> Any:  # pragma: no cover
        raise NotImplementedError

    async def _let_go(self, authorization_id: str) -> None:  # pragma: no cover
        raise NotImplementedError

    # -- answers from the fulfilments ------------------------------------------------------

    @workflow.signal
    def edit_answered(self, answer: EditAnswer) -> None:
        self._edit_answers[(answer.fulfilment_id, answer.edit)] = answer

    async def _ask(self, fid: str, req: FulfilmentEdit) -> EditAnswer:
        """Send a fulfilment an edit and wait for its answer."""
        refused = EditAnswer(
            fulfilment_id=fid,
            edit=req.edit,
            accepted=False,
            reason=EditRefusal.PAST_POINT_OF_NO_RETURN.value,
            message="the fulfilment has ended",
        )
        handle = self._children.get(fid)
        if handle is None or handle.done():
            return refused
        try:
            await handle.signal("edit", req)
        except Exception:  # it ended meanwhile
            return refused
        key = (fid, req.edit)
        # No deadline: a fulfilment always answers (its check is one database write), and an
        # edit given up on could still be applied there, its units then taken for short.
        await workflow.wait_condition(lambda: key in self._edit_answers or handle.done())
        return self._edit_answers.pop(key, refused)

    async def _ask_all(self, fids: list[str], req: FulfilmentEdit) -> EditAnswer | None:
        """Each fulfilment takes the edit, or none does: the first refusal, or None. Each
        checks and holds it first (its pick and pack wait); once all hold it, all apply it;
        a refusal lets the others' holds go. A held fulfilment cannot move past the point of
        no return, so applying it is never refused."""
        if not self._patched(ALL_OR_NONE):  # the runs before: one after the other
            for fid in fids:
                answer = await self._ask(fid, req)
                if not answer.accepted:
                    return answer
            return None
        held: list[str] = []
        for fid in fids:
            answer = await self._ask(fid, req.model_copy(update={"stage": "hold"}))
            if not answer.accepted:
                for other in held:
                    await self._let_hold_go(other, req)
                return answer
            held.append(fid)
        for fid in held:
            await self._ask(fid, req.model_copy(update={"stage": "apply"}))
        return None

    async def _let_hold_go(self, fid: str, req: FulfilmentEdit) -> None:
        handle = self._children.get(fid)
        if handle is None or handle.done():
            return
        try:
            await handle.signal("edit", req.model_copy(update={"stage": "release"}))
        except Exception:  # it ended meanwhile
            return

    async def _read_progress(self) -> None:
        """A lean run does not hear each pick: it reads where its fulfilments are first."""
        if not self._lean or not self.state.open_fulfilments():
            return
        for progress in await workflow.execute_local_activity(
            calls.fulfilment_progress,
            self.order.id,
            summary="read the fulfilments' progress",
            **LOCAL_ACTIVITY,
        ):
            if progress.fulfilment_id in self.state.open_fulfilments():
                self.state.progress(progress)

    def _busy(self) -> None:
        if not self._lean:  # a run from before edits: its fulfilments take none
            raise refuse(ErrorCode.ORDER_BUSY, "this order's run predates order edits")
        if self._cancel is not None or self._compensating:
            raise refuse(ErrorCode.ORDER_FINAL, "the order is being cancelled")
        if self._editing or self._finishing:
            why = "the order is completing" if self._finishing else "another change is under way"
            raise refuse(ErrorCode.ORDER_BUSY, f"{why}: try again in a moment")

    def _emit_edit(self, type_: str, edit: int, payload: dict[str, Any]) -> None:
        self._outbox.append(
            EmitEvent(
                event_id=order_edit_event_id(self.order.id, type_, edit),
                type=type_,
                order_id=self.order.id,
                payload={"order_id": self.order.id, "edit": edit, **payload},
            )
        )

    # -- cancel units of a line ------------------------------------------------------------

    @workflow.update
    async def cancel_line(self, req: LineCancel) -> EditResult:
        state = self.state
        if not self._patched(LINE_CANCEL):  # pragma: no cover
            return EditResult(accepted=False, status=state.status, reason=EditRefusal.ORDER_BUSY)
        self._editing = True
        try:
            await self._read_progress()
            try:
                plan = state.plan_cancel(req)
            except EditRefused as err:
                return EditResult.refused(state.status, err)
            edit = state.next_edit()
            now = workflow.now()
            if state.cancels_everything(plan):
                units = state.line_cancelled(req, 0, {}, plan.quantity, now)
                self._emit_cancelled(req, edit, units)
                self._cancel_order(req)
                return EditResult(accepted=True, status=state.status, edit=edit, cancelled=units)
            dropped: dict[str, int] = {}
            refusal: EditAnswer | None = None
            for fid, qty in plan.fulfilments.items():
                answer = await self._ask(fid, FulfilmentEdit(edit=edit, drop={req.line_id: qty}))
                if not answer.accepted:
                    refusal = answer
                    break
                dropped[fid] = qty
            unsourced = plan.quantity if state.status in BEFORE_SOURCING else 0
            if refusal is not None and not dropped:
                return EditResult(
                    accepted=False,
                    status=state.status,
                    reason=EditRefusal(refusal.reason or EditRefusal.PAST_POINT_OF_NO_RETURN),
                    message=refusal.message,
                )
            awaiting = plan.awaiting if refusal is None else 0
            units = state.line_cancelled(req, awaiting, dropped, unsourced, workflow.now())
            self._emit_cancelled(req, edit, units)
            if not self._closing:  # else the cancellation under way voids the authorization
                await self._lower_authorization(edit)
            await self._flush()
            return EditResult(accepted=True, status=state.status, edit=edit, cancelled=units)
        finally:
            self._editing = False

    @cancel_line.validator
    def _validate_cancel_line(self, req: LineCancel) -> None:
        self._busy()
        try:
            self.state.plan_cancel(req)
        except EditRefused as err:
            raise refusal(err) from None

    def _emit_cancelled(self, req: LineCancel, edit: int, units: int) -> None:
        self._emit_edit(
            "order.line_cancelled",
            edit,
            {
                "line_id": req.line_id,
                "quantity": units,
                "reason_code": req.code,
                "customer_message": req.customer_message,
            },
        )

    def _cancel_order(self, req: LineCancel) -> None:
        """Nothing would be left of the order: it is cancelled, for the edit's reason."""
        self._cancel = CancelRequest(
            reason=req.reason,
            actor=req.actor,
            code=req.code,
            customer_message=req.customer_message,
        )
        if self._main is not None and not self._main.done():
            self._main.cancel()

    async def _lower_authorization(self, edit: int) -> None:
        """The authorization comes down to what is left to capture: the surplus let go where
        the gateway voids part of an authorization, else the lower amount authorized afresh
        and the old one voided."""
        amount = self.state.authorization_too_high()
        if not amount:
            return
        p = self.state.payment
        old = p.authorization_id
        assert old is not None
        surplus = p.authorized - p.captured - p.written_off - amount
        try:
            done = await self._call_service(
                calls.void_part,
                PartialVoidRequest(
                    order_id=self.order.id,
                    authorization_id=old,
                    amount=surplus,
                    currency=self.order.currency,
                    edit=edit,
                ),
                SETTLEMENT_ACTIVITY,
                f"let go of {format_minor(surplus, self.order.currency)} of the authorization",
            )
        except FailureError:  # refused: authorize the lower amount afresh instead
            done = None
        if done is not None:
            self.state.payment_partly_voided(done.voided_amount, workflow.now())
            return
        auth = await self._authorize_again(amount, "authorize the lower amount after an edit")
        if auth is None:  # refused: the old one stays, its surplus voided at the end
            self.state.log("authorization_kept", "payment_gateway", workflow.now(), {})
            return
        self.state.payment_reauthorized(auth.authorization_id, auth.amount, workflow.now())
        await self._let_go(old)

    # -- add a service to a line -----------------------------------------------------------

    @workflow.update
    async def add_service(self, req: ServiceAdd) -> EditResult:
        state = self.state
        if not self._patched(SERVICE_ADD):  # pragma: no cover
            return EditResult(accepted=False, status=state.status, reason=EditRefusal.ORDER_BUSY)
        self._editing = True
        try:
            await self._read_progress()
            try:
                state.check_service(req.line_id, req.service)
            except EditRefused as err:
                return EditResult.refused(state.status, err)
            edit = state.next_edit()
            ask = FulfilmentEdit(edit=edit, service=req.service, service_line=req.line_id)
            answer = await self._ask_all(state.allocated_fulfilments(req.line_id), ask)
            if answer is not None:
                return refused_by(state.status, answer)
            state.service_added(req.line_id, req.service, req.actor, workflow.now())
            self._emit_edit(
                "order.service_added", edit, {"line_id": req.line_id, "service": req.service.value}
            )
            await self._flush()
            return EditResult(accepted=True, status=state.status, edit=edit)
        finally:
            self._editing = False

    @add_service.validator
    def _validate_add_service(self, req: ServiceAdd) -> None:
        self._busy()
        try:
            self.state.check_service(req.line_id, Service(req.service))
        except EditRefused as err:
            raise refusal(err) from None
