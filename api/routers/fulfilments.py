"""Store staff: their location's pick lists, and pick / pack / hand-over actions.

A store key sees only its own location; another location's work answers 404, as if it
did not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import ClientDep, DbDep, Principal, require
from api.errors import ApiError, error_responses
from api.fulfilment_updates import send_pick, short_reason_effects, update_fulfilment, visible_row
from api.views import MAX_OFFSET, as_utc
from oms.db import fulfilments as fulfilment_repo
from oms.db.engine import Database
from oms.db.tables import Fulfilment, Location
from oms.domain.delivery import DeliveryMethod
from oms.domain.errors import ErrorCode
from oms.domain.fulfilment import (
    FulfilmentStatus,
    FulfilmentView,
    HandOverReport,
    PackReport,
    Parcel,
    PickedLine,
)
from oms.domain.fulfilment_profiles import PickMode, StepType
from oms.domain.fulfilment_steps import StepState
from oms.services import fulfilment_scans
from workflows.fulfilment import FulfilmentWorkflow

router = APIRouter(tags=["fulfilments"])

Staff = Annotated[Principal, Depends(require("store"))]


class CurrentStep(BaseModel):
    """What the store works on next: the first step not done nor skipped."""

    key: str
    type: StepType
    mode: PickMode | None = Field(description="A pick's mode: scan_each or fast")
    due_at: datetime | None
    escalated: bool

    @classmethod
    def of(cls, step: StepState) -> CurrentStep:
        return cls(
            key=step.key,
            type=step.type,
            mode=step.mode,
            due_at=as_utc(step.due_at) if step.due_at else None,
            escalated=step.escalated,
        )


class FulfilmentPublic(BaseModel):
    id: str
    order_id: str
    location_id: str
    status: FulfilmentStatus
    delivery_method: DeliveryMethod
    lines: list[dict[str, Any]]
    parcels: list[dict[str, Any]]
    carrier: str | None
    tracking_number: str | None
    label_url: str | None = Field(description="the carrier's label for the parcel, to print")
    profile: str | None = Field(
        description="The fulfilment profile it runs (id@version); null before profiles"
    )
    steps: list[StepState] = Field(description="Its profile's steps, in order, and where each is")
    current_step: CurrentStep | None = Field(description="The step to work on; null when none")
    transfer_to: str | None = Field(
        default=None,
        description="A transfer: the collection store it is shipped to, received at (status "
        "IN_TRANSIT until then) and collected from; null otherwise",
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, f: Fulfilment) -> FulfilmentPublic:
        steps = fulfilment_scans.steps_of(f)
        current = next((step for step in steps if not step.status.is_over), None)
        return cls(
            id=f.id,
            order_id=f.order_id,
            location_id=f.location_id,
            status=FulfilmentStatus(f.status),
            delivery_method=DeliveryMethod(f.delivery_method),
            lines=f.lines,
            parcels=f.parcels or [],
            carrier=f.carrier,
            tracking_number=f.tracking_number,
            label_url=f.label_url,
            profile=f.profile,
            steps=steps,
            current_step=CurrentStep.of(current) if current else None,
            transfer_to=f.transfer_to,
            created_at=as_utc(f.created_at),
            updated_at=as_utc(f.updated_at),
        )


class FulfilmentList(BaseModel):
    items: list[FulfilmentPublic]


class PickBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[PickedLine] = Field(min_length=1)


class PackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parcels: list[Parcel] = Field(min_length=1, max_length=50)


@router.get(
    "/locations/{location_id}/fulfilments",
    response_model=FulfilmentList,
    responses=error_responses(ErrorCode.LOCATION_NOT_FOUND),
)
def list_fulfilments(
    location_id: str,
    principal: Staff,
    db: DbDep,
    status: FulfilmentStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """The location's fulfilments, oldest first (its pick list when status=AWAITING_PICK).
    A transfer to a collection store is listed at its source until it leaves, then at the
    store (`transfer_to`): its transfers to receive when status=IN_TRANSIT."""
    with db.reading() as s:
        if not principal.sees_location(location_id) or s.get(Location, location_id) is None:
            raise ApiError(
                ErrorCode.LOCATION_NOT_FOUND,
                f"no location {location_id} for this key",
                "location_id",
            )
        rows = fulfilment_repo.for_location(
            s, location_id, status=status, limit=limit, offset=offset
        )
        return FulfilmentList(items=[FulfilmentPublic.of(f) for f in rows])


@router.get(
    "/fulfilments/{fulfilment_id}",
    response_model=FulfilmentPublic,
    responses=error_responses(ErrorCode.FULFILMENT_NOT_FOUND),
)
def get_fulfilment(fulfilment_id: str, principal: Staff, db: DbDep) -> Any:
    """One fulfilment, as the location's list shows it, for the location that works it now: a
    transfer is its source's until it leaves, then the collection store's; another location's
    is `404 fulfilment_not_found`, as if it did not exist."""
    return FulfilmentPublic.of(visible_row(db, principal, fulfilment_id))


class Label(BaseModel):
    fulfilment_id: str
    carrier: str
    tracking_number: str
    label_url: str | None = Field(description="null when the carrier gave none")


@router.get(
    "/fulfilments/{fulfilment_id}/label",
    response_model=Label,
    responses=error_responses(ErrorCode.FULFILMENT_NOT_FOUND, ErrorCode.INVALID_STATE),
)
def get_label(fulfilment_id: str, principal: Staff, db: DbDep) -> Any:
    """The carrier's label for the parcel, once booked: what the store prints and sticks on
    it (and what the carrier's pick-up scan reads)."""
    row = visible_row(db, principal, fulfilment_id)
    if row.carrier is None or row.tracking_number is None:
        raise ApiError(
            ErrorCode.INVALID_STATE, "no parcel is booked with a carrier yet", "fulfilment_id"
        )
    return Label(
        fulfilment_id=row.id,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        label_url=row.label_url,
    )


def _workflow_of(db: DbDep, principal: Principal, fulfilment_id: str) -> str:
    return visible_row(db, principal, fulfilment_id).workflow_id


def _pick_lines(
    db: Database, principal: Principal, fulfilment_id: str, body: PickBody | None
) -> tuple[str, list[PickedLine]]:
    """The fulfilment's workflow and the pick to send: the body's, or for a scan_each pick
    the scans' counts (a body's figure may not be more than was scanned)."""
    row = visible_row(db, principal, fulfilment_id)
    with db.reading() as s:
        scanned = fulfilment_scans.scanned_pick(s, row, body.lines if body else None)
    if scanned is not None:
        lines, errors = scanned
        if errors:
            raise ApiError.invalid(errors)
        return row.workflow_id, lines
    if body is None:
        raise ApiError(ErrorCode.REQUIRED, "a pick that is not scanned reports its lines", "lines")
    return row.workflow_id, body.lines


@router.post(
    "/fulfilments/{fulfilment_id}/pick",
    response_model=FulfilmentView,
    responses=error_responses(
        ErrorCode.FULFILMENT_NOT_FOUND,
        ErrorCode.INVALID_STATE,
        ErrorCode.UNKNOWN_LINE,
        ErrorCode.PICK_EXCEEDS_REQUESTED,
        ErrorCode.REASON_REQUIRED,
        ErrorCode.REASON_NOT_ALLOWED,
        ErrorCode.NOT_SCANNED,
    ),
)
async def pick(
    fulfilment_id: str,
    principal: Staff,
    db: DbDep,
    client: ClientDep,
    body: PickBody | None = None,
) -> Any:
    """Report picked quantities per line; a short pick needs a reason code whose usages
    include `short_pick` (`GET /reason-codes?usage=short_pick`). Its effects, as they stand
    now, apply to the units not picked: on stock (written off, quarantined, recount task) and
    on the order (sourced again elsewhere, or cancelled). A `scan_each` pick takes its counts
    from the units scanned (`POST /fulfilments/{id}/scans`): without a body, what was
    scanned; a body's `picked` above what was scanned is `422 not_scanned`."""
    workflow_id, lines = await run_in_threadpool(_pick_lines, db, principal, fulfilment_id, body)
    effects = await run_in_threadpool(short_reason_effects, db, lines)
    return await send_pick(client, workflow_id, lines, principal.actor, effects)


@router.post(
    "/fulfilments/{fulfilment_id}/pack",
    response_model=FulfilmentView,
    responses=error_responses(ErrorCode.FULFILMENT_NOT_FOUND, ErrorCode.INVALID_STATE),
)
async def pack(
    fulfilment_id: str, body: PackBody, principal: Staff, db: DbDep, client: ClientDep
) -> Any:
    """Report the parcels; shipping orders are then booked with the carrier."""
    workflow_id = await run_in_threadpool(_workflow_of, db, principal, fulfilment_id)
    return await update_fulfilment(
        client,
        workflow_id,
        FulfilmentWorkflow.pack,
        PackReport(parcels=body.parcels, actor=principal.actor),
    )


@router.post(
    "/fulfilments/{fulfilment_id}/collected",
    response_model=FulfilmentView,
    responses=error_responses(ErrorCode.FULFILMENT_NOT_FOUND, ErrorCode.INVALID_STATE),
)
async def collected(fulfilment_id: str, principal: Staff, db: DbDep, client: ClientDep) -> Any:
    """The customer collected a click-and-collect order that runs no fulfilment profile
    (started before profiles). One that runs a profile is `409 invalid_state`: it is
    collected with the customer's code, `POST /fulfilments/{id}/collect`."""
    row = await run_in_threadpool(visible_row, db, principal, fulfilment_id)
    if row.profile is not None:
        raise ApiError(
            ErrorCode.INVALID_STATE,
            f"fulfilment {fulfilment_id} runs profile {row.profile}: it is collected with the "
            f"customer's code (POST /fulfilments/{fulfilment_id}/collect)",
            "code",
        )
    return await update_fulfilment(
        client, row.workflow_id, FulfilmentWorkflow.collected, HandOverReport(actor=principal.actor)
    )
