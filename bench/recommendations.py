"""Recommendations at scale: the learnt affinity's precision on planted pairs, whether cart
recommendations ship with the cart, and the latency of both endpoints over HTTP.

Migrates a scratch database (a SQLite file by default; with ``--database-url``, a scratch
database on that PostgreSQL server, dropped afterwards) and seeds it
(bench/recommendations_setup.py: ``--skus`` products, ``--locations`` locations, ``--orders``
orders with planted pairs). Counts the history as AffinityRefreshWorkflow does
(``oms.db.affinity.refresh``: 2,000 orders a transaction, then the neighbours of every
product counted; timed), then:

- ``precision_at_5``: over the planted anchors, the share of each one's five best learnt
  neighbours that are its five planted partners;
- over real HTTP to the API under uvicorn in a child process, ``--calls`` times
  ``GET /recommendations/product/{sku}`` (a planted anchor or a stocked product, to a random
  point in France) and ``POST /recommendations/cart`` with 5-line carts (five products one
  location holds, shipped near it); ``product_p99_ms`` and ``cart_p99_ms`` are the client's
  time for the whole request;
- ``zero_extra_shipment_share``: among the carts whose answer holds an item that ships with
  the cart, the share whose first recommendation is one (checked against the positions);
- the floor: ``GET /products/{sku}`` with the same key on the same server (one row);
- the same asks in process (``oms.services.recommendations.recommend``, no HTTP): what the
  recommendation itself costs, less sensitive to a busy machine than the HTTP figures.

Prints each figure next to its target and the machine's load; it never asserts a timing.

    python bench/recommendations.py [--skus 10000] [--locations 500] [--orders 100000]
                                    [--calls 500] [--json] [--database-url URL]

Targets: ``precision_at_5`` >= 0.8, ``zero_extra_shipment_share`` = 1.0,
``product_p99_ms`` <= 20, ``cart_p99_ms`` <= 30.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

# Run as a script, Python puts bench/ itself on the path; `bench.*` needs the repo root.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.api_server import running_api
from bench.inventory_reads import timed
from bench.recommendations_setup import CHANNEL, World, seed
from bench.runner import run_bench
from bench.store import database, pct
from oms.db import affinity, api_keys
from oms.db import availability as av
from oms.db.engine import Database
from oms.db.tables import InventoryPosition
from oms.devserver import free_port
from oms.domain.geo import GeoPoint
from oms.services.recommendations import Ask, recommend

TARGETS = {
    "precision_at_5": (">=", 0.8),
    "zero_extra_shipment_share": (">=", 1.0),
    "product_p99_ms": ("<=", 20.0),
    "cart_p99_ms": ("<=", 30.0),
}


def refresh(db: Database) -> tuple[int, float]:
    """Count the whole history as the workflow's activity does; orders and seconds."""
    t0 = time.perf_counter()
    done = affinity.refresh(db, lambda: datetime.now(UTC), max_orders=10**9)
    return done.orders, time.perf_counter() - t0


def precision_at_5(db: Database, world: World) -> float:
    hits = []
    with db.reading() as s:
        for anchor, partners in sorted(world.planted.items()):
            top = [n for n, _t, _l in affinity.neighbours(s, anchor)[:5]]
            hits.append(len(set(top) & partners) / min(5, len(partners)))
    return round(sum(hits) / len(hits), 4) if hits else 0.0


def _near(point: tuple[float, float], rng: random.Random) -> dict[str, float]:
    return {"lat": round(point[0] + rng.uniform(-0.05, 0.05), 4),
            "lon": round(point[1] + rng.uniform(-0.05, 0.05), 4)}  # fmt: skip


def carts(world: World, n: int, rng: random.Random) -> list[dict[str, Any]]:
    """5-line carts of products one location holds, shipped near it; a planted anchor in
    it when the location holds one."""
    places = [loc for loc, held in world.stocked.items() if len(held) >= 5]
    out = []
    for _ in range(n):
        loc = rng.choice(places)
        held = world.stocked[loc]
        anchors = [sku for sku in held if sku in world.planted]
        lines = rng.sample(held, 5) if not anchors else [
            rng.choice(anchors), *rng.sample([s for s in held if s not in world.planted], 4)
        ]  # fmt: skip
        out.append(
            {"channel": CHANNEL, "lines": [{"sku": sku, "quantity": 1} for sku in lines],
             "destination": _near(world.points[loc], rng), "limit": 5}
        )  # fmt: skip
    return out


