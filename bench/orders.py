"""Order throughput on the embedded runtime: N orders end to end, then a no-op baseline.

Starts its own Temporal dev server (SQLite file, WAL pragmas, our search attributes), a SQLite
OMS database in a temporary directory, the order worker in this process and the API as
production runs it: uvicorn in a child process over the same database file and the same
server. Half the orders (alternately) are placed with ``POST /orders``, the other half by the
bench itself (the read-model row, then a bare ``start_workflow``), so one run compares the two;
each order's end is awaited with one long poll of its result. Store staff work as a store app
does: one per location reads its fulfilment list (``GET /locations/{id}/fulfilments``, the
read model) every ``--poll-ms``, picks every line in full and packs through the API; nothing
queries a workflow. Then, on the same server and at the same concurrency, the baseline runs:
workflows of 19 no-op activities (bench/baseline.py says why 19). Prints figures; it never
asserts a timing.

    python bench/orders.py --orders 200 [--concurrency 20] [--sandbox passthrough] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Run as a script, Python puts bench/ itself on the path; `bench.baseline` needs the repo root.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import httpx
from pydantic import SecretStr

from bench.api_server import api_process
from bench.baseline import BASELINE_ACTIVITIES, run_baseline
from bench.inventory_setup import scratch_database
from bench.orders_figures import History, Meter, Phase, history_of, mean, ms, pct, sample
from bench.orders_placing import OrderRun, Placing, order_histories, place_orders
from bench.orders_setup import SANDBOXES, DevServer, seed
from bench.orders_staff import StaffCounts
from bench.worker_process import baseline_worker_for, order_worker_for
from oms.config import Settings
from oms.db.engine import Database
from oms.db.migrate import upgrade
from oms.devserver import free_port
from oms.logging import configure_logging
from oms.payload_keys import new_key
from oms.temporal import data_converter
from workflows.patch_levels import NEWEST_PATCH_LEVEL


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    order_queue, base_queue = f"bench-orders-{tag}", f"bench-baseline-{tag}"
    with tempfile.TemporaryDirectory(prefix="oms-bench-") as tmp, contextlib.ExitStack() as dbs:
        workdir = Path(tmp)
        if args.database_url:  # a scratch database on that PostgreSQL server, dropped after
            url = dbs.enter_context(scratch_database(args.database_url))
        else:
            url = f"sqlite:///{(workdir / 'oms.db').as_posix()}"
            await asyncio.to_thread(upgrade, url)
        db = Database(url)
        # The API process refuses to start without a payload key (oms.temporal.connect), and
        # the workers must open what it seals: one key for this run, shared by all.
        payload_keys = new_key(f"bench-{tag}")
        converter = data_converter(Settings(payload_keys=SecretStr(payload_keys)))
        server = await DevServer.start(workdir, data_converter=converter)
        try:
            keys = await asyncio.to_thread(seed, db)
            client = server.client
            ids = [f"B{tag}-{i:05d}" for i in range(args.orders)]
            with contextlib.ExitStack() as procs:
                api = await asyncio.to_thread(
                    procs.enter_context,
                    api_process(
                        url,
                        free_port(),
                        ready_path="/healthz",
                        headers={},
                        temporal_address=server.address,
                        task_queue=order_queue,
                        log_level=args.log_level,
                        # Orders posted start at the level the bench starts its own at.
                        extra_env={
                            "OMS_PAYLOAD_KEYS": payload_keys,
                            "OMS_PATCH_LEVEL": str(NEWEST_PATCH_LEVEL),
                        },
                    ),
                )
                async with httpx.AsyncClient(base_url=api.base_url, timeout=30) as http:
                    placing = Placing(client, http, db, keys, order_queue, args)
                    async with order_worker_for(
                        args, procs, server, order_queue, url, payload_keys
                    ) as (
                        worker_pids,
                        sandbox,
                    ):
                        with Meter(server.process.pid, api.pid, worker_pids) as orders_meter:
                            orders, runs = await place_orders(placing, ids)
                # Stopped off the event loop: they wait for their processes.
                await asyncio.to_thread(procs.close)

            completed = [r for r in runs if r.latency_ms is not None]
            hists = await order_histories(client, sample(completed, args.history_sample))

            async with baseline_worker_for(args, server, base_queue, payload_keys) as worker_pids:
                with Meter(server.process.pid, worker_pids=worker_pids) as base_meter:
                    base, base_ids = await run_baseline(
                        client, base_queue, BASELINE_ACTIVITIES, args.orders, args.concurrency, tag
                    )
            base_hists = [
                await history_of(client, wid)
                for wid in sample(base_ids, min(args.history_sample, 5))
            ]
        finally:
            await server.stop()
            db.dispose()

    return report(
        args,
        sandbox=sandbox,
        orders=orders,
        runs=runs,
        hists=hists,
        staff=placing.staff,
        orders_meter=orders_meter,
        base=base,
        base_hists=base_hists,
        base_meter=base_meter,
    )


def report(
    args: argparse.Namespace,
    *,
    sandbox: str,
    orders: Phase,
    runs: Sequence[OrderRun],
    hists: Sequence[tuple[History, History]],
    staff: StaffCounts,
    orders_meter: Meter,
    base: Phase,
    base_hists: Sequence[History],
    base_meter: Meter,
) -> dict[str, Any]:
    completed = [r for r in runs if r.result is not None and r.latency_ms is not None]
    per_order = [(o + c).all_activities for o, c in hists]
    post = [r.place_ms for r in runs if r.via_api and r.place_ms is not None]
    start = [r.place_ms for r in runs if not r.via_api and r.place_ms is not None]
    post_p99, start_p99 = pct(post, 99), pct(start, 99)
    return {
        "orders": args.orders,
        "concurrency": args.concurrency,
        "sandbox": sandbox,
        "database": "postgresql" if args.database_url else "sqlite",
        "sandbox_requested": args.sandbox,
        "completed": len(orders.latencies_ms),
        "failures": len(orders.failures),
        "failure_samples": orders.failures[:10],
        "duration_s": round(orders.duration_s, 2),
        "orders_per_s": round(orders.per_s, 2),
        "p50_ms": ms(orders.pct(50)),
        "p99_ms": ms(orders.pct(99)),
        "mean_ms": mean(orders.latencies_ms),
        "max_ms": ms(max(orders.latencies_ms, default=None)),
        "orders_posted": sum(1 for r in runs if r.via_api),
        "orders_started": sum(1 for r in runs if not r.via_api),
        "post_p50_ms": ms(pct(post, 50)),
        "post_p99_ms": ms(post_p99),
        "start_p50_ms": ms(pct(start, 50)),
        "start_p99_ms": ms(start_p99),
        "post_vs_start": round(post_p99 / start_p99, 2) if post_p99 and start_p99 else None,
        "history_sample": len(hists),
        "history_events_per_order": mean([o.events + c.events for o, c in hists]),
        "history_events_order_only": mean([o.events for o, _ in hists]),
        "history_events_children": mean([c.events for _, c in hists]),
        "workflow_tasks_per_order": mean([o.workflow_tasks + c.workflow_tasks for o, c in hists]),
        "fulfilments_per_order": mean([len(r.result.fulfilments) for r in completed if r.result]),
        "activities_per_order": round(statistics.median(per_order)) if per_order else 0,
        "regular_activities_per_order": mean([o.activities + c.activities for o, c in hists]),
        "local_activities_per_order": mean(
            [o.local_activities + c.local_activities for o, c in hists]
        ),
        # Kept for comparison with runs from before the staff used the API: they queried
        # every order's status; nothing queries a workflow now.
        "status_queries_per_order": 0,
        "update_not_found_retries": 0,
        "poll_ms": args.poll_ms,
        "staff_list_requests": round(staff.list_requests / args.orders, 1),
        "staff_picks": staff.picks,
        "staff_packs": staff.packs,
        "staff_failures": staff.failures,
        "staff_failure_samples": staff.errors,
        "bench_process_cpu_s": orders_meter.used[0],
        "server_cpu_s": orders_meter.used[1],
        "api_cpu_s": orders_meter.used[2],
        "worker_process_cpu_s": orders_meter.used[3],
        "worker": args.worker,
        "worker_processes": args.worker_processes,
        "load_before": orders_meter.load_before,
        "load_after": orders_meter.load_after,
        "baseline_workflows": base.started,
        "baseline_activities": BASELINE_ACTIVITIES,
        "baseline_failures": len(base.failures),
        "baseline_failure_samples": base.failures[:10],
        "baseline_duration_s": round(base.duration_s, 2),
        "baseline_wf_per_s": round(base.per_s, 2),
        "baseline_p50_ms": ms(base.pct(50)),
        "baseline_p99_ms": ms(base.pct(99)),
        "baseline_history_events": mean([h.events for h in base_hists]),
        "baseline_workflow_tasks": mean([h.workflow_tasks for h in base_hists]),
        "baseline_bench_process_cpu_s": base_meter.used[0],
        "baseline_server_cpu_s": base_meter.used[1],
        "baseline_worker_process_cpu_s": base_meter.used[3],
        "baseline_load_before": base_meter.load_before,
        "baseline_load_after": base_meter.load_after,
        "ratio": round(orders.per_s / base.per_s, 3) if base.per_s else None,
        "cpu_count": os.cpu_count(),
    }


def table(r: dict[str, Any]) -> str:
    def loads(before: list[float] | None, after: list[float] | None) -> str:
        return f"{before} -> {after}"

    rows = [
        ("orders (completed / failed)", f"{r['completed']} / {r['failures']}"),
        ("concurrency", r["concurrency"]),
        ("cpu count", r["cpu_count"]),
        ("workflow sandbox (asked)", f"{r['sandbox']} ({r['sandbox_requested']})"),
        ("load average 1/5/15 min: before -> after", loads(r["load_before"], r["load_after"])),
        ("orders duration (s)", r["duration_s"]),
        ("orders per second", r["orders_per_s"]),
        ("latency p50 / p99 / max (ms)", f"{r['p50_ms']} / {r['p99_ms']} / {r['max_ms']}"),
        ("placing: POST /orders p50 / p99 (ms)", f"{r['post_p50_ms']} / {r['post_p99_ms']}"),
        ("placing: start_workflow p50 / p99 (ms)", f"{r['start_p50_ms']} / {r['start_p99_ms']}"),
        ("  POST p99 / start p99", r["post_vs_start"]),
        ("history sample (orders)", r["history_sample"]),
        ("history events per order (total)", r["history_events_per_order"]),
        ("  order workflow only", r["history_events_order_only"]),
        ("  fulfilment children", r["history_events_children"]),
        ("workflow tasks per order", r["workflow_tasks_per_order"]),
        ("fulfilments per order", r["fulfilments_per_order"]),
        ("activities per order", r["activities_per_order"]),
        (
            "  regular / local",
            f"{r['regular_activities_per_order']} / {r['local_activities_per_order']}",
        ),
        ("staff: list requests per order", r["staff_list_requests"]),
        (
            "staff: picks / packs / failed requests",
            f"{r['staff_picks']} / {r['staff_packs']} / {r['staff_failures']}",
        ),
        ("worker", r["worker"]),
        (
            "cpu s: bench process / dev server / API / worker process",
            f"{r['bench_process_cpu_s']} / {r['server_cpu_s']} / {r['api_cpu_s']}"
            f" / {r['worker_process_cpu_s']}",
        ),
        (f"baseline: workflows of {r['baseline_activities']} no-op activities",
         r["baseline_workflows"]),
        (
            "baseline load average: before -> after",
            loads(r["baseline_load_before"], r["baseline_load_after"]),
        ),
        ("baseline workflows per second", r["baseline_wf_per_s"]),
        ("baseline p50 / p99 (ms)", f"{r['baseline_p50_ms']} / {r['baseline_p99_ms']}"),
        ("baseline history events / workflow tasks",
         f"{r['baseline_history_events']} / {r['baseline_workflow_tasks']}"),
        ("baseline failures", r["baseline_failures"]),
        (
            "baseline cpu s: bench process / dev server / worker process",
            f"{r['baseline_bench_process_cpu_s']} / {r['baseline_server_cpu_s']}"
            f" / {r['baseline_worker_process_cpu_s']}",
        ),
        ("ratio orders/s : baseline wf/s", r["ratio"]),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    for label, key in (
        ("order failures", "failure_samples"),
        ("staff failures", "staff_failure_samples"),
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
    p.add_argument(
        "--poll-ms", type=int, default=250, help="store staff's pick-list poll (default 250)"
    )
    p.add_argument(
        "--pickers", type=int, default=10, help="fulfilments a location works at once (10)"
    )
    p.add_argument(
        "--sandbox",
        choices=SANDBOXES,
        default="passthrough",
        help="the order worker's workflow runner: the worker's own (passthrough, the default: "
        "pure modules passed through, the sandbox's snippets compiled once), the SDK's sandbox "
        "as it ships (default), or none (off)",
    )
    p.add_argument(
        "--worker",
        choices=("process", "inprocess"),
        default="process",
        help="the workers in a process of their own, as production runs them (process, the "
        "default), or in the benchmark's process beside the storefront and staff (inprocess)",
    )
    p.add_argument(
        "--worker-processes",
        type=int,
        default=1,
        help="worker processes on each phase's task queue, as ``oms worker`` scales out "
        "(default 1; with --worker process)",
    )
    p.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server to make a scratch OMS database on (default: a SQLite file)",
    )
    p.add_argument("--order-timeout", type=float, default=120.0, help="seconds per order")
    p.add_argument("--log-level", default="WARNING", help="worker and API log level (stderr)")
    args = p.parse_args(argv)
    if min(args.orders, args.concurrency, args.pickers, args.worker_processes) < 1:
        p.error("--orders, --concurrency, --pickers and --worker-processes must be positive")
    if args.worker == "inprocess" and args.worker_processes != 1:
        p.error("--worker-processes needs --worker process")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_level, json=False)
    result = asyncio.run(bench(args))
    print(json.dumps(result) if args.json else table(result))
    # A benchmark of orders that did not complete measures nothing: say so in the exit code.
    failed = result["failures"] or result["staff_failures"] or result["baseline_failures"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
