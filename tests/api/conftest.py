"""The API in-process over ASGI, with a real worker on the Temporal dev server behind it.

Every test gets a fresh database, one key per role and a worker on its own task queue. The
dev server lives for the whole session, so order ids carry a random suffix: a workflow id
left by an earlier test would otherwise swallow a new order.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send
from temporalio.testing import WorkflowEnvironment

from activities.sourcing import ProfileChoice
from api.app import create_app
from oms.config import Settings
from oms.db import api_keys
from oms.db.engine import Database
from oms.db.tables import Location
from oms.domain.fulfilment_profiles import FulfilmentProfile
from tests.factories import order, seed
from tests.workflows.harness import Harness, running

PHONE = 89900
# Every order of these tests is fulfilled at the Opéra store: nothing is stocked elsewhere.
STOCK = {
    ("SKU-TEE", "ST-OPERA"): 100,
    ("SKU-MUG", "ST-OPERA"): 100,
    ("SKU-JEAN", "ST-OPERA"): 100,
    ("SKU-PHONE", "ST-OPERA"): 100,
}
POLL_SECONDS = 20.0

Json = dict[str, Any]


def new_id(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def order_body(order_id: str | None = None, **overrides: Any) -> Json:
    """A valid order for 2 tees and a mug, shipped to Paris, by a customer of its own (so the
    velocity rule never fires between orders of one test)."""
    order_id = order_id or new_id("O")
    overrides.setdefault(
        "customer", {"id": f"C-{order_id}", "email": "alice@example.com", "tier": "standard"}
    )
    return order(order_id, **overrides).model_dump(mode="json")


def phone_body(order_id: str | None = None, phones: int = 1) -> Json:
    """A new customer with no history buying phones: risky enough for a manual review."""
    order_id = order_id or new_id("R")
    return order_body(
        order_id,
        customer={"id": f"C-{order_id}", "email": "new@example.com", "tier": "new"},
        lines=[{"line_id": "1", "sku": "SKU-PHONE", "quantity": phones, "unit_price": PHONE}],
    )


def close_store(db: Database, store_id: str) -> None:
    """The store closes (``is_open`` false): no collection may be placed or moved there."""
    with db.session() as s:
        store = s.get(Location, store_id)
        assert store is not None
        store.is_open = False
        s.add(store)


def collect_body(order_id: str | None = None, store_id: str = "ST-OPERA") -> Json:
    return order_body(order_id, delivery={"method": "collect", "store_id": store_id})


def full_pick(fulfilment: Json) -> Json:
    return {
        "lines": [
            {"line_id": line["line_id"], "picked": line["quantity"]} for line in fulfilment["lines"]
        ]
    }


def error_of(response: httpx.Response) -> Json:
    """The error body, checked for the shape every error shares."""
    body: Json = response.json()
    assert set(body) == {"code", "field", "reason", "errors"}, body
    assert isinstance(body["reason"], str)
    assert body["reason"]
    return body


@dataclass
class Api:
    """The client plus one key per role: storefront, analyst, integration, admin, and the
    store keys "opera" (ST-OPERA) and "bastille" (ST-BASTILLE)."""

    http: httpx.AsyncClient
    keys: dict[str, str]
    db: Database
    harness: Harness

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    async def place(self, body: Json) -> Json:
        response = await self.http.post("/orders", json=body, headers=self.auth("storefront"))
        assert response.status_code == 201, response.text
        placed: Json = response.json()
        return placed

    async def until(
        self,
        order_id: str,
        predicate: Callable[[Json], bool],
        *,
        role: str = "analyst",
        seconds: float = POLL_SECONDS,
    ) -> Json:
        """GET /orders/{id} until ``predicate(body)`` holds."""
        return await self._poll(f"/orders/{order_id}", predicate, role, seconds)

    async def until_fulfilment(
        self, order_id: str, status: str, *, location_id: str = "ST-OPERA", role: str = "opera"
    ) -> Json:
        """The order's fulfilment as the location's list shows it, once it has this status."""
        page = await self._poll(
            f"/locations/{location_id}/fulfilments?status={status}",
            lambda b: any(f["order_id"] == order_id for f in b["items"]),
            role,
            POLL_SECONDS,
        )
        found: Json = next(f for f in page["items"] if f["order_id"] == order_id)
        return found

    async def until_step(self, order_id: str, key: str, *, location_id: str = "ST-OPERA") -> Json:
        """The order's fulfilment as the location's list shows it, once the step to work on
        is ``key``."""

        def there(f: Json) -> bool:
            return f["order_id"] == order_id and (f["current_step"] or {}).get("key") == key

        page = await self._poll(
            f"/locations/{location_id}/fulfilments?limit=200",
            lambda b: any(there(f) for f in b["items"]),
            "opera",
            POLL_SECONDS,
        )
        found: Json = next(f for f in page["items"] if there(f))
        return found

    async def awaiting_pick(self, body: Json) -> Json:
        """Place the order and answer its fulfilment once it is on the Opéra pick list."""
        await self.place(body)
        return await self.until_fulfilment(body["id"], "AWAITING_PICK")

    async def _poll(
        self, url: str, predicate: Callable[[Json], bool], role: str, seconds: float
    ) -> Json:
        deadline = asyncio.get_running_loop().time() + seconds
        last: Any = None
        while asyncio.get_running_loop().time() < deadline:
            response = await self.http.get(url, headers=self.auth(role))
            last = (response.status_code, response.text)
            if response.status_code == 200 and predicate(response.json()):
                body: Json = response.json()
                return body
            await asyncio.sleep(0.05)
        raise AssertionError(f"GET {url} never satisfied the condition; last answer: {last}")


def _seeded(db: Database) -> dict[str, str]:
    """The test data and a key per role (and the Opéra and Bastille stores' keys)."""
    seed(db, STOCK)
    with db.session() as s:
        made = {
            role: api_keys.create_key(s, role=role, name=f"test-{role}")
            for role in ("storefront", "analyst", "integration", "admin")
        }
        made["opera"] = api_keys.create_key(s, role="store", name="opera", location_id="ST-OPERA")
        made["bastille"] = api_keys.create_key(
            s, role="store", name="bastille", location_id="ST-BASTILLE"
        )
    return made


def _admin_only(db: Database) -> dict[str, str]:
    """Nothing but one admin key, as `oms keys create --role admin` makes it."""
    with db.session() as s:
        return {"admin": api_keys.create_key(s, role="admin", name="ops")}


@asynccontextmanager
async def serving(
    dev_env: WorkflowEnvironment,
    db: Database,
    profiles: ProfileChoice | None = None,
    *,
    fresh: bool = False,
    patch_level: int = 0,
) -> AsyncIterator[Api]:
    """The API and a worker over ``db``: seeded with the test data and a key per role, or,
    ``fresh``, left as it is with one admin key. The API starts runs at ``patch_level``
    (``OMS_PATCH_LEVEL``), production's default unless a test says otherwise, whatever the
    environment sets."""
    made = _admin_only(db) if fresh else _seeded(db)
    async with running(dev_env.client, db, profiles=profiles) as h:
        # Webhooks go to this machine only, whatever URL a generated request names.
        settings = Settings(
            task_queue=h.task_queue,
            webhook_allowed_hosts=["127.0.0.1"],
            patch_level=patch_level,
        )
        app = create_app(settings, db=db, client=dev_env.client)
        answers = Answers(app)
        transport = httpx.ASGITransport(app=answers)
        async with httpx.AsyncClient(transport=transport, base_url="http://oms") as http:
            yield Api(http=http, keys=made, db=db, harness=h)
    undeclared = answers.undeclared()
    assert not undeclared, f"answers their OpenAPI operation does not declare: {undeclared}"


@pytest.fixture
async def api(dev_env: WorkflowEnvironment, db: Database) -> AsyncIterator[Api]:
    """Fulfilments run as before profiles (revision 2)."""
    async with serving(dev_env, db) as served:
        yield served


# A boutique's way: every unit scanned, checked again at the bench, a photo when staff can.
BOUTIQUE = FulfilmentProfile.model_validate(
    {
        "id": "boutique",
        "steps": [
            {"type": "pick", "mode": "scan_each"},
            {"type": "verify"},
            {"type": "photo", "required": False},
            {"type": "pack"},
            {"type": "label"},
            {"type": "handover"},
            {"type": "ready_for_collection"},
            {"type": "collected"},
        ],
    }
)


@pytest.fixture
async def api_with_profiles(dev_env: WorkflowEnvironment, db: Database) -> AsyncIterator[Api]:
    """Fulfilments run the steps of the ``BOUTIQUE`` profile, at every location."""
    async with serving(dev_env, db, lambda _s, _loc, _channel, _method: BOUTIQUE) as served:
        yield served


_DOCUMENTS: dict[str, dict[str, Any]] = {}


def _declared(app: FastAPI) -> dict[str, Any]:
    """The operations of the app's OpenAPI document. Every test's app has the same routes, so
    the document (half a second to build) is built once for the whole run."""
    if "paths" not in _DOCUMENTS:
        _DOCUMENTS["paths"] = app.openapi()["paths"]
    return _DOCUMENTS["paths"]


class Answers:
    """The app, noting every (method, path, status) it answers, so that a test fails when an
    operation answers a status its OpenAPI document does not declare."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.seen: set[tuple[str, str, int]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        statuses: list[int] = []

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            await send(message)

        await self.app(scope, receive, noting)
        route = scope.get("route")
        # No route: a path the API does not have (404 not_found), outside any operation.
        if statuses and route is not None and scope["method"] in (route.methods or ()):
            self.seen.add((scope["method"], route.path_format, statuses[0]))

    def undeclared(self) -> list[tuple[str, str, int]]:
        paths = _declared(self.app)
        # Routes kept out of the document (the console's files) declare nothing.
        return sorted(
            (method, path, status)
            for method, path, status in self.seen
            if path in paths and str(status) not in paths[path][method.lower()]["responses"]
        )
