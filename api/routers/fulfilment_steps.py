"""Store staff working the steps of a fulfilment's profile: scan units, complete or skip a
step, hand a parcel to the carrier by its label, receive a transfer at its collection store by
its label, and check a customer's collection code.

Each action is sent to the fulfilment's workflow as an update (``api.fulfilment_updates``),
which refuses what its step under way does not allow; what can be checked without it (a
reason code, a scan, a verify's scans, a photo's URL) is refused here before anything is sent.
A store key sees only its own location; another location's fulfilment answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from api.deps import ClientDep, DbDep, Principal, require
from api.errors import ApiError, error_responses
from api.fulfilment_updates import check_reasons, update_fulfilment, visible_row
from oms.db import scans as scan_repo
from oms.db.engine import Database
from oms.db.tables import Fulfilment
from oms.domain.collection import collect_refusals
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.fulfilment import FulfilmentLine, FulfilmentStatus, FulfilmentView
from oms.domain.fulfilment_profiles import StepType
from oms.domain.fulfilment_scans import LineScans
from oms.domain.fulfilment_steps import (
    CollectedLine,
    CollectReport,
    HandoverScan,
    ReceiveScan,
    SkipReport,
    StepReport,
)
from oms.domain.reason_codes import Code as ReasonCode
from oms.domain.reason_codes import ReasonUsage
from oms.logging import get_logger
from oms.services import fulfilment_scans
from workflows.fulfilment import FulfilmentWorkflow

log = get_logger(__name__)
router = APIRouter(tags=["fulfilments"])

Staff = Annotated[Principal, Depends(require("store"))]
Text = Annotated[str, StringConstraints(min_length=1, max_length=64)]
PhotoUrl = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$")]
Barcode = Annotated[str, StringConstraints(pattern=r"^[0-9]{8,14}$")]
StepKey = Annotated[str, Path(min_length=1, max_length=64, description="The step's key")]
WAITING_AT_THE_COUNTER = (
    FulfilmentStatus.READY_FOR_COLLECTION,
    FulfilmentStatus.PARTIALLY_COLLECTED,
)


class CompleteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    photo: PhotoUrl | None = Field(default=None, description="A photo step's picture (its URL)")


class SkipBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ReasonCode = Field(description="A code listed by GET /reason-codes?usage=skip_step")


class HandoverBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Text = Field(description="The parcel's label (its tracking number) as scanned")


class CollectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Text = Field(description="The collection code the customer was sent")
    lines: list[CollectedLine] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="What the customer takes, by line; left out: everything still waiting",
    )


class ScanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    barcode: Barcode = Field(description="The unit's barcode (a GTIN)")


class ScansPublic(BaseModel):
    fulfilment_id: str
    step: str = Field(description="The step the scans count for (its key)")
    lines: list[LineScans] = Field(description="Per line: units the step expects, and scanned")


def _step_row(
    db: Database, principal: Principal, fulfilment_id: str, step: str, body: CompleteBody
) -> str:
    """The workflow to tell; a verify not scanned in full, or a photo step without its
    photo, is refused first."""
    row = visible_row(db, principal, fulfilment_id)
    state = next((s for s in fulfilment_scans.steps_of(row) if s.key == step), None)
    if state is not None and state.type is StepType.PHOTO and body.photo is None:
        raise ApiError(ErrorCode.REQUIRED, "a photo step is completed with its photo", "photo")
    _all_scanned(db, row, step)
    return row.workflow_id


def _all_scanned(db: Database, row: Fulfilment, step: str) -> None:
    """A verify, or a transfer's receipt by its units, is refused (422 not_scanned, naming
    the lines) until every picked unit was scanned for it."""
    with db.reading() as s:
        try:
            missing = fulfilment_scans.unverified(s, row, step)
        except DomainError as err:
            raise ApiError.refused(err) from err
    if missing:
        raise ApiError.invalid(missing)


@router.post(
    "/fulfilments/{fulfilment_id}/steps/{step}/complete",
    response_model=FulfilmentView,
    responses=error_responses(
        ErrorCode.FULFILMENT_NOT_FOUND,
        ErrorCode.INVALID_STATE,
        ErrorCode.NOT_SCANNED,
        ErrorCode.REQUIRED,
    ),
)
async def complete_step(
    fulfilment_id: str,
    step: StepKey,
    principal: Staff,
    db: DbDep,
    client: ClientDep,
    body: CompleteBody | None = None,
) -> Any:
    """The step under way is done (a verify, a vas, a photo with its `photo` URL, a label,
    by its key). A verify is done once every picked unit was scanned again (`POST
    /fulfilments/{id}/scans`): until then `422 not_scanned` names the lines short of scans.
    Pick, pack, handover and collection have actions of their own."""
    body = body or CompleteBody()
    workflow_id = await run_in_threadpool(_step_row, db, principal, fulfilment_id, step, body)
    report = StepReport(step=step, actor=principal.actor, photo=body.photo)
    return await update_fulfilment(client, workflow_id, FulfilmentWorkflow.complete_step, report)


def _skip_row(db: Database, principal: Principal, fulfilment_id: str, reason: str) -> str:
    workflow_id = visible_row(db, principal, fulfilment_id).workflow_id
    check_reasons(db, [("reason", reason)], ReasonUsage.SKIP_STEP)
    return workflow_id


@router.post(
    "/fulfilments/{fulfilment_id}/steps/{step}/skip",
    response_model=FulfilmentView,
    responses=error_responses(
        ErrorCode.FULFILMENT_NOT_FOUND, ErrorCode.INVALID_STATE, ErrorCode.REASON_NOT_ALLOWED
    ),
)
async def skip_step(
    fulfilment_id: str,
    step: StepKey,
    body: SkipBody,
    principal: Staff,
    db: DbDep,
    client: ClientDep,
) -> Any:
    """Skip the step under way, one the profile does not require, with a reason code whose
    usages include `skip_step` (`422 reason_not_allowed` otherwise); a required step is
    `409 invalid_state`."""
    workflow_id = await run_in_threadpool(_skip_row, db, principal, fulfilment_id, body.reason)
    report = SkipReport(step=step, reason=body.reason, actor=principal.actor)
    return await update_fulfilment(client, workflow_id, FulfilmentWorkflow.skip_step, report)


@router.post(
    "/fulfilments/{fulfilment_id}/handover",
    response_model=FulfilmentView,
    responses=error_responses(
        ErrorCode.FULFILMENT_NOT_FOUND, ErrorCode.INVALID_STATE, ErrorCode.INVALID
    ),
)
async def handover(
    fulfilment_id: str, body: HandoverBody, principal: Staff, db: DbDep, client: ClientDep
) -> Any:
    """The carrier takes the parcel: its label scanned. A label not of this fulfilment
    (its tracking number, a parcel's reference) is `422 invalid` at `label`."""
    row = await run_in_threadpool(visible_row, db, principal, fulfilment_id)
    scan = HandoverScan(label=body.label, actor=principal.actor)
    return await update_fulfilment(client, row.workflow_id, FulfilmentWorkflow.handover, scan)


@router.post(
    "/fulfilments/{fulfilment_id}/collect",
    response_model=FulfilmentView,
    responses=error_responses(
        ErrorCode.FULFILMENT_NOT_FOUND,
        ErrorCode.INVALID_STATE,
        ErrorCode.INVALID,
        ErrorCode.UNKNOWN_LINE,
        ErrorCode.DUPLICATE_LINE_ID,
        ErrorCode.INVALID_QUANTITY,
    ),
)
async def collect(
    fulfilment_id: str, body: CollectBody, principal: Staff, db: DbDep, client: ClientDep
) -> Any:
    """The customer at the counter with the collection code they were sent (event
    `fulfilment.ready_for_collection`); another code is `422 invalid` at `code`. They take
    the `lines` given (each `line_id` and `quantity`), by default everything still waiting;
    what is left waits for them (the same code) until the hold ends. A line not in the
    collection is `422 unknown_line`, one given twice `422 duplicate_line_id`, more units
    than are left `422 invalid_quantity`, each at its field."""
    row = await run_in_threadpool(visible_row, db, principal, fulfilment_id)
    report = CollectReport(code=body.code, actor=principal.actor, lines=body.lines)
    if FulfilmentStatus(row.status) in WAITING_AT_THE_COUNTER:  # else the workflow's 409
        lines = [FulfilmentLine.model_validate(x) for x in row.lines]
        errors = collect_refusals(lines, report)
        if errors:
            raise ApiError.invalid(errors)
    return await update_fulfilment(client, row.workflow_id, FulfilmentWorkflow.collect, report)


class ReceiveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Text | None = Field(
        default=None,
        description="The parcel's label as scanned; without it, every unit must have been "
        "scanned at the store first (POST /fulfilments/{id}/scans)",
    )


def _receiving(db: Database, principal: Principal, fulfilment_id: str, body: ReceiveBody) -> str:
    """The workflow to tell; a transfer received by its units is refused until each one is
    scanned at the store."""
    row = visible_row(db, principal, fulfilment_id)
    if row.transfer_to is None:
        raise ApiError(
            ErrorCode.INVALID_STATE, "this fulfilment is not a transfer to a store", "label"
        )
    if body.label is None:
        _all_scanned(db, row, StepType.RECEIVE.value)
    return row.workflow_id


@router.post(
    "/fulfilments/{fulfilment_id}/receive",
    response_model=FulfilmentView,
    responses=error_responses(
        ErrorCode.FULFILMENT_NOT_FOUND,
        ErrorCode.INVALID_STATE,
        ErrorCode.INVALID,
        ErrorCode.NOT_SCANNED,
    ),
)
async def receive(
    fulfilment_id: str,
    principal: Staff,
    db: DbDep,
    client: ClientDep,
    body: ReceiveBody | None = None,
) -> Any:
    """A transfer arrives at its collection store, received by a key of that store (the
    location that shipped it, or any other, is `404 fulfilment_not_found`): the parcel's
    `label` scanned (another label is `422 invalid` at `label`), or without a label once every
    unit was scanned at the store with `POST /fulfilments/{id}/scans` (until then `422
    not_scanned` names the lines short of scans). A fulfilment that is not on its way to a
    store is `409 invalid_state`. It is then ready for collection (events
    `fulfilment.transfer_received`, then `fulfilment.ready_for_collection`)."""
    body = body or ReceiveBody()
    workflow_id = await run_in_threadpool(_receiving, db, principal, fulfilment_id, body)
    scan = ReceiveScan(label=body.label, actor=principal.actor)
    view = await update_fulfilment(client, workflow_id, FulfilmentWorkflow.receive, scan)
    log.info(
        "transfer_received",
        order_id=view.order_id,
        fulfilment_id=fulfilment_id,
        location_id=view.transfer_to,
    )
    return view


def _scan(db: Database, principal: Principal, fulfilment_id: str, barcode: str) -> ScansPublic:
    visible_row(db, principal, fulfilment_id)
    with db.session() as s:
        row = scan_repo.lock(s, fulfilment_id)
        assert row is not None
        try:
            scanned = fulfilment_scans.scan(s, row, barcode, principal.actor)
        except DomainError as err:
            raise ApiError.refused(err) from err
    return ScansPublic(fulfilment_id=fulfilment_id, step=scanned.step, lines=scanned.lines)


@router.post(
    "/fulfilments/{fulfilment_id}/scans",
    response_model=ScansPublic,
    responses=error_responses(
        ErrorCode.FULFILMENT_NOT_FOUND,
        ErrorCode.INVALID_STATE,
        ErrorCode.WRONG_ITEM,
        ErrorCode.UNKNOWN_BARCODE,
        ErrorCode.PICK_EXCEEDS_REQUESTED,
    ),
)
def scan(fulfilment_id: str, body: ScanBody, principal: Staff, db: DbDep) -> Any:
    """One unit scanned for the step under way: a `scan_each` pick, or a `verify` at the
    bench. A barcode of a product not on the fulfilment is `422 wrong_item`, one no product
    has `422 unknown_barcode`, a unit more than the line asks (at a verify: than was picked)
    `422 pick_exceeds_requested`; none of them counts. Answers the step's count per line."""
    answer = _scan(db, principal, fulfilment_id, body.barcode)
    log.info("fulfilment_scanned", fulfilment_id=fulfilment_id, step=answer.step)
    return answer
