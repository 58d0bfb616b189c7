"""An order's view as ``GET /orders/{id}`` answers it: the run's own view while Temporal can
be asked (with its fulfilments' rows and the after-sale laid over it), else the read model."""

from __future__ import annotations

from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.after_sale import after_sale
from api.errors import ApiError
from api.sourcing_decisions import summaries
from api.views import view_from_row
from oms.db import fulfilments as fulfilment_repo
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.domain.errors import ErrorCode
from oms.domain.fulfilment import FulfilmentProgress
from oms.domain.order import OrderView
from oms.domain.order.lines import with_progress
from oms.keys import order_workflow_id
from workflows.order import OrderWorkflow

# How long the run's answer is waited for before the read model answers instead.
QUERY_WAIT = timedelta(seconds=3)


def _fulfilment_progress(db: Database, order_id: str) -> list[FulfilmentProgress]:
    with db.reading() as s:
        return [fulfilment_repo.progress_of(r) for r in fulfilment_repo.for_order(s, order_id)]


async def live_view(db: Database, client: Client, order_id: str) -> OrderView:
    """The order's workflow's own view, with its fulfilments as their rows say they are now
    (the run hears from them only when it must act), and its sourcing decisions in short: the
    same view whether ``GET /orders/{id}`` or an edit or a cancel answers it."""
    view = await _live(db, client, order_id)
    decided = await run_in_threadpool(summaries, db, order_id)
    return view.model_copy(update={"sourcing": decided})


async def _live(db: Database, client: Client, order_id: str) -> OrderView:
    handle = client.get_workflow_handle(order_workflow_id(order_id))
    try:
        # Briefly: with no worker to answer (all of them restarting), the read model answers
        # instead of the request hanging until Temporal's own deadline.
        view: OrderView = await handle.query(OrderWorkflow.status_view, rpc_timeout=QUERY_WAIT)
        progress = await run_in_threadpool(_fulfilment_progress, db, order_id)
        return await run_in_threadpool(after_sale, db, with_progress(view, progress))
    except RPCError as err:
        if err.status not in (
            RPCStatusCode.NOT_FOUND,
            RPCStatusCode.DEADLINE_EXCEEDED,
            RPCStatusCode.UNAVAILABLE,
        ):
            raise ApiError(ErrorCode.UNAVAILABLE, "could not reach the order") from err
    except Exception:  # a query a worker cannot answer right now
        pass

    def from_db() -> OrderView | None:
        with db.reading() as s:
            row = order_repo.get_order(s, order_id)
            if row is None:
                return None
            return view_from_row(row, order_repo.events_for(s, order_id))

    fallback = await run_in_threadpool(from_db)
    if fallback is None:
        raise ApiError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id}", "order_id")
    return await run_in_threadpool(after_sale, db, fallback)
