"""Signed webhooks in: a warehouse management system confirms the pick, the pack and the
shipment of its warehouses' fulfilments (``POST /webhooks/wms``), so warehouses need no store
key. Each event goes to the fulfilment's workflow as the same update store staff send
(api/fulfilment_updates.py): the fulfilment, and its order, move on exactly as they would.

The secret a request is signed with names the WMS (a sender of kind ``wms``); a fulfilment
at a location that sender does not speak for is ``403 location_not_allowed``; a step the
fulfilment is not at is the workflow's refusal (``409 invalid_state``). Each event id is
applied once: it is sent to the workflow as an update whose id names it (Temporal runs one
update id once, so an event sent again after a lost answer is not applied twice), and noted
as applied once the workflow has taken it. An event the workflow refused is not noted: sent
again once the fulfilment is at that step, it is applied.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from api.deps import ClientDep, DbDep
from api.errors import ApiError, error_responses
from api.fulfilment_updates import send_pick, short_reason_effects, update_fulfilment
from api.inbound import (
    SIGNATURE_REFUSALS,
    applied_before,
    body_schema,
    event_id_of,
    first_delivery,
    parsed,
    signer,
)
from oms.db import fulfilments as fulfilment_repo
from oms.db.engine import Database
from oms.db.tables import Fulfilment, WebhookSender
from oms.domain.errors import ErrorCode
from oms.domain.fulfilment import FulfilmentStatus, PackReport
from oms.domain.fulfilment_steps import HandoverScan
from oms.domain.inbound import SenderKind, WmsEvent, WmsEventType
from oms.keys import inbound_update_id
from oms.logging import get_logger
from oms.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER
from workflows.fulfilment import FulfilmentWorkflow

log = get_logger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks in"])


class WmsApplied(BaseModel):
    event_id: str
    applied: bool = Field(description="false: this event id was applied before; nothing changed")
    outcome: str = Field(
        description="applied, confirmed (the parcel had left already, as booked) or duplicate"
    )
    fulfilment_id: str
    status: FulfilmentStatus | None = Field(
        default=None, description="the fulfilment's status once applied"
    )


def _fulfilment(db: Database, sender: WebhookSender, event: WmsEvent) -> Fulfilment:
    with db.reading() as s:
        row = fulfilment_repo.get(s, event.fulfilment_id)
    if row is None:
        raise ApiError(
            ErrorCode.FULFILMENT_NOT_FOUND, f"no fulfilment {event.fulfilment_id}", "fulfilment_id"
        )
    if row.location_id not in sender.locations:
        raise ApiError(
            ErrorCode.LOCATION_NOT_ALLOWED,
            f"fulfilment {row.id} is at {row.location_id}, not at a location of {sender.id}",
            "fulfilment_id",
        )
    return row


def _seen(db: Database, sender: str, signature: str, event_id: str) -> bool:
    with db.reading() as s:
        return applied_before(s, sender, signature, event_id)


def _note(db: Database, sender: str, signature: str, event_id: str) -> None:
    with db.session() as s:
        first_delivery(s, sender, signature, event_id, "wms")


def _already_left(row: Fulfilment, event: WmsEvent) -> bool:
    """A ``shipped`` event for a parcel that left as booked: nothing moves; one that names
    another carrier or tracking number than the booking's is refused."""
    if row.status != FulfilmentStatus.SHIPPED:
        return False
    labels = {row.tracking_number, *(p.get("reference") for p in row.parcels or [])} - {None}
    if event.tracking_number not in labels or (event.carrier and event.carrier != row.carrier):
        raise ApiError(
            ErrorCode.TRACKING_MISMATCH,
            f"fulfilment {row.id} left with {row.carrier} {row.tracking_number}",
            "tracking_number",
        )
    return True


async def _apply(
    db: Database, client: Client, sender: str, event_id: str, row: Fulfilment, event: WmsEvent
) -> FulfilmentStatus:
    once = inbound_update_id(sender, event_id)
    if event.type is WmsEventType.PICK_CONFIRMED:
        assert event.lines is not None  # the body's validator sees to it
        effects = await run_in_threadpool(short_reason_effects, db, event.lines)
        view = await send_pick(
            client, row.workflow_id, event.lines, sender, effects, update_id=once
        )
    elif event.type is WmsEventType.PACK_CONFIRMED:
        assert event.parcels is not None
        report = PackReport(parcels=event.parcels, actor=sender)
        view = await update_fulfilment(
            client, row.workflow_id, FulfilmentWorkflow.pack, report, update_id=once
        )
    else:
        assert event.tracking_number is not None
        if event.carrier and row.carrier and event.carrier != row.carrier:
            raise ApiError(
                ErrorCode.TRACKING_MISMATCH,
                f"fulfilment {row.id} is booked with {row.carrier}, not {event.carrier}",
                "carrier",
            )
        scan = HandoverScan(label=event.tracking_number, actor=sender)
        try:
            view = await update_fulfilment(
                client, row.workflow_id, FulfilmentWorkflow.handover, scan, update_id=once
            )
        except ApiError as refused:
            if refused.code is not ErrorCode.INVALID:  # not a label of this fulfilment's
                raise
            raise ApiError(
                ErrorCode.TRACKING_MISMATCH, refused.reason, "tracking_number"
            ) from refused
    return view.status


@router.post(
    "/wms",
    response_model=WmsApplied,
    responses=error_responses(
        *SIGNATURE_REFUSALS,
        ErrorCode.FULFILMENT_NOT_FOUND,
        ErrorCode.LOCATION_NOT_ALLOWED,
        ErrorCode.INVALID_STATE,
        ErrorCode.TRACKING_MISMATCH,
        ErrorCode.UNKNOWN_LINE,
        ErrorCode.PICK_EXCEEDS_REQUESTED,
        ErrorCode.REASON_REQUIRED,
        ErrorCode.REASON_NOT_ALLOWED,
    ),
    openapi_extra=body_schema(WmsEvent),
)
async def wms_event(
    request: Request,
    db: DbDep,
    client: ClientDep,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
    event_id: Annotated[
        str | None, Header(alias=EVENT_ID_HEADER, min_length=1, max_length=200)
    ] = None,
) -> Any:
    """A warehouse confirms a step of one of its fulfilments: `pick_confirmed` (each line's
    picked quantity, a short line with a `short_pick` reason code), `pack_confirmed` (the
    parcels; the carrier is then booked, as for a store) or `shipped` (the parcel left: its
    tracking number, or a parcel reference given at pack, as the hand-over scan)."""
    body = await request.body()
    sender = await run_in_threadpool(signer, db, SenderKind.WMS, signature, body)
    assert signature is not None  # verified above
    event_id = event_id_of(event_id)
    event = parsed(WmsEvent, body)
    row = await run_in_threadpool(_fulfilment, db, sender, event)
    if await run_in_threadpool(_seen, db, sender.id, signature, event_id):
        return WmsApplied(
            event_id=event_id, applied=False, outcome="duplicate", fulfilment_id=row.id
        )
    if event.type is WmsEventType.SHIPPED and _already_left(row, event):
        outcome, status = "confirmed", FulfilmentStatus.SHIPPED
    else:
        outcome, status = "applied", await _apply(db, client, sender.id, event_id, row, event)
    await run_in_threadpool(_note, db, sender.id, signature, event_id)
    log.info(
        "wms_event",
        sender=sender.id,
        event_id=event_id,
        type=event.type.value,
        fulfilment_id=row.id,
        order_id=row.order_id,
        outcome=outcome,
    )
    return WmsApplied(
        event_id=event_id, applied=True, outcome=outcome, fulfilment_id=row.id, status=status
    )
