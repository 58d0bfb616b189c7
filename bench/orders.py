"""Order throughput on the embedded runtime: N orders end to end, then a no-op baseline.

Starts its own Temporal dev server (SQLite file, WAL pragmas, our search attributes) and a
SQLite OMS database in a temporary directory, runs the order worker in this process, and plays
store staff for every order: wait for the fulfilment to await picking, pick every line in
full, pack. Then runs, on the same server and at the same concurrency, a workflow of K no-op
activities, K being what one order runs. Prints figures; it never asserts a timing.

    python bench/orders.py --orders 200 [--concurrency 20] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

# Run as a script, Python puts bench/ itself on the path; `bench.baseline` needs the repo root.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from temporalio.api.enums.v1 import EventType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from bench.baseline import BaselineWorkflow, baseline_worker
from oms.connectors.carriers import SimulatedCarrier
from oms.connectors.payments import SimulatedPaymentGateway
from oms.contracts.orders import OrderWorkflowInput
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.db.migrate import upgrade
from oms.db.tables import InventoryPosition, Location, Product
from oms.devserver import free_port, start_dev_args
from oms.domain.fulfilment import FulfilmentStatus, PackReport, Parcel, PickedLine, PickReport
from oms.domain.order import OrderIn, OrderStatus, OrderView
from oms.keys import fulfilment_workflow_id, order_workflow_id
from oms.logging import configure_logging
from oms.temporal import SEARCH_ATTRIBUTE_FLAGS
from workers.main import Dependencies, build_worker
from workflows.fulfilment import FulfilmentWorkflow
from workflows.order import OrderWorkflow

T = TypeVar("T")

LOCATIONS: list[dict[str, Any]] = [
    {"id": "WH-PARIS", "name": "Paris warehouse", "type": "warehouse", "lat": 48.70, "lon": 2.40},
    {"id": "ST-OPERA", "name": "Opera store", "type": "store", "lat": 48.871, "lon": 2.332},
    {"id": "ST-BASTILLE", "name": "Bastille store", "type": "store", "lat": 48.853, "lon": 2.369},
    {"id": "ST-LYON", "name": "Lyon store", "type": "store", "lat": 45.76, "lon": 4.835},
]
PRODUCTS: list[dict[str, Any]] = [
    {"sku": "SKU-TEE", "name": "Tee shirt", "category": "apparel", "price": 1999},
    {"sku": "SKU-MUG", "name": "Mug", "category": "home", "price": 899},
]
# Enough that no order of the run can ever be short of stock anywhere.
STOCK_PER_POSITION = 1_000_000
LOCAL_ACTIVITY_MARKER = "core_local_activity"


@dataclass
class OrderRun:
    order_id: str
    latency_ms: float | None = None
    result: OrderView | None = None
    error: str | None = None
    status_queries: int = 0
    not_found_retries: int = 0


@dataclass
class Phase:
    """One timed run of workflows: wall time, per-workflow latencies and what went wrong."""

    started: int
    duration_s: float
    latencies_ms: list[float]
    failures: list[str] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return len(self.latencies_ms) / self.duration_s if self.duration_s else 0.0

    def pct(self, p: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class History:
    events: int = 0
    activities: int = 0
    local_activities: int = 0

    def __add__(self, other: History) -> History:
        return History(
            self.events + other.events,
            self.activities + other.activities,
            self.local_activities + other.local_activities,
        )

    @property
    def all_activities(self) -> int:
        return self.activities + self.local_activities


# -- set-up --------------------------------------------------------------------------------


@dataclass
class DevServer:
    """A `temporal server start-dev` of our own: its output goes to a file, not our stdout."""

    process: asyncio.subprocess.Process
    client: Client
    log: Path

    @classmethod
    async def start(cls, workdir: Path, timeout_s: float = 60.0) -> DevServer:
        log = workdir / "temporal.log"
        port = free_port()
        args = start_dev_args(
            db_file=workdir / "temporal.db", port=port, ui_port=None, log_level="error"
        )
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        server = None
        deadline = time.monotonic() + timeout_s
        while server is None:
            if process.returncode is not None or time.monotonic() > deadline:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
                tail = log.read_text(errors="replace")[-2000:]
                raise SystemExit(f"temporal dev server did not start:\n{tail}")
            try:
                client = await Client.connect(
                    f"127.0.0.1:{port}", data_converter=pydantic_data_converter
                )
                listed = await client.operator_service.list_search_attributes(
                    ListSearchAttributesRequest(namespace=client.namespace)
                )
                if set(SEARCH_ATTRIBUTE_FLAGS) <= set(listed.custom_attributes):
                    server = cls(process=process, client=client, log=log)
            except (RuntimeError, RPCError):
                pass
            if server is None:
                await asyncio.sleep(0.2)
        return server

    def cpu_s(self) -> float | None:
        """CPU seconds the server has used so far (Linux only)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        # utime and stime are fields 14 and 15 of stat(5); we split after field 2.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        if self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def seed(db: Database) -> None:
    with db.session() as s:
        for loc in LOCATIONS:
            s.add(Location(country="FR", **loc))
        for p in PRODUCTS:
            s.add(Product(**p))
        s.flush()
        for loc in LOCATIONS:
            for p in PRODUCTS:
                s.add(
                    InventoryPosition(
                        sku=p["sku"], location_id=loc["id"], on_hand=STOCK_PER_POSITION
                    )
                )


