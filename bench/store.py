"""Store work at scale: building a pick wave from a location's open fulfilments, and the
list of what a store works on over HTTP.

Migrates a scratch database (a SQLite file by default; with ``--database-url``, a scratch
database on that PostgreSQL server, dropped afterwards), seeds one store with a catalogue
placed in zones and bins and ``--fulfilments`` fulfilments waiting for their pick (one in ten
express, pick deadlines spread over a day), then times ``--builds`` wave builds as the API
runs them (``oms.services.pick_waves.build`` in one committed transaction: the most urgent
fulfilments outside any wave, the products' places, the wave, its lines, the fulfilments
taken). After each timed build the wave is undone, untimed, so that every build starts from
the same ``--fulfilments`` open ones. Then, on the same database, ``GET /locations/{id}/work``
with ``--work-items`` open items at another store, ``--work-calls`` times over real HTTP to
the API under uvicorn in a child process (bench/store_work.py). Prints each figure next to its
target and the machine's load; it never asserts a timing.

    python bench/store.py [--fulfilments 2000] [--builds 200] [--work-items 2000]
                          [--work-calls 500] [--json] [--database-url URL]

Targets: ``wave_build_p99_ms`` <= 50 ms, ``work_list_p99_ms`` <= 50 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

# Run as a script, Python puts bench/ itself on the path; `bench.*` needs the repo root.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import delete, insert, text, update
from sqlalchemy.engine import make_url
from sqlmodel import col

from bench.inventory_setup import scratch_database
from bench.runner import run_bench
from bench.store_work import bench_work_list
from oms.db import products as product_repo
from oms.db.engine import Database
from oms.db.migrate import upgrade
from oms.db.tables import Fulfilment, Location, PickWave, PickWaveLine, ProductLocation
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.waves import WaveStrategy
from oms.services import pick_waves

TARGETS = {"wave_build_p99_ms": 50.0, "work_list_p99_ms": 50.0}
STORE = "ST-BENCH"
CATEGORIES = ("apparel", "home", "electronics", "beauty", "toys", "sports", "garden", "food")
ZONES = "ABCDEFGH"
T0 = datetime(2026, 12, 7, 8, tzinfo=UTC)


def pct(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile, as the other benches report them."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 2)


@contextlib.contextmanager
def database(server_url: str | None) -> Iterator[str]:
    if server_url:
        with scratch_database(server_url) as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="oms-bench-store-") as tmp:
        url = f"sqlite:///{tmp}/oms.db"
        upgrade(url)
        yield url


def seed(db: Database, args: argparse.Namespace, rng: random.Random) -> list[str]:
    """The store, ``--skus`` products placed in its zones (most of them: some unplaced), and
    ``--fulfilments`` open fulfilments of 1-4 lines. Answers the SKUs."""
    skus = [f"SKU-{i:05}" for i in range(args.skus)]
    now = datetime.now(UTC)
    with db.session() as s:
        s.add(
            Location(id=STORE, name="Bench store", type="store", country="FR", lat=48.87, lon=2.33)
        )
        s.flush()
        # As the PIM puts them in (POST /products), barcodes indexed for the scans.
        rows = [
            {"sku": sku, "name": sku, "category": CATEGORIES[i % len(CATEGORIES)],
             "prices": {"EUR": 1000}, "barcodes": [f"{4_000_000_000_000 + i:013}"]}
            for i, sku in enumerate(skus)
        ]  # fmt: skip
        for start in range(0, len(rows), 5000):
            product_repo.upsert_all(s, rows[start : start + 5000])
        walk = list(range(len(skus)))
        rng.shuffle(walk)
        s.execute(
            insert(ProductLocation),
            [
                {"sku": sku, "location_id": STORE, "zone": ZONES[w * len(ZONES) // len(skus)],
                 "bin": f"{w // 10:04}-{w % 10}", "walk_order": w, "updated_at": now}
                for sku, w in zip(skus, walk, strict=True)
                if rng.random() < 0.95
            ],
        )  # fmt: skip
        s.execute(
            insert(Fulfilment),
            [
                {"id": f"BENCH-{i:06}.F1", "order_id": f"BENCH-{i:06}", "location_id": STORE,
                 "workflow_id": f"fulfilment-BENCH-{i:06}.F1",
                 "status": FulfilmentStatus.AWAITING_PICK.value, "delivery_method": "ship",
                 "express": rng.random() < 0.1,
                 "pick_due_at": T0 + timedelta(minutes=rng.randrange(24 * 60)),
                 "lines": [{"line_id": str(n), "sku": rng.choice(skus),
                            "quantity": rng.randint(1, 3), "picked": None, "short_reason": None}
                           for n in range(1, rng.randint(1, 4) + 1)],
                 "parcels": [], "created_at": now, "updated_at": now}
                for i in range(args.fulfilments)
            ],
        )  # fmt: skip
    return skus


def undo(db: Database, wave_id: str) -> None:
    """Put the wave's fulfilments back on the open list (untimed)."""
    with db.session() as s:
        s.execute(update(Fulfilment).where(col(Fulfilment.wave_id) == wave_id).values(wave_id=None))
        s.execute(delete(PickWaveLine).where(col(PickWaveLine.wave_id) == wave_id))
        s.execute(delete(PickWave).where(col(PickWave.id) == wave_id))


