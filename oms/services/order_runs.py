"""Starting an order's run, from the API or from the sweep that finds stranded orders.

An order is stored (the read-model row, ``RECEIVED``) before its workflow starts, so that no
accepted order is lost; if Temporal cannot be reached in between, the request answers 503 and
the row waits. The client's retry starts it, and so does the sweep (``start_stranded``), which
the worker process runs every ``OMS_STRANDED_ORDER_SWEEP``: an order still ``RECEIVED`` with no
event after ``OMS_STRANDED_ORDER_AFTER`` is started with exactly what the API would have sent.
Starting is idempotent (the workflow id is the order's, duplicates are refused), so a sweep
racing the client's retry, or a run that is merely slow to record its first step, starts
nothing twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import UTC, datetime

from sqlmodel import col, select
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from oms.config import Settings
from oms.contracts.orders import OrderWorkflowInput
from oms.db import payments
from oms.db.engine import Database
from oms.db.tables import Order, OrderEvent
from oms.domain.order import STORED_PAYMENT_TOKEN, OrderIn, OrderPolicy, OrderStatus, OrderView
from oms.logging import get_logger
from oms.run_options import order_start_options
from oms.services.sweeps import every
from workflows.patch_levels import starting_level

log = get_logger(__name__)
ORDER_WORKFLOW = "OrderWorkflow"
# Orders a sweep remembers as started already (a bound on its memory; past it, a round may
# look at some of them again, harmlessly).
MAX_SEEN = 10_000


def order_policy(settings: Settings) -> OrderPolicy:
    """The SLAs and limits an order runs under, from the settings."""
    return OrderPolicy(
        review_escalate_after_s=settings.review_escalate_after.total_seconds(),
        review_timeout_after_s=settings.review_timeout_after.total_seconds(),
        pick_escalate_after_s=settings.pick_escalate_after.total_seconds(),
        max_reroutes=settings.max_reroutes,
        stock_retry_s=settings.stock_retry_after.total_seconds(),
        stock_wait_s=settings.stock_wait_at_most.total_seconds(),
        authorization_valid_for_s=settings.authorization_valid_for.total_seconds(),
        payment_escalate_after_s=settings.payment_escalate_after.total_seconds(),
    )


async def start_order(
    client: Client, settings: Settings, order: OrderIn, received_at: datetime
) -> bool:
    """Start the order's run; False when it was started before. Raises ``RPCError`` when
    Temporal cannot be reached."""
    try:
        await client.start_workflow(
            ORDER_WORKFLOW,
            # The token stays with the API: the run carries a reference to it.
            OrderWorkflowInput(
                order=order.for_run(),
                received_at=received_at,
                policy=order_policy(settings),
                # Level 0 (until OMS_PATCH_LEVEL is raised): the patches on every order's
                # path asked as the run starts, as the release before levels started them.
                patches_at_start=True,
                patch_level=starting_level(settings.patch_level),
            ),
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            result_type=OrderView,
            **order_start_options(order, received_at),
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


def stranded(
    db: Database, *, before: datetime, limit: int = 100, skip: Collection[str] = ()
) -> list[Order]:
    """Orders still RECEIVED, placed before ``before``, whose run never recorded a step
    (leaving out ``skip``: those found started already)."""
    with db.reading() as s:
        recorded = select(OrderEvent.order_id).where(OrderEvent.order_id == Order.id)
        stmt = (
            select(Order)
            .where(Order.status == OrderStatus.RECEIVED.value)
            .where(col(Order.created_at) < before)
            .where(~recorded.exists())
            .where(col(Order.id).not_in(list(skip)))
            .order_by(col(Order.created_at))
            .limit(limit)
        )
        return list(s.exec(stmt))


async def start_stranded(
    db: Database,
    client: Client,
    settings: Settings,
    *,
    now: datetime | None = None,
    seen: set[str] | None = None,
) -> list[str]:
    """Start every stranded order's run; answers the ids of those started now. ``seen``
    (kept by the sweep between rounds) collects the orders whose run turned out to exist
    already (slow to record, or terminated by ops), so that they never crowd out the next."""
    now = now or datetime.now(UTC)
    seen = seen if seen is not None else set()
    rows = await asyncio.to_thread(
        stranded, db, before=now - settings.stranded_order_after, skip=seen
    )
    started = []
    for row in rows:
        received_at = (
            row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        )
        order = OrderIn.model_validate(row.payload)
        if order.payment_token != STORED_PAYMENT_TOKEN:
            await asyncio.to_thread(_keep_token_apart, db, order)
        if await start_order(client, settings, order, received_at):
            started.append(order.id)
            log.warning("stranded_order_started", order_id=order.id, received_at=received_at)
        elif len(seen) < MAX_SEEN:
            seen.add(order.id)
    return started


def _keep_token_apart(db: Database, order: OrderIn) -> None:
    """An order stored before the OMS kept payment tokens apart has its token in its row:
    moved to the payment tokens, the row keeping the reference, before its run starts."""
    with db.session() as s:
        payments.keep_token(s, order.id, order.payment_token)
        row = s.get(Order, order.id)
        if row is not None:
            row.payload = order.for_run().model_dump(mode="json")
            s.add(row)


async def sweep_stranded(db: Database, client: Client, settings: Settings) -> None:
    """Run ``start_stranded`` every ``OMS_STRANDED_ORDER_SWEEP``, for ever; a round that cannot
    reach Temporal or the database is logged and tried again at the next."""
    seen: set[str] = set()

    async def one_round() -> None:
        await start_stranded(db, client, settings, seen=seen)

    await every(settings.stranded_order_sweep, one_round, "stranded_order_sweep")
