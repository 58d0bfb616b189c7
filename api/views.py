"""Order views the API builds without asking the workflow (just placed, or long finished)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from oms.db.tables import Order, OrderEvent
from oms.db.tables.base import as_utc as as_utc  # re-exported: callers import it from here
from oms.domain.fraud import FraudDecision
from oms.domain.order import (
    CancelReason,
    CustomerTier,
    DeliveryMethod,
    OrderIn,
    OrderState,
    OrderStatus,
    OrderView,
    TimelineEntry,
)

# The largest offset a list takes: past it a 422, not a number the database cannot hold
# (SQLite's integers stop at 2**63 - 1).
MAX_OFFSET = 2**31 - 1


def order_view(
    order: OrderIn,
    *,
    status: OrderStatus,
    created_at: datetime,
    updated_at: datetime,
    cancel_reason: CancelReason | None = None,
    timeline: list[TimelineEntry] | None = None,
) -> OrderView:
    """An order view built outside its workflow, by the order aggregate itself: lines as
    ordered, nothing fulfilled yet that this caller knows of. The workflow's `status` query
    gives the live detail."""
    return OrderState.restored(
        order,
        status=status,
        received_at=created_at,
        updated_at=updated_at,
        cancel_reason=cancel_reason,
        timeline=timeline,
    ).view()


def view_from_row(row: Order, events: list[OrderEvent]) -> OrderView:
    """What the read model knows, once the workflow can no longer be queried."""
    return order_view(
        OrderIn.model_validate(row.payload),
        status=OrderStatus(row.status),
        cancel_reason=CancelReason(row.cancel_reason) if row.cancel_reason else None,
        timeline=[
            TimelineEntry(
                at=as_utc(e.at),
                type=e.type,
                status=OrderStatus(e.status) if e.status else None,
                actor=e.actor,
                detail=e.detail,
            )
            for e in events
        ],
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


class OrderSummary(BaseModel):
    order_id: str
    status: OrderStatus
    cancel_reason: CancelReason | None
    channel: str
    customer_id: str
    customer_tier: CustomerTier
    currency: str
    total: int
    line_count: int
    delivery_method: DeliveryMethod
    fraud_score: int | None
    fraud_decision: FraudDecision | None = Field(
        description="The decision that stands: the analyst's after a review, else the rules'"
    )
    fulfilment_locations: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Order) -> OrderSummary:
        return cls(
            order_id=row.id,
            status=OrderStatus(row.status),
            cancel_reason=CancelReason(row.cancel_reason) if row.cancel_reason else None,
            channel=row.channel,
            customer_id=row.customer_id,
            customer_tier=CustomerTier(row.customer_tier),
            currency=row.currency,
            total=row.total,
            line_count=row.line_count,
            delivery_method=DeliveryMethod(row.delivery_method),
            fraud_score=row.fraud_score,
            fraud_decision=FraudDecision(row.fraud_decision) if row.fraud_decision else None,
            fulfilment_locations=list(row.fulfilment_locations or []),
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )


class OrderPage(BaseModel):
    items: list[OrderSummary]
    next_cursor: str | None


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
