"""Signed webhooks, both ways: what the OMS sends is signed with the subscription's secret, and
what carriers, gateways, warehouses and tills send in is checked against the sender's.

One scheme for both. A request carries ``OMS-Signature: t=<unix seconds>,v1=<hex>`` where the
hex is HMAC-SHA256, keyed with the shared secret, of ``"<t>.<raw body>"``, and an
``OMS-Event-Id`` naming the event (the receiver applies each id once). A header may carry more
than one ``v1`` (a secret being rotated signs with both); one match is enough. A receiver
refuses a timestamp more than ``tolerance`` seconds away from its clock, so a captured request
cannot be replayed later.

A receiver written in Python checks a request with::

    from oms.webhooks import verify
    verify(secret, request.headers["OMS-Signature"], raw_body)  # raises SignatureError
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "OMS-Signature"
EVENT_ID_HEADER = "OMS-Event-Id"
DEFAULT_TOLERANCE_S = 300
_SCHEME = "v1"


class SignatureError(Exception):
    """Why a signature was refused; ``code`` is stable: ``signature_missing``,
    ``signature_malformed``, ``signature_expired`` or ``signature_mismatch``."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def new_secret() -> str:
    """A secret for a subscription or a sender: 32 random bytes, URL-safe."""
    return "whsec_" + secrets.token_urlsafe(32)


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The ``OMS-Signature`` header value for ``body``, signed now (or at ``timestamp``)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},{_SCHEME}={_digest(secret, t, body)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("signature_malformed", f"not a key=value pair: {part!r}")
        if key == "t":
            if not value.isdigit():
                raise SignatureError("signature_malformed", "t is not a unix time in seconds")
            timestamp = int(value)
        elif key == _SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("signature_malformed", f"needs t= and {_SCHEME}=")
    return timestamp, signatures


def signed_once(header: str) -> str:
    """What identifies one signed request whatever event id it claims (its timestamp and
    first signature): a receiver that also applies this once cannot be replayed within the
    tolerance under a new ``OMS-Event-Id``, which the signature does not cover."""
    timestamp, signatures = _parse(header)
    return f"{timestamp}:{signatures[0]}"


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE_S,
    *,
    now: float | None = None,
) -> int:
    """Check ``body`` against its ``OMS-Signature`` header; the signed timestamp when it
    holds, else :class:`SignatureError`. ``now`` is for tests."""
    if not header:
        raise SignatureError("signature_missing", f"no {SIGNATURE_HEADER} header")
    timestamp, signatures = _parse(header)
    clock = time.time() if now is None else now
    if abs(clock - timestamp) > tolerance:
        raise SignatureError(
            "signature_expired", f"signed at {timestamp}, more than {tolerance} s from now"
        )
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise SignatureError("signature_mismatch", "the signature does not match the body")
    return timestamp


def sign_all(secrets: list[str], body: bytes, *, timestamp: int | None = None) -> str:
    """One header signed with each secret (a rotation's grace period: the receiver may hold
    either); :func:`verify` accepts it with any of them."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t}," + ",".join(f"{_SCHEME}={_digest(s, t, body)}" for s in secrets)
