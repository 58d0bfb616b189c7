"""A recorded run of an order cancelled by operations while its parcel, booked with the
carrier, waited for the pick-up scan: the parcel is cancelled with the carrier (the patch
``cancel-booked-shipment``). Run by hand with a new prefix after a compatible change:
``python -m tests.workflows.record_booked_paths R9``."""

from __future__ import annotations

import asyncio
import sys
import tempfile

from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from oms.keys import fulfilment_workflow_id
from tests.factories import order
from tests.workflows.harness import running, until
from tests.workflows.record_order_paths import fresh_db, save
from tests.workflows.record_profile_paths import FULL, run_recorder
from tests.workflows.test_booked_parcels import WAITS_FOR_PICKUP
from tests.workflows.test_fulfilment_profiles import always, at_step


async def record_booked_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db, profiles=always(WAITS_FOR_PICKUP)) as h:
            o = order(f"{prefix}-UNBOOK")
            handle = await h.place(o)
            fid = (await until(h, o.id, lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
            await at_step(h, fid, "pick")
            await h.pick(fid, FULL)
            await at_step(h, fid, "pack")
            await h.pack(fid)
            await at_step(h, fid, "label")
            with env.auto_time_skipping_disabled():  # the cancellation runs in real time
                await handle.cancel()
                try:
                    await handle.result()
                except WorkflowFailureError:
                    pass
            await save(env, [handle.id, fulfilment_workflow_id(fid)])
        db.dispose()


if __name__ == "__main__":
    asyncio.run(run_recorder(record_booked_paths, sys.argv[1]))
