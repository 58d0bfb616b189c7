"""Payment gateway connector: the Protocol and the HTTP client (the simulator is in
``oms.connectors.payment_simulator``).

Everything here is synchronous because it runs inside sync Temporal activities (thread pool).
Amounts are integer minor units of an ISO 4217 currency.

HTTP protocol spoken by `HttpPaymentGateway` (JSON bodies, every request carries
``Authorization: Bearer <api_key>`` and ``Idempotency-Key: <key>``):

- ``POST /v1/authorizations`` with ``{"token", "amount", "currency"}``
  -> 200/201 ``{"id", "amount", "currency"}``
- ``POST /v1/authorizations/{id}/captures`` with ``{"amount", "currency"}``
  -> 200/201 ``{"id", "amount", "currency"}``
- ``POST /v1/authorizations/{id}/void`` -> 200/201 ``{"voided_amount"}``
- ``POST /v1/authorizations/{id}/partial-voids`` with ``{"amount", "currency"}`` (only for a
  gateway that lets go of part of an authorization: ``OMS_PAYMENT_GATEWAY_PARTIAL_VOIDS``)
  -> 200/201 ``{"voided_amount"}``
- ``POST /v1/captures/{id}/refunds`` with ``{"amount", "currency"}`` (part or all of what the
  capture took, less what was refunded of it before) -> 200/201 ``{"id", "amount", "currency"}``
- ``GET /v1/transactions?cursor=<c>`` -> 200 ``{"data": [transaction...], "next_cursor"}``,
  oldest first, a transaction being ``{"idempotency_key", "operation", "reference",
  "authorization_id", "amount", "currency", "created_at"}``: the gateway's own record of what
  it did, which ``oms payments reconcile`` compares with the OMS's payment ledger.

Errors carry ``{"code", "message"}``. 402 is a decline, 429 and 5xx are transient, any other
4xx is a permanent refusal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal, Protocol, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oms.connectors.http import error_details, get, make_client, post
from oms.contracts.payments import Authorization, Capture, PartialVoid, Refund, Void


class PaymentError(Exception):
    """A payment operation failed; `code` is stable and machine-readable."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or code
        super().__init__(f"{code}: {self.message}")


class PaymentDeclined(PaymentError):
    """The gateway or issuer refused: retrying the same request cannot succeed."""


class PaymentUnavailable(PaymentError):
    """Transient failure; retrying with the same idempotency key is safe."""


PaymentOperation = Literal["authorize", "capture", "void", "partial_void", "refund"]


class GatewayTransaction(BaseModel):
    """One operation as the gateway recorded it. ``reference`` is the gateway's id of what it
    made (the authorization, the capture, the refund; for a void, the authorization)."""

    idempotency_key: str
    operation: PaymentOperation
    reference: str
    authorization_id: str
    amount: int
    currency: str
    created_at: datetime


class PaymentGateway(Protocol):
    def authorize(
        self, *, idempotency_key: str, token: str, amount: int, currency: str
    ) -> Authorization: ...

    def capture(
        self, *, idempotency_key: str, authorization_id: str, amount: int, currency: str
    ) -> Capture: ...

    def void(self, *, idempotency_key: str, authorization_id: str) -> Void: ...

    # Whether the gateway lets go of part of an authorization (``void_part``); a gateway that
    # does not is asked for a new authorization of the lower amount instead.
    partial_voids: bool

    def void_part(
        self, *, idempotency_key: str, authorization_id: str, amount: int, currency: str
    ) -> PartialVoid: ...

    def refund(
        self, *, idempotency_key: str, capture_id: str, amount: int, currency: str
    ) -> Refund: ...

    def transactions(self) -> Iterator[GatewayTransaction]:
        """Every operation the gateway performed for this merchant, oldest first."""
        ...


class _ChargeBody(BaseModel):
    """The response to an authorization, a capture and a refund."""

    model_config = ConfigDict(strict=True)
    id: str = Field(min_length=1)
    amount: int
    currency: str


class _VoidBody(BaseModel):
    model_config = ConfigDict(strict=True)
    voided_amount: int


class _TransactionPage(BaseModel):
    data: list[GatewayTransaction]
    next_cursor: str | None = None