def make_order(order_id: str) -> OrderIn:
    """Standard tier, low value, one customer per order: the fraud rules approve it."""
    return OrderIn.model_validate(
        {
            "id": order_id,
            "channel": "web-fr",
            "customer": {"id": f"C-{order_id}", "email": "bench@example.com", "tier": "standard"},
            "lines": [
                {"line_id": "1", "sku": "SKU-TEE", "quantity": 2, "unit_price": 1999},
                {"line_id": "2", "sku": "SKU-MUG", "quantity": 1, "unit_price": 899},
            ],
            "currency": "EUR",
            "delivery": {
                "method": "ship",
                "address": {
                    "name": "Bench",
                    "line1": "1 rue de Rivoli",
                    "city": "Paris",
                    "postal_code": "75001",
                    "country": "FR",
                    "lat": 48.8566,
                    "lon": 2.3522,
                },
            },
            "payment_token": "tok_ok",
        }
    )


def record_intake(db: Database, order: OrderIn, received_at: datetime) -> None:
    """What the API does before starting the workflow: the read-model row."""
    with db.session() as s:
        order_repo.insert_order(s, order, received_at=received_at)


# -- the order path and its store staff ----------------------------------------------------


async def retry_not_found(call: Callable[[], Awaitable[T]], run: OrderRun) -> T:
    """The order shows a fulfilment before Temporal has started its workflow: wait for it."""
    for _ in range(200):
        try:
            return await call()
        except RPCError as err:
            if err.status is not RPCStatusCode.NOT_FOUND:
                raise
            run.not_found_retries += 1
            await asyncio.sleep(0.05)
    return await call()


async def pick_and_pack(client: Client, view: OrderView, fid: str, run: OrderRun) -> None:
    lines = [
        PickedLine(line_id=line.line_id, picked=alloc.qty)
        for line in view.lines
        for alloc in line.allocations
        if alloc.fulfilment_id == fid
    ]
    handle = client.get_workflow_handle(fulfilment_workflow_id(fid))
    pick = PickReport(lines=lines, actor="bench")
    await retry_not_found(lambda: handle.execute_update(FulfilmentWorkflow.pick, pick), run)
    pack = PackReport(parcels=[Parcel(weight_grams=800)], actor="bench")
    await handle.execute_update(FulfilmentWorkflow.pack, pack)


