"""Tracing end to end: the API app and a worker on the Temporal dev server, with spans kept in
memory, show one trace from `POST /orders` through the order workflow to its activities."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import httpx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from oms.config import Settings
from oms.db import api_keys
from oms.db.engine import Database
from oms.keys import order_workflow_id
from oms.payload_keys import new_key
from oms.temporal import connect
from oms.tracing import in_memory_tracing
from tests.factories import order, seed
from tests.workflows.harness import running
from workflows.order import OrderWorkflow


def _ancestry(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    """The span, its parent, its parent's parent... as far as the recorded spans go."""
    by_id = {s.context.span_id: s for s in spans if s.context is not None}
    chain = [span]
    while chain[-1].parent is not None and chain[-1].parent.span_id in by_id:
        chain.append(by_id[chain[-1].parent.span_id])
    return chain


def _names(chain: Sequence[ReadableSpan]) -> list[str]:
    """Span names without what follows the colon (the workflow or activity type)."""
    return [s.name.split(":")[0] for s in chain]


async def test_one_trace_runs_from_post_orders_through_the_workflow_to_an_activity(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    # Given the API and a worker, both from a client connected while tracing is on
    seed(db, {("SKU-TEE", "ST-OPERA"): 10, ("SKU-MUG", "ST-OPERA"): 10})
    with db.session() as s:
        key = api_keys.create_key(s, role="storefront", name="shop")
    order_id = f"TRACE-{uuid.uuid4().hex[:10]}"
    target = dev_env.client.service_client.config.target_host
    with in_memory_tracing() as exporter:
        settings = Settings(temporal_address=target, payload_keys=SecretStr(new_key("t")))
        client = await connect(settings)
        async with running(client, db) as h:
            h.started.append(
                client.get_workflow_handle_for(OrderWorkflow.run, order_workflow_id(order_id))
            )
            app = create_app(Settings(task_queue=h.task_queue), db=db, client=client)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://oms") as http:
                # When a storefront places an order
                placed = await http.post(
                    "/orders",
                    json=order(order_id).model_dump(mode="json"),
                    headers={"Authorization": f"Bearer {key}"},
                )
                assert placed.status_code == 201, placed.text

            # Then the request's span is the root of a trace that reaches an activity's run
            chain: list[ReadableSpan] = []
            for _ in range(400):
                spans = exporter.get_finished_spans()
                chain = next(
                    (
                        c
                        for s in spans
                        if s.name.startswith("RunActivity:")
                        and (c := _ancestry(s, spans))[-1].name == "POST /orders"
                    ),
                    [],
                )
                if chain:
                    break
                await asyncio.sleep(0.05)
            assert chain, f"no activity traced back to the request: {_names(spans)}"

    request = chain[-1]
    assert request.parent is None
    assert request.kind is SpanKind.SERVER
    assert request.attributes is not None
    assert request.attributes.get("http.route") == "/orders"
    # The activity's run, its start in the workflow, the workflow's start by the API.
    assert _names(chain) == ["RunActivity", "StartActivity", "StartWorkflow", "POST /orders"]
    start = chain[2]
    assert start.name == "StartWorkflow:OrderWorkflow"
    assert start.attributes is not None
    assert start.attributes.get("temporalWorkflowID") == order_workflow_id(order_id)
    # The SDK's interceptor ends each workflow span as it begins (a span left open could not
    # survive a replay): the workflow's run hangs beside its activities, under its start.
    trace = [s for s in spans if s.context.trace_id == request.context.trace_id]
    runs = [s for s in trace if s.name == "RunWorkflow:OrderWorkflow"]
    assert [_names(_ancestry(run, trace)) for run in runs] == [
        ["RunWorkflow", "StartWorkflow", "POST /orders"]
    ]
    # Every span of the trace hangs from the request: one tree.
    assert all(_ancestry(s, trace)[-1] is request for s in trace)
