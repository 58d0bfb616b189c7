"""The ATP watcher's pass: from a cursor to the next."""

from __future__ import annotations

from pydantic import BaseModel, Field

from oms.domain.stock_events import WatchCursor

# SKUs one pass compares at most before it hands back (the activity heartbeats meanwhile).
MAX_SKUS_PER_CALL = 10_000


class WatchRequest(BaseModel):
    cursor: WatchCursor
    overlap_s: float = Field(ge=0, description="How far each pass reaches back (see WatchCursor)")
    max_skus: int = Field(default=MAX_SKUS_PER_CALL, ge=1)


class WatchResult(BaseModel):
    cursor: WatchCursor
    skus: int = Field(description="SKUs whose channel figures were compared")
    events: int
    caught_up: bool = Field(description="The pass read everything; False: call again now")
