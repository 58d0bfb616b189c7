"""A JSON body is sent as JSON: an endpoint that reads a JSON body refuses a body of another
content type with ``415 unsupported_media_type`` (at ``Content-Type``), before the body is
validated, instead of the 422 ``invalid_type`` at ``body`` that FastAPI answers when it leaves
such a body unparsed.

JSON is ``application/json`` or any ``application/*+json``, parameters (``charset``) allowed; a
body sent without a content type is not JSON either (curl's ``-d`` sends
``application/x-www-form-urlencoded``). An empty body passes: the route's own validation says
whether it needed one. Endpoints that read their body themselves (a CSV inventory sync, signed
webhooks) declare no body parameter and are left to check what they take.

One dependency of the whole app (``api.app``); the OpenAPI document declares the 415 on every
operation with a JSON body (``api.openapi``).
"""

from __future__ import annotations

from email.message import Message

from fastapi import Request
from fastapi import params as fastapi_params
from fastapi.routing import APIRoute

from api.errors import ApiError
from oms.domain.errors import ErrorCode


def takes_json(route: APIRoute) -> bool:
    """Whether the route reads a JSON body (a body parameter that is not a form)."""
    body = route.body_field
    return body is not None and not isinstance(body.field_info, fastapi_params.Form)


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


async def json_bodies(request: Request) -> None:
    """Refuse a non-empty body that is not JSON on a route that reads JSON."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not takes_json(route):
        return
    content_type = request.headers.get("content-type")
    if is_json(content_type) or not await request.body():
        return
    said = f"{content_type.split(';')[0].strip()!r}" if content_type else "no content type"
    raise ApiError(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        f"the body must be JSON (Content-Type: application/json), not {said}",
        "content-type",
    )
