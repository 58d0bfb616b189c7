"""How a browser's Temporal UI reaches the codec routes (api/routers/codec.py).

The UI decodes from the browser: its page, on the UI's origin, posts to ``<endpoint>/decode``
on the API's. So the codec routes answer CORS, for the UI's origins only
(``OMS_CODEC_CORS_ORIGINS``; by default the local UI on ``OMS_UI_PORT``): a preflight is
answered here, before any key is asked for (a browser sends none with it), and every answer to
an allowed origin, a refusal included, carries the headers that let the UI read it.

The UI sends no header of its own choosing: only ``Authorization: Bearer <its user's SSO access
token>`` when it has a login of its own and the endpoint is HTTPS ("pass access token"), and
cookies ("include cross-origin credentials"). An OMS API key can travel neither way from the
dev server's UI, so with ``OMS_CODEC_KEY_IN_PATH`` on (``oms dev`` turns it on) the key may be
the endpoint's last path segment: ``/codec/key/<key>/decode`` is served as ``/codec/decode``
with that key as its bearer, checked like any other (analyst or admin). Off by default: a key
in a URL is seen by whoever reads that URL (the UI's settings). The paths are never traced.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from oms.domain.errors import ErrorCode

PREFIX = "/codec/"
KEYED = "/codec/key/"
# What the UI sends: its JSON, the namespace, and with "pass access token" its SSO tokens.
ALLOWED_HEADERS = "Authorization, Authorization-Extras, Content-Type, X-Namespace"
PREFLIGHT_CACHE_SECONDS = "600"


class CodecCors:
    """CORS on the codec routes, for the listed origins; every other route is left alone."""

    def __init__(self, app: ASGIApp, *, origins: Sequence[str]) -> None:
        self.app = app
        self.origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        allowed = origin if origin in self.origins else None
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await _preflight(allowed, origin)(scope, receive, send)
            return
        if allowed is None:
            # No CORS headers: a browser on another origin cannot read the answer; a client
            # that is not a browser (the temporal CLI) is served as any other.
            await self.app(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = MutableHeaders(scope=message)
                answer.update(_allow(allowed))
                answer.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, with_cors)


def _preflight(allowed: str | None, origin: str | None) -> Response:
    """The answer to a preflight from ``origin``; ``allowed`` is that origin when it may."""
    if allowed is None:
        reason = f"the origin {origin!r} may not call the codec (OMS_CODEC_CORS_ORIGINS)"
        status = ErrorCode.FORBIDDEN.http_status
        return JSONResponse(error_body(ErrorCode.FORBIDDEN, reason), status_code=status)
    headers = {
        **_allow(allowed),
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_CACHE_SECONDS,
        "Vary": "Origin",
    }
    return Response(status_code=204, headers=headers)


def _allow(origin: str) -> dict[str, str]:
    # Credentials allowed: a deployment may put a login proxy that uses cookies in front of
    # the codec (docs/operations.md). The API itself reads no cookie, so none grants anything.
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}


class KeyInPath:
    """``/codec/key/<key>/<op>`` served as ``/codec/<op>`` with ``<key>`` as its bearer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(KEYED):
            await self.app(scope, receive, send)
            return
        key, _, operation = scope["path"].removeprefix(KEYED).partition("/")
        headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
        if key:
            headers.append((b"authorization", b"Bearer " + key.encode()))
        path = PREFIX + operation
        scope = {**scope, "path": path, "raw_path": path.encode(), "headers": headers}
        await self.app(scope, receive, send)
