"""Inventory at network scale on PostgreSQL: bulk snapshots against a plain COPY, batches,
deltas, and ATP lookups at the database and over HTTP.

Creates a scratch database on the server of ``--database-url`` (migrated to head, so the
indexes are production's), seeds ``--skus`` x ``--locations`` positions, runs every phase
once and drops the database, even on failure. Prints each figure next to its target or
baseline; it never asserts a timing.

    python bench/inventory.py [--skus 2000] [--locations 500] [--json] [--no-temporal]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

# Run as a script, Python puts bench/ itself on the path; `bench.*` needs the repo root.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.api_server import running_api
from bench.inventory_reads import atp_at_db, atp_breakdown, atp_over_http, timed
from bench.inventory_setup import (
    CHANNEL,
    DEFAULT_SERVER_URL,
    World,
    hold_some,
    network_snapshot,
    scratch_database,
    seed,
)
from bench.inventory_writes import (
    BATCH_ROWS,
    DELTA_BATCH,
    absolute_batches,
    apply_in_batches,
    batch_updates,
    bulk_sync,
    bulk_through_temporal,
    delta_rows,
    maintain,
    per_s,
    plain_copy,
    post_batches,
)
from bench.runner import run_bench
from oms.db.engine import Database
from oms.devserver import free_port

TARGETS = {"bulk_rows_per_s": 50_000.0, "atp_db_p99_ms": 5.0, "atp_http_p99_ms": 20.0}


def pct(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile, as bench/orders.py reports them."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 2)


def r2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# -- the phases ----------------------------------------------------------------------------


def db_writes(
    db: Database, url: str, world: World, rng: random.Random, args: argparse.Namespace
) -> dict[str, Any]:
    rows, say = world.positions, args.progress
    version = int(time.time() * 1000)
    say(f"bulk: first load of {rows:,} rows into empty positions")
    first = bulk_sync(db, network_snapshot(world, rng, version), rows)
    hold_some(db, world, rng)
    maintain(db)  # what autovacuum does long before the next day's file

    daily_file = network_snapshot(world, rng, version + 1)
    say("plain COPY of the same rows")
    copy_s = plain_copy(url, daily_file)
    say("bulk: the next file over existing positions")
    daily = bulk_sync(db, daily_file, rows)
    del daily_file
    workflow_s = None
    if args.temporal:
        say("bulk: a third file through InventorySyncWorkflow on a dev server")
        workflow_s = bulk_through_temporal(db, network_snapshot(world, rng, version + 2), rows)

    say(f"batches: {args.batch_rows:,} rows in batches of {BATCH_ROWS:,}")
    batches = absolute_batches(world, rng, args.batch_rows, version + 3)
    batch_s, batch_applied = batch_updates(db, batches)
    batch_rows = sum(map(len, batches))
    say(f"deltas: {args.deltas:,} in batches of {DELTA_BATCH:,}, {args.single_deltas:,} alone")
    tag = uuid.uuid4().hex[:8]
    deltas = delta_rows(world, rng, args.deltas, tag)
    deltas_s, deltas_applied = apply_in_batches(db, deltas, DELTA_BATCH)
    singles = delta_rows(world, rng, args.single_deltas, f"{tag}-1")
    single_s, single_applied = apply_in_batches(db, singles, 1)

    copy_per_s = per_s(rows, copy_s)
    return {
        # The realistic case: a day's file over the positions the day before left.
        "bulk_rows_per_s": daily.per_s,
        "bulk_case": "the second file, over existing positions; database layer, no Temporal",
        "bulk_s": r2(daily.total_s),
        "bulk_stage_s": r2(daily.stage_s),
        "bulk_apply_s": r2(daily.apply_s),
        "bulk_finish_s": r2(daily.finish_s),
        "bulk_applied": daily.applied,
        "bulk_first_load_rows_per_s": first.per_s,
        "bulk_first_load_s": r2(first.total_s),
        "bulk_first_load_stage_s": r2(first.stage_s),
        "bulk_first_load_apply_s": r2(first.apply_s),
        "bulk_first_load_finish_s": r2(first.finish_s),
        "bulk_workflow_rows_per_s": per_s(rows, workflow_s) if workflow_s else None,
        "bulk_workflow_s": r2(workflow_s),
        "copy_rows_per_s": copy_per_s,
        "copy_s": r2(copy_s),
        "bulk_vs_copy": round(daily.per_s / copy_per_s, 3) if copy_per_s else None,
        "batch_rows_per_s": per_s(batch_rows, batch_s),
        "batch_rows": batch_rows,
        "batch_size": len(batches[0]),
        "batch_applied": batch_applied,
        "deltas_per_s": per_s(len(deltas), deltas_s),
        "deltas": len(deltas),
        "deltas_applied": deltas_applied,
        "delta_batch": DELTA_BATCH,
        "single_delta_tx_per_s": per_s(len(singles), single_s),
        "single_deltas_applied": single_applied,
    }


def samplers(world: World, rng: random.Random) -> tuple[Callable[[], list[str]], ...]:
    """One random SKU; a random batch of 100 (or every SKU, if fewer)."""
    n = min(100, len(world.skus))
    return (lambda: [rng.choice(world.skus)]), (lambda: rng.sample(world.skus, n))


def db_reads(
    db: Database, world: World, rng: random.Random, args: argparse.Namespace
) -> dict[str, Any]:
    maintain(db)  # the writes above left dead rows; autovacuum would have been by
    args.progress(
        f"ATP at the database: {args.samples:,} one-SKU lookups, {args.batch_samples} batches"
    )
    one, batch = samplers(world, rng)
    single = timed(atp_at_db(db, one), args.samples, max(1, args.samples // 10))
    many = timed(atp_at_db(db, batch), args.batch_samples, 10)
    return {
        "atp_samples": len(single),
        "atp_db_p50_ms": pct(single, 50),
        "atp_db_p99_ms": pct(single, 99),
        "atp_batch_skus": min(100, len(world.skus)),
        "atp_batch_samples": len(many),
        "atp_batch100_db_p50_ms": pct(many, 50),
        "atp_batch100_db_p99_ms": pct(many, 99),
        "atp_db_breakdown_ms": atp_breakdown(db, world, rng, min(args.samples, 500)),
    }


def over_http(
    url: str, world: World, rng: random.Random, args: argparse.Namespace
) -> dict[str, Any]:
    args.progress("the API in a child process: ATP and batches over HTTP")
    one, batch = samplers(world, rng)
    storefront = {"Authorization": f"Bearer {world.storefront_key}"}
    ready = f"/availability?channel={CHANNEL}&skus={world.skus[0]}"
    batches = absolute_batches(world, rng, args.batch_rows, int(time.time() * 1000) + 10)
    with running_api(url, free_port(), ready_path=ready, headers=storefront) as base:
        with httpx.Client(base_url=base, headers=storefront, timeout=30) as http:
            single = timed(atp_over_http(http, one), args.samples, max(1, args.samples // 10))
            many = timed(atp_over_http(http, batch), args.batch_samples, 10)
        batch_s, applied = post_batches(base, world.integration_key, batches)
    return {
        "atp_http_p50_ms": pct(single, 50),
        "atp_http_p99_ms": pct(single, 99),
        "atp_batch100_http_p50_ms": pct(many, 50),
        "atp_batch100_http_p99_ms": pct(many, 99),
        "batch_http_rows_per_s": per_s(sum(map(len, batches)), batch_s),
        "batch_http_applied": applied,
    }


def bench(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    load_before = os.getloadavg()
    with scratch_database(args.database_url) as url:
        db = Database(url)
        try:
            world = seed(db, skus=args.skus, locations=args.locations, rng=rng)
            result: dict[str, Any] = {
                "skus": len(world.skus),
                "locations": len(world.locations),
                "positions": world.positions,
                **db_writes(db, url, world, rng, args),
                **db_reads(db, world, rng, args),
                **over_http(url, world, rng, args),
            }
            with db.session() as s:
                result["postgres"] = s.execute(text("SHOW server_version")).scalar_one()
        finally:
            db.dispose()
    result["scratch_database"] = make_url(url).database
    result["targets"] = TARGETS
    result["meets"] = {
        "bulk_rows_per_s": result["bulk_rows_per_s"] >= TARGETS["bulk_rows_per_s"],
        "bulk_first_load_rows_per_s": (
            result["bulk_first_load_rows_per_s"] >= TARGETS["bulk_rows_per_s"]
        ),
        "atp_db_p99_ms": result["atp_db_p99_ms"] <= TARGETS["atp_db_p99_ms"],
        "atp_http_p99_ms": result["atp_http_p99_ms"] <= TARGETS["atp_http_p99_ms"],
    }
    result["cpu_count"] = os.cpu_count()
    result["load_avg_before"] = [round(x, 2) for x in load_before]
    result["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


# -- output --------------------------------------------------------------------------------


def table(r: dict[str, Any]) -> str:
    t, b = r["targets"], r["atp_db_breakdown_ms"]

    def against(key: str, target: str) -> tuple[str, str]:
        return target, "meets target" if r["meets"][key] else "MISSES target"

    def parts(prefix: str) -> str:
        return " / ".join(str(r[f"{prefix}_{p}_s"]) for p in ("stage", "apply", "finish"))

    def p50_p99(prefix: str) -> str:
        return f"{r[prefix + '_p50_ms']} / {r[prefix + '_p99_ms']}"

    bulk = f">= {t['bulk_rows_per_s']:,.0f}"
    db_p99, http_p99 = f"p99 <= {t['atp_db_p99_ms']:g}", f"p99 <= {t['atp_http_p99_ms']:g}"
    batch = r["atp_batch_skus"]
    rows: list[tuple[str, Any, str, str]] = [
        ("SKUs x locations", f"{r['skus']:,} x {r['locations']:,}", "", ""),
        ("bulk, next file over existing (rows/s) [db]", r["bulk_rows_per_s"],
         *against("bulk_rows_per_s", bulk)),
        ("  stage / apply / finish (s)", parts("bulk"), "", ""),
        ("bulk, first load (rows/s) [db]", r["bulk_first_load_rows_per_s"],
         *against("bulk_first_load_rows_per_s", bulk)),
        ("  stage / apply / finish (s)", parts("bulk_first_load"), "", ""),
        ("bulk, through InventorySyncWorkflow (rows/s)",
         r["bulk_workflow_rows_per_s"] or "not run", "", ""),
        ("plain COPY of the same rows (rows/s)", r["copy_rows_per_s"], "baseline", ""),
        ("bulk : COPY", r["bulk_vs_copy"], "", ""),
        (f"batches of {r['batch_size']:,} (rows/s) [db]", r["batch_rows_per_s"], "",
         f"{r['batch_applied']:,} of {r['batch_rows']:,} applied"),
        ("  the same over HTTP (rows/s)", r["batch_http_rows_per_s"], "",
         f"{r['batch_http_applied']:,} applied"),
        (f"deltas, {r['delta_batch']:,} a transaction (/s) [db]", r["deltas_per_s"], "",
         f"{r['deltas_applied']:,} of {r['deltas']:,} applied"),
        ("  one delta a transaction (/s)", r["single_delta_tx_per_s"], "", ""),
        ("ATP one SKU p50 / p99 (ms) [db]", p50_p99("atp_db"),
         *against("atp_db_p99_ms", db_p99)),
        ("ATP one SKU p50 / p99 (ms) [HTTP]", p50_p99("atp_http"),
         *against("atp_http_p99_ms", http_p99)),
        (f"ATP {batch} SKUs p50 / p99 (ms) [db]", p50_p99("atp_batch100_db"), "", ""),
        (f"ATP {batch} SKUs p50 / p99 (ms) [HTTP]", p50_p99("atp_batch100_http"), "", ""),
        ("one-SKU lookup [db], mean ms", b["total"], "", ""),
        *((f"  {name}", b[name], "", "") for name in b if name != "total"),
        ("samples: one SKU / batch", f"{r['atp_samples']} / {r['atp_batch_samples']}", "", ""),
        ("load average before", r["load_avg_before"], f"{r['cpu_count']} cpus", ""),
        ("load average after", r["load_avg_after"], "", ""),
        ("PostgreSQL", r["postgres"], "", ""),
    ]  # fmt: skip
    widths = [max(len(str(row[i])) for row in rows) for i in range(3)]
    return "\n".join(
        f"{a:<{widths[0]}}  {b_!s:>{widths[1]}}  {c:<{widths[2]}}  {d}".rstrip()
        for a, b_, c, d in rows
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--skus", type=int, default=2000, help="SKUs in the catalogue (default 2000)")
    p.add_argument("--locations", type=int, default=500, help="locations (default 500)")
    p.add_argument(
        "--database-url",
        default=os.environ.get("OMS_BENCH_DATABASE_URL", DEFAULT_SERVER_URL),
        help="the PostgreSQL server to make a scratch database on (env OMS_BENCH_DATABASE_URL)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--batch-rows", type=int, default=100_000, help="rows sent as batches")
    p.add_argument("--deltas", type=int, default=100_000, help="deltas sent in batches")
    p.add_argument("--single-deltas", type=int, default=2000, help="deltas sent one by one")
    p.add_argument("--samples", type=int, default=2000, help="one-SKU ATP lookups timed")
    p.add_argument("--batch-samples", type=int, default=200, help="100-SKU lookups timed")
    p.add_argument(
        "--no-temporal",
        dest="temporal",
        action="store_false",
        help="skip the bulk run through a real InventorySyncWorkflow (starts a dev server)",
    )
    p.add_argument("--quick", action="store_true", help="smoke run: 40 x 10, few samples")
    p.add_argument("--seed", type=int, default=3, help="random seed of the data and samples")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = p.parse_args(argv)
    if args.quick:
        args.skus, args.locations = min(args.skus, 40), min(args.locations, 10)
        args.batch_rows, args.deltas, args.single_deltas = 400, 2000, 50
        args.samples, args.batch_samples, args.temporal = 100, 20, False
    counts = (args.skus, args.locations, args.batch_rows, args.deltas, args.single_deltas)
    if min(*counts, args.samples, args.batch_samples) < 1:
        p.error("sizes and counts must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(parse_args(argv), bench, table)


if __name__ == "__main__":
    sys.exit(main())
