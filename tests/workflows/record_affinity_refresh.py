"""A recorded run of AffinityRefreshWorkflow for the replay test: a first call counts the
orders already placed, a pause the test server skips, a second call counts those placed
meanwhile, a third finds nothing; then the run continues as new. Run by hand with a new
prefix after a compatible change: ``python -m tests.workflows.record_affinity_refresh R1``."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.recommendations import AffinityActivities
from tests.factories import seed
from tests.recommendations import place_history
from tests.workflows.record_other_histories import fresh_db, reached, save, worker
from workflows.affinity_refresh import AffinityRefreshWorkflow, RefreshInput, RefreshSettings


async def record_affinity_refresh(env: WorkflowEnvironment, prefix: str) -> None:
    client = env.client
    past = datetime.now(UTC) - timedelta(days=1)
    async with fresh_db() as db:
        seed(db)
        place_history(db, [["SKU-TEE", "SKU-MUG"]] * 4, start=0, at=past)
        refresh = AffinityActivities(db)
        async with worker(client, AffinityRefreshWorkflow, [refresh.refresh_affinity]) as queue:
            settings = RefreshSettings(interval_s=900)
            handle = await client.start_workflow(
                AffinityRefreshWorkflow.run,
                RefreshInput(settings=settings, calls_per_run=3),
                id=f"affinity-refresh-{prefix}-COUNTS",
                task_queue=queue,
            )
            await handle.signal(AffinityRefreshWorkflow.configure, settings)  # as each worker
            run = client.get_workflow_handle(handle.id, run_id=(await handle.describe()).run_id)
            await reached(run, "timer_started_event_attributes", 1)
            place_history(db, [["SKU-TEE", "SKU-JEAN"]] * 3, start=100, at=past)
            await env.sleep(901)
            await reached(run, "timer_started_event_attributes", 2)
            await env.sleep(901)
            await reached(run, "timer_started_event_attributes", 3)
            await env.sleep(901)
            await reached(run, "workflow_execution_continued_as_new_event_attributes", 1)
            print(f"  {handle.id}:", await handle.query(AffinityRefreshWorkflow.last))
            await save(client, handle.id, run.run_id)
            await client.get_workflow_handle(handle.id).terminate(reason="recorded")


async def main(prefix: str) -> None:
    from temporalio.contrib.pydantic import pydantic_data_converter

    from oms.temporal import ensure_search_attributes

    binary = str(Path(sys.executable).parent / "temporal-test-server")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary, data_converter=pydantic_data_converter
    )
    await ensure_search_attributes(env.client)
    try:
        await record_affinity_refresh(env, prefix)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
