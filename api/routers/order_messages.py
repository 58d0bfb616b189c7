"""The messages the OMS sent (or could not send) to an order's customer: kind, language,
status, address and subject, oldest first; and one sent again on request, as customer
service does for a customer who never got it (docs/messages.md)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import DbDep, Principal, require
from api.errors import ApiError, error_responses
from api.idempotency import Idempotent
from api.views import as_utc
from oms.db import customer_messages
from oms.db import orders as order_repo
from oms.db.tables import CustomerMessage
from oms.domain.errors import ErrorCode
from oms.domain.messages import Locale, MessageKind, MessageStatus
from oms.domain.order.model import Email
from oms.keys import customer_message_resend_key
from oms.services.customer_messages import ResendRefused, resend

router = APIRouter(prefix="/orders", tags=["orders"])

Reader = Annotated[Principal, Depends(require("storefront", "analyst"))]
MAX_ID = 2**31 - 1  # message ids are 32-bit integers in the database
MessageId = Annotated[int, Path(ge=1, le=MAX_ID, description="The message's id")]


class MessageOut(BaseModel):
    id: int
    kind: MessageKind
    locale: Locale
    status: MessageStatus = Field(description="pending: not sent yet, or retried later")
    to: str
    subject: str
    attempts: int
    last_error: str | None
    event_id: str = Field(description="The outbox event it tells of")
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    resend_of: int | None = Field(description="A copy sent again on request: the message it copies")
    requested_by: str | None = Field(description="A copy: the id of the API key that asked for it")


class ResendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Email | None = Field(
        default=None,
        description="Send it to this address instead (a customer who gave a wrong one); "
        "omitted: where the message went. The order's own address is not changed.",
    )


class MessageList(BaseModel):
    order_id: str
    items: list[MessageOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null: none")


def _made_under(s: Session, original: CustomerMessage, key: str) -> CustomerMessage | None:
    assert original.id is not None
    return customer_messages.by_key(s, customer_message_resend_key(original.kind, original.id, key))


def _out(row: CustomerMessage) -> MessageOut:
    assert row.id is not None
    return MessageOut(
        id=row.id,
        kind=MessageKind(row.kind),
        locale=Locale(row.locale),
        status=MessageStatus(row.status),
        to=row.to,
        subject=row.subject,
        attempts=row.attempts,
        last_error=row.last_error,
        event_id=row.event_id,
        created_at=as_utc(row.created_at),
        sent_at=as_utc(row.sent_at) if row.sent_at else None,
        next_attempt_at=as_utc(row.next_attempt_at) if row.next_attempt_at else None,
        resend_of=row.resend_of,
        requested_by=row.requested_by,
    )


@router.get(
    "/{order_id}/messages",
    response_model=MessageList,
    responses=error_responses(ErrorCode.ORDER_NOT_FOUND),
)
def list_messages(
    order_id: str,
    principal: Reader,
    db: DbDep,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    """What the customer was told, oldest first; a storefront key sees its own channels'
    orders only. Follow ``next_after`` for the next page."""
    with db.reading() as s:
        row = order_repo.get_order(s, order_id)
        if row is None or not principal.sees_channel(row.channel):
            raise ApiError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id}", "order_id")
        items = [
            _out(m) for m in customer_messages.for_order(s, order_id, after=after, limit=limit)
        ]
    return MessageList(
        order_id=order_id,
        items=items,
        next_after=items[-1].id if len(items) == limit else None,
    )


def _seen_order(s: Any, order_id: str, principal: Principal) -> None:
    row = order_repo.get_order(s, order_id)
    if row is None or not principal.sees_channel(row.channel):
        raise ApiError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id}", "order_id")


def _message(s: Any, order_id: str, message_id: int, *, lock: bool = False) -> CustomerMessage:
    row = customer_messages.one(s, order_id, message_id, lock=lock)
    if row is None:
        raise ApiError(
            ErrorCode.MESSAGE_NOT_FOUND,
            f"order {order_id} has no message {message_id}",
            "message_id",
        )
    return row


@router.get(
    "/{order_id}/messages/{message_id}",
    response_model=MessageOut,
    responses=error_responses(ErrorCode.ORDER_NOT_FOUND, ErrorCode.MESSAGE_NOT_FOUND),
)
def get_message(order_id: str, message_id: MessageId, principal: Reader, db: DbDep) -> Any:
    """One message of the order, as the list shows it."""
    with db.reading() as s:
        _seen_order(s, order_id, principal)
        return _out(_message(s, order_id, message_id))


@router.post(
    "/{order_id}/messages/{message_id}/resend",
    status_code=201,
    response_model=MessageOut,
    responses={
        **error_responses(
            ErrorCode.ORDER_NOT_FOUND,
            ErrorCode.MESSAGE_NOT_FOUND,
            ErrorCode.MESSAGE_PENDING,
            ErrorCode.MESSAGE_UNRENDERABLE,
        ),
        200: {"description": "The copy this Idempotency-Key asked for before"},
    },
)
def resend_message(
    order_id: str,
    message_id: MessageId,
    principal: Reader,
    db: DbDep,
    response: Response,
    idem: Idempotent,
    body: ResendBody | None = None,
) -> Any:
    """Send a message again, in the language it was written in, to the address it went to or
    to ``to`` (analysts and admins only): a new message, pending, that the sending loop takes
    within seconds, with a Message-ID of its own; its ``resend_of`` names the first message
    (a copy's copy too). It is rendered anew from its event and the order as stored now.
    Refused while the first message, or a copy of it, is still on its way. With an
    ``Idempotency-Key``, a retried request answers the copy it made (200) instead of making
    another; the key with another request (another message, another ``to``) is 422
    ``idempotency_key_reused``."""
    to = body.to if body is not None else None
    if to is not None and principal.role == "storefront":
        # A storefront's "resend" link is the customer's: to the address it went to only.
        raise ApiError(
            ErrorCode.FORBIDDEN, "a storefront key sends a message again where it went", "to"
        )
    with db.session() as s:
        _seen_order(s, order_id, principal)
        asked = _message(s, order_id, message_id, lock=True)
        # A copy's copy is the first message's: one lock and one "on its way" check for all.
        original = _message(s, order_id, asked.resend_of, lock=True) if asked.resend_of else asked
        now = datetime.now(UTC)
        # The key is held in this transaction: a refusal below leaves it free.
        token = idem.take(s, body, now=now) if idem is not None else uuid.uuid4().hex
        # A copy an API of before made under the bare key (before keys were held to their
        # request): a retry that straddles the upgrade answers it instead of making another.
        bare = _made_under(s, original, idem.key) if idem is not None else None
        try:
            copy, created = (
                (bare, False)
                if bare is not None
                else resend(
                    s,
                    original,
                    to=to or asked.to,
                    token=token,
                    requested_by=principal.key_id,
                    now=now,
                )
            )
        except ResendRefused as refused:
            code = ErrorCode.MESSAGE_PENDING if refused.pending else ErrorCode.MESSAGE_UNRENDERABLE
            raise ApiError(code, refused.reason, "message_id") from refused
        out = _out(copy)
    if created:
        response.headers["Location"] = f"/orders/{order_id}/messages/{out.id}"
    else:
        response.status_code = 200
    return out
