"""An order's edits as its fulfilment applies them before the pick: units taken out (their
reservation released, never reported as short), a new address for the parcel, a service
added to a line. The order sends the signal ``edit`` and waits for the answer this run
signals back (``edit_answered``): a workflow cannot send an update to another.

The fulfilment is the judge of its point of no return: units leave only while it waits for
its pick and the store has not started on it (no wave has taken it, no unit was scanned: the
database says so in the transaction that releases them); the address changes until the parcel
is packed; a service is added before the pick, when the location's profile performs it. An
edit the order sends several fulfilments comes in two stages (``FulfilmentEdit.stage``): each
checks and holds it (no pick, no pack meanwhile), then all apply it, or all let it go.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from oms.contracts.fulfilment import DropUnits, EditAnswer, FulfilmentEdit
    from oms.domain.errors import ErrorCode
    from oms.domain.fulfilment import FulfilmentLine, FulfilmentStatus, FulfilmentView
    from oms.domain.fulfilment_profiles import Service, StepType
    from oms.domain.fulfilment_steps import StepStatus
    from oms.domain.order.edits import EditRefusal
    from oms.keys import edit_ledger_part
    from workflows.fulfilment_steps import ProfiledSteps
    from workflows.refusals import refuse

# The signal ``edit`` and what it does: runs recorded before never received it.
FULFILMENT_EDITS = "order-edit-fulfilment"


class _Refused(Exception):
    def __init__(self, reason: EditRefusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class FulfilmentEdits(ProfiledSteps):
    """The base of ``FulfilmentWorkflow``: the order's edits, over the profile's steps."""

    # Abandoned when the run ends, deliberately (no UnfinishedSignalHandlersWarning): a
    # fulfilment ends with an edit under way only when it is cancelled (before its pick, where
    # edits apply, nothing else ends it; one that edits emptied waits for its handlers,
    # ``_answered``). Its order no longer waits for the answer then (``OrderEdits._ask`` stops
    # once the fulfilment has ended), and an answer the handler got to is sent all the same:
    # only its acknowledgement is left unawaited.
    @workflow.signal(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def edit(self, req: FulfilmentEdit) -> None:
        try:
            if not self._patched(FULFILMENT_EDITS):  # pragma: no cover
                raise _Refused(EditRefusal.ORDER_BUSY, "this fulfilment takes no edit")
            if req.stage is not None:
                if not await self._staged(req):
                    return  # a hold let go: the order does not wait for an answer
            else:
                self._check_free()
                self._editing = True
                try:
                    await self._apply(req)
                finally:
                    self._editing = False
            answer = EditAnswer(fulfilment_id=self.view.fulfilment_id, edit=req.edit, accepted=True)
        except _Refused as err:
            answer = EditAnswer(
                fulfilment_id=self.view.fulfilment_id,
                edit=req.edit,
                accepted=False,
                reason=err.reason.value,
                message=str(err),
            )
        parent = workflow.get_external_workflow_handle(self.inp.parent_workflow_id)
        await parent.signal("edit_answered", answer)

    def _check_free(self) -> None:
        if self._editing:
            raise _Refused(EditRefusal.ORDER_BUSY, "another edit is being applied")

    async def _staged(self, req: FulfilmentEdit) -> bool:
        """An edit in two stages: ``hold`` checks it and holds the fulfilment (its pick and
        pack wait, as while any edit is written) until the order's ``apply`` or ``release``.
        Answers whether the order waits for an answer (not after a release)."""
        if req.stage == "hold":
            self._check_free()
            self._check(req)
            self._editing, self._held = True, req.edit
            return True
        if self._held != req.edit:
            if req.stage == "release":
                return False
            raise _Refused(EditRefusal.ORDER_BUSY, "the edit is not held here")
        try:
            if req.stage == "apply":
                await self._apply(req)
        finally:
            self._editing, self._held = False, None
        return req.stage == "apply"

    def _not_while_editing(self) -> None:
        """The pick waits while an edit is being written (its validator refuses)."""
        if self._editing:
            raise refuse(ErrorCode.INVALID_STATE, "an order edit is being applied: try again")

    async def _answered(self, view: FulfilmentView) -> FulfilmentView:
        """A run that edits emptied ends once its answer has gone to the order."""
        if self._emptied:
            await workflow.wait_condition(workflow.all_handlers_finished)
        return view

    def _before_pick(self) -> None:
        if self.inp.revision < 2 or self._picked or self._emptied:
            raise _Refused(EditRefusal.PAST_POINT_OF_NO_RETURN, "the pick is done")
        if self.view.status is not FulfilmentStatus.AWAITING_PICK:
            raise _Refused(
                EditRefusal.PAST_POINT_OF_NO_RETURN, f"the fulfilment is {self.view.status.value}"
            )

    def _check(self, req: FulfilmentEdit) -> None:
        """Refuses what the fulfilment would refuse of a new address or a service."""
        if req.drop:
            self._before_pick()
        if req.address is not None:
            self._check_address()
        if req.service is not None:
            self._check_service(req.service)

    def _check_address(self) -> None:
        packed = (FulfilmentStatus.AWAITING_PICK, FulfilmentStatus.PICKED)
        if self.view.status not in packed or self.inp.address is None:
            raise _Refused(
                EditRefusal.PAST_POINT_OF_NO_RETURN,
                f"the parcel is {self.view.status.value}: its address is the carrier's",
            )

    def _check_service(self, service: Service) -> None:
        self._before_pick()
        offered = self.inp.profile.services if self.inp.profile is not None else frozenset()
        if service not in offered:
            raise _Refused(
                EditRefusal.SERVICE_NOT_PERFORMED,
                f"{self.view.location_id} does not perform {service.value}",
            )

    async def _apply(self, req: FulfilmentEdit) -> None:
        if req.drop:
            await self._drop(req)
        if req.address is not None:
            self._check_address()
            express = self.inp.express if req.express is None else req.express
            self.inp = self.inp.model_copy(update={"address": req.address, "express": express})
        if req.service is not None:
            self._check_service(req.service)
            for line in self.view.lines:
                if line.line_id == req.service_line and req.service not in line.services:
                    line.services = [*line.services, req.service]
            await self._store("a service added by an order edit")

    async def _drop(self, req: FulfilmentEdit) -> None:
        self._before_pick()
        lines: list[FulfilmentLine] = []
        known = {line.line_id: line for line in self.view.lines}
        for line_id, qty in req.drop.items():
            line = known.get(line_id)
            if line is None or qty > line.quantity:
                raise _Refused(
                    EditRefusal.QUANTITY_EXCEEDS_OPEN,
                    f"line {line_id} has fewer than {qty} unit(s) here",
                )
        for line in self.view.lines:
            left = line.quantity - req.drop.get(line.line_id, 0)
            if left > 0:
                lines.append(line.model_copy(update={"quantity": left}))
        before, status = self.view.lines, self.view.status
        self.view.lines = lines
        if not lines:
            self.view.status = FulfilmentStatus.CANCELLED
        drop = DropUnits(
            step_key=self.inp.reservation_key,
            location_id=self.inp.location_id,
            units=dict(req.drop),
            part=edit_ledger_part(req.edit),
        )
        try:
            await self._store("units cancelled by an order edit", drop=drop)
        except FailureError as err:  # the store started on it meanwhile
            self.view.lines, self.view.status = before, status
            raise _Refused(EditRefusal.PAST_POINT_OF_NO_RETURN, _why(err)) from err
        if not lines:
            self._emptied = True
            self._picked = True
            step = self._current_of(StepType.PICK)
            if step is not None:
                self._finish(step, StepStatus.SKIPPED, "order", reason="units_cancelled")


def _why(err: FailureError) -> str:
    cause = err.cause if err.cause is not None else err
    return cause.message if isinstance(cause, FailureError) else str(cause)
