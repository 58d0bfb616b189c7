"""One stack for a file of browser tests: a database with the test data, a worker on the
Temporal dev server, the API served by uvicorn on a free port, and one headless Chromium (the
system's, driven by Playwright; nothing is downloaded)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from oms.config import Settings
from oms.db import api_keys
from oms.db.engine import Database
from oms.db.tables import OutboxEvent
from oms.devserver import free_port
from oms.domain.fulfilment_profiles import FulfilmentProfile
from tests.factories import order, seed
from tests.workflows.harness import running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
TEE, MUG, PHONE = "04006381333931", "12345670", "5012345678900"
STOCK = {
    # Paris shipments go to the Opéra store (Bastille holds nothing: its collections come
    # from elsewhere); collections to Lyon.
    ("SKU-TEE", "ST-OPERA"): 50,
    ("SKU-MUG", "ST-OPERA"): 50,
    ("SKU-TEE", "ST-LYON"): 20,
    ("SKU-MUG", "ST-LYON"): 20,
    ("SKU-PHONE", "WH-PARIS"): 10,
}
# Picked fast, in waves; packed; a shipment's label scanned at the carrier's pick-up, a
# collection's code checked at the counter.
STORES = FulfilmentProfile.model_validate(
    {
        "id": "stores",
        "steps": [
            {"type": "pick", "mode": "fast", "waves": {"strategy": "by_item", "max_size": 20}},
            {"type": "pack"},
            {"type": "handover"},
            {"type": "ready_for_collection"},
            {"type": "collected"},
        ],
    }
)
# Lyon scans every unit at the pick and again at the bench.
LYON = FulfilmentProfile.model_validate(
    {
        "id": "lyon",
        "steps": [
            {"type": "pick", "mode": "scan_each"},
            {"type": "verify"},
            {"type": "pack"},
            {"type": "handover"},
            {"type": "ready_for_collection"},
            {"type": "collected"},
        ],
    }
)
POLL = 0.05


def profile_of(_session: Any, location_id: str, _channel: str, _method: Any) -> FulfilmentProfile:
    return LYON if location_id == "ST-LYON" else STORES


@dataclass
class Stack:
    url: str
    http: httpx.AsyncClient
    keys: dict[str, str]
    db: Database

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    async def place(self, order_id: str, **overrides: Any) -> None:
        body = order(order_id, **overrides).model_dump(mode="json")
        placed = await self.http.post("/orders", json=body, headers=self.auth("storefront"))
        assert placed.status_code == 201, placed.text

    async def until(self, url: str, who: str, check: Any, seconds: float = 30) -> Any:
        last: Any = None
        for _ in range(int(seconds / POLL)):
            answer = await self.http.get(url, headers=self.auth(who))
            last = answer.json()
            if answer.status_code == 200 and check(last):
                return last
            await asyncio.sleep(POLL)
        raise AssertionError(f"GET {url} never got there; last answer: {last}")

    async def fulfilment(self, location: str, who: str, order_id: str, check: Any) -> Any:
        def found(body: Any) -> bool:
            return any(f["order_id"] == order_id and check(f) for f in body["items"])

        listed = await self.until(f"/locations/{location}/fulfilments?limit=200", who, found)
        return next(f for f in listed["items"] if f["order_id"] == order_id and check(f))

    async def awaiting_collection(self, order_id: str) -> Any:
        """A Lyon collection placed, picked and verified by scanning, and packed through the
        API: it waits at the counter for the customer's code. Its row as the work list has it."""
        await self.place(order_id, delivery={"method": "collect", "store_id": "ST-LYON"})
        lyon = self.auth("lyon")
        row = await self.fulfilment("ST-LYON", "lyon", order_id, lambda f: f["current_step"])
        scans = f"/fulfilments/{row['id']}/scans"
        for step in ("pick", "verify"):
            await self.fulfilment(
                "ST-LYON",
                "lyon",
                order_id,
                lambda f, s=step: (f["current_step"] or {}).get("key") == s,
            )
            for barcode in (TEE, TEE, MUG):
                scanned = await self.http.post(scans, json={"barcode": barcode}, headers=lyon)
                assert scanned.status_code == 200, scanned.text
            url = f"/fulfilments/{row['id']}/"
            url += "pick" if step == "pick" else "steps/verify/complete"
            done = await self.http.post(url, headers=lyon)
            assert done.status_code == 200, done.text
        await self.fulfilment(
            "ST-LYON", "lyon", order_id, lambda f: (f["current_step"] or {}).get("type") == "pack"
        )
        parcels = {"parcels": [{"weight_grams": 800}]}
        packed = await self.http.post(f"/fulfilments/{row['id']}/pack", json=parcels, headers=lyon)
        assert packed.status_code == 200, packed.text
        return await self.fulfilment(
            "ST-LYON",
            "lyon",
            order_id,
            lambda f: (f["current_step"] or {}).get("type") == "collected",
        )

    async def collected(self, order_id: str) -> None:
        """A Lyon collection picked, packed and collected through the API."""
        row = await self.awaiting_collection(order_id)
        code = {"code": self.collection_code(order_id)}
        url = f"/fulfilments/{row['id']}/collect"
        answer = await self.http.post(url, json=code, headers=self.auth("lyon"))
        assert answer.status_code == 200, answer.text

    async def returned_at_lyon(self, order_id: str) -> str:
        """A Lyon collection collected, then one unit asked back at the Lyon counter: the
        return's id."""
        await self.collected(order_id)
        request = {
            "lines": [{"line_id": "1", "quantity": 1}],
            "reason_code": "changed_mind",
            "method": "in_store",
            "location_id": "ST-LYON",
        }
        asked = await self.http.post(
            f"/orders/{order_id}/returns", json=request, headers=self.auth("analyst")
        )
        assert asked.status_code == 201, asked.text
        return str(asked.json()["return_id"])

    def collection_code(self, order_id: str) -> str:
        with self.db.reading() as s:
            events = s.exec(select(OutboxEvent).where(OutboxEvent.order_id == order_id))
            [code] = [
                e.payload["collection_code"]
                for e in events
                if e.type == "fulfilment.ready_for_collection"
            ]
        return str(code)


def _keys(db: Database) -> dict[str, str]:
    with db.session() as s:
        made = {
            role: api_keys.create_key(
                s, role=role, name=f"ana-{role}" if role == "analyst" else role
            )
            for role in ("storefront", "analyst", "integration", "admin")
        }
        stores = (("opera", "ST-OPERA"), ("lyon", "ST-LYON"), ("bastille", "ST-BASTILLE"))
        for name, location in stores:
            made[name] = api_keys.create_key(s, role="store", name=name, location_id=location)
    return made


@asynccontextmanager
async def serving(dev_env: WorkflowEnvironment, db: Database) -> AsyncIterator[Stack]:
    seed(db, STOCK)
    keys = _keys(db)
    async with running(dev_env.client, db, profiles=profile_of) as h:
        port = free_port()
        app = create_app(Settings(task_queue=h.task_queue), db=db, client=dev_env.client)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        serving_task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn only exposes a flag)
            await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                items = [
                    {"sku": "SKU-TEE", "barcodes": [TEE]},
                    {"sku": "SKU-MUG", "barcodes": [MUG]},
                    {"sku": "SKU-PHONE", "barcodes": [PHONE]},
                ]
                put = await http.put(
                    "/products/barcodes",
                    json={"items": items},
                    headers={"Authorization": f"Bearer {keys['integration']}"},
                )
                assert put.status_code == 200, put.text
                yield Stack(url=url, http=http, keys=keys, db=db)
        finally:
            server.should_exit = True
            await serving_task


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"
