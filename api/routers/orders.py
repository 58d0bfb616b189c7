"""Orders: place (idempotent on the order id), read live status, list, cancel."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.deps import ClientDep, DbDep, Principal, SettingsDep, require
from api.errors import ApiError, error_responses, shape_errors, with_rules
from api.live_view import live_view
from api.metrics import MetricsDep
from api.sourcing_decisions import SourcingDecisions, decisions
from api.views import OrderPage, OrderSummary, as_utc, order_view
from oms.contracts.orders import CancelRequest, CancelResult
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.domain.errors import DomainError, ErrorCode, FieldError
from oms.domain.order import (
    OrderIn,
    OrderStatus,
    OrderView,
)
from oms.domain.order.validation import document_problems
from oms.domain.reason_codes import Code as ReasonCode
from oms.keys import order_workflow_id
from oms.logging import get_logger
from oms.services import cancellations, order_intake, store_collection
from oms.services.order_runs import start_order
from oms.temporal import unreachable
from workflows.order import OrderWorkflow

log = get_logger(__name__)
# How long GET /orders/{id} waits for the run to answer before reading the read model.

router = APIRouter(prefix="/orders", tags=["orders"])

Storefront = Annotated[Principal, Depends(require("storefront"))]
Reader = Annotated[Principal, Depends(require("storefront", "analyst"))]


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ReasonCode = Field(
        default="customer_request",
        description="A code of GET /reason-codes?usage=cancellation, but the OMS's own "
        "(fraud_rejected, out_of_stock, payment_declined...)",
    )
    note: str | None = Field(default=None, max_length=500)


def _business_errors(db: Database, order: OrderIn) -> list[FieldError]:
    with db.reading() as s:
        return order_intake.problems(s, order)


def _not_at_store(db: Database, order: OrderIn, now: datetime) -> ApiError | None:
    """A new collection its store cannot serve, with no transfer to bring what it lacks."""
    with db.reading() as s:
        found = store_collection.not_available_at_store(s, order, now)
    if found is None:
        return None
    refusal = ApiError.invalid([found[0]])
    refusal.detail = {"store_id": order.delivery.store_id, "stores": found[1]}
    return refusal


def _accept(
    db: Database, order: OrderIn, received_at: datetime
) -> tuple[bool, bool, str, datetime]:
    """Store the order once: (created now, its workflow already ran, fingerprint, received)."""
    with db.session() as s:
        row, created = order_repo.insert_order(s, order, received_at=received_at)
        ran = not created and (
            row.status != OrderStatus.RECEIVED.value or bool(order_repo.events_for(s, order.id))
        )
        return created, ran, row.fingerprint, row.created_at


class OrderIntake(APIRoute):
    """POST /orders: a body that does not parse is still held to the order's rules that need
    no parsed order (currency, line ids, quantities), so a bad order hears every problem at
    once. A body that parses meets every rule in ``place_order``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def intake(request: Request) -> Response:
            try:
                return await handle(request)
            except RequestValidationError as exc:
                errors = with_rules(shape_errors(exc), document_problems(exc.body))
                raise ApiError.invalid(errors) from None

        return intake


