"""An order confirmed tells the customer what else its own locations hold: the
``order.confirmed`` event's recommendations come from where its fulfilments ship from (for a
collection, the pickup store), never from elsewhere."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from oms.db import products
from oms.db.engine import Database
from oms.db.tables import OutboxEvent
from oms.domain.fulfilment import FulfilmentStatus
from tests.factories import order, seed
from tests.workflows.harness import running, until

TEE_ONLY = [{"line_id": "1", "sku": "SKU-TEE", "quantity": 1, "unit_price": 1999}]


def relate_tee(db: Database) -> None:
    with db.session() as s:
        products.upsert_all(
            s,
            [{"sku": "SKU-TEE", "name": "Tee shirt", "category": "apparel",
              "relations": [{"sku": "SKU-MUG", "kind": "related", "weight": 0.9},
                            {"sku": "SKU-JEAN", "kind": "accessory", "weight": 0.5},
                            {"sku": "SKU-PHONE", "kind": "upsell", "weight": 1.0}]}],
        )  # fmt: skip


def confirmed(db: Database, order_id: str) -> dict[str, Any]:
    with db.session() as s:
        event = s.exec(
            select(OutboxEvent).where(
                OutboxEvent.order_id == order_id, OutboxEvent.type == "order.confirmed"
            )
        ).one()
    payload: dict[str, Any] = event.payload
    return payload


def started(view: Any) -> bool:
    return bool(view.fulfilments) and view.fulfilments[0].status is FulfilmentStatus.AWAITING_PICK


async def test_a_shipped_order_recommends_what_its_fulfilment_location_holds(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(
        db,
        {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 2, ("SKU-JEAN", "ST-OPERA"): 2,
         ("SKU-PHONE", "ST-LYON"): 9},
    )  # fmt: skip
    relate_tee(db)
    async with running(time_env.client, db) as h:
        await h.place(order("R1", lines=TEE_ONLY))
        await until(h, "R1", started)

    payload = confirmed(db, "R1")
    assert payload["fulfilments"][0]["location_id"] == "ST-OPERA"
    assert [
        (r["sku"], r["ships_from"], r["extra_shipment"]) for r in payload["recommendations"]
    ] == [
        ("SKU-MUG", "ST-OPERA", False),
        ("SKU-JEAN", "ST-OPERA", False),
    ]


async def test_a_collection_recommends_what_its_pickup_store_holds(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(
        db,
        {("SKU-TEE", "ST-BASTILLE"): 5, ("SKU-PHONE", "ST-BASTILLE"): 1,
         ("SKU-MUG", "ST-OPERA"): 9, ("SKU-JEAN", "WH-PARIS"): 9},
    )  # fmt: skip
    relate_tee(db)
    collect = {"method": "collect", "store_id": "ST-BASTILLE"}
    async with running(time_env.client, db) as h:
        await h.place(order("R2", lines=TEE_ONLY, delivery=collect))
        await until(h, "R2", started)

    payload = confirmed(db, "R2")
    assert [(r["sku"], r["ships_from"]) for r in payload["recommendations"]] == [
        ("SKU-PHONE", "ST-BASTILLE")
    ]
