"""Keeping the read model, the event log and the outbox in step with an order."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from oms.domain.fraud import FraudDecision
from oms.domain.order import CancelReason, OrderIn, OrderStatus, TimelineEntry


class EmitEvent(BaseModel):
    event_id: str
    type: str
    order_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


class RecordProgress(BaseModel):
    order_id: str
    status: OrderStatus
    cancel_reason: CancelReason | None = None
    fraud_score: int | None = None
    fraud_decision: FraudDecision | None = None
    fulfilment_locations: list[str] | None = None
    events: list[tuple[int, TimelineEntry]] = Field(default_factory=list)
    # Outbox events written in the same transaction as the progress they announce.
    emit: list[EmitEvent] = Field(default_factory=list)
    # The order as its edits left it (a new address, a line's services); None: not edited.
    edited: OrderIn | None = None


class RecordNotes(BaseModel):
    """Timeline entries (each under its key) and outbox events of an order, written from
    outside its run (a reversed capture's recovery) in one transaction, each once."""

    order_id: str
    notes: list[tuple[str, TimelineEntry]] = Field(default_factory=list)
    emit: list[EmitEvent] = Field(default_factory=list)
