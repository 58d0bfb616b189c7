"""Recorded runs of fulfilments that follow their location's profile (revision 3): a
boutique collection (verify, a gift wrap, a photo skipped, the customer's code), one collected
in part whose customer never comes back for the rest (reminded, then released when the hold
ends), and a shipment handed over by its label. Run by hand with a new prefix after a
compatible change: ``python -m tests.workflows.record_profile_paths R9``; test_replay replays
what it saved."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.fulfilment_profiles import FulfilmentProfile
from oms.domain.fulfilment_steps import (
    CollectedLine,
    CollectReport,
    HandoverScan,
    SkipReport,
    StepReport,
)
from oms.keys import fulfilment_workflow_id
from tests.factories import order
from tests.workflows.harness import Harness, running, until, until_fulfilment
from tests.workflows.record_order_paths import fresh_db, save
from tests.workflows.test_fulfilment_profiles import _wait_for, events
from workflows.fulfilment import FulfilmentWorkflow

BOUTIQUE = FulfilmentProfile.model_validate(
    {
        "id": "boutique",
        "steps": [
            {"type": "pick", "mode": "scan_each"},
            {"type": "verify"},
            {"type": "vas", "services": ["gift_wrap"]},
            {"type": "photo", "required": False},
            {"type": "pack"},
            {"type": "label"},
            {"type": "handover"},
            {"type": "ready_for_collection"},
            {"type": "collected"},
        ],
    }
)
Recorder = Callable[[WorkflowEnvironment, str], Awaitable[None]]
FULL = PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)])


async def _at(h: Harness, fid: str, key: str) -> Any:
    def under_way(v: Any) -> bool:
        return v.current_step is not None and v.current_step.key == key

    return await until_fulfilment(h, fid, under_way)


async def _ready_for_collection(h: Harness, db: Database, order_id: str) -> tuple[Any, str, str]:
    """A boutique collection worked to its collected step: (the order's handle, the
    fulfilment, the customer's code)."""
    lines = [
        {"line_id": "1", "sku": "SKU-TEE", "quantity": 2, "unit_price": 1999},
        {
            "line_id": "2",
            "sku": "SKU-MUG",
            "quantity": 1,
            "unit_price": 899,
            "services": ["gift_wrap"],
        },
    ]
    collect = {"method": "collect", "store_id": "ST-OPERA"}
    o = order(order_id, delivery=collect, lines=lines)
    handle = await h.place(o)
    fid = (await until(h, o.id, lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
    flow = h.fulfilment(fid)
    await _at(h, fid, "pick")
    await h.pick(fid, FULL)
    await _at(h, fid, "verify")
    await flow.execute_update(FulfilmentWorkflow.complete_step, StepReport(step="verify"))
    await _at(h, fid, "vas")
    await flow.execute_update(FulfilmentWorkflow.complete_step, StepReport(step="vas"))
    await _at(h, fid, "photo")
    await flow.execute_update(
        FulfilmentWorkflow.skip_step, SkipReport(step="photo", reason="no_time")
    )
    await _at(h, fid, "pack")
    await h.pack(fid)
    await _at(h, fid, "collected")
    [ready] = await _wait_for(lambda: events(db, order_id, "fulfilment.ready_for_collection"))
    return handle, fid, str(ready["collection_code"])


async def record_profile_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db, profiles=lambda *_: BOUTIQUE) as h:
            handle, fid, code = await _ready_for_collection(h, db, f"{prefix}-BOUTIQUE")
            await h.fulfilment(fid).execute_update(
                FulfilmentWorkflow.collect, CollectReport(code=code)
            )
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid)])

            # One tee taken at the counter; nobody comes for the rest: reminded, then released
            handle, fid, code = await _ready_for_collection(h, db, f"{prefix}-PARTIAL")
            part = CollectReport(code=code, lines=[CollectedLine(line_id="1", quantity=1)])
            await h.fulfilment(fid).execute_update(FulfilmentWorkflow.collect, part)
            await handle.result()  # the test server skips the days of the hold
            await save(env, [handle.id, fulfilment_workflow_id(fid)])

            o = order(f"{prefix}-HANDOVER")
            handle = await h.place(o)
            fid = (await until(h, o.id, lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
            flow = h.fulfilment(fid)
            await _at(h, fid, "pick")
            await h.pick(fid, FULL)
            await flow.execute_update(FulfilmentWorkflow.complete_step, StepReport(step="verify"))
            await _at(h, fid, "photo")  # no line asks for a service: the run skipped vas
            await flow.execute_update(
                FulfilmentWorkflow.complete_step,
                StepReport(step="photo", photo="https://photos.example/p1.jpg"),
            )
            await _at(h, fid, "pack")
            await h.pack(fid)
            booked = await _at(h, fid, "label")
            await flow.execute_update(FulfilmentWorkflow.complete_step, StepReport(step="label"))
            await _at(h, fid, "handover")
            await flow.execute_update(
                FulfilmentWorkflow.handover, HandoverScan(label=booked.tracking_number)
            )
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid)])
        db.dispose()


async def run_recorder(record: Recorder, prefix: str) -> None:
    """Run a recorder on a time-skipping test server of its own (recorders run by hand)."""
    from temporalio.contrib.pydantic import pydantic_data_converter

    from oms.temporal import ensure_search_attributes

    binary = str(Path(sys.executable).parent / "temporal-test-server")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary, data_converter=pydantic_data_converter
    )
    await ensure_search_attributes(env.client)
    try:
        await record(env, prefix)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(run_recorder(record_profile_paths, sys.argv[1]))
