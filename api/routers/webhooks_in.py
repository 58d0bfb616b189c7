"""Signed webhooks in: carriers' tracking (this module), and the senders' secrets (admin).

A sender (``carrier:<name>``, ``wms``, ``pos``, ``payments``) is registered with a secret by
an admin; its requests carry ``OMS-Signature`` and ``OMS-Event-Id`` (oms.webhooks). A request
that is not signed with the sender's secret, or was signed more than 300 s ago, is 401; an
event id already applied is answered 200 with ``applied: false`` and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import DbDep, Principal, SettingsDep, require
from api.errors import ApiError, error_responses, from_validation
from api.views import as_utc
from oms.db import deliveries, inbound
from oms.db.engine import Database
from oms.domain.errors import ErrorCode
from oms.domain.shipments import TrackingUpdate
from oms.logging import get_logger
from oms.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    SignatureError,
    new_secret,
    signed_once,
    verify,
)

log = get_logger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks in"])

Admin = Annotated[Principal, Depends(require())]
SenderId = Annotated[
    str,
    Path(
        pattern=r"^[a-z0-9][a-z0-9_.:-]{0,63}$",
        description="carrier:<name>, wms, pos or payments",
    ),
]
CarrierName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_.-]{0,55}$")]
_SIGNATURE_REFUSALS = (
    ErrorCode.SIGNATURE_MISSING,
    ErrorCode.SIGNATURE_MALFORMED,
    ErrorCode.SIGNATURE_EXPIRED,
    ErrorCode.SIGNATURE_MISMATCH,
)


class SenderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str | None = Field(
        default=None, min_length=24, max_length=200, description="generated when left out"
    )


class SenderSecret(BaseModel):
    sender: str
    secret: str = Field(description="shown here only: give it to the sender")
    created: bool


class SenderOut(BaseModel):
    sender: str
    created_at: datetime
    rotated_at: datetime | None


class SenderList(BaseModel):
    items: list[SenderOut]


@router.put(
    "/senders/{sender}",
    response_model=SenderSecret,
    status_code=200,
    responses={201: {"model": SenderSecret, "description": "Registered"}},
)
def put_sender(sender: SenderId, body: SenderIn, response: Response, _: Admin, db: DbDep) -> Any:
    """Register a sender with its secret, or rotate it (the old secret stops working)."""
    secret = body.secret or new_secret()
    with db.session() as s:
        created = inbound.set_secret(s, sender, secret)[1]
    response.status_code = 201 if created else 200
    log.info("webhook_sender_set", sender=sender, created=created)
    return SenderSecret(sender=sender, secret=secret, created=created)


@router.get("/senders", response_model=SenderList)
def list_senders(_: Admin, db: DbDep) -> Any:
    with db.reading() as s:
        return SenderList(
            items=[
                SenderOut(
                    sender=r.id,
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


def _verified(db: Database, sender: str, signature: str | None, body: bytes) -> None:
    with db.reading() as s:
        secret = inbound.secret_of(s, sender)
    try:
        if secret is None:  # an unknown sender is told no more than a wrong signature
            verify("", signature, body)
            raise SignatureError("signature_mismatch", "the signature does not match the body")
        verify(secret, signature, body)
    except SignatureError as exc:
        log.warning("webhook_refused", sender=sender, code=exc.code)
        raise ApiError(ErrorCode(exc.code), str(exc), SIGNATURE_HEADER) from exc


def _parsed(body: bytes) -> TrackingUpdate:
    try:
        return TrackingUpdate.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise from_validation(RequestValidationError(errors)) from exc


@router.post(
    "/carriers/{carrier}",
    response_model=TrackingApplied,
    responses=error_responses(*_SIGNATURE_REFUSALS, ErrorCode.SHIPMENT_NOT_FOUND),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": TrackingUpdate.model_json_schema()}},
        }
    },
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
    sender = f"carrier:{carrier}"
    await run_in_threadpool(_verified, db, sender, signature, body)
    if not event_id:
        raise ApiError(ErrorCode.REQUIRED, f"{EVENT_ID_HEADER} is required", EVENT_ID_HEADER)
    update = _parsed(body)

    def apply() -> TrackingApplied:
        with db.session() as s:
            assert signature is not None  # verified above
            replayed = not inbound.first_time(
                s, sender, f"sig:{signed_once(signature)}", "carrier.tracking"
            )
            if replayed or not inbound.first_time(s, sender, event_id, "carrier.tracking"):
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
