"""Day one of a deployment: a migrated database with no demo data and one admin key takes its
keys, locations, catalogue and stock through the API, and a storefront then places an order
that is sourced and waits for its pick."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from oms.db.availability import forget_topology
from oms.db.engine import Database
from oms.db.migrate import upgrade
from tests.api.conftest import Api, new_id, order_body, serving
from tests.conftest import PG_URL, new_database

Json = dict[str, Any]


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[Database]:
    """A database as `oms migrate` leaves it: every table, nothing in them but what the
    migrations seed (the built-in reason codes)."""
    forget_topology()
    with new_database(tmp_path, postgresql=bool(PG_URL)) as url:
        upgrade(url)
        db = Database(url)
        try:
            yield db
        finally:
            db.dispose()


async def call(api: Api, method: str, url: str, role: str, body: Json) -> Json:
    response = await api.http.request(method, url, json=body, headers=api.auth(role))
    assert response.status_code in (200, 201), f"{method} {url}: {response.text}"
    answer: Json = response.json()
    return answer


async def test_a_fresh_database_is_set_up_through_the_api_and_takes_an_order(
    dev_env: WorkflowEnvironment, migrated: Database
) -> None:
    async with serving(dev_env, migrated, fresh=True) as api:
        empty = await api.http.get("/products", headers=api.auth("admin"))
        assert empty.json()["items"] == []

        # Where stock is and what sells from where (admin).
        for loc in (
            {"id": "WH-NORD", "name": "Nord", "type": "warehouse", "lat": 50.6, "lon": 3.1},
            {"id": "ST-RIVOLI", "name": "Rivoli", "type": "store", "lat": 48.86, "lon": 2.34},
        ):
            await call(api, "POST", "/locations", "admin", {**loc, "country": "FR"})
        network = {"id": "FR", "name": "France", "locations": ["WH-NORD", "ST-RIVOLI"]}
        await call(api, "POST", "/networks", "admin", network)
        channel = {"id": "web-fr", "name": "Web", "market": "FR", "network_id": "FR"}
        await call(api, "POST", "/channels", "admin", channel)
        # The keys of the systems that plug in (admin).
        for name, key in {
            "integration": {"role": "integration", "name": "pim-and-wms"},
            "storefront": {"role": "storefront", "name": "shop", "channels": ["web-fr"]},
            "rivoli": {"role": "store", "name": "rivoli", "location_id": "ST-RIVOLI"},
        }.items():
            api.keys[name] = (await call(api, "POST", "/keys", "admin", key))["secret"]
        # The catalogue and the stock (integration).
        rows = [
            {"sku": "TEE-1", "name": "Tee shirt", "category": "apparel", "prices": {"EUR": 1999}},
            {"sku": "MUG-1", "name": "Mug", "category": "home", "prices": {"EUR": 899}},
        ]
        written = await call(api, "POST", "/products", "integration", {"rows": rows})
        assert (written["applied"], written["rejected"]) == (2, 0)
        stock = [
            {"sku": sku, "location_id": "ST-RIVOLI", "on_hand": 10} for sku in ("TEE-1", "MUG-1")
        ]
        positions = await call(api, "POST", "/inventory/positions", "integration", {"rows": stock})
        assert positions["applied"] == 2

        # The storefront finds the product and orders it.
        found = await api.http.get("/products?q=tee", headers=api.auth("storefront"))
        assert [p["sku"] for p in found.json()["items"]] == ["TEE-1"]
        body = order_body(
            new_id("FRESH"),
            lines=[
                {"line_id": "1", "sku": "TEE-1", "quantity": 2, "unit_price": 1999},
                {"line_id": "2", "sku": "MUG-1", "quantity": 1, "unit_price": 899},
            ],
        )
        await api.place(body)

        waiting = await api.until_fulfilment(
            body["id"], "AWAITING_PICK", location_id="ST-RIVOLI", role="rivoli"
        )
        assert {(line["sku"], line["quantity"]) for line in waiting["lines"]} == {
            ("TEE-1", 2),
            ("MUG-1", 1),
        }
        order = await api.until(
            body["id"], lambda o: o["status"] == "IN_FULFILMENT", role="storefront"
        )
        assert [f["location_id"] for f in order["fulfilments"]] == ["ST-RIVOLI"]
