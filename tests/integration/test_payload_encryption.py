"""Nothing secret in Temporal: an order placed through the API, run by a worker, both connected
as `oms api` and `oms worker` connect (oms.temporal.connect, payload encryption on), leaves
histories in which whoever reads Temporal without the OMS's keys finds no customer's email,
address or payment token; with the codec, the workflow input is the order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from oms.codec import ENCODING
from oms.config import Settings
from oms.contracts.orders import OrderWorkflowInput
from oms.db import api_keys
from oms.db.engine import Database
from oms.devserver import free_port
from oms.keys import fulfilment_workflow_id, order_workflow_id
from oms.payload_keys import new_key
from oms.temporal import connect
from tests.api.conftest import new_id, order_body
from tests.factories import seed
from tests.workflows.harness import running, until

EMAIL = "encrypted.customer@example.com"
STREET = "1 rue de Rivoli"


def readable(history: WorkflowHistory) -> bytes:
    """Every byte of a history as Temporal stores and serves it: what its UI and CLI show."""
    return b"".join(event.SerializeToString() for event in history.events)


async def test_a_new_orders_histories_hide_the_customer_and_the_codec_reads_the_order(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    with db.session() as s:
        shop = api_keys.create_key(s, role="storefront", name="shop")
    settings = Settings(
        temporal_address=dev_env.client.service_client.config.target_host,
        temporal_namespace=dev_env.client.namespace,
        payload_keys=SecretStr(new_key("acceptance")),
    )
    client = await connect(settings)
    body = order_body(new_id("ENC"), customer={"id": "C-ENC", "email": EMAIL, "tier": "standard"})
    token = body["payment_token"]
    assert STREET in str(body)

    # Given an order placed over HTTP and run until its fulfilment started
    async with running(client, db) as h:
        app = create_app(
            settings.model_copy(update={"task_queue": h.task_queue}), db=db, client=client
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://oms") as http:
            placed = await http.post(
                "/orders", json=body, headers={"Authorization": f"Bearer {shop}"}
            )
            assert placed.status_code == 201, placed.text
        view = await until(h, body["id"], lambda v: bool(v.fulfilments))

        # When its histories are read without the codec (the dev server's own client)
        order_history = await dev_env.client.get_workflow_handle(
            order_workflow_id(body["id"])
        ).fetch_history()
        fulfilment_history = await dev_env.client.get_workflow_handle(
            fulfilment_workflow_id(view.fulfilments[0].fulfilment_id)
        ).fetch_history()

    # Then neither shows the customer's email, address or payment token anywhere
    for history in (order_history, fulfilment_history):
        raw = readable(history)
        assert len(raw) > 1000  # the histories hold the run's steps
        assert EMAIL.encode() not in raw
        assert STREET.encode() not in raw
        assert token.encode() not in raw
    started = order_history.events[0].workflow_execution_started_event_attributes
    (sealed,) = started.input.payloads
    assert sealed.metadata["encoding"] == ENCODING

    # And with the codec the workflow input is the order placed
    (decoded,) = await client.data_converter.decode([sealed], [OrderWorkflowInput])
    assert isinstance(decoded, OrderWorkflowInput)
    assert decoded.order.id == body["id"]
    assert decoded.order.customer.email == EMAIL


@pytest.mark.parametrize("command", ["worker", "api"])
def test_a_worker_or_api_without_keys_refuses_to_start_and_names_the_setting(
    command: str, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OMS_PAYLOAD_")},
        "OMS_HOME": str(tmp_path),
        "OMS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # never reached
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "oms"), command],
        cwd=tmp_path,  # no .env of the checkout's
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "OMS_PAYLOAD_KEYS" in done.stderr
    assert "OMS_PAYLOAD_ENCRYPTION=false" in done.stderr
