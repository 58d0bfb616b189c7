"""The messages the OMS sent (or could not send) to an order's customer: kind, language,
status, address and subject, oldest first (docs/messages.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import DbDep, Principal, require
from api.errors import ApiError, error_responses
from api.views import as_utc
from oms.db import customer_messages
from oms.db import orders as order_repo
from oms.db.tables import CustomerMessage
from oms.domain.errors import ErrorCode
from oms.domain.messages import Locale, MessageKind, MessageStatus

router = APIRouter(prefix="/orders", tags=["orders"])

Reader = Annotated[Principal, Depends(require("storefront", "analyst"))]
MAX_ID = 2**31 - 1  # message ids are 32-bit integers in the database


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


class MessageList(BaseModel):
    order_id: str
    items: list[MessageOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null: none")


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
