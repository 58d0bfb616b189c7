"""What the API checks before it reads a request body: the caller's key, then the body's size.

FastAPI reads and parses a body before it resolves the route's dependencies, the key check
among them: without this, anyone could make the API read and parse any amount of JSON. So a
request that carries a body is refused with 401 before any of it is read when its key opens
nothing, and with 413 ``payload_too_large`` when it is larger than ``OMS_MAX_BODY_BYTES`` (its
declared length, or as it streams in: at most that much is ever held). The key found is handed
to the route's own check (``api.deps.authenticate``), which does not look it up again.

Routes that stream their body themselves with their own cap (bulk inventory syncs) are left to
do so. Webhooks from other systems carry no key: their signature is checked by the route, on the
body this guard has capped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import DATABASE_AWAY, ApiError, database_unavailable, error_body
from oms.domain.errors import ErrorCode

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes that take no key, and the one that streams its own body with its own cap.
PUBLIC = frozenset({"/healthz", "/metrics", "/docs", "/redoc", "/openapi.json"})
STREAMED = frozenset({"/inventory/syncs"})
# Signed by their sender instead of keyed (api.routers.webhooks_*); the senders' own admin
# routes live under /webhooks/senders and take an admin key.
SIGNED_PREFIXES = ("/webhooks/carriers/", "/webhooks/payments/")
SIGNED_PATHS = frozenset({"/webhooks/wms", "/webhooks/pos"})


def signed(path: str) -> bool:
    return path.startswith(SIGNED_PREFIXES) or path in SIGNED_PATHS


class GuardBodies:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        identify: Callable[[Scope], Any],
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.identify = identify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path not in PUBLIC and not signed(path):
            try:
                principal = await run_in_threadpool(self.identify, scope)
            except ApiError as refused:
                await _answer(refused, scope, receive, send)
                return
            except DATABASE_AWAY as away:  # outside the app's handlers: answered here
                await _answer(database_unavailable(away), scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
        if path in STREAMED:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _answer(self._too_large(), scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await _answer(self._too_large(), scope, receive, send)
                return
            more = message.get("more_body", False)
        await self.app(scope, _replay([_whole(bytes(body))], then=receive), send)

    def _too_large(self) -> ApiError:
        return ApiError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"the request body is larger than {self.max_bytes} bytes",
        )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _whole(body: bytes) -> Message:
    return {"type": "http.request", "body": body, "more_body": False}


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """Hand the app the messages already read, then (for a disconnect) the rest."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


async def _answer(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse(
        error_body(error.code, error.reason, error.field, error.errors),
        status_code=error.status,
        headers=error.headers,
    )
    await response(scope, receive, send)
