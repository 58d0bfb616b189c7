"""The order's single steps as Temporal runs them: the base of OrderWorkflow.

Each step is one activity (or a timer) and hands what it learns to the order aggregate
(``oms.domain.order.OrderState``); ``workflows/order.py`` strings them together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    FailureError,
    is_cancelled_exception,
)

with workflow.unsafe.imports_passed_through():
    from oms.contracts.fraud import FraudCheck
    from oms.contracts.orders import CancellationCode, CancelRequest, cancellation_code
    from oms.contracts.payments import AuthorizeRequest, VoidRequest
    from oms.contracts.read_model import EmitEvent
    from oms.contracts.sourcing import ReleaseRequest, SourcingRequest
    from oms.domain.fraud import FraudDecision
    from oms.domain.money import format_minor
    from oms.domain.order import CancelReason, DeliveryMethod, OrderStatus
    from oms.domain.reason_codes import StockEffect
    from oms.domain.sourcing import Demand, OrderFacts, SourcingPlan
    from oms.domain.tasks import TaskKind, TaskStatus
    from oms.keys import INITIAL_STEP, fraud_review_task_id, step_key
    from oms.metrics import task_sla_breached
    from workflows import calls
    from workflows.human_tasks import HumanTask, Wait, wait_for_people
    from workflows.order_records import OrderRecords
    from workflows.policies import (
        DB_ACTIVITY,
        EXTERNAL_ACTIVITY,
        SETTLEMENT_ACTIVITY,
        call_service,
        condition_within,
    )

Step = tuple[SourcingPlan, str]

# Runs started since this patch go the lean way: every step a local activity, the read model
# and the outbox written once where the run stops to wait, the children heard only when they
# have something the order must act on. Runs recorded before it replay as they ran.
LEAN_RUN = "lean-order-run"
# An authorization in flight is not abandoned when the order is cancelled: asked to stop, the
# gateway's call could still authorize after the run stopped waiting for it, holding the
# customer's funds with nothing left to void them. The run waits for the answer, records it,
# then stops, and the compensation voids what was authorized.
AUTHORIZE_TO_THE_END = "authorize-to-the-end"
# Cancellations take their reason from the taxonomy: the cancellation event names the reason
# code and its customer message key, and the code's stock effect applies to the units already
# picked. Runs recorded before it applied none of it.
CANCEL_BY_REASON_CODE = "cancel-by-reason-code"
# Sourcing is told each line's services, and leaves out the locations that do not perform
# them; runs recorded before it sourced without them.
SERVICES_SOURCED = "services-sourced"
# A collection its store cannot serve is transferred there from elsewhere (the profile's
# transfer_to_store): the plan says which fulfilments are transfers.
TRANSFER_TO_STORE = "transfer-to-store"
# After a try at the units waiting for stock the order reads IN_FULFILMENT again (a backorder:
# the rest is being fulfilled) or AWAITING_STOCK (a held order whose units still wait); runs
# recorded before read SOURCING from their first try to their end.
STATUS_AFTER_STOCK_TRY = "status-after-stock-try"
# Edits while the order waits for stock: a line cancel takes units that wait, and the order
# stops waiting at once when none is left; runs recorded before refused every edit meanwhile
# ("try again in a moment") and waited for the next try.
EDITS_AWAITING_STOCK = "order-edit-awaiting-stock"
_R = TypeVar("_R")


def activity_failure(err: FailureError) -> BaseException:
    """What an activity failed with: a regular activity's error arrives wrapped in an
    ``ActivityError``, a local activity's as it was raised."""
    if isinstance(err, ActivityError) and err.cause is not None:
        return err.cause
    return err


class CancelledByRule(Exception):
    """Ends the main flow early with a business cancellation (not a Temporal cancel)."""

    def __init__(self, reason: CancelReason, actor: str) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.actor = actor


async def to_the_end(call: Coroutine[Any, Any, _R]) -> tuple[asyncio.Future[_R], bool]:
    """Await ``call`` whatever cancels the caller meanwhile: (it, done; whether something
    tried to cancel the caller)."""
    task = asyncio.ensure_future(call)
    interrupted = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                raise
            interrupted = True
    return task, interrupted


