"""A transfer to a collection store, as the fulfilment run (revision 3) works it.

A collection whose store lacked the stock is fulfilled at another location, which picks,
packs and ships it to the store as its profile says for a shipment; once it has left
(``IN_TRANSIT``, ``fulfilment.transfer_shipped``, its stock consumed at the source, never
counted at the store), the store receives it by scanning the parcel's label (``receive``,
``fulfilment.transfer_received``), then it is ready for collection and collected at the store
as the store's profile says. ``TransferSteps`` is a base of ``ProfiledSteps``: it holds what a
transfer changes in the run and the store's ``receive`` update.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from oms.contracts.fulfilment import FulfilmentInput
    from oms.contracts.read_model import EmitEvent
    from oms.domain.errors import ErrorCode
    from oms.domain.fulfilment import FulfilmentStatus, FulfilmentView
    from oms.domain.fulfilment_profiles import DEFAULT_PROFILE, Step, StepType
    from oms.domain.fulfilment_steps import ReceiveScan, StepState, StepStatus, transfer_steps
    from oms.domain.order import DeliveryMethod
    from workflows.refusals import refuse


class TransferSteps:
    inp: FulfilmentInput
    view: FulfilmentView

    # Provided by ProfiledSteps.
    def _event(
        self, type_: str, detail: dict[str, Any], *, step: str | None = None
    ) -> EmitEvent:  # pragma: no cover
        raise NotImplementedError

    def _current_of(self, *types: StepType) -> StepState | None:  # pragma: no cover
        raise NotImplementedError

    def _finish(
        self,
        state: StepState,
        status: StepStatus,
        actor: str,
        *,
        reason: str | None = None,
        photo: str | None = None,
    ) -> None:  # pragma: no cover
        raise NotImplementedError

    def _steps_to_run(self) -> list[Step]:
        """The run's steps: the profile's for the delivery method, or a transfer's."""
        profile = self.inp.profile or DEFAULT_PROFILE
        if self.inp.transfer_to is None:
            return profile.steps_for(self.inp.delivery_method)
        self.view.transfer_to = self.inp.transfer_to
        return transfer_steps(profile, self.inp.collection_profile or DEFAULT_PROFILE)

    @property
    def _ships(self) -> bool:
        """Whether a parcel leaves with a carrier: a shipment, or a transfer to a store."""
        return self.inp.delivery_method is DeliveryMethod.SHIP or self.inp.transfer_to is not None

    @property
    def _collected_at(self) -> str:
        return self.inp.transfer_to or self.inp.location_id

    def _left(self) -> list[EmitEvent]:
        """The parcel has left the source: a shipment is over, a transfer is on its way."""
        if self.inp.transfer_to is None:
            self.view.status = FulfilmentStatus.SHIPPED
            return []
        self.view.status = FulfilmentStatus.IN_TRANSIT
        return [
            self._event(
                "fulfilment.transfer_shipped",
                {
                    "from_location_id": self.inp.location_id,
                    "to_location_id": self.inp.transfer_to,
                    "carrier": self.view.carrier,
                    "tracking_number": self.view.tracking_number,
                },
            )
        ]

    def _received(self, state: StepState) -> list[EmitEvent]:
        return [
            self._event(
                "fulfilment.transfer_received",
                {
                    "from_location_id": self.inp.location_id,
                    "to_location_id": self.inp.transfer_to,
                    "received_by": state.actor,
                },
            )
        ]

    @workflow.update
    def receive(self, scan: ReceiveScan) -> FulfilmentView:
        state = self._current_of(StepType.RECEIVE)
        assert state is not None
        self._finish(state, StepStatus.DONE, scan.actor)
        return self.view

    @receive.validator
    def _validate_receive(self, scan: ReceiveScan) -> None:
        if self._current_of(StepType.RECEIVE) is None:
            raise refuse(ErrorCode.INVALID_STATE, "nothing is on its way to be received", "label")
        if scan.label is not None and not self.view.has_label(scan.label):
            raise refuse(ErrorCode.INVALID, "this label is not one of this transfer's", "label")