def build_once(db: Database, args: argparse.Namespace, n: int) -> tuple[float, int, int]:
    """One build as the API runs it; its milliseconds, fulfilments and lines."""
    t0 = time.perf_counter()
    with db.session() as s:
        wave, lines = pick_waves.build(
            s,
            location_id=STORE,
            strategy=WaveStrategy(args.strategy),
            max_fulfilments=args.wave_size,
            max_units=args.max_units,
            actor="bench",
            token=f"{n:06}",
            now=datetime.now(UTC),
        )
    elapsed = (time.perf_counter() - t0) * 1000
    undo(db, wave.id)
    return elapsed, wave.fulfilment_count, len(lines)


def bench(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    load_before = os.getloadavg()
    with database(args.database_url) as url:
        db = Database(url)
        try:
            args.progress(f"seeding {args.fulfilments:,} open fulfilments, {args.skus:,} SKUs")
            seed(db, args, rng)
            if not db.is_sqlite:
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(text("VACUUM ANALYZE"))
            for n in range(args.warmup):
                build_once(db, args, -1 - n)
            args.progress(f"timing {args.builds} wave builds ({args.strategy})")
            runs = [build_once(db, args, n) for n in range(args.builds)]
            with db.reading() as s:
                version = s.execute(
                    text("SELECT sqlite_version()" if db.is_sqlite else "SHOW server_version")
                ).scalar_one()
        finally:
            db.dispose()
        work, calls = bench_work_list(url, args)
    times = [ms for ms, _, _ in runs]
    result: dict[str, Any] = {
        "fulfilments_open": args.fulfilments,
        "skus": args.skus,
        "builds": len(runs),
        "strategy": args.strategy,
        "wave_size": args.wave_size,
        "max_units": args.max_units,
        "wave_fulfilments": round(sum(f for _, f, _ in runs) / len(runs), 1),
        "wave_lines": round(sum(li for _, _, li in runs) / len(runs), 1),
        "wave_build_p50_ms": pct(times, 50),
        "wave_build_p99_ms": pct(times, 99),
        "wave_build_max_ms": round(max(times), 2),
        **work,
        "work_list_calls": len(calls),
        "work_list_p50_ms": pct(calls, 50),
        "work_list_p99_ms": pct(calls, 99),
        "work_list_max_ms": round(max(calls), 2),
        "database": "sqlite" if args.database_url is None else "postgresql",
        "database_version": str(version),
        "scratch_database": make_url(url).database if args.database_url else None,
        "targets": TARGETS,
    }
    result["meets"] = {name: result[name] <= target for name, target in TARGETS.items()}
    result["cpu_count"] = os.cpu_count()
    result["load_avg_before"] = [round(x, 2) for x in load_before]
    result["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def table(r: dict[str, Any]) -> str:
    def met(name: str) -> str:
        verdict = "meets target" if r["meets"][name] else "MISSES target"
        return f"p99 <= {r['targets'][name]:g}: {verdict}"

    rows: list[tuple[str, Any, str]] = [
        ("open fulfilments at one store", f"{r['fulfilments_open']:,}", ""),
        (f"wave ({r['strategy']}, up to {r['wave_size']})",
         f"{r['wave_fulfilments']} fulfilments, {r['wave_lines']} lines", ""),
        ("wave build p50 / p99 / max (ms)",
         f"{r['wave_build_p50_ms']} / {r['wave_build_p99_ms']} / {r['wave_build_max_ms']}",
         met("wave_build_p99_ms")),
        ("builds timed", r["builds"], ""),
        ("open items of work at one store", f"{r['work_items_open']:,}",
         f"{r['work_list_pages']} pages of 50"),
        ("work list over HTTP p50 / p99 / max (ms)",
         f"{r['work_list_p50_ms']} / {r['work_list_p99_ms']} / {r['work_list_max_ms']}",
         met("work_list_p99_ms")),
        ("work list calls timed", r["work_list_calls"], ""),
        ("floor: 1 fulfilment over HTTP p50 / p99 (ms)",
         f"{r['http_floor_p50_ms']} / {r['http_floor_p99_ms']}", "same key, store, server"),
        ("database", f"{r['database']} {r['database_version']}", ""),
        ("load average before / after", f"{r['load_avg_before']} / {r['load_avg_after']}",
         f"{r['cpu_count']} cpus"),
    ]  # fmt: skip
    widths = [max(len(str(row[i])) for row in rows) for i in range(2)]
    return "\n".join(f"{a:<{widths[0]}}  {b!s:>{widths[1]}}  {c}".rstrip() for a, b, c in rows)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--fulfilments", type=int, default=2000, help="open fulfilments (2000)")
    p.add_argument("--skus", type=int, default=500, help="products in the catalogue (500)")
    p.add_argument("--builds", type=int, default=200, help="wave builds timed (200)")
    p.add_argument("--warmup", type=int, default=10, help="untimed builds first (10)")
    p.add_argument("--wave-size", type=int, default=50, help="max_fulfilments of a wave (50)")
    p.add_argument("--max-units", type=int, default=None, help="max_units of a wave (none)")
    p.add_argument("--work-items", type=int, default=2000, help="open items of work (2000)")
    p.add_argument("--work-calls", type=int, default=500, help="work lists timed (500)")
    p.add_argument(
        "--strategy", default=WaveStrategy.BY_ZONE.value, choices=[s.value for s in WaveStrategy]
    )
    p.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server to make a scratch database on (default: a SQLite file)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--seed", type=int, default=11, help="random seed of the data")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = p.parse_args(argv)
    if min(args.fulfilments, args.skus, args.builds, args.wave_size, args.work_calls) < 1:
        p.error("sizes and counts must be positive")
    if args.warmup < 0 or args.work_items < 300:
        p.error("--warmup may not be negative; --work-items is at least 300 (waves, services)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(parse_args(argv), bench, table)


if __name__ == "__main__":
    sys.exit(main())
