"""While the database cannot be reached, every request is answered 503 `unavailable` in the
JSON error shape with Retry-After, never a plain 500, and nothing is half done."""

from __future__ import annotations

import httpx
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from oms.config import Settings
from oms.db.engine import Database
from oms.devserver import free_port
from tests.api.conftest import order_body


async def test_every_request_answers_503_while_the_database_is_away(
    dev_env: WorkflowEnvironment,
) -> None:
    # Nothing listens on this port: every connection is refused, as during an outage.
    away = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test")
    app = create_app(Settings(), db=away, client=dev_env.client)
    key = {"Authorization": "Bearer oms_storefront_x_y"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://oms") as http:
        answers = [
            await http.get("/orders", headers=key),
            await http.get("/availability", params={"channel": "web-fr", "skus": "A"}, headers=key),
            await http.post("/orders", json=order_body(), headers=key),
            await http.put("/carts/C1/hold", json={"channel": "web-fr", "lines": []}, headers=key),
        ]
    away.dispose()

    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "unavailable"
        assert answer.headers["Retry-After"] == "5"
