"""What a client's request under an ``Idempotency-Key`` is known by (api.idempotency,
docs/api.md "Idempotency-Key"): its fingerprint, and the token that applies it once.

The rest of the OMS's ids and keys are in ``oms.keys``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def request_fingerprint(method: str, route: str, params: Mapping[str, str], body: Any) -> str:
    """What a request asks, hashed: its method, its route (``/orders/{order_id}/...``), its
    path parameters and its body, as canonical JSON (keys sorted, no spaces). The same request
    sent again has the same fingerprint; another body, line or order has another."""
    asked = {"method": method.upper(), "route": route, "params": dict(params), "body": body}
    canonical = json.dumps(asked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_token(scope: str, idempotency_key: str, fingerprint: str) -> str:
    """What a request under a client's Idempotency-Key is applied once by (an edit's update
    id, a message copy's key): the key and a digest of the caller and the request. The same
    caller's same request has the same token; another caller's (its keys are its own), or the
    key used for another request once the first use has expired, has another."""
    digest = hashlib.sha256(f"{scope}\n{fingerprint}".encode()).hexdigest()[:20]
    return f"{idempotency_key}:{digest}"
