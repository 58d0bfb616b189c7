"""Recorded runs of order edits (issue 12): a line reduced before its pick (its unit out of
the fulfilment, the authorization lowered), the same edit refused once picked, a new address
far away that moves the fulfilment to another store, a service added where the store wraps.
Run by hand with a new prefix after a compatible change:
``python -m tests.workflows.record_edit_paths R10ED``; test_replay replays what it saved."""

from __future__ import annotations

import asyncio
import sys
import tempfile

from temporalio.testing import WorkflowEnvironment

from oms.db.stock_updates import AbsoluteUpdate, apply_absolute_many
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.fulfilment_profiles import Service
from oms.domain.fulfilment_steps import StepReport
from oms.domain.order.edits import DeliveryChange, LineCancel, ServiceAdd
from oms.keys import fulfilment_workflow_id
from tests.factories import order
from tests.workflows.harness import running, until, until_fulfilment
from tests.workflows.record_order_paths import FULL, first_pick, fresh_db, save
from tests.workflows.record_profile_paths import run_recorder
from tests.workflows.test_order_edits import LYON
from tests.workflows.test_services_sourcing import GIFT, choose
from workflows.fulfilment import FulfilmentWorkflow
from workflows.order import OrderWorkflow

ONE_TEE = LineCancel(line_id="1", quantity=1, code="customer_request", actor="cs")


async def record_edit_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        with db.session() as s:  # Lyon has it all too, for the address that moves
            apply_absolute_many(
                s,
                [
                    AbsoluteUpdate(sku="SKU-TEE", location_id="ST-LYON", on_hand=9),
                    AbsoluteUpdate(sku="SKU-MUG", location_id="ST-LYON", on_hand=9),
                ],
            )
        # The Opéra store's profile wraps gifts (its vas step skipped when nothing asks).
        async with running(env.client, db, profiles=choose) as h:
            # A tee shirt less before the pick: the store picks what is left.
            handle = await h.place(order(f"{prefix}-EDITCANCEL"))
            fid = await first_pick(h, f"{prefix}-EDITCANCEL")
            await handle.execute_update(OrderWorkflow.cancel_line, ONE_TEE)
            rest = [PickedLine(line_id="1", picked=1), PickedLine(line_id="2", picked=1)]
            await h.pick(fid, PickReport(lines=rest))
            await h.pack(fid)
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid)])

            # The same edit once the store has picked: refused, the order ships as it was.
            handle = await h.place(order(f"{prefix}-EDITLATE"))
            fid = await first_pick(h, f"{prefix}-EDITLATE")
            await h.pick(fid, FULL)
            await handle.execute_update(OrderWorkflow.cancel_line, ONE_TEE)
            await h.pack(fid)
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid)])

            # To Lyon before the pick: the Paris store's units move to the Lyon store.
            handle = await h.place(order(f"{prefix}-EDITMOVE"))
            fid = await first_pick(h, f"{prefix}-EDITMOVE")
            await handle.execute_update(OrderWorkflow.change_delivery, DeliveryChange(address=LYON))
            view = await until(h, f"{prefix}-EDITMOVE", lambda v: len(v.fulfilments) == 2)
            moved = view.fulfilments[1].fulfilment_id
            await h.pick(moved, FULL)
            await h.pack(moved)
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid), fulfilment_workflow_id(moved)])

            # A gift wrap asked after the order, at the store that wraps.
            handle = await h.place(order(f"{prefix}-EDITWRAP", lines=[{**GIFT[0], "services": []}]))
            fid = await first_pick(h, f"{prefix}-EDITWRAP")
            await until_fulfilment(h, fid, lambda v: v.current_step is not None)
            await handle.execute_update(
                OrderWorkflow.add_service, ServiceAdd(line_id="1", service=Service.GIFT_WRAP)
            )
            await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
            await until_fulfilment(h, fid, lambda v: v.current_step.key == "vas")
            await h.fulfilment(fid).execute_update(
                FulfilmentWorkflow.complete_step, StepReport(step="vas")
            )
            await until_fulfilment(h, fid, lambda v: v.current_step.key == "pack")
            await h.pack(fid)
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid)])
        db.dispose()


if __name__ == "__main__":
    asyncio.run(run_recorder(record_edit_paths, sys.argv[1]))
