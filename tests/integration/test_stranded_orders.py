"""An order accepted while Temporal is unreachable is stored, answered 503, and started by the
worker's sweep once Temporal answers again: no order stays RECEIVED for ever."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from oms.config import Settings
from oms.db import api_keys, payments
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.devserver import find_binary
from oms.domain.order import STORED_PAYMENT_TOKEN, OrderIn, OrderStatus, PaymentState
from oms.services.order_runs import start_stranded, stranded
from tests.api.conftest import order_body
from tests.factories import seed
from tests.workflows.harness import running, until


async def test_an_order_stored_while_temporal_was_down_is_started_once_it_is_back(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    with db.session() as s:
        key = api_keys.create_key(s, role="storefront", name="shop")
    # Given an API whose Temporal server has stopped since it connected
    gone = await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal"), data_converter=pydantic_data_converter
    )
    down = gone.client
    await gone.shutdown()
    body = order_body()
    async with running(dev_env.client, db) as h:
        settings = Settings(task_queue=h.task_queue, stranded_order_after=timedelta(0))
        app = create_app(settings, db=db, client=down)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://oms") as http:
            answer = await http.post(
                "/orders", json=body, headers={"Authorization": f"Bearer {key}"}
            )

        # Then the order is refused for now but kept, waiting to be started
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "unavailable"
        with db.reading() as s:
            row = order_repo.get_order(s, body["id"])
            assert row is not None
            assert row.status == OrderStatus.RECEIVED.value
        assert [o.id for o in stranded(db, before=row.created_at + timedelta(seconds=1))] == [
            body["id"]
        ]
        # (an order a sweep found started already is left out of its next rounds)
        assert stranded(db, before=row.created_at + timedelta(seconds=1), skip={body["id"]}) == []

        # When the sweep runs with Temporal back, it starts it, once
        started = await start_stranded(db, dev_env.client, settings)
        again = await start_stranded(db, dev_env.client, settings)
        view = await until(h, body["id"], lambda v: bool(v.fulfilments))

    assert started == [body["id"]]
    assert again == []
    assert view.status is OrderStatus.IN_FULFILMENT


async def test_an_order_stored_before_tokens_were_kept_apart_is_started_and_paid(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    order = OrderIn.model_validate(order_body())
    with db.session() as s:  # as rows were written before migration 0009: the token inside
        order_repo.insert_order(s, order, received_at=datetime.now(UTC) - timedelta(minutes=5))
        row = order_repo.get_order(s, order.id)
        assert row is not None
        row.payload = order.model_dump(mode="json")
        s.add(row)
        payments.forget_token(s, order.id)
    async with running(dev_env.client, db) as h:
        settings = Settings(task_queue=h.task_queue, stranded_order_after=timedelta(0))
        started = await start_stranded(db, dev_env.client, settings)
        view = await until(h, order.id, lambda v: bool(v.fulfilments))

    assert started == [order.id]
    assert view.payment.state is PaymentState.AUTHORIZED
    with db.reading() as s:
        row = order_repo.get_order(s, order.id)
        assert row is not None
        assert row.payload["payment_token"] == STORED_PAYMENT_TOKEN
