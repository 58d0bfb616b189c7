"""Idempotency-Key: a caller's key is held to the request it was first used for (docs/api.md,
"Idempotency-Key").

An endpoint that takes the header depends on ``Idempotent`` and, once its own checks of the
input have passed and before it sends or writes anything, has the key taken for the body it
parsed. The first use records the request's fingerprint (method, route, path parameters,
body) under the caller's API key. The same request again goes on with the same token, which
applies it once: an edit's update id on the order's run (Temporal answers the first update's
outcome, or waits for it while it is under way), a copy's message key. Another request with the
key is refused ``422 idempotency_key_reused`` at ``Idempotency-Key`` until the first use is
older than ``OMS_IDEMPOTENCY_KEYS_KEPT``.

The scope is the API key, not its role or its channels: two systems sharing a role never share
a key space, and a rotated key keeps its id, so its keys too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import REFUSALS, IdempotencyKey, Principal, SettingsDep, authenticate
from api.errors import ApiError
from oms.db import idempotency_keys
from oms.db.engine import Database
from oms.domain.errors import ErrorCode
from oms.request_keys import idempotency_token, request_fingerprint

FIELD = "Idempotency-Key"


@dataclass(frozen=True)
class Idempotency:
    """The caller's Idempotency-Key and the request it came with, but for the body."""

    key: str
    scope: str  # the API key's id
    method: str
    route: str  # the route's template: /orders/{order_id}/lines/{line_id}/cancel
    params: Mapping[str, str]
    kept: timedelta

    def take(self, s: Session, body: BaseModel | None, *, now: datetime) -> str:
        """Hold the key to this request, in the caller's transaction; answers the token that
        applies it once. 422 ``idempotency_key_reused`` when the key is held by another."""
        fingerprint = request_fingerprint(self.method, self.route, self.params, _said(body))
        first = idempotency_keys.claim(
            s,
            scope=self.scope,
            key=self.key,
            fingerprint=fingerprint,
            request=f"{self.method} {self.route}",
            now=now,
            kept=self.kept,
        )
        if first is not None:
            raise ApiError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                f"this Idempotency-Key was first used for another request ({first.request}, "
                f"at {first.at:%Y-%m-%dT%H:%M:%SZ}); send a new request with a new key",
                FIELD,
            )
        return idempotency_token(self.scope, self.key, fingerprint)

    async def taken(self, db: Database, body: BaseModel | None) -> str:
        """``take`` in a transaction of its own, committed before the request goes on (to
        Temporal, which the transaction could not take back)."""

        def take() -> str:
            with db.session() as s:
                return self.take(s, body, now=datetime.now(UTC))

        return await run_in_threadpool(take)


def _said(body: BaseModel | None) -> Any:
    # What the body says, not how it was written: a field left out and one sent with its
    # default value (or no body and an empty one) are the same request.
    return body.model_dump(mode="json", exclude_defaults=True) if body is not None else {}


def idempotency(
    request: Request,
    principal: Annotated[Principal, Depends(authenticate)],
    settings: SettingsDep,
    key: IdempotencyKey = None,
) -> Idempotency | None:
    if key is None:
        return None
    return Idempotency(
        key=key,
        scope=principal.key_id,
        method=request.method,
        route=request.scope["route"].path_format,
        params=dict(request.path_params),
        kept=settings.idempotency_keys_kept,
    )


# Declared on every operation that takes the header (api.openapi).
REFUSALS[idempotency] = (ErrorCode.IDEMPOTENCY_KEY_REUSED,)
Idempotent = Annotated[Idempotency | None, Depends(idempotency)]
