"""Recorded runs of a collection moved to another store (workflows/order_pickup.py): moved
before its pick and collected at the new store (at today's level, and at level 1, which asks
the patch ``order-edit-pickup-store`` and records its marker), refused once the first store
has picked it, and refused when a pick wave took the fulfilment between the hold and the move.
Run by hand with a new prefix after a compatible change:
``python -m tests.workflows.record_pickup_paths R15PS``; test_replay replays what it saved."""

from __future__ import annotations

import asyncio
import sys
import tempfile

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from oms.contracts.sourcing import SourcingRequest
from oms.db.stock_updates import AbsoluteUpdate, apply_absolute_many
from oms.db.tables import Fulfilment
from oms.domain.order import OrderIn, OrderView
from oms.domain.order.pickup import PickupStoreChange
from oms.keys import edit_step, fulfilment_workflow_id, step_key
from tests.factories import order
from tests.workflows.harness import Harness, running, until
from tests.workflows.record_order_paths import FULL, first_pick, fresh_db, save
from tests.workflows.record_profile_paths import run_recorder
from tests.workflows.test_patch_levels import placed_at
from workflows.order import OrderWorkflow

TO_BASTILLE = PickupStoreChange(store_id="ST-BASTILLE", actor="cs")


def _collection(order_id: str) -> OrderIn:
    return order(order_id, delivery={"method": "collect", "store_id": "ST-OPERA"})


async def _moved_and_collected(
    env: WorkflowEnvironment, h: Harness, handle: WorkflowHandle[OrderWorkflow, OrderView]
) -> None:
    order_id = handle.id.removeprefix("order-")
    fid = await first_pick(h, order_id)
    await handle.execute_update(OrderWorkflow.change_pickup_store, TO_BASTILLE)
    moved = (await until(h, order_id, lambda v: len(v.fulfilments) == 2)).fulfilments[1]
    await h.pick(moved.fulfilment_id, FULL)
    await h.pack(moved.fulfilment_id)
    await h.collected(moved.fulfilment_id)
    await handle.result()
    ids = [fulfilment_workflow_id(fid), fulfilment_workflow_id(moved.fulfilment_id)]
    await save(env, [handle.id, *ids])


async def record_pickup_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        with db.session() as s:  # Bastille has it all too, for the store it moves to
            apply_absolute_many(
                s,
                [
                    AbsoluteUpdate(sku="SKU-TEE", location_id="ST-BASTILLE", on_hand=9),
                    AbsoluteUpdate(sku="SKU-MUG", location_id="ST-BASTILLE", on_hand=9),
                ],
            )
        async with running(env.client, db) as h:
            # Moved to Bastille before Opéra picks it, collected at Bastille.
            await _moved_and_collected(env, h, await h.place(_collection(f"{prefix}-PSMOVE")))
            # The same at level 1: the patch asked, its marker recorded.
            o = _collection(f"{prefix}-PSMOVEL1")
            await _moved_and_collected(env, h, await placed_at(h, db, o, 1))

            # Opéra has picked it: refused, collected at Opéra.
            handle = await h.place(_collection(f"{prefix}-PSLATE"))
            fid = await first_pick(h, f"{prefix}-PSLATE")
            await h.pick(fid, FULL)
            await handle.execute_update(OrderWorkflow.change_pickup_store, TO_BASTILLE)
            await h.pack(fid)
            await h.collected(fid)
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid)])

            # A wave took it at Opéra: held, then refused as the units would leave.
            handle = await h.place(_collection(f"{prefix}-PSWAVE"))
            fid = await first_pick(h, f"{prefix}-PSWAVE")
            with db.session() as s:
                row = s.get(Fulfilment, fid)
                assert row is not None
                row.wave_id = f"W-{prefix}"
                s.add(row)
            await handle.execute_update(OrderWorkflow.change_pickup_store, TO_BASTILLE)
            await h.pick(fid, FULL)
            await h.pack(fid)
            await h.collected(fid)
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid)])

        # Bastille sells its tees as the units come to be placed there: refused, every unit
        # sourced again for Opéra, collected there.
        sold = f"{prefix}-PSSOLD"

        def bastille_sells_its_tees(req: SourcingRequest) -> None:
            if req.step_key == step_key(sold, edit_step(1)):
                with db.session() as s:
                    apply_absolute_many(
                        s, [AbsoluteUpdate(sku="SKU-TEE", location_id="ST-BASTILLE", on_hand=0)]
                    )

        async with running(env.client, db, before_sourcing=bastille_sells_its_tees) as h:
            handle = await h.place(_collection(sold))
            fid = await first_pick(h, sold)
            await handle.execute_update(OrderWorkflow.change_pickup_store, TO_BASTILLE)
            view = await until(h, sold, lambda v: len(v.fulfilments) == 2)
            again = view.fulfilments[1].fulfilment_id
            await h.pick(again, FULL)
            await h.pack(again)
            await h.collected(again)
            await handle.result()
            ids = [handle.id, fulfilment_workflow_id(fid), fulfilment_workflow_id(again)]
            await save(env, ids)
        db.dispose()


if __name__ == "__main__":
    asyncio.run(run_recorder(record_pickup_paths, sys.argv[1]))
