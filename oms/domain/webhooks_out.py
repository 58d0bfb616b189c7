"""Events out: which subscription takes which event, the body each receiver gets, and when a
delivery that failed is tried again (pure rules; oms.db.webhooks_out stores, the relay sends)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

# The envelope every request carries; a change a receiver could notice bumps it (docs/events.md).
ENVELOPE_VERSION = "1"
# Backoff: the first retry after a minute, doubling, never more than six hours apart.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
EVENT_PATTERN = r"^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not tried yet (or handed back by redeliver)
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # tried and refused or unreachable: retried at next_attempt_at
    DEAD = "dead"  # still failing when the retry window closed: only redeliver sends it again

    @property
    def open(self) -> bool:
        return self in (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def matches(patterns: list[str], event_type: str) -> bool:
    """``order.*`` takes every type under ``order.`` (``order.completed``, and
    ``payment.capture_failed.F1`` under ``payment.*``); ``*`` takes everything."""
    for p in patterns:
        if p == "*" or p == event_type:
            return True
        if p.endswith(".*") and event_type.startswith(p[:-1]):
            return True
    return False


def url_problem(url: str, allowed_hosts: list[str] | None = None) -> str | None:
    """Why ``url`` cannot receive events, or None. ``allowed_hosts``, when given, are the only
    hosts events may go to."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https"):
        return "only http and https URLs receive events"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username or parts.password:
        return "credentials in a URL are not kept secret: use the signature"
    if allowed_hosts and parts.hostname not in allowed_hosts:
        return f"events may go to {', '.join(allowed_hosts)} only (OMS_WEBHOOK_ALLOWED_HOSTS)"
    return None


def ordering_key(order_id: str | None, payload: dict[str, Any]) -> str | None:
    """Events of one order are delivered in order, and stock events of one SKU; others in any
    order."""
    if order_id:
        return f"order:{order_id}"
    sku = payload.get("sku")
    if isinstance(sku, str) and sku:
        return f"sku:{sku}"
    return None


def envelope(event_id: str, event_type: str, created_at: datetime, payload: Any) -> bytes:
    """The body of a delivery: the bytes that are signed and sent."""
    body = {
        "id": event_id,
        "type": event_type,
        "version": ENVELOPE_VERSION,
        "created_at": created_at.isoformat(),
        "data": payload,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=False).encode()


def next_attempt(
    attempts: int, first_attempt_at: datetime, now: datetime, retry_for: timedelta
) -> datetime | None:
    """When to try again after ``attempts`` failed tries, or None once the retry window that
    opened at ``first_attempt_at`` is over (the delivery is dead)."""
    wait: timedelta = min(FIRST_RETRY * 2 ** min(attempts - 1, 20), LONGEST_RETRY)
    at: datetime = now + wait
    if at > first_attempt_at + retry_for:
        return None
    return at


@dataclass(frozen=True)
class Due:
    """A delivery to make now, with everything needed to send it outside the transaction."""

    delivery_id: int
    url: str
    secrets: list[str]
    event_id: str
    event_type: str
    created_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    ok: bool
    status_code: int | None
    error: str | None