class OrderSteps(OrderRecords):
    """The order's steps, each an activity (or a timer) whose outcome goes to the state."""

    _cancel: CancelRequest | None

    def _cancellation_code(self, reason: CancelReason) -> CancellationCode | None:
        """What the cancellation's reason code says: the cancel request's code if it is the
        one being applied, else the OMS's own reason's built-in code."""
        if not self._patched(CANCEL_BY_REASON_CODE):
            return None
        return cancellation_code(reason, self._cancel)

    def _begin(self) -> None:
        self._lean = self._patched(LEAN_RUN)
        self._outbox: list[EmitEvent] = []

    async def _act(self, activity: Any, arg: Any, options: dict[str, Any], summary: str) -> Any:
        """One step: a local activity in a lean run (no task queue round trip, one marker
        in the history), a regular activity in a run recorded before."""
        if not self._lean:
            return await workflow.execute_activity(activity, arg, **options)
        result = await workflow.execute_local_activity(activity, arg, summary=summary, **options)
        self._checkpoint()
        return result

    async def _call_service(
        self, activity: Any, arg: Any, options: dict[str, Any], summary: str
    ) -> Any:
        """A payment gateway call: one local attempt, then (if it must be retried) the order
        shows it waits on the gateway and retries as a regular activity."""
        if not self._lean:
            return await workflow.execute_activity(activity, arg, **options)
        # No checkpoint here: the caller records what the gateway did (an authorization to
        # void) before it stops for a cancel.
        return await call_service(
            activity, arg, options=options, summary=summary, while_retrying=self._flush
        )

    # -- fraud ---------------------------------------------------------------------------

    async def _fraud_check(self) -> None:
        await self._set_status(OrderStatus.FRAUD_CHECK, "fraud_check_started", "system")
        result = await self._act(
            calls.assess_fraud,
            FraudCheck(order=self.order, received_at=self.state.received_at),
            DB_ACTIVITY,
            "fraud rules",
        )
        decision = self.state.fraud_assessed(result, workflow.now())
        if decision is FraudDecision.REJECT:
            raise CancelledByRule(CancelReason.FRAUD_REJECTED, "fraud_rules")
        if decision is FraudDecision.REVIEW:
            await self._manual_review()

    async def _manual_review(self) -> None:
        policy = self.state.policy
        task = HumanTask(
            fraud_review_task_id(self.order.id),
            TaskKind.FRAUD_REVIEW,
            self.order.id,
            local=self._lean,
        )
        due = workflow.now() + timedelta(seconds=policy.review_timeout_after_s)
        await task.open(due_at=due, payload=self.state.review_task_payload())
        detail = {"task_id": task.task_id}
        self._due_at = due
        await self._set_status(
            OrderStatus.AWAITING_REVIEW, "fraud_review_requested", "fraud_rules", detail
        )
        await self._emit("fraud_review.requested", detail)
        await self._flush()

        async def escalate() -> None:
            await task.escalate()
            if self._lean:
                task_sla_breached(workflow.metric_meter(), kind=TaskKind.FRAUD_REVIEW)
            self.state.log("fraud_review_escalated", "sla_timer", workflow.now(), detail)
            await self._emit("fraud_review.escalated", detail)
            await self._flush()

        waited = await wait_for_people(
            lambda: self.state.review is not None,
            escalate_after_s=policy.review_escalate_after_s,
            on_escalate=escalate,
            expire_after_s=policy.review_timeout_after_s,
            what="fraud review" if self._lean else None,
        )
        self._due_at = None
        if waited is Wait.EXPIRED:
            await task.close(TaskStatus.EXPIRED)
            raise CancelledByRule(CancelReason.REVIEW_TIMEOUT, "sla_timer")
        if self.state.review_decided(workflow.now()):
            assert self.state.review is not None
            raise CancelledByRule(CancelReason.FRAUD_REJECTED, self.state.review.actor)

    # -- sourcing and payment -----------------------------------------------------------

    async def _source(
        self, demands: list[Demand], step: str, *, apply: bool = True
    ) -> SourcingPlan:
        await self._set_status(OrderStatus.SOURCING, "sourcing_started", "system", {"step": step})
        delivery = self.order.delivery
        collect = delivery.method is DeliveryMethod.COLLECT
        facts = OrderFacts.of(self.order, {}, lines=demands)
        if not self._patched(SERVICES_SOURCED):
            facts = facts.without_services()
        # Since ship to store: a collection is sourced for its store, what the store lacks
        # transferred to it where the channel's profile allows it.
        to_store = collect and delivery.store_id is not None and self._patched(TRANSFER_TO_STORE)
        plan: SourcingPlan = await self._act(
            calls.source_and_reserve,
            SourcingRequest(
                order_id=self.order.id,
                channel=self.order.channel,
                step_key=step_key(self.order.id, step),
                demands=demands,
                destination=delivery.address.point() if delivery.address else None,
                only_locations=(
                    [delivery.store_id] if collect and delivery.store_id and not to_store else None
                ),
                collect_store=delivery.store_id if to_store else None,
                exclude=sorted(self.state.excluded),
                # Only the first sourcing takes over the cart's hold: by a re-route the cart
                # id may hold another basket.
                cart_id=self.order.cart_id if step == INITIAL_STEP else None,
                facts=facts,
            ),
            DB_ACTIVITY,
            f"source and reserve ({step})",
        )
        if apply:  # else the caller decides what becomes of it (a store change)
            self.state.sourced(plan, step, workflow.now())
        return plan

    async def _hold_for_stock(self) -> list[Step]:
        """A held order ships nothing until every unit is placed or the wait is over: its
        tries, each a step."""
        await self._set_status(OrderStatus.AWAITING_STOCK, "order_held_for_stock", "sourcing")
        steps: list[Step] = []
        while self.state.awaiting:
            tried = await self._next_stock_try()
            if tried is not None:
                steps.append(await self._stock_try(*tried))
        return steps

    async def _next_stock_try(self) -> tuple[list[Demand], str] | None:
        """Sleep until the next try at the units waiting for stock and take them over; None
        when line cancels took every unit that waited meanwhile (nothing left to try)."""
        state = self.state
        state.edits_while_awaiting_stock = self._lean and self._patched(EDITS_AWAITING_STOCK)
        await self._flush()
        seconds = state.seconds_to_next_stock_try(workflow.now())
        what = "next try for the units waiting for stock"
        if state.edits_while_awaiting_stock:
            if await condition_within(lambda: not state.awaiting, seconds, what):
                return None
        elif self._lean:
            await workflow.sleep(seconds, summary=what)
        else:
            await workflow.sleep(seconds)
        return state.take_awaiting()

    async def _stock_try(self, waiting: list[Demand], step: str) -> Step:
        """Source the waiting units again (a step of its own); past the end of the wait,
        give up on what still waits. The order then reads what it did before the try: being
        fulfilled (a backorder), or waiting for stock while units of a held order still wait."""
        before = self.state.status
        back = self._patched(STATUS_AFTER_STOCK_TRY)  # asked before the try's local activity
        plan = await self._source(waiting, step)
        self.state.give_up_waiting(workflow.now())
        held = before is OrderStatus.AWAITING_STOCK
        if back and (before is OrderStatus.IN_FULFILMENT or (held and self.state.awaiting)):
            detail = {
                "step": step,
                "placed": sum(a.qty for a in plan.allocations),
                "awaiting": sum(d.qty for d in self.state.awaiting),
            }
            await self._set_status(before, "stock_tried", "sourcing", detail)
        return plan, step

    async def _authorize(self) -> None:
        amount = self.state.authorization_amount(self.state.book.open_amount())
        if self._lean and amount == 0:
            # Nothing to pay (free lines only): no authorization, so nothing to capture or void.
            self.state.payment_not_needed(workflow.now())
            return
        await self._set_status(OrderStatus.AUTHORIZING_PAYMENT, "payment_authorizing", "system")
        call = self._call_service(
            calls.authorize_payment,
            AuthorizeRequest(
                order_id=self.order.id,
                token=self.order.payment_token,
                amount=amount,
                currency=self.order.currency,
            ),
            EXTERNAL_ACTIVITY,
            f"authorize {format_minor(amount, self.order.currency)}",
        )
        interrupted = False
        try:
            if self._lean and self._patched(AUTHORIZE_TO_THE_END):
                done, interrupted = await to_the_end(call)
                auth = done.result()
            else:
                auth = await call
        except FailureError as err:
            if is_cancelled_exception(err):
                raise  # the order is being cancelled, the card was not declined
            cause = activity_failure(err)
            code = (
                cause.details[0]
                if isinstance(cause, ApplicationError) and cause.details
                else "gateway_unavailable"
            )
            self.state.payment_declined(str(code), workflow.now())
            if interrupted:  # cancelled meanwhile: the cancel's reason is the order's
                raise asyncio.CancelledError() from err
            raise CancelledByRule(CancelReason.PAYMENT_DECLINED, "payment_gateway") from err
        self.state.payment_authorized(auth.authorization_id, auth.amount, workflow.now())
        if self._lean:
            self._checkpoint()
        if interrupted:  # by Temporal (ops cancelled the run): the compensation voids it
            raise asyncio.CancelledError()

    # -- undoing and letting go ----------------------------------------------------------

    async def _release(self, picked_effect: StockEffect | None = None) -> None:
        units = await self._act(
            calls.release_reservations,
            ReleaseRequest(order_id=self.order.id, picked_effect=picked_effect),
            DB_ACTIVITY,
            "release what is still reserved",
        )
        if units:
            self.state.log("reservations_released", "system", workflow.now(), {"units": units})

    async def _void(self) -> None:
        auth_id = self.state.payment.authorization_id
        assert auth_id is not None
        void = await self._call_service(
            calls.void_payment,
            VoidRequest(order_id=self.order.id, authorization_id=auth_id),
            SETTLEMENT_ACTIVITY,
            "void the authorization",
        )
        self.state.payment_voided(void.voided_amount, workflow.now())
        if self._lean:
            self._checkpoint()
