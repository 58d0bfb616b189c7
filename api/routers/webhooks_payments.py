"""Signed webhooks in: a payment gateway's notices (``POST /webhooks/payments/{gateway}``),
signed with the secret of the sender ``payments:<gateway>`` (oms.services.payment_notices
says what each does)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import DbDep, SettingsDep
from api.errors import ApiError, error_responses
from api.inbound import (
    SIGNATURE_REFUSALS,
    body_schema,
    event_id_of,
    first_delivery,
    parsed,
    verified,
)
from oms.domain.errors import ErrorCode
from oms.domain.inbound import NoticeOutcome, PaymentNotice
from oms.keys import payment_sender_id
from oms.logging import get_logger
from oms.services.payment_notices import NoticeMismatch, apply_notice
from oms.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER

log = get_logger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks in"])

GatewayName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_.-]{0,54}$")]


class NoticeApplied(BaseModel):
    event_id: str
    applied: bool = Field(description="false: this event id was applied before; nothing changed")
    outcome: NoticeOutcome
    order_id: str | None = None
    idempotency_key: str | None = Field(default=None, description="the ledger row it applied to")
    task_id: str | None = Field(
        default=None, description="the task it opened: a chargeback, a reversed capture"
    )


@router.post(
    "/payments/{gateway}",
    response_model=NoticeApplied,
    responses=error_responses(
        *SIGNATURE_REFUSALS, ErrorCode.PAYMENT_NOT_FOUND, ErrorCode.PAYMENT_MISMATCH
    ),
    openapi_extra=body_schema(PaymentNotice),
)
async def payment_notice(
    gateway: GatewayName,
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
    event_id: Annotated[
        str | None, Header(alias=EVENT_ID_HEADER, min_length=1, max_length=200)
    ] = None,
) -> Any:
    """A payment gateway tells the late result of a capture or a refund (`capture.succeeded`,
    `capture.failed`, `refund.succeeded`, `refund.failed`) or a chargeback
    (`chargeback.opened`), naming the operation by the `idempotency_key` the OMS sent or by
    its own `reference`. The payment ledger records it; a capture that failed after the OMS
    recorded it opens a `payment_exception` task (due after `OMS_PAYMENT_ESCALATE_AFTER`), a
    chargeback a `chargeback` task; a reversed capture the gateway made again on its own is
    booked again (`recaptured`). A notice whose `amount` or `currency` is not the operation's
    is refused 409 `payment_mismatch` at that field, and applies nothing (its event id stays
    free for a corrected notice)."""
    body = await request.body()
    sender = payment_sender_id(gateway)
    await run_in_threadpool(verified, db, sender, signature, body)
    event_id = event_id_of(event_id)
    notice = parsed(PaymentNotice, body)

    def apply() -> NoticeApplied:
        with db.session() as s:
            assert signature is not None  # verified above
            if not first_delivery(s, sender, signature, event_id, "gateway.notice"):
                return NoticeApplied(
                    event_id=event_id, applied=False, outcome=NoticeOutcome.DUPLICATE
                )
            try:
                result = apply_notice(
                    s, gateway=gateway, notice=notice, due_in=settings.payment_escalate_after
                )
            except NoticeMismatch as err:  # rolled back with the event id
                raise ApiError(ErrorCode.PAYMENT_MISMATCH, str(err), err.field) from err
            if result is None:
                # Rolled back with the event id: a retry once the OMS knows it applies it.
                raise ApiError(
                    ErrorCode.PAYMENT_NOT_FOUND,
                    "no payment operation with this idempotency_key or reference",
                    "idempotency_key" if notice.idempotency_key else "reference",
                )
            return NoticeApplied(
                event_id=event_id,
                applied=True,
                outcome=result.outcome,
                order_id=result.order_id,
                idempotency_key=result.idempotency_key,
                task_id=result.task_id,
            )

    applied = await run_in_threadpool(apply)
    log.info(
        "payment_notice",
        gateway=gateway,
        event_id=event_id,
        type=notice.type.value,
        outcome=applied.outcome.value,
        order_id=applied.order_id,
    )
    return applied
