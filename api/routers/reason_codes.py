"""The reason-code taxonomy: admins edit it; store apps and analysts read it (a store app lists
the codes a short pick may give)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DbDep, Principal, require
from api.errors import ApiError, error_responses
from oms.db import reason_codes as repo
from oms.domain.errors import ErrorCode
from oms.domain.reason_codes import (
    Code,
    MessageKey,
    ReasonCode,
    ReasonUsage,
    RoutingEffect,
    StockEffect,
    change_refusal,
)

router = APIRouter(prefix="/reason-codes", tags=["reason codes"])

Admin = Annotated[Principal, Depends(require())]
Reader = Annotated[Principal, Depends(require("store", "analyst"))]
CodeParam = Annotated[Code, Path(description="The reason code, e.g. not_found")]


class ReasonCodeIn(BaseModel):
    """A code as an admin writes it; ``built_in`` and ``active`` are the server's."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=200)
    usages: list[ReasonUsage] = Field(min_length=1, max_length=len(ReasonUsage))
    stock_effect: StockEffect = Field(
        default=StockEffect.NONE,
        description="What the units become: written off, quarantined, left for a recount task",
    )
    routing_effect: RoutingEffect = Field(
        default=RoutingEffect.NONE,
        description="What the order does with them: source them again, or cancel them",
    )
    customer_message: MessageKey | None = Field(
        default=None, description="The key of the message the customer is sent"
    )


class ReasonCodeList(BaseModel):
    items: list[ReasonCode]


def _stored(s: Any, code: str) -> ReasonCode:
    found = repo.get(s, code)
    if found is None:
        raise ApiError(ErrorCode.REASON_CODE_NOT_FOUND, f"no reason code {code!r}", "code")
    return found


@router.get("", response_model=ReasonCodeList)
def list_reason_codes(_: Reader, db: DbDep, usage: ReasonUsage | None = None) -> Any:
    """Every code, retired ones included (``active: false``); with ``usage``, those that may
    be given there."""
    with db.reading() as s:
        return ReasonCodeList(items=repo.list_codes(s, usage=usage))


@router.get(
    "/{code}",
    response_model=ReasonCode,
    responses=error_responses(ErrorCode.REASON_CODE_NOT_FOUND),
)
def get_reason_code(code: CodeParam, _: Reader, db: DbDep) -> Any:
    with db.reading() as s:
        return _stored(s, code)


@router.put(
    "/{code}",
    response_model=ReasonCode,
    responses={**error_responses(ErrorCode.BUILT_IN), 201: {"description": "Created"}},
)
def put_reason_code(
    code: CodeParam, body: ReasonCodeIn, response: Response, _: Admin, db: DbDep
) -> Any:
    """Create a code or replace what it says (a retired code is put back in use). A built-in
    code's label, effects and message may change; it keeps the usages it was built with.
    Picks reported from then on apply the new effects."""
    with db.session() as s:
        stored = repo.get(s, code)
        new = ReasonCode(
            code=code, built_in=stored.built_in if stored else False, **body.model_dump()
        )
        refusal = change_refusal(stored, new)
        if refusal is not None:
            raise ApiError(refusal.code, refusal.reason, refusal.field)
        if repo.put(s, new):
            response.status_code = 201
            response.headers["Location"] = f"/reason-codes/{code}"
        return _stored(s, code)


@router.delete(
    "/{code}",
    status_code=204,
    responses=error_responses(ErrorCode.REASON_CODE_NOT_FOUND, ErrorCode.BUILT_IN),
)
def retire_reason_code(code: CodeParam, _: Admin, db: DbDep) -> Response:
    """Retire a code: it can no longer be given, and stays readable for what history says."""
    with db.session() as s:
        if _stored(s, code).built_in:
            raise ApiError(
                ErrorCode.BUILT_IN,
                f"{code!r} is built in: change its effects instead of retiring it",
                "code",
            )
        repo.deactivate(s, code)
    return Response(status_code=204)
