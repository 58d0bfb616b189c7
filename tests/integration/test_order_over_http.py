"""The whole stack as it runs in production: the Temporal dev server, a worker, the API
served by uvicorn on a real port, and a client speaking HTTP to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from oms.config import Settings
from oms.db import api_keys
from oms.db.engine import Database
from oms.db.tables import Reservation
from oms.devserver import free_port
from tests.factories import order, seed
from tests.workflows.harness import running


@pytest.fixture
async def stack(dev_env: WorkflowEnvironment, db: Database) -> AsyncIterator[dict[str, Any]]:
    seed(
        db,
        {
            ("SKU-TEE", "ST-OPERA"): 10,
            ("SKU-MUG", "ST-OPERA"): 10,
            ("SKU-TEE", "WH-PARIS"): 100,
            ("SKU-MUG", "WH-PARIS"): 100,
        },
    )
    with db.session() as s:
        storefront = api_keys.create_key(s, role="storefront", name="shop")
        store = api_keys.create_key(s, role="store", name="opera", location_id="ST-OPERA")
    async with running(dev_env.client, db) as h:
        port = free_port()
        app = create_app(Settings(task_queue=h.task_queue), db=db, client=dev_env.client)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn only exposes a flag)
            await asyncio.sleep(0.02)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                yield {"http": http, "storefront": storefront, "store": store, "harness": h}
        finally:
            server.should_exit = True
            await serving


async def _poll(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], predicate: Any, attempts: int = 300
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(attempts):
        r = await http.get(url, headers=headers)
        body = r.json()
        if r.status_code == 200 and predicate(body):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached the expected state: {body}")


async def test_an_order_placed_over_http_is_picked_packed_and_completed(
    stack: dict[str, Any],
) -> None:
    http: httpx.AsyncClient = stack["http"]
    shop = {"Authorization": f"Bearer {stack['storefront']}"}
    staff = {"Authorization": f"Bearer {stack['store']}"}

    placed = await http.post("/orders", json=order("HTTP-1").model_dump(mode="json"), headers=shop)
    assert placed.status_code == 201
    assert placed.headers["location"] == "/orders/HTTP-1"

    pick_list = await _poll(
        http, "/locations/ST-OPERA/fulfilments?status=AWAITING_PICK", staff, lambda b: b["items"]
    )
    fulfilment = pick_list["items"][0]
    assert fulfilment["order_id"] == "HTTP-1"
    picked = await http.post(
        f"/fulfilments/{fulfilment['id']}/pick",
        headers=staff,
        json={
            "lines": [
                {"line_id": line["line_id"], "picked": line["quantity"]}
                for line in fulfilment["lines"]
            ]
        },
    )
    assert picked.status_code == 200, picked.text
    packed = await http.post(
        f"/fulfilments/{fulfilment['id']}/pack",
        headers=staff,
        json={"parcels": [{"weight_grams": 1200}]},
    )
    assert packed.status_code == 200, packed.text

    done = await _poll(http, "/orders/HTTP-1", shop, lambda b: b["status"] == "COMPLETED")
    assert done["payment"]["state"] == "captured"
    assert done["payment"]["captured"] == 2 * 1999 + 899
    assert done["fulfilments"][0]["tracking_number"]
    assert {line["state"] for line in done["lines"]} == {"shipped"}
    listed = (await http.get("/orders?status=COMPLETED", headers=shop)).json()
    assert [o["order_id"] for o in listed["items"]] == ["HTTP-1"]


async def test_the_same_order_posted_twenty_times_at_once_makes_one_workflow_and_one_reservation(
    stack: dict[str, Any],
    db: Database,
    dev_env: WorkflowEnvironment,
) -> None:
    http: httpx.AsyncClient = stack["http"]
    shop = {"Authorization": f"Bearer {stack['storefront']}"}
    body = order("DUP-1").model_dump(mode="json")

    responses = await asyncio.gather(
        *[http.post("/orders", json=body, headers=shop) for _ in range(20)]
    )

    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1
    assert codes.count(200) == 19
    await _poll(http, "/orders/DUP-1", shop, lambda b: b["status"] == "IN_FULFILMENT")
    runs = [w async for w in dev_env.client.list_workflows("WorkflowId = 'order-DUP-1'")]
    assert len(runs) == 1
    with db.session() as s:
        held = list(s.exec(select(Reservation).where(Reservation.order_id == "DUP-1")))
    # One entry per order line, from one sourcing step.
    assert sorted((r.line_id, r.qty) for r in held) == [("1", 2), ("2", 1)]
    assert len({r.step_key for r in held}) == 1
