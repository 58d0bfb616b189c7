"""Appeasements: customer service gives money back on an order without a return ("the parcel
came late: keep it"), up to what the order may still refund (docs/api.md, "Appeasements").
Each is refunded through the gateway by an AppeasementWorkflow (workflows/appeasement.py);
its row is the read model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api.deps import ClientDep, DbDep, Principal, SettingsDep, require
from api.errors import ApiError, error_responses
from api.idempotency import Idempotency, Idempotent
from api.views import as_utc
from oms.contracts.appeasements import AppeasementInput
from oms.db import appeasements as repo
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.db.tables import AppeasementRow
from oms.domain.appeasements import AppeasementRequest, AppeasementStatus
from oms.domain.errors import DomainError, ErrorCode
from oms.logging import get_logger
from oms.services.appeasements import (
    AppeasementRefused,
    grant,
    locked_order,
    run_input,
    start_appeasement,
    withdraw,
)

log = get_logger(__name__)
router = APIRouter(prefix="/orders", tags=["orders"])

# Customer service's call: an analyst (or an admin), never a storefront or a store.
CustomerService = Annotated[Principal, Depends(require("analyst"))]
AppeasementId = Annotated[str, Path(min_length=1, max_length=80, description="`<order>.A<n>`")]


class AppeasementPublic(BaseModel):
    id: str = Field(description="`<order>.A<n>`")
    order_id: str
    amount: int = Field(description="Minor units of the order's currency")
    refunded: int = Field(description="What the gateway refunded of it so far")
    currency: str
    reason_code: str
    note: str
    line_id: str | None
    status: AppeasementStatus = Field(
        description=(
            "pending: granted, its refund about to be asked; refunding: its refund is asked of "
            "the gateway; refunded; failed: see `code`"
        )
    )
    code: str | None = Field(
        description="Why it failed: the gateway's code, or `not_started` (nothing refunded)"
    )
    requested_by: str = Field(description="Who granted it: `<role>:<key name>`")
    created_at: datetime
    completed_at: datetime | None


class AppeasementList(BaseModel):
    items: list[AppeasementPublic]


def _public(row: AppeasementRow) -> AppeasementPublic:
    return AppeasementPublic(
        id=row.id,
        order_id=row.order_id,
        amount=row.amount,
        refunded=row.refunded,
        currency=row.currency,
        reason_code=row.reason_code,
        note=row.note,
        line_id=row.line_id,
        status=AppeasementStatus(row.status),
        code=row.code,
        requested_by=row.requested_by,
        created_at=as_utc(row.created_at),
        completed_at=as_utc(row.completed_at) if row.completed_at else None,
    )


def _granted(
    db: Database,
    principal: Principal,
    order_id: str,
    body: AppeasementRequest,
    idem: Idempotency | None,
) -> tuple[AppeasementRow, AppeasementInput | None, bool]:
    """The appeasement stored with its claims on the order's captures, what its run starts
    with, and whether an Idempotency-Key used before for this request made it (then its run is
    started again while it is not at its end: the request that made it may have died before starting
    it, or failed to; "already started" counts as started). One transaction, the order's row
    held: two appeasements (or a return's refund) at once cannot both take what is left, and
    a refusal leaves the key free."""
    with db.session() as s:
        order = locked_order(s, order_id, principal.sees_channel)
        token = idem.take(s, body, now=datetime.now(UTC)) if idem is not None else None
        made = repo.by_token(s, token) if token is not None else None
        if made is not None:
            pending = not AppeasementStatus(made.status).is_final
            return made, run_input(made) if pending else None, True
        row, inp = grant(s, order, body, requested_by=principal.actor, token=token)
        return row, inp, False


@router.post(
    "/{order_id}/appeasements",
    status_code=201,
    response_model=AppeasementPublic,
    responses={
        **error_responses(
            ErrorCode.ORDER_NOT_FOUND,
            ErrorCode.REASON_NOT_ALLOWED,
            ErrorCode.UNKNOWN_LINE,
            ErrorCode.EXCEEDS_REFUNDABLE,
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
        ),
        200: {
            "model": AppeasementPublic,
            "description": "The appeasement this Idempotency-Key granted before",
        },
    },
)
async def grant_appeasement(
    order_id: str,
    body: AppeasementRequest,
    principal: CustomerService,
    db: DbDep,
    client: ClientDep,
    settings: SettingsDep,
    response: Response,
    idem: Idempotent,
) -> Any:
    """Give the customer money back without a return (a late parcel, a damaged box kept): at
    most what the order's captures took less what was refunded or is being refunded (returns
    and earlier appeasements), else `422 exceeds_refundable` at `amount` naming what is left;
    the reason a code of usage `appeasement`. Answered `pending` (`201`, `Location`): the
    refund goes through the payment gateway in the background, then the appeasement is
    `refunded` or `failed` with the gateway's `code`, an event says which and the customer is
    told by email. With an `Idempotency-Key`, the same request again answers the appeasement
    it granted (`200`) instead of granting another, its refund started again if it is still
    `pending` (the first request may have been cut short before starting it)."""
    try:
        row, inp, replay = await run_in_threadpool(_granted, db, principal, order_id, body, idem)
    except DomainError as exc:
        raise ApiError.refused(exc) from exc
    except AppeasementRefused as exc:
        raise ApiError.invalid(exc.errors) from exc
    response.headers["Location"] = f"/orders/{order_id}/appeasements/{row.id}"
    if replay:
        response.status_code = 200
    if inp is None:
        return _public(row)
    try:
        await start_appeasement(client, settings.task_queue, inp)
    except (RPCError, RuntimeError) as err:
        taken = await run_in_threadpool(withdraw, db, row.id)
        if taken is None:
            raise ApiError(
                ErrorCode.UNAVAILABLE, "could not start the appeasement's refund; ask again"
            ) from err
        # The server had started its run after all, and the run took it: under way.
        row = taken
    log.info(
        "appeasement_granted",
        order_id=order_id,
        appeasement_id=row.id,
        amount=row.amount,
        by=principal.actor,
    )
    return _public(row)


def _seen_order(db: Database, principal: Principal, order_id: str) -> None:
    with db.reading() as s:
        row = order_repo.get_order(s, order_id)
    if row is None or not principal.sees_channel(row.channel):
        raise ApiError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id}", "order_id")


@router.get(
    "/{order_id}/appeasements",
    response_model=AppeasementList,
    responses=error_responses(ErrorCode.ORDER_NOT_FOUND),
)
def list_appeasements(order_id: str, principal: CustomerService, db: DbDep) -> Any:
    """The order's appeasements, oldest first."""
    _seen_order(db, principal, order_id)
    with db.reading() as s:
        return AppeasementList(items=[_public(r) for r in repo.for_order(s, order_id)])


@router.get(
    "/{order_id}/appeasements/{appeasement_id}",
    response_model=AppeasementPublic,
    responses=error_responses(ErrorCode.ORDER_NOT_FOUND, ErrorCode.APPEASEMENT_NOT_FOUND),
)
def get_appeasement(
    order_id: str, appeasement_id: AppeasementId, principal: CustomerService, db: DbDep
) -> Any:
    """One appeasement of the order, as the list shows it."""
    _seen_order(db, principal, order_id)
    with db.reading() as s:
        row = repo.get(s, appeasement_id)
    if row is None or row.order_id != order_id:
        raise ApiError(
            ErrorCode.APPEASEMENT_NOT_FOUND,
            f"order {order_id} has no appeasement {appeasement_id}",
            "appeasement_id",
        )
    return _public(row)
