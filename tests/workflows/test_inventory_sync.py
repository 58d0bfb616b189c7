"""InventorySyncWorkflow in the time-skipping server with the real activities: progress seen
through its query and search attribute, a worker dying half-way, a failure."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.inventory_sync import InventorySyncActivities
from oms.contracts.inventory_sync import ApplyChunks
from oms.db.engine import Database
from oms.domain.snapshots import SyncInput, SyncProgress, SyncStatus
from oms.keys import sync_workflow_id
from oms.temporal import SYNC_PROGRESS
from tests.factories import seed
from tests.syncs import chunks_of_rows, markers, positions, sold, stage, sync_of
from tests.workflows.harness import eventually
from workflows.inventory_sync import InventorySyncWorkflow

# Eight positions, two a chunk: four chunks.
FILE = "sku,location_id,on_hand\n" + "".join(
    f"{sku},{loc},{n}\n"
    for n, (sku, loc) in enumerate(
        [(s, loc) for s in ("SKU-TEE", "SKU-MUG") for loc in ("ST-OPERA", "ST-LYON")]
        + [(s, loc) for s in ("SKU-JEAN", "SKU-PHONE") for loc in ("ST-OPERA", "ST-LYON")],
        start=1,
    )
)
IN_FILE = {
    ("SKU-TEE", "ST-OPERA"): 1,
    ("SKU-TEE", "ST-LYON"): 2,
    ("SKU-MUG", "ST-OPERA"): 3,
    ("SKU-MUG", "ST-LYON"): 4,
    ("SKU-JEAN", "ST-OPERA"): 5,
    ("SKU-JEAN", "ST-LYON"): 6,
    ("SKU-PHONE", "ST-OPERA"): 7,
    ("SKU-PHONE", "ST-LYON"): 8,
}


def on_hand(db: Database) -> dict[tuple[str, str], int]:
    return {key: figures[0] for key, figures in positions(db).items()}


@asynccontextmanager
async def sync_worker(
    client: Client, activities: object, task_queue: str | None = None, *, cache: bool = True
) -> AsyncIterator[str]:
    task_queue = task_queue or f"test-{uuid.uuid4()}"
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[InventorySyncWorkflow],
        activities=[
            getattr(activities, name)
            for name in ("plan_sync", "apply_sync_chunks", "finish_sync", "fail_sync")
        ],
        activity_executor=ThreadPoolExecutor(max_workers=4),
        # Without a cache the worker takes no sticky queue: once it is gone, the workflow's
        # next task goes to whoever polls the task queue, as after a real crash.
        max_cached_workflows=1000 if cache else 0,
    )
    async with worker:
        yield task_queue


async def start(
    client: Client, task_queue: str, per_activity: int = 1, parallel: int = 2
) -> WorkflowHandle[InventorySyncWorkflow, SyncProgress]:
    return await client.start_workflow(
        InventorySyncWorkflow.run,
        SyncInput(sync_id="S1", chunks_per_activity=per_activity, parallel=parallel),
        id=sync_workflow_id(f"S1-{uuid.uuid4().hex[:8]}"),
        task_queue=task_queue,
    )


class PausingActivities(InventorySyncActivities):
    """Holds every chunk after the first ``pause_after`` until the test lets them go."""

    def __init__(self, db: Database, pause_after: int) -> None:
        super().__init__(db)
        self.pause_after = pause_after
        self.done = 0
        self.go = threading.Event()

    def _apply(self, sync_id: str, chunk: int) -> None:
        if self.done == self.pause_after:
            self.go.wait(timeout=20)
        super()._apply(sync_id, chunk)
        self.done += 1


class DyingActivities(InventorySyncActivities):
    """A worker that dies right after committing its ``dies_after``-th chunk, before it can
    report it, and keeps dying on every later attempt."""

    def __init__(self, db: Database, dies_after: int) -> None:
        super().__init__(db)
        self.dies_after = dies_after
        self.committed = 0
        self.deaths = 0

    def _apply(self, sync_id: str, chunk: int) -> None:
        if self.committed < self.dies_after:
            super()._apply(sync_id, chunk)
            self.committed += 1
        if self.committed == self.dies_after:
            self.deaths += 1
            raise RuntimeError("worker killed")


async def test_a_sync_shows_its_progress_and_applies_best_sellers_first(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db)
    sold(db, "SKU-PHONE", 3)
    stage(db, FILE, chunk_size=2)
    acts = PausingActivities(db, pause_after=2)
    async with sync_worker(time_env.client, acts) as queue:
        handle = await start(time_env.client, queue)

        # When two of four chunks are applied, the query, the search attribute and the
        # database all say half-way
        async def half_way() -> SyncProgress:
            for _ in range(400):
                seen = await handle.query(InventorySyncWorkflow.progress)
                if seen.chunks_done == 2:
                    return seen
                await asyncio.sleep(0.05)
            raise AssertionError(f"never half-way: {seen}")

        seen = await half_way()
        attributes = (await handle.describe()).typed_search_attributes
        assert (seen.status, seen.chunks_total, seen.percent) == (SyncStatus.RUNNING, 4, 50)
        assert attributes.get(SYNC_PROGRESS) == 50
        assert (sync_of(db).status, sync_of(db).chunks_done) == ("running", 2)
        # Phones sell: their rows were numbered first and are the ones applied so far
        first = sorted(row for row, chunk in chunks_of_rows(db).items() if chunk == 0)
        assert first == [7, 8]
        assert on_hand(db) == {
            ("SKU-PHONE", "ST-OPERA"): 7,
            ("SKU-PHONE", "ST-LYON"): 8,
            ("SKU-TEE", "ST-OPERA"): 1,
            ("SKU-TEE", "ST-LYON"): 2,
        }

        acts.go.set()
        result = await handle.result()
        final = await handle.query(InventorySyncWorkflow.progress)
        attributes = (await handle.describe()).typed_search_attributes

    assert result == final
    assert (result.status, result.applied, result.stale, result.percent) == (
        SyncStatus.COMPLETED,
        8,
        0,
        100,
    )
    assert attributes.get(SYNC_PROGRESS) == 100
    assert on_hand(db) == IN_FILE
    assert sync_of(db).finished_at is not None


async def test_a_sync_whose_worker_dies_half_way_resumes_on_another_and_applies_each_row_once(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given a worker that dies after committing its third chunk, before reporting it
    seed(db, {("SKU-TEE", "WH-PARIS"): 4})
    stage(db, FILE, chunk_size=2)
    dying = DyingActivities(db, dies_after=3)
    queue = f"test-{uuid.uuid4()}"
    async with sync_worker(time_env.client, dying, queue, cache=False):
        handle = await start(time_env.client, queue, per_activity=3, parallel=1)
        await eventually(lambda: dying.deaths >= 1)
    assert sync_of(db).chunks_done == 3

    # When a healthy worker takes over the same queue
    async with sync_worker(time_env.client, InventorySyncActivities(db), queue):
        result = await handle.result()

    # Then the chunk committed before the death is not applied again
    assert result.status is SyncStatus.COMPLETED
    assert result.applied + result.stale == len(IN_FILE)
    assert (result.applied, result.chunks_done, result.chunks_total) == (8, 4, 4)
    assert [chunk for chunk, _, _ in markers(db)] == [0, 1, 2, 3]
    assert [applied for _, applied, _ in markers(db)] == [2, 2, 2, 2]
    assert on_hand(db) == {**IN_FILE, ("SKU-TEE", "WH-PARIS"): 4}


@activity.defn(name="apply_sync_chunks")
def broken_chunks(req: ApplyChunks) -> SyncProgress:
    raise ApplicationError("the disk is full", non_retryable=True, type="disk_full")


async def test_a_sync_that_fails_is_marked_failed_with_the_error(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db)
    stage(db, FILE, chunk_size=2)
    real = InventorySyncActivities(db)
    queue = f"test-{uuid.uuid4()}"
    worker = Worker(
        time_env.client,
        task_queue=queue,
        workflows=[InventorySyncWorkflow],
        activities=[real.plan_sync, broken_chunks, real.finish_sync, real.fail_sync],
        activity_executor=ThreadPoolExecutor(max_workers=2),
    )
    async with worker:
        handle = await start(time_env.client, queue)
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        seen = await handle.query(InventorySyncWorkflow.progress)

    sync = sync_of(db)
    assert (sync.status, sync.error) == ("failed", "disk_full: the disk is full")
    assert seen.status is SyncStatus.FAILED
    assert sync.finished_at is not None
    assert chunks_of_rows(db) == {}  # staged rows dropped
    assert on_hand(db) == {}
