"""A parcel booked with the carrier: its label kept for the store, and cancelled with the
carrier when its fulfilment is cancelled before the carrier took it (issue 12)."""

from __future__ import annotations

from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus
from tests.factories import order, seed
from tests.workflows.harness import eventually, fulfilment_rows, running, until
from tests.workflows.test_fulfilment_profiles import FULL, STOCK, always, at_step, boutique

WAITS_FOR_PICKUP = boutique(
    steps=[{"type": "pick"}, {"type": "pack"}, {"type": "label"}, {"type": "handover"}],
    applies_to={"delivery_method": "ship"},
)


async def test_a_booked_parcel_keeps_its_label_and_is_cancelled_with_its_fulfilment(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db, profiles=always(WAITS_FOR_PICKUP)) as h:
        handle = await h.place(order("BP1"))
        fid = (await until(h, "BP1", lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
        await at_step(h, fid, "pick")
        await h.pick(fid, FULL)
        await at_step(h, fid, "pack")
        await h.pack(fid)
        booked = await at_step(h, fid, "label")
        tracking = booked.tracking_number
        assert tracking in {b.tracking_number for b in h.carrier.bookings()}
        assert booked.label_url == f"sim://labels/{tracking}.pdf"
        await eventually(lambda: fulfilment_rows(db, "BP1")[0].label_url is not None)

        # Operations cancel the order in Temporal while the parcel waits for its pick-up
        # (in real time: a skip while the child's cancel is in flight would jump to the
        # run's timeout)
        with time_env.auto_time_skipping_disabled():
            await handle.cancel()
            try:
                await handle.result()
            except WorkflowFailureError:
                pass
        await eventually(
            lambda: fulfilment_rows(db, "BP1")[0].status == FulfilmentStatus.CANCELLED.value
        )

    # The carrier was told: the parcel is no longer booked
    assert tracking not in {b.tracking_number for b in h.carrier.bookings()}
