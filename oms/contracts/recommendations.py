"""The affinity refresh's call: count the orders placed since the last one."""

from __future__ import annotations

from pydantic import BaseModel, Field

# Orders one call counts at most before it hands back (it heartbeats after each batch).
MAX_ORDERS_PER_CALL = 50_000


class RefreshRequest(BaseModel):
    max_orders: int = Field(default=MAX_ORDERS_PER_CALL, ge=1)


class RefreshResult(BaseModel):
    orders: int = Field(description="Orders counted by this call")
    skus: int = Field(description="Products whose neighbours were rebuilt")
    baskets: int = Field(description="Every basket counted so far")
    caught_up: bool = Field(description="Every order old enough was counted; False: call again")
