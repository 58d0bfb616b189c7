"""Recorded runs of ship to store: a collection at the Bastille store, which has none of it,
picked and shipped from the Opéra store, received at the Bastille by its label and collected
there with the customer's code; once as the built-in profile runs it (the parcel leaves when
packed), once with a profile whose carrier takes the parcel by a handover scan. Run by hand with
a new prefix after a compatible change: ``python -m tests.workflows.record_transfer_paths RT``;
test_replay replays what it saved."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from typing import Any

from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from activities.sourcing import ProfileChoice
from oms.db import fulfilment_profiles, profiles
from oms.db.engine import Database
from oms.db.tables import OutboxEvent
from oms.domain.fulfilment_profiles import FulfilmentProfile
from oms.domain.fulfilment_steps import CollectReport, HandoverScan, ReceiveScan, StepReport
from oms.keys import fulfilment_workflow_id
from tests.factories import order
from tests.workflows.harness import eventually, running, until, until_fulfilment
from tests.workflows.record_order_paths import FULL, fresh_db, save
from tests.workflows.record_profile_paths import run_recorder
from workflows.fulfilment import FulfilmentWorkflow

HANDED_OVER = FulfilmentProfile.model_validate(
    {
        "id": "carrier-scan",
        "steps": [
            {"type": "pick"},
            {"type": "pack"},
            {"type": "label"},
            {"type": "handover"},
            {"type": "ready_for_collection"},
            {"type": "collected"},
        ],
    }
)


def allow_transfers(db: Database) -> None:
    doc: dict[str, Any] = {
        "channel": "web-fr",
        "transfer_to_store": True,
        "strategies": [{"name": "nearest"}],
        "fallback": {"name": "rest"},
    }
    with db.session() as s:
        profiles.create_draft(s, "ship-to-store", doc, created_by=None)
        profiles.publish(s, "ship-to-store", 1)


def collection_code(db: Database, order_id: str) -> str:
    """The code the customer was sent (event fulfilment.ready_for_collection); "" before."""
    with Session(db.engine) as s:
        found = s.exec(
            select(OutboxEvent).where(
                OutboxEvent.order_id == order_id,
                OutboxEvent.type == "fulfilment.ready_for_collection",
            )
        ).first()
    return str(found.payload["collection_code"]) if found else ""


async def _record(
    env: WorkflowEnvironment, db: Database, order_id: str, choice: ProfileChoice
) -> None:
    async with running(env.client, db, profiles=choice) as h:
        o = order(order_id, delivery={"method": "collect", "store_id": "ST-BASTILLE"})
        handle = await h.place(o)
        fid = (await until(h, o.id, lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
        flow = h.fulfilment(fid)

        async def at(key: str) -> Any:
            return await until_fulfilment(
                h, fid, lambda v: v.current_step is not None and v.current_step.key == key
            )

        await at("pick")
        await h.pick(fid, FULL)
        await at("pack")
        await h.pack(fid)
        steps = {s.key for s in (await h.fulfilment_view(fid)).steps}
        if "label" in steps:
            booked = await at("label")
            await flow.execute_update(FulfilmentWorkflow.complete_step, StepReport(step="label"))
            await at("handover")
            await flow.execute_update(
                FulfilmentWorkflow.handover, HandoverScan(label=booked.tracking_number)
            )
        shipped = await at("receive")
        await flow.execute_update(
            FulfilmentWorkflow.receive, ReceiveScan(label=shipped.tracking_number)
        )
        await at("collected")
        await eventually(lambda: bool(collection_code(db, o.id)))
        code = collection_code(db, o.id)
        await flow.execute_update(FulfilmentWorkflow.collect, CollectReport(code=code))
        await handle.result()
        await save(env, [handle.id, fulfilment_workflow_id(fid)])


async def record_transfer_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        allow_transfers(db)
        await _record(env, db, f"{prefix}-SHIPTOSTORE", fulfilment_profiles.choose)
        await _record(env, db, f"{prefix}-TRANSFERHANDOVER", lambda *_: HANDED_OVER)
        db.dispose()


if __name__ == "__main__":
    asyncio.run(run_recorder(record_transfer_paths, sys.argv[1]))
