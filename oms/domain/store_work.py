"""What a store works on: the kinds of work its list shows, and which one a fulfilment is.

``GET /locations/{id}/work`` lists a location's open work, soonest due first: waves to pick,
fulfilments to pick on their own or to pack, services to do (the vas step's tasks), parcels to
hand over and collections waiting. A fulfilment is one item of the kind its current step says
(``work_of``), kept on its row with the step's due time so that the list is read in order from
an index; a fulfilment in a wave is picked with it, and one at its vas step is listed as the
step's tasks, one per service.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, Field

from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.fulfilment_profiles import Service, StepType
from oms.domain.fulfilment_steps import StepState
from oms.domain.waves import WaveStatus


class WorkKind(StrEnum):
    """Stored in ``fulfilments.work_kind`` and answered by ``GET /locations/{id}/work``."""

    WAVE_TO_PICK = "wave_to_pick"
    FULFILMENT_TO_PICK = "fulfilment_to_pick"  # picked on its own, in no wave
    FULFILMENT_TO_PACK = "fulfilment_to_pack"  # at the bench: verify, photo, pack, label
    SERVICE_TO_DO = "service_to_do"  # one vas task: a service for one line
    PARCEL_TO_HAND_OVER = "parcel_to_hand_over"
    COLLECTION_WAITING = "collection_waiting"
    # A transfer for a collection (ship to store) to receive by scan at the store: listed
    # once the fulfilment read model has a receiving step or status to map here (_BY_STEP or
    # _BEFORE_PROFILES below); nothing produces it yet.
    TRANSFER_TO_RECEIVE = "transfer_to_receive"


# Kinds listed from the fulfilments' rows; waves and services come from their own tables.
FROM_FULFILMENTS = (
    WorkKind.FULFILMENT_TO_PICK,
    WorkKind.FULFILMENT_TO_PACK,
    WorkKind.PARCEL_TO_HAND_OVER,
    WorkKind.COLLECTION_WAITING,
    WorkKind.TRANSFER_TO_RECEIVE,
)

_BY_STEP = {
    StepType.PICK: WorkKind.FULFILMENT_TO_PICK,
    StepType.VERIFY: WorkKind.FULFILMENT_TO_PACK,
    StepType.VAS: WorkKind.SERVICE_TO_DO,
    StepType.PHOTO: WorkKind.FULFILMENT_TO_PACK,
    StepType.PACK: WorkKind.FULFILMENT_TO_PACK,
    StepType.LABEL: WorkKind.FULFILMENT_TO_PACK,
    StepType.HANDOVER: WorkKind.PARCEL_TO_HAND_OVER,
    StepType.READY_FOR_COLLECTION: WorkKind.COLLECTION_WAITING,
    StepType.COLLECTED: WorkKind.COLLECTION_WAITING,
    StepType.RECEIVE: WorkKind.TRANSFER_TO_RECEIVE,  # a transfer's parcel at its store
}

# Runs started before profiles keep no steps: their status says what is left (a packed
# shipment goes to the carrier by itself).
_BEFORE_PROFILES = {
    FulfilmentStatus.AWAITING_PICK: (WorkKind.FULFILMENT_TO_PICK, StepType.PICK),
    FulfilmentStatus.PICKED: (WorkKind.FULFILMENT_TO_PACK, StepType.PACK),
    FulfilmentStatus.READY_FOR_COLLECTION: (WorkKind.COLLECTION_WAITING, StepType.COLLECTED),
}


class Work(NamedTuple):
    """A fulfilment's open work: its kind, the step it is at and when that step is due."""

    kind: WorkKind
    step: StepState | None  # None for a run before profiles
    step_type: StepType
    due_at: datetime | None


def work_of(
    status: FulfilmentStatus, steps: Sequence[StepState], pick_due_at: datetime | None
) -> Work | None:
    """What is left to do on a fulfilment, or None when nothing is (it is over)."""
    if status.is_final:
        return None
    if not steps:
        found = _BEFORE_PROFILES.get(status)
        if found is None:
            return None
        kind, step_type = found
        due = pick_due_at if kind is WorkKind.FULFILMENT_TO_PICK else None
        return Work(kind, None, step_type, due)
    current = next((s for s in steps if not s.status.is_over), None)
    if current is None:
        return None
    due = current.due_at
    if due is None and current.type is StepType.PICK:
        due = pick_due_at
    return Work(_BY_STEP[current.type], current, current.type, due)


class WorkItem(BaseModel):
    """One thing a store has to do, as ``GET /locations/{id}/work`` lists it."""

    kind: WorkKind
    id: str = Field(description="The item's own id: its wave's, fulfilment's or task's")
    due_at: datetime | None = Field(description="When its step is due; null: no deadline")
    overdue: bool = Field(description="Past its due time")
    step: str | None = Field(
        default=None,
        description="The step it is at (its key in the fulfilment profile); null for a wave "
        "and for a fulfilment started before profiles",
    )
    step_type: StepType = Field(description="The type of step it is at")
    order_id: str | None = None
    fulfilment_id: str | None = None
    wave_id: str | None = None
    task_id: str | None = None
    wave_status: WaveStatus | None = Field(default=None, description="A wave: open or claimed")
    picker: str | None = Field(default=None, description="A claimed wave: who picks it")
    fulfilment_count: int | None = Field(default=None, description="A wave: its fulfilments")
    line_id: str | None = Field(default=None, description="A service: the line it is for")
    sku: str | None = None
    service: Service | None = None
