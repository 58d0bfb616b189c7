"""The fulfilment workflow's input and the fulfilment activities' requests."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from oms.domain.fulfilment import FulfilmentLine, FulfilmentView
from oms.domain.order import Address, DeliveryMethod


class FulfilmentInput(BaseModel):
    fulfilment_id: str
    order_id: str
    location_id: str
    parent_workflow_id: str
    reservation_key: str
    delivery_method: DeliveryMethod
    express: bool = False
    address: Address | None = None
    lines: list[FulfilmentLine]
    pick_escalate_after_s: float = 7200.0


class SaveFulfilment(BaseModel):
    view: FulfilmentView
    workflow_id: str
    pick_due_at: datetime | None = None


class CommitPick(BaseModel):
    step_key: str
    location_id: str
    lines: list[FulfilmentLine]


class ConsumeRequest(BaseModel):
    step_key: str
    location_id: str
