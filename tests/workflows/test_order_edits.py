"""Order edits (issue 12): a line cancelled before its pick leaves the fulfilment (its units
released, not short-picked), the authorization comes down to what is left; after the pick the
same edit is refused."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from oms.db import payments
from oms.db.engine import Database
from oms.db.tables import Fulfilment
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.fulfilment_profiles import Service
from oms.domain.order import Address, CancelReason, LineState, OrderStatus, PaymentState
from oms.domain.order.edits import DeliveryChange, EditRefusal, LineCancel, ServiceAdd
from oms.keys import vas_task_id
from tests.factories import order, seed
from tests.workflows.gateways import VoidsWholeOnly
from tests.workflows.harness import (
    Harness,
    eventually,
    ledger,
    outbox_types,
    position,
    running,
    task,
    until,
    until_fulfilment,
)
from tests.workflows.test_services_sourcing import GIFT, choose
from workflows.order import OrderWorkflow

TEE, MUG = 1999, 899
STOCK = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3}
FULL = PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)])


def _ops(db: Database, order_id: str) -> list[tuple[str, str, int]]:
    with db.reading() as s:
        return [(e.operation, e.outcome, e.amount) for e in payments.entries(s, order_id=order_id)]


async def awaiting_pick(h: Harness, order_id: str, delivery: dict[str, str] | None = None) -> str:
    """An order placed (shipped to Paris, or ``delivery``), paid for and waiting for its pick:
    its fulfilment's id."""
    await h.place(order(order_id, delivery=delivery) if delivery else order(order_id))
    view = await until(
        h,
        order_id,
        lambda v: bool(v.fulfilments) and v.payment.state is PaymentState.AUTHORIZED,
    )
    fid = view.fulfilments[0].fulfilment_id
    await until_fulfilment(h, fid, lambda v: v.status is FulfilmentStatus.AWAITING_PICK)
    return fid


def _cancel(line_id: str, quantity: int | None = None) -> LineCancel:
    return LineCancel(line_id=line_id, quantity=quantity, code="customer_request", actor="cs")


async def test_a_line_reduced_before_its_pick_leaves_the_fulfilment_and_lowers_the_authorization(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await awaiting_pick(h, "ED1")
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-ED1")

        # When customer service takes one tee shirt off the order before the store picks it
        result = await handle.execute_update(OrderWorkflow.cancel_line, _cancel("1", 1))

        # Then the edit is accepted and the pick list asks for one tee shirt only
        assert result.accepted
        assert result.cancelled == 1
        flow = await h.fulfilment_view(fid)
        assert [(line.line_id, line.quantity) for line in flow.lines] == [("1", 1), ("2", 1)]
        # Its reservation is released (the unit is available again), the rest still held
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 1)
        assert ledger(db, "ED1") == [
            ("ST-OPERA", "1", 1, "held"),
            ("ST-OPERA", "1", 1, "released"),
            ("ST-OPERA", "2", 1, "held"),
        ]
        # And the authorization is what is left: the gateway let go of the tee shirt's price
        view = await until(h, "ED1", lambda v: v.payment.authorized == TEE + MUG)
        assert _ops(db, "ED1") == [
            ("authorize", "succeeded", 2 * TEE + MUG),
            ("partial_void", "succeeded", TEE),
        ]
        auth_id = view.payment.authorization_id
        assert auth_id is not None
        assert h.payments.state(auth_id).amount == TEE + MUG
        assert [e.detail["quantity"] for e in view.timeline if e.type == "line_cancelled"] == [1]

        # When the store picks what it is asked for and ships it
        await h.pick(
            fid,
            PickReport(
                lines=[PickedLine(line_id="1", picked=1), PickedLine(line_id="2", picked=1)]
            ),
        )
        await h.pack(fid)
        done = await handle.result()

    # Then nothing was short-picked or re-sourced, and the order is paid what it shipped
    assert done.status is OrderStatus.COMPLETED
    assert not [e for e in done.timeline if e.type == "rerouted"]
    tee = done.lines[0]
    assert (tee.state, tee.shipped, tee.cancelled) == (LineState.SHIPPED, 1, 1)
    assert tee.cancel_reason is CancelReason.CUSTOMER_REQUEST
    assert done.payment.captured == TEE + MUG
    assert "order.line_cancelled" in outbox_types(db, "ED1")
    assert position(db, "SKU-TEE", "ST-OPERA") == (4, 0)


