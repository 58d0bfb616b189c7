"""What bench/orders.py runs on: its own Temporal dev server, a seeded SQLite OMS database with
API keys, the orders it places and the order worker (with the workflow runner asked for)."""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.service import RPCError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from bench.orders_figures import process_cpu_s
from oms.db import api_keys
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.db.tables import InventoryPosition, Location, Product
from oms.devserver import free_port, start_dev_args
from oms.domain.order import OrderIn
from oms.temporal import SEARCH_ATTRIBUTE_FLAGS
from workers.main import Dependencies, build_worker
from workers.sandbox import workflow_runner

LOCATIONS: list[dict[str, Any]] = [
    {"id": "WH-PARIS", "name": "Paris warehouse", "type": "warehouse", "lat": 48.70, "lon": 2.40},
    {"id": "ST-OPERA", "name": "Opera store", "type": "store", "lat": 48.871, "lon": 2.332},
    {"id": "ST-BASTILLE", "name": "Bastille store", "type": "store", "lat": 48.853, "lon": 2.369},
    {"id": "ST-LYON", "name": "Lyon store", "type": "store", "lat": 45.76, "lon": 4.835},
]
PRODUCTS: list[dict[str, Any]] = [
    {"sku": "SKU-TEE", "name": "Tee shirt", "category": "apparel", "prices": {"EUR": 1999}},
    {"sku": "SKU-MUG", "name": "Mug", "category": "home", "prices": {"EUR": 899}},
]
# Enough that no order of the run can ever be short of stock anywhere.
STOCK_PER_POSITION = 1_000_000
SANDBOXES = ("passthrough", "default", "off")


@dataclass
class DevServer:
    """A `temporal server start-dev` of our own: its output goes to a file, not our stdout."""

    process: asyncio.subprocess.Process
    client: Client
    address: str
    log: Path

    @classmethod
    async def start(
        cls,
        workdir: Path,
        timeout_s: float = 60.0,
        *,
        data_converter: DataConverter = pydantic_data_converter,
    ) -> DevServer:
        """The server, and a client of it with ``data_converter`` (the OMS's, with its payload
        codec, when the API or a worker of the OMS runs against it too)."""
        log = workdir / "temporal.log"
        port = free_port()
        address = f"127.0.0.1:{port}"
        args = start_dev_args(
            db_file=workdir / "temporal.db", port=port, ui_port=None, log_level="error"
        )
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        server = None
        deadline = time.monotonic() + timeout_s
        while server is None:
            if process.returncode is not None or time.monotonic() > deadline:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
                tail = log.read_text(errors="replace")[-2000:]
                raise SystemExit(f"temporal dev server did not start:\n{tail}")
            try:
                client = await Client.connect(address, data_converter=data_converter)
                listed = await client.operator_service.list_search_attributes(
                    ListSearchAttributesRequest(namespace=client.namespace)
                )
                if set(SEARCH_ATTRIBUTE_FLAGS) <= set(listed.custom_attributes):
                    server = cls(process=process, client=client, address=address, log=log)
            except (RuntimeError, RPCError):
                pass
            if server is None:
                await asyncio.sleep(0.2)
        return server

    def cpu_s(self) -> float | None:
        return process_cpu_s(self.process.pid)

    async def stop(self) -> None:
        if self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


@dataclass(frozen=True)
class Keys:
    """The API keys the bench speaks with: a storefront's, and each location's staff's."""

    storefront: str
    stores: dict[str, str]


def seed(db: Database) -> Keys:
    """Locations, products, stock everywhere, and the keys. No sales channel: POST /orders
    accepts an order of a channel no one configured (it then has no exclusions), and sourcing
    then offers every location, as before the API was part of the run."""
    with db.session() as s:
        for loc in LOCATIONS:
            s.add(Location(country="FR", **loc))
        for p in PRODUCTS:
            s.add(Product(**p))
        s.flush()
        for loc in LOCATIONS:
            for p in PRODUCTS:
                s.add(
                    InventoryPosition(
                        sku=p["sku"], location_id=loc["id"], on_hand=STOCK_PER_POSITION
                    )
                )
        storefront = api_keys.create_key(s, role="storefront", name="bench-storefront")
        stores = {
            loc["id"]: api_keys.create_key(
                s, role="store", name=f"bench-{loc['id']}", location_id=loc["id"]
            )
            for loc in LOCATIONS
        }
    return Keys(storefront=storefront, stores=stores)


def make_order(order_id: str) -> OrderIn:
    """Standard tier, low value, one customer per order: the fraud rules approve it."""
    return OrderIn.model_validate(
        {
            "id": order_id,
            "channel": "web-fr",
            "customer": {"id": f"C-{order_id}", "email": "bench@example.com", "tier": "standard"},
            "lines": [
                {"line_id": "1", "sku": "SKU-TEE", "quantity": 2, "unit_price": 1999},
                {"line_id": "2", "sku": "SKU-MUG", "quantity": 1, "unit_price": 899},
            ],
            "currency": "EUR",
            "delivery": {
                "method": "ship",
                "address": {
                    "name": "Bench",
                    "line1": "1 rue de Rivoli",
                    "city": "Paris",
                    "postal_code": "75001",
                    "country": "FR",
                    "lat": 48.8566,
                    "lon": 2.3522,
                },
            },
            "payment_token": "tok_ok",
        }
    )


def record_intake(db: Database, order: OrderIn, received_at: datetime) -> None:
    """What the API does before starting the workflow: the read-model row."""
    with db.session() as s:
        order_repo.insert_order(s, order, received_at=received_at)


def runner_for(sandbox: str, client: Client) -> WorkflowRunner:
    """passthrough: the worker's own (workers/sandbox.py), as build_worker makes it for the
    client's converter; default: the SDK's sandbox as it ships; off: no sandbox at all."""
    if sandbox == "off":
        return UnsandboxedWorkflowRunner()
    if sandbox == "default":
        return SandboxedWorkflowRunner()
    return workflow_runner(converter=client.data_converter)


def order_worker(
    client: Client, task_queue: str, deps: Dependencies, sandbox: str
) -> tuple[Worker, str]:
    """The order worker and the sandbox it really runs: the one asked for when
    ``build_worker`` takes a runner, else the SDK's default (said on stderr)."""
    if "workflow_runner" in inspect.signature(build_worker).parameters:
        runner: dict[str, Any] = {"workflow_runner": runner_for(sandbox, client)}
        return build_worker(client, task_queue, deps, **runner), sandbox
    print(
        f"bench: --sandbox {sandbox} ignored: workers.main.build_worker takes no "
        "workflow_runner yet, the worker runs the SDK's default sandbox",
        file=sys.stderr,
    )
    return build_worker(client, task_queue, deps), "default"
