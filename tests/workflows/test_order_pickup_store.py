"""A click & collect order moved to another store (workflows/order_pickup.py): before the first
store picks it, its units leave that store (released) and are sourced again for the new one,
where the customer collects; once the store started, or for a shipment, it is refused and
nothing changes."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from oms.contracts.sourcing import SourcingRequest
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.db.stock_updates import AbsoluteUpdate, apply_absolute_many
from oms.db.tables import Fulfilment
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import LineState, OrderStatus
from oms.domain.order.edits import EditRefusal
from oms.domain.order.pickup import PickupStoreChange
from oms.keys import edit_step, step_key
from tests.factories import seed
from tests.workflows.harness import (
    Harness,
    fulfilment_rows,
    ledger,
    outbox_types,
    position,
    running,
    until,
    until_fulfilment,
)
from tests.workflows.record_transfer_paths import allow_transfers
from tests.workflows.test_order_edits import awaiting_pick
from tests.workflows.test_order_ship_to_store import events
from workflows.order import OrderWorkflow

TEE, MUG = 1999, 899
AT_OPERA = {"method": "collect", "store_id": "ST-OPERA"}
FULL = PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)])
BOTH_STORES = {
    ("SKU-TEE", "ST-OPERA"): 5,
    ("SKU-MUG", "ST-OPERA"): 3,
    ("SKU-TEE", "ST-BASTILLE"): 4,
    ("SKU-MUG", "ST-BASTILLE"): 2,
}
TO_BASTILLE = PickupStoreChange(store_id="ST-BASTILLE", actor="cs")


async def _prepared_and_collected(h: Harness, fid: str) -> None:
    """The store picks and packs the fulfilment, it waits for the customer, who collects it."""
    await h.pick(fid, FULL)
    await h.pack(fid)
    await until_fulfilment(h, fid, lambda f: f.status is FulfilmentStatus.READY_FOR_COLLECTION)
    await h.collected(fid)


async def test_a_collection_before_its_pick_moves_to_a_store_that_has_it_and_is_collected_there(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given a collection at Opéra, waiting for its pick there, and Bastille has the cart too
    seed(db, BOTH_STORES)
    async with running(time_env.client, db) as h:
        fid = await awaiting_pick(h, "PS1", AT_OPERA)
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-PS1")

        # When customer service moves it to Bastille
        result = await handle.execute_update(OrderWorkflow.change_pickup_store, TO_BASTILLE)

        # Then Opéra's fulfilment ends with nothing, its units released there and held at
        # Bastille, in a fulfilment of Bastille's
        assert result.accepted
        assert result.edit == 1
        view = await until(h, "PS1", lambda v: len(v.fulfilments) == 2)
        moved = view.fulfilments[1]
        assert moved.location_id == "ST-BASTILLE"
        assert (await h.fulfilment_view(fid)).status is FulfilmentStatus.CANCELLED
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 0)
        assert position(db, "SKU-MUG", "ST-OPERA") == (3, 0)
        assert position(db, "SKU-TEE", "ST-BASTILLE") == (4, 2)
        assert position(db, "SKU-MUG", "ST-BASTILLE") == (2, 1)
        assert view.store_id == "ST-BASTILLE"
        [changed] = [e.detail for e in view.timeline if e.type == "pickup_store_changed"]
        assert changed == {"edit": 1, "from": "ST-OPERA", "to": "ST-BASTILLE"}
        [event] = events(db, "PS1", "order.pickup_store_changed")
        assert (event["from"], event["to"], event["resourced"]) == (
            "ST-OPERA",
            "ST-BASTILLE",
            [fid],
        )

        # ...and the order the customer's messages are written from names Bastille
        with db.reading() as s:
            row = order_repo.get_order(s, "PS1")
            assert row is not None
            assert row.payload["delivery"]["store_id"] == "ST-BASTILLE"

        # When Bastille prepares it, and the customer collects it there
        await _prepared_and_collected(h, moved.fulfilment_id)
        done = await handle.result()

    # Then the order completes, paid in full, nothing cancelled, Opéra's stock untouched
    assert done.status is OrderStatus.COMPLETED
    assert {line.state for line in done.lines} == {LineState.COLLECTED}
    assert [line.cancelled for line in done.lines] == [0, 0]
    assert done.payment.captured == 2 * TEE + MUG
    assert position(db, "SKU-TEE", "ST-OPERA") == (5, 0)
    assert position(db, "SKU-TEE", "ST-BASTILLE") == (2, 0)
    assert [(r.location_id, r.status) for r in fulfilment_rows(db, "PS1")] == [
        ("ST-OPERA", "CANCELLED"),
        ("ST-BASTILLE", "COLLECTED"),
    ]


async def test_once_the_store_has_picked_the_collection_stays_there(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, BOTH_STORES)
    async with running(time_env.client, db) as h:
        fid = await awaiting_pick(h, "PS2", AT_OPERA)
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-PS2")
        await h.pick(fid, FULL)

        result = await handle.execute_update(OrderWorkflow.change_pickup_store, TO_BASTILLE)

        assert not result.accepted
        assert result.reason is EditRefusal.PAST_POINT_OF_NO_RETURN
        view = await h.view("PS2")
        assert view.store_id == "ST-OPERA"
        assert [f.fulfilment_id for f in view.fulfilments] == [fid]
        assert position(db, "SKU-TEE", "ST-BASTILLE") == (4, 0)
        assert "order.pickup_store_changed" not in outbox_types(db, "PS2")


async def test_a_wave_that_took_the_fulfilment_meanwhile_refuses_the_move_and_nothing_changes(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, BOTH_STORES)
    async with running(time_env.client, db) as h:
        fid = await awaiting_pick(h, "PS3", AT_OPERA)
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-PS3")
        with db.session() as s:  # a picker at Opéra is walking the shelves for it
            row = s.get(Fulfilment, fid)
            assert row is not None
            row.wave_id = "W-PS3"
            s.add(row)

        result = await handle.execute_update(OrderWorkflow.change_pickup_store, TO_BASTILLE)

        assert not result.accepted
        assert result.reason is EditRefusal.PAST_POINT_OF_NO_RETURN
        assert result.message == "the fulfilment is being picked in wave W-PS3"
        flow = await h.fulfilment_view(fid)
        assert [line.quantity for line in flow.lines] == [2, 1]
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 2)
        assert position(db, "SKU-TEE", "ST-BASTILLE") == (4, 0)
        # The pick is taken as it was asked, the order is still collected at Opéra
        await h.pick(fid, FULL)
        view = await h.view("PS3")
    assert view.store_id == "ST-OPERA"
    assert {(*e[:1], e[3]) for e in ledger(db, "PS3")} == {("ST-OPERA", "committed")}


async def test_a_store_that_cannot_have_the_cart_is_refused_and_the_order_stays(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Lyon has no tee shirt, and the channel transfers nothing to a store
    seed(db, {**BOTH_STORES, ("SKU-MUG", "ST-LYON"): 3})
    async with running(time_env.client, db) as h:
        fid = await awaiting_pick(h, "PS4", AT_OPERA)
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-PS4")

        result = await handle.execute_update(
            OrderWorkflow.change_pickup_store, PickupStoreChange(store_id="ST-LYON")
        )

        assert not result.accepted
        assert result.reason is EditRefusal.NOT_AVAILABLE_AT_STORE
        view = await h.view("PS4")
        assert view.store_id == "ST-OPERA"
        assert (await h.fulfilment_view(fid)).status is FulfilmentStatus.AWAITING_PICK
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 2)


async def test_a_shipment_has_no_store_to_change(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, BOTH_STORES)
    async with running(time_env.client, db) as h:
        await awaiting_pick(h, "PS5", None)  # shipped to Paris
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-PS5")

        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(OrderWorkflow.change_pickup_store, TO_BASTILLE)

    cause = refused.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "not_a_collection"


async def test_a_store_without_the_cart_gets_it_by_transfer_where_the_channel_allows_it(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given Lyon has none of the cart, the Paris warehouse has it, and the channel's profile
    # ships to a store what it lacks
    seed(db, {**BOTH_STORES, ("SKU-TEE", "WH-PARIS"): 9, ("SKU-MUG", "WH-PARIS"): 9})
    allow_transfers(db)
    async with running(time_env.client, db) as h:
        fid = await awaiting_pick(h, "PS6", AT_OPERA)
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-PS6")

        # When the customer would rather collect in Lyon
        result = await handle.execute_update(
            OrderWorkflow.change_pickup_store, PickupStoreChange(store_id="ST-LYON")
        )

        # Then the units leave Opéra and are sent to Lyon from elsewhere
        assert result.accepted
        await until(h, "PS6", lambda v: len(v.fulfilments) == 2)
        rows = fulfilment_rows(db, "PS6")
        assert [(r.location_id, r.status, r.transfer_to) for r in rows][0] == (
            "ST-OPERA",
            "CANCELLED",
            None,
        )
        assert (rows[1].status, rows[1].transfer_to) == ("AWAITING_PICK", "ST-LYON")
        assert rows[1].location_id != "ST-LYON"
        assert position(db, "SKU-TEE", "ST-OPERA")[1] + position(db, "SKU-TEE", "WH-PARIS")[1] == 2
        assert (await h.fulfilment_view(fid)).status is FulfilmentStatus.CANCELLED
        assert (await h.view("PS6")).store_id == "ST-LYON"


async def test_a_new_store_that_sold_the_units_meanwhile_keeps_the_collection_where_it_was(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given a collection at Opéra, and Bastille with the cart when the move is asked...
    seed(db, BOTH_STORES)

    def bastille_sells_its_tees(req: SourcingRequest) -> None:
        # ...until, as the units come to be placed there, a till sells Bastille's tees
        if req.step_key == step_key("PS7", edit_step(1)):
            with db.session() as s:
                apply_absolute_many(
                    s, [AbsoluteUpdate(sku="SKU-TEE", location_id="ST-BASTILLE", on_hand=0)]
                )

    async with running(time_env.client, db, before_sourcing=bastille_sells_its_tees) as h:
        fid = await awaiting_pick(h, "PS7", AT_OPERA)
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-PS7")

        result = await handle.execute_update(OrderWorkflow.change_pickup_store, TO_BASTILLE)

        # Then the move is refused and the order stays collected at Opéra: what Bastille took
        # is let go, and every unit is held at Opéra again, nothing cancelled
        assert not result.accepted
        assert result.reason is EditRefusal.NOT_AVAILABLE_AT_STORE
        view = await until(h, "PS7", lambda v: len(v.fulfilments) == 2)
        assert view.store_id == "ST-OPERA"
        again = view.fulfilments[1]
        assert again.location_id == "ST-OPERA"
        assert (await h.fulfilment_view(fid)).status is FulfilmentStatus.CANCELLED
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 2)
        assert position(db, "SKU-MUG", "ST-OPERA") == (3, 1)
        assert position(db, "SKU-MUG", "ST-BASTILLE") == (2, 0)
        assert [line.cancelled for line in view.lines] == [0, 0]
        [undone] = [e.detail for e in view.timeline if e.type == "pickup_store_change_undone"]
        assert undone == {"edit": 1, "to": "ST-OPERA"}
        assert "order.pickup_store_changed" not in outbox_types(db, "PS7")

        # And the customer collects it at Opéra, as first planned
        await _prepared_and_collected(h, again.fulfilment_id)
        done = await handle.result()

    assert done.status is OrderStatus.COMPLETED
    assert done.payment.captured == 2 * TEE + MUG
