"""Record histories of the cart hold, inventory sync and ATP watch workflows for the replay
test (``record_histories`` runs these; the order and fulfilment scenarios live there).

Each scenario runs the real activities against a SQLite database, except where a failure is
forced by a stand-in; the file is named after the workflow id (``<type>-<prefix>-<SCENARIO>``).
"""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlmodel import SQLModel, select
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.atp_watch import AtpWatchActivities
from activities.cart_holds import CartHoldActivities
from activities.inventory_sync import InventorySyncActivities
from oms.contracts.cart_holds import HoldDue, HoldState
from oms.contracts.inventory_sync import ApplyChunks
from oms.db import cart_holds
from oms.db.availability import forget_topology
from oms.db.engine import Database
from oms.db.tables import OutboxEvent
from oms.domain.snapshots import SyncInput, SyncProgress
from oms.keys import sync_workflow_id
from oms.services.cart_holds import place
from tests.factories import seed
from tests.holds import add_channel, ask, set_on_hand
from tests.syncs import stage
from tests.workflows.record_order_paths import history_json
from workflows.atp_watch import AtpWatchWorkflow, WatchInput, WatchSettings
from workflows.cart_hold import CartHoldWorkflow, arm_hold_timer
from workflows.inventory_sync import InventorySyncWorkflow

HERE = Path(__file__).parent / "histories"


async def save(client: Client, workflow_id: str, run_id: str | None = None) -> None:
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    (HERE / f"{workflow_id}.json").write_text(history_json(history))
    print("recorded", workflow_id)


@asynccontextmanager
async def fresh_db() -> AsyncIterator[Database]:
    forget_topology()  # channels cached from another scenario group's database
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/oms.db")
        SQLModel.metadata.create_all(db.engine)
        try:
            yield db
        finally:
            db.dispose()


@asynccontextmanager
async def worker(
    client: Client, workflow: type, activities: list[Callable[..., Any]]
) -> AsyncIterator[str]:
    task_queue = f"record-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[workflow],
        activities=activities,
        activity_executor=ThreadPoolExecutor(max_workers=4),
    ):
        yield task_queue


