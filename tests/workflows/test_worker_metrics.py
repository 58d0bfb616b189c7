"""A worker's Prometheus endpoint: the Temporal SDK's metrics and the OMS's that workflows
record through oms.metrics, under the names oms.metrics declares."""

from __future__ import annotations

import asyncio
import uuid

from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from oms import metrics
from oms.domain.order.status import CancelReason, OrderStatus
from oms.domain.tasks import TaskKind

# The sandbox imports this module again for every run of the workflow below, under the
# worker's own restrictions: what only the test uses is passed through.
with workflow.unsafe.imports_passed_through():
    import httpx
    from pydantic import SecretStr

    from oms.config import Settings
    from oms.devserver import free_port
    from oms.payload_keys import new_key
    from oms.temporal import connect, metrics_runtime
    from tests.prometheus import names, value
    from workers.sandbox import workflow_runner

DAY = 86400.0


@workflow.defn
class RecordsMetrics:
    @workflow.run
    async def run(self) -> None:
        meter = workflow.metric_meter()
        metrics.order_left_status(meter, status=OrderStatus.AWAITING_REVIEW, seconds=1.5 * DAY)
        metrics.task_sla_breached(meter, kind=TaskKind.PICK)
        # A second workflow task: with no run cached, the worker replays the lines above.
        await workflow.sleep(0.1)
        metrics.order_finished(
            meter, channel="web-fr", outcome="cancelled", reason=CancelReason.OUT_OF_STOCK
        )
        metrics.order_finished(meter, channel="web-fr", outcome="completed", reason=None)


async def scrape(port: int, until: str) -> str:
    """The page, once it shows ``until`` (the SDK exports what was recorded a moment ago)."""
    async with httpx.AsyncClient() as http:
        for _ in range(100):
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            if until in text:
                return text
            await asyncio.sleep(0.1)
    raise AssertionError(f"{until} never showed; last page:\n{text}")


async def test_a_worker_serves_the_sdk_metrics_and_those_workflows_record_once(
    dev_env: WorkflowEnvironment,
) -> None:
    port = free_port()
    settings = Settings(
        temporal_address=dev_env.client.service_client.config.target_host,
        temporal_namespace=dev_env.client.namespace,
        payload_keys=SecretStr(new_key("t")),
    )
    client = await connect(settings, runtime=metrics_runtime(port, host="127.0.0.1"))
    queue = f"metrics-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[RecordsMetrics],
        workflow_runner=workflow_runner(),
        max_cached_workflows=0,
    ):
        await client.execute_workflow(RecordsMetrics.run, id=queue, task_queue=queue)
        text = await scrape(port, until="oms_orders_finished_total{")

    ours = {"task_queue": queue, "workflow_type": "RecordsMetrics"}
    assert value(text, "temporal_workflow_endtoend_latency_count", **ours) == 1.0
    finished = {**ours, "channel": "web-fr"}
    assert value(text, "oms_orders_finished_total", **finished, outcome="completed") == 1.0
    cancelled = {**finished, "outcome": "cancelled", "reason": "out_of_stock"}
    assert value(text, "oms_orders_finished_total", **cancelled) == 1.0
    assert value(text, "oms_orders_finished_total", **finished, reason="none") == 1.0
    assert value(text, "oms_task_sla_breaches_total", **ours, kind="pick") == 1.0
    # A day and a half falls in the buckets oms.metrics declares, past the SDK's own (10 s).
    waited = {**ours, "status": "AWAITING_REVIEW"}
    assert value(text, "oms_order_status_seconds_bucket", **waited, le="86400") == 0.0
    assert value(text, "oms_order_status_seconds_bucket", **waited, le="172800") == 1.0
    assert value(text, "oms_order_status_seconds_sum", **waited) == 1.5 * DAY
    # Named exactly as declared: no temporal_ prefix, no second _total.
    exported = names(text)
    assert {"oms_orders_finished_total", "oms_task_sla_breaches_total"} <= exported
    assert "oms_order_status_seconds_bucket" in exported
    assert "temporal_workflow_completed" in exported
    assert not any(n.startswith("temporal_oms") or n.endswith("_total_total") for n in exported)