async def test_a_line_cancel_after_the_pick_is_refused(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await awaiting_pick(h, "ED2")
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-ED2")
        await h.pick(
            fid,
            PickReport(
                lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
            ),
        )

        result = await handle.execute_update(OrderWorkflow.cancel_line, _cancel("1", 1))

        assert not result.accepted
        assert result.reason is EditRefusal.PAST_POINT_OF_NO_RETURN
        flow = await h.fulfilment_view(fid)
        assert [line.quantity for line in flow.lines] == [2, 1]
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 2)
        await h.pack(fid)
        done = await handle.result()
    assert done.payment.captured == 2 * TEE + MUG
    assert [line.cancelled for line in done.lines] == [0, 0]


async def test_cancelling_every_line_cancels_the_order_for_the_edits_reason(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await awaiting_pick(h, "ED3")
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-ED3")
        first = await handle.execute_update(OrderWorkflow.cancel_line, _cancel("2"))
        assert first.accepted
        assert first.cancelled == 1
        # The mug's unit left the pick list; the tee shirts are still to pick
        flow = await h.fulfilment_view(fid)
        assert [(line.line_id, line.quantity) for line in flow.lines] == [("1", 2)]
        last = await handle.execute_update(OrderWorkflow.cancel_line, _cancel("1"))
        assert last.accepted
        assert last.cancelled == 2
        done = await handle.result()
    assert done.status is OrderStatus.CANCELLED
    assert done.cancel_reason is CancelReason.CUSTOMER_REQUEST
    assert all(line.state is LineState.CANCELLED for line in done.lines)
    assert done.payment.state is PaymentState.VOIDED
    assert position(db, "SKU-TEE", "ST-OPERA") == (5, 0)
    assert position(db, "SKU-MUG", "ST-OPERA") == (3, 0)


LYON = Address(
    name="Alice",
    line1="1 place Bellecour",
    city="Lyon",
    postal_code="69002",
    country="FR",
    lat=45.757,
    lon=4.832,
)


async def test_a_new_address_far_away_moves_the_fulfilment_before_its_pick(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given stock in a Paris store and in Lyon, and an order for Paris sourced to Paris
    seed(db, {**STOCK, ("SKU-TEE", "ST-LYON"): 5, ("SKU-MUG", "ST-LYON"): 3})
    async with running(time_env.client, db) as h:
        fid = await awaiting_pick(h, "ED4")
        assert (await h.fulfilment_view(fid)).location_id == "ST-OPERA"
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-ED4")

        # When customer service changes the address to Lyon before the pick
        result = await handle.execute_update(
            OrderWorkflow.change_delivery, DeliveryChange(address=LYON)
        )

        # Then the units leave the Paris store (released) and are sourced in Lyon
        assert result.accepted
        view = await until(h, "ED4", lambda v: len(v.fulfilments) == 2)
        moved = view.fulfilments[1]
        assert moved.location_id == "ST-LYON"
        assert (await h.fulfilment_view(fid)).status is FulfilmentStatus.CANCELLED
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 0)
        assert position(db, "SKU-TEE", "ST-LYON") == (5, 2)
        assert [e.detail for e in view.timeline if e.type == "resourced"] == [
            {"from": ["ST-OPERA"], "step": "edit-1"}
        ]
        await h.pick(moved.fulfilment_id, FULL)
        await h.pack(moved.fulfilment_id)
        done = await handle.result()
        shipped = await h.fulfilment_view(moved.fulfilment_id)
    assert h.carrier.destination(shipped.tracking_number or "") == LYON
    assert done.status is OrderStatus.COMPLETED
    assert done.payment.captured == 2 * TEE + MUG
    assert [line.cancelled for line in done.lines] == [0, 0]
    assert "order.delivery_changed" in outbox_types(db, "ED4")


async def test_a_new_address_nearby_keeps_the_fulfilment_and_the_carrier_gets_it(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await awaiting_pick(h, "ED5")
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-ED5")
        await h.pick(fid, FULL)  # picked, not packed: the parcel can still be re-addressed
        office = LYON.model_copy(
            update={"city": "Paris", "postal_code": "75009", "lat": 48.87, "lon": 2.33}
        )

        result = await handle.execute_update(
            OrderWorkflow.change_delivery, DeliveryChange(address=office)
        )

        assert result.accepted
        view = await h.view("ED5")
        assert [f.fulfilment_id for f in view.fulfilments] == [fid]
        packed = await h.pack(fid)
        await handle.result()
        shipped = await h.fulfilment_view(fid)
    assert packed.status is FulfilmentStatus.PACKED
    assert h.carrier.destination(shipped.tracking_number or "") == office


async def test_a_service_is_added_where_the_store_performs_it_and_becomes_its_task(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-MUG", "ST-OPERA"): 5})  # Opéra's profile wraps
    async with running(time_env.client, db, profiles=choose) as h:
        await h.place(order("ED7", lines=[{**GIFT[0], "services": []}]))
        fid = (await until(h, "ED7", lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
        await until_fulfilment(h, fid, lambda v: v.current_step is not None)
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-ED7")

        result = await handle.execute_update(
            OrderWorkflow.add_service, ServiceAdd(line_id="1", service=Service.GIFT_WRAP)
        )

        assert result.accepted
        await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
        wrap_id = vas_task_id(fid, "1", "gift_wrap")
        await eventually(lambda: task(db, wrap_id) is not None)
        view = await h.view("ED7")
    assert [e.detail["service"] for e in view.timeline if e.type == "service_added"] == [
        "gift_wrap"
    ]
    assert "order.service_added" in outbox_types(db, "ED7")


async def test_a_service_the_store_does_not_perform_is_refused(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-MUG", "ST-BASTILLE"): 5})  # Bastille's profile does not wrap
    async with running(time_env.client, db, profiles=choose) as h:
        await h.place(order("ED8", lines=[{**GIFT[0], "services": []}]))
        fid = (await until(h, "ED8", lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
        await until_fulfilment(h, fid, lambda v: v.current_step is not None)
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-ED8")

        result = await handle.execute_update(
            OrderWorkflow.add_service, ServiceAdd(line_id="1", service=Service.GIFT_WRAP)
        )

        assert not result.accepted
        assert result.reason is EditRefusal.SERVICE_NOT_PERFORMED
        flow = await h.fulfilment_view(fid)
    assert flow.lines[0].services == []


async def test_a_line_cancel_is_refused_once_a_pick_wave_has_taken_the_fulfilment(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        fid = await awaiting_pick(h, "ED9")
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-ED9")
        with db.session() as s:  # a picker is walking the shelves for it
            row = s.get(Fulfilment, fid)
            assert row is not None
            row.wave_id = "W-ED9"
            s.add(row)

        result = await handle.execute_update(OrderWorkflow.cancel_line, _cancel("1", 1))

        assert not result.accepted
        assert result.reason is EditRefusal.PAST_POINT_OF_NO_RETURN
        assert result.message == "the fulfilment is being picked in wave W-ED9"
        flow = await h.fulfilment_view(fid)
        assert [line.quantity for line in flow.lines] == [2, 1]
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 2)
        # The pick as the wave sorts it is taken as it was asked
        await h.pick(fid, FULL)
        view = await h.view("ED9")
    assert view.payment.authorized == 2 * TEE + MUG


async def test_a_gateway_that_voids_whole_only_authorizes_the_lower_amount_afresh(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db, VoidsWholeOnly()) as h:
        fid = await awaiting_pick(h, "ED10")
        handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-ED10")

        result = await handle.execute_update(OrderWorkflow.cancel_line, _cancel("1", 1))

        assert result.accepted
        view = await until(h, "ED10", lambda v: v.payment.authorized == TEE + MUG)
        assert _ops(db, "ED10") == [
            ("authorize", "succeeded", 2 * TEE + MUG),
            ("authorize", "succeeded", TEE + MUG),
            ("void", "succeeded", 2 * TEE + MUG),
        ]
        rest = [PickedLine(line_id="1", picked=1), PickedLine(line_id="2", picked=1)]
        await h.pick(fid, PickReport(lines=rest))
        await h.pack(fid)
        done = await handle.result()
    assert [e.type for e in view.timeline].count("payment_reauthorized") == 1
    # Captured on the fresh authorization
    assert done.payment.captured == TEE + MUG
    with db.reading() as s:
        entries = payments.entries(s, order_id="ED10")
    fresh = [e.authorization_id for e in entries if e.operation == "authorize"][1]
    assert [e.authorization_id for e in entries if e.operation == "capture"] == [fresh]
