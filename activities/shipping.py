"""Carrier booking as an activity."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from oms.connectors.carriers import Carrier, CarrierRejected
from oms.contracts.shipping import Booking, CancelShipment, ShipmentRequest
from oms.keys import booking_key
from oms.logging import get_logger

log = get_logger(__name__)


class ShippingActivities:
    def __init__(self, carrier: Carrier) -> None:
        self.carrier = carrier

    @activity.defn
    def book_shipment(self, req: ShipmentRequest) -> Booking:
        try:
            booking = self.carrier.book(idempotency_key=booking_key(req.shipment_id), request=req)
        except CarrierRejected as exc:
            raise ApplicationError(
                str(exc), exc.code, type="CarrierRejected", non_retryable=True
            ) from exc
        log.info(
            "shipment_booked",
            shipment_id=req.shipment_id,
            location_id=req.from_location_id,
            tracking_number=booking.tracking_number,
        )
        return booking

    @activity.defn
    def cancel_shipment(self, req: CancelShipment) -> None:
        """Cancel a booked parcel with its carrier, once (a retry is the same cancellation)."""
        try:
            self.carrier.cancel(
                idempotency_key=f"{req.shipment_id}:cancel", tracking_number=req.tracking_number
            )
        except CarrierRejected as exc:
            raise ApplicationError(
                str(exc), exc.code, type="CarrierRejected", non_retryable=True
            ) from exc
        log.info(
            "shipment_cancelled", shipment_id=req.shipment_id, tracking_number=req.tracking_number
        )
