"""The world bench/inventory.py measures: a scratch PostgreSQL database migrated to head, a
network of warehouses and stores, a channel with a buffer, safety rules and an exclusion, a
catalogue across categories, a week of sales, and network snapshot files.

Nothing here is timed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from oms.db import api_keys
from oms.db.engine import Database, normalize_url
from oms.db.migrate import upgrade
from oms.db.tables import (
    Channel,
    Exclusion,
    Location,
    Network,
    NetworkLocation,
    Product,
    Reservation,
    SafetyRule,
)

DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CHANNEL = "web-fr"
NETWORK = "net-fr"
CATEGORIES = ("apparel", "home", "electronics", "beauty", "toys", "sports", "garden", "food")
WAREHOUSE_SHARE = 10  # one location in ten is a warehouse, the rest are stores
SNAPSHOT_HEADER = "sku,location_id,on_hand,in_transit,source_version\n"
SNAPSHOT_COLUMNS = ("sku", "location_id", "on_hand", "in_transit", "source_version")


# -- the scratch database ------------------------------------------------------------------


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it."""
    return make_url(normalize_url(url)).set(drivername="postgresql").render_as_string(False)


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``server_url``, migrated to head; dropped on the
    way out whatever happened. Yields its SQLAlchemy URL."""
    name = f"oms_bench_{uuid.uuid4().hex[:10]}"
    admin = _libpq(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(normalize_url(server_url)).set(database=name).render_as_string(False)
    try:
        # The real schema, indexes included: what production runs on.
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# -- the network, catalogue and sales ------------------------------------------------------


@dataclass(frozen=True)
class World:
    skus: list[str]
    locations: list[str]
    warehouses: frozenset[str]
    storefront_key: str
    integration_key: str

    @property
    def positions(self) -> int:
        return len(self.skus) * len(self.locations)


def location_ids(n: int) -> tuple[list[str], frozenset[str]]:
    ids = [f"WH-{i:04d}" if i % WAREHOUSE_SHARE == 0 else f"ST-{i:04d}" for i in range(n)]
    return ids, frozenset(i for i in ids if i.startswith("WH-"))


def seed(db: Database, *, skus: int, locations: int, rng: random.Random) -> World:
    """Locations across mainland France, one network of them all, channel ``web-fr`` selling
    from it with a 2-unit buffer, a store safety rule, an electronics rule, one store kept
    out of the channel, products in eight categories and a week of sales for one SKU in
    five (the best sellers a sync applies first)."""
    loc_ids, warehouses = location_ids(locations)
    sku_ids = [f"SKU-{i:06d}" for i in range(skus)]
    now = datetime.now(UTC)
    with db.session() as s:
        conn = s.connection()
        conn.execute(
            insert(Location),
            [
                {
                    "id": loc,
                    "name": loc,
                    "type": "warehouse" if loc in warehouses else "store",
                    "country": "FR",
                    "lat": rng.uniform(43.3, 50.9),
                    "lon": rng.uniform(-1.5, 7.5),
                    "daily_capacity": 1000,
                    "is_open": True,
                    "created_at": now,
                }
                for loc in loc_ids
            ],
        )
        s.add(Network(id=NETWORK, name="France", created_at=now))
        s.flush()
        conn.execute(
            insert(NetworkLocation), [{"network_id": NETWORK, "location_id": x} for x in loc_ids]
        )
        s.add(
            Channel(
                id=CHANNEL, name="Web France", market="FR", network_id=NETWORK,
                buffer_quantity=2, low_stock=5, created_at=now,
            )
        )  # fmt: skip
        s.add(SafetyRule(id="stores-1", scope="location_type", location_type="store", quantity=1))
        s.add(SafetyRule(id="electronics-10pc", scope="category", category="electronics",
                         percent=10.0))  # fmt: skip
        excluded = next((x for x in loc_ids if x not in warehouses), None)
        if excluded is not None:
            s.add(Exclusion(id="web-no-first-store", channel=CHANNEL, location_id=excluded))
        conn.execute(
            insert(Product),
            [
                {
                    "sku": sku,
                    "name": sku,
                    "category": CATEGORIES[i % len(CATEGORIES)],
                    "prices": {"EUR": 1000 + i % 9000},
                }
                for i, sku in enumerate(sku_ids)
            ],
        )
        sales = [
            {
                "order_id": f"BENCH-{n}",
                "line_id": "1",
                "sku": sku,
                "location_id": rng.choice(loc_ids),
                "qty": rng.randint(1, 5),
                "status": "consumed",
                "step_key": f"bench:{n}",
                "part": 0,
                "created_at": now - timedelta(hours=rng.uniform(1, 160)),
                "updated_at": now,
            }
            for n, sku in enumerate(rng.sample(sku_ids, max(1, skus // 5)))
        ]
        conn.execute(insert(Reservation), sales)
        storefront = api_keys.create_key(s, role="storefront", name="bench-storefront")
        integration = api_keys.create_key(s, role="integration", name="bench-integration")
    return World(
        skus=sku_ids,
        locations=loc_ids,
        warehouses=warehouses,
        storefront_key=storefront,
        integration_key=integration,
    )


def hold_some(db: Database, world: World, rng: random.Random, *, every: int = 50) -> int:
    """Live order holds on one position in ``every`` (ledger entries and ``reserved`` kept
    equal), so ATP subtracts real reservations. Returns the positions touched."""
    now = datetime.now(UTC)
    picked = list(sample_positions(world, rng, world.positions // every))
    if not picked:
        return 0
    with db.session() as s:
        conn = s.connection()
        conn.execute(
            insert(Reservation),
            [
                {
                    "order_id": f"HOLD-{n}",
                    "line_id": "1",
                    "sku": sku,
                    "location_id": loc,
                    "qty": 1,
                    "status": "held",
                    "step_key": f"hold:{n}",
                    "part": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, (sku, loc) in enumerate(picked)
            ],
        )
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            cur.executemany(
                "UPDATE inventory_positions SET reserved = LEAST(on_hand, 1)"
                " WHERE sku = %s AND location_id = %s",
                picked,
            )
    return len(picked)


# -- snapshot files ------------------------------------------------------------------------


def network_snapshot(world: World, rng: random.Random, version: int) -> bytes:
    """The whole network's count as an ERP exports it, one location after the other: a CSV
    with on hand, in transit (warehouses only) and the sender's version for every row."""
    lines = [SNAPSHOT_HEADER]
    for loc in world.locations:
        if loc in world.warehouses:
            for sku in world.skus:
                transit = rng.randrange(50) if rng.randrange(4) == 0 else 0
                lines.append(f"{sku},{loc},{rng.randrange(500)},{transit},{version}\n")
        else:
            for sku in world.skus:
                lines.append(f"{sku},{loc},{rng.randrange(40)},0,{version}\n")
    return "".join(lines).encode()


def sample_positions(world: World, rng: random.Random, n: int) -> Sequence[tuple[str, str]]:
    """``n`` distinct positions (fewer if the network has fewer), in random order."""
    picks = rng.sample(range(world.positions), min(n, world.positions))
    per = len(world.locations)
    return [(world.skus[i // per], world.locations[i % per]) for i in picks]
