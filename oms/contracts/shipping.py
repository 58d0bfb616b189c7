"""Booking a shipment with a carrier: the request and the booking."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from oms.domain.order import Address


class Parcel(BaseModel):
    weight_grams: Annotated[int, Field(gt=0)]
    reference: str | None = None


class ShipmentRequest(BaseModel):
    shipment_id: str
    from_location_id: str
    to: Address
    parcels: list[Parcel] = Field(min_length=1)
    service: Literal["standard", "express"] = "standard"


class Booking(BaseModel):
    carrier: str
    service: str
    tracking_number: str
    label_url: str | None = None


class CancelShipment(BaseModel):
    """A parcel booked but never handed over: the carrier drops it (and does not charge)."""

    shipment_id: str
    tracking_number: str


class ReturnLabelRequest(BaseModel):
    """A prepaid label for a customer to send a return back to a location."""

    return_id: str
    sender: Address
    to_location_id: str
