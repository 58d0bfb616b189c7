"""`oms dev` (what `make dev` runs) as a user runs it: start, use, Ctrl-C, start again."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from oms.devserver import free_port
from tests.factories import PARIS

ORDER = {
    "channel": "web-fr",
    "customer": {"id": "C1", "email": "a@example.com", "tier": "standard"},
    "lines": [{"line_id": "1", "sku": "HOM-002", "quantity": 1, "unit_price": 2499}],
    "currency": "EUR",
    "delivery": {
        "method": "ship",
        "address": {
            "name": "A",
            "line1": "1 rue",
            "city": "Paris",
            "postal_code": "75001",
            "country": "FR",
            **PARIS,
        },
    },
    "payment_token": "tok_ok",
}


@contextmanager
def oms_dev(home: Path, ports: dict[str, int]) -> Iterator[str]:
    env = {
        **os.environ,
        "OMS_HOME": str(home),
        "OMS_LOG_LEVEL": "WARNING",
        **{k: str(v) for k, v in ports.items()},
    }
    env.pop("OMS_DATABASE_URL", None)
    oms = Path(sys.executable).parent / "oms"
    proc = subprocess.Popen(
        [str(oms), "dev"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{ports['OMS_API_PORT']}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "oms dev did not become healthy"
            time.sleep(0.3)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, out.decode()
    assert b"stopped" in out
    # The banner says where the web console is.
    assert f"Console      {base}/console".encode() in out


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_oms_dev_serves_demo_data_stops_on_ctrl_c_and_keeps_orders_across_restarts(
    tmp_path: Path,
) -> None:
    ports = {
        "OMS_API_PORT": free_port(),
        "OMS_TEMPORAL_PORT": free_port(),
        "OMS_UI_PORT": free_port(),
    }
    body = {**ORDER, "id": "DEV-1"}
    with oms_dev(tmp_path, ports) as base:
        keys = json.loads((tmp_path / "dev-keys.json").read_text())
        assert {"storefront", "analyst", "integration", "admin", "store:ST-PARIS-OPERA"} <= set(
            keys
        )
        shop = {"Authorization": f"Bearer {keys['storefront']}"}
        placed = httpx.post(f"{base}/orders", json=body, headers=shop, timeout=10)
        assert placed.status_code == 201, placed.text
        assert httpx.get(f"{base}/openapi.json", timeout=5).status_code == 200
        assert "OMS console" in httpx.get(f"{base}/console/", timeout=5).text
    assert not _port_open(ports["OMS_TEMPORAL_PORT"])
    assert not _port_open(ports["OMS_API_PORT"])

    with oms_dev(tmp_path, ports) as base:
        again = json.loads((tmp_path / "dev-keys.json").read_text())
        assert again == keys
        shop = {"Authorization": f"Bearer {keys['storefront']}"}
        listed = httpx.get(f"{base}/orders", headers=shop, timeout=10).json()
        assert [o["order_id"] for o in listed["items"]] == ["DEV-1"]
        view = httpx.get(f"{base}/orders/DEV-1", headers=shop, timeout=10).json()
        assert view["order_id"] == "DEV-1"
        assert view["timeline"][0]["type"] == "order_received"


def test_oms_simulate_sees_its_orders_through_sends_some_to_fraud_review_and_leaves_others_alone(
    tmp_path: Path,
) -> None:
    ports = {
        "OMS_API_PORT": free_port(),
        "OMS_TEMPORAL_PORT": free_port(),
        "OMS_UI_PORT": free_port(),
    }
    env = {**os.environ, "OMS_HOME": str(tmp_path), **{k: str(v) for k, v in ports.items()}}
    env.pop("OMS_DATABASE_URL", None)
    # Someone else's order, held for review like the README's: the simulation must not decide it.
    theirs = {
        **ORDER,
        "id": "WEB-OTHER",
        "customer": {"id": "CUST-42", "email": "c@example.com", "tier": "new"},
        "lines": [{"line_id": "1", "sku": "ELE-002", "quantity": 1, "unit_price": 9499}],
    }
    with oms_dev(tmp_path, ports) as base:
        keys = json.loads((tmp_path / "dev-keys.json").read_text())
        shop = {"Authorization": f"Bearer {keys['storefront']}"}
        placed = httpx.post(f"{base}/orders", json=theirs, headers=shop, timeout=10)
        assert placed.status_code == 201, placed.text
        done = subprocess.run(
            [str(Path(sys.executable).parent / "oms"), "simulate", "--orders", "20"],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        listed = httpx.get(f"{base}/orders", params={"limit": 50}, headers=shop, timeout=10)
        views = [
            httpx.get(f"{base}/orders/{o['order_id']}", headers=shop, timeout=10).json()
            for o in listed.json()["items"]
            if o["order_id"] != "WEB-OTHER"
        ]
        # What ops see in Temporal after the simulation (issue 9's acceptance).
        ops = ops_view(base, keys, env)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert ops.other_status == "AWAITING_REVIEW"
    ours = [v for v in views if v["order_id"].startswith("SIM-")]
    assert len(ours) == 20
    # Every order ended; each one that did not simply complete is named with its reason.
    assert all(v["status"] in ("COMPLETED", "CANCELLED") for v in ours), out
    told = dict(re.findall(r"^  (SIM-\w+-\d+): (.+)$", out, re.MULTILINE))
    for v in ours:
        cancelled_units = any(line["cancelled"] for line in v["lines"])
        if v["status"] == "CANCELLED" or cancelled_units:
            assert v["order_id"] in told, out
        else:
            assert v["order_id"] not in told, out
    completed = sum(v["status"] == "COMPLETED" for v in ours)
    assert f"COMPLETED={completed}" in out
    # Customers are the run's own: none can collide with the walk-through's.
    assert all(v["customer_id"].startswith("SIM-") for v in ours)
    reviewed = [v for v in ours if v["fraud"] and v["fraud"]["review_decision"] == "approve"]
    assert reviewed, out
    assert f"fraud review: {len(reviewed)} of 20 orders" in out
    # The runs waiting on a store are the order nobody picks and its fulfilment; the one
    # waiting on an analyst is the other shop's; the sold-out one is found by its reason.
    assert ops.waiting_on_store == ["fulfilment-WEB-WAIT.F1", "order-WEB-WAIT"]
    assert ops.waiting_on_analyst == ["order-WEB-OTHER"]
    assert "order-WEB-SOLDOUT" in ops.out_of_stock
    by_run = {f"order-{v['order_id']}": v for v in ours}
    for run in set(ops.out_of_stock) - {"order-WEB-SOLDOUT"}:  # the simulation's own, if any
        assert (by_run[run]["status"], by_run[run]["cancel_reason"]) == (
            "CANCELLED",
            "out_of_stock",
        )
    assert "WEB-WAIT · web-fr · 1 line · 24.99 EUR · ship FR" in ops.described
    assert 'oms_orders_placed_total{channel="web-fr"}' in ops.metrics
    assert "oms_http_request_seconds_bucket{" in ops.metrics


@dataclass
class OpsView:
    other_status: str
    waiting_on_store: list[str]
    waiting_on_analyst: list[str]
    out_of_stock: list[str]
    described: str
    metrics: str


def ops_view(base: str, keys: dict[str, str], env: dict[str, str]) -> OpsView:
    """Place an order nobody picks and one whose SKU is sold out everywhere, then ask the
    `temporal` CLI what ops would ask, and read the API's metrics."""
    shop = {"Authorization": f"Bearer {keys['storefront']}"}
    other = httpx.get(f"{base}/orders/WEB-OTHER", headers=shop, timeout=10).json()
    waiting = {**ORDER, "id": "WEB-WAIT", "customer": {**ORDER["customer"], "id": "C-WAIT"}}
    assert httpx.post(f"{base}/orders", json=waiting, headers=shop, timeout=10).status_code == 201
    integration = {"Authorization": f"Bearer {keys['integration']}"}
    locations = httpx.get(f"{base}/locations", headers=integration, timeout=10).json()["items"]
    sold_out = [{"sku": "TOY-001", "location_id": loc["id"], "on_hand": 0} for loc in locations]
    zeroed = httpx.post(
        f"{base}/inventory/positions", json={"rows": sold_out}, headers=integration, timeout=10
    )
    assert zeroed.status_code == 200, zeroed.text
    line = {"line_id": "1", "sku": "TOY-001", "quantity": 1, "unit_price": 1799}
    gone = {**ORDER, "id": "WEB-SOLDOUT", "lines": [line]}
    assert httpx.post(f"{base}/orders", json=gone, headers=shop, timeout=10).status_code == 201
    cli = str(Path(sys.executable).parent / "temporal")
    cli_env = {**env, "TEMPORAL_ADDRESS": f"127.0.0.1:{env['OMS_TEMPORAL_PORT']}"}

    def listed(query: str, *want: str) -> list[str]:
        ids: list[str] = []
        for _ in range(100):  # visibility catches up within moments
            done = subprocess.run(
                [cli, "workflow", "list", "--query", query, "--output", "json"],
                env=cli_env,
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert done.returncode == 0, done.stderr
            runs = json.loads(done.stdout or "[]")
            ids = sorted(r["execution"]["workflowId"] for r in runs)
            if set(want) <= set(ids):
                return ids
            time.sleep(0.2)
        return ids

    described = subprocess.run(
        [cli, "workflow", "describe", "--workflow-id", "order-WEB-WAIT"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return OpsView(
        other_status=other["status"],
        waiting_on_store=listed(
            "WaitingOn='store' AND ExecutionStatus='Running'",
            "fulfilment-WEB-WAIT.F1",
            "order-WEB-WAIT",
        ),
        waiting_on_analyst=listed("WaitingOn='analyst'", "order-WEB-OTHER"),
        out_of_stock=listed("CancelReason='out_of_stock'", "order-WEB-SOLDOUT"),
        described=described.stdout + described.stderr,
        metrics=httpx.get(f"{base}/metrics", timeout=10).text,
    )


def test_oms_dev_on_a_port_already_taken_says_so_in_one_line_and_starts_nothing(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        env = {
            **os.environ,
            "OMS_HOME": str(tmp_path),
            "OMS_API_PORT": str(busy),
            "OMS_TEMPORAL_PORT": str(free_port()),
            "OMS_UI_PORT": str(free_port()),
        }
        done = subprocess.run(
            [str(Path(sys.executable).parent / "oms"), "dev"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"oms dev: port {busy} (OMS_API_PORT) already in use: another stack is running, or"
        " set other ports (README: Two commands)"
    )
    assert not (tmp_path / "temporal.db").exists()
