"""The OpenAPI document declares every answer an operation can give, error answers included.

A route names the refusals of its own (``responses=error_responses(...)``); what every route
of a kind can answer is derived here from the route itself: 401 and 403 from its API key
dependency, 503 from its Temporal client dependency, 422 from its parameters and body, 413 and
415 from its body (too large; not JSON where it takes JSON, ``api.media_types``). Every
error answer's schema is ``ErrorBody``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.deps import REFUSALS
from api.errors import ErrorBody, listing
from api.media_types import takes_json
from oms.domain.errors import ErrorCode

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorBody"}
INVALID_INPUT = (
    "Problems of the input, every one at once with its field, code and reason (`required`, "
    "`invalid_type`, `invalid_format`, `out_of_range`, `unknown_field`, `invalid`...)"
)
# FastAPI's own 422, replaced by ours: its body is never what this API answers.
FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError")


def install(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Derive the shared error answers of the routers' operations once, when the document is
    first asked for."""
    generate = app.openapi
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for route in routes:
            if route.include_in_schema:
                for method in route.methods or ():
                    operation = schema["paths"][route.path_format][method.lower()]
                    _declare(operation["responses"], route)
        _add_error_schema(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def refusals(route: APIRoute) -> list[ErrorCode]:
    """The codes a route's dependencies can refuse it with."""
    found: list[ErrorCode] = []
    for dependant in _walk(route.dependant):
        if dependant.call is not None:
            for code in REFUSALS.get(dependant.call, ()):
                if code not in found:
                    found.append(code)
    return found


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def _takes_input(route: APIRoute) -> bool:
    return any(
        d.path_params or d.query_params or d.header_params or d.cookie_params or d.body_params
        for d in _walk(route.dependant)
    )


def _declare(responses: dict[str, Any], route: APIRoute) -> None:
    by_status: dict[int, list[ErrorCode]] = {}
    for code in refusals(route):
        by_status.setdefault(code.http_status, []).append(code)
    for status, codes in by_status.items():
        _add(responses, status, listing(codes))
    if _takes_input(route):
        _add(responses, 422, INVALID_INPUT)
    if any(d.body_params for d in _walk(route.dependant)):
        _add(responses, 413, listing([ErrorCode.PAYLOAD_TOO_LARGE]))
    if takes_json(route):
        _add(responses, 415, listing([ErrorCode.UNSUPPORTED_MEDIA_TYPE]))
    ordered = sorted(responses.items())
    responses.clear()
    responses.update(ordered)


def _add(responses: dict[str, Any], status: int, description: str) -> None:
    key = str(status)
    declared = responses.get(key)
    if declared is not None and _is_error_body(declared):
        declared["description"] = f"{declared['description']}; {description}"
        return
    responses[key] = {
        "description": description,
        "content": {"application/json": {"schema": ERROR_SCHEMA}},
    }


def _is_error_body(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return bool(schema == ERROR_SCHEMA)


def _add_error_schema(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(body.pop("$defs", {}))
    components["ErrorBody"] = body
    for name in FRAMEWORK_SCHEMAS:
        if f'"#/components/schemas/{name}"' not in json.dumps(schema["paths"]):
            components.pop(name, None)


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """A body model's schema for the OpenAPI document, the models and enums it uses written
    in place (no route registers them among the document's components)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined
