"""Which kind of work a fulfilment is, by the step it is at."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.fulfilment_profiles import StepType
from oms.domain.fulfilment_steps import StepState, StepStatus
from oms.domain.store_work import WorkKind, work_of

DUE = datetime(2026, 12, 7, 12, tzinfo=UTC)
PICK_DUE = datetime(2026, 12, 7, 10, tzinfo=UTC)


def at(type_: StepType, due: datetime | None = DUE) -> list[StepState]:
    """A profile's steps with every one before ``type_`` done and ``type_`` under way."""
    order = list(StepType)
    return [
        StepState(
            key=t.value,
            type=t,
            status=StepStatus.DONE if i < order.index(type_) else StepStatus.ACTIVE,
            due_at=due if t is type_ else None,
        )
        for i, t in enumerate(order[: order.index(type_) + 1])
    ]


@pytest.mark.parametrize(
    ("type_", "kind"),
    [
        (StepType.PICK, WorkKind.FULFILMENT_TO_PICK),
        (StepType.VERIFY, WorkKind.FULFILMENT_TO_PACK),
        (StepType.VAS, WorkKind.SERVICE_TO_DO),
        (StepType.PHOTO, WorkKind.FULFILMENT_TO_PACK),
        (StepType.PACK, WorkKind.FULFILMENT_TO_PACK),
        (StepType.LABEL, WorkKind.FULFILMENT_TO_PACK),
        (StepType.HANDOVER, WorkKind.PARCEL_TO_HAND_OVER),
        (StepType.COLLECTED, WorkKind.COLLECTION_WAITING),
    ],
)
def test_a_fulfilment_is_the_work_of_the_step_it_is_at_due_when_the_step_is(
    type_: StepType, kind: WorkKind
) -> None:
    work = work_of(FulfilmentStatus.PICKED, at(type_), PICK_DUE)

    assert work is not None
    assert (work.kind, work.step_type, work.due_at) == (kind, type_, DUE)
    assert work.step is not None
    assert work.step.key == type_.value


def test_a_pick_without_a_due_time_of_its_own_is_due_when_its_row_says() -> None:
    work = work_of(FulfilmentStatus.AWAITING_PICK, at(StepType.PICK, None), PICK_DUE)

    assert work is not None
    assert work.due_at == PICK_DUE


def test_a_run_before_profiles_is_the_work_its_status_says() -> None:
    def kind(status: FulfilmentStatus) -> WorkKind | None:
        work = work_of(status, [], PICK_DUE)
        return work.kind if work else None

    assert kind(FulfilmentStatus.AWAITING_PICK) is WorkKind.FULFILMENT_TO_PICK
    assert kind(FulfilmentStatus.PICKED) is WorkKind.FULFILMENT_TO_PACK
    assert kind(FulfilmentStatus.READY_FOR_COLLECTION) is WorkKind.COLLECTION_WAITING
    # Packed: the carrier is booked without anyone at the store.
    assert kind(FulfilmentStatus.PACKED) is None


@pytest.mark.parametrize("status", [s for s in FulfilmentStatus if s.is_final])
def test_a_fulfilment_over_is_no_work(status: FulfilmentStatus) -> None:
    assert work_of(status, at(StepType.PACK), PICK_DUE) is None
