"""Payment gateway connector: a Protocol, an in-memory simulator and an HTTP client.

Everything here is synchronous because it runs inside sync Temporal activities (thread pool).
Amounts are integer minor units of an ISO 4217 currency.

HTTP protocol spoken by `HttpPaymentGateway` (JSON bodies, every request carries
``Authorization: Bearer <api_key>`` and ``Idempotency-Key: <key>``):

- ``POST /v1/authorizations`` with ``{"token", "amount", "currency"}``
  -> 200/201 ``{"id", "amount", "currency"}``
- ``POST /v1/authorizations/{id}/captures`` with ``{"amount", "currency"}``
  -> 200/201 ``{"id", "amount", "currency"}``
- ``POST /v1/authorizations/{id}/void`` -> 200/201 ``{"voided_amount"}``

Errors carry ``{"code", "message"}``. 402 is a decline, 429 and 5xx are transient, any other
4xx is a permanent refusal.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oms.connectors.http import error_details, make_client, post
from oms.contracts.payments import Authorization, Capture, Void


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


class AuthorizationState(BaseModel):
    """What the simulator knows about one authorization (for tests)."""

    authorization_id: str
    amount: int
    currency: str
    captured: int = 0
    voided: bool = False
    captures: list[Capture] = Field(default_factory=list)


class PaymentGateway(Protocol):
    def authorize(
        self, *, idempotency_key: str, token: str, amount: int, currency: str
    ) -> Authorization: ...

    def capture(
        self, *, idempotency_key: str, authorization_id: str, amount: int, currency: str
    ) -> Capture: ...

    def void(self, *, idempotency_key: str, authorization_id: str) -> Void: ...


SIM_AUTH_PREFIX = "sim_auth_"
SIM_CAPTURE_PREFIX = "sim_cap_"

_T = TypeVar("_T", Authorization, Capture, Void)


def _derived_id(prefix: str, idempotency_key: str) -> str:
    return prefix + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


class SimulatedPaymentGateway:
    """In-memory gateway for local runs and tests.

    Tokens: ``tok_ok`` authorizes, ``tok_decline`` is declined, ``tok_flaky`` is unavailable on
    the first two attempts of an idempotency key, anything else is an invalid token.

    Only successes are remembered per idempotency key: a refusal is recomputed on retry, which
    gives the same answer because tokens are fixed and an authorization only gets less
    capturable over time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._authorizations: dict[str, AuthorizationState] = {}
        self._results: dict[str, Authorization | Capture | Void] = {}
        self._attempts: dict[str, int] = {}

    def authorize(
        self, *, idempotency_key: str, token: str, amount: int, currency: str
    ) -> Authorization:
        def work() -> Authorization:
            if token == "tok_flaky" and self._attempts[idempotency_key] <= 2:
                raise PaymentUnavailable("gateway_timeout", "simulated transient failure")
            if token == "tok_decline":
                raise PaymentDeclined("card_declined", "the card was declined")
            if token not in ("tok_ok", "tok_flaky"):
                raise PaymentDeclined("invalid_token", f"unknown payment token {token!r}")
            _require_positive(amount)
            auth_id = _derived_id(SIM_AUTH_PREFIX, idempotency_key)
            self._authorizations[auth_id] = AuthorizationState(
                authorization_id=auth_id, amount=amount, currency=currency
            )
            return Authorization(authorization_id=auth_id, amount=amount, currency=currency)

        return self._once(idempotency_key, Authorization, work)

    def capture(
        self, *, idempotency_key: str, authorization_id: str, amount: int, currency: str
    ) -> Capture:
        def work() -> Capture:
            _require_positive(amount)
            capture = Capture(
                capture_id=_derived_id(SIM_CAPTURE_PREFIX, idempotency_key),
                authorization_id=authorization_id,
                amount=amount,
                currency=currency,
            )
            auth = self._known(authorization_id)
            if auth is None:
                return capture
            if auth.voided:
                raise PaymentError("authorization_voided", f"{authorization_id} was voided")
            if currency != auth.currency:
                raise PaymentError(
                    "currency_mismatch", f"authorized in {auth.currency}, capture in {currency}"
                )
            if auth.captured + amount > auth.amount:
                raise PaymentError(
                    "capture_exceeds_authorization",
                    f"{auth.captured} of {auth.amount} already captured, {amount} more requested",
                )
            auth.captured += amount
            auth.captures.append(capture)
            return capture

        return self._once(idempotency_key, Capture, work)

    def void(self, *, idempotency_key: str, authorization_id: str) -> Void:
        def work() -> Void:
            auth = self._known(authorization_id)
            if auth is None or auth.voided:
                return Void(authorization_id=authorization_id, voided_amount=0)
            auth.voided = True
            return Void(
                authorization_id=authorization_id, voided_amount=auth.amount - auth.captured
            )

        return self._once(idempotency_key, Void, work)

    def state(self, authorization_id: str) -> AuthorizationState:
        """A copy of an authorization's state; KeyError if this simulator never issued it."""
        with self._lock:
            return self._authorizations[authorization_id].model_copy(deep=True)

    def attempts(self, idempotency_key: str) -> int:
        """How many calls, of any operation, used this idempotency key."""
        with self._lock:
            return self._attempts.get(idempotency_key, 0)

    def _once(self, idempotency_key: str, kind: type[_T], work: Callable[[], _T]) -> _T:
        with self._lock:
            self._attempts[idempotency_key] = self._attempts.get(idempotency_key, 0) + 1
            previous = self._results.get(idempotency_key)
            if previous is not None:
                if not isinstance(previous, kind):
                    raise PaymentError(
                        "idempotency_key_reused",
                        f"key {idempotency_key!r} was used for a {type(previous).__name__}",
                    )
                return previous.model_copy()
            result = work()
            self._results[idempotency_key] = result
            return result.model_copy()

    def _known(self, authorization_id: str) -> AuthorizationState | None:
        """The authorization, or None for a sim id issued before a restart (a real gateway
        keeps that state server-side, so the simulator trusts the caller)."""
        auth = self._authorizations.get(authorization_id)
        if auth is None and not authorization_id.startswith(SIM_AUTH_PREFIX):
            raise PaymentError("unknown_authorization", f"no authorization {authorization_id!r}")
        return auth


def _require_positive(amount: int) -> None:
    if amount <= 0:
        raise PaymentError("invalid_amount", f"amount must be positive, got {amount}")


class _ChargeBody(BaseModel):
    """The response to both an authorization and a capture."""

    model_config = ConfigDict(strict=True)
    id: str = Field(min_length=1)
    amount: int
    currency: str


class _VoidBody(BaseModel):
    model_config = ConfigDict(strict=True)
    voided_amount: int


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
    ) -> None:
        self._client = make_client(base_url, api_key, timeout=timeout, transport=transport)

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
