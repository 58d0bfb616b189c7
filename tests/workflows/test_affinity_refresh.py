"""AffinityRefreshWorkflow on the Temporal dev server (real time): orders placed become
learnt neighbours without anyone asking, one refresh runs at a time, and its history stays
short."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from oms.db import affinity
from oms.db.engine import Database
from tests.factories import seed
from tests.recommendations import place_history
from tests.workflows.harness import eventually, running
from workflows.affinity_refresh import (
    AffinityRefreshWorkflow,
    RefreshInput,
    RefreshSettings,
    start_affinity_refresh,
)

FAST = RefreshSettings(interval_s=0.1)
PAST = datetime.now(UTC) - timedelta(days=1)


def first_neighbour(db: Database, sku: str) -> tuple[str, int] | None:
    with db.reading() as s:
        found = affinity.neighbours(s, sku)
    return (found[0][0], found[0][1]) if found else None


async def test_orders_placed_become_neighbours_and_a_second_start_keeps_the_running_refresh(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db)
    place_history(db, [["SKU-TEE", "SKU-MUG"]] * 3, start=0, at=PAST)
    workflow_id = f"affinity-refresh-{uuid.uuid4().hex[:8]}"
    async with running(dev_env.client, db) as h:
        handle = await start_affinity_refresh(
            dev_env.client, h.task_queue, FAST, workflow_id=workflow_id
        )
        try:
            await eventually(lambda: first_neighbour(db, "SKU-TEE") == ("SKU-MUG", 3))
            place_history(db, [["SKU-JEAN", "SKU-PHONE"]] * 4, start=10, at=PAST)
            await eventually(lambda: first_neighbour(db, "SKU-PHONE") == ("SKU-JEAN", 4))
            again = await start_affinity_refresh(
                dev_env.client, h.task_queue, FAST, workflow_id=workflow_id
            )
            first_run = (await handle.describe()).run_id
            second_run = (await again.describe()).run_id
            last = await handle.query(AffinityRefreshWorkflow.last)
        finally:
            await handle.terminate(reason="test finished")

    assert second_run == first_run
    assert last is not None
    assert last.baskets == 7


async def test_the_refresh_continues_as_new(dev_env: WorkflowEnvironment, db: Database) -> None:
    seed(db)
    async with running(dev_env.client, db) as h:
        handle = await dev_env.client.start_workflow(
            AffinityRefreshWorkflow.run,
            RefreshInput(settings=FAST, calls_per_run=2),
            id=f"affinity-refresh-{uuid.uuid4().hex[:8]}",
            task_queue=h.task_queue,
        )
        try:
            first_run = (await handle.describe()).run_id

            async def later_run() -> bool:
                described = await dev_env.client.get_workflow_handle(handle.id).describe()
                return described.run_id != first_run and (
                    described.status is WorkflowExecutionStatus.RUNNING
                )

            for _ in range(200):
                if await later_run():
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the refresh never continued as new")
        finally:
            await dev_env.client.get_workflow_handle(handle.id).terminate(reason="test finished")
