"""What a store works on, timed over HTTP: ``GET /locations/{id}/work`` with ``--work-items``
open items at one store (bench/store.py runs it after the wave builds, on the same database).

The store's work is seeded as runs write it, in the proportions a busy store has: a few open
waves of 25 fulfilments, services to do (vas tasks, two per fulfilment at its vas step), and
fulfilments to pick, to pack, to hand over and waiting for collection, their rows' open work
(kind, due time) from ``oms.domain.store_work.work_of`` over their steps; a tenth of the
items have no due time. The API runs in a child process under uvicorn (bench/api_server.py);
one untimed walk through every page collects the cursors, then each timed call asks for the
first page or a page from a cursor drawn at random, as a store app does. Beside it, the floor
of any read on the same machine at the same moment: ``GET /locations/{id}/fulfilments?limit=1``
with the same key (its key and location checks, a connection, one row).
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert

from bench.api_server import running_api
from bench.inventory_reads import timed
from bench.orders_figures import pct
from oms.db import api_keys
from oms.db.engine import Database
from oms.db.tables import Fulfilment, Location, ManualTask, PickWave
from oms.devserver import free_port
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.fulfilment_profiles import StepType
from oms.domain.fulfilment_steps import StepState, StepStatus
from oms.domain.store_work import work_of
from oms.domain.tasks import TaskKind, TaskStatus
from oms.domain.waves import WaveStatus, WaveStrategy
from oms.keys import vas_task_id

STORE = "ST-WORK"
WAVES, WAVE_SIZE, VAS_FULFILMENTS = 4, 25, 100
# The step a fulfilment is at, its status, and how many in ten of the rest are there.
AT = (
    (StepType.PICK, FulfilmentStatus.AWAITING_PICK, 5),
    (StepType.PACK, FulfilmentStatus.PICKED, 2),
    (StepType.HANDOVER, FulfilmentStatus.PACKED, 2),
    (StepType.COLLECTED, FulfilmentStatus.READY_FOR_COLLECTION, 1),
)
SHIP = (StepType.PICK, StepType.VAS, StepType.PACK, StepType.HANDOVER)
COLLECT = (StepType.PICK, StepType.VAS, StepType.PACK, StepType.COLLECTED)


def _steps(at: StepType, due: datetime | None) -> list[dict[str, Any]]:
    """A profile's steps for a shipment or a collection, done up to ``at``, under way there."""
    kept = COLLECT if at is StepType.COLLECTED else SHIP
    return [
        StepState(
            key=t.value,
            type=t,
            status=StepStatus.ACTIVE if t is at else StepStatus.DONE,
            due_at=due if t is at else None,
        ).model_dump(mode="json")
        for t in kept[: kept.index(at) + 1]
    ]


def _row(
    fid: str, at: StepType, status: FulfilmentStatus, due: datetime | None, now: datetime
) -> dict[str, Any]:
    steps = _steps(at, due)
    work = work_of(status, [StepState.model_validate(s) for s in steps], due)
    assert work is not None
    return {
        "id": fid, "order_id": fid.split(".")[0], "location_id": STORE,
        "workflow_id": f"fulfilment-{fid}", "status": status.value, "delivery_method": "ship",
        "express": False, "pick_due_at": due if at is StepType.PICK else None,
        "lines": [{"line_id": "1", "sku": "SKU-00001", "quantity": 1, "picked": None}],
        "parcels": [], "profile": "bench@1", "steps": steps, "work_kind": work.kind.value,
        "work_due_at": work.due_at, "created_at": now, "updated_at": now,
    }  # fmt: skip


