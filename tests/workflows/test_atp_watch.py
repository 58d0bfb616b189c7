"""AtpWatchWorkflow on the Temporal dev server (real time): stock that sells out becomes a
storefront event within seconds, one watcher runs at a time, and its history stays short."""

from __future__ import annotations

import asyncio
import uuid

from sqlmodel import select
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.db.tables import ChannelAtp, OutboxEvent
from tests.factories import seed
from tests.holds import add_channel, set_on_hand
from tests.workflows.harness import eventually, running
from workflows.atp_watch import AtpWatchWorkflow, WatchInput, WatchSettings, start_atp_watch

FAST = WatchSettings(interval_s=0.1, overlap_s=5)


def figure(db: Database, sku: str) -> int | None:
    with db.session() as s:
        row = s.get(ChannelAtp, ("web-fr", sku))
        return row.atp if row is not None else None


def event_types(db: Database) -> list[str]:
    with db.session() as s:
        return [e.type for e in s.exec(select(OutboxEvent))]


async def test_a_sell_out_becomes_one_event_and_a_second_start_keeps_the_running_watcher(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    add_channel(db)
    workflow_id = f"atp-watch-{uuid.uuid4().hex[:8]}"
    async with running(dev_env.client, db) as h:
        handle = await start_atp_watch(dev_env.client, h.task_queue, FAST, workflow_id=workflow_id)
        try:
            await eventually(lambda: figure(db, "SKU-TEE") == 5)
            set_on_hand(db, {("SKU-TEE", "ST-OPERA"): 0})
            await eventually(lambda: event_types(db) == ["inventory.out_of_stock"])
            again = await start_atp_watch(
                dev_env.client, h.task_queue, FAST, workflow_id=workflow_id
            )
            first_run = (await handle.describe()).run_id
            second_run = (await again.describe()).run_id
            last = await handle.query(AtpWatchWorkflow.last)
        finally:
            await handle.terminate(reason="test finished")

    assert second_run == first_run
    assert last is not None
    assert last.cursor.since is not None
    assert event_types(db) == ["inventory.out_of_stock"]


async def test_the_watcher_continues_as_new_with_its_cursor(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-MUG", "ST-OPERA"): 3})
    add_channel(db)
    async with running(dev_env.client, db) as h:
        handle = await dev_env.client.start_workflow(
            AtpWatchWorkflow.run,
            WatchInput(settings=FAST, calls_per_run=2),
            id=f"atp-watch-{uuid.uuid4().hex[:8]}",
            task_queue=h.task_queue,
        )
        try:
            await eventually(lambda: figure(db, "SKU-MUG") == 3)
            first_run = (await handle.describe()).run_id

            async def later_run() -> bool:
                described = await dev_env.client.get_workflow_handle(handle.id).describe()
                return described.run_id != first_run and (
                    described.status is WorkflowExecutionStatus.RUNNING
                )

            for _ in range(100):
                if await later_run():
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the watcher never continued as new")
            set_on_hand(db, {("SKU-MUG", "ST-OPERA"): 0})
            await eventually(lambda: event_types(db) == ["inventory.out_of_stock"])
        finally:
            await dev_env.client.get_workflow_handle(handle.id).terminate(reason="test finished")

    assert figure(db, "SKU-MUG") == 0
