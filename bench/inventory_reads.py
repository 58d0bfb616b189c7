"""The read paths bench/inventory.py times: channel ATP at the database (``channel_atp``,
a fresh session per lookup) and over HTTP (``GET /availability``), and where one lookup
spends its time.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

import httpx
from sqlalchemy import text

from bench.inventory_setup import CATEGORIES, CHANNEL, World
from oms.db import availability as av
from oms.db.engine import Database
from oms.domain.availability import atp_channel
from oms.services.availability import channel_figures


def timed(call: Callable[[], object], samples: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def atp_at_db(db: Database, skus: Callable[[], list[str]]) -> Callable[[], object]:
    def call() -> object:
        asked = skus()
        with db.reading() as s:  # as the API reads: no transaction
            setup = av.load_channel(s, CHANNEL)
            figures = channel_figures(s, setup, asked)
        if any(figures[sku] is None for sku in asked):
            raise SystemExit(f"ATP lookup lost a SKU of {asked[:3]}...")
        return figures

    return call


def atp_over_http(http: httpx.Client, skus: Callable[[], list[str]]) -> Callable[[], object]:
    def call() -> object:
        asked = skus()
        res = http.get("/availability", params={"channel": CHANNEL, "skus": ",".join(asked)})
        if res.status_code != 200 or len(res.json()["items"]) != len(asked):
            raise SystemExit(f"GET /availability answered {res.status_code}: {res.text[:300]}")
        return res

    return call


def atp_breakdown(db: Database, world: World, rng: random.Random, n: int) -> dict[str, float]:
    """Where one one-SKU lookup spends its time (means in ms): ``channel_atp``'s own steps,
    timed one by one; the server-side execution of the positions query; and ``sql_floor``,
    the same four reads as plain psycopg statements in one transaction, rows fetched as
    tuples: what the lookup would cost with no Python beyond the driver."""
    steps = ("checkout", "channel", "products", "rules", "exclusions", "positions", "compute")
    totals = dict.fromkeys((*steps, "commit", "total"), 0.0)
    for _ in range(n):
        sku = rng.choice(world.skus)
        marks = [time.perf_counter()]
        with db.session() as s:
            s.connection()
            marks.append(time.perf_counter())
            setup = av.load_channel(s, CHANNEL)
            marks.append(time.perf_counter())
            products = av.load_products(s, [sku])
            marks.append(time.perf_counter())
            rules = av.load_rules(s, products.values())
            marks.append(time.perf_counter())
            exclusions = av.load_exclusions(s, setup.channel)
            marks.append(time.perf_counter())
            positions = av.load_positions(s, products)
            marks.append(time.perf_counter())
            atp_channel(sku, setup.channel, positions, setup.locations, products[sku], rules,
                        exclusions, detail=False)  # fmt: skip
            marks.append(time.perf_counter())
        marks.append(time.perf_counter())
        for name, a, b in zip((*steps, "commit"), marks[:-1], marks[1:], strict=True):
            totals[name] += b - a
        totals["total"] += marks[-1] - marks[0]
    out = {name: round(v / n * 1000, 3) for name, v in totals.items()}
    explain = text(
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT sku, location_id, on_hand, reserved, in_transit"
        " FROM inventory_positions WHERE sku IN (:sku)"
    )
    server = []
    with db.session() as s:
        for _ in range(50):
            plan = s.execute(explain, {"sku": rng.choice(world.skus)}).scalar_one()
            server.append(plan[0]["Execution Time"])
    out["positions_server_exec"] = round(statistics.fmean(server), 3)
    out["sql_floor"] = round(_sql_floor(db, world, rng, n), 3)
    return out


_FLOOR = (
    "SELECT sku, category FROM products WHERE sku = ANY(%(skus)s)",
    "SELECT id, scope, sku, category, location_id, vendor_id, location_type, channel, quantity,"
    " percent FROM safety_rules WHERE (sku IS NULL OR sku = ANY(%(skus)s))"
    " AND (category IS NULL OR category = ANY(%(categories)s)) ORDER BY id",
    "SELECT id, channel, market, sku, category, location_id FROM exclusions"
    " WHERE channel = %(channel)s OR market = %(market)s ORDER BY id",
    "SELECT sku, location_id, on_hand, reserved, in_transit FROM inventory_positions"
    " WHERE sku = ANY(%(skus)s)",
)


def _sql_floor(db: Database, world: World, rng: random.Random, n: int) -> float:
    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        total = 0.0
        for _ in range(n):
            i = rng.randrange(len(world.skus))
            params = {"skus": [world.skus[i]], "categories": [CATEGORIES[i % len(CATEGORIES)]],
                      "channel": CHANNEL, "market": "FR"}  # fmt: skip
            t0 = time.perf_counter()
            with conn.cursor() as cur:
                for statement in _FLOOR:
                    cur.execute(statement, params).fetchall()
            conn.commit()
            total += time.perf_counter() - t0
        return total / n * 1000
    finally:
        raw.close()
