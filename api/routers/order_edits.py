"""Order edits before the point of no return (docs/order-edits.md): cancel units of a line,
ship to another address or collect at another store, add a service to a line. Each is an
update of the order's workflow; accepted, the answer is the order's view (200); refused, 409
with the reason as the code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import ClientDep, DbDep, Principal, require
from api.errors import ApiError, error_responses
from api.idempotency import Idempotency, Idempotent
from api.live_view import live_view
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.domain.delivery import Address, DeliveryMethod, Identifier, coordinate_problems
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.fulfilment_profiles import Service
from oms.domain.numbers import WholeNumber
from oms.domain.order import OrderIn, OrderStatus, OrderView
from oms.domain.order.edits import (
    BEFORE_SOURCING,
    DeliveryChange,
    EditResult,
    LineCancel,
    ServiceAdd,
)
from oms.domain.order.pickup import PickupStoreChange
from oms.domain.reason_codes import Code as ReasonCode
from oms.keys import edit_update_id, order_workflow_id
from oms.logging import get_logger
from oms.services import cancellations, order_intake
from workflows.order import OrderWorkflow

log = get_logger(__name__)

router = APIRouter(prefix="/orders", tags=["orders"])

Editor = Annotated[Principal, Depends(require("storefront", "analyst"))]
# What an edit may be refused with, besides a missing order or line.
REFUSALS = (
    ErrorCode.ORDER_FINAL,
    ErrorCode.ORDER_BUSY,
    ErrorCode.AWAITING_STOCK,
    ErrorCode.PAST_POINT_OF_NO_RETURN,
)


class LineCancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: WholeNumber | None = Field(
        default=None, ge=1, le=10_000, description="Units to cancel; omitted: all the line has left"
    )
    reason_code: ReasonCode = Field(
        description="A code of GET /reason-codes?usage=cancellation, but the OMS's own"
    )


class DeliveryBody(BaseModel):
    """A shipment's new address, or a collection's new store: one of the two."""

    model_config = ConfigDict(extra="forbid")

    address: Address | None = Field(default=None, description="A shipment's new address")
    express: bool | None = Field(
        default=None,
        description="With an address: ship express (or not) from now on; omitted: as it was",
    )
    store_id: Identifier | None = Field(
        default=None, description="A collection's new store (as POST /orders names it)"
    )

    def problem(self) -> tuple[ErrorCode, str, str] | None:
        """What makes the body unusable: neither or both of address and store_id, a speed
        for a collection, or an address's lat without its lon (or the reverse)."""
        if self.address is None and self.store_id is None:
            return (
                ErrorCode.REQUIRED,
                "give an address (a shipment) or a store_id (a collection)",
                "address",
            )
        if self.address is not None and self.store_id is not None:
            return ErrorCode.INVALID, "give an address or a store_id, not both", "store_id"
        if self.store_id is not None and self.express is not None:
            return ErrorCode.INVALID, "express is for a shipment's address, not a store", "express"
        half = (
            coordinate_problems(self.address.lat, self.address.lon, "address")
            if self.address is not None
            else []
        )
        if half:
            return half[0].code, half[0].reason, half[0].field
        return None


class ServiceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Service


def _order(db: Database, principal: Principal, order_id: str, line_id: str | None) -> OrderIn:
    """The stored order, as this key may see it; 404 for an unknown order or line."""
    with db.reading() as s:
        row = order_repo.get_order(s, order_id)
    if row is None or not principal.sees_channel(row.channel):
        raise ApiError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id}", "order_id")
    order = OrderIn.model_validate(row.payload)
    if line_id is not None and all(line.line_id != line_id for line in order.lines):
        raise ApiError(
            ErrorCode.LINE_NOT_FOUND, f"order {order_id} has no line {line_id}", "line_id"
        )
    return order


