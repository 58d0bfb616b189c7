"""Carrier connector: a Protocol, an in-memory simulator and an HTTP client.

The simulator, given a ``pace``, also plans each parcel's tracking as a real carrier would
(in transit, out for delivery, delivered, one ``pace`` apart; a failed first attempt for the
``EXCEPTION_POSTAL_CODE``); ``oms.connectors.carrier_tracking`` sends it to the OMS's signed
webhook.

Everything here is synchronous because it runs inside sync Temporal activities (thread pool).

HTTP protocol spoken by `HttpCarrier` (JSON bodies, every request carries
``Authorization: Bearer <api_key>`` and ``Idempotency-Key: <key>``):

- ``POST /v1/shipments`` with a `ShipmentRequest` as JSON
  -> 200/201 ``{"carrier", "service", "tracking_number", "label_url"}``
- ``POST /v1/shipments/{tracking_number}/cancel`` -> any 2xx
- ``POST /v1/returns`` with a `ReturnLabelRequest` as JSON -> 200/201, a booking as above
  (the label the customer sticks on the return parcel)

Errors carry ``{"code", "message"}``. 400 and 422 are refusals of the shipment itself (bad
address, overweight parcel), 429 and 5xx are transient, any other 4xx is a permanent error.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, Self
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oms.connectors.http import error_details, make_client, post
from oms.contracts.shipping import Booking, ReturnLabelRequest, ShipmentRequest
from oms.domain.delivery import Address
from oms.domain.shipments import ShipmentStatus


class CarrierError(Exception):
    """A carrier operation failed; `code` is stable and machine-readable."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or code
        super().__init__(f"{code}: {self.message}")


class CarrierRejected(CarrierError):
    """The carrier refused this shipment (bad address etc.): retrying cannot succeed."""


class CarrierUnavailable(CarrierError):
    """Transient failure; retrying with the same idempotency key is safe."""


class Carrier(Protocol):
    def book(self, *, idempotency_key: str, request: ShipmentRequest) -> Booking: ...

    def cancel(self, *, idempotency_key: str, tracking_number: str) -> None: ...

    def book_return(self, *, idempotency_key: str, request: ReturnLabelRequest) -> Booking: ...


SIM_CARRIER = "simcarrier"  # the simulator's name: its webhook sender is carrier:simcarrier
SIM_TRACKING_PREFIX = "SIM"
UNDELIVERABLE_POSTAL_CODE = "00000"
"""Test hook: the simulator rejects any shipment to this postal code as undeliverable."""
BUSY_POSTAL_CODE = "99999"
"""Test hook: the simulator is unavailable for the first two tries of a shipment to this
postal code, then books it (like the payment simulator's ``tok_flaky``)."""
EXCEPTION_POSTAL_CODE = "00002"
"""Test hook: nobody is home at the first attempt (``DELIVERY_EXCEPTION``); delivered at the
second."""


@dataclass(frozen=True)
class PlannedUpdate:
    """One tracking status the simulated carrier will report, once due."""

    tracking_number: str
    seq: int
    status: ShipmentStatus
    due_at: datetime
    detail: str | None = None

    @property
    def event_id(self) -> str:
        return f"{self.tracking_number}:{self.seq}"


def _journey(postal_code: str) -> list[tuple[ShipmentStatus, str | None]]:
    steps: list[tuple[ShipmentStatus, str | None]] = [
        (ShipmentStatus.IN_TRANSIT, "left the sorting centre"),
        (ShipmentStatus.OUT_FOR_DELIVERY, None),
    ]
    if postal_code == EXCEPTION_POSTAL_CODE:
        steps.append((ShipmentStatus.DELIVERY_EXCEPTION, "nobody at the address"))
    steps.append((ShipmentStatus.DELIVERED, None))
    return steps


