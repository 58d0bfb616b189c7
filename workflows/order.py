"""OrderWorkflow: one order from checkout to doorstep.

The order's rules live in ``oms.domain.order.OrderState``; this module keeps what Temporal does
for it: activities, timers, child fulfilments, signals and updates.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from oms.contracts.fulfilment import EditAnswer, FulfilmentInput
    from oms.contracts.orders import (
        CancelRequest,
        OrderWorkflowInput,
        cancelled_event,
        confirmed_event,
    )
    from oms.domain.fraud import FraudReviewDecision
    from oms.domain.fulfilment import (
        FulfilmentLine,
        FulfilmentProgress,
        FulfilmentView,
    )
    from oms.domain.order import CancelReason, OrderState, OrderStatus, OrderView
    from oms.domain.order.payment_recovery import PaymentResolution
    from oms.domain.order.pickup import PickupStoreChange
    from oms.domain.sourcing import Demand, SourcingPlan
    from oms.domain.sourcing.profiles import UnplacedAction
    from oms.keys import (
        INITIAL_STEP,
        fulfilment_workflow_id,
        step_key,
    )
    from oms.metrics import order_finished
    from oms.temporal import (
        FULFILMENT_LOCATIONS,
    )
    from workflows import calls
    from workflows.fulfilment import FulfilmentWorkflow
    from workflows.order_cancel import HANDLERS_FINISH, CancelUpdate
    from workflows.order_delivery import Move
    from workflows.order_patches import ORDER_CONFIRMED, PATCHES_AT_START
    from workflows.order_payments import PaymentRecovery
    from workflows.order_pickup import PickupStoreEdit
    from workflows.order_steps import CancelledByRule, OrderSteps, Step
    from workflows.policies import DB_ACTIVITY


# Fulfilments run the steps of their location's fulfilment profile (revision 3).
PROFILED = "fulfilment-profiles"
# Since reason codes are data: a short whose code's routing is cancel_units is cancelled.
SHORT_ROUTING_BY_REASON = "short-routing-by-reason-code"


@workflow.defn
class OrderWorkflow(CancelUpdate, OrderSteps, PaymentRecovery, PickupStoreEdit):
    """Record -> fraud check -> source and reserve -> authorize -> fulfil -> capture -> done.

    Signals: ``fraud_decision(FraudReviewDecision)`` from the analyst's task;
    ``fulfilment_progress(FulfilmentProgress)`` from child fulfilments.
    Updates: ``cancel(CancelRequest) -> CancelResult``: accepted until something has shipped
    (workflows.order_cancel: asked again while it is being cancelled, answered as accepted);
    ``resolve_payment(PaymentResolution)``: customer service's decision on a refused capture;
    ``cancel_line``, ``change_delivery``, ``add_service``, ``change_pickup_store`` ->
    ``EditResult``: order edits before the point of no return (workflows.order_edits,
    .order_delivery, .order_pickup; signal ``edit_answered``).
    Queries: ``status -> OrderView``.
    Compensations (release reservations, void the authorization, close open tasks) run on
    every way out that is not completion, including a Temporal cancellation.
    """

    @workflow.init
    def __init__(self, inp: OrderWorkflowInput) -> None:
        self.state = OrderState(inp.order, inp.received_at, inp.policy)
        self._take_level(inp.patch_level)
        self._cancel: CancelRequest | None = None
        self._main: asyncio.Task[None] | None = None
        self._children: dict[str, Any] = {}
        self._resolutions: list[PaymentResolution] = []
        self._reauthorizations = 0
        self._to_move: list[Move] = []
        self._moved: dict[int, list[str]] = {}
        self._store_edits: dict[int, PickupStoreChange] = {}
        self._store_outcomes: dict[int, EditAnswer | None] = {}
        self._edit_answers: dict[tuple[str, int], EditAnswer] = {}
        self._uninvoiced: dict[str, FulfilmentView] = {}

    # -- run -----------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: OrderWorkflowInput) -> OrderView:
        self._begin()
        if self._lean and inp.patches_at_start:  # a level's own patches ask no marker
            for patch in PATCHES_AT_START:
                self._patched(patch)
        self._main = asyncio.ensure_future(self._process())
        if self._cancel is not None:  # accepted before the run began
            self._main.cancel()
        try:
            await self._main
        except CancelledByRule as c:
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
        return self.state.view()

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
        o = self.order
        detail = {"total": o.total, "lines": len(o.lines)}
        await self._set_status(OrderStatus.RECEIVED, "order_received", o.channel, detail)
        await self._fraud_check()
        plan = await self._source(self.state.book.demands(), INITIAL_STEP)
        steps: list[Step] = [(plan, INITIAL_STEP)]
        if self.state.awaiting and plan.unplaced_action is UnplacedAction.HOLD:
            steps += await self._hold_for_stock()
        if not any(p.allocations for p, _ in steps) and not self.state.awaiting:
            raise CancelledByRule(CancelReason.OUT_OF_STOCK, "sourcing")
        await self._authorize()
        await self._fulfil(steps)

    # -- fulfilment ----------------------------------------------------------------------

    async def _fulfil(self, steps: list[Step]) -> None:
        await self._set_status(OrderStatus.IN_FULFILMENT, "fulfilment_started", "system")
        pending: dict[asyncio.Future[Any], str] = {}
        for plan, step in steps:
            if plan.allocations:
                pending.update(await self._start_children(plan, step))
        state = self.state
        if self._lean and self._patched(ORDER_CONFIRMED):
            placed = {fid: state.book.allocations_of(fid) for fid in pending.values()}
            await self._emit("order.confirmed", confirmed_event(self.order, placed))
        while pending or state.awaiting:
            short_reported = asyncio.ensure_future(
                # A lean run also wakes to show a change the children told it of (a parcel
                # ready: the order now waits on the customer), or to stop for a cancel.
                workflow.wait_condition(
                    lambda: (
                        bool(state.reported_shorts)
                        or bool(self._to_move)  # a delivery change moves a fulfilment
                        or (self._lean and self._cancel is not None)
                        or self._show_outdated()
                    )
                )
            )
            # Backordered units: sourced again on a timer while the rest is fulfilled.
            stock_try = asyncio.ensure_future(self._next_stock_try()) if state.awaiting else None
            waits: list[asyncio.Future[Any]] = [*pending, short_reported]
            if stock_try is not None:
                waits.append(stock_try)
            await self._flush()
            done, _ = await workflow.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if not short_reported.done():
                short_reported.cancel()
            if stock_try is not None and not stock_try.done():
                stock_try.cancel()
            if self._lean:
                self._checkpoint()
            tried = stock_try.result() if stock_try is not None and stock_try in done else None
            if tried is not None:  # None: line cancels took every unit that waited
                more, step = await self._stock_try(*tried)
                if more.allocations:
                    pending.update(await self._start_children(more, step))
            if self._to_move:
                await self._move_all(pending)
            # A short pick is re-sourced as soon as it is reported, while the rest of that
            # fulfilment is still being packed and shipped.
            for fid, shorts in state.take_reported_shorts():
                if self._patched("reroute-at-pick"):
                    await self._reroute(fid, shorts, pending)
            for fut in done:
                if fut is short_reported or fut is stock_try:
                    continue
                fid = pending.pop(fut)
                await self._settle_ended(self._outcome(fid, fut), pending)
                shorts = state.shorts_after(fid)
                if shorts:
                    await self._reroute(fid, shorts, pending)
        self._finishing = True  # no edit from here on; the one under way ends first
        if self._editing:
            await workflow.wait_condition(lambda: not self._editing)
        await self._finish()

    async def _reroute(
        self, fid: str, shorts: list[Demand], pending: dict[asyncio.Future[Any], str]
    ) -> None:
        """Source what a location could not pick once more, elsewhere (or cancel it)."""
        state = self.state
        if state.book.cancels_short(fid) and self._patched(SHORT_ROUTING_BY_REASON):
            # The short's reason code says its units are cancelled, not sourced again.
            rest = state.book.cancel_short(fid, shorts)
            cancelled = [d.model_dump() for d in shorts if d not in rest]
            if self._patched("short-cancel-reasons"):  # each names its code, message key
                cancelled = [
                    {**c, **state.book.why_cancelled(fid, c["line_id"])} for c in cancelled
                ]
            state.log("short_cancelled", "reason_code", workflow.now(), {"units": cancelled})
            if not rest:
                state.shorts_handled.add(fid)
                return
            shorts = rest
        step = state.reroute(fid, shorts, cancelling=self._cancel is not None)
        if step is None:
            return
        plan = await self._source(shorts, step)
        location_id = self.state.fulfilments[fid].location_id
        detail = {"from": location_id, "step": step}
        await self._set_status(OrderStatus.IN_FULFILMENT, "rerouted", "sourcing", detail)
        pending.update(await self._start_children(plan, step))

    def _outcome(self, fid: str, fut: asyncio.Future[Any]) -> FulfilmentView:
        try:
            view: FulfilmentView = fut.result()
            return view
        except (Exception, asyncio.CancelledError) as err:
            return self.state.failed_fulfilment(fid, str(err), workflow.now())

    async def _start_children(self, plan: SourcingPlan, step: str) -> dict[Any, str]:
        started: dict[Any, str] = {}
        delivery = self.order.delivery
        for location_id, allocs in plan.by_location().items():
            fid = self.state.next_fulfilment_id()
            profile = plan.fulfilment_profiles.get(location_id)
            transfer_to = plan.transfers.get(location_id)  # a transfer to the collection store
            # Since fulfilment profiles: the location's steps, and the lines' services.
            profiled = self._lean and profile is not None and self._patched(PROFILED)
            lines = [
                FulfilmentLine(
                    line_id=a.line_id,
                    sku=a.sku,
                    quantity=a.qty,
                    services=list(self.order.line(a.line_id).services) if profiled else [],
                )
                for a in allocs
            ]
            self.state.book.assign(fid, location_id, allocs)
            extra: dict[str, Any] = self._child_start(fid, location_id, lines) if self._lean else {}
            handle = await workflow.start_child_workflow(
                FulfilmentWorkflow.run,
                FulfilmentInput(
                    fulfilment_id=fid,
                    order_id=self.order.id,
                    location_id=location_id,
                    parent_workflow_id=workflow.info().workflow_id,
                    reservation_key=step_key(self.order.id, step),
                    delivery_method=delivery.method,
                    express=delivery.express,
                    address=plan.transfer_address if transfer_to else delivery.address,
                    lines=lines,
                    pick_escalate_after_s=self.state.policy.pick_escalate_after_s,
                    revision=3 if profiled else 2 if self._lean else 1,
                    profile=profile if profiled else None,
                    transfer_to=transfer_to,
                    collection_profile=plan.fulfilment_profiles.get(transfer_to or ""),
                    # The order's own level, so that a run started before the level was rolled
                    # out starts no child of it (a worker of before could take that child).
                    patch_level=self._patch_level,
                ),
                id=fulfilment_workflow_id(fid),
                **extra,
            )
            self.state.fulfilment_started(fid, location_id)
            self._children[fid] = handle
            started[handle] = fid
        if not self._lean:  # a lean run shows them where it next waits
            workflow.upsert_search_attributes(
                [FULFILMENT_LOCATIONS.value_set(self.state.fulfilment_locations)]
            )
        self.state.log(
            "fulfilments_created",
            "sourcing",
            workflow.now(),
            {"fulfilments": list(started.values())},
        )
        return started

    async def _finish(self) -> None:
        await self._recover_payments()  # none pending in runs from before the patch
        if self.state.should_void_at_completion():
            await self._void()
        self.state.payment_settled()
        await self._release()
        if self.state.nothing_shipped():
            raise CancelledByRule(self.state.nothing_shipped_reason(), "fulfilment")
        detail = {"captured": self.state.payment.captured}
        await self._set_status(OrderStatus.COMPLETED, "order_completed", "system", detail)
        await self._emit("order.completed", detail)
        await self._flush()
        await self._tell_the_return()
        await self._handlers_finish()
        order_finished(
            workflow.metric_meter(), channel=self.order.channel, outcome="completed", reason=None
        )

    # -- cancellation and compensation ----------------------------------------------------

    async def _compensate(self, reason: CancelReason, actor: str) -> None:
        self._compensating, self._cancelling_for = True, reason
        self._closing = self._patched(HANDLERS_FINISH)
        code = self._cancellation_code(reason)
        for fid, handle in self._children.items():
            if not handle.done() and not self.state.fulfilments[fid].status.is_final:
                handle.cancel()
        for fid, handle in self._children.items():
            try:
                view: FulfilmentView = await handle
            except (Exception, asyncio.CancelledError):
                # A cancelled or failed child has already cleaned up after itself.
                self.state.fulfilment_cancelled(fid)
                continue
            if view.status.is_charged and fid not in self.state.settled:
                await self._settle(view)  # it shipped before the cancel reached it: charge it
        if self._closing:  # an edit under way ends first: what it authorized is voided below
            await workflow.wait_condition(lambda: not self._editing)
        await self._release(code.stock_effect if code else None)
        if self.state.should_void_at_cancel():
            await self._void()
        closed = await self._act(
            calls.close_order_tasks, self.order.id, DB_ACTIVITY, "close the order's open tasks"
        )
        self.state.cancelled(reason)
        self._due_at = None
        detail = {"reason": reason.value, "tasks_closed": closed}
        await self._set_status(OrderStatus.CANCELLED, "order_cancelled", actor, detail)
        await self._emit("order.cancelled", cancelled_event(reason, code))
        await self._flush()
        await self._tell_the_return()
        await self._handlers_finish()
        order_finished(
            workflow.metric_meter(),
            channel=self.order.channel,
            outcome="cancelled",
            reason=reason,
        )

    # -- messages ------------------------------------------------------------------------

    @workflow.signal
    def fraud_decision(self, decision: FraudReviewDecision) -> None:
        self.state.receive_review(decision)

    @workflow.signal
    def fulfilment_progress(self, progress: FulfilmentProgress) -> None:
        self.state.progress(progress)

    @workflow.query(name="status")
    def status_view(self) -> OrderView:
        return self.state.view()
