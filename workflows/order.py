"""OrderWorkflow: one order from checkout to doorstep."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.inventory import InventoryActivities
    from activities.orders import OrderActivities
    from activities.payments import PaymentActivities
    from oms.contracts.fraud import FraudCheck
    from oms.contracts.fulfilment import FulfilmentInput
    from oms.contracts.orders import CancelRequest, CancelResult, OrderWorkflowInput
    from oms.contracts.payments import AuthorizeRequest, CaptureRequest, VoidRequest
    from oms.contracts.read_model import EmitEvent, RecordProgress
    from oms.contracts.sourcing import ReleaseRequest, SourcingRequest
    from oms.contracts.tasks import CloseTask, OpenTask
    from oms.domain.fraud import FraudDecision, FraudReviewDecision
    from oms.domain.fulfilment import (
        FulfilmentLine,
        FulfilmentProgress,
        FulfilmentStatus,
        FulfilmentView,
    )
    from oms.domain.order import (
        CancelReason,
        DeliveryMethod,
        FraudView,
        FulfilmentSummary,
        LineBook,
        OrderStatus,
        OrderView,
        PaymentState,
        PaymentView,
        TimelineEntry,
    )
    from oms.domain.sourcing import Demand, OrderFacts, SourcingPlan
    from oms.domain.sourcing.profiles import UnplacedAction
    from oms.keys import fulfilment_id, fulfilment_workflow_id
    from oms.temporal import CHANNEL, CUSTOMER_TIER, FULFILMENT_LOCATIONS, ORDER_STATUS
    from workflows.fulfilment import FulfilmentWorkflow
    from workflows.policies import (
        DB_ACTIVITY,
        EXTERNAL_ACTIVITY,
        LOCAL_ACTIVITY,
        SETTLEMENT_ACTIVITY,
        condition_within,
    )


class _Cancelled(Exception):
    """Ends the main flow early with a business cancellation (not a Temporal cancel)."""

    def __init__(self, reason: CancelReason, actor: str) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.actor = actor


@workflow.defn
class OrderWorkflow:
    """Record -> fraud check -> source and reserve -> authorize -> fulfil -> capture -> done.

    Signals: ``fraud_decision(FraudReviewDecision)`` from the analyst's task;
    ``fulfilment_progress(FulfilmentProgress)`` from child fulfilments.
    Updates: ``cancel(CancelRequest) -> CancelResult``: accepted until something has shipped.
    Queries: ``status -> OrderView``.
    Compensations (release reservations, void the authorization, close open tasks) run on
    every way out that is not completion, including a Temporal cancellation.
    """

    @workflow.init
    def __init__(self, inp: OrderWorkflowInput) -> None:
        self.inp = inp
        self.order = inp.order
        self.status = OrderStatus.RECEIVED
        self.cancel_reason: CancelReason | None = None
        self.book = LineBook(self.order.lines)
        self.fraud: FraudView | None = None
        self.review: FraudReviewDecision | None = None
        self.payment = PaymentView(currency=self.order.currency)
        self.fulfilments: dict[str, FulfilmentSummary] = {}
        self.timeline: list[TimelineEntry] = []
        self._recorded = 0
        self._cancel: CancelRequest | None = None
        self._main: asyncio.Task[None] | None = None
        self._children: dict[str, Any] = {}
        self._excluded: set[str] = set()
        self._sourcing_steps = 0
        self._settled: set[str] = set()
        self._reroutes = 0
        self._shorts_handled: set[str] = set()
        self._picked_short: dict[str, list[Demand]] = {}
        # Units the profile backorders or holds, waiting for stock since _awaiting_since.
        self._awaiting: list[Demand] = []
        self._awaiting_since: datetime | None = None
        self._stock_tries = 0
        self._updated_at = inp.received_at

    # -- run -----------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: OrderWorkflowInput) -> OrderView:
        self._main = asyncio.ensure_future(self._process())
        if self._cancel is not None:  # accepted before the run began
            self._main.cancel()
        try:
            await self._main
        except _Cancelled as c:
            await self._compensate_fully(c.reason, c.actor)
        except (Exception, asyncio.CancelledError) as err:
            # Not BaseException: a worker evicting this run from its cache raises one, and
            # the run goes on elsewhere. A cancel reaches us as CancelledError, or wrapped in
            # the ActivityError of whatever was running at the time.
            if self._cancel is not None and is_cancelled_exception(err):
                await self._compensate_fully(self._cancel.reason, self._cancel.actor)
            elif is_cancelled_exception(err) and workflow.cancellation_reason() is not None:
                await self._compensate_fully(CancelReason.WORKFLOW_CANCELLED, "temporal")
                raise asyncio.CancelledError() from err
            else:
                await self._compensate_fully(CancelReason.FAILED, "system")
                raise
        return self._view()

    async def _compensate_fully(self, reason: CancelReason, actor: str) -> None:
        """Run the compensation to its end: a further cancel (ops pressing Cancel after the
        customer did) must not abandon it half-way with stock held or money authorized."""
        task = asyncio.ensure_future(self._compensate(reason, actor))
        while not task.done():
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                continue
        task.result()

    async def _process(self) -> None:
        await self._set_status(
            OrderStatus.RECEIVED,
            "order_received",
            actor=self.order.channel,
            detail={"total": self.order.total, "lines": len(self.order.lines)},
        )
        await self._fraud_check()
        plan = await self._source(self.book.demands(), step="initial")
        steps = [(plan, "initial")]
        if self._awaiting and plan.unplaced_action is UnplacedAction.HOLD:
            steps += await self._hold_for_stock()
        if not any(p.allocations for p, _ in steps) and not self._awaiting:
            raise _Cancelled(CancelReason.OUT_OF_STOCK, "sourcing")
        await self._authorize()
        await self._fulfil(steps)

    # -- fraud ---------------------------------------------------------------------------

    async def _fraud_check(self) -> None:
        await self._set_status(OrderStatus.FRAUD_CHECK, "fraud_check_started", actor="system")
        result = await workflow.execute_activity_method(
            OrderActivities.assess_fraud,
            FraudCheck(order=self.order, received_at=self.inp.received_at),
            **DB_ACTIVITY,
        )
        self.fraud = FraudView(
            score=result.score,
            decision=result.decision.value,
            reasons=[r.model_dump() for r in result.reasons],
        )
        self._log(
            "fraud_assessed",
            "fraud_rules",
            {
                "score": result.score,
                "decision": result.decision.value,
                "reasons": [r.code for r in result.reasons],
            },
        )
        if result.decision is FraudDecision.REJECT:
            raise _Cancelled(CancelReason.FRAUD_REJECTED, "fraud_rules")
        if result.decision is FraudDecision.REVIEW:
            await self._manual_review()

    async def _manual_review(self) -> None:
        policy = self.inp.policy
        task_id = f"fraud-review-{self.order.id}"
        now = workflow.now()
        await workflow.execute_activity_method(
            OrderActivities.open_task,
            OpenTask(
                task_id=task_id,
                kind="fraud_review",
                order_id=self.order.id,
                workflow_id=workflow.info().workflow_id,
                due_at=now + timedelta(seconds=policy.review_timeout_after_s),
                payload={
                    "score": self.fraud.score if self.fraud else None,
                    "reasons": self.fraud.reasons if self.fraud else [],
                    "total": self.order.total,
                    "currency": self.order.currency,
                },
            ),
            **DB_ACTIVITY,
        )
        await self._set_status(
            OrderStatus.AWAITING_REVIEW,
            "fraud_review_requested",
            actor="fraud_rules",
            detail={"task_id": task_id},
        )
        await self._emit("fraud_review.requested", {"task_id": task_id})

        decided = await condition_within(
            lambda: self.review is not None, policy.review_escalate_after_s
        )
        if not decided:
            await workflow.execute_activity_method(
                OrderActivities.escalate_task, task_id, **DB_ACTIVITY
            )
            self._log("fraud_review_escalated", "sla_timer", {"task_id": task_id})
            await self._emit("fraud_review.escalated", {"task_id": task_id})
            decided = await condition_within(
                lambda: self.review is not None,
                policy.review_timeout_after_s - policy.review_escalate_after_s,
            )
        if not decided:
            await workflow.execute_activity_method(
                OrderActivities.close_task,
                CloseTask(task_id=task_id, status="expired"),
                **DB_ACTIVITY,
            )
            raise _Cancelled(CancelReason.REVIEW_TIMEOUT, "sla_timer")
        review = self.review
        assert review is not None
        assert self.fraud is not None
        self.fraud.reviewed_by = review.actor
        self.fraud.review_decision = review.decision
        self.fraud.review_reason = review.reason
        self._log(
            "fraud_review_decided",
            review.actor,
            {"decision": review.decision, "reason": review.reason},
        )
        if review.decision == "reject":
            raise _Cancelled(CancelReason.FRAUD_REJECTED, review.actor)

    # -- sourcing and payment -----------------------------------------------------------

    async def _source(self, demands: list[Demand], *, step: str) -> SourcingPlan:
        await self._set_status(
            OrderStatus.SOURCING, "sourcing_started", actor="system", detail={"step": step}
        )
        self._sourcing_steps += 1
        delivery = self.order.delivery
        collect = delivery.method is DeliveryMethod.COLLECT
        plan = await workflow.execute_activity_method(
            InventoryActivities.source_and_reserve,
            SourcingRequest(
                order_id=self.order.id,
                channel=self.order.channel,
                step_key=f"{self.order.id}:source:{step}",
                demands=demands,
                destination=delivery.address.point() if delivery.address else None,
                only_locations=[delivery.store_id] if collect and delivery.store_id else None,
                exclude=sorted(self._excluded),
                # Only the first sourcing takes over the cart's hold: by a re-route the cart
                # id may hold another basket.
                cart_id=self.order.cart_id if step == "initial" else None,
                facts=OrderFacts.of(self.order, {}, lines=demands),
            ),
            **DB_ACTIVITY,
        )
        self.book.reserve(plan.allocations)
        if plan.unplaced and plan.unplaced_action in (
            UnplacedAction.BACKORDER,
            UnplacedAction.HOLD,
        ):
            self._awaiting.extend(plan.unplaced)
            if self._awaiting_since is None:
                self._awaiting_since = workflow.now()
            self._log(
                "awaiting_stock",
                "sourcing",
                {
                    "action": plan.unplaced_action.value,
                    "units": [d.model_dump() for d in plan.unplaced],
                },
            )
        else:
            for d in plan.unplaced:
                self.book.cancel_units(d.line_id, d.qty, CancelReason.OUT_OF_STOCK.value)
        self._log(
            "sourced",
            "sourcing",
            {
                "step": step,
                "strategy": plan.strategy,
                "locations": plan.locations,
                "unplaced": [d.model_dump() for d in plan.unplaced],
            },
        )
        return plan

    # -- waiting for stock (profiles that backorder or hold) -------------------------------

    async def _hold_for_stock(self) -> list[tuple[SourcingPlan, str]]:
        """Nothing ships until every unit is placed, or the wait is over (the rest is then
        cancelled as out of stock and what was placed goes ahead). Each try is a sourcing
        step of its own, whose fulfilments pick what that step reserved."""
        await self._set_status(OrderStatus.AWAITING_STOCK, "order_held_for_stock", actor="sourcing")
        steps: list[tuple[SourcingPlan, str]] = []
        while self._awaiting:
            waiting = await self._next_stock_try()
            step = f"stock-{self._stock_tries}"
            steps.append((await self._source(waiting, step=step), step))
            self._give_up_waiting()
        return steps

    async def _next_stock_try(self) -> list[Demand]:
        """Sleep until the next try (never past the end of the wait) and hand over the units
        still waiting, for the caller to source again."""
        left = (self._stock_deadline() - workflow.now()).total_seconds()
        await workflow.sleep(max(1.0, min(self.inp.policy.stock_retry_s, left)))
        waiting, self._awaiting = self._awaiting, []
        self._stock_tries += 1
        return waiting

    def _stock_deadline(self) -> datetime:
        assert self._awaiting_since is not None
        return self._awaiting_since + timedelta(seconds=self.inp.policy.stock_wait_s)

    def _give_up_waiting(self) -> None:
        if self._awaiting and workflow.now() >= self._stock_deadline():
            self._log(
                "stock_wait_over", "sourcing", {"units": [d.model_dump() for d in self._awaiting]}
            )
            for d in self._awaiting:
                self.book.cancel_units(d.line_id, d.qty, CancelReason.OUT_OF_STOCK.value)
            self._awaiting = []

    async def _authorize(self) -> None:
        await self._set_status(
            OrderStatus.AUTHORIZING_PAYMENT, "payment_authorizing", actor="system"
        )
        amount = self.book.open_amount()
        try:
            auth = await workflow.execute_activity_method(
                PaymentActivities.authorize_payment,
                AuthorizeRequest(
                    order_id=self.order.id,
                    token=self.order.payment_token,
                    amount=amount,
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
            self.payment.state = PaymentState.DECLINED
            self.payment.decline_code = str(code)
            self._log("payment_declined", "payment_gateway", {"code": str(code)})
            raise _Cancelled(CancelReason.PAYMENT_DECLINED, "payment_gateway") from err
        self.payment.state = PaymentState.AUTHORIZED
        self.payment.authorization_id = auth.authorization_id
        self.payment.authorized = auth.amount
        self._log("payment_authorized", "payment_gateway", {"amount": auth.amount})

    # -- fulfilment ----------------------------------------------------------------------

    async def _fulfil(self, steps: list[tuple[SourcingPlan, str]]) -> None:
        await self._set_status(OrderStatus.IN_FULFILMENT, "fulfilment_started", actor="system")
        pending: dict[asyncio.Future[Any], str] = {}
        for plan, step in steps:
            if plan.allocations:
                for fut, fid in await self._start_children(plan, step=step):
                    pending[fut] = fid
        while pending or self._awaiting:
            short_reported = asyncio.ensure_future(
                workflow.wait_condition(lambda: bool(self._picked_short))
            )
            # Backordered units: sourced again on a timer while the rest is fulfilled.
            stock_try = asyncio.ensure_future(self._next_stock_try()) if self._awaiting else None
            waits: list[asyncio.Future[Any]] = [*pending, short_reported]
            if stock_try is not None:
                waits.append(stock_try)
            done, _ = await workflow.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if not short_reported.done():
                short_reported.cancel()
            if stock_try is not None and not stock_try.done():
                stock_try.cancel()
            if stock_try is not None and stock_try in done:
                step = f"stock-{self._stock_tries}"
                more = await self._source(stock_try.result(), step=step)
                self._give_up_waiting()
                if more.allocations:
                    for fut, new_fid in await self._start_children(more, step=step):
                        pending[fut] = new_fid
            # A short pick is re-sourced as soon as it is reported, while the rest of that
            # fulfilment is still being packed and shipped.
            for fid, shorts in list(self._picked_short.items()):
                del self._picked_short[fid]
                if fid not in self._shorts_handled and workflow.patched("reroute-at-pick"):
                    await self._reroute(fid, shorts, pending)
            for fut in done:
                if fut is short_reported or fut is stock_try:
                    continue
                fid = pending.pop(fut)
                view = self._outcome(fid, fut)
                await self._settle(view)
                shorts = [
                    Demand(line_id=line.line_id, sku=line.sku, qty=line.short)
                    for line in view.lines
                    if line.short > 0
                ]
                if shorts and fid not in self._shorts_handled:
                    await self._reroute(fid, shorts, pending)
        await self._finish()

    async def _reroute(
        self, fid: str, shorts: list[Demand], pending: dict[asyncio.Future[Any], str]
    ) -> None:
        """Source what a location could not pick once more, elsewhere; past the allowed
        number of re-routes, those units are cancelled."""
        self._shorts_handled.add(fid)
        location_id = self.fulfilments[fid].location_id
        self._excluded.add(location_id)
        if self._reroutes >= self.inp.policy.max_reroutes or self._cancel:
            for d in shorts:
                self.book.cancel_units(d.line_id, d.qty, "short_pick")
            return
        self._reroutes += 1
        step = f"reroute-{self._reroutes}"
        plan = await self._source(shorts, step=step)
        await self._set_status(
            OrderStatus.IN_FULFILMENT,
            "rerouted",
            actor="sourcing",
            detail={"from": location_id, "step": step},
        )
        for fut, new_fid in await self._start_children(plan, step=step):
            pending[fut] = new_fid

    def _outcome(self, fid: str, fut: asyncio.Future[Any]) -> FulfilmentView:
        """What a finished child did. One that failed (the carrier refused the address) or
        was cancelled by ops shipped nothing: its units go back to sourcing like a rejection."""
        try:
            view: FulfilmentView = fut.result()
            return view
        except (Exception, asyncio.CancelledError) as err:
            summary = self.fulfilments[fid]
            self._log(
                "fulfilment_failed", summary.location_id, {"fulfilment_id": fid, "error": str(err)}
            )
            lines = [
                FulfilmentLine(line_id=a.line_id, sku=a.sku, quantity=a.qty, picked=0)
                for a in self.book.allocations_of(fid)
            ]
            return FulfilmentView(
                fulfilment_id=fid,
                order_id=self.order.id,
                location_id=summary.location_id,
                status=FulfilmentStatus.REJECTED,
                delivery_method=self.order.delivery.method,
                lines=lines,
            )

    async def _start_children(
        self, plan: SourcingPlan, *, step: str
    ) -> list[tuple[asyncio.Future[Any], str]]:
        started: list[tuple[asyncio.Future[Any], str]] = []
        delivery = self.order.delivery
        for location_id, allocs in plan.by_location().items():
            fid = fulfilment_id(self.order.id, len(self.fulfilments) + 1)
            lines = [FulfilmentLine(line_id=a.line_id, sku=a.sku, quantity=a.qty) for a in allocs]
            self.book.assign(fid, location_id, allocs)
            handle = await workflow.start_child_workflow(
                FulfilmentWorkflow.run,
                FulfilmentInput(
                    fulfilment_id=fid,
                    order_id=self.order.id,
                    location_id=location_id,
                    parent_workflow_id=workflow.info().workflow_id,
                    reservation_key=f"{self.order.id}:source:{step}",
                    delivery_method=delivery.method,
                    express=delivery.express,
                    address=delivery.address,
                    lines=lines,
                    pick_escalate_after_s=self.inp.policy.pick_escalate_after_s,
                ),
                id=fulfilment_workflow_id(fid),
            )
            # Shown only once the child exists, so that whoever reads the status can act on it.
            self.fulfilments[fid] = FulfilmentSummary(
                fulfilment_id=fid, location_id=location_id, status=FulfilmentStatus.AWAITING_PICK
            )
            self._children[fid] = handle
            started.append((handle, fid))
        locations = sorted({f.location_id for f in self.fulfilments.values()})
        workflow.upsert_search_attributes([FULFILMENT_LOCATIONS.value_set(locations)])
        self._log("fulfilments_created", "sourcing", {"fulfilments": [fid for _, fid in started]})
        return started

    async def _settle(self, view: FulfilmentView) -> None:
        """A fulfilment ended: record it and capture payment for what left the building."""
        self._settled.add(view.fulfilment_id)
        self._on_progress(FulfilmentProgress.of(view))
        if not view.status.has_left_the_building:
            self._log(
                "fulfilment_rejected", view.location_id, {"fulfilment_id": view.fulfilment_id}
            )
            return
        amount = sum(
            (line.picked or 0) * self.order.line(line.line_id).unit_price for line in view.lines
        )
        self._log(
            f"fulfilment_{view.status.value.lower()}",
            view.location_id,
            {"fulfilment_id": view.fulfilment_id, "tracking": view.tracking_number},
        )
        if amount and self.payment.authorization_id:
            try:
                cap = await workflow.execute_activity_method(
                    PaymentActivities.capture_payment,
                    CaptureRequest(
                        order_id=self.order.id,
                        shipment_key=view.fulfilment_id,
                        authorization_id=self.payment.authorization_id,
                        amount=amount,
                        currency=self.order.currency,
                    ),
                    **SETTLEMENT_ACTIVITY,
                )
            except ActivityError as err:
                # The goods are gone: never compensate for them. Someone must collect the
                # money by hand; the order goes on and says so.
                self.payment.capture_failures.append(view.fulfilment_id)
                self._log(
                    "payment_capture_failed",
                    "payment_gateway",
                    {
                        "fulfilment_id": view.fulfilment_id,
                        "amount": amount,
                        "error": str(err.cause or err),
                    },
                )
                await workflow.execute_activity_method(
                    OrderActivities.open_task,
                    OpenTask(
                        task_id=f"payment-exception-{view.fulfilment_id}",
                        kind="payment_exception",
                        order_id=self.order.id,
                        workflow_id=workflow.info().workflow_id,
                        payload={
                            "fulfilment_id": view.fulfilment_id,
                            "amount": amount,
                            "currency": self.order.currency,
                        },
                    ),
                    **DB_ACTIVITY,
                )
                await self._emit(
                    f"payment.capture_failed.{view.fulfilment_id}",
                    {"fulfilment_id": view.fulfilment_id, "amount": amount},
                )
                return
            self.payment.captured += cap.amount
            self.payment.state = PaymentState.PARTIALLY_CAPTURED
            self._log(
                "payment_captured",
                "payment_gateway",
                {"amount": cap.amount, "fulfilment_id": view.fulfilment_id},
            )

    async def _finish(self) -> None:
        if self.payment.authorization_id and self.payment.captured < self.payment.authorized:
            await self._void()
        if self.payment.captured and self.payment.captured >= self.payment.authorized:
            self.payment.state = PaymentState.CAPTURED
        await self._release()
        if self.book.shipped_units() == 0:
            raise _Cancelled(CancelReason.OUT_OF_STOCK, "fulfilment")
        await self._set_status(
            OrderStatus.COMPLETED,
            "order_completed",
            actor="system",
            detail={"captured": self.payment.captured},
        )
        await self._emit("order.completed", {"captured": self.payment.captured})

    # -- cancellation and compensation ----------------------------------------------------

    @workflow.update
    def cancel(self, req: CancelRequest) -> CancelResult:
        refusal = self._cancel_refusal()
        if refusal:
            return CancelResult(accepted=False, status=self.status, reason=refusal)
        self._cancel = req
        if self._main is not None and not self._main.done():
            self._main.cancel()
        self._log("cancel_accepted", req.actor, {"reason": req.reason.value, "note": req.note})
        return CancelResult(accepted=True, status=self.status)

    def _cancel_refusal(self) -> str | None:
        if self.status.is_final:
            return f"order is already {self.status.value}"
        if self._cancel is not None:
            return "order is already being cancelled"
        if any(f.status.has_left_the_building for f in self.fulfilments.values()):
            return "part of the order has already shipped or been collected"
        if self.order.delivery.method is DeliveryMethod.SHIP and any(
            f.status is FulfilmentStatus.PACKED for f in self.fulfilments.values()
        ):
            return "part of the order is packed and being handed to the carrier"
        return None

    async def _compensate(self, reason: CancelReason, actor: str) -> None:
        for fid, handle in self._children.items():
            summary = self.fulfilments[fid]
            if not handle.done() and not summary.status.is_final:
                handle.cancel()
        for fid, handle in self._children.items():
            try:
                view: FulfilmentView = await handle
            except (Exception, asyncio.CancelledError):
                continue  # a cancelled or failed child has already cleaned up after itself
            if view.status.has_left_the_building and fid not in self._settled:
                await self._settle(view)  # it shipped before the cancel reached it: charge it
        await self._release()
        if self.payment.authorization_id and self.payment.state not in (
            PaymentState.VOIDED,
            PaymentState.DECLINED,
        ):
            await self._void()
        closed = await workflow.execute_activity_method(
            OrderActivities.close_order_tasks, self.order.id, **DB_ACTIVITY
        )
        self.book.cancel_rest(reason.value)
        self.cancel_reason = reason
        await self._set_status(
            OrderStatus.CANCELLED,
            "order_cancelled",
            actor=actor,
            detail={"reason": reason.value, "tasks_closed": closed},
        )
        await self._emit("order.cancelled", {"reason": reason.value})

    async def _release(self) -> None:
        units = await workflow.execute_activity_method(
            InventoryActivities.release_reservations,
            ReleaseRequest(order_id=self.order.id),
            **DB_ACTIVITY,
        )
        if units:
            self._log("reservations_released", "system", {"units": units})

    async def _void(self) -> None:
        assert self.payment.authorization_id is not None
        void = await workflow.execute_activity_method(
            PaymentActivities.void_payment,
            VoidRequest(order_id=self.order.id, authorization_id=self.payment.authorization_id),
            **SETTLEMENT_ACTIVITY,
        )
        self.payment.voided = void.voided_amount
        if self.payment.captured == 0:
            self.payment.state = PaymentState.VOIDED
        self._log("payment_voided", "payment_gateway", {"amount": void.voided_amount})

    # -- messages ------------------------------------------------------------------------

    @workflow.signal
    def fraud_decision(self, decision: FraudReviewDecision) -> None:
        # Not only while AWAITING_REVIEW: the task is visible as soon as it is stored, and an
        # analyst may answer before this run has recorded that it waits for them.
        if self.review is None and not self.status.is_final:
            self.review = decision

    @workflow.signal
    def fulfilment_progress(self, progress: FulfilmentProgress) -> None:
        self._on_progress(progress)

    def _on_progress(self, p: FulfilmentProgress) -> None:
        summary = self.fulfilments.get(p.fulfilment_id)
        if summary is None:
            return
        summary.status = p.status
        summary.tracking_number = p.tracking_number or summary.tracking_number
        summary.carrier = p.carrier or summary.carrier
        self.book.progress(p.fulfilment_id, p.status, p.picked)
        if p.status is FulfilmentStatus.PICKED and p.fulfilment_id not in self._shorts_handled:
            shorts = [
                Demand(line_id=a.line_id, sku=a.sku, qty=a.qty - p.picked[a.line_id])
                for a in self.book.allocations_of(p.fulfilment_id)
                if a.line_id in p.picked and p.picked[a.line_id] < a.qty
            ]
            if shorts:
                self._picked_short[p.fulfilment_id] = shorts

    @workflow.query(name="status")
    def status_view(self) -> OrderView:
        return self._view()

    # -- helpers -------------------------------------------------------------------------

    def _log(
        self,
        type_: str,
        actor: str,
        detail: dict[str, Any] | None = None,
        status: OrderStatus | None = None,
    ) -> None:
        self._updated_at = workflow.now()
        self.timeline.append(
            TimelineEntry(
                at=self._updated_at, type=type_, status=status, actor=actor, detail=detail or {}
            )
        )

    async def _set_status(
        self, status: OrderStatus, type_: str, *, actor: str, detail: dict[str, Any] | None = None
    ) -> None:
        self.status = status
        self._log(type_, actor, detail, status=status)
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
        events = [(i, e) for i, e in enumerate(self.timeline) if i >= self._recorded]
        await workflow.execute_local_activity_method(
            OrderActivities.record_progress,
            RecordProgress(
                order_id=self.order.id,
                status=status,
                cancel_reason=self.cancel_reason,
                fraud_score=self.fraud.score if self.fraud else None,
                fraud_decision=(self.fraud.review_decision or self.fraud.decision)
                if self.fraud
                else None,
                fulfilment_locations=sorted({f.location_id for f in self.fulfilments.values()}),
                events=events,
            ),
            **LOCAL_ACTIVITY,
        )
        self._recorded = len(self.timeline)

    async def _emit(self, type_: str, payload: dict[str, Any]) -> None:
        await workflow.execute_local_activity_method(
            OrderActivities.emit_event,
            EmitEvent(
                event_id=f"{self.order.id}:{type_}",
                type=type_,
                order_id=self.order.id,
                payload={"order_id": self.order.id, **payload},
            ),
            **LOCAL_ACTIVITY,
        )

    def _view(self) -> OrderView:
        o = self.order
        return OrderView(
            order_id=o.id,
            workflow_id=workflow.info().workflow_id,
            status=self.status,
            cancel_reason=self.cancel_reason,
            channel=o.channel,
            customer_id=o.customer.id,
            customer_tier=o.customer.tier.value,
            currency=o.currency,
            total=o.total,
            delivery_method=o.delivery.method.value,
            lines=self.book.views(),
            fraud=self.fraud,
            payment=self.payment,
            fulfilments=list(self.fulfilments.values()),
            timeline=self.timeline,
            created_at=self.inp.received_at,
            updated_at=self._updated_at,
        )
