"""Placing bench/orders.py's orders, half with POST /orders and half with a bare start_workflow,
while each location's staff work; awaiting each order's result; reading the histories after."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from temporalio.client import Client, WorkflowHandle

from bench.orders_figures import History, Phase, history_of
from bench.orders_setup import Keys, make_order, record_intake
from bench.orders_staff import StaffCounts, store_staff
from oms.contracts.orders import OrderWorkflowInput
from oms.db.engine import Database
from oms.domain.order import OrderStatus, OrderView
from oms.keys import fulfilment_workflow_id, order_workflow_id
from oms.run_options import order_start_options
from workflows.order import OrderWorkflow
from workflows.patch_levels import NEWEST_PATCH_LEVEL


@dataclass
class OrderRun:
    order_id: str
    via_api: bool
    # How long placing it took: the POST /orders call, or the bare start_workflow call.
    place_ms: float | None = None
    latency_ms: float | None = None
    result: OrderView | None = None
    error: str | None = None


@dataclass
class Placing:
    """What the order phase shares: the client, the API, the database and the options."""

    client: Client
    http: httpx.AsyncClient
    db: Database
    keys: Keys
    task_queue: str
    args: argparse.Namespace
    staff: StaffCounts = field(default_factory=StaffCounts)


async def post_order(p: Placing, run: OrderRun) -> WorkflowHandle[Any, OrderView] | None:
    body = make_order(run.order_id).model_dump(mode="json")
    headers = {"Authorization": f"Bearer {p.keys.storefront}"}
    t0 = time.perf_counter()
    response = await p.http.post("/orders", json=body, headers=headers)
    run.place_ms = (time.perf_counter() - t0) * 1000
    if response.status_code != 201:
        run.error = f"POST /orders answered {response.status_code} {response.text[:200]}"
        return None
    return p.client.get_workflow_handle_for(OrderWorkflow.run, order_workflow_id(run.order_id))


async def start_order(p: Placing, run: OrderRun) -> WorkflowHandle[Any, OrderView]:
    order = make_order(run.order_id)
    received_at = datetime.now(UTC)
    await asyncio.to_thread(record_intake, p.db, order, received_at)
    t0 = time.perf_counter()
    handle = await p.client.start_workflow(
        OrderWorkflow.run,
        OrderWorkflowInput(order=order, received_at=received_at, patch_level=NEWEST_PATCH_LEVEL),
        task_queue=p.task_queue,
        # As the API starts it: the same summary, details and first search attributes.
        **order_start_options(order, received_at),
    )
    run.place_ms = (time.perf_counter() - t0) * 1000
    return handle


async def one_order(p: Placing, run: OrderRun) -> None:
    """Place the order, then wait for its result: latency runs from placing (the read-model
    row included, whichever way) to the result."""
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(p.args.order_timeout):
            handle = await (post_order(p, run) if run.via_api else start_order(p, run))
            if handle is None:
                return
            view = await handle.result()
    except TimeoutError:
        run.error = f"no result within {p.args.order_timeout:g}s"
        return
    except Exception as err:  # one order failing must not stop the others
        run.error = f"{type(err).__name__}: {err}"
        return
    run.result = view
    if view.status is OrderStatus.COMPLETED:
        run.latency_ms = (time.perf_counter() - t0) * 1000
    else:
        reason = view.cancel_reason.value if view.cancel_reason else "-"
        run.error = f"ended {view.status.value} (reason {reason})"


async def place_orders(p: Placing, ids: Sequence[str]) -> tuple[Phase, list[OrderRun]]:
    """Every order, ``--concurrency`` at a time, while each location's staff work."""
    sem = asyncio.Semaphore(p.args.concurrency)
    runs = [OrderRun(order_id, via_api=i % 2 == 0) for i, order_id in enumerate(ids)]

    async def one(run: OrderRun) -> None:
        async with sem:
            await one_order(p, run)

    stop = asyncio.Event()
    staff = [
        asyncio.create_task(
            store_staff(
                p.http,
                loc_id,
                key,
                poll_s=p.args.poll_ms / 1000,
                pickers=p.args.pickers,
                stop=stop,
                counts=p.staff,
            )
        )
        for loc_id, key in p.keys.stores.items()
    ]
    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(one(r) for r in runs))
        duration = time.perf_counter() - t0
    finally:
        stop.set()
        await asyncio.gather(*staff)
    phase = Phase(
        started=len(ids),
        duration_s=duration,
        latencies_ms=[r.latency_ms for r in runs if r.latency_ms is not None],
        failures=[f"{r.order_id}: {r.error}" for r in runs if r.error],
    )
    return phase, runs


async def order_histories(
    client: Client, runs: Sequence[OrderRun]
) -> list[tuple[History, History]]:
    """(the order's own history, its fulfilment children's summed) for each sampled order."""
    out: list[tuple[History, History]] = []
    for run in runs:
        assert run.result is not None
        own = await history_of(client, order_workflow_id(run.order_id))
        kids = History()
        for f in run.result.fulfilments:
            kids += await history_of(client, fulfilment_workflow_id(f.fulfilment_id))
        out.append((own, kids))
    return out
