"""A parcel's journey after the carrier takes it: the statuses carrier tracking reports, which
of them move a shipment on, and when an order counts as delivered.

The order's run ends once everything has left the building (captured, ``COMPLETED``);
tracking arrives afterwards, for days, as signed carrier webhooks, and moves the read model on:
each shipment's ``delivery_status`` and, when every shipment of the order is delivered, the
order's status ``DELIVERED``. Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints


class ShipmentStatus(StrEnum):
    """Where a parcel is, as its carrier says; stored in ``fulfilments.delivery_status``."""

    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    DELIVERY_EXCEPTION = "DELIVERY_EXCEPTION"  # lost, damaged, refused, address unknown


# The outbox event each status writes (``shipment.delivered``...).
EVENT_OF: dict[ShipmentStatus, str] = {s: f"shipment.{s.value.lower()}" for s in ShipmentStatus}


class TrackingUpdate(BaseModel):
    """The body of ``POST /webhooks/carriers/{carrier}``: one status of one parcel."""

    model_config = ConfigDict(extra="forbid")

    tracking_number: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    status: ShipmentStatus
    occurred_at: AwareDatetime = Field(description="when the carrier saw it (ISO 8601, zoned)")
    location: str | None = Field(default=None, max_length=200, description="e.g. a depot")
    detail: str | None = Field(
        default=None, max_length=500, description="the carrier's words, e.g. why it failed"
    )

    def as_detail(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def moves_on(
    current: ShipmentStatus | None, tracked_at: datetime | None, update: TrackingUpdate
) -> bool:
    """Whether ``update`` becomes the shipment's status. Carriers send late and out of order:
    an update older than the one that set the status only joins the history, and a delivered
    parcel stays delivered."""
    if current is ShipmentStatus.DELIVERED:
        return False
    return tracked_at is None or update.occurred_at >= tracked_at


def all_delivered(statuses: list[ShipmentStatus | None]) -> bool:
    """An order is delivered when it shipped something and every shipment is delivered."""
    return bool(statuses) and all(s is ShipmentStatus.DELIVERED for s in statuses)
