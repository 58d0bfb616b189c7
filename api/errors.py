"""Errors the API returns: a stable code, the field at fault and a reason for people.

Body: ``{"code", "field", "reason", "errors": [{"field", "code", "reason"}, ...]}``; the
top-level code/field/reason repeat the first error so simple clients need read no further.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError, model_validator
from sqlalchemy.exc import DataError, DisconnectionError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.client import RPCTimeoutOrCancelledError

from oms.domain.errors import DomainError, ErrorCode, FieldError
from oms.logging import get_logger
from oms.temporal import unreachable

log = get_logger(__name__)


class ErrorBody(BaseModel):
    """Every error answer. ``code``, ``field`` and ``reason`` repeat the first of ``errors``."""

    code: ErrorCode
    field: str | None = Field(
        description="The field at fault (e.g. lines[0].quantity); null: the request as a whole"
    )
    reason: str = Field(description="What is wrong, in plain words")
    errors: list[FieldError] = Field(description="Every problem found, each with its field")
    detail: dict[str, Any] | None = Field(
        default=None,
        description="More about a refusal, for the codes that have more to say "
        "(not_available_at_store: `stores`, where the cart can be collected); absent otherwise",
    )


def error_responses(
    *codes: ErrorCode, in_body: Sequence[ErrorCode] = ()
) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of an operation that can refuse with these codes: one entry
    per status, listing its codes. ``in_body``: codes of objects its body refers to, which
    are the input's fault and so answered 422 at their field whatever their own status
    (``channel_not_found`` for a cart's channel). 401, 403, 422 and 503 are added to every
    operation that can answer them (``api.openapi``)."""
    by_status: dict[int, list[ErrorCode]] = {}
    for code in codes:
        by_status.setdefault(code.http_status, []).append(code)
    for code in in_body:
        by_status.setdefault(422, []).append(code)
    return {
        status: {"model": ErrorBody, "description": listing(listed)}
        for status, listed in sorted(by_status.items())
    }


def listing(codes: Sequence[ErrorCode]) -> str:
    return ", ".join(f"`{code.value}`" for code in codes)


class ApiError(Exception):
    """An error answer. Its code names the HTTP status; a 422 lists every problem at once."""

    def __init__(
        self,
        code: ErrorCode,
        reason: str,
        field: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason)
        self.detail = detail
        self.status = code.http_status
        self.code = code
        self.reason = reason
        self.field = field
        self.errors = list(errors or [])
        self.headers = headers

    @classmethod
    def invalid(cls, errors: Sequence[FieldError]) -> ApiError:
        """422: the input is at fault, whatever each field's code (an unknown location named
        in a body is the body's fault, not the URL's)."""
        first = errors[0]
        error = cls(first.code, first.reason, first.field, errors=errors)
        error.status = 422
        return error

    @classmethod
    def missing(cls, code: ErrorCode, reason: str, field: str, *, in_body: bool) -> ApiError:
        """An object the request names that does not exist: its code's 404 when the request
        acts on it (named in the path, or in the query of a read), 422 at the field when the
        body refers to it (the input is at fault, as with any other field)."""
        if in_body:
            return cls.invalid([FieldError(field=field, code=code, reason=reason)])
        return cls(code, reason, field)

    @classmethod
    def refused(cls, exc: DomainError, field: str | None = None) -> ApiError:
        """A business rule's refusal, answered with its code's status."""
        return cls(exc.code, exc.reason, field or exc.field)

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.reason, self.field, self.errors, self.detail)


