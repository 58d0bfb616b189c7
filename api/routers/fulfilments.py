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
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import ClientDep, DbDep, Principal, require
from api.errors import ApiError, error_responses
from api.views import MAX_OFFSET, as_utc
from oms.db import fulfilments as fulfilment_repo
from oms.db import reason_codes as reason_code_repo
from oms.db.tables import Fulfilment, Location
from oms.domain import reason_codes as reasons
from oms.domain.delivery import DeliveryMethod
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.fulfilment import (
    FulfilmentStatus,
    FulfilmentView,
    HandOverReport,
    PackReport,
    Parcel,
    PickedLine,
    PickReport,
)
from oms.domain.reason_codes import ReasonEffects, ReasonUsage
from oms.logging import get_logger
from workflows.fulfilment import FulfilmentWorkflow

log = get_logger(__name__)
router = APIRouter(tags=["fulfilments"])

Staff = Annotated[Principal, Depends(require("store"))]


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
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, f: Fulfilment) -> FulfilmentPublic:
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


def _may_see(principal: Principal, location_id: str) -> bool:
    return principal.role == "admin" or principal.location_id == location_id


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
    """The location's fulfilments, oldest first (its pick list when status=AWAITING_PICK)."""
    with db.reading() as s:
        if not _may_see(principal, location_id) or s.get(Location, location_id) is None:
            raise ApiError(
                ErrorCode.LOCATION_NOT_FOUND,
                f"no location {location_id} for this key",
                "location_id",
            )
        rows = fulfilment_repo.for_location(
            s, location_id, status=status, limit=limit, offset=offset
        )
        return FulfilmentList(items=[FulfilmentPublic.of(f) for f in rows])


def _short_reasons(db: DbDep, lines: list[PickedLine]) -> dict[str, ReasonEffects]:
    """The effects of the codes the report gives, as they stand now; a code that is unknown,
    retired or not meant for a short pick is refused before the store's update is sent."""
    given = {line.short_reason for line in lines if line.short_reason is not None}
    with db.reading() as s:
        codes = reason_code_repo.resolve(s, given)
    errors = [
        refusal
        for i, line in enumerate(lines)
        if line.short_reason is not None
        and (
            refusal := reasons.refusal(
                codes.get(line.short_reason),
                line.short_reason,
                ReasonUsage.SHORT_PICK,
                f"lines[{i}].short_reason",
            )
        )
    ]
    if errors:
        raise ApiError.invalid(errors)
    return {code: codes[code].effects for code in sorted(given)}


def _workflow_of(db: DbDep, principal: Principal, fulfilment_id: str) -> str:
    with db.reading() as s:
        row = fulfilment_repo.get(s, fulfilment_id)
        if row is None or not _may_see(principal, row.location_id):
            raise ApiError(
                ErrorCode.FULFILMENT_NOT_FOUND,
                f"no fulfilment {fulfilment_id}",
                "fulfilment_id",
            )
        return row.workflow_id


async def _update(client: ClientDep, workflow_id: str, update: Any, arg: Any) -> FulfilmentView:
    handle = client.get_workflow_handle(workflow_id)
    try:
        view: FulfilmentView = await handle.execute_update(update, arg)
        return view
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == "invalid_pick":
            errors = [FieldError.model_validate(d) for d in cause.details]
            raise ApiError.invalid(errors) from err
        reason = cause.message if isinstance(cause, ApplicationError) else str(err)
        raise ApiError(ErrorCode.INVALID_STATE, reason) from err
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise ApiError(
                ErrorCode.INVALID_STATE,
                "this fulfilment is finished and takes no more actions",
            ) from err
        # Temporal itself is unreachable or slow: the action did not happen, retry it.
        raise ApiError(ErrorCode.UNAVAILABLE, "could not reach the fulfilment") from err


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
    ),
)
async def pick(
    fulfilment_id: str, body: PickBody, principal: Staff, db: DbDep, client: ClientDep
) -> Any:
    """Report picked quantities per line; a short pick needs a reason code whose usages
    include `short_pick` (`GET /reason-codes?usage=short_pick`). Its effects, as they stand
    now, apply to the units not picked: on stock (written off, quarantined, recount task) and
    on the order (sourced again elsewhere, or cancelled)."""
    workflow_id = await run_in_threadpool(_workflow_of, db, principal, fulfilment_id)
    effects = await run_in_threadpool(_short_reasons, db, body.lines)
    view = await _update(
        client,
        workflow_id,
        FulfilmentWorkflow.pick,
        PickReport(lines=body.lines, actor=principal.actor, effects=effects),
    )
    log.info(
        "fulfilment_picked",
        order_id=view.order_id,
        fulfilment_id=fulfilment_id,
        location_id=view.location_id,
        status=view.status.value,
    )
    return view


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
    return await _update(
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
    """The customer collected a click-and-collect order."""
    workflow_id = await run_in_threadpool(_workflow_of, db, principal, fulfilment_id)
    return await _update(
        client, workflow_id, FulfilmentWorkflow.collected, HandOverReport(actor=principal.actor)
    )
