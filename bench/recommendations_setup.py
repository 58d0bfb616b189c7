"""The data bench/recommendations.py measures on: a catalogue, a network of locations with
stock spread over them, given relations, and an order history with planted pairs.

- ``--skus`` products in 8 categories; one in ten has three given relations (one a
  substitute); one category is excluded in the channel and a safety stock of 1 holds at stores.
- ``--locations`` locations over France (one in twenty-five a warehouse), all in the channel's
  network; each product stocked at 12 of them, one position in six at 0.
- ``--orders`` orders spread over the last 30 days: most of 1-5 products drawn with a
  long-tailed popularity; one in five a *planted* basket: one of ``--planted`` anchors with two
  to four of its five partners (and now and then a product at random). The planted partners are
  what the learnt affinity must find.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from oms.db.engine import Database
from oms.db.tables import (
    Channel,
    Exclusion,
    InventoryPosition,
    Location,
    Network,
    NetworkLocation,
    Order,
    Product,
    SafetyRule,
)

CHANNEL = "web-fr"
CATEGORIES = ("apparel", "home", "electronics", "beauty", "toys", "sports", "garden", "food")
EXCLUDED = "garden"
PARTNERS = 5
STOCKED_AT = 12
CHUNK = 5000


@dataclass
class World:
    skus: list[str]
    locations: list[str]
    points: dict[str, tuple[float, float]]
    stocked: dict[str, list[str]]  # location -> SKUs it holds (on hand > 0)
    planted: dict[str, set[str]]  # anchor -> its partners


def _chunks(rows: Sequence[dict[str, Any]]) -> list[Sequence[dict[str, Any]]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


def _write(db: Database, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    for part in _chunks(rows):
        with db.session() as s:
            s.execute(insert(table), list(part))


def seed(db: Database, args: argparse.Namespace, rng: random.Random) -> World:
    now = datetime.now(UTC)
    skus = [f"SKU-{i:05}" for i in range(args.skus)]
    category = {sku: CATEGORIES[i % len(CATEGORIES)] for i, sku in enumerate(skus)}
    locations = [f"{'WH' if i % 25 == 0 else 'ST'}-{i:04}" for i in range(args.locations)]
    points = {loc: (rng.uniform(43.3, 50.9), rng.uniform(-1.5, 7.5)) for loc in locations}
    with db.session() as s:
        s.execute(
            insert(Location),
            [{"id": loc, "name": loc, "type": "warehouse" if loc.startswith("WH") else "store",
              "country": "FR", "lat": lat, "lon": lon, "is_open": True,
              "daily_capacity": 1000, "created_at": now}
             for loc, (lat, lon) in points.items()],
        )  # fmt: skip
        s.execute(insert(Network), [{"id": "FR", "name": "France", "created_at": now}])
        s.execute(
            insert(NetworkLocation), [{"network_id": "FR", "location_id": x} for x in locations]
        )
        s.execute(
            insert(Channel),
            [{"id": CHANNEL, "name": "Web France", "market": "FR", "network_id": "FR",
              "low_stock": 0, "created_at": now}],
        )  # fmt: skip
        s.execute(
            insert(Exclusion),
            [{"id": "no-garden", "channel": CHANNEL, "category": EXCLUDED, "created_at": now}],
        )
        s.execute(
            insert(SafetyRule),
            [{"id": "stores-1", "scope": "location_type", "location_type": "store",
              "quantity": 1, "created_at": now, "updated_at": now}],
        )  # fmt: skip
    anchors = rng.sample(skus, args.planted)
    others = [sku for sku in skus if sku not in set(anchors)]
    planted = {a: set(rng.sample(others, PARTNERS)) for a in anchors}
    relations: dict[str, list[dict[str, Any]]] = {}
    for sku in rng.sample(skus, len(skus) // 10):
        picked = rng.sample(skus, 3)
        kinds = ("related", "accessory", "substitute")
        relations[sku] = [
            {"sku": other, "kind": kind, "weight": round(rng.random(), 2)}
            for other, kind in zip(picked, kinds, strict=True)
            if other != sku
        ]
    _write(
        db,
        Product,
        [{"sku": sku, "name": sku, "category": category[sku], "prices": {"EUR": 1000},
          "barcodes": [], "attributes": {}, "relations": relations.get(sku, []),
          "returnable": True, "active": True, "updated_at": now}
         for sku in skus],
    )  # fmt: skip
    stocked: dict[str, list[str]] = {loc: [] for loc in locations}
    positions = []
    for sku in skus:
        for loc in rng.sample(locations, min(STOCKED_AT, len(locations))):
            on_hand = 0 if rng.random() < 1 / 6 else rng.randint(2, 30)
            positions.append({"sku": sku, "location_id": loc, "on_hand": on_hand,
                              "reserved": 0, "in_transit": 0, "updated_at": now})  # fmt: skip
            if on_hand > 1 and category[sku] != EXCLUDED:
                stocked[loc].append(sku)
    _write(db, InventoryPosition, positions)
    _history(db, args, rng, skus, planted, now)
    return World(skus=skus, locations=locations, points=points, stocked=stocked, planted=planted)


def _history(
    db: Database,
    args: argparse.Namespace,
    rng: random.Random,
    skus: list[str],
    planted: dict[str, set[str]],
    now: datetime,
) -> None:
    # A long tail: product i is drawn with weight 1 / (i + 10).
    weights = [1 / (i + 10) for i in range(len(skus))]
    popular = rng.choices(skus, weights=weights, k=args.orders * 5)
    anchors = sorted(planted)
    rows = []
    for i in range(args.orders):
        if rng.random() < 0.2:
            anchor = rng.choice(anchors)
            basket = {anchor, *rng.sample(sorted(planted[anchor]), rng.randint(2, 4))}
            if rng.random() < 0.3:
                basket.add(rng.choice(skus))
        else:
            basket = set(popular[i * 5 : i * 5 + rng.randint(1, 5)])
        at = now - timedelta(days=30) + timedelta(seconds=i * 25)
        lines = [{"line_id": str(n), "sku": sku, "quantity": 1, "unit_price": 1000}
                 for n, sku in enumerate(sorted(basket), start=1)]  # fmt: skip
        rows.append(
            {"id": f"H{i:07}", "channel": CHANNEL, "customer_id": f"C{i % 9973}",
             "customer_tier": "standard", "status": "COMPLETED", "currency": "EUR",
             "total": 1000 * len(lines), "line_count": len(lines), "delivery_method": "ship",
             "fingerprint": f"{i:064}", "payload": {"lines": lines}, "fulfilment_locations": [],
             "created_at": at, "updated_at": at}
        )  # fmt: skip
    _write(db, Order, rows)
