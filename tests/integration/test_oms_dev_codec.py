"""`oms dev` seals payloads with a key it keeps under OMS_HOME, and its Temporal UI decodes them:
the UI's codec endpoint, called as the UI calls it from a browser (a preflight, then a POST
with no header of the OMS's), opens an order whose history shows nothing of the customer."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from oms.devserver import free_port
from oms.keys import order_workflow_id
from oms.payload_keys import DEV_KEY_FILE
from tests.integration.test_oms_dev import ORDER, oms_dev

EMAIL = "dev.codec@example.com"


async def started_input(temporal_port: int, workflow_id: str) -> tuple[Payload, bytes]:
    """The order's workflow input and its whole history, as a Temporal client without the
    OMS's codec reads them."""
    client = await Client.connect(f"127.0.0.1:{temporal_port}")
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    raw = b"".join(e.SerializeToString() for e in history.events)
    return started.input.payloads[0], raw


def as_json(payload: Payload) -> dict[str, Any]:
    b64 = base64.b64encode
    return {
        "metadata": {k: b64(v).decode() for k, v in payload.metadata.items()},
        "data": b64(payload.data).decode(),
    }


def test_the_dev_ui_decodes_through_the_api_what_temporal_keeps_sealed(tmp_path: Path) -> None:
    ports = {
        "OMS_API_PORT": free_port(),
        "OMS_TEMPORAL_PORT": free_port(),
        "OMS_UI_PORT": free_port(),
    }
    ui = f"http://127.0.0.1:{ports['OMS_UI_PORT']}"
    body = {**ORDER, "id": "DEV-CODEC-1", "customer": {**ORDER["customer"], "email": EMAIL}}
    with oms_dev(tmp_path, ports) as base:
        assert (tmp_path / DEV_KEY_FILE).exists()
        keys = json.loads((tmp_path / "dev-keys.json").read_text())
        shop = {"Authorization": f"Bearer {keys['storefront']}"}
        placed = httpx.post(f"{base}/orders", json=body, headers=shop, timeout=10)
        assert placed.status_code == 201, placed.text
        sealed, raw = asyncio.run(
            started_input(ports["OMS_TEMPORAL_PORT"], order_workflow_id("DEV-CODEC-1"))
        )
        assert EMAIL.encode() not in raw

        # What the UI was started with: the API's codec, and nothing to send but the body
        settings = httpx.get(f"{ui}/api/v1/settings", timeout=10).json()["Codec"]
        endpoint = settings["Endpoint"]
        assert endpoint.startswith(f"{base}/codec/")
        assert not settings["PassAccessToken"]
        assert not settings["IncludeCredentials"]

        preflight = httpx.options(
            f"{endpoint}/decode",
            headers={
                "Origin": ui,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-namespace",
            },
            timeout=10,
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == ui
        decoded = httpx.post(
            f"{endpoint}/decode",
            json={"payloads": [as_json(sealed)]},
            headers={"Origin": ui, "X-Namespace": "default"},
            timeout=10,
        )
        assert decoded.status_code == 200, decoded.text
        assert decoded.headers["access-control-allow-origin"] == ui
        (opened,) = decoded.json()["payloads"]
        order_input = json.loads(base64.b64decode(opened["data"]))
        assert order_input["order"]["customer"]["email"] == EMAIL

        # The temporal CLI sends the key as a header (docs/operations.md)
        show = [
            str(Path(sys.executable).parent / "temporal"),
            "workflow", "show", "--workflow-id", order_workflow_id("DEV-CODEC-1"),
            "--output", "json", "--address", f"127.0.0.1:{ports['OMS_TEMPORAL_PORT']}",
        ]  # fmt: skip
        codec = ["--codec-endpoint", f"{base}/codec", "--codec-auth", f"Bearer {keys['analyst']}"]
        assert EMAIL.encode() not in cli_input(show)
        assert EMAIL.encode() in cli_input([*show, *codec])


def cli_input(command: list[str]) -> bytes:
    """The order's workflow input as `temporal workflow show` prints it."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    started = json.loads(done.stdout)["events"][0]["workflowExecutionStartedEventAttributes"]
    return base64.b64decode(started["input"]["payloads"][0]["data"])
