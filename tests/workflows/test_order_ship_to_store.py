"""Ship to store: a collection whose store lacks the stock is picked and shipped elsewhere,
received at the store by scan, then collected there with the customer's code."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import CancelRequest
from oms.db.engine import Database
from oms.db.tables import InventoryPosition, OutboxEvent
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.fulfilment_steps import CollectReport, ReceiveScan
from oms.domain.order import LineState, OrderStatus, PaymentState
from oms.keys import order_workflow_id
from tests.factories import order, seed
from tests.workflows.harness import (
    Harness,
    eventually,
    fulfilment_rows,
    ledger,
    position,
    running,
    until,
    until_fulfilment,
)
from tests.workflows.record_transfer_paths import allow_transfers
from workflows.fulfilment import FulfilmentWorkflow
from workflows.order import OrderWorkflow

COLLECT_AT_OPERA = {"method": "collect", "store_id": "ST-OPERA"}
FULL = PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)])


def events(db: Database, order_id: str, type_: str) -> list[dict[str, Any]]:
    with db.session() as s:
        stmt = select(OutboxEvent).where(
            OutboxEvent.order_id == order_id, OutboxEvent.type == type_
        )
        return [dict(e.payload) for e in s.exec(stmt)]


def at_opera(db: Database, sku: str) -> InventoryPosition | None:
    with db.session() as s:
        return s.get(InventoryPosition, (sku, "ST-OPERA"))


async def _step(h: Harness, fid: str, key: str) -> Any:
    def under_way(v: Any) -> bool:
        return v.current_step is not None and v.current_step.key == key

    return await until_fulfilment(h, fid, under_way)


async def test_a_collection_its_store_lacks_is_shipped_there_received_and_collected(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given the Opéra store has none of the cart, the Paris warehouse and Lyon have it all,
    # and the channel's profile allows transfers to the store
    seed(
        db,
        {
            ("SKU-TEE", "WH-PARIS"): 10,
            ("SKU-MUG", "WH-PARIS"): 10,
            ("SKU-TEE", "ST-LYON"): 10,
            ("SKU-MUG", "ST-LYON"): 10,
        },
    )
    allow_transfers(db)
    async with running(time_env.client, db) as h:
        handle = await h.place(order("T1", delivery=COLLECT_AT_OPERA))
        view = await until(h, "T1", lambda v: bool(v.fulfilments))

        # Then the warehouse nearest the store prepares it, as a transfer to the store
        assert [f.location_id for f in view.fulfilments] == ["WH-PARIS"]
        fid = view.fulfilments[0].fulfilment_id
        await _step(h, fid, "pick")
        assert [r.transfer_to for r in fulfilment_rows(db, "T1")] == ["ST-OPERA"]

        # When the warehouse picks and packs it, it leaves for the store
        await h.pick(fid, FULL)
        await _step(h, fid, "pack")
        await h.pack(fid)
        shipped = await _step(h, fid, "receive")
        assert shipped.status is FulfilmentStatus.IN_TRANSIT
        assert shipped.tracking_number
        # ...its stock consumed at the warehouse, and never counted at the store meanwhile
        assert [(r.status, r.transfer_to) for r in fulfilment_rows(db, "T1")] == [
            ("IN_TRANSIT", "ST-OPERA")
        ]
        assert {status for *_, status in ledger(db, "T1")} == {"consumed"}
        assert position(db, "SKU-TEE", "WH-PARIS") == (8, 0)
        assert position(db, "SKU-MUG", "WH-PARIS") == (9, 0)
        assert at_opera(db, "SKU-TEE") is None
        assert at_opera(db, "SKU-MUG") is None
        [sent] = events(db, "T1", "fulfilment.transfer_shipped")
        assert (sent["from_location_id"], sent["to_location_id"]) == ("WH-PARIS", "ST-OPERA")
        view = await until(h, "T1", lambda v: v.lines[0].state is LineState.IN_TRANSIT)
        assert {line.state for line in view.lines} == {LineState.IN_TRANSIT}

        # When the store scans the parcel's label on arrival
        flow = h.fulfilment(fid)
        await flow.execute_update(
            FulfilmentWorkflow.receive, ReceiveScan(label=shipped.tracking_number)
        )

        # Then it is ready for collection at the store, the customer sent a code
        await until_fulfilment(h, fid, lambda f: f.status is FulfilmentStatus.READY_FOR_COLLECTION)
        await eventually(lambda: bool(events(db, "T1", "fulfilment.ready_for_collection")))
        [ready] = events(db, "T1", "fulfilment.ready_for_collection")
        assert ready["location_id"] == "ST-OPERA"
        [received] = events(db, "T1", "fulfilment.transfer_received")
        assert received["to_location_id"] == "ST-OPERA"

        # When the customer collects it with the code
        await flow.execute_update(
            FulfilmentWorkflow.collect, CollectReport(code=ready["collection_code"])
        )
        result = await handle.result()

    # Then the order completes, paid in full, and no unit moved at the store
    assert result.status is OrderStatus.COMPLETED
    assert {line.state for line in result.lines} == {LineState.COLLECTED}
    assert result.payment.state is PaymentState.CAPTURED
    assert [r.status for r in fulfilment_rows(db, "T1")] == ["COLLECTED"]
    assert position(db, "SKU-TEE", "WH-PARIS") == (8, 0)
    assert at_opera(db, "SKU-TEE") is None


async def test_a_wrong_label_is_not_received_and_a_transfer_cannot_be_cancelled_on_its_way(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given a transfer on its way to the Opéra store
    seed(db, {("SKU-TEE", "WH-PARIS"): 10, ("SKU-MUG", "WH-PARIS"): 10})
    allow_transfers(db)
    async with running(time_env.client, db) as h:
        await h.place(order("T2", delivery=COLLECT_AT_OPERA))
        fid = (await until(h, "T2", lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
        await _step(h, fid, "pick")
        await h.pick(fid, FULL)
        await _step(h, fid, "pack")
        await h.pack(fid)
        await _step(h, fid, "receive")
        flow = h.fulfilment(fid)

        # When the store scans a label of another parcel, then the customer tries to cancel
        refused = None
        try:
            await flow.execute_update(FulfilmentWorkflow.receive, ReceiveScan(label="NOT-OURS"))
        except Exception as err:  # noqa: BLE001 - the update's refusal, as the API reads it
            refused = err
        cancel = await h.client.get_workflow_handle_for(
            OrderWorkflow.run, order_workflow_id("T2")
        ).execute_update(OrderWorkflow.cancel, CancelRequest(actor="storefront"))

        # Then neither happens: it is still on its way
        assert refused is not None
        assert "not one of this transfer's" in str(refused.__cause__)
        assert not cancel.accepted
        assert cancel.reason == "part of the order is on its way to the collection store"
        assert (await h.fulfilment_view(fid)).status is FulfilmentStatus.IN_TRANSIT


async def test_the_store_prepares_what_it_has_while_the_rest_is_transferred_to_it(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given the Opéra store has the tees but no mug, the warehouse has mugs
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "WH-PARIS"): 5})
    allow_transfers(db)
    async with running(time_env.client, db) as h:
        handle = await h.place(order("T3", delivery=COLLECT_AT_OPERA))
        view = await until(h, "T3", lambda v: len(v.fulfilments) == 2)

        # Then the store picks the tees itself and the warehouse ships the mug to it
        by_place = {f.location_id: f.fulfilment_id for f in view.fulfilments}
        assert sorted(by_place) == ["ST-OPERA", "WH-PARIS"]
        rows = {r.location_id: r.transfer_to for r in fulfilment_rows(db, "T3")}
        assert rows == {"ST-OPERA": None, "WH-PARIS": "ST-OPERA"}
        own, moved = by_place["ST-OPERA"], by_place["WH-PARIS"]
        # (no profile is published: the store runs its fixed flow, the transfer its steps)
        await until_fulfilment(h, own, lambda f: f.status is FulfilmentStatus.AWAITING_PICK)
        await h.pick(own, PickReport(lines=[PickedLine(line_id="1", picked=2)]))
        await h.pack(own)
        await _step(h, moved, "pick")
        await h.pick(moved, PickReport(lines=[PickedLine(line_id="2", picked=1)]))
        await _step(h, moved, "pack")
        await h.pack(moved)
        shipped = await _step(h, moved, "receive")
        await h.fulfilment(moved).execute_update(
            FulfilmentWorkflow.receive, ReceiveScan(label=shipped.tracking_number)
        )

        # When the customer collects both parts at the store
        await until_fulfilment(h, own, lambda f: f.status is FulfilmentStatus.READY_FOR_COLLECTION)
        await eventually(lambda: len(events(db, "T3", "fulfilment.ready_for_collection")) == 2)
        # Each part tells the customer it is ready: the store's own (its fixed flow hands it
        # over without a code) and the transfer (its collection profile checks a code)
        told = {e["fulfilment_id"]: e for e in events(db, "T3", "fulfilment.ready_for_collection")}
        assert told[own]["collection_code"] is None
        ready = told[moved]
        assert ready["location_id"] == "ST-OPERA"
        assert ready["collection_code"]
        await h.collected(own)
        await h.fulfilment(moved).execute_update(
            FulfilmentWorkflow.collect, CollectReport(code=ready["collection_code"])
        )
        result = await handle.result()

    # Then the order completes, each unit taken from where it was picked
    assert result.status is OrderStatus.COMPLETED
    assert {line.state for line in result.lines} == {LineState.COLLECTED}
    assert position(db, "SKU-TEE", "ST-OPERA") == (3, 0)
    assert position(db, "SKU-MUG", "WH-PARIS") == (4, 0)
