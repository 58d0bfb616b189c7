"""What an order run writes and shows: its status changes, the read model and the outbox,
and what ops read of it and of its children in Temporal (search attributes, summaries, current
details). The base of ``OrderSteps``; no step of the order's own lives here.

A lean run keeps its changes in ``OrderState`` and writes them once where it next waits or
ends (``_flush``); a run recorded before the lean patch writes each change as it happens.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, SearchAttributeUpdate, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():
    from oms.contracts.orders import CancelRequest
    from oms.contracts.read_model import EmitEvent, RecordProgress
    from oms.domain.fulfilment import FulfilmentLine, FulfilmentStatus
    from oms.domain.order import OrderIn, OrderState, OrderStatus, TimelineEntry
    from oms.domain.order.run_info import (
        WaitingOn,
        fulfilment_details,
        fulfilment_summary,
        order_current_details,
        waiting_on,
    )
    from oms.keys import order_event_id
    from oms.metrics import order_left_status
    from oms.temporal import (
        CANCEL_REASON,
        CHANNEL,
        CUSTOMER_TIER,
        DUE_AT,
        FULFILMENT_LOCATIONS,
        FULFILMENT_STATUS,
        ORDER_ID,
        ORDER_STATUS,
        ORDER_TOTAL,
        STATUS_SINCE,
        WAITING_ON,
    )
    from workflows import calls
    from workflows.patch_levels import OrderPatches
    from workflows.policies import LOCAL_ACTIVITY


class OrderRecords(OrderPatches):
    """The order's state, and what the run writes and shows of it."""

    state: OrderState
    _lean = False
    _due_at: datetime | None = None
    _due_shown = False
    _cancel: CancelRequest | None = None
    _compensating = False
    # The compensation has begun in a run that lets its handlers finish (HANDLERS_FINISH):
    # an edit under way ends first, and an edit waiting on the main flow stops waiting.
    _closing = False
    _shown: tuple[Any, ...] = ()
    _outbox: list[EmitEvent]

    @property
    def order(self) -> OrderIn:
        return self.state.order

    def _checkpoint(self) -> None:
        """Between two steps of a lean run's main flow: an accepted cancel stops it here.
        Asking the running step to stop is not enough: a step that completes while the
        cancel is being delivered (a local activity often does) absorbs it."""
        if self._cancel is not None and not self._compensating:
            raise asyncio.CancelledError()

    async def _set_status(
        self, status: OrderStatus, type_: str, actor: str, detail: dict[str, Any] | None = None
    ) -> None:
        state = self.state
        if self._lean:
            left, since = state.status, state.status_since
            state.set_status(status, type_, actor, workflow.now(), detail)
            if status is not left:
                seconds = (state.status_since - since).total_seconds()
                order_left_status(workflow.metric_meter(), status=left, seconds=seconds)
            workflow.set_current_details(order_current_details(state, self._due_at))
            return  # written where the run next stops to wait (_flush)
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
            calls.record_progress, self._progress(state.unrecorded()), **LOCAL_ACTIVITY
        )
        state.mark_recorded()

    def _progress(
        self, events: list[tuple[int, TimelineEntry]], emit: list[EmitEvent] | None = None
    ) -> RecordProgress:
        """The read model's row and these timeline entries and outbox events, as they stand."""
        state = self.state
        return RecordProgress(
            order_id=self.order.id,
            status=state.status,
            cancel_reason=state.cancel_reason,
            fraud_score=state.fraud.score if state.fraud else None,
            fraud_decision=state.fraud_decision,
            fulfilment_locations=state.fulfilment_locations,
            events=events,
            emit=emit or [],
            edited=self.order if state.edits else None,
        )

    def _on_show(self) -> tuple[Any, ...]:
        """What the search attributes show of the order; they change when this does."""
        state = self.state
        return (
            state.status,
            waiting_on(state),
            state.status_since,
            self._due_at,
            state.cancel_reason,
            tuple(state.fulfilment_locations),
        )

    def _show_outdated(self) -> bool:
        return self._lean and self._on_show() != self._shown

    def _show(self) -> None:
        """The run's search attributes and current details, as ops filter and read them (one
        upsert, and only when something shown changed)."""
        shown = self._on_show()
        if shown == self._shown:
            return
        self._shown = shown
        state, o = self.state, self.order
        updates: list[SearchAttributeUpdate[Any]] = [
            ORDER_ID.value_set(o.id),
            ORDER_STATUS.value_set(state.status.value),
            CHANNEL.value_set(o.channel),
            CUSTOMER_TIER.value_set(o.customer.tier.value),
            ORDER_TOTAL.value_set(o.total),
            WAITING_ON.value_set(waiting_on(state).value),
            STATUS_SINCE.value_set(state.status_since),
            FULFILMENT_LOCATIONS.value_set(state.fulfilment_locations),
        ]
        if state.cancel_reason is not None:
            updates.append(CANCEL_REASON.value_set(state.cancel_reason.value))
        # DueAt only while a deadline runs; unset only what was set (the time-skipping test
        # server keeps an unset attribute as a null).
        if self._due_at is not None:
            updates.append(DUE_AT.value_set(self._due_at))
            self._due_shown = True
        elif self._due_shown:
            updates.append(DUE_AT.value_unset())
            self._due_shown = False
        workflow.upsert_search_attributes(updates)
        workflow.set_current_details(order_current_details(state, self._due_at))

    async def _flush(self) -> None:
        """Lean runs: bring the read model, the outbox and the search attributes up to the
        order's state in one local activity, where the run stops to wait or ends."""
        if not self._lean:
            return
        state = self.state
        events = state.unrecorded()
        emit, self._outbox = self._outbox, []
        self._show()
        if not events and not emit:
            return
        recorded = len(state.timeline)
        workflow.logger.info(
            "order_status_changed", extra={"order_id": self.order.id, "status": state.status.value}
        )
        await workflow.execute_local_activity(
            calls.record_progress,
            self._progress(events, emit),
            summary=f"record {state.status.value} ({len(events)} events)",
            **LOCAL_ACTIVITY,
        )
        state.recorded = max(state.recorded, recorded)
        self._checkpoint()

    async def _emit(self, type_: str, payload: dict[str, Any], once_per: str | None = None) -> None:
        """Write an event of the order: once per type, or per type and ``once_per`` (a type
        the order has more than one of, such as an invoice per fulfilment)."""
        event = EmitEvent(
            event_id=order_event_id(self.order.id, f"{type_}.{once_per}" if once_per else type_),
            type=type_,
            order_id=self.order.id,
            payload={"order_id": self.order.id, **payload},
        )
        if self._lean:
            self._outbox.append(event)  # written with the progress it announces
            return
        await workflow.execute_local_activity(calls.emit_event, event, **LOCAL_ACTIVITY)

    def _child_start(
        self, fid: str, location_id: str, lines: list[FulfilmentLine]
    ) -> dict[str, Any]:
        """What ops see of a child from its start: summary, details, search attributes."""
        now = workflow.now()
        delivery = self.order.delivery
        return {
            "static_summary": fulfilment_summary(
                fid,
                self.order.id,
                location_id,
                sum(line.quantity for line in lines),
                delivery.method,
                delivery.express,
            ),
            "static_details": fulfilment_details(
                location_id, [(line.line_id, line.sku, line.quantity) for line in lines]
            ),
            "search_attributes": TypedSearchAttributes(
                [
                    SearchAttributePair(ORDER_ID, self.order.id),
                    SearchAttributePair(FULFILMENT_STATUS, FulfilmentStatus.AWAITING_PICK.value),
                    SearchAttributePair(FULFILMENT_LOCATIONS, [location_id]),
                    SearchAttributePair(WAITING_ON, WaitingOn.STORE.value),
                    SearchAttributePair(STATUS_SINCE, now),
                    SearchAttributePair(
                        DUE_AT, now + timedelta(seconds=self.state.policy.pick_escalate_after_s)
                    ),
                ]
            ),
        }
