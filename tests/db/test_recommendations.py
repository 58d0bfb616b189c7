"""Recommendations over the database: affinity learnt from a generated order history and
refreshed one batch at a time, and the recommendations an ``order.confirmed`` event carries,
from the order's own fulfilment locations."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.read_model import ReadModelActivities
from oms.contracts.read_model import EmitEvent, RecordProgress
from oms.db import affinity, products
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.db.tables import OutboxEvent
from oms.domain.order import OrderStatus
from oms.services.recommendations import for_confirmation
from tests.factories import order, seed
from tests.recommendations import place_history

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
FILLER = [f"SKU-F{i:02}" for i in range(40)]


def catalogue(db: Database, skus: list[str]) -> None:
    with db.session() as s:
        products.upsert_all(s, [{"sku": sku, "name": sku, "category": "home"} for sku in skus])


def history(db: Database, baskets: list[list[str]], start: int, at: datetime) -> None:
    place_history(db, baskets, start=start, at=at)


def refresh_all(db: Database, now: datetime) -> affinity.Refreshed:
    return affinity.refresh(db, lambda: now, max_orders=10**6, batch=100)


def test_affinity_learnt_from_an_order_history_finds_the_planted_pairs(db: Database) -> None:
    seed(db)
    catalogue(db, FILLER)
    rng = random.Random(3)
    baskets = [rng.sample(FILLER, rng.randint(1, 3)) for _ in range(250)]
    # Planted: a tee goes with a mug, jeans with a phone, far more often than chance.
    baskets += [["SKU-TEE", "SKU-MUG", rng.choice(FILLER)] for _ in range(30)]
    baskets += [["SKU-JEAN", "SKU-PHONE"] for _ in range(12)]
    rng.shuffle(baskets)
    history(db, baskets, 0, NOW - timedelta(days=1))

    done = refresh_all(db, NOW)

    assert done.orders == len(baskets)
    assert done.caught_up
    with db.reading() as s:
        assert affinity.neighbours(s, "SKU-TEE")[0][:2] == ("SKU-MUG", 30)
        assert affinity.neighbours(s, "SKU-PHONE")[0][:2] == ("SKU-JEAN", 12)
        assert affinity.counted(s)["baskets"] == len(baskets)


def test_a_refresh_counts_only_the_orders_placed_since_the_last(db: Database) -> None:
    seed(db)
    history(db, [["SKU-TEE", "SKU-MUG"]] * 3, 0, NOW - timedelta(days=1))
    refresh_all(db, NOW)
    # Three more, and one placed a moment ago that a later pass will count.
    history(db, [["SKU-TEE", "SKU-MUG"]] * 3, 100, NOW)
    history(db, [["SKU-TEE", "SKU-MUG"]], 200, NOW + timedelta(hours=1))

    done = refresh_all(db, NOW + timedelta(hours=1))

    assert (done.orders, done.rebuilt) == (3, 2)
    with db.reading() as s:
        assert affinity.neighbours(s, "SKU-TEE")[0][:2] == ("SKU-MUG", 6)
        assert affinity.counted(s)["baskets"] == 6


def _confirmed(**overrides: Any) -> dict[str, Any]:
    return {
        "channel": "web-fr",
        "currency": "EUR",
        "total": 4897,
        "delivery_method": "ship",
        "store_id": None,
        "lines": [{"line_id": "1", "sku": "SKU-TEE", "quantity": 2}],
        "fulfilments": [
            {
                "fulfilment_id": "O1.F1",
                "location_id": "WH-PARIS",
                "lines": [{"line_id": "1", "sku": "SKU-TEE", "quantity": 2}],
            }
        ],
        **overrides,
    }


def _related(db: Database) -> None:
    with db.session() as s:
        products.upsert_all(
            s,
            [
                {
                    "sku": "SKU-TEE",
                    "name": "Tee shirt",
                    "category": "apparel",
                    "relations": [
                        {"sku": "SKU-MUG", "kind": "related", "weight": 0.9},
                        {"sku": "SKU-JEAN", "kind": "accessory", "weight": 0.5},
                        {"sku": "SKU-PHONE", "kind": "upsell", "weight": 0.1},
                    ],
                }
            ],
        )


STOCK = {
    ("SKU-TEE", "WH-PARIS"): 10,
    ("SKU-MUG", "WH-PARIS"): 5,
    ("SKU-JEAN", "ST-LYON"): 5,
    ("SKU-PHONE", "ST-BASTILLE"): 5,
}


def test_a_confirmation_recommends_what_its_fulfilment_locations_hold(db: Database) -> None:
    seed(db, STOCK)
    _related(db)

    with db.reading() as s:
        shipped = for_confirmation(s, _confirmed())
        collected = for_confirmation(
            s, _confirmed(delivery_method="collect", store_id="ST-BASTILLE")
        )

    assert [(r["sku"], r["ships_from"], r["extra_shipment"]) for r in shipped] == [
        ("SKU-MUG", "WH-PARIS", False)
    ]
    assert [(r["sku"], r["ships_from"]) for r in collected] == [("SKU-PHONE", "ST-BASTILLE")]


def _progress(payload: dict[str, Any]) -> RecordProgress:
    return RecordProgress(
        order_id="O1",
        status=OrderStatus.IN_FULFILMENT,
        emit=[EmitEvent(event_id="O1:confirmed", type="order.confirmed", order_id="O1",
                        payload=payload)],
    )  # fmt: skip


def test_the_confirmed_event_is_written_with_its_recommendations(db: Database) -> None:
    seed(db, STOCK)
    _related(db)
    with db.session() as s:
        order_repo.insert_order(s, order("O1"), received_at=NOW)

    ActivityEnvironment().run(ReadModelActivities(db).record_progress, _progress(_confirmed()))

    with db.reading() as s:
        event = s.exec(select(OutboxEvent)).one()
    assert [r["sku"] for r in event.payload["recommendations"]] == ["SKU-MUG"]
    assert event.payload["fulfilments"][0]["location_id"] == "WH-PARIS"


def test_recommendations_that_fail_leave_the_list_empty_and_the_progress_written(
    db: Database,
) -> None:
    seed(db, STOCK)
    with db.session() as s:
        order_repo.insert_order(s, order("O1"), received_at=NOW)
    broken = _confirmed(lines=[{"line_id": "1", "sku": "SKU-TEE", "quantity": "two"}])

    ActivityEnvironment().run(ReadModelActivities(db).record_progress, _progress(broken))

    with db.reading() as s:
        event = s.exec(select(OutboxEvent)).one()
        row = order_repo.get_order(s, "O1")
        assert row is not None
        assert row.status == OrderStatus.IN_FULFILMENT.value
    assert event.payload["recommendations"] == []
