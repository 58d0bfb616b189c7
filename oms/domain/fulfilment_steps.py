"""A fulfilment's steps as its profile lays them out, and what staff report for each.

The fulfilment workflow (revision 3) walks these in order: ``StepState`` is where each one
is, shown on the fulfilment's view and row so that a store app knows what comes next. Staff
complete a step (``StepReport``), skip one the profile allows them to (``SkipReport``, with a
reason code), hand a parcel to the carrier by scanning its label (``HandoverScan``), receive a
transfer at its collection store by its label (``ReceiveScan``, between the steps
``transfer_steps`` lays out) and check a customer's collection code (``CollectReport``).

Pure: no I/O, safe to import inside the workflow sandbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment_profiles import (
    COLLECT_ONLY,
    FulfilmentProfile,
    PickMode,
    Step,
    StepType,
)
from oms.domain.numbers import WholeNumber

Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# How many digits a collection code has: short enough to read out at a counter.
COLLECTION_CODE_DIGITS = 6


class StepStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DONE = "done"
    SKIPPED = "skipped"

    @property
    def is_over(self) -> bool:
        return self in (StepStatus.DONE, StepStatus.SKIPPED)


class StepState(BaseModel):
    key: str
    type: StepType
    required: bool = True
    status: StepStatus = StepStatus.PENDING
    started_at: datetime | None = None
    due_at: datetime | None = None
    escalated: bool = False
    finished_at: datetime | None = None
    actor: str | None = None
    reason: str | None = Field(default=None, description="Why it was skipped (a reason code)")
    photo: str | None = Field(default=None, description="The photo step's picture (a URL)")
    # The pick step's mode, so that a store app (and the API's scans) know whether every unit
    # is scanned; None for other steps, and in views recorded before it was kept.
    mode: PickMode | None = None

    @classmethod
    def of(cls, step: Step) -> StepState:
        mode = step.pick_mode if step.type is StepType.PICK else None
        return cls(key=step.key, type=step.type, required=step.required, mode=mode)


class StepReport(BaseModel):
    """A step done (verify, vas, photo, label, ready_for_collection)."""

    model_config = ConfigDict(extra="forbid")

    step: Code
    actor: str = "store"
    photo: Annotated[str, StringConstraints(max_length=2000)] | None = None


class SkipReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Code
    reason: Code
    actor: str = "store"


class HandoverScan(BaseModel):
    """The parcel's label scanned as the carrier takes it."""

    model_config = ConfigDict(extra="forbid")

    label: Code
    actor: str = "store"


class CollectedLine(BaseModel):
    """How many units of one line the customer takes at the counter."""

    model_config = ConfigDict(extra="forbid")

    line_id: Code
    quantity: WholeNumber = Field(ge=1, le=100_000)


class CollectReport(BaseModel):
    """The customer at the counter, with the code they were sent, and what they take (none
    given: everything still waiting for them)."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    actor: str = "store"
    lines: list[CollectedLine] | None = Field(default=None, min_length=1, max_length=200)


RECEIVE_STEP = Step(type=StepType.RECEIVE)


def transfer_steps(source: FulfilmentProfile, store: FulfilmentProfile) -> list[Step]:
    """A transfer's steps: the source's for a shipment (pick to handover), its receipt at the
    store, then the store's collection steps (ready for collection, collected)."""
    collection = [s for s in store.steps_for(DeliveryMethod.COLLECT) if s.type in COLLECT_ONLY]
    return [*source.steps_for(DeliveryMethod.SHIP), RECEIVE_STEP, *collection]


class ReceiveScan(BaseModel):
    """A transfer arriving at the collection store: its parcel's label scanned there, or (no
    label) every unit scanned there, which the API checks before it sends this."""

    model_config = ConfigDict(extra="forbid")

    label: Code | None = None
    actor: str = "store"


def step_due(step: Step, *, express: bool, default: timedelta | None = None) -> timedelta | None:
    """How long a step may take once begun: the profile's deadline, else ``default``."""
    return step.deadline.due_in(express) or default


def collection_code(draw: int) -> str:
    """The code a customer shows to collect, from a random draw (the workflow's seeded
    random: deterministic on replay)."""
    return f"{draw % 10**COLLECTION_CODE_DIGITS:0{COLLECTION_CODE_DIGITS}d}"


def skip_refusal(state: StepState | None, report: SkipReport) -> str | None:
    """Why a skip cannot be taken now; None when it can."""
    if state is None or state.key != report.step:
        return f"step {report.step!r} is not the step under way"
    if state.required:
        return f"step {report.step!r} is required by the location's profile"
    return None


def step_refusal(state: StepState | None, report: StepReport) -> str | None:
    """Why a step cannot be reported done now; None when it can. Pick, pack, handover and
    collection have reports of their own."""
    if state is None or state.key != report.step:
        return f"step {report.step!r} is not the step under way"
    if state.type in (
        StepType.PICK,
        StepType.PACK,
        StepType.HANDOVER,
        StepType.RECEIVE,
        StepType.COLLECTED,
    ):
        return f"a {state.type.value} step is reported by its own action"
    if state.type is StepType.PHOTO and not report.photo:
        return "a photo step needs its photo"
    return None