def in_process(db: Database, world: World, args: argparse.Namespace) -> dict[str, Any]:
    """The same asks without HTTP: what the recommendation itself costs (the service in one
    read, as the API runs it), beside the HTTP figures that include the server and client."""
    rng = random.Random(args.seed + 2)
    anchors = sorted(world.planted)
    stocked = sorted({sku for held in world.stocked.values() for sku in held})
    bodies = carts(world, args.calls + args.warmup, rng)

    def product() -> object:
        sku = rng.choice(anchors) if rng.random() < 0.5 else rng.choice(stocked)
        point = GeoPoint(lat=rng.uniform(43.3, 50.9), lon=rng.uniform(-1.5, 7.5))
        with db.reading() as s:
            setup = av.load_channel(s, CHANNEL)
            return recommend(s, setup, Ask(channel=CHANNEL, lines=[(sku, 1)], destination=point))

    def cart() -> object:
        body = bodies.pop()
        ask = Ask(
            channel=CHANNEL,
            lines=[(line["sku"], line["quantity"]) for line in body["lines"]],
            destination=GeoPoint(**body["destination"]),
            limit=5,
        )
        with db.reading() as s:
            return recommend(s, av.load_channel(s, CHANNEL), ask)

    products = timed(product, args.calls, args.warmup)
    cart_times = timed(cart, args.calls, args.warmup)
    return {
        "product_in_process_p50_ms": pct(products, 50),
        "product_in_process_p99_ms": pct(products, 99),
        "cart_in_process_p50_ms": pct(cart_times, 50),
        "cart_in_process_p99_ms": pct(cart_times, 99),
    }


def over_http(url: str, key: str, world: World, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed + 1)
    headers = {"Authorization": f"Bearer {key}"}
    anchors = sorted(world.planted)
    stocked = sorted({sku for held in world.stocked.values() for sku in held})
    bodies = carts(world, args.calls + args.warmup, rng)
    answers: list[dict[str, Any]] = []
    floor_sku = stocked[0]
    ready = f"/products/{floor_sku}"
    # The requests go one after the other from one key, faster than a storefront's share of
    # the per-key rate limit (6,000 a minute) on an idle machine: the limit is not measured.
    unlimited = {"OMS_RATE_LIMIT_PER_MINUTE": "100000000"}
    with running_api(
        url, free_port(), ready_path=ready, headers=headers, extra_env=unlimited
    ) as base:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:

            def product() -> object:
                sku = rng.choice(anchors) if rng.random() < 0.5 else rng.choice(stocked)
                lat, lon = rng.uniform(43.3, 50.9), rng.uniform(-1.5, 7.5)
                return http.get(
                    f"/recommendations/product/{sku}",
                    params={"channel": CHANNEL, "destination": f"{lat:.4f},{lon:.4f}"},
                ).raise_for_status()

            def cart() -> object:
                answer = http.post("/recommendations/cart", json=bodies.pop())
                answers.append(answer.raise_for_status().json())
                return answer

            args.progress(f"timing {args.calls} GET /recommendations/product/{{sku}}")
            products = timed(product, args.calls, args.warmup)
            args.progress(f"timing {args.calls} POST /recommendations/cart (5 lines)")
            cart_times = timed(cart, args.calls, args.warmup)
            floor = timed(
                lambda: http.get(f"/products/{floor_sku}").raise_for_status(),
                args.calls,
                args.warmup,
            )
    return {
        "product_calls": len(products),
        "product_p50_ms": pct(products, 50),
        "product_p99_ms": pct(products, 99),
        "cart_calls": len(cart_times),
        "cart_p50_ms": pct(cart_times, 50),
        "cart_p99_ms": pct(cart_times, 99),
        "http_floor_p50_ms": pct(floor, 50),
        "http_floor_p99_ms": pct(floor, 99),
        "answers": answers[args.warmup :],
    }


