"""Signed webhooks in: carriers' tracking (this module), and the senders' secrets (admin).

A sender (``carrier:<name>``, ``payments:<gateway>``, a WMS, a POS) is registered with a
secret and a kind by an admin, a WMS or a POS also with the locations it speaks for; its
requests carry ``OMS-Signature`` and ``OMS-Event-Id`` (oms.webhooks, api/inbound.py). A request
that is not signed with the sender's secret, or was signed more than 300 s ago, is 401; an
event id already applied is answered 200 with ``applied: false`` and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from api.deps import DbDep, Principal, SettingsDep, require
from api.errors import ApiError, error_responses
from api.inbound import (
    SIGNATURE_REFUSALS,
    body_schema,
    event_id_of,
    first_delivery,
    parsed,
    verified,
)
from api.views import as_utc
from oms.db import deliveries, inbound
from oms.db.engine import Database
from oms.db.tables import Location
from oms.domain.delivery import Identifier
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.inbound import SenderKind, kind_of_id, sender_refusal
from oms.domain.shipments import TrackingUpdate
from oms.keys import carrier_sender_id
from oms.logging import get_logger
from oms.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, new_secret

log = get_logger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks in"])

Admin = Annotated[Principal, Depends(require())]
SenderId = Annotated[
    str,
    Path(
        pattern=r"^[a-z0-9][a-z0-9_.:-]{0,63}$",
        description="carrier:<name>, payments:<gateway>, or a WMS's or a POS's own id",
    ),
]
CarrierName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_.-]{0,55}$")]


class SenderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str | None = Field(
        default=None, min_length=24, max_length=200, description="generated when left out"
    )
    kind: SenderKind | None = Field(
        default=None, description="left out: the one the id names (carrier:, payments, wms, pos)"
    )
    locations: list[Identifier] | None = Field(
        default=None,
        max_length=500,
        description="a wms's warehouses, a pos's stores: the locations its events may name "
        "(left out on a rotation: kept as they were)",
    )


class SenderSecret(BaseModel):
    sender: str
    kind: SenderKind
    locations: list[str]
    secret: str = Field(description="shown here only: give it to the sender")
    created: bool


class SenderOut(BaseModel):
    sender: str
    kind: SenderKind
    locations: list[str]
    created_at: datetime
    rotated_at: datetime | None


class SenderList(BaseModel):
    items: list[SenderOut]


def _kind(db: Database, sender: str, body: SenderIn) -> SenderKind | None:
    """The kind given, else the one registered (a rotation), else the one the id names."""
    if body.kind is not None:
        return body.kind
    with db.reading() as s:
        kind = inbound.kind_of(s, sender)
    return kind or kind_of_id(sender)


def _check_sender(db: Database, sender: str, kind: SenderKind | None, body: SenderIn) -> None:
    why = sender_refusal(sender, kind, body.locations or [])
    if why is not None:
        field = "locations" if "locations" in why else "kind"
        raise ApiError.invalid([FieldError(field=field, code=ErrorCode.INVALID, reason=why)])
    if not body.locations:
        return
    with db.reading() as s:
        known = set(s.exec(select(Location.id).where(col(Location.id).in_(body.locations))))
    errors = [
        FieldError(
            field=f"locations[{i}]",
            code=ErrorCode.LOCATION_NOT_FOUND,
            reason=f"no location {loc!r}",
        )
        for i, loc in enumerate(body.locations)
        if loc not in known
    ]
    if errors:
        raise ApiError.invalid(errors)


@router.put(
    "/senders/{sender}",
    response_model=SenderSecret,
    status_code=200,
    responses={
        201: {"model": SenderSecret, "description": "Registered"},
        **error_responses(ErrorCode.INVALID, in_body=[ErrorCode.LOCATION_NOT_FOUND]),
    },
)
def put_sender(sender: SenderId, body: SenderIn, response: Response, _: Admin, db: DbDep) -> Any:
    """Register a sender with its secret, its kind and (a WMS, a POS) the locations it speaks
    for, or rotate its secret (the old secret stops working)."""
    kind = _kind(db, sender, body)
    _check_sender(db, sender, kind, body)
    secret = body.secret or new_secret()
    with db.session() as s:
        row, created = inbound.set_secret(s, sender, secret, kind=kind, locations=body.locations)
        answer = SenderSecret(
            sender=sender,
            kind=SenderKind(row.kind),
            locations=list(row.locations),
            secret=secret,
            created=created,
        )
    response.status_code = 201 if created else 200
    log.info("webhook_sender_set", sender=sender, kind=answer.kind.value, created=created)
    return answer


@router.get("/senders", response_model=SenderList)
def list_senders(_: Admin, db: DbDep) -> Any:
    with db.reading() as s:
        return SenderList(
            items=[
                SenderOut(
                    sender=r.id,
                    kind=SenderKind(r.kind),
                    locations=list(r.locations),
                    created_at=as_utc(r.created_at),
                    rotated_at=as_utc(r.rotated_at) if r.rotated_at else None,
                )
                for r in inbound.senders(s)
            ]
        )


@router.delete(
    "/senders/{sender}",
    status_code=204,
    responses=error_responses(ErrorCode.SENDER_NOT_FOUND),
)
def delete_sender(sender: SenderId, _: Admin, db: DbDep) -> Response:
    with db.session() as s:
        if not inbound.remove(s, sender):
            raise ApiError(ErrorCode.SENDER_NOT_FOUND, f"no sender {sender}", "sender")
    return Response(status_code=204)


class TrackingApplied(BaseModel):
    event_id: str
    applied: bool = Field(description="false: this event id was applied before; nothing changed")
    outcome: str = Field(description="applied, recorded (late or after delivery) or duplicate")
    fulfilment_id: str | None = None
    order_id: str | None = None
    order_delivered: bool = False


@router.post(
    "/carriers/{carrier}",
    response_model=TrackingApplied,
    responses=error_responses(*SIGNATURE_REFUSALS, ErrorCode.SHIPMENT_NOT_FOUND),
    openapi_extra=body_schema(TrackingUpdate),
)
async def carrier_tracking(
    carrier: CarrierName,
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
    event_id: Annotated[
        str | None, Header(alias=EVENT_ID_HEADER, min_length=1, max_length=200)
    ] = None,
) -> Any:
    """A carrier tells where a parcel is (``IN_TRANSIT``, ``OUT_FOR_DELIVERY``, ``DELIVERED``,
    ``DELIVERY_EXCEPTION``), signed with its secret (sender ``carrier:<carrier>``). The
    shipment moves on; a failed delivery opens a ``delivery_exception`` task; the order is
    ``DELIVERED`` once every shipment is."""
    body = await request.body()
    sender = carrier_sender_id(carrier)
    await run_in_threadpool(verified, db, sender, signature, body)
    event_id = event_id_of(event_id)
    update = parsed(TrackingUpdate, body)

    def apply() -> TrackingApplied:
        with db.session() as s:
            assert signature is not None  # verified above
            if not first_delivery(s, sender, signature, event_id, "carrier.tracking"):
                return TrackingApplied(event_id=event_id, applied=False, outcome="duplicate")
            result = deliveries.apply_tracking(
                s,
                carrier=carrier,
                event_id=event_id,
                update=update,
                exception_due=settings.delivery_exception_escalate_after,
            )
            if result.outcome is deliveries.Tracked.UNKNOWN_SHIPMENT:
                # Rolled back with the event id: a retry once the booking is known applies it.
                raise ApiError(
                    ErrorCode.SHIPMENT_NOT_FOUND,
                    f"no shipment {update.tracking_number} with {carrier}",
                    "tracking_number",
                )
            return TrackingApplied(
                event_id=event_id,
                applied=True,
                outcome=result.outcome.value,
                fulfilment_id=result.fulfilment_id,
                order_id=result.order_id,
                order_delivered=result.order_delivered,
            )

    applied = await run_in_threadpool(apply)
    log.info(
        "carrier_tracking",
        carrier=carrier,
        event_id=event_id,
        outcome=applied.outcome,
        status=update.status.value,
        order_id=applied.order_id,
    )
    return applied