async def drive_order(
    client: Client,
    task_queue: str,
    order: OrderIn,
    received_at: datetime,
    poll_s: float,
    run: OrderRun,
) -> OrderView:
    handle = await client.start_workflow(
        OrderWorkflow.run,
        OrderWorkflowInput(order=order, received_at=received_at),
        id=order_workflow_id(order.id),
        task_queue=task_queue,
    )
    result = asyncio.ensure_future(handle.result())
    handled: set[str] = set()
    try:
        while True:
            await asyncio.wait([result], timeout=poll_s)
            if result.done():
                return result.result()
            view = await handle.query(OrderWorkflow.status_view)
            run.status_queries += 1
            for f in view.fulfilments:
                if f.status is FulfilmentStatus.AWAITING_PICK and f.fulfilment_id not in handled:
                    handled.add(f.fulfilment_id)
                    await pick_and_pack(client, view, f.fulfilment_id, run)
    finally:
        result.cancel()


async def place_orders(
    client: Client, db: Database, task_queue: str, ids: Sequence[str], args: argparse.Namespace
) -> tuple[Phase, list[OrderRun]]:
    sem = asyncio.Semaphore(args.concurrency)

    async def one(order_id: str) -> OrderRun:
        run = OrderRun(order_id)
        order = make_order(order_id)
        async with sem:
            received_at = datetime.now(UTC)
            await asyncio.to_thread(record_intake, db, order, received_at)
            t0 = time.perf_counter()
            try:
                async with asyncio.timeout(args.order_timeout):
                    view = await drive_order(
                        client, task_queue, order, received_at, args.poll_ms / 1000, run
                    )
            except TimeoutError:
                run.error = f"no result within {args.order_timeout:g}s"
                return run
            except Exception as err:  # one order failing must not stop the others
                run.error = f"{type(err).__name__}: {err}"
                return run
            elapsed_ms = (time.perf_counter() - t0) * 1000
        run.result = view
        if view.status is OrderStatus.COMPLETED:
            run.latency_ms = elapsed_ms
        else:
            reason = view.cancel_reason.value if view.cancel_reason else "-"
            run.error = f"ended {view.status.value} (reason {reason})"
        return run

    t0 = time.perf_counter()
    runs = await asyncio.gather(*(one(i) for i in ids))
    duration = time.perf_counter() - t0
    return (
        Phase(
            started=len(ids),
            duration_s=duration,
            latencies_ms=[r.latency_ms for r in runs if r.latency_ms is not None],
            failures=[f"{r.order_id}: {r.error}" for r in runs if r.error],
        ),
        list(runs),
    )


# -- history -------------------------------------------------------------------------------


async def history_of(client: Client, workflow_id: str) -> History:
    hist = await client.get_workflow_handle(workflow_id).fetch_history()
    scheduled = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    marker = EventType.EVENT_TYPE_MARKER_RECORDED
    return History(
        events=len(hist.events),
        activities=sum(1 for e in hist.events if e.event_type == scheduled),
        local_activities=sum(
            1
            for e in hist.events
            if e.event_type == marker
            and e.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
        ),
    )


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


def sample(items: Sequence[T], n: int) -> list[T]:
    """Up to n items spread evenly over the run (early, middle and late orders alike)."""
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


# -- baseline ------------------------------------------------------------------------------


async def run_baseline(
    client: Client, task_queue: str, k: int, n: int, concurrency: int, tag: str
) -> tuple[Phase, list[str]]:
    sem = asyncio.Semaphore(concurrency)
    ids = [f"baseline-{tag}-{i:05d}" for i in range(n)]

    async def one(wid: str) -> float | str:
        async with sem:
            t0 = time.perf_counter()
            try:
                handle: WorkflowHandle[Any, int] = await client.start_workflow(
                    BaselineWorkflow.run, k, id=wid, task_queue=task_queue
                )
                await handle.result()
            except Exception as err:
                return f"{wid}: {type(err).__name__}: {err}"
            return (time.perf_counter() - t0) * 1000

    t0 = time.perf_counter()
    outcomes = await asyncio.gather(*(one(w) for w in ids))
    duration = time.perf_counter() - t0
    phase = Phase(
        started=n,
        duration_s=duration,
        latencies_ms=[o for o in outcomes if isinstance(o, float)],
        failures=[o for o in outcomes if isinstance(o, str)],
    )
    return phase, ids


