"""A cart hold's timer: what it asks when it fires and what it learns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from oms.domain.cart_holds import HoldStatus


class HoldDue(BaseModel):
    cart_id: str
    now: datetime = Field(description="The workflow's time when its timer fired")


class HoldState(BaseModel):
    cart_id: str
    status: HoldStatus | None = Field(description="None: there is no such hold")
    expires_at: datetime | None
    swept: int = Field(default=0, description="Other due holds expired by the sweep")
