"""FulfilmentWorkflow: one location picks, packs and ships (or hands over) part of an order."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from oms.contracts.fulfilment import CommitPick, ConsumeRequest, FulfilmentInput, SaveFulfilment
    from oms.contracts.read_model import EmitEvent
    from oms.contracts.shipping import CancelShipment, ShipmentRequest
    from oms.contracts.shipping import Parcel as CarrierParcel
    from oms.domain.errors import ErrorCode
    from oms.domain.fulfilment import (
        FulfilmentProgress,
        FulfilmentStatus,
        FulfilmentView,
        HandOverReport,
        PackReport,
        PickReport,
        apply_pick,
        validate_pick,
    )
    from oms.domain.fulfilment_profiles import StepType
    from oms.domain.fulfilment_steps import StepStatus
    from oms.domain.order import DeliveryMethod
    from oms.domain.tasks import TaskKind
    from oms.metrics import task_sla_breached
    from workflows import calls
    from workflows.fulfilment_edits import FulfilmentEdits
    from workflows.human_tasks import wait_for_people
    from workflows.policies import (
        DB_ACTIVITY,
        EXTERNAL_ACTIVITY,
        LOCAL_ACTIVITY,
        call_service,
    )
    from workflows.refusals import refuse

# A parcel booked and waiting for the carrier's pick-up scan is cancelled with the carrier when
# its fulfilment is cancelled; runs recorded before left it booked.
CANCEL_BOOKED_SHIPMENT = "cancel-booked-shipment"


@workflow.defn
class FulfilmentWorkflow(FulfilmentEdits):
    """Pick, pack, then ship or hand over for collection, at one location.

    Updates: ``pick(PickReport)``, ``pack(PackReport)``, ``collected(HandOverReport)`` and
    the profile's steps (``complete_step``, ``skip_step``, ``handover``, ``receive``,
    ``collect``), each answering the new ``FulfilmentView`` or refusing with
    ``invalid_state`` / the pick's field errors. Signal: ``edit`` (order edits before the
    pick: workflows.fulfilment_edits). Query: ``status``. Each change is signalled
    to the parent order workflow (``fulfilment_progress``). Returns the final view;
    short-picked quantities are for the order to re-source.
    """

    @workflow.init
    def __init__(self, inp: FulfilmentInput) -> None:
        self.inp = inp
        self._take_level(inp.patch_level)
        self.view = FulfilmentView(
            fulfilment_id=inp.fulfilment_id,
            order_id=inp.order_id,
            location_id=inp.location_id,
            status=FulfilmentStatus.AWAITING_PICK,
            delivery_method=inp.delivery_method,
            lines=inp.lines,
        )
        self._picked = False
        self._packed = False
        self._collected = False
        self._pick_due: datetime | None = None

    @workflow.run
    async def run(self, inp: FulfilmentInput) -> FulfilmentView:
        if inp.revision >= 3:
            return await self._cancelled_on_its_row(self._run_profiled(inp))
        if inp.revision >= 2:
            return await self._cancelled_on_its_row(self._run_lean(inp))
        try:
            await self._save(pick_due=True)
            await wait_for_people(
                lambda: self._picked,
                escalate_after_s=inp.pick_escalate_after_s,
                on_escalate=self._escalate_pick,
            )
            await self._db_step(
                calls.commit_pick,
                CommitPick(
                    step_key=self._step_key, location_id=inp.location_id, lines=self.view.lines
                ),
            )
            await self._save()
            if self.view.status is FulfilmentStatus.REJECTED:
                return self.view

            await workflow.wait_condition(lambda: self._packed)
            await self._save()
            if inp.delivery_method is DeliveryMethod.SHIP:
                await self._ship_despite_cancel()
            else:
                self.view.status = FulfilmentStatus.READY_FOR_COLLECTION
                await self._save()
                await workflow.wait_condition(lambda: self._collected)
                await self._consume()
            await self._save()
            return self.view
        except (Exception, asyncio.CancelledError):
            # Not BaseException: a worker evicting this run from its cache raises a
            # BaseException too, and that is no reason to cancel anything.
            if not self.view.status.is_final:
                self.view.status = FulfilmentStatus.CANCELLED
                # Runs even though this workflow is being cancelled: the pick task must close.
                await asyncio.shield(asyncio.ensure_future(self._save()))
            raise

    async def _escalate_pick(self) -> None:
        """Past the pick deadline the pick task is flagged for the store's manager; the
        fulfilment goes on waiting for its pick."""
        self.view.escalated = True
        if self.inp.revision >= 2:
            task_sla_breached(workflow.metric_meter(), kind=TaskKind.PICK)
            await self._store("flag the late pick", pick_due=True)
            self._show(due_at=self._pick_due)
        else:
            await self._save(pick_due=True)

    # -- revision 2: the order hears only what it acts on; one write per step ------------

    async def _run_lean(self, inp: FulfilmentInput) -> FulfilmentView:
        view = self.view
        self._pick_due = workflow.now() + timedelta(seconds=inp.pick_escalate_after_s)
        self._show(due_at=self._pick_due)
        await self._store("pick list for the store", pick_due=True)
        await wait_for_people(
            lambda: self._picked,
            escalate_after_s=inp.pick_escalate_after_s,
            on_escalate=self._escalate_pick,
            what="pick",
        )
        if self._emptied:  # an order edit took every unit: nothing to pick
            return view
        commit = CommitPick(step_key=self._step_key, location_id=inp.location_id, lines=view.lines)
        await self._store("record the pick", commit=commit)
        self._show()
        if view.status is FulfilmentStatus.REJECTED:
            return view
        if view.short_picked:
            await self._tell_order()  # re-sourced at once, while the rest goes on
        await workflow.wait_condition(lambda: self._packed)
        if inp.delivery_method is DeliveryMethod.SHIP:
            # Packed is written before the carrier is called: an order's cancel reads
            # these rows, and must be refused from here on.
            await self._store("packed, to the carrier")
            await self._ship_despite_cancel()
        else:
            await self._ready_without_code()
            await workflow.wait_condition(lambda: self._collected)
            await self._store("collected", consume=self._consume_request)
        self._show()
        return view

    async def _cancelled_on_its_row(
        self, run: Coroutine[Any, Any, FulfilmentView]
    ) -> FulfilmentView:
        """A lean run (revision 2 or 3) cancelled or failed before its end: its row says so,
        and its pick task closes, even while the workflow itself is being cancelled. A
        collection the customer took part of ends not collected instead (its result)."""
        try:
            return await self._answered(await run)
        except (Exception, asyncio.CancelledError):
            if self.view.status is FulfilmentStatus.PARTIALLY_COLLECTED:
                # Part of it is with the customer: the order charges what was taken.
                await asyncio.shield(asyncio.ensure_future(self._let_go_once_cancelled()))
                return self.view
            if not self.view.status.is_final:
                await asyncio.shield(asyncio.ensure_future(self._unbook()))
                self.view.status = FulfilmentStatus.CANCELLED
                await asyncio.shield(asyncio.ensure_future(self._store("cancelled")))
            raise

    async def _unbook(self) -> None:
        """A parcel booked but not handed over (it waited for the carrier's pick-up scan) is
        cancelled with the carrier: nobody comes for it, and it is not paid for."""
        # Packed and booked only: a parcel on its way (shipped, a transfer in transit or at its
        # store) is past cancelling with the carrier.
        booked = (
            self.view.tracking_number is not None and self.view.status is FulfilmentStatus.PACKED
        )
        if not booked or not self._patched(CANCEL_BOOKED_SHIPMENT):
            return
        assert self.view.tracking_number is not None
        try:
            await workflow.execute_activity(
                calls.cancel_shipment,
                CancelShipment(
                    shipment_id=self.inp.fulfilment_id, tracking_number=self.view.tracking_number
                ),
                summary="cancel the booked parcel with the carrier",
                **EXTERNAL_ACTIVITY,
            )
        except FailureError as err:  # the carrier refused: the fulfilment is cancelled anyway
            workflow.logger.warning("booked parcel not cancelled: %s", err)

    @property
    def _consume_request(self) -> ConsumeRequest:
        return ConsumeRequest(step_key=self._step_key, location_id=self.inp.location_id)

    async def _tell_order(self) -> None:
        parent = workflow.get_external_workflow_handle(self.inp.parent_workflow_id)
        await parent.signal("fulfilment_progress", FulfilmentProgress.of(self.view))
        if workflow.cancellation_reason() is not None and not self.view.status.is_final:
            # A cancel that lands while the signal is in flight is absorbed by the SDK.
            raise asyncio.CancelledError()

    @property
    def _step_key(self) -> str:
        return self.inp.reservation_key

    async def _db_step(self, activity: Any, arg: Any) -> Any:
        """A short, idempotent database write. Local activities since the patch below: no
        round trip through the task queue and a third of the history events."""
        if self._patched("fulfilment-db-steps-local"):
            return await workflow.execute_local_activity(activity, arg, **LOCAL_ACTIVITY)
        return await workflow.execute_activity(activity, arg, **DB_ACTIVITY)

    async def _ship_despite_cancel(self) -> None:
        await self._despite_cancel(self._ship())

    async def _despite_cancel(self, work: Coroutine[Any, Any, None]) -> None:
        """Once packed, the parcel goes to the carrier: the order refuses cancels from then on,
        and one that slipped through that race is not honoured half-way through a booking."""
        shipping = asyncio.ensure_future(work)
        while not shipping.done():
            try:
                await asyncio.shield(shipping)
            except asyncio.CancelledError:
                workflow.logger.info(
                    "cancel_ignored_while_shipping",
                    extra={"order_id": self.inp.order_id, "fulfilment_id": self.inp.fulfilment_id},
                )
        shipping.result()

    async def _ship(self) -> None:
        await self._book_carrier()
        if self.inp.revision >= 2:
            self.view.status = FulfilmentStatus.SHIPPED
            await self._store("shipped", consume=self._consume_request)
            return
        await self._consume()
        self.view.status = FulfilmentStatus.SHIPPED

    async def _consumed(self, summary: str, *, emit: list[EmitEvent] | None = None) -> None:
        """What left the building leaves the reservation ledger, with the row that says so."""
        await self._store(summary, consume=self._consume_request, emit=emit)

    async def _book_carrier(self) -> None:
        address = self.inp.address
        assert address is not None
        request = ShipmentRequest(
            shipment_id=self.inp.fulfilment_id,
            from_location_id=self.inp.location_id,
            to=address,
            parcels=[
                CarrierParcel(weight_grams=p.weight_grams, reference=p.reference)
                for p in self.view.parcels
            ],
            service="express" if self.inp.express else "standard",
        )
        if self.inp.revision >= 2:

            async def show_waiting_on_the_carrier() -> None:
                self._show()

            booking = await call_service(
                calls.book_shipment,
                request,
                options=EXTERNAL_ACTIVITY,
                summary="book the carrier",
                while_retrying=show_waiting_on_the_carrier,
            )
        else:
            booking = await workflow.execute_activity(
                calls.book_shipment, request, **EXTERNAL_ACTIVITY
            )
        self.view.carrier = booking.carrier
        self.view.tracking_number = booking.tracking_number
        self.view.label_url = booking.label_url

    async def _consume(self) -> None:
        await self._db_step(
            calls.consume_reservations,
            ConsumeRequest(step_key=self._step_key, location_id=self.inp.location_id),
        )

    async def _save(self, *, pick_due: bool = False) -> None:
        due = (
            workflow.now() + timedelta(seconds=self.inp.pick_escalate_after_s) if pick_due else None
        )
        await self._db_step(
            calls.save_fulfilment,
            SaveFulfilment(
                view=self.view,
                workflow_id=workflow.info().workflow_id,
                pick_due_at=due,
                express=self.inp.express,
            ),
        )
        parent = workflow.get_external_workflow_handle(self.inp.parent_workflow_id)
        await parent.signal(
            "fulfilment_progress",
            FulfilmentProgress.of(self.view),
        )
        if (
            workflow.cancellation_reason() is not None
            and not self.view.status.is_final
            and self._patched("cancel-during-progress-signal")
        ):
            # A cancel that arrives while the signal is in flight is absorbed by the SDK once
            # the signal lands; without this the fulfilment would carry on and its order would
            # wait for it forever.
            raise asyncio.CancelledError()

    def _require(self, status: FulfilmentStatus, action: str) -> None:
        if self.view.status is not status:
            raise refuse(
                ErrorCode.INVALID_STATE,
                f"cannot {action} a fulfilment that is {self.view.status.value}",
            )

    @workflow.update
    def pick(self, report: PickReport) -> FulfilmentView:
        self.view.lines = apply_pick(self.view.lines, report)
        any_picked = any((line.picked or 0) > 0 for line in self.view.lines)
        self.view.status = FulfilmentStatus.PICKED if any_picked else FulfilmentStatus.REJECTED
        self._picked = True
        step = self._current_of(StepType.PICK)
        if step is not None:
            self._finish(step, StepStatus.DONE, report.actor)
        return self.view

    @pick.validator
    def _validate_pick(self, report: PickReport) -> None:
        self._require(FulfilmentStatus.AWAITING_PICK, "pick")
        self._not_while_editing()
        errors = validate_pick(self.view.lines, report)
        if errors:
            raise ApplicationError(
                errors[0].reason,
                *[e.model_dump(mode="json") for e in errors],
                type="invalid_pick",
            )

    @workflow.update
    def pack(self, report: PackReport) -> FulfilmentView:
        self.view.parcels = list(report.parcels)
        self.view.status = FulfilmentStatus.PACKED
        self._packed = True
        step = self._current_of(StepType.PACK)
        if step is not None:
            self._finish(step, StepStatus.DONE, report.actor)
        return self.view

    @pack.validator
    def _validate_pack(self, report: PackReport) -> None:
        self._require(FulfilmentStatus.PICKED, "pack")
        self._not_while_editing()  # a new address held for the parcel
        if self.inp.revision >= 3 and self._current_of(StepType.PACK) is None:
            step = self.view.current_step
            raise refuse(
                ErrorCode.INVALID_STATE,
                f"the step under way is {step.key if step else 'none'}, not pack",
                "step",
            )

    @workflow.update
    def collected(self, report: HandOverReport) -> FulfilmentView:
        self.view.status = FulfilmentStatus.COLLECTED
        self._collected = True
        return self.view

    @collected.validator
    def _validate_collected(self, report: HandOverReport) -> None:
        self._require(FulfilmentStatus.READY_FOR_COLLECTION, "hand over")
        if self.inp.revision >= 3:
            raise refuse(ErrorCode.INVALID_STATE, "collect with the customer's code", "code")

    @workflow.query
    def status(self) -> FulfilmentView:
        return self.view
