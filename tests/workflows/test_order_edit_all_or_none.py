"""An edit several fulfilments must take is all of theirs or none's: when one refuses, the
others that would have taken it do not keep it (they held it, then let it go)."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from oms.contracts.fulfilment import FulfilmentEdit
from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.fulfilment_profiles import Service
from oms.domain.order import Address, OrderStatus
from oms.domain.order.edits import EditRefusal, ServiceAdd
from tests.factories import order, seed
from tests.workflows.harness import Harness, running, until, until_fulfilment
from tests.workflows.test_services_sourcing import choose
from workflows.fulfilment import FulfilmentWorkflow
from workflows.order import OrderWorkflow

MUGS = [{"line_id": "1", "sku": "SKU-MUG", "quantity": 2, "unit_price": 899}]
# Next to Opéra: its fulfilment comes first, and is asked first
NEAR_OPERA = {
    "method": "ship",
    "address": {
        "name": "Alice",
        "line1": "1 rue Auber",
        "city": "Paris",
        "postal_code": "75009",
        "country": "FR",
        "lat": 48.8712,
        "lon": 2.3318,
    },
}


async def _answers(h: Harness, workflow_id: str) -> int:
    """The fulfilments' answers to edits in the order's history."""
    return len(
        [
            e
            async for e in h.client.get_workflow_handle(workflow_id).fetch_history_events()
            if e.workflow_execution_signaled_event_attributes.signal_name == "edit_answered"
        ]
    )


async def test_a_service_one_store_refuses_is_added_at_neither(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # One mug at Opéra (its profile wraps), one at the warehouse (its profile does not)
    seed(db, {("SKU-MUG", "ST-OPERA"): 1, ("SKU-MUG", "WH-PARIS"): 1})
    async with running(time_env.client, db, profiles=choose) as h:
        await h.place(order("EA1", lines=MUGS, delivery=NEAR_OPERA))
        view = await until(h, "EA1", lambda v: len(v.fulfilments) == 2)
        where = {f.location_id: f.fulfilment_id for f in view.fulfilments}
        assert [f.location_id for f in view.fulfilments] == ["ST-OPERA", "WH-PARIS"]
        await until_fulfilment(h, where["ST-OPERA"], lambda v: v.current_step is not None)
        await until_fulfilment(
            h, where["WH-PARIS"], lambda v: v.status is FulfilmentStatus.AWAITING_PICK
        )
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-EA1")

        # When customer service asks a gift wrap for the line
        result = await handle.execute_update(
            OrderWorkflow.add_service, ServiceAdd(line_id="1", service=Service.GIFT_WRAP)
        )

        # Then the warehouse refuses it, and Opéra, asked first, does not wrap either
        assert not result.accepted
        assert result.reason is EditRefusal.SERVICE_NOT_PERFORMED
        opera = await h.fulfilment_view(where["ST-OPERA"])
        warehouse = await h.fulfilment_view(where["WH-PARIS"])
        assert opera.lines[0].services == []
        assert warehouse.lines[0].services == []
        # And no fulfilment stays held: their picks go through (refused while an edit holds)
        for fid in where.values():
            await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
        final = await h.view("EA1")
    assert not [e for e in final.timeline if e.type == "service_added"]


async def test_a_fulfilment_holding_an_edit_is_neither_picked_nor_packed_until_it_is_let_go(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-MUG", "ST-OPERA"): 1})
    async with running(time_env.client, db) as h:
        await h.place(order("EA2", lines=[{**MUGS[0], "quantity": 1}]))
        fid = (await until(h, "EA2", lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
        await until_fulfilment(h, fid, lambda v: v.status is FulfilmentStatus.AWAITING_PICK)
        flow = h.fulfilment(fid)
        address = Address.model_validate(NEAR_OPERA["address"])
        pick = PickReport(lines=[PickedLine(line_id="1", picked=1)])

        # While an edit is held (the order asks the others), the store cannot pick
        await flow.signal(FulfilmentWorkflow.edit, FulfilmentEdit(edit=7, stage="hold"))
        with pytest.raises(WorkflowUpdateFailedError):
            await h.pick(fid, pick)
        # Let go, it picks
        await flow.signal(FulfilmentWorkflow.edit, FulfilmentEdit(edit=7, stage="release"))
        assert (await h.pick(fid, pick)).status is FulfilmentStatus.PICKED

        # A new address held: the parcel cannot be packed before it is applied or let go
        held = FulfilmentEdit(edit=8, address=address, stage="hold")
        await flow.signal(FulfilmentWorkflow.edit, held)
        with pytest.raises(WorkflowUpdateFailedError):
            await h.pack(fid)
        await flow.signal(FulfilmentWorkflow.edit, held.model_copy(update={"stage": "apply"}))
        # Its answer reaches the order (holds 7 and 8, then the apply; a release answers none)
        for _ in range(200):
            if await _answers(h, "order-EA2") == 3:
                break
            await asyncio.sleep(0.05)
        assert await _answers(h, "order-EA2") == 3
        assert (await h.fulfilment_view(fid)).status is FulfilmentStatus.PICKED
        assert (await h.pack(fid)).status is FulfilmentStatus.PACKED
        done = await h.client.get_workflow_handle_for(OrderWorkflow.run, "order-EA2").result()
    assert done.status is OrderStatus.COMPLETED