class SimulatedCarrier:
    """In-memory carrier for local runs and tests; thread-safe. With a ``pace``, each booking
    plans its parcel's tracking (see the module docstring)."""

    def __init__(self, name: str = SIM_CARRIER, *, pace: timedelta | None = None) -> None:
        self.name = name
        self.pace = pace
        self._lock = threading.Lock()
        self._by_key: dict[str, Booking] = {}
        self._active: dict[str, Booking] = {}
        self._tries: dict[str, int] = {}
        self._planned: dict[str, list[PlannedUpdate]] = {}
        self._to: dict[str, Address] = {}

    def book(self, *, idempotency_key: str, request: ShipmentRequest) -> Booking:
        with self._lock:
            previous = self._by_key.get(idempotency_key)
            if previous is not None:
                return previous.model_copy()
            if request.to.postal_code == UNDELIVERABLE_POSTAL_CODE:
                raise CarrierRejected(
                    "undeliverable", f"cannot deliver to postal code {request.to.postal_code}"
                )
            tries = self._tries[idempotency_key] = self._tries.get(idempotency_key, 0) + 1
            if request.to.postal_code == BUSY_POSTAL_CODE and tries <= 2:
                raise CarrierUnavailable("busy", "simulated transient failure")
            digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:12].upper()
            tracking = SIM_TRACKING_PREFIX + digest
            booking = Booking(
                carrier=self.name,
                service=request.service,
                tracking_number=tracking,
                label_url=f"sim://labels/{tracking}.pdf",
            )
            self._by_key[idempotency_key] = booking
            self._active[booking.tracking_number] = booking
            self._to[booking.tracking_number] = request.to
            if self.pace is not None:
                self._plan(booking.tracking_number, request.to.postal_code, self.pace)
            return booking.model_copy()

    def destination(self, tracking_number: str) -> Address | None:
        """Where a parcel booked here goes (None: not booked here)."""
        with self._lock:
            return self._to.get(tracking_number)

    def book_return(self, *, idempotency_key: str, request: ReturnLabelRequest) -> Booking:
        with self._lock:
            previous = self._by_key.get(idempotency_key)
            if previous is not None:
                return previous.model_copy()
            digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:12].upper()
            tracking = f"{SIM_TRACKING_PREFIX}R{digest}"
            booking = Booking(
                carrier=self.name,
                service="return",
                tracking_number=tracking,
                label_url=f"sim://labels/{tracking}.pdf",
            )
            self._by_key[idempotency_key] = booking
            return booking.model_copy()

    def _plan(self, tracking_number: str, postal_code: str, pace: timedelta) -> None:
        booked = datetime.now(UTC)
        self._planned[tracking_number] = [
            PlannedUpdate(tracking_number, seq, status, booked + pace * seq, detail)
            for seq, (status, detail) in enumerate(_journey(postal_code), start=1)
        ]

    def due(self, now: datetime | None = None) -> list[PlannedUpdate]:
        """Tracking updates whose time has come and that were not sent yet, oldest first."""
        at = now or datetime.now(UTC)
        with self._lock:
            return sorted(
                (u for plan in self._planned.values() for u in plan if u.due_at <= at),
                key=lambda u: (u.due_at, u.tracking_number, u.seq),
            )

    def sent(self, update: PlannedUpdate) -> None:
        """The OMS has it: not sent again."""
        with self._lock:
            plan = self._planned.get(update.tracking_number, [])
            plan[:] = [u for u in plan if u.seq != update.seq]
            if not plan:
                self._planned.pop(update.tracking_number, None)

    def cancel(self, *, idempotency_key: str, tracking_number: str) -> None:
        # Cancelling twice, or a SIM shipment booked before a restart (a real carrier keeps that
        # state server-side), is a no-op rather than an error.
        with self._lock:
            self._planned.pop(tracking_number, None)  # a cancelled parcel goes nowhere
            if tracking_number in self._active:
                del self._active[tracking_number]
                return
            known = any(b.tracking_number == tracking_number for b in self._by_key.values())
            if not known and not tracking_number.startswith(SIM_TRACKING_PREFIX):
                raise CarrierRejected("unknown_shipment", f"no shipment {tracking_number!r}")

    def bookings(self) -> list[Booking]:
        """Bookings that are not cancelled, in booking order."""
        with self._lock:
            return [booking.model_copy() for booking in self._active.values()]


class _BookingBody(BaseModel):
    model_config = ConfigDict(strict=True)

    carrier: str = Field(min_length=1)
    service: str = Field(min_length=1)
    tracking_number: str = Field(min_length=1)
    label_url: str | None = None


class HttpCarrier:
    """Client for a carrier's HTTP API (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = make_client(base_url, api_key, timeout=timeout, transport=transport)

    def book(self, *, idempotency_key: str, request: ShipmentRequest) -> Booking:
        response = self._post("/v1/shipments", idempotency_key, request.model_dump(mode="json"))
        try:
            body = _BookingBody.model_validate_json(response.content)
        except ValidationError as exc:
            # The shipment may exist; retrying with the same key replays the booking safely.
            raise CarrierUnavailable(
                "bad_response", f"unexpected {response.status_code} body from /v1/shipments"
            ) from exc
        return Booking(**body.model_dump())

    def book_return(self, *, idempotency_key: str, request: ReturnLabelRequest) -> Booking:
        response = self._post("/v1/returns", idempotency_key, request.model_dump(mode="json"))
        try:
            body = _BookingBody.model_validate_json(response.content)
        except ValidationError as exc:
            raise CarrierUnavailable(
                "bad_response", f"unexpected {response.status_code} body from /v1/returns"
            ) from exc
        return Booking(**body.model_dump())

    def cancel(self, *, idempotency_key: str, tracking_number: str) -> None:
        self._post(f"/v1/shipments/{quote(tracking_number, safe='')}/cancel", idempotency_key)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _post(
        self, path: str, idempotency_key: str, payload: dict[str, Any] | None = None
    ) -> httpx.Response:
        """The 2xx response, or the carrier error its status maps to."""
        response = post(
            self._client,
            path,
            idempotency_key,
            payload,
            unavailable=CarrierUnavailable,
            failed=CarrierError,
        )

        status = response.status_code
        if response.is_success:
            return response
        code, message = error_details(response)
        if status in (400, 422):
            raise CarrierRejected(code or "rejected", message)
        if status == 429:
            raise CarrierUnavailable(code or "rate_limited", message)
        if status >= 500:
            raise CarrierUnavailable(code or "server_error", message)
        # Other 4xx, and redirects (not part of the protocol: a misconfigured base_url), will
        # fail the same way on every retry.
        raise CarrierError(code or "request_failed", message)