def error_body(
    code: ErrorCode,
    reason: str,
    field: str | None = None,
    errors: Sequence[FieldError] = (),
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    listed = list(errors) or ([FieldError(field=field, code=code, reason=reason)] if field else [])
    body = ErrorBody(code=code, field=field, reason=reason, errors=listed, detail=detail)
    # A body without detail reads as it always did: no ``detail`` key.
    return body.model_dump(mode="json", exclude={"detail"} if detail is None else None)


_PYDANTIC_CODES = {
    "missing": ErrorCode.REQUIRED,
    "extra_forbidden": ErrorCode.UNKNOWN_FIELD,
    "string_pattern_mismatch": ErrorCode.INVALID_FORMAT,
    "json_invalid": ErrorCode.MALFORMED_JSON,
    "enum": ErrorCode.INVALID,
    "literal_error": ErrorCode.INVALID,
    "value_error": ErrorCode.INVALID,
}


def _code_for(error_type: str) -> ErrorCode:
    if error_type in _PYDANTIC_CODES:
        return _PYDANTIC_CODES[error_type]
    if error_type.endswith(("_type", "_parsing")) or error_type.startswith("model_"):
        return ErrorCode.INVALID_TYPE
    if error_type.startswith(("greater_than", "less_than", "too_", "string_too_")):
        return ErrorCode.OUT_OF_RANGE
    return ErrorCode.INVALID


def field_path(loc: Sequence[Any]) -> str:
    """("body", "lines", 0, "quantity") -> "lines[0].quantity"."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith("function-"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def _field_of(error: Mapping[str, Any]) -> str:
    # A JSON decode error's loc ends with a character offset, not a list index: the body as a
    # whole is at fault, and "[24]" would read as the 25th item of something.
    if error["type"] == "json_invalid":
        return "body"
    return field_path(error["loc"])


def plain(message: str) -> str:
    """pydantic's message without its prefixes ("Value error, ..."): the reason as we wrote it."""
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


class RowError(BaseModel):
    """A refused row of a JSON batch: its index in the batch, the field, the code and why.

    ``index`` counts from 0, as the array does (``rows[index]``); a bulk sync's file counts its
    ``row`` numbers from 1 (the first line after a CSV's header), a name apart so that the two
    are never read one for the other."""

    index: int = Field(ge=0, description="The row's position in the array sent, from 0")
    # What ``index`` was called before: kept for the integrations that read it, to go once
    # they read ``index``.
    row: int = Field(default=-1, description="Deprecated: the same as `index`", deprecated=True)
    field: str
    code: ErrorCode
    reason: str

    @model_validator(mode="after")
    def _row_is_index(self) -> RowError:
        self.row = self.index
        return self


def shape_errors(exc: RequestValidationError | ValidationError) -> list[FieldError]:
    return [
        FieldError(field=_field_of(e), code=_code_for(e["type"]), reason=plain(e["msg"]))
        for e in real_problems(exc.errors())
    ]


def real_problems(errors: Sequence[Any]) -> list[Any]:
    """pydantic's errors without the echo of another: a tuple's length is counted after its
    items are validated, so a tuple whose only item is wrong would also be "too short" (at
    least 1 item, not 0), a problem the request does not have."""

    def beneath(loc: tuple[Any, ...]) -> bool:
        return any(len(e["loc"]) > len(loc) and tuple(e["loc"][: len(loc)]) == loc for e in errors)

    return [e for e in errors if not (e["type"] == "too_short" and beneath(tuple(e["loc"])))]


def from_validation(exc: RequestValidationError) -> ApiError:
    return ApiError.invalid(shape_errors(exc))


def with_rules(shape: Sequence[FieldError], rules: Sequence[FieldError]) -> list[FieldError]:
    """Problems of shape and of business rules in one list; a field the shape already refused
    is not refused twice."""
    refused = {e.field for e in shape}
    return [*shape, *(e for e in rules if e.field not in refused)]


class RefuseNul:
    """A NUL character in the path or the query is refused (422) before any route reads it: no
    identifier holds one, and databases differ on it (PostgreSQL refuses it, SQLite would look
    it up and find nothing), so the answer must not depend on which one runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        field = _nul_in(scope) if scope["type"] == "http" else None
        if field is None:
            await self.app(scope, receive, send)
            return
        body = error_body(ErrorCode.INVALID, "a NUL character is not allowed here", field)
        await JSONResponse(body, status_code=ErrorCode.INVALID.http_status)(scope, receive, send)


def _nul_in(scope: Scope) -> str | None:
    """Where a NUL character is: "path", the query parameter's name, or None."""
    if "\x00" in scope["path"]:
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return None


# The database is away (down, restarting, unreachable, or a lock held past its timeout): the
# request did nothing and may be retried.
DATABASE_AWAY = (OperationalError, InterfaceError, DisconnectionError, psycopg.OperationalError)


def database_unavailable(exc: Exception) -> ApiError:
    log.warning("database_unavailable", error=str(exc).splitlines()[0][:300])
    return ApiError(
        ErrorCode.UNAVAILABLE,
        "the database cannot be reached right now; nothing was changed, retry in a moment",
        headers={"Retry-After": "5"},
    )


def temporal_unavailable(exc: Exception) -> ApiError:
    log.warning("temporal_unavailable", error=str(exc).splitlines()[0][:300])
    return ApiError(
        ErrorCode.UNAVAILABLE,
        "Temporal cannot be reached right now; retrying the same request is safe",
        headers={"Retry-After": "5"},
    )


def install(app: FastAPI) -> None:
    app.add_middleware(RefuseNul)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        err = from_validation(exc)
        return JSONResponse(err.body(), status_code=422)

    # Raw-cursor reads (the ATP lookups) meet the driver's own errors, not SQLAlchemy's.
    @app.exception_handler(DataError)
    @app.exception_handler(psycopg.DataError)
    async def _data(_: Request, exc: Exception) -> JSONResponse:
        # The last line of defence: a value the database cannot store (a number past its
        # range, a NUL character) that no check caught before. The transaction rolled back.
        log.warning("data_refused_by_database", error=str(getattr(exc, "orig", exc)))
        err = ApiError(
            ErrorCode.INVALID,
            "a value is out of the range the database stores, or holds a character it "
            "cannot (NUL); nothing was changed",
        )
        return JSONResponse(err.body(), status_code=err.status)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(DisconnectionError)
    @app.exception_handler(psycopg.OperationalError)
    async def _database_away(_: Request, exc: Exception) -> JSONResponse:
        err = database_unavailable(exc)
        return JSONResponse(err.body(), status_code=err.status, headers=err.headers)

    @app.exception_handler(RPCTimeoutOrCancelledError)
    async def _temporal_slow(_: Request, exc: RPCTimeoutOrCancelledError) -> JSONResponse:
        # An update or a query no worker answered in time (all of them restarting): what was
        # asked may still happen; the caller reads the object again before retrying.
        err = temporal_unavailable(exc)
        return JSONResponse(err.body(), status_code=err.status, headers=err.headers)

    @app.exception_handler(RuntimeError)
    async def _temporal_away(_: Request, exc: RuntimeError) -> JSONResponse:
        # The API's client connects lazily (it starts while Temporal is away); until it has
        # connected, a call raises a bare RuntimeError instead of an RPCError.
        if not unreachable(exc):
            raise exc
        err = temporal_unavailable(exc)
        return JSONResponse(err.body(), status_code=err.status, headers=err.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot even decode (bytes that are not UTF-8): to a
            # client that is malformed JSON like any other, so the same 422 as a broken one.
            err = ApiError(ErrorCode.MALFORMED_JSON, "the body is not JSON: not UTF-8 text", "body")
            return JSONResponse(err.body(), status_code=err.status)
        # The framework's own answers (no such path, wrong method) keep the framework's status.
        code = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED}.get(
            exc.status_code, ErrorCode.INVALID
        )
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )
