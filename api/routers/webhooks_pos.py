"""Signed webhooks in: a point of sale's sales and returns (``POST /webhooks/pos``), applied to
its store's stock once per event id (oms.services.pos_sales).

The secret a request is signed with names the POS (a sender of kind ``pos``); a store it
does not speak for is ``403 location_not_allowed``, a SKU not in the catalogue ``422
unknown_sku`` (nothing of the event applied).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from api.deps import DbDep
from api.errors import ApiError, error_responses
from api.inbound import SIGNATURE_REFUSALS, body_schema, event_id_of, first_delivery, parsed, signer
from oms.db.engine import Database
from oms.db.tables import Product, WebhookSender
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.inbound import PosEvent, SenderKind
from oms.domain.numbers import WholeNumber
from oms.logging import get_logger
from oms.services.pos_sales import apply_pos_event
from oms.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER

log = get_logger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks in"])


class PosApplied(BaseModel):
    event_id: str
    applied: bool = Field(description="false: this event id was applied before; nothing changed")
    location_id: str
    units: WholeNumber = Field(description="units moved at the store")


def _check(db: Database, sender: WebhookSender, event: PosEvent) -> None:
    if event.location_id not in sender.locations:
        raise ApiError(
            ErrorCode.LOCATION_NOT_ALLOWED,
            f"{sender.id} does not speak for {event.location_id}",
            "location_id",
        )
    skus = {line.sku for line in event.lines}
    with db.reading() as s:
        known = set(s.exec(select(Product.sku).where(col(Product.sku).in_(skus))))
    errors = [
        FieldError(
            field=f"lines[{i}].sku",
            code=ErrorCode.UNKNOWN_SKU,
            reason=f"SKU {line.sku!r} is not in the catalogue",
        )
        for i, line in enumerate(event.lines)
        if line.sku not in known
    ]
    if errors:
        raise ApiError.invalid(errors)


@router.post(
    "/pos",
    response_model=PosApplied,
    responses=error_responses(
        *SIGNATURE_REFUSALS, ErrorCode.LOCATION_NOT_ALLOWED, ErrorCode.UNKNOWN_SKU
    ),
    openapi_extra=body_schema(PosEvent),
)
async def pos_event(
    request: Request,
    db: DbDep,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
    event_id: Annotated[
        str | None, Header(alias=EVENT_ID_HEADER, min_length=1, max_length=200)
    ] = None,
) -> Any:
    """A store's till reports a `sale` (its units leave on hand) or a `return` (its units come
    back on hand; a line with `"resellable": false` is set apart, quarantined), each once per
    event id. Availability moves at once; the stock events follow as for any stock move."""
    body = await request.body()
    sender = await run_in_threadpool(signer, db, SenderKind.POS, signature, body)
    assert signature is not None  # verified above
    event_id = event_id_of(event_id)
    event = parsed(PosEvent, body)
    await run_in_threadpool(_check, db, sender, event)

    def apply() -> PosApplied:
        with db.session() as s:
            assert signature is not None
            if not first_delivery(s, sender.id, signature, event_id, f"pos.{event.type.value}"):
                return PosApplied(
                    event_id=event_id, applied=False, location_id=event.location_id, units=0
                )
            units = apply_pos_event(s, sender=sender.id, event_id=event_id, event=event)
            return PosApplied(
                event_id=event_id, applied=True, location_id=event.location_id, units=units
            )

    applied = await run_in_threadpool(apply)
    log.info(
        "pos_event",
        sender=sender.id,
        event_id=event_id,
        type=event.type.value,
        location_id=event.location_id,
        units=applied.units,
        applied=applied.applied,
    )
    return applied
