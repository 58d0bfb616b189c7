"""What every HTTP connector shares: the client set-up, transport failures mapped to the
connector's own errors, and reading an error body."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import httpx


class ConnectorError(Protocol):
    def __call__(self, code: str, message: str | None = None) -> Exception: ...


def make_client(
    base_url: str, api_key: str, *, timeout: float, transport: httpx.BaseTransport | None
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
        timeout=httpx.Timeout(timeout),
        transport=transport,
    )


@contextmanager
def _mapped(unavailable: ConnectorError, failed: ConnectorError) -> Iterator[None]:
    """Never lets an httpx exception out: a timeout or a broken connection is ``unavailable``
    (retry with the same key), anything else ``failed``."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise unavailable("timeout", str(exc) or "request timed out") from exc
    except httpx.TransportError as exc:
        raise unavailable("transport_error", str(exc) or type(exc).__name__) from exc
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
        raise failed("request_failed", str(exc) or type(exc).__name__) from exc


def post(
    client: httpx.Client,
    path: str,
    idempotency_key: str,
    payload: dict[str, Any] | None,
    *,
    unavailable: ConnectorError,
    failed: ConnectorError,
) -> httpx.Response:
    """POST with the idempotency key; transport failures mapped as ``_mapped`` says."""
    with _mapped(unavailable, failed):
        return client.post(path, json=payload, headers={"Idempotency-Key": idempotency_key})
    raise AssertionError("unreachable")  # pragma: no cover (for type checkers)


def get(
    client: httpx.Client,
    path: str,
    params: dict[str, str],
    *,
    unavailable: ConnectorError,
    failed: ConnectorError,
) -> httpx.Response:
    """GET, transport failures mapped as ``_mapped`` says."""
    with _mapped(unavailable, failed):
        return client.get(path, params=params)
    raise AssertionError("unreachable")  # pragma: no cover (for type checkers)


def error_details(response: httpx.Response) -> tuple[str | None, str]:
    """The error body's code and message, tolerating bodies that are not our JSON."""
    fallback = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    try:
        body = response.json()
    except ValueError:
        return None, fallback
    if not isinstance(body, dict):
        return None, fallback
    code = body.get("code")
    message = body.get("message")
    return (
        code if isinstance(code, str) and code else None,
        message if isinstance(message, str) and message else fallback,
    )