async def _edit(
    db: Database,
    client: Client,
    order_id: str,
    update: Any,
    req: Any,
    *,
    idem: Idempotency | None,
    body: BaseModel,
) -> OrderView:
    """Send the edit (with an Idempotency-Key, once the key is held to this request and body,
    as the update its token names); a refusal (the validator's or the run's answer) is a 409
    with its reason; a run that has ended refuses as final."""
    handle = client.get_workflow_handle(order_workflow_id(order_id))
    token = await idem.taken(db, body) if idem is not None else None
    update_id = edit_update_id(update.__name__, token) if token is not None else None
    try:
        earlier = await _sent_bare(handle, update, idem.key) if idem is not None else None
        result: EditResult = (
            earlier
            if earlier is not None
            else await handle.execute_update(update, req, id=update_id)
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        code = ErrorCode.ORDER_BUSY
        if isinstance(cause, ApplicationError):
            try:
                code = ErrorCode(cause.type or "")
            except ValueError:
                pass
        raise ApiError(
            code, str(cause.message if isinstance(cause, ApplicationError) else err)
        ) from err
    except RPCError as err:
        view = await live_view(db, client, order_id)
        if view.status.is_final:
            raise ApiError(ErrorCode.ORDER_FINAL, f"order is already {view.status.value}") from err
        raise ApiError(ErrorCode.UNAVAILABLE, "could not reach the order") from err
    if not result.accepted:
        reason = ErrorCode(result.reason.value if result.reason else ErrorCode.ORDER_BUSY.value)
        field = "store_id" if reason is ErrorCode.NOT_AVAILABLE_AT_STORE else None
        raise ApiError(reason, result.message or "refused", field)
    return await live_view(db, client, order_id)


async def _sent_bare(handle: WorkflowHandle[Any, Any], update: Any, key: str) -> EditResult | None:
    """The outcome of the edit an API of before sent under the bare key (its update id was
    the key alone, before keys were held to their request): a retry that straddles the upgrade
    is answered by it, not applied a second time. None when there is none."""
    bare = handle.get_update_handle_for(update, edit_update_id(update.__name__, key))
    try:
        result: EditResult = await bare.result()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return None
        raise
    return result


def _line_cancel(
    db: Database, principal: Principal, order_id: str, line_id: str, body: LineCancelBody
) -> LineCancel:
    _order(db, principal, order_id, line_id)
    with db.reading() as s:
        try:
            req = cancellations.cancel_request(
                s, reason=body.reason_code, note=None, actor=principal.actor
            )
        except DomainError as err:
            raise ApiError.refused(err, "reason_code") from err
    return LineCancel(
        line_id=line_id,
        quantity=body.quantity,
        reason=req.reason,
        code=req.code or body.reason_code,
        customer_message=req.customer_message,
        actor=principal.actor,
    )


@router.post(
    "/{order_id}/lines/{line_id}/cancel",
    response_model=OrderView,
    responses=error_responses(
        ErrorCode.ORDER_NOT_FOUND,
        ErrorCode.LINE_NOT_FOUND,
        ErrorCode.REASON_NOT_ALLOWED,
        ErrorCode.QUANTITY_EXCEEDS_OPEN,
        *REFUSALS,
    ),
)
async def cancel_line(
    order_id: str,
    line_id: str,
    body: LineCancelBody,
    principal: Editor,
    db: DbDep,
    client: ClientDep,
    idem: Idempotent,
) -> Any:
    """Cancel `quantity` units of a line (omitted: all it has left) before they are picked:
    they leave their fulfilment, their reservation is released and the authorization comes
    down to what is left; cancelling every unit of the order cancels the order. 409
    `past_point_of_no_return` once the units are being picked, packed or shipped."""
    req = await run_in_threadpool(_line_cancel, db, principal, order_id, line_id, body)
    view = await _edit(db, client, order_id, OrderWorkflow.cancel_line, req, idem=idem, body=body)
    log.info("order_line_cancelled", order_id=order_id, line_id=line_id, by=principal.actor)
    return view


def _new_store(db: Database, order: OrderIn, store_id: str) -> None:
    """422 at ``store_id`` for a store POST /orders would refuse the collection at: before
    its sourcing (as the read model says) one that cannot have the cart, too."""
    with db.reading() as s:
        row = order_repo.get_order(s, order.id)
        unsourced = row is not None and OrderStatus(row.status) in BEFORE_SOURCING
        problems = order_intake.new_store_problems(
            s, order, store_id, unsourced=unsourced, now=datetime.now(UTC)
        )
    if problems:
        raise ApiError.invalid(problems)


@router.patch(
    "/{order_id}/delivery",
    response_model=OrderView,
    responses=error_responses(
        ErrorCode.ORDER_NOT_FOUND,
        ErrorCode.NOT_A_SHIPMENT,
        ErrorCode.NOT_A_COLLECTION,
        ErrorCode.UNKNOWN_STORE,
        ErrorCode.NOT_A_STORE,
        ErrorCode.STORE_CLOSED,
        ErrorCode.SERVICE_NOT_OFFERED,
        ErrorCode.NOT_AVAILABLE_AT_STORE,
        *REFUSALS,
    ),
)
async def change_delivery(
    order_id: str,
    body: DeliveryBody,
    principal: Editor,
    db: DbDep,
    client: ClientDep,
    idem: Idempotent,
) -> Any:
    """Ship the order to another address (`address`, and with `express` at another speed)
    until a parcel is packed, or collect it at another store (`store_id`) until a store
    starts picking it; one of the two. A new address: a fulfilment not yet picking is moved
    when sourcing would now choose another location for it (re-sourced: released there,
    reserved there); the others book their carrier with the new address; 409
    `not_a_shipment` for an order collected in store. A new store: every fulfilment is
    moved and sourced again for it (its stock, or a transfer to it), or none is (422
    `not_available_at_store` when it cannot have every unit); the store is checked as
    `POST /orders` checks it; 409 `not_a_collection` for an order shipped to an address.
    The store it is already collected at is accepted, and changes nothing."""
    problem = body.problem()
    if problem is not None:
        raise ApiError(*problem)
    order = await run_in_threadpool(_order, db, principal, order_id, None)
    if body.store_id is not None:
        if order.delivery.method is not DeliveryMethod.COLLECT:
            raise ApiError(
                ErrorCode.NOT_A_COLLECTION, "the order is shipped to an address: it has no store"
            )
        await run_in_threadpool(_new_store, db, order, body.store_id)
        move = PickupStoreChange(store_id=body.store_id, actor=principal.actor)
        update: Any = OrderWorkflow.change_pickup_store
        view = await _edit(db, client, order_id, update, move, idem=idem, body=body)
        if view.store_id == body.store_id and order.delivery.store_id != body.store_id:
            log.info("order_pickup_store_changed", order_id=order_id, by=principal.actor)
        return view
    if order.delivery.method is not DeliveryMethod.SHIP:
        raise ApiError(
            ErrorCode.NOT_A_SHIPMENT, "the order is collected in store: it has no address"
        )
    assert body.address is not None
    req = DeliveryChange(address=body.address, express=body.express, actor=principal.actor)
    update = OrderWorkflow.change_delivery
    view = await _edit(db, client, order_id, update, req, idem=idem, body=body)
    log.info("order_delivery_changed", order_id=order_id, by=principal.actor)
    return view


@router.post(
    "/{order_id}/lines/{line_id}/services",
    response_model=OrderView,
    responses=error_responses(
        ErrorCode.ORDER_NOT_FOUND,
        ErrorCode.LINE_NOT_FOUND,
        ErrorCode.SERVICE_NOT_PERFORMED,
        ErrorCode.SERVICE_ALREADY_ASKED,
        ErrorCode.QUANTITY_EXCEEDS_OPEN,
        *REFUSALS,
    ),
)
async def add_service(
    order_id: str,
    line_id: str,
    body: ServiceBody,
    principal: Editor,
    db: DbDep,
    client: ClientDep,
    idem: Idempotent,
) -> Any:
    """Add a value-added service to a line before its pick, where the fulfilling location's
    profile performs it (409 `service_not_performed` otherwise). Services carry no price: the
    authorization stays as it is."""
    await run_in_threadpool(_order, db, principal, order_id, line_id)
    req = ServiceAdd(line_id=line_id, service=body.service, actor=principal.actor)
    view = await _edit(db, client, order_id, OrderWorkflow.add_service, req, idem=idem, body=body)
    log.info("order_service_added", order_id=order_id, line_id=line_id, by=principal.actor)
    return view
