"""The write paths bench/inventory.py times: a bulk snapshot as an InventorySyncWorkflow
applies it (at the database, and optionally through the workflow itself), a plain COPY of the
same rows as the yardstick, absolute batches as ``POST /inventory/positions`` applies them, and
deltas. Each returns seconds and what was applied; building the input is never timed.
"""

from __future__ import annotations

import asyncio
import io
import random
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.inventory_setup import SNAPSHOT_COLUMNS, World, sample_positions
from oms.db import bulk, syncs
from oms.db.engine import Database
from oms.db.stock_updates import AbsoluteUpdate, DeltaUpdate, apply_absolute_many, apply_deltas
from oms.db.tables import utcnow
from oms.domain.snapshots import SnapshotFormat, SyncInput, default_missing
from oms.keys import sync_workflow_id

# What POST /inventory/positions takes at most, and what apply_deltas gets per transaction.
BATCH_ROWS = 5000
DELTA_BATCH = 1000


def per_s(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else 0.0


# -- bulk snapshot: the InventorySyncWorkflow's steps ----------------------------------------


@dataclass
class SyncRun:
    rows: int
    stage_s: float
    apply_s: float
    finish_s: float
    applied: int
    stale: int

    @property
    def total_s(self) -> float:
        return self.stage_s + self.apply_s + self.finish_s

    @property
    def per_s(self) -> float:
        return per_s(self.rows, self.total_s)


def stage(db: Database, data: bytes) -> str:
    """What ``POST /inventory/syncs`` does with the received file before starting the workflow."""
    now = datetime.now(UTC)
    sync_id = syncs.new_sync_id(now)
    with db.session() as s:
        syncs.stage(
            s,
            io.BytesIO(data),
            sync_id=sync_id,
            workflow_id=sync_workflow_id(sync_id),
            fmt=SnapshotFormat.CSV,
            location_id=None,
            missing=default_missing(None),
            created_by="bench",
            now=now,
        )
    return sync_id


def apply_like_the_workflow(db: Database, sync_id: str, chunks_total: int) -> None:
    """The workflow's schedule: waves of ``parallel`` runs of ``chunks_per_activity`` chunks
    each, run j taking chunks j, j + parallel, ...; every chunk in its own transaction, as
    ``apply_sync_chunks`` does."""
    shape = SyncInput(sync_id=sync_id)
    width, span = shape.parallel, shape.chunks_per_activity * shape.parallel

    def one_run(first: int, last: int) -> None:
        for chunk in range(first, last, width):
            with db.session() as s:
                bulk.apply_chunk(s, sync_id, chunk, utcnow())

    with ThreadPoolExecutor(max_workers=width) as pool:
        for first in range(0, chunks_total, span):
            last = min(first + span, chunks_total)
            runs = [pool.submit(one_run, j, last) for j in range(first, min(first + width, last))]
            for run in runs:
                run.result()


def bulk_sync(db: Database, data: bytes, rows: int) -> SyncRun:
    t0 = time.perf_counter()
    sync_id = stage(db, data)
    t1 = time.perf_counter()
    with db.session() as s:
        planned = bulk.plan(s, sync_id, utcnow())
    apply_like_the_workflow(db, sync_id, planned.chunks_total)
    t2 = time.perf_counter()
    with db.session() as s:
        done = bulk.finish(s, sync_id, utcnow())
    t3 = time.perf_counter()
    if done.rejected or done.applied + done.stale != rows:
        raise SystemExit(f"sync {sync_id} did not take the whole file: {done}")
    return SyncRun(rows, t1 - t0, t2 - t1, t3 - t2, done.applied, done.stale)


def bulk_through_temporal(db: Database, data: bytes, rows: int) -> float:
    """The same file through a real InventorySyncWorkflow on a dev server of our own, staged
    as the API stages it: seconds from staging to the workflow's result."""
    from temporalio.worker import Worker

    from activities.inventory_sync import InventorySyncActivities
    from bench.orders import DevServer
    from workflows.inventory_sync import InventorySyncWorkflow

    async def run(workdir: Path) -> float:
        server = await DevServer.start(workdir)
        try:
            acts = InventorySyncActivities(db)
            queue = f"bench-inventory-{uuid.uuid4().hex[:8]}"
            with ThreadPoolExecutor(max_workers=8) as executor:
                async with Worker(
                    server.client,
                    task_queue=queue,
                    workflows=[InventorySyncWorkflow],
                    activities=[
                        acts.plan_sync,
                        acts.apply_sync_chunks,
                        acts.finish_sync,
                        acts.fail_sync,
                    ],
                    activity_executor=executor,
                ):
                    t0 = time.perf_counter()
                    sync_id = await asyncio.to_thread(stage, db, data)
                    done = await server.client.execute_workflow(
                        InventorySyncWorkflow.run,
                        SyncInput(sync_id=sync_id),
                        id=sync_workflow_id(sync_id),
                        task_queue=queue,
                    )
                    elapsed = time.perf_counter() - t0
        finally:
            await server.stop()
        if done.applied + done.stale != rows:
            raise SystemExit(f"workflow sync {sync_id} did not take the whole file: {done}")
        return elapsed

    with tempfile.TemporaryDirectory(prefix="oms-bench-inventory-") as tmp:
        return asyncio.run(run(Path(tmp)))


def plain_copy(url: str, data: bytes) -> float:
    """The same bytes, COPY'd as CSV into a table with the same columns and no index: the
    floor of what PostgreSQL takes in. Seconds, commit included."""
    libpq = make_url(url).set(drivername="postgresql").render_as_string(False)
    columns = ", ".join(SNAPSHOT_COLUMNS)
    with psycopg.connect(libpq) as conn:
        conn.execute(
            "CREATE TABLE bench_copy (sku varchar(64), location_id varchar(64),"
            " on_hand integer, in_transit integer, source_version bigint)"
        )
        conn.commit()
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy(f"COPY bench_copy ({columns}) FROM STDIN (FORMAT csv, HEADER)") as cp:
                for at in range(0, len(data), 1 << 20):
                    cp.write(data[at : at + (1 << 20)])
        conn.commit()
        elapsed = time.perf_counter() - t0
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    return elapsed


def maintain(db: Database) -> None:
    """VACUUM ANALYZE positions, as autovacuum leaves them between a load and the next use."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) inventory_positions"))


# -- batches and deltas --------------------------------------------------------------------


def absolute_batches(
    world: World, rng: random.Random, rows: int, version: int
) -> list[list[AbsoluteUpdate]]:
    size = min(BATCH_ROWS, world.positions)
    return [
        [
            AbsoluteUpdate(
                sku=sku, location_id=loc, on_hand=rng.randrange(60), source_version=version
            )
            for sku, loc in sample_positions(world, rng, size)
        ]  # fmt: skip
        for _ in range(max(1, rows // size))
    ]


def batch_updates(db: Database, batches: list[list[AbsoluteUpdate]]) -> tuple[float, int]:
    """``apply_absolute_many`` per batch, each batch its own transaction (as the API does)."""
    applied = 0
    t0 = time.perf_counter()
    for batch in batches:
        with db.session() as s:
            applied += apply_absolute_many(s, batch)
    return time.perf_counter() - t0, applied


def delta_rows(world: World, rng: random.Random, n: int, tag: str) -> list[DeltaUpdate]:
    """Moves on random positions (a few land twice in a batch), each with a new event id."""
    return [
        DeltaUpdate(
            event_id=f"bench-{tag}-{i}",
            sku=rng.choice(world.skus),
            location_id=rng.choice(world.locations),
            delta=rng.randint(-3, 5),
        )
        for i in range(n)
    ]


def apply_in_batches(db: Database, rows: list[DeltaUpdate], size: int) -> tuple[float, int]:
    applied = 0
    t0 = time.perf_counter()
    for at in range(0, len(rows), size):
        with db.session() as s:
            applied += apply_deltas(s, rows[at : at + size])
    return time.perf_counter() - t0, applied


def post_batches(base_url: str, key: str, batches: list[list[AbsoluteUpdate]]) -> tuple[float, int]:
    """The same batches as ``POST /inventory/positions`` bodies, one request after the other
    on one keep-alive connection; the JSON is encoded before the clock starts."""
    bodies = [
        b'{"rows": ['
        + b",".join(r.model_dump_json(exclude_none=True).encode() for r in batch)
        + b"]}"
        for batch in batches
    ]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    applied = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as http:
        t0 = time.perf_counter()
        for body in bodies:
            res = http.post("/inventory/positions", content=body)
            if res.status_code != 200:
                raise SystemExit(f"POST /inventory/positions: {res.status_code} {res.text[:300]}")
            applied += res.json()["applied"]
        return time.perf_counter() - t0, applied
