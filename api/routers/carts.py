"""Cart holds: a storefront keeps stock aside for a cart until a deadline (storefront keys).

PUT holds (or re-holds, or extends) the whole cart or nothing; GET shows the hold; DELETE lets
it go. A hold frees itself when its TTL runs out (``CartHoldWorkflow``), and an order placed
with the cart's ``cart_id`` takes it over without counting its stock twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api.deps import ClientDep, DbDep, Principal, SettingsDep, channel_in_scope, require
from api.errors import ApiError, error_responses
from oms.db import availability as av
from oms.db import cart_holds
from oms.db.engine import Database
from oms.db.inventory import InsufficientStock
from oms.db.tables import CartHold, utcnow
from oms.domain.cart_holds import HeldLine, HoldIn, HoldRefused, HoldStatus
from oms.domain.errors import ErrorCode
from oms.logging import get_logger
from oms.services.cart_holds import place
from workflows.cart_hold import arm_hold_timer

log = get_logger(__name__)
router = APIRouter(prefix="/carts", tags=["carts"])

Storefront = Annotated[Principal, Depends(require("storefront"))]
CartIdPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=58,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="The storefront's cart id (up to 58 characters)",
    ),
]
# A hold placed at the same moment for the same cart or the same last units: try again on
# fresh figures, as sourcing does.
ATTEMPTS = 3


class CartHoldPublic(BaseModel):
    cart_id: str
    channel: str
    status: HoldStatus
    lines: list[HeldLine]
    expires_at: datetime
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: CartHold) -> CartHoldPublic:
        return cls(
            cart_id=row.id,
            channel=row.channel,
            status=HoldStatus(row.status),
            lines=cart_holds.held_lines(row),
            expires_at=cart_holds.as_utc(row.expires_at),
            created_at=cart_holds.as_utc(row.created_at),
            updated_at=cart_holds.as_utc(row.updated_at),
        )


def _hold(db: Database, cart_id: str, body: HoldIn) -> CartHoldPublic:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with db.session() as s:
                row = place(s, cart_id=cart_id, request=body, now=utcnow())
                return CartHoldPublic.of(row)
        except av.UnknownChannel:
            reason = f"no channel {body.channel!r}"
            raise ApiError.missing(
                ErrorCode.CHANNEL_NOT_FOUND, reason, "channel", in_body=True
            ) from None
        except HoldRefused as refused:
            # Unknown SKUs are the input's fault (422), too little stock a conflict (409).
            first = refused.errors[0]
            raise ApiError(first.code, first.reason, first.field, errors=refused.errors) from None
        except (IntegrityError, InsufficientStock) as lost:
            # The same cart held at the same moment by another request (its row appeared
            # under us), or a position moved between reading and reserving.
            log.info("cart_hold_race_lost", cart_id=cart_id, attempt=attempt, error=str(lost))
    raise ApiError(ErrorCode.UNAVAILABLE, "the cart's stock kept moving; retry the same request")


@router.put(
    "/{cart_id}/hold",
    response_model=CartHoldPublic,
    responses=error_responses(
        ErrorCode.HOLD_NOT_FOUND,
        ErrorCode.INSUFFICIENT_STOCK,
        ErrorCode.UNKNOWN_SKU,
        in_body=[ErrorCode.CHANNEL_NOT_FOUND],
    ),
)
async def put_hold(
    cart_id: CartIdPath,
    body: HoldIn,
    principal: Storefront,
    db: DbDep,
    client: ClientDep,
    settings: SettingsDep,
) -> Any:
    """Hold the cart's lines in the channel for `ttl_seconds` (default 900), all or nothing.

    A cart holds one thing at a time: a new PUT replaces the hold (the old units go back in the
    same transaction), and the same lines again only extend it. Each SKU is held from the
    channel's network, the location with the most ATP first.
    """
    channel_in_scope(principal, body.channel, in_body=True)
    await run_in_threadpool(_visible_hold, db, principal, cart_id)
    hold = await run_in_threadpool(_hold, db, cart_id, body)
    try:
        await arm_hold_timer(client, settings.task_queue, cart_id, hold.expires_at)
    except RPCError as err:
        log.error("cart_hold_timer_failed", cart_id=cart_id, error=str(err))
        raise ApiError(
            ErrorCode.UNAVAILABLE,
            "the stock is held but its expiry could not be scheduled; retry the same request",
        ) from err
    log.info(
        "cart_held",
        cart_id=cart_id,
        channel=body.channel,
        units=sum(line.quantity for line in hold.lines),
        by=principal.actor,
    )
    return hold


def _read(db: Database, cart_id: str) -> CartHoldPublic | None:
    with db.session() as s:
        row = cart_holds.get(s, cart_id)
        return CartHoldPublic.of(row) if row is not None else None


def _release(db: Database, cart_id: str) -> CartHoldPublic | None:
    with db.session() as s:
        row = cart_holds.release(s, cart_id, utcnow())
        return CartHoldPublic.of(row) if row is not None else None


def _not_found(cart_id: str) -> ApiError:
    return ApiError(ErrorCode.HOLD_NOT_FOUND, f"cart {cart_id} holds nothing", "cart_id")


def _visible_hold(db: Database, principal: Principal, cart_id: str) -> CartHoldPublic | None:
    """The cart's hold as this key may see it: another channel's cart does not exist for a key
    scoped to its own (it can neither read, replace nor release it)."""
    hold = _read(db, cart_id)
    if hold is not None and not principal.sees_channel(hold.channel):
        raise _not_found(cart_id)
    return hold


@router.get(
    "/{cart_id}/hold",
    response_model=CartHoldPublic,
    responses=error_responses(ErrorCode.HOLD_NOT_FOUND),
)
def get_hold(cart_id: CartIdPath, principal: Storefront, db: DbDep) -> Any:
    """The cart's hold: `held` until `expires_at`, or how it ended (`released`, `expired`,
    `converted` into an order)."""
    hold = _visible_hold(db, principal, cart_id)
    if hold is None:
        raise _not_found(cart_id)
    return hold


@router.delete(
    "/{cart_id}/hold",
    response_model=CartHoldPublic,
    responses=error_responses(ErrorCode.HOLD_NOT_FOUND),
)
def delete_hold(cart_id: CartIdPath, principal: Storefront, db: DbDep) -> Any:
    """Let the cart's stock go. Safe to repeat: a hold no longer held is answered as it is."""
    _visible_hold(db, principal, cart_id)
    hold = _release(db, cart_id)
    if hold is None:
        raise _not_found(cart_id)
    log.info("cart_hold_deleted", cart_id=cart_id, status=hold.status.value, by=principal.actor)
    return hold
