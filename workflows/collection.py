"""The collected step of a profile's run: the customer's code at the counter, and the hold.

``CollectionSteps`` is a base of ``ProfiledSteps``. Since the patch below, a fulfilment ready
for collection waits for its customer ``collection.hold_for`` (the profile's collection
policy) from the moment it was ready: after ``collection.remind_after`` the customer is
reminded once (``fulfilment.collection_reminder``); each visit at the counter (``collect``,
with the code, and the lines and quantities taken: everything left when none are given)
consumes what it took from the reservation ledger and is announced (``fulfilment.collected``);
what is still waiting when the hold ends goes back to available stock and the fulfilment
ends ``NOT_COLLECTED`` (``fulfilment.not_collected``), for the order to cancel those units and
charge only what was taken. Runs recorded before the patch hand the whole fulfilment over at
the first right code and wait for it for ever.

The fixed flow of a location no profile covers (revision 2) has no code, no hold and no
reminder: ready, the customer is told (``fulfilment.ready_for_collection``, ``collection_code``
null), and the store hands it all over on the order's number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from oms.contracts.fulfilment import CollectUnits, ConsumeRequest, FulfilmentInput, Restock
    from oms.contracts.read_model import EmitEvent
    from oms.domain.collection import (
        NOT_COLLECTED,
        NOT_COLLECTED_MESSAGE,
        REMINDER_MESSAGE,
        Collection,
        CollectionTimes,
        all_collected,
        apply_collection,
        collect_refusals,
        left_over,
        units_taken,
    )
    from oms.domain.errors import ErrorCode
    from oms.domain.fulfilment import FulfilmentStatus, FulfilmentView
    from oms.domain.fulfilment_profiles import DEFAULT_PROFILE, StepType
    from oms.domain.fulfilment_steps import CollectReport, StepState, StepStatus
    from workflows.patch_levels import FulfilmentPatches
    from workflows.policies import condition_within
    from workflows.refusals import refuse

# The hold, the reminder and partial collection (runs recorded before wait for ever and hand
# everything over at once).
COLLECTION_HOLD = "collect-hold-and-partial"
# A refusal listing every line at fault (api.fulfilment_updates reads it like a pick's).
INVALID_COLLECT = "invalid_collect"
# The fixed flow of a location no profile covers tells its customer the collection is ready
# (``fulfilment.ready_for_collection``, no code); runs recorded before told nobody.
READY_TOLD = "ready-for-collection-told"


class CollectionSteps(FulfilmentPatches):
    """What happens at the collection counter; ``ProfiledSteps`` supplies the storage, the
    events and the step bookkeeping."""

    inp: FulfilmentInput
    view: FulfilmentView
    _code: str | None = None
    # Since COLLECTION_HOLD: the visits accepted and not yet stored, and how many there were.
    _holding: bool = False
    _visits: list[Collection]
    _collections: int = 0

    # Provided by ProfiledSteps.
    async def _store(
        self,
        summary: str,
        *,
        collect: CollectUnits | None = None,
        release: ConsumeRequest | None = None,
        restock: Restock | None = None,
        emit: list[EmitEvent] | None = None,
    ) -> None:  # pragma: no cover
        raise NotImplementedError

    def _show(self, *, due_at: datetime | None = None) -> None:  # pragma: no cover
        raise NotImplementedError

    async def _tell_order(self) -> None:  # pragma: no cover
        raise NotImplementedError

    @property
    def _collected_at(self) -> str:  # pragma: no cover
        raise NotImplementedError

    def _event(
        self, type_: str, detail: dict[str, Any], *, step: str | None = None
    ) -> EmitEvent:  # pragma: no cover
        raise NotImplementedError

    def _finish(
        self, state: StepState, status: StepStatus, actor: str, *, reason: str | None = None
    ) -> None:  # pragma: no cover
        raise NotImplementedError

    def _current_of(self, *types: StepType) -> StepState | None:  # pragma: no cover
        raise NotImplementedError

    async def _ready_without_code(self) -> None:
        """The fixed flow (revision 2): on the collection shelf, and the customer told so. It
        has no code: the store hands it over on the order's number (``collected``)."""
        self.view.status = FulfilmentStatus.READY_FOR_COLLECTION
        told = self._patched(READY_TOLD)  # asked as the pack wakes the run, before any write
        detail = {"location_id": self.inp.location_id, "collection_code": None}
        ready = [self._event("fulfilment.ready_for_collection", detail)] if told else []
        await self._store("ready for collection", emit=ready)
        self._show()
        await self._tell_order()  # the order now waits on the customer

    async def _hold_for_collection(self, state: StepState) -> None:
        """Wait for the customer until the hold ends: store each visit as it comes, remind
        once, then let go of what nobody came for."""
        self._visits, self._holding = [], True
        ready = next(s for s in self.view.steps if s.type is StepType.READY_FOR_COLLECTION)
        # A transfer is collected as its collection store's profile says, not its source's.
        profile = self.inp.collection_profile if self.inp.transfer_to else self.inp.profile
        policy = (profile or DEFAULT_PROFILE).collection
        times = CollectionTimes.of(ready.finished_at or workflow.now(), policy)
        state.due_at = times.hold_until
        self._show(due_at=state.due_at)
        await self._store(f"{state.key} under way")
        reminded = False
        while True:
            until = times.hold_until if reminded else times.remind_at
            seconds = (until - workflow.now()).total_seconds()
            what = f"{state.key}: {'hold over' if reminded else 'remind'}"
            woke = await condition_within(lambda: bool(self._visits), seconds, what)
            await self._store_visits()
            if state.status.is_over:
                self._show()
                return
            self._show(due_at=state.due_at)
            if woke:
                continue
            if reminded:
                await self._not_collected(state)
                return
            reminded = True
            await self._remind(times)

    async def _store_visits(self) -> None:
        """Each visit accepted, in turn; one is let go of once stored, so that a write cut
        short (a cancel) is written again, once (the ledger part and the event id are the
        visit's)."""
        while self._visits:
            await self._store_visit(self._visits[0])
            self._visits.pop(0)

    async def _store_visit(self, visit: Collection) -> None:
        lines = {line.line_id: line for line in self.view.lines}
        taken = [
            {"line_id": line_id, "sku": lines[line_id].sku, "quantity": units}
            for line_id, units in visit.units.items()
        ]
        detail = {
            "location_id": self._collected_at,
            "collection": visit.number,
            "lines": taken,
            "complete": visit.complete,
        }
        collected = self._event("fulfilment.collected", detail, step=visit.event_step)
        units = CollectUnits(
            step_key=self.inp.reservation_key,
            location_id=self.inp.location_id,
            part=visit.ledger_part,
            units=visit.units,
        )
        await self._store(f"collection {visit.number}", collect=units, emit=[collected])

    async def _remind(self, times: CollectionTimes) -> None:
        detail = {
            "location_id": self._collected_at,
            "collection_code": self._code,
            "customer_message": REMINDER_MESSAGE,
            "hold_until": times.hold_until,
        }
        reminder = self._event("fulfilment.collection_reminder", detail)
        await self._store("collection reminder", emit=[reminder])

    async def _not_collected(self, state: StepState) -> None:
        """The hold is over: what is left goes back to available stock, once."""
        left = left_over(self.view.lines)
        self.view.lines = apply_collection(self.view.lines, {})
        self.view.status = FulfilmentStatus.NOT_COLLECTED
        self._finish(state, StepStatus.SKIPPED, "system", reason=NOT_COLLECTED)
        lines = [
            {"line_id": line.line_id, "sku": line.sku, "quantity": left[line.line_id]}
            for line in self.view.lines
            if line.line_id in left
        ]
        detail = {
            "location_id": self._collected_at,
            "reason": NOT_COLLECTED,
            "customer_message": NOT_COLLECTED_MESSAGE,
            "lines": lines,
        }
        gone = self._event("fulfilment.not_collected", detail)
        if self.inp.transfer_to is not None:
            # Consumed at its source when it left: the units are the store's stock now.
            units: dict[str, int] = {}
            for line in self.view.lines:
                if line.line_id in left:
                    units[line.sku] = units.get(line.sku, 0) + left[line.line_id]
            restock = Restock(
                key=f"not-collected:{self.inp.fulfilment_id}",
                location_id=self.inp.transfer_to,
                units=units,
            )
            await self._store("not collected: the store's stock", restock=restock, emit=[gone])
        else:
            back = ConsumeRequest(
                step_key=self.inp.reservation_key, location_id=self.inp.location_id
            )
            await self._store("not collected: back to stock", release=back, emit=[gone])
        self._show()

    async def _let_go_once_cancelled(self) -> None:
        """Cancelled (by ops, or with its order) once part of it was collected: what the
        customer took stays taken, for the order to charge, and the rest goes back to stock
        as when the hold ends."""
        state = self._current_of(StepType.COLLECTED)
        assert state is not None
        await self._store_visits()
        await self._not_collected(state)

    # -- the counter -----------------------------------------------------------------------

    @workflow.update
    def collect(self, report: CollectReport) -> FulfilmentView:
        state = self._current_of(StepType.COLLECTED)
        assert state is not None
        if not self._holding:  # a run from before partial collection: all of it, at once
            self._finish(state, StepStatus.DONE, report.actor)
            self.view.status = FulfilmentStatus.COLLECTED
            return self.view
        units = units_taken(self.view.lines, report)
        self.view.lines = apply_collection(self.view.lines, units)
        self._collections += 1
        complete = all_collected(self.view.lines)
        visit = Collection(
            number=self._collections, units=units, actor=report.actor, complete=complete
        )
        self._visits.append(visit)
        if complete:
            self._finish(state, StepStatus.DONE, report.actor)
            self.view.status = FulfilmentStatus.COLLECTED
        else:
            self.view.status = FulfilmentStatus.PARTIALLY_COLLECTED
        return self.view

    @collect.validator
    def _validate_collect(self, report: CollectReport) -> None:
        if self._current_of(StepType.COLLECTED) is None:
            raise refuse(ErrorCode.INVALID_STATE, "nothing is waiting to be collected", "code")
        if report.code != self._code:
            raise refuse(ErrorCode.INVALID, "this is not the collection code", "code")
        if not self._holding and report.lines is not None:
            raise refuse(ErrorCode.INVALID_STATE, "this collection is handed over whole", "lines")
        errors = collect_refusals(self.view.lines, report)
        if errors:
            raise ApplicationError(
                errors[0].reason,
                *[e.model_dump(mode="json") for e in errors],
                type=INVALID_COLLECT,
            )