def seed(db: Database, items: int, rng: random.Random) -> str:
    """``items`` open items at the store; answers a store key for it."""
    now = datetime.now(UTC)

    def due() -> datetime | None:
        return None if rng.random() < 0.1 else now + timedelta(minutes=rng.randrange(-60, 600))

    rows, waves, tasks = [], [], []
    for w in range(WAVES):
        wave_id = f"wave-{STORE}-{w:04}"
        waves.append({
            "id": wave_id, "location_id": STORE, "strategy": WaveStrategy.BY_ZONE.value,
            "status": (WaveStatus.OPEN if w % 2 else WaveStatus.CLAIMED).value,
            "max_fulfilments": WAVE_SIZE, "max_units": None, "fulfilment_count": WAVE_SIZE,
            "unit_count": WAVE_SIZE, "created_by": "bench", "picker": None if w % 2 else "bench",
            "picks": {}, "outcomes": {}, "created_at": now,
        })  # fmt: skip
        for n in range(WAVE_SIZE):
            fid = f"WAVE{w}-{n:04}.F1"
            row = _row(fid, StepType.PICK, FulfilmentStatus.AWAITING_PICK, due(), now)
            rows.append({**row, "wave_id": wave_id})
    for n in range(VAS_FULFILMENTS):
        fid, at = f"VAS-{n:04}.F1", due()
        rows.append(_row(fid, StepType.VAS, FulfilmentStatus.PICKED, at, now))
        for service in ("gift_wrap", "engraving"):
            tasks.append({
                "id": vas_task_id(fid, "1", service), "kind": TaskKind.VAS.value,
                "status": TaskStatus.OPEN.value, "order_id": fid.split(".")[0],
                "workflow_id": f"fulfilment-{fid}", "location_id": STORE, "escalated": False,
                "due_at": at, "created_at": now,
                "payload": {"fulfilment_id": fid, "step": "vas", "line_id": "1",
                            "sku": "SKU-00001", "service": service},
            })  # fmt: skip
    mix = [(at, status) for at, status, tenths in AT for _ in range(tenths)]
    for n in range(items - WAVES - len(tasks)):
        at, status = mix[n % len(mix)]
        rows.append(_row(f"OPEN-{n:05}.F1", at, status, due(), now))
    with db.session() as s:
        s.add(Location(id=STORE, name="Bench work", type="store", country="FR", lat=48.8, lon=2.3))
        s.flush()
        s.execute(insert(Fulfilment), [{"wave_id": None, **r} for r in rows])
        s.execute(insert(PickWave), waves)
        s.execute(insert(ManualTask), tasks)
        return api_keys.create_key(s, role="store", name="bench-work", location_id=STORE)


def over_http(
    url: str, key: str, args: argparse.Namespace, rng: random.Random
) -> tuple[dict[str, Any], list[float]]:
    """The items listed, the pages, and each timed call's milliseconds."""
    headers = {"Authorization": f"Bearer {key}"}
    path = f"/locations/{STORE}/work"
    with running_api(url, free_port(), ready_path=f"{path}?limit=1", headers=headers) as base:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            cursors: list[str | None] = [None]
            listed = 0
            while True:
                page = http.get(path, params={"cursor": cursors[-1]} if cursors[-1] else None)
                page.raise_for_status()
                body = page.json()
                listed += len(body["items"])
                if body["next_cursor"] is None:
                    break
                cursors.append(body["next_cursor"])

            def call() -> object:
                cursor = rng.choice(cursors)
                answer = http.get(path, params={"cursor": cursor} if cursor else None)
                answer.raise_for_status()
                return answer

            args.progress(f"timing {args.work_calls} GET {path} over HTTP ({listed:,} items)")
            times = timed(call, args.work_calls, max(1, args.work_calls // 10))
            # The floor under it on this machine now: the smallest read a store key makes,
            # the same key check, location check and connection, one row.
            floor_path = f"/locations/{STORE}/fulfilments"
            floor = timed(
                lambda: http.get(floor_path, params={"limit": 1}).raise_for_status(),
                args.work_calls,
                max(1, args.work_calls // 10),
            )
    figures = {
        "work_items_open": listed,
        "work_list_pages": len(cursors),
        "http_floor_p50_ms": round(pct(floor, 50) or 0, 2),
        "http_floor_p99_ms": round(pct(floor, 99) or 0, 2),
    }
    return figures, times


def bench_work_list(url: str, args: argparse.Namespace) -> tuple[dict[str, Any], list[float]]:
    rng = random.Random(args.seed + 1)
    db = Database(url)
    try:
        args.progress(f"seeding {args.work_items:,} open items of work at {STORE}")
        key = seed(db, args.work_items, rng)
    finally:
        db.dispose()
    return over_http(url, key, args, rng)