async def place_order(
    order: OrderIn,
    response: Response,
    principal: Storefront,
    db: DbDep,
    client: ClientDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> Any:
    """Place an order. Posting the same order again is safe: same body, same order (200)."""
    if not principal.sees_channel(order.channel):
        # Another channel does not exist for a key scoped to its own.
        raise ApiError.invalid(
            [
                FieldError(
                    field="channel",
                    code=ErrorCode.CHANNEL_NOT_FOUND,
                    reason=f"no channel {order.channel!r} for this key",
                )
            ]
        )
    errors = await run_in_threadpool(_business_errors, db, order)
    if order.exchange is not None:
        # Only the OMS places an exchange's replacement order (POST /orders/{id}/returns).
        errors.append(
            FieldError(
                field="exchange",
                code=ErrorCode.UNKNOWN_FIELD,
                reason="set by the OMS on an exchange's replacement order, never by a storefront",
            )
        )
    if errors:
        raise ApiError.invalid(errors)
    now = datetime.now(UTC)
    refusal = await run_in_threadpool(_not_at_store, db, order, now)
    if refusal is not None:
        log.info("order_refused_not_at_store", order_id=order.id, store_id=order.delivery.store_id)
        raise refusal
    created, ran, fingerprint, received_at = await run_in_threadpool(_accept, db, order, now)
    if fingerprint != order.fingerprint():
        raise ApiError(
            ErrorCode.ORDER_CONFLICT,
            f"order {order.id} was already placed with a different content",
            "id",
        )
    if created:
        # Counted once stored: a request that then loses Temporal is healed by its retry, a
        # replay that is not counted again.
        metrics.order_placed(channel=order.channel)
    received_at = received_at if received_at.tzinfo else received_at.replace(tzinfo=UTC)
    # Started again only when the stored order never ran: a request that stored it and then
    # lost Temporal is healed by the client's retry, while a replay of an old, finished
    # order (even one Temporal no longer remembers) starts nothing.
    # If Temporal cannot be reached now, the order stays stored: the retry of this request
    # starts it, or else the worker's sweep does (oms.services.order_runs).
    try:
        if not ran:
            await start_order(client, settings, order, received_at)
    except (RPCError, RuntimeError) as err:
        if isinstance(err, RuntimeError) and not unreachable(err):
            raise
        log.error("order_start_failed", order_id=order.id, error=str(err))
        raise ApiError(
            ErrorCode.UNAVAILABLE,
            "the order is stored and will be started as soon as Temporal answers; retrying "
            "the same request is safe",
            headers={"Retry-After": "5"},
        ) from err
    response.headers["Location"] = f"/orders/{order.id}"
    if created:
        log.info("order_placed", order_id=order.id, channel=order.channel, by=principal.actor)
        return order_view(
            order, status=OrderStatus.RECEIVED, created_at=received_at, updated_at=received_at
        )
    response.status_code = 200
    return await live_view(db, client, order.id)


router.add_api_route(
    "",
    place_order,
    methods=["POST"],
    route_class_override=OrderIntake,
    status_code=201,
    response_model=OrderView,
    responses={
        200: {"description": "The same order was already placed with this body"},
        **error_responses(
            ErrorCode.ORDER_CONFLICT,
            ErrorCode.UNKNOWN_CURRENCY,
            ErrorCode.CURRENCY_MISMATCH,
            ErrorCode.TOO_MANY_LINES,
            ErrorCode.DUPLICATE_LINE_ID,
            ErrorCode.INVALID_QUANTITY,
            ErrorCode.UNKNOWN_SKU,
            ErrorCode.NOT_SOLD_IN_CHANNEL,
            ErrorCode.UNKNOWN_STORE,
            ErrorCode.NOT_A_STORE,
            ErrorCode.STORE_CLOSED,
            ErrorCode.NOT_AVAILABLE_AT_STORE,
            ErrorCode.TAXES_EXCEED_AMOUNT,
            ErrorCode.DUPLICATE_TAX_CODE,
        ),
    },
)


@router.get(
    "/{order_id}", response_model=OrderView, responses=error_responses(ErrorCode.ORDER_NOT_FOUND)
)
async def get_order(order_id: str, principal: Reader, db: DbDep, client: ClientDep) -> Any:
    """The whole order view, live from its workflow (or the read model once archived), with
    each sourcing decision in short."""
    exists = await run_in_threadpool(_exists, db, principal, order_id)
    if not exists:
        raise ApiError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id}", "order_id")
    return await live_view(db, client, order_id)


@router.get(
    "/{order_id}/sourcing",
    response_model=SourcingDecisions,
    responses=error_responses(ErrorCode.ORDER_NOT_FOUND),
)
def get_sourcing(order_id: str, principal: Reader, db: DbDep) -> Any:
    """Why the order's stock was placed where it was, step by step (the first sourcing, then
    each re-route): the profile version, the strategy that matched and why earlier ones did
    not, the candidates with their score per criterion, the locations each filter excluded."""
    if not _exists(db, principal, order_id):
        raise ApiError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id}", "order_id")
    return SourcingDecisions(order_id=order_id, decisions=decisions(db, order_id))


def _cancel_request(
    db: Database, principal: Principal, order_id: str, body: CancelBody | None
) -> CancelRequest:
    body = body or CancelBody()
    if not _exists(db, principal, order_id):
        raise ApiError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id}", "order_id")
    with db.reading() as s:
        try:
            return cancellations.cancel_request(
                s, reason=body.reason, note=body.note, actor=principal.actor
            )
        except DomainError as err:
            raise ApiError.refused(err) from err


