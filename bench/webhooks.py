"""Webhooks out at speed: outbox events delivered, signed, to a local receiver.

Migrates a scratch database (a SQLite file by default; with ``--database-url``, a scratch
database on that PostgreSQL server, dropped afterwards), starts the Temporal dev server, a
worker and the WebhookRelayWorkflow with its production settings, subscribes a receiver on a
free local port (it verifies every signature with oms.webhooks.verify) to ``*``, then:

1. burst: ``--burst`` events written to the outbox at once (spread over ``--orders`` orders
   and some SKUs, so the per-order and per-SKU ordering is at work); ``deliveries_per_s`` is
   how many were delivered per second from their write to the last arrival;
2. paced: ``--paced`` events written at ``--rate`` per second in batches every 50 ms;
   ``event_to_delivery_p99_ms`` is the 99th percentile from each event's write (its
   ``created_at``) to its arrival at the receiver.

Prints each figure next to its target, with the machine's load; it never asserts a timing.

    python bench/webhooks.py [--burst 3000] [--paced 1000] [--rate 100] [--json]

Targets: ``deliveries_per_s`` >= 200, ``event_to_delivery_p99_ms`` <= 2,000.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

# Run as a script, Python puts bench/ itself on the path; `bench.*` needs the repo root.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import insert
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench.store import database, pct
from bench.webhook_receiver import Receiver
from oms.config import Settings
from oms.connectors.carriers import SimulatedCarrier
from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.db import webhooks_out
from oms.db.engine import Database
from oms.db.tables import OutboxEvent
from oms.devserver import find_binary
from oms.logging import configure_logging
from workers.main import Dependencies, build_worker, relay_settings
from workflows.webhook_relay import start_webhook_relay

TARGETS = {"deliveries_per_s": 200.0, "event_to_delivery_p99_ms": 2000.0}
SECRET = "whsec_bench-receiver-secret-0123456789"


def write_events(db: Database, prefix: str, n: int, orders: int) -> dict[str, datetime]:
    """``n`` events in one transaction: nine in ten for an order, one in ten a SKU's stock
    event. Answers each event's write time."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        if i % 10 == 9:
            sku = f"SKU-{i % 50:03}"
            rows.append({"id": f"{prefix}-{i}", "type": "inventory.low_stock", "order_id": None,
                         "payload": {"sku": sku, "channel_id": "web", "atp": 2},
                         "created_at": now})  # fmt: skip
        else:
            order = f"{prefix}-O{i % orders}"
            rows.append({"id": f"{prefix}-{i}", "type": "order.completed", "order_id": order,
                         "payload": {"order_id": order}, "created_at": now})  # fmt: skip
    with db.session() as s:
        s.execute(insert(OutboxEvent), rows)
    return {r["id"]: now for r in rows}


async def wait_for(receiver: Receiver, n: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while len(receiver.accepted) < n:
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: only {len(receiver.accepted)} of {n} events arrived")
        await asyncio.sleep(0.02)


async def measure(db: Database, args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    # The dev server prints a banner on the stdout it inherits: give it stderr, keeping
    # stdout for the figures (--json).
    stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=find_binary("temporal"),
            data_converter=pydantic_data_converter,
            search_attributes=[],
        )
    finally:
        os.dup2(stdout, 1)
        os.close(stdout)
    deps = Dependencies.from_settings(settings, db=db)
    deps.payments, deps.carrier = SimulatedPaymentGateway(), SimulatedCarrier()
    queue = "bench-webhooks"
    try:
        with Receiver([SECRET]) as receiver:
            with db.session() as s:
                webhooks_out.create(
                    s, subscription_id="whsub_bench", url=receiver.url, events=["*"],
                    secret=SECRET,
                )  # fmt: skip
            async with build_worker(env.client, queue, deps):
                await start_webhook_relay(env.client, queue, relay_settings(settings))
                # Burst: everything at once.
                written = write_events(db, "burst", args.burst, args.orders)
                t0 = min(written.values()).timestamp()
                await wait_for(receiver, args.burst, args.timeout)
                last = max(r.at for r in receiver.accepted)
                burst_s = last - t0
                burst_lat = [(r.at - written[r.event_id].timestamp()) * 1000
                             for r in receiver.accepted]  # fmt: skip
                # Paced: a steady stream, latency from each write.
                receiver.accepted.clear()
                per_tick = max(1, round(args.rate * 0.05))
                paced: dict[str, datetime] = {}
                sent, tick = 0, 0
                start = time.monotonic()
                while sent < args.paced:
                    k = min(per_tick, args.paced - sent)
                    paced |= write_events(db, f"paced{tick}", k, args.orders)
                    sent, tick = sent + k, tick + 1
                    await asyncio.sleep(max(0.0, start + tick * 0.05 - time.monotonic()))
                await wait_for(receiver, args.paced, args.timeout)
                lat = [(r.at - paced[r.event_id].timestamp()) * 1000 for r in receiver.accepted]
                refused = len(receiver.refused)
    finally:
        await env.shutdown()
    return {
        "events_burst": args.burst,
        "events_paced": args.paced,
        "paced_rate_per_s": args.rate,
        "orders": args.orders,
        "deliveries_per_s": round(args.burst / burst_s, 1),
        "burst_s": round(burst_s, 2),
        "burst_event_to_delivery_p99_ms": pct(burst_lat, 99),
        "event_to_delivery_p50_ms": pct(lat, 50),
        "event_to_delivery_p99_ms": pct(lat, 99),
        "event_to_delivery_max_ms": pct(lat, 100),
        "signatures_refused": refused,
        "concurrency": settings.webhook_concurrency,
        "batch": settings.webhook_relay_batch,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    with database(args.database_url) as url:
        db = Database(url)
        try:
            result = asyncio.run(measure(db, args))
        finally:
            db.dispose()
    result["database"] = "postgresql" if args.database_url else "sqlite"
    result["targets"] = TARGETS
    result["meets"] = {
        "deliveries_per_s": result["deliveries_per_s"] >= TARGETS["deliveries_per_s"],
        "event_to_delivery_p99_ms": (result["event_to_delivery_p99_ms"] or math.inf)
        <= TARGETS["event_to_delivery_p99_ms"],
    }
    result["cpu_count"] = os.cpu_count()
    result["load_avg_before"] = [round(x, 2) for x in load_before]
    result["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=3000, help="events written at once")
    parser.add_argument("--paced", type=int, default=1000, help="events written at --rate")
    parser.add_argument("--rate", type=float, default=100.0, help="paced events per second")
    parser.add_argument("--orders", type=int, default=300, help="orders the events belong to")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait at most")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server's URL")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quiet", action="store_true", help="no log lines")
    args = parser.parse_args(argv)
    configure_logging(level="WARNING" if args.quiet else "INFO")
    r = run(args)
    if args.json:
        print(json.dumps(r))
        return
    for key in ("deliveries_per_s", "event_to_delivery_p99_ms"):
        verdict = "meets" if r["meets"][key] else "MISSES"
        print(f"{key:28} {r[key]!s:>10}  target {TARGETS[key]:g}  {verdict}")
    for key in ("burst_s", "burst_event_to_delivery_p99_ms", "event_to_delivery_p50_ms",
                "event_to_delivery_max_ms", "signatures_refused", "database"):  # fmt: skip
        print(f"{key:28} {r[key]!s:>10}")
    print(f"load average before / after  {r['load_avg_before']} / {r['load_avg_after']}"
          f"  ({r['cpu_count']} cpus)")  # fmt: skip


if __name__ == "__main__":
    main()
