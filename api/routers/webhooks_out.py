"""Signed webhooks out (admin): subscriptions to the OMS's events, and their deliveries.

Every outbox event goes to every subscription whose ``events`` match it, signed with the
subscription's secret (oms.webhooks), in order per order and per SKU, retried with backoff
for ``OMS_WEBHOOK_RETRY_FOR`` and then dead; docs/events.md describes the requests.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client
from temporalio.service import RPCError

from api.deps import DbDep, Principal, SettingsDep, require
from api.errors import ApiError, error_responses
from api.views import as_utc
from oms.db import webhooks_out
from oms.db.tables import WebhookDelivery, WebhookSubscription, utcnow
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.webhooks_out import EVENT_PATTERN, DeliveryStatus, url_problem
from oms.event_patterns import pattern_problem
from oms.keys import webhook_subscription_id
from oms.logging import get_logger
from oms.webhooks import new_secret
from workflows.webhook_relay import WebhookRelayWorkflow, start_webhook_relay

log = get_logger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks out"])

Admin = Annotated[Principal, Depends(require())]
MAX_ID = 2**31 - 1  # delivery ids are 32-bit integers in the database
SubscriptionId = Annotated[str, Path(max_length=64)]
EventPattern = Annotated[str, Field(pattern=EVENT_PATTERN, max_length=64)]


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="http or https URL the events are POSTed to")
    events: list[EventPattern] = Field(
        min_length=1,
        max_length=100,
        description="event types or wildcards: order.completed, order.*, *",
    )
    secret: str | None = Field(
        default=None, min_length=24, max_length=200, description="generated when left out"
    )


class SubscriptionOut(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: datetime
    rotated_at: datetime | None
    previous_secret_until: datetime | None = Field(
        description="the secret before the last rotation still signs until then"
    )


class SubscriptionCreated(SubscriptionOut):
    secret: str | None = Field(description="the generated secret, shown here only; null when given")


class SubscriptionList(BaseModel):
    items: list[SubscriptionOut]


class RotatedSecret(BaseModel):
    id: str
    secret: str = Field(description="shown here only")
    previous_secret_until: datetime | None


class DeliveryOut(BaseModel):
    id: int
    subscription_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    next_after: int | None = Field(description="pass as after= for the next page; null: no more")


def _view(row: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "events": row.events,
        "created_at": as_utc(row.created_at),
        "rotated_at": as_utc(row.rotated_at) if row.rotated_at else None,
        "previous_secret_until": as_utc(row.previous_until) if row.previous_until else None,
    }


def _delivery(row: WebhookDelivery) -> DeliveryOut:
    assert row.id is not None
    return DeliveryOut(
        id=row.id,
        subscription_id=row.subscription_id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=as_utc(row.created_at),
        next_attempt_at=as_utc(row.next_attempt_at) if row.next_attempt_at else None,
        delivered_at=as_utc(row.delivered_at) if row.delivered_at else None,
    )


async def _wake_relay(request: Request) -> None:
    """Start the relay (the worker does too) and have it look now. Best effort: the relay
    finds the work on its next pass anyway."""
    client: Client | None = request.app.state.temporal
    if client is None:
        return
    try:
        handle = await start_webhook_relay(client, request.app.state.settings.task_queue)
        await handle.signal(WebhookRelayWorkflow.wake)
    except (RPCError, RuntimeError) as exc:  # Temporal away: a worker starts it on its return
        log.warning("webhook_relay_not_woken", error=str(exc) or type(exc).__name__)


@router.post(
    "/subscriptions",
    response_model=SubscriptionCreated,
    status_code=201,
    responses=error_responses(ErrorCode.UNSUPPORTED_URL, ErrorCode.UNKNOWN_EVENT_TYPE),
)
async def create_subscription(
    body: SubscriptionIn, request: Request, _: Admin, db: DbDep, settings: SettingsDep
) -> Any:
    """Subscribe a URL to events: every event from now on whose type matches is POSTed to it.
    A pattern that matches no type the OMS sends (a typo) is refused, naming the closest."""
    errors = []
    if (problem := url_problem(body.url, settings.webhook_allowed_hosts)) is not None:
        errors.append(FieldError(field="url", code=ErrorCode.UNSUPPORTED_URL, reason=problem))
    for i, pattern in enumerate(body.events):
        if (problem := pattern_problem(pattern)) is not None:
            code = ErrorCode.UNKNOWN_EVENT_TYPE
            errors.append(FieldError(field=f"events[{i}]", code=code, reason=problem))
    if errors:
        raise ApiError.invalid(errors)
    secret = body.secret or new_secret()
    sub_id = webhook_subscription_id(secrets.token_hex(8))

    def store() -> dict[str, Any]:
        with db.session() as s:
            row = webhooks_out.create(
                s, subscription_id=sub_id, url=body.url, events=body.events, secret=secret
            )
            return _view(row)

    view = await run_in_threadpool(store)
    log.info("webhook_subscribed", subscription_id=sub_id, events=body.events)
    await _wake_relay(request)
    return SubscriptionCreated(**view, secret=None if body.secret else secret)


@router.get("/subscriptions", response_model=SubscriptionList)
def list_subscriptions(_: Admin, db: DbDep) -> Any:
    with db.reading() as s:
        return SubscriptionList(
            items=[SubscriptionOut(**_view(r)) for r in webhooks_out.subscriptions(s)]
        )


@router.get(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionOut,
    responses=error_responses(ErrorCode.SUBSCRIPTION_NOT_FOUND),
)
def get_subscription(subscription_id: SubscriptionId, _: Admin, db: DbDep) -> Any:
    with db.reading() as s:
        row = webhooks_out.subscription(s, subscription_id)
        if row is None:
            raise _no_subscription(subscription_id)
        return SubscriptionOut(**_view(row))


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=204,
    responses=error_responses(ErrorCode.SUBSCRIPTION_NOT_FOUND),
)
def delete_subscription(subscription_id: SubscriptionId, _: Admin, db: DbDep) -> Response:
    """Unsubscribe: nothing more is sent, and what was still to be sent is marked dead."""
    with db.session() as s:
        if not webhooks_out.remove(s, subscription_id):
            raise _no_subscription(subscription_id)
    log.info("webhook_unsubscribed", subscription_id=subscription_id)
    return Response(status_code=204)


@router.post(
    "/subscriptions/{subscription_id}/rotate-secret",
    response_model=RotatedSecret,
    responses=error_responses(ErrorCode.SUBSCRIPTION_NOT_FOUND),
)
def rotate_secret(
    subscription_id: SubscriptionId, _: Admin, db: DbDep, settings: SettingsDep
) -> Any:
    """A new secret; requests are signed with both (two ``v1`` in ``OMS-Signature``) for
    ``OMS_WEBHOOK_ROTATION_GRACE``, so the receiver can switch without losing a request."""
    secret = new_secret()
    with db.session() as s:
        row = webhooks_out.rotate(
            s, subscription_id, secret, now=utcnow(), grace=settings.webhook_rotation_grace
        )
        if row is None:
            raise _no_subscription(subscription_id)
        until = as_utc(row.previous_until) if row.previous_until else None
    log.info("webhook_secret_rotated", subscription_id=subscription_id)
    return RotatedSecret(id=subscription_id, secret=secret, previous_secret_until=until)


@router.get(
    "/deliveries",
    response_model=DeliveryList,
    responses=error_responses(ErrorCode.SUBSCRIPTION_NOT_FOUND),
)
def list_deliveries(
    _: Admin,
    db: DbDep,
    subscription: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[
        DeliveryStatus | None, Query(description="failed: tried and to be retried")
    ] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """Deliveries oldest first, with their attempts, last answer and next attempt."""
    with db.reading() as s:
        if subscription is not None and webhooks_out.subscription(s, subscription) is None:
            raise _no_subscription(subscription)
        rows = webhooks_out.deliveries(
            s, subscription_id=subscription, status=status, after=after, limit=limit
        )
        items = [_delivery(r) for r in rows]
    return DeliveryList(items=items, next_after=items[-1].id if len(items) == limit else None)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    status_code=202,
    responses=error_responses(ErrorCode.DELIVERY_NOT_FOUND),
)
async def redeliver(
    delivery_id: Annotated[int, Path(ge=0, le=MAX_ID)], request: Request, _: Admin, db: DbDep
) -> Any:
    """Send the delivery again now (dead, failed or delivered), with a new retry window."""

    def store() -> DeliveryOut | None:
        with db.session() as s:
            row = webhooks_out.redeliver(s, delivery_id, now=utcnow())
            return _delivery(row) if row is not None else None

    out = await run_in_threadpool(store)
    if out is None:
        raise ApiError(ErrorCode.DELIVERY_NOT_FOUND, f"no delivery {delivery_id}", "delivery_id")
    log.info("webhook_redelivered", delivery_id=delivery_id)
    await _wake_relay(request)
    return out


def _no_subscription(subscription_id: str) -> ApiError:
    return ApiError(
        ErrorCode.SUBSCRIPTION_NOT_FOUND, f"no subscription {subscription_id}", "subscription"
    )
