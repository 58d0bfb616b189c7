"""Every line a worker and an API write is one JSON object, with orders flowing through both
at once, and the lines about an order name it (issue 10, logs): structlog's, the Temporal
SDK's and uvicorn's alike."""

from __future__ import annotations

import io
import json
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from oms.db.engine import Database
from oms.keys import fulfilment_workflow_id, order_workflow_id
from oms.simulate import simulate
from tests.integration.processes import (
    OmsProcess,
    api_process,
    demo_data,
    oms_env,
    temporal_dev_server,
)
from tests.integration.test_oms_dev import ORDER

SHOPPERS = 4
ORDERS_EACH = 5


def records(process: OmsProcess) -> tuple[list[dict[str, Any]], list[str]]:
    """A process's lines read as JSON: the objects, and every line that is not one."""
    parsed: list[dict[str, Any]] = []
    bad: list[str] = []
    for stream, lines in process.lines.items():
        for raw in lines:
            text = raw.decode(errors="replace")
            try:
                value = json.loads(text)
            except ValueError:
                value = None
            if isinstance(value, dict):
                parsed.append(value)
            else:
                bad.append(f"{process.command} {stream}: {text!r}")
    return parsed, bad


def uvicorn_refuses(base: str) -> None:
    """Bytes that are no HTTP request: uvicorn answers 400 and logs a warning of its own."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"\x00\x01 not http at all\r\n\r\n")
        conn.recv(1024)


def test_every_line_of_the_worker_and_the_api_is_one_json_object_naming_its_order(
    db: Database, tmp_path: Path
) -> None:
    keys = demo_data(db, tmp_path)
    shop = {"Authorization": f"Bearer {keys['storefront']}"}
    declined = {**ORDER, "id": "LOG-DECLINED", "payment_token": "tok_decline"}
    with temporal_dev_server(tmp_path) as address:
        env = oms_env(tmp_path, database_url=db.url, temporal_address=address)
        worker = OmsProcess("worker", env)
        api, base = api_process(env)
        try:
            # Given orders placed and worked by several shoppers and staff at once, one of
            # them declined by the gateway (the SDK logs the refusal with its traceback), and
            # a request uvicorn refuses by itself
            placed = httpx.post(f"{base}/orders", json=declined, headers=shop, timeout=10)
            assert placed.status_code == 201, placed.text
            uvicorn_refuses(base)
            outs = [io.StringIO() for _ in range(SHOPPERS)]
            with ThreadPoolExecutor(SHOPPERS) as pool:
                ended = list(
                    pool.map(
                        lambda n: simulate(
                            base, keys, orders=ORDERS_EACH, timeout=120, seed=n, out=outs[n]
                        ),
                        range(SHOPPERS),
                    )
                )
            assert all(ended), [o.getvalue() for o in outs]
            listed = httpx.get(f"{base}/orders", params={"limit": 100}, headers=shop, timeout=10)
            views = [
                httpx.get(f"{base}/orders/{o['order_id']}", headers=shop, timeout=10).json()
                for o in listed.json()["items"]
            ]
        finally:
            # When both stop
            api.stop()
            worker.stop()

    # Then every line of both is one JSON object
    worker_lines, worker_bad = records(worker)
    api_lines, api_bad = records(api)
    assert not worker_bad + api_bad, "\n".join((worker_bad + api_bad)[:20])
    assert len(views) == SHOPPERS * ORDERS_EACH + 1
    assert {v["status"] for v in views if v["order_id"] == declined["id"]} == {"CANCELLED"}

    # and every line from the run of an order or of one of its fulfilments names that order
    order_of_run = {order_workflow_id(v["order_id"]): v["order_id"] for v in views}
    order_of_run |= {
        fulfilment_workflow_id(f["fulfilment_id"]): v["order_id"]
        for v in views
        for f in v["fulfilments"]
    }
    from_runs = [r for r in worker_lines if r.get("workflow_id") in order_of_run]
    assert from_runs
    unnamed = [r for r in from_runs if r.get("order_id") != order_of_run[r["workflow_id"]]]
    assert not unnamed, unnamed[:5]
    # (the activities' lines among them, shipments booked included, and the workflows')
    events = {r["event"] for r in from_runs}
    assert {"shipment_booked", "payment_captured", "order_status_changed"} <= events, events

    # and every order is named by the lines of both processes
    for v in views:
        oid = v["order_id"]
        assert any(r.get("order_id") == oid for r in worker_lines), oid
        assert any(r.get("order_id") == oid and r["event"] == "order_placed" for r in api_lines)

    # and the SDK's own line about the refusal is one line too, traceback and order inside
    sdk = [
        r
        for r in worker_lines
        if r.get("logger") == "temporalio.activity" and r.get("order_id") == declined["id"]
    ]
    assert sdk, [r for r in worker_lines if r.get("order_id") == declined["id"]]
    assert any("PaymentDeclined" in r.get("exception", "") for r in sdk), sdk
    assert all(r["workflow_id"] == order_workflow_id(declined["id"]) for r in sdk)

    # and so is uvicorn's
    refused = [r for r in api_lines if r.get("logger", "").startswith("uvicorn")]
    assert any("Invalid HTTP request" in r["event"] for r in refused), api_lines[-20:]