async def until(check: Callable[[], bool], seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition never held")


async def reached(handle: WorkflowHandle[Any, Any], kind: str, n: int) -> None:
    """Until the run has ``n`` events of a kind (``timer_started_event_attributes``...)."""
    for _ in range(400):
        events = [
            e async for e in handle.fetch_history_events() if e.WhichOneof("attributes") == kind
        ]
        if len(events) == n:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never had {n} {kind}")


# -- cart holds --------------------------------------------------------------------------


def cart_hold_workflow_at(rev: str) -> type:
    """CartHoldWorkflow as ``workflows/cart_hold.py`` was at git revision ``rev``: to record
    what older code wrote, as long as that module's imports still resolve today."""
    source = subprocess.run(
        ["git", "show", f"{rev}:workflows/cart_hold.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    folder = tempfile.mkdtemp()
    (Path(folder) / "cart_hold_at_rev.py").write_text(source)
    # On the path: the workflow sandbox imports the module again by its name.
    sys.path.insert(0, folder)
    workflow_class: type = importlib.import_module("cart_hold_at_rev").CartHoldWorkflow
    return workflow_class


class PausingHolds(CartHoldActivities):
    """Once ``pause`` is set, the expiry waits after its transaction, before answering: the
    window in which a new PUT of the cart reaches the workflow."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.pause = False
        self.reached = threading.Event()
        self.go = threading.Event()

    @activity.defn(name="expire_cart_hold")
    def expire_cart_hold(self, req: HoldDue) -> HoldState:
        state = super().expire_cart_hold(req)
        if self.pause:
            self.reached.set()
            self.go.wait(timeout=30)
        return state


async def put(
    env: WorkflowEnvironment,
    db: Database,
    queue: str,
    cart: str,
    ttl: int,
    lines: dict[str, int] | None = None,
) -> WorkflowHandle[Any, HoldState]:
    """What PUT /carts/{cart}/hold does: store the hold, then arm its timer (the workflow
    type's name is the same at every revision). The handle skips time while awaited."""
    now = await env.get_current_time()
    with db.session() as s:
        row = place(s, cart_id=cart, request=ask(lines or {"SKU-TEE": 2}, ttl=ttl), now=now)
        at = cart_holds.as_utc(row.expires_at)
    return await arm_hold_timer(env.client, queue, cart, at)


async def ended(env: WorkflowEnvironment, handle: WorkflowHandle[Any, HoldState]) -> None:
    print(f"  {handle.id}: {(await handle.result()).status}")
    await save(env.client, handle.id)


async def record_cart_holds(
    env: WorkflowEnvironment, prefix: str, workflow: type = CartHoldWorkflow
) -> None:
    async with fresh_db() as db:
        seed(db, {("SKU-TEE", "ST-OPERA"): 20, ("SKU-MUG", "ST-OPERA"): 20})
        add_channel(db)
        holds = PausingHolds(db)
        async with worker(env.client, workflow, [holds.expire_cart_hold]) as queue:
            # Nobody comes back: the hold expires at its deadline.
            handle = await put(env, db, queue, f"{prefix}-EXPIRE", ttl=60)
            await ended(env, handle)
            # The storefront puts the same cart again halfway: the deadline moves on.
            handle = await put(env, db, queue, cart := f"{prefix}-EXTEND", ttl=60)
            await env.sleep(30)
            await put(env, db, queue, cart, ttl=600)
            await ended(env, handle)
            # Other lines and a shorter TTL: the timer is brought forward.
            handle = await put(env, db, queue, cart := f"{prefix}-SHORTEN", ttl=3600)
            await put(env, db, queue, cart, ttl=60, lines={"SKU-MUG": 1})
            await ended(env, handle)
            # The storefront lets the stock go.
            handle = await put(env, db, queue, cart := f"{prefix}-RELEASE", ttl=300)
            with db.session() as s:
                cart_holds.release(s, cart, await env.get_current_time())
            await ended(env, handle)
            # An order takes the cart over (what sourcing does for an order with a cart id).
            handle = await put(env, db, queue, cart := f"{prefix}-CONVERT", ttl=300)
            with db.session() as s:
                cart_holds.convert(s, cart, await env.get_current_time())
            await ended(env, handle)
            # A new PUT lands while the old hold is being expired (commit 9d8aaf0's case).
            handle = await put(env, db, queue, cart := f"{prefix}-REPUT-WHILE-EXPIRING", ttl=60)
            holds.pause = True
            sleeping = asyncio.create_task(env.sleep(61))
            await until(holds.reached.is_set)
            await put(env, db, queue, cart, ttl=300)
            holds.go.set()
            await sleeping
            holds.pause = False
            await ended(env, handle)


# -- inventory syncs ---------------------------------------------------------------------

# Eight positions, two a chunk: four chunks.
SNAPSHOT = "sku,location_id,on_hand\n" + "".join(
    f"{sku},{loc},{n}\n"
    for n, (sku, loc) in enumerate(
        [
            (s, loc)
            for s in ("SKU-TEE", "SKU-MUG", "SKU-JEAN", "SKU-PHONE")
            for loc in ("ST-OPERA", "ST-LYON")
        ],
        start=1,
    )
)


@activity.defn(name="apply_sync_chunks")
def full_disk(req: ApplyChunks) -> SyncProgress:
    raise ApplicationError("the disk is full", non_retryable=True, type="disk_full")


async def record_syncs(env: WorkflowEnvironment, prefix: str) -> None:
    client = env.client
    async with fresh_db() as db:
        seed(db)
        real = InventorySyncActivities(db)
        steps: list[Callable[..., Any]] = [
            real.plan_sync,
            real.apply_sync_chunks,
            real.finish_sync,
            real.fail_sync,
        ]
        # Four chunks, one per activity, two activities at a time: two waves.
        async with worker(client, InventorySyncWorkflow, steps) as queue:
            stage(db, SNAPSHOT, chunk_size=2, sync_id=(sync := f"{prefix}-CHUNKS"))
            handle = await client.start_workflow(
                InventorySyncWorkflow.run,
                SyncInput(sync_id=sync, chunks_per_activity=1, parallel=2),
                id=sync_workflow_id(sync),
                task_queue=queue,
            )
            print(f"  {sync}: {(await handle.result()).status}")
            await save(client, handle.id)
        # A chunk fails for good: the sync is marked failed, then the workflow fails.
        failing: list[Callable[..., Any]] = [
            real.plan_sync,
            full_disk,
            real.finish_sync,
            real.fail_sync,
        ]
        async with worker(client, InventorySyncWorkflow, failing) as queue:
            stage(db, SNAPSHOT, chunk_size=2, sync_id=(sync := f"{prefix}-FAIL"))
            handle = await client.start_workflow(
                InventorySyncWorkflow.run,
                SyncInput(sync_id=sync),
                id=sync_workflow_id(sync),
                task_queue=queue,
            )
            try:
                await handle.result()
            except WorkflowFailureError as exc:
                print(f"  {sync}: failed ({exc.cause})")
            else:
                raise AssertionError("the sync was meant to fail")
            await save(client, handle.id)


# -- the ATP watcher ---------------------------------------------------------------------


async def record_atp_watch(env: WorkflowEnvironment, prefix: str) -> None:
    """One run of five passes, each after a pause the test server skips: the first sees the
    tees (a baseline), the next three a crossing each (low, out, back in stock), the last
    nothing; then the run continues as new."""
    client = env.client
    async with fresh_db() as db:
        seed(db, {("SKU-TEE", "ST-OPERA"): 5})
        add_channel(db, low_stock=2)
        watch = AtpWatchActivities(db)
        async with worker(client, AtpWatchWorkflow, [watch.watch_atp]) as queue:
            settings = WatchSettings(interval_s=60, overlap_s=5)
            handle = await client.start_workflow(
                AtpWatchWorkflow.run,
                WatchInput(settings=settings, calls_per_run=5),
                id=f"atp-watch-{prefix}-CROSSINGS",
                task_queue=queue,
            )
            await handle.signal(AtpWatchWorkflow.configure, settings)  # as each worker does
            run = client.get_workflow_handle(handle.id, run_id=(await handle.describe()).run_id)
            for n, on_hand in enumerate((1, 0, 4, 4), start=1):
                # Pass n is over and its pause has begun: change the stock, skip the pause.
                await reached(run, "timer_started_event_attributes", n)
                set_on_hand(db, {("SKU-TEE", "ST-OPERA"): on_hand})
                await env.sleep(61)
            await reached(run, "timer_started_event_attributes", 5)
            await env.sleep(61)
            await reached(run, "workflow_execution_continued_as_new_event_attributes", 1)
            with db.session() as s:
                print(f"  {handle.id}:", sorted(e.type for e in s.exec(select(OutboxEvent))))
            await save(client, handle.id, run.run_id)
            await client.get_workflow_handle(handle.id).terminate(reason="recorded")
