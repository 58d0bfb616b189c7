"""`oms api` starts while Temporal is away (issue 10): it answers its health as degraded, and
an order placed then is stored and answered 503 (the worker's sweep starts it later), instead
of the API refusing to start at all."""

from __future__ import annotations

import random
import time
from pathlib import Path

import httpx

from oms.db import migrate
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.devserver import free_port
from oms.simulate import new_order
from tests.integration.processes import OmsProcess, demo_data, oms_env


def test_oms_api_serves_while_temporal_is_away(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'oms.db'}"
    migrate.upgrade(url)
    db = Database(url)
    keys = demo_data(db, tmp_path)
    port = free_port()
    env = oms_env(tmp_path, database_url=url, temporal_address=f"127.0.0.1:{free_port()}")
    api = OmsProcess("api", {**env, "OMS_API_HOST": "127.0.0.1", "OMS_API_PORT": str(port)})
    base = f"http://127.0.0.1:{port}"
    try:
        health = None
        deadline = time.monotonic() + 60
        while health is None:
            assert api.proc.poll() is None, api.output()
            assert time.monotonic() < deadline, api.output()
            try:
                health = httpx.get(f"{base}/healthz", timeout=5)
            except httpx.TransportError:
                time.sleep(0.2)
        body = new_order(random.Random(7), "AWAY", 1)
        body["id"] = "AWAY-1"
        body["delivery"] = {
            "method": "ship",
            "address": {
                "name": "Alice",
                "line1": "1 rue de Rivoli",
                "city": "Paris",
                "postal_code": "75001",
                "country": "FR",
                "lat": 48.8566,
                "lon": 2.3522,
            },
        }
        placed = httpx.post(
            f"{base}/orders",
            json=body,
            headers={"Authorization": f"Bearer {keys['storefront']}"},
            timeout=30,
        )
    finally:
        api.stop()

    assert health.status_code == 503
    assert health.json()["database"] == "ok"
    assert health.json()["temporal"].startswith("error")
    assert placed.status_code == 503, placed.text
    assert placed.json()["code"] == "unavailable"
    with db.reading() as s:
        row = order_repo.get_order(s, "AWAY-1")
        assert row is not None
        assert row.status == "RECEIVED"
    db.dispose()