def _once_final(
    db: Database, order_id: str, request: CancelRequest, view: OrderView
) -> CancelResult:
    """A cancel of an order whose run is over: accepted, as the first was, when it asks the
    cancellation the order ended with; else refused, saying how the order ended."""
    if view.status is not OrderStatus.CANCELLED:
        raise ApiError(ErrorCode.CANCEL_REFUSED, f"order is already {view.status.value}")
    with db.reading() as s:
        code = cancellations.cancelled_with(s, order_id)
    if request.same_cancellation(view.cancel_reason, code):
        return CancelResult(accepted=True, status=view.status)
    why = code or (view.cancel_reason.value if view.cancel_reason else "other")
    raise ApiError(ErrorCode.CANCEL_REFUSED, f"order is already CANCELLED ({why})")


def _exists(db: Database, principal: Principal, order_id: str) -> bool:
    """The order exists for this key: another channel's order does not, for a scoped key."""
    with db.reading() as s:
        row = order_repo.get_order(s, order_id)
        return row is not None and principal.sees_channel(row.channel)


def _utc(dt: datetime | None) -> datetime | None:
    """Bounds in UTC, as times are stored: SQLite compares wall clocks and drops the offset,
    so 12:00+02:00 would otherwise mean 12:00 UTC. A time without offset is taken as UTC."""
    return None if dt is None else as_utc(dt).astimezone(UTC)


@router.get("", response_model=OrderPage, responses=error_responses(ErrorCode.INVALID_CURSOR))
def list_orders(
    principal: Reader,
    db: DbDep,
    status: OrderStatus | None = None,
    channel: str | None = None,
    customer_id: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Any:
    """Orders newest first from the read model; follow ``next_cursor`` for the next page. A
    key scoped to channels lists only theirs."""
    flt = order_repo.OrderFilter(
        status=status,
        channel=channel,
        channels=None if principal.role == "admin" else principal.channels,
        customer_id=customer_id,
        created_from=_utc(created_from),
        created_to=_utc(created_to),
    )
    with db.reading() as s:
        try:
            rows, next_cursor = order_repo.list_orders(s, flt, limit=limit, cursor=cursor)
        except ValueError as exc:
            raise ApiError(ErrorCode.INVALID_CURSOR, str(exc), "cursor") from exc
        return OrderPage(items=[OrderSummary.of(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/{order_id}/cancel",
    response_model=CancelResult,
    responses=error_responses(
        ErrorCode.ORDER_NOT_FOUND, ErrorCode.CANCEL_REFUSED, ErrorCode.REASON_NOT_ALLOWED
    ),
)
async def cancel_order(
    order_id: str,
    principal: Reader,
    db: DbDep,
    client: ClientDep,
    body: CancelBody | None = None,
) -> Any:
    """Cancel an order. Accepted until part of it has shipped; compensations then run. The
    `reason` is a code of the taxonomy for cancellations (`422 reason_not_allowed` otherwise):
    its customer message key goes into the `order.cancelled` event, and its stock effect
    applies to units already picked (`write_off`, `quarantine`; else back in stock). The same
    cancel asked again (a retry) while the order is being cancelled or once it is cancelled
    for that reason answers `200` as the first did, with the order's status now."""
    request = await run_in_threadpool(_cancel_request, db, principal, order_id, body)
    handle = client.get_workflow_handle(order_workflow_id(order_id))
    try:
        result: CancelResult = await handle.execute_update(OrderWorkflow.cancel, request)
    except (RPCError, WorkflowUpdateFailedError) as err:
        view = await live_view(db, client, order_id)
        if not view.status.is_final:
            raise ApiError(ErrorCode.UNAVAILABLE, "could not reach the order") from err
        # The run is over: a retry of the cancellation that ended it is answered as it was.
        return await run_in_threadpool(_once_final, db, order_id, request, view)
    if not result.accepted:
        raise ApiError(ErrorCode.CANCEL_REFUSED, result.reason or "refused")
    log.info("order_cancel_accepted", order_id=order_id, by=principal.actor)
    return result
