"""The storefront stock-event feed: a channel's SKU ran out, came back, or ran low.

Storefronts poll it with the cursor of their last page; the ATP watcher fills it a few
seconds after the stock moves (``AtpWatchWorkflow``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import DbDep, Principal, channel_in_scope, require
from api.errors import ApiError, error_responses
from api.views import as_utc
from oms.db import stock_events
from oms.db.tables import Channel, OutboxEvent
from oms.domain.errors import ErrorCode
from oms.domain.stock_events import StockEventPayload

router = APIRouter(prefix="/availability", tags=["availability"])

Reader = Annotated[Principal, Depends(require("storefront", "integration", "analyst"))]


class StockEventOut(StockEventPayload):
    id: str = Field(description="Unique and stable: the same crossing is never sent twice")
    type: str = Field(
        description="inventory.out_of_stock | inventory.back_in_stock | inventory.low_stock"
    )
    at: datetime


class StockEventPage(BaseModel):
    items: list[StockEventOut]
    next_cursor: str | None = Field(
        description="Pass as `after` for the next page; on an empty page, the cursor you sent "
        "(null only while the feed is empty and no cursor was sent)"
    )
    has_more: bool = Field(description="More events wait: ask again without pausing")


def _out(event: OutboxEvent) -> StockEventOut:
    return StockEventOut(
        id=event.id,
        type=event.type,
        at=as_utc(event.created_at),
        **StockEventPayload.model_validate(event.payload).model_dump(),
    )


@router.get(
    "/events",
    response_model=StockEventPage,
    responses=error_responses(ErrorCode.CHANNEL_NOT_FOUND, ErrorCode.INVALID_CURSOR),
)
def list_stock_events(
    principal: Reader,
    db: DbDep,
    channel: str | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """Stock events oldest first: `inventory.out_of_stock` when a SKU's channel ATP reaches
    0, `inventory.back_in_stock` when it leaves 0, `inventory.low_stock` when it falls to the
    channel's `low_stock` threshold or under. Follow `next_cursor` with `after`. A key scoped
    to one channel reads that channel's by default; scoped to several, it names one."""
    if channel is None and principal.role != "admin" and principal.channels is not None:
        if len(principal.channels) != 1:
            raise ApiError(ErrorCode.REQUIRED, "name one of this key's channels", "channel")
        channel = principal.channels[0]
    if channel is not None:
        channel_in_scope(principal, channel)
    with db.reading() as s:
        if channel is not None and s.get(Channel, channel) is None:
            raise ApiError(ErrorCode.CHANNEL_NOT_FOUND, f"no channel {channel!r}", "channel")
        try:
            events, more = stock_events.page(s, channel=channel, after=after, limit=limit)
        except ValueError as exc:
            raise ApiError(ErrorCode.INVALID_CURSOR, str(exc), "after") from exc
        items = [_out(e) for e in events]
        next_cursor = stock_events.encode_cursor(events[-1]) if events else after
        return StockEventPage(items=items, next_cursor=next_cursor, has_more=more)