def zero_extra_share(db: Database, answers: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Among answers holding an item that ships with the cart, the share whose first
    recommendation ships with it and is really held there (on hand above the stores' safety
    stock of 1)."""
    eligible = good = items = with_cart = 0
    with db.reading() as s:
        for answer in answers:
            recs = answer["recommendations"]
            items += len(recs)
            with_cart += sum(1 for r in recs if not r["extra_shipment"])
            if not any(not r["extra_shipment"] for r in recs):
                continue
            eligible += 1
            first = recs[0]
            position = s.get(InventoryPosition, (first["sku"], first["ships_from"]))
            floor = 1 if first["ships_from"].startswith("ST") else 0
            held = position is not None and position.on_hand - position.reserved > floor
            shipping = first["ships_from"] in answer["ships_from"]
            good += int(not first["extra_shipment"] and held and shipping)
    return {
        "carts_with_items_shipping_with_them": eligible,
        "zero_extra_shipment_share": round(good / eligible, 4) if eligible else None,
        "cart_recommendations": items,
        "cart_recommendations_shipping_with_cart": with_cart,
    }


def bench(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    load_before = os.getloadavg()
    with database(args.database_url) as url:
        db = Database(url)
        try:
            args.progress(
                f"seeding {args.skus:,} SKUs, {args.locations:,} locations, {args.orders:,} orders"
            )
            t0 = time.perf_counter()
            world = seed(db, args, rng)
            seed_s = time.perf_counter() - t0
            args.progress("counting the order history (affinity refresh)")
            counted, refresh_s = refresh(db)
            precision = precision_at_5(db, world)
            if not db.is_sqlite:
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(text("VACUUM ANALYZE"))
            with db.session() as s:
                key = api_keys.create_key(s, role="storefront", name="bench-recommendations")
                version = s.execute(
                    text("SELECT sqlite_version()" if db.is_sqlite else "SHOW server_version")
                ).scalar_one()
            args.progress(f"timing {args.calls} product and cart asks in process")
            local = in_process(db, world, args)
            http = over_http(url, key, world, args)
            shares = zero_extra_share(db, http.pop("answers"))
        finally:
            db.dispose()
    result: dict[str, Any] = {
        "skus": args.skus,
        "locations": args.locations,
        "orders": args.orders,
        "planted_anchors": len(world.planted),
        "seed_s": round(seed_s, 1),
        "orders_counted": counted,
        "refresh_s": round(refresh_s, 1),
        "refresh_orders_per_s": round(counted / refresh_s) if refresh_s else None,
        "precision_at_5": precision,
        **shares,
        **http,
        **local,
        "database": "sqlite" if args.database_url is None else "postgresql",
        "database_version": str(version),
        "scratch_database": make_url(url).database if args.database_url else None,
        "targets": {name: target for name, (_op, target) in TARGETS.items()},
    }
    result["meets"] = {
        name: result[name] is not None
        and (result[name] >= target if op == ">=" else result[name] <= target)
        for name, (op, target) in TARGETS.items()
    }
    result["cpu_count"] = os.cpu_count()
    result["load_avg_before"] = [round(x, 2) for x in load_before]
    result["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def table(r: dict[str, Any]) -> str:
    def met(name: str) -> str:
        op, target = TARGETS[name]
        return f"{op} {target:g}: {'meets target' if r['meets'][name] else 'MISSES target'}"

    rows: list[tuple[str, Any, str]] = [
        ("catalogue / locations / orders",
         f"{r['skus']:,} / {r['locations']:,} / {r['orders']:,}", f"seeded in {r['seed_s']} s"),
        ("affinity refresh (whole history)", f"{r['refresh_s']} s",
         f"{r['refresh_orders_per_s']} orders/s"),
        ("precision@5 on planted pairs", r["precision_at_5"], met("precision_at_5")),
        ("carts whose first item ships with them", r["zero_extra_shipment_share"],
         met("zero_extra_shipment_share")),
        ("product page p50 / p99 (ms, HTTP)", f"{r['product_p50_ms']} / {r['product_p99_ms']}",
         met("product_p99_ms")),
        ("5-line cart p50 / p99 (ms, HTTP)", f"{r['cart_p50_ms']} / {r['cart_p99_ms']}",
         met("cart_p99_ms")),
        ("in process: product / cart p99 (ms)",
         f"{r['product_in_process_p99_ms']} / {r['cart_in_process_p99_ms']}", "no HTTP"),
        ("floor: GET /products/{sku} p50 / p99 (ms)",
         f"{r['http_floor_p50_ms']} / {r['http_floor_p99_ms']}", "same key, same server"),
        ("database", f"{r['database']} {r['database_version']}", ""),
        ("load average before / after", f"{r['load_avg_before']} / {r['load_avg_after']}",
         f"{r['cpu_count']} cpus"),
    ]  # fmt: skip
    widths = [max(len(str(row[i])) for row in rows) for i in range(2)]
    return "\n".join(f"{a:<{widths[0]}}  {b!s:>{widths[1]}}  {c}".rstrip() for a, b, c in rows)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--skus", type=int, default=10_000, help="products (10,000)")
    p.add_argument("--locations", type=int, default=500, help="locations (500)")
    p.add_argument("--orders", type=int, default=100_000, help="orders in the history (100,000)")
    p.add_argument("--planted", type=int, default=200, help="anchors with planted partners (200)")
    p.add_argument("--calls", type=int, default=500, help="calls timed per endpoint (500)")
    p.add_argument("--warmup", type=int, default=20, help="untimed calls first (20)")
    p.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server to make a scratch database on (default: a SQLite file)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--seed", type=int, default=14, help="random seed of the data")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = p.parse_args(argv)
    if min(args.skus, args.locations, args.orders, args.planted, args.calls) < 1:
        p.error("sizes and counts must be positive")
    if args.skus < args.planted * 6 or args.locations < 12 or args.warmup < 0:
        p.error("--skus is at least 6 x --planted, --locations at least 12, --warmup >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(parse_args(argv), bench, table)


if __name__ == "__main__":
    sys.exit(main())