# -- the whole run -------------------------------------------------------------------------


def cpu_now(server: DevServer) -> tuple[float, float | None]:
    return time.process_time(), server.cpu_s()


def cpu_since(
    server: DevServer, start: tuple[float, float | None]
) -> tuple[float | None, float | None]:
    """CPU seconds used by this process (worker and staff) and by the server since start."""
    ours, theirs = cpu_now(server)
    server_s = theirs - start[1] if theirs is not None and start[1] is not None else None
    return round(ours - start[0], 2), None if server_s is None else round(server_s, 2)


def mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def ms(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="oms-bench-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{(workdir / 'oms.db').as_posix()}"
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        server = await DevServer.start(workdir)
        try:
            await asyncio.to_thread(seed, db)
            client = server.client
            deps = Dependencies(
                db=db, payments=SimulatedPaymentGateway(), carrier=SimulatedCarrier()
            )
            order_queue = f"bench-orders-{tag}"
            ids = [f"B{tag}-{i:05d}" for i in range(args.orders)]
            cpu0 = cpu_now(server)
            async with build_worker(client, order_queue, deps):
                orders, runs = await place_orders(client, db, order_queue, ids, args)
            orders_cpu = cpu_since(server, cpu0)

            completed = [r for r in runs if r.latency_ms is not None]
            hists = await order_histories(client, sample(completed, args.history_sample))
            own = [h[0] for h in hists]
            kids = [h[1] for h in hists]
            per_order = [(o + c).all_activities for o, c in hists]
            k = round(statistics.median(per_order)) if per_order else 0

            base: Phase | None = None
            base_events: float | None = None
            base_cpu: tuple[float | None, float | None] = (None, None)
            if k:
                base_queue = f"bench-baseline-{tag}"
                cpu0 = cpu_now(server)
                async with baseline_worker(client, base_queue):
                    base, base_ids = await run_baseline(
                        client, base_queue, k, args.orders, args.concurrency, tag
                    )
                base_cpu = cpu_since(server, cpu0)
                base_hists = [
                    await history_of(client, wid)
                    for wid in sample(base_ids, min(args.history_sample, 5))
                ]
                base_events = mean([h.events for h in base_hists])
        finally:
            await server.stop()
            db.dispose()

    orders_per_s = orders.per_s
    base_per_s = base.per_s if base else None
    return {
        "orders": args.orders,
        "concurrency": args.concurrency,
        "completed": len(orders.latencies_ms),
        "failures": len(orders.failures),
        "failure_samples": orders.failures[:10],
        "duration_s": round(orders.duration_s, 2),
        "orders_per_s": round(orders_per_s, 2),
        "p50_ms": ms(orders.pct(50)),
        "p99_ms": ms(orders.pct(99)),
        "mean_ms": mean(orders.latencies_ms),
        "max_ms": ms(max(orders.latencies_ms, default=None)),
        "history_sample": len(hists),
        "history_events_per_order": mean([o.events + c.events for o, c in hists]),
        "history_events_order_only": mean([o.events for o in own]),
        "history_events_children": mean([c.events for c in kids]),
        "fulfilments_per_order": mean(
            [len(r.result.fulfilments) for r in completed if r.result is not None]
        ),
        "activities_per_order": k,
        "regular_activities_per_order": mean([o.activities + c.activities for o, c in hists]),
        "local_activities_per_order": mean(
            [o.local_activities + c.local_activities for o, c in hists]
        ),
        "status_queries_per_order": mean([r.status_queries for r in runs]),
        "update_not_found_retries": sum(r.not_found_retries for r in runs),
        "poll_ms": args.poll_ms,
        "bench_process_cpu_s": orders_cpu[0],
        "server_cpu_s": orders_cpu[1],
        "baseline_workflows": base.started if base else 0,
        "baseline_activities": k,
        "baseline_failures": len(base.failures) if base else 0,
        "baseline_failure_samples": base.failures[:10] if base else [],
        "baseline_duration_s": round(base.duration_s, 2) if base else None,
        "baseline_wf_per_s": round(base_per_s, 2) if base_per_s is not None else None,
        "baseline_p50_ms": ms(base.pct(50)) if base else None,
        "baseline_p99_ms": ms(base.pct(99)) if base else None,
        "baseline_history_events": base_events,
        "baseline_bench_process_cpu_s": base_cpu[0],
        "baseline_server_cpu_s": base_cpu[1],
        "ratio": round(orders_per_s / base_per_s, 3) if base_per_s else None,
        "cpu_count": os.cpu_count(),
    }


def table(r: dict[str, Any]) -> str:
    rows = [
        ("orders (completed / failed)", f"{r['completed']} / {r['failures']}"),
        ("concurrency", r["concurrency"]),
        ("cpu count", r["cpu_count"]),
        ("orders duration (s)", r["duration_s"]),
        ("orders per second", r["orders_per_s"]),
        ("latency p50 / p99 / max (ms)", f"{r['p50_ms']} / {r['p99_ms']} / {r['max_ms']}"),
        ("history sample (orders)", r["history_sample"]),
        ("history events per order (total)", r["history_events_per_order"]),
        ("  order workflow only", r["history_events_order_only"]),
        ("  fulfilment children", r["history_events_children"]),
        ("fulfilments per order", r["fulfilments_per_order"]),
        ("activities per order (K)", r["activities_per_order"]),
        (
            "  regular / local",
            f"{r['regular_activities_per_order']} / {r['local_activities_per_order']}",
        ),
        ("status queries per order", r["status_queries_per_order"]),
        (
            "cpu s: bench process / dev server",
            f"{r['bench_process_cpu_s']} / {r['server_cpu_s']}",
        ),
        ("update retries (fulfilment not started)", r["update_not_found_retries"]),
        ("baseline: workflows of K no-op activities", r["baseline_workflows"]),
        ("baseline workflows per second", r["baseline_wf_per_s"]),
        ("baseline p50 / p99 (ms)", f"{r['baseline_p50_ms']} / {r['baseline_p99_ms']}"),
        ("baseline history events", r["baseline_history_events"]),
        ("baseline failures", r["baseline_failures"]),
        (
            "baseline cpu s: bench process / dev server",
            f"{r['baseline_bench_process_cpu_s']} / {r['baseline_server_cpu_s']}",
        ),
        ("ratio orders/s : baseline wf/s", r["ratio"]),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    for label, key in (
        ("order failures", "failure_samples"),
        ("baseline failures", "baseline_failure_samples"),
    ):
        if r[key]:
            lines += ["", f"{label} (first {len(r[key])}):", *(f"  {f}" for f in r[key])]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--orders", type=int, default=200, help="orders to place (default 200)")
    p.add_argument("--concurrency", type=int, default=20, help="orders in flight (default 20)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--history-sample", type=int, default=20, help="orders whose history is read")
    p.add_argument("--poll-ms", type=int, default=100, help="store staff's status poll interval")
    p.add_argument("--order-timeout", type=float, default=120.0, help="seconds per order")
    p.add_argument("--log-level", default="WARNING", help="worker log level (stderr)")
    args = p.parse_args(argv)
    if args.orders < 1 or args.concurrency < 1:
        p.error("--orders and --concurrency must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_level, json=False)
    result = asyncio.run(bench(args))
    print(json.dumps(result) if args.json else table(result))
    # A benchmark of orders that did not complete measures nothing: say so in the exit code.
    return 1 if result["failures"] or result["baseline_failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
