"""What a store works on: its open work in one list, soonest due first.

Store staff read their own location's; analysts and admins any location's. Another
location is `404 location_not_found` for a store key, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import DbDep, Principal, require
from api.errors import ApiError, error_responses
from oms.db import store_work
from oms.db.tables import Location, utcnow
from oms.domain.errors import ErrorCode
from oms.domain.store_work import WorkItem, WorkKind

router = APIRouter(tags=["fulfilments"])

Reader = Annotated[Principal, Depends(require("store", "analyst"))]


class WorkList(BaseModel):
    location_id: str
    items: list[WorkItem]
    next_cursor: str | None = Field(description="The next page's cursor; null on the last")


def _sees(principal: Principal, location_id: str) -> bool:
    """Analysts read every location's work, as admins do; a store key its own only."""
    return principal.role == "analyst" or principal.sees_location(location_id)


@router.get(
    "/locations/{location_id}/work",
    response_model=WorkList,
    responses=error_responses(ErrorCode.LOCATION_NOT_FOUND, ErrorCode.INVALID_CURSOR),
)
def location_work(
    location_id: str,
    principal: Reader,
    db: DbDep,
    kind: WorkKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> Any:
    """The location's open work, soonest due first (items without a due time last, then by
    id): waves to pick (`wave_to_pick`), fulfilments to pick on their own or to pack
    (`fulfilment_to_pick`, `fulfilment_to_pack`: verify, photo, pack, label), services to do
    (`service_to_do`, one per vas task), parcels to hand over (`parcel_to_hand_over`) and
    collections waiting (`collection_waiting`); `transfer_to_receive` once transfers are
    built. Each with its ids, due time and the step it is at; `kind` keeps one kind. Follow
    `next_cursor` for the next page."""
    try:
        after = store_work.decode_cursor(cursor) if cursor else None
    except ValueError as exc:
        raise ApiError(ErrorCode.INVALID_CURSOR, str(exc), "cursor") from exc
    with db.reading() as s:
        if not _sees(principal, location_id) or s.get(Location, location_id) is None:
            raise ApiError(
                ErrorCode.LOCATION_NOT_FOUND,
                f"no location {location_id} for this key",
                "location_id",
            )
        items, more = store_work.page(
            s, location_id, now=utcnow(), limit=limit, cursor=after, kind=kind
        )
    return WorkList(
        location_id=location_id,
        items=items,
        next_cursor=store_work.encode_cursor(items[-1]) if more else None,
    )
