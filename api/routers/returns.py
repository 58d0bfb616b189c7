"""Returns: asked for an order's delivered lines under the channel's policy, received by scan
at a location, graded in a quality-control task (the task desk), refunded. Each return runs as
a ReturnWorkflow (workflows/returns.py); its row is the read model."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client
from temporalio.service import RPCError

from api.deps import ClientDep, DbDep, Principal, SettingsDep, channel_in_scope, require
from api.errors import ApiError, error_responses
from api.fulfilment_updates import run_update
from api.views import as_utc
from oms.config import Settings
from oms.contracts.returns import Receipt, ReturnLine, ReturnView
from oms.db import returns as return_repo
from oms.db.engine import Database
from oms.db.tables import Order, ReturnRow
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.order import OrderIn
from oms.domain.returns import (
    RefundState,
    ReturnLineIn,
    ReturnMethod,
    ReturnPolicy,
    ReturnRequest,
    ReturnStatus,
    lines_once,
)
from oms.logging import get_logger
from oms.services.order_runs import start_order
from oms.services.returns import ReturnRefused, create_return, start_return, withdraw
from workflows.returns import ReturnWorkflow, return_workflow_id

log = get_logger(__name__)
router = APIRouter(tags=["returns"])

Asker = Annotated[Principal, Depends(require("storefront", "analyst"))]
Reader = Annotated[Principal, Depends(require("storefront", "analyst", "store"))]
Receiver = Annotated[Principal, Depends(require("store", "analyst"))]
Admin = Annotated[Principal, Depends(require())]
PolicyReader = Annotated[Principal, Depends(require("storefront", "analyst"))]


class ReturnPublic(ReturnView):
    shipping_refund: int = Field(
        description="the order's shipping charge this return refunds with its goods"
    )
    exchange_order_id: str | None = Field(description="the replacement order of an exchange")
    reason_code: str
    created_at: datetime
    completed_at: datetime | None


def _public(row: ReturnRow) -> ReturnPublic:
    return ReturnPublic(
        return_id=row.id,
        order_id=row.order_id,
        status=ReturnStatus(row.status),
        method=ReturnMethod(row.method),
        location_id=row.location_id,
        lines=[ReturnLine.model_validate(line) for line in row.lines],
        received=[ReturnLineIn.model_validate(r) for r in row.received or []],
        grades=row.grades or [],
        label=row.label,
        refund_state=RefundState(row.refund_state),
        refunded=row.refunded,
        currency=row.currency,
        since=as_utc(row.updated_at),
        shipping_refund=row.shipping_refund,
        exchange_order_id=row.exchange_order_id,
        reason_code=row.reason_code,
        created_at=as_utc(row.created_at),
        completed_at=as_utc(row.completed_at) if row.completed_at else None,
    )


class ReturnList(BaseModel):
    items: list[ReturnPublic]


def _order(s: Session, principal: Principal, order_id: str) -> Order:
    row = s.get(Order, order_id)
    if row is None or not principal.sees_channel(row.channel):
        raise ApiError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id}", "order_id")
    return row


@router.post(
    "/orders/{order_id}/returns",
    response_model=ReturnPublic,
    status_code=201,
    responses=error_responses(
        ErrorCode.ORDER_NOT_FOUND,
        ErrorCode.NOT_RETURNABLE,
        ErrorCode.NOT_DELIVERED,
        ErrorCode.RETURN_WINDOW_CLOSED,
        ErrorCode.EXCEEDS_RETURNABLE,
        ErrorCode.UNKNOWN_SKU,
        ErrorCode.PRODUCT_INACTIVE,
        ErrorCode.NO_PRICE,
        ErrorCode.PAYMENT_TOKEN_REQUIRED,
    ),
)
async def ask_return(
    order_id: str,
    body: ReturnRequest,
    principal: Asker,
    db: DbDep,
    client: ClientDep,
    settings: SettingsDep,
) -> Any:
    """Ask to return delivered units: refused with 422 naming the line and the rule (the
    channel's return policy: its window from delivery, non-returnable categories, no more than
    was delivered less what was returned). A carrier return gets its label from the carrier.
    ``exchange`` lines place a replacement order (``exchange_order_id``), paid first by the
    returned goods; a dearer one charges the rest on ``payment_token``."""
    try:
        row, inp, replacement = await run_in_threadpool(
            create_return, db, order_id, body, sees=principal.sees_channel
        )
    except DomainError as exc:
        raise ApiError.refused(exc) from exc
    except ReturnRefused as exc:
        raise ApiError.invalid(exc.errors) from exc
    try:
        await start_return(client, settings.task_queue, inp, patch_level=settings.patch_level)
    except (RPCError, RuntimeError) as err:
        await run_in_threadpool(withdraw, db, row.id)
        raise ApiError(ErrorCode.UNAVAILABLE, "could not start the return; ask again") from err
    if replacement is not None:
        await _start_exchange(client, settings, replacement, row.created_at)
    log.info("return_asked", return_id=row.id, order_id=order_id, by=principal.actor)
    return _public(row)


async def _start_exchange(
    client: Client, settings: Settings, order: OrderIn, received_at: datetime
) -> None:
    """Start the replacement order like any order; when Temporal is away it stays stored
    (RECEIVED) and the stranded-order sweep starts it (oms.services.order_runs)."""
    try:
        await start_order(client, settings, order, as_utc(received_at))
    except (RPCError, RuntimeError) as err:
        log.error("exchange_start_failed", order_id=order.id, error=str(err))


@router.get(
    "/orders/{order_id}/returns",
    response_model=ReturnList,
    responses=error_responses(ErrorCode.ORDER_NOT_FOUND),
)
def list_returns(order_id: str, principal: Asker, db: DbDep) -> Any:
    with db.reading() as s:
        _order(s, principal, order_id)
        return ReturnList(items=[_public(r) for r in return_repo.for_order(s, order_id)])


def _visible(db: Database, principal: Principal, return_id: str) -> ReturnRow:
    with db.reading() as s:
        row = s.get(ReturnRow, return_id)
    hidden = row is None or (
        not principal.sees_location(row.location_id)
        if principal.role == "store"
        else not principal.sees_channel(row.channel)
    )
    if hidden or row is None:
        raise ApiError(ErrorCode.RETURN_NOT_FOUND, f"no return {return_id}", "return_id")
    return row


@router.get(
    "/returns/{return_id}",
    response_model=ReturnPublic,
    responses=error_responses(ErrorCode.RETURN_NOT_FOUND),
)
def get_return(return_id: str, principal: Reader, db: DbDep) -> Any:
    return _public(_visible(db, principal, return_id))


class ReceiveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)

    @field_validator("lines")
    @classmethod
    def _lines_once(cls, lines: list[ReturnLineIn]) -> list[ReturnLineIn]:
        return lines_once(lines)


@router.post(
    "/returns/{return_id}/receive",
    response_model=ReturnPublic,
    responses=error_responses(
        ErrorCode.RETURN_NOT_FOUND,
        ErrorCode.INVALID_STATE,
        ErrorCode.UNKNOWN_LINE,
        ErrorCode.EXCEEDS_RETURNABLE,
    ),
)
async def receive_return(
    return_id: str, body: ReceiveBody, principal: Receiver, db: DbDep, client: ClientDep
) -> Any:
    """The parcel is in: the units scanned at the return's location. A quality-control task
    opens there for its grades."""
    row = await run_in_threadpool(_visible, db, principal, return_id)
    receipt = Receipt(location_id=row.location_id, lines=body.lines, actor=principal.actor)
    view: ReturnView = await run_update(
        client, return_workflow_id(return_id), ReturnWorkflow.receive, receipt, what="return"
    )
    log.info("return_received", return_id=return_id, by=principal.actor)
    # Accepted: the run moves on to its quality control (its row follows a moment later).
    moved = (
        ReturnStatus.AWAITING_QC if view.status is ReturnStatus.AWAITING_RECEIPT else view.status
    )
    return _public(row).model_copy(update={"received": body.lines, "status": moved})


class PolicyOut(BaseModel):
    channel: str
    policy: ReturnPolicy


@router.get(
    "/return-policies/{channel}",
    response_model=PolicyOut,
    responses=error_responses(ErrorCode.CHANNEL_NOT_FOUND),
)
def get_policy(channel: str, principal: PolicyReader, db: DbDep) -> Any:
    """The channel's return policy (the default one until an admin sets it). Another channel
    than a scoped key's does not exist for it (404), as everywhere else."""
    channel_in_scope(principal, channel)
    with db.reading() as s:
        return PolicyOut(channel=channel, policy=return_repo.policy_for(s, channel))


@router.put(
    "/return-policies/{channel}",
    response_model=PolicyOut,
    responses={201: {"model": PolicyOut, "description": "Created"}},
)
def put_policy(channel: str, body: ReturnPolicy, response: Response, _: Admin, db: DbDep) -> Any:
    """Set the channel's return policy; returns asked from now on follow it."""
    with db.session() as s:
        created = return_repo.set_policy(s, channel, body)
    response.status_code = 201 if created else 200
    return PolicyOut(channel=channel, policy=body)
