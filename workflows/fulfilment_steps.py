"""Revision 3 of the fulfilment run: the steps of the location's fulfilment profile.

``ProfiledSteps`` is the base of ``FulfilmentWorkflow``: it walks the profile's steps for the
fulfilment's delivery method (oms.domain.fulfilment_profiles) in order, each one waiting for
the staff's report under the step's own deadline (escalated past ``due``: the step flagged, a
``fulfilment.overdue`` event; a pick past ``reject_after`` rejects the fulfilment, and the
order sources its units elsewhere). Staff complete a step (``complete_step``), skip one the
profile lets them (``skip_step``) and hand a parcel over by its label (``handover``); the
collection counter (``collect``) and its hold are ``workflows.collection``'s. Pick and pack
keep their own updates (``FulfilmentWorkflow.pick``, ``.pack``). A transfer to a collection
store adds its receipt there (``workflows.fulfilment_transfer``: the ``receive`` update).
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from oms.contracts.fulfilment import (
        CollectUnits,
        CommitPick,
        ConsumeRequest,
        DropUnits,
        FulfilmentInput,
        Restock,
        SaveFulfilment,
    )
    from oms.contracts.read_model import EmitEvent
    from oms.domain.errors import ErrorCode
    from oms.domain.fulfilment import FulfilmentStatus, FulfilmentView
    from oms.domain.fulfilment_profiles import DEFAULT_PROFILE, Step, StepType
    from oms.domain.fulfilment_steps import (
        HandoverScan,
        SkipReport,
        StepReport,
        StepState,
        StepStatus,
        collection_code,
        skip_refusal,
        step_due,
        step_refusal,
    )
    from oms.domain.order.run_info import (
        FULFILMENT_WAITS,
        WaitingOn,
        fulfilment_current_details,
    )
    from oms.domain.reason_codes import ReasonEffects, RoutingEffect, StockEffect
    from oms.domain.tasks import TaskKind
    from oms.keys import fulfilment_event_id
    from oms.metrics import task_sla_breached
    from oms.temporal import DUE_AT, FULFILMENT_STATUS, STATUS_SINCE, WAITING_ON
    from workflows import calls
    from workflows.collection import COLLECTION_HOLD, CollectionSteps
    from workflows.fulfilment_transfer import TransferSteps
    from workflows.policies import LOCAL_ACTIVITY, condition_within
    from workflows.refusals import refuse


# A pick given up past its deadline: nothing left the shelf, the units are sourced elsewhere.
OVERDUE_EFFECTS = ReasonEffects(stock=StockEffect.NONE, routing=RoutingEffect.REROUTE)


class ProfiledSteps(TransferSteps, CollectionSteps):
    """The steps' run and the staff's updates; ``FulfilmentWorkflow`` supplies the pick,
    pack, carrier and storage it shares with the runs recorded before profiles."""

    inp: FulfilmentInput
    view: FulfilmentView
    _picked: bool
    _packed: bool
    _pick_due: datetime | None
    # An order edit is being written (the pick is refused meanwhile); every unit was taken
    # out by edits (the run ends cancelled, nothing to pick): ``workflows.fulfilment_edits``.
    _editing = False
    _held: int | None = None  # the order edit held here until applied or let go
    _emptied = False

    # Provided by FulfilmentWorkflow.
    async def _tell_order(self) -> None:  # pragma: no cover
        raise NotImplementedError

    async def _book_carrier(self) -> None:  # pragma: no cover
        raise NotImplementedError

    async def _consumed(
        self, summary: str, *, emit: list[EmitEvent] | None = None
    ) -> None:  # pragma: no cover
        raise NotImplementedError

    async def _despite_cancel(self, work: Coroutine[Any, Any, None]) -> None:  # pragma: no cover
        raise NotImplementedError

    async def _store(
        self,
        summary: str,
        *,
        pick_due: bool = False,
        commit: CommitPick | None = None,
        consume: ConsumeRequest | None = None,
        collect: CollectUnits | None = None,
        release: ConsumeRequest | None = None,
        restock: Restock | None = None,
        emit: list[EmitEvent] | None = None,
        drop: DropUnits | None = None,
    ) -> None:
        """One local activity: the row, its pick task and, in the same transaction, the
        ledger's part of the step and the events that announce it."""
        await workflow.execute_local_activity(
            calls.save_fulfilment,
            SaveFulfilment(
                view=self.view,
                workflow_id=workflow.info().workflow_id,
                pick_due_at=self._pick_due if pick_due else None,
                express=self.inp.express,
                commit=commit,
                consume=consume,
                collect=collect,
                release=release,
                restock=restock,
                emit=emit or [],
                drop=drop,
            ),
            summary=f"{summary} ({self.view.status.value})",
            **LOCAL_ACTIVITY,
        )

    def _show(self, *, due_at: datetime | None = None) -> None:
        """Search attributes and current details for ops: status, waiting on whom since when,
        and the pick deadline while it runs."""
        status = self.view.status
        who = FULFILMENT_WAITS.get(status, WaitingOn.NONE)
        now = workflow.now()
        workflow.upsert_search_attributes(
            [
                FULFILMENT_STATUS.value_set(status.value),
                WAITING_ON.value_set(who.value),
                STATUS_SINCE.value_set(now),
                DUE_AT.value_set(due_at) if due_at else DUE_AT.value_unset(),
            ]
        )
        workflow.set_current_details(
            fulfilment_current_details(
                status, now, self.inp.location_id, due_at, self.view.escalated
            )
        )

    async def _run_profiled(self, inp: FulfilmentInput) -> FulfilmentView:
        profile = inp.profile or DEFAULT_PROFILE
        view = self.view
        view.profile = f"{profile.id}@{profile.version}"
        to_run = self._steps_to_run()
        view.steps = [StepState.of(step) for step in to_run]
        steps = {s.key: s for s in to_run}
        for state in view.steps:
            await self._step(steps[state.key], state)
            if view.status is FulfilmentStatus.REJECTED or view.status.is_final:
                break
        self._show()
        return view

    async def _step(self, step: Step, state: StepState) -> None:
        state.status = StepStatus.ACTIVE
        state.started_at = workflow.now()
        default = (
            timedelta(seconds=self.inp.pick_escalate_after_s)
            if step.type is StepType.PICK
            else None
        )
        due = step_due(step, express=self.inp.express, default=default)
        state.due_at = state.started_at + due if due else None
        if step.type is StepType.VAS and not any(line.services for line in self.view.lines):
            self._finish(state, StepStatus.SKIPPED, "system", reason="no_service_asked")
            return
        if step.type is StepType.READY_FOR_COLLECTION:
            await self._ready_for_collection(state)
            return
        if step.type is StepType.COLLECTED and self._patched(COLLECTION_HOLD):
            await self._hold_for_collection(state)
            return
        if step.type is StepType.PICK:
            self._pick_due = state.due_at  # on the pick task and the row: waves sort by it
        self._show(due_at=state.due_at)
        await self._store(f"{state.key} under way", pick_due=step.type is StepType.PICK)
        await self._until_done(step, state)
        if self._emptied:  # an order edit took every unit: nothing to pick (fulfilment_edits)
            return
        if step.type is StepType.PICK:
            await self._after_pick(state)
        elif step.type is StepType.PACK:
            await self._after_pack(state)
        elif step.type is StepType.HANDOVER:
            await self._consumed(f"{state.key}: handed to the carrier", emit=self._left())
        elif step.type is StepType.RECEIVE:
            await self._store("received at the store", emit=self._received(state))
        elif step.type is StepType.COLLECTED:
            await self._consumed(f"{state.key}: collected")
        else:
            await self._store(f"{state.key} {state.status.value}")

    async def _until_done(self, step: Step, state: StepState) -> None:
        """Wait for the staff under the step's deadline: escalate once past due; a pick past
        ``reject_after`` more is given up (the fulfilment rejected, its units re-sourced)."""
        if state.due_at is None:
            await workflow.wait_condition(lambda: state.status.is_over)
            return
        seconds = (state.due_at - workflow.now()).total_seconds()
        if await condition_within(lambda: state.status.is_over, seconds, f"{state.key}: due"):
            return
        await self._escalate(state)
        limit = step.deadline.reject_after
        if limit is None or step.type is not StepType.PICK:
            await workflow.wait_condition(lambda: state.status.is_over)
            return
        if await condition_within(
            lambda: state.status.is_over, limit.total_seconds(), f"{state.key}: give up"
        ):
            return
        if self._editing:  # an order edit is being written: the pick given up is what it left
            await workflow.wait_condition(lambda: not self._editing)
        self._reject_overdue(state)

    async def _escalate(self, state: StepState) -> None:
        state.escalated = True
        self.view.escalated = True
        kind = TaskKind.PICK if state.type is StepType.PICK else TaskKind.VAS
        task_sla_breached(workflow.metric_meter(), kind=kind)
        overdue = self._event(
            "fulfilment.overdue", {"step": state.key, "due_at": state.due_at}, step=state.key
        )
        await self._store(
            f"{state.key} overdue", pick_due=state.type is StepType.PICK, emit=[overdue]
        )
        self._show(due_at=state.due_at)

    def _reject_overdue(self, state: StepState) -> None:
        if state.status.is_over:  # the pick came in with the timer that gave up on it
            return
        for line in self.view.lines:
            line.picked = 0
            line.short_reason = "overdue"
            line.short_effects = OVERDUE_EFFECTS
        self.view.status = FulfilmentStatus.REJECTED
        self._finish(state, StepStatus.DONE, "system", reason="overdue")
        self._picked = True

    async def _after_pick(self, state: StepState) -> None:
        commit = CommitPick(
            step_key=self.inp.reservation_key,
            location_id=self.inp.location_id,
            lines=self.view.lines,
        )
        await self._store("record the pick", commit=commit)
        if self.view.status is not FulfilmentStatus.REJECTED and self.view.short_picked:
            await self._tell_order()  # re-sourced at once, while the rest goes on

    async def _after_pack(self, state: StepState) -> None:
        if not self._ships:
            await self._store(f"{state.key} {state.status.value}")
            return
        # Packed is written before the carrier is called: an order's cancel reads these
        # rows, and must be refused from here on.
        await self._store("packed, to the carrier")
        await self._despite_cancel(self._to_the_carrier())

    async def _to_the_carrier(self) -> None:
        """Booked, and gone at once unless the profile waits for the carrier's pick-up."""
        await self._book_carrier()
        if not any(s.type is StepType.HANDOVER for s in self.view.steps):
            await self._consumed("shipped", emit=self._left())
        else:
            await self._store("booked, label ready")

    async def _ready_for_collection(self, state: StepState) -> None:
        self._code = collection_code(workflow.random().randint(0, 10**9))
        self.view.status = FulfilmentStatus.READY_FOR_COLLECTION
        self._finish(state, StepStatus.DONE, "system")
        ready = self._event(
            "fulfilment.ready_for_collection",
            {"location_id": self._collected_at, "collection_code": self._code},
        )
        await self._store("ready for collection", emit=[ready])
        self._show()
        await self._tell_order()  # the order now waits on the customer

    def _event(self, type_: str, detail: dict[str, Any], *, step: str | None = None) -> EmitEvent:
        return EmitEvent(
            event_id=fulfilment_event_id(self.view.fulfilment_id, type_, step),
            type=type_,
            order_id=self.view.order_id,
            payload={
                "fulfilment_id": self.view.fulfilment_id,
                "order_id": self.view.order_id,
                **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in detail.items()},
            },
        )

    def _finish(
        self,
        state: StepState,
        status: StepStatus,
        actor: str,
        *,
        reason: str | None = None,
        photo: str | None = None,
    ) -> None:
        state.status = status
        state.finished_at = workflow.now()
        state.actor = actor
        state.reason = reason
        state.photo = photo

    def _current_of(self, *types: StepType) -> StepState | None:
        current = self.view.current_step
        if current is None or current.status is not StepStatus.ACTIVE:
            return None
        return current if not types or current.type in types else None

    # -- the staff's updates ---------------------------------------------------------------

    @workflow.update
    def complete_step(self, report: StepReport) -> FulfilmentView:
        state = self._current_of()
        assert state is not None
        self._finish(state, StepStatus.DONE, report.actor, photo=report.photo)
        return self.view

    @complete_step.validator
    def _validate_complete(self, report: StepReport) -> None:
        why = step_refusal(self._current_of(), report)
        if why:
            raise refuse(ErrorCode.INVALID_STATE, why, "step")

    @workflow.update
    def skip_step(self, report: SkipReport) -> FulfilmentView:
        state = self._current_of()
        assert state is not None
        self._finish(state, StepStatus.SKIPPED, report.actor, reason=report.reason)
        if state.type is StepType.PACK:
            self._packed = True
        return self.view

    @skip_step.validator
    def _validate_skip(self, report: SkipReport) -> None:
        why = skip_refusal(self._current_of(), report)
        if why:
            raise refuse(ErrorCode.INVALID_STATE, why, "step")
        state = self._current_of()
        assert state is not None
        if state.type is StepType.PACK and self._ships:
            raise refuse(ErrorCode.INVALID_STATE, "a shipment cannot leave unpacked", "step")

    @workflow.update
    def handover(self, scan: HandoverScan) -> FulfilmentView:
        state = self._current_of(StepType.HANDOVER)
        assert state is not None
        self._finish(state, StepStatus.DONE, scan.actor)
        # The run publishes a transfer's departure when it stores it (``_left``).
        transfer = self.inp.transfer_to is not None
        self.view.status = FulfilmentStatus.IN_TRANSIT if transfer else FulfilmentStatus.SHIPPED
        return self.view

    @handover.validator
    def _validate_handover(self, scan: HandoverScan) -> None:
        if self._current_of(StepType.HANDOVER) is None:
            raise refuse(ErrorCode.INVALID_STATE, "nothing is waiting for the carrier", "label")
        if not self.view.has_label(scan.label):
            raise refuse(ErrorCode.INVALID, "this label is not one of this fulfilment's", "label")