_B = TypeVar("_B", bound=BaseModel)


class HttpPaymentGateway:
    """Client for the payment gateway's HTTP API (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        partial_voids: bool = False,
    ) -> None:
        self._client = make_client(base_url, api_key, timeout=timeout, transport=transport)
        self.partial_voids = partial_voids

    def authorize(
        self, *, idempotency_key: str, token: str, amount: int, currency: str
    ) -> Authorization:
        body = self._post(
            "/v1/authorizations",
            idempotency_key,
            {"token": token, "amount": amount, "currency": currency},
            _ChargeBody,
        )
        return Authorization(authorization_id=body.id, amount=body.amount, currency=body.currency)

    def capture(
        self, *, idempotency_key: str, authorization_id: str, amount: int, currency: str
    ) -> Capture:
        path = f"/v1/authorizations/{quote(authorization_id, safe='')}/captures"
        payload = {"amount": amount, "currency": currency}
        body = self._post(path, idempotency_key, payload, _ChargeBody)
        return Capture(
            capture_id=body.id,
            authorization_id=authorization_id,
            amount=body.amount,
            currency=body.currency,
        )

    def void(self, *, idempotency_key: str, authorization_id: str) -> Void:
        path = f"/v1/authorizations/{quote(authorization_id, safe='')}/void"
        body = self._post(path, idempotency_key, None, _VoidBody)
        return Void(authorization_id=authorization_id, voided_amount=body.voided_amount)

    def void_part(
        self, *, idempotency_key: str, authorization_id: str, amount: int, currency: str
    ) -> PartialVoid:
        if not self.partial_voids:
            raise PaymentError("partial_void_unsupported", "this gateway voids whole only")
        path = f"/v1/authorizations/{quote(authorization_id, safe='')}/partial-voids"
        payload = {"amount": amount, "currency": currency}
        body = self._post(path, idempotency_key, payload, _VoidBody)
        return PartialVoid(authorization_id=authorization_id, voided_amount=body.voided_amount)

    def refund(
        self, *, idempotency_key: str, capture_id: str, amount: int, currency: str
    ) -> Refund:
        path = f"/v1/captures/{quote(capture_id, safe='')}/refunds"
        payload = {"amount": amount, "currency": currency}
        body = self._post(path, idempotency_key, payload, _ChargeBody)
        return Refund(
            refund_id=body.id, capture_id=capture_id, amount=body.amount, currency=body.currency
        )

    def transactions(self) -> Iterator[GatewayTransaction]:
        cursor: str | None = None
        while True:
            params = {"cursor": cursor} if cursor else {}
            response = get(
                self._client,
                "/v1/transactions",
                params,
                unavailable=PaymentUnavailable,
                failed=PaymentError,
            )
            if not response.is_success:
                code, message = error_details(response)
                failure = PaymentUnavailable if response.status_code >= 500 else PaymentError
                raise failure(code or "transactions_unavailable", message)
            try:
                page = _TransactionPage.model_validate_json(response.content)
            except ValidationError as exc:
                raise PaymentError("bad_response", "unexpected transactions page") from exc
            yield from page.data
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _post(
        self, path: str, idempotency_key: str, payload: dict[str, Any] | None, shape: type[_B]
    ) -> _B:
        response = post(
            self._client,
            path,
            idempotency_key,
            payload,
            unavailable=PaymentUnavailable,
            failed=PaymentError,
        )

        status = response.status_code
        if response.is_success:
            try:
                return shape.model_validate_json(response.content)
            except ValidationError as exc:
                # The operation may have happened; retrying with the same key replays it safely.
                raise PaymentUnavailable(
                    "bad_response", f"unexpected {status} body from {path}"
                ) from exc
        code, message = error_details(response)
        if status == 402:
            raise PaymentDeclined(code or "declined", message)
        if status == 429:
            raise PaymentUnavailable(code or "rate_limited", message)
        if status >= 500:
            raise PaymentUnavailable(code or "server_error", message)
        # Other 4xx, and redirects (not part of the protocol: a misconfigured base_url), will
        # fail the same way on every retry.
        raise PaymentError(code or "rejected", message)
