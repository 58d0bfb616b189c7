"""The order's single steps as Temporal runs them: the base of OrderWorkflow.

Each step is one activity (or a timer) and hands what it learns to the order aggregate
(``oms.domain.order.OrderState``); ``workflows/order.py`` strings them together.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from oms.contracts.fraud import FraudCheck
    from oms.contracts.payments import AuthorizeRequest, VoidRequest
    from oms.contracts.read_model import EmitEvent, RecordProgress
    from oms.contracts.sourcing import ReleaseRequest, SourcingRequest
    from oms.domain.fraud import FraudDecision
    from oms.domain.order import CancelReason, DeliveryMethod, OrderIn, OrderState, OrderStatus
    from oms.domain.sourcing import Demand, OrderFacts, SourcingPlan
    from oms.domain.tasks import TaskKind, TaskStatus
    from oms.keys import INITIAL_STEP, fraud_review_task_id, order_event_id, step_key
    from oms.temporal import CHANNEL, CUSTOMER_TIER, ORDER_STATUS
    from workflows import calls
    from workflows.human_tasks import HumanTask, Wait, wait_for_people
    from workflows.policies import (
        DB_ACTIVITY,
        EXTERNAL_ACTIVITY,
        LOCAL_ACTIVITY,
        SETTLEMENT_ACTIVITY,
    )

Step = tuple[SourcingPlan, str]


class CancelledByRule(Exception):
    """Ends the main flow early with a business cancellation (not a Temporal cancel)."""

    def __init__(self, reason: CancelReason, actor: str) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.actor = actor


class OrderSteps:
    """What every step of an order needs: the order and its state."""

    state: OrderState

    @property
    def order(self) -> OrderIn:
        return self.state.order

    # -- fraud ---------------------------------------------------------------------------

    async def _fraud_check(self) -> None:
        await self._set_status(OrderStatus.FRAUD_CHECK, "fraud_check_started", "system")
        result = await workflow.execute_activity(
            calls.assess_fraud,
            FraudCheck(order=self.order, received_at=self.state.received_at),
            **DB_ACTIVITY,
        )
        decision = self.state.fraud_assessed(result, workflow.now())
        if decision is FraudDecision.REJECT:
            raise CancelledByRule(CancelReason.FRAUD_REJECTED, "fraud_rules")
        if decision is FraudDecision.REVIEW:
            await self._manual_review()

    async def _manual_review(self) -> None:
        policy = self.state.policy
        task = HumanTask(fraud_review_task_id(self.order.id), TaskKind.FRAUD_REVIEW, self.order.id)
        due = workflow.now() + timedelta(seconds=policy.review_timeout_after_s)
        await task.open(due_at=due, payload=self.state.review_task_payload())
        detail = {"task_id": task.task_id}
        await self._set_status(
            OrderStatus.AWAITING_REVIEW, "fraud_review_requested", "fraud_rules", detail
        )
        await self._emit("fraud_review.requested", detail)

        async def escalate() -> None:
            await task.escalate()
            self.state.log("fraud_review_escalated", "sla_timer", workflow.now(), detail)
            await self._emit("fraud_review.escalated", detail)

        waited = await wait_for_people(
            lambda: self.state.review is not None,
            escalate_after_s=policy.review_escalate_after_s,
            on_escalate=escalate,
            expire_after_s=policy.review_timeout_after_s,
        )
        if waited is Wait.EXPIRED:
            await task.close(TaskStatus.EXPIRED)
            raise CancelledByRule(CancelReason.REVIEW_TIMEOUT, "sla_timer")
        if self.state.review_decided(workflow.now()):
            assert self.state.review is not None
            raise CancelledByRule(CancelReason.FRAUD_REJECTED, self.state.review.actor)

    # -- sourcing and payment -----------------------------------------------------------

    async def _source(self, demands: list[Demand], step: str) -> SourcingPlan:
        await self._set_status(OrderStatus.SOURCING, "sourcing_started", "system", {"step": step})
        delivery = self.order.delivery
        collect = delivery.method is DeliveryMethod.COLLECT
        plan = await workflow.execute_activity(
            calls.source_and_reserve,
            SourcingRequest(
                order_id=self.order.id,
                channel=self.order.channel,
                step_key=step_key(self.order.id, step),
                demands=demands,
                destination=delivery.address.point() if delivery.address else None,
                only_locations=[delivery.store_id] if collect and delivery.store_id else None,
                exclude=sorted(self.state.excluded),
                # Only the first sourcing takes over the cart's hold: by a re-route the cart
                # id may hold another basket.
                cart_id=self.order.cart_id if step == INITIAL_STEP else None,
                facts=OrderFacts.of(self.order, {}, lines=demands),
            ),
            **DB_ACTIVITY,
        )
        self.state.sourced(plan, step, workflow.now())
        return plan

    async def _next_stock_try(self) -> tuple[list[Demand], str]:
        """Sleep until the next try at the units waiting for stock and take them over."""
        await workflow.sleep(self.state.seconds_to_next_stock_try(workflow.now()))
        return self.state.take_awaiting()

    async def _stock_try(self, waiting: list[Demand], step: str) -> Step:
        """Source the waiting units again (a step of its own); past the end of the wait,
        give up on what still waits."""
        plan = await self._source(waiting, step)
        self.state.give_up_waiting(workflow.now())
        return plan, step

    async def _authorize(self) -> None:
        await self._set_status(OrderStatus.AUTHORIZING_PAYMENT, "payment_authorizing", "system")
        try:
            auth = await workflow.execute_activity(
                calls.authorize_payment,
                AuthorizeRequest(
                    order_id=self.order.id,
                    token=self.order.payment_token,
                    amount=self.state.book.open_amount(),
                    currency=self.order.currency,
                ),
                **EXTERNAL_ACTIVITY,
            )
        except ActivityError as err:
            if is_cancelled_exception(err):
                raise  # the order is being cancelled, the card was not declined
            cause = err.cause
            code = (
                cause.details[0]
                if isinstance(cause, ApplicationError) and cause.details
                else "gateway_unavailable"
            )
            self.state.payment_declined(str(code), workflow.now())
            raise CancelledByRule(CancelReason.PAYMENT_DECLINED, "payment_gateway") from err
        self.state.payment_authorized(auth.authorization_id, auth.amount, workflow.now())

    # -- undoing and letting go ----------------------------------------------------------

    async def _release(self) -> None:
        units = await workflow.execute_activity(
            calls.release_reservations, ReleaseRequest(order_id=self.order.id), **DB_ACTIVITY
        )
        if units:
            self.state.log("reservations_released", "system", workflow.now(), {"units": units})

    async def _void(self) -> None:
        auth_id = self.state.payment.authorization_id
        assert auth_id is not None
        void = await workflow.execute_activity(
            calls.void_payment,
            VoidRequest(order_id=self.order.id, authorization_id=auth_id),
            **SETTLEMENT_ACTIVITY,
        )
        self.state.payment_voided(void.voided_amount, workflow.now())

    # -- helpers -------------------------------------------------------------------------

    async def _set_status(
        self, status: OrderStatus, type_: str, actor: str, detail: dict[str, Any] | None = None
    ) -> None:
        state = self.state
        state.set_status(status, type_, actor, workflow.now(), detail)
        workflow.upsert_search_attributes(
            [
                ORDER_STATUS.value_set(status.value),
                CHANNEL.value_set(self.order.channel),
                CUSTOMER_TIER.value_set(self.order.customer.tier.value),
            ]
        )
        workflow.logger.info(
            "order_status_changed", extra={"order_id": self.order.id, "status": status.value}
        )
        await workflow.execute_local_activity(
            calls.record_progress,
            RecordProgress(
                order_id=self.order.id,
                status=status,
                cancel_reason=state.cancel_reason,
                fraud_score=state.fraud.score if state.fraud else None,
                fraud_decision=state.fraud_decision,
                fulfilment_locations=state.fulfilment_locations,
                events=state.unrecorded(),
            ),
            **LOCAL_ACTIVITY,
        )
        state.mark_recorded()

    async def _emit(self, type_: str, payload: dict[str, Any]) -> None:
        await workflow.execute_local_activity(
            calls.emit_event,
            EmitEvent(
                event_id=order_event_id(self.order.id, type_),
                type=type_,
                order_id=self.order.id,
                payload={"order_id": self.order.id, **payload},
            ),
            **LOCAL_ACTIVITY,
        )
