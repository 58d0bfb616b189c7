"""A store that cannot find every unit: the rest is re-sourced elsewhere, or cancelled."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import LineState, OrderStatus, OrderView, PaymentState
from tests.factories import order, seed
from tests.workflows.harness import (
    Harness,
    fulfilment_rows,
    ledger,
    position,
    running,
    tasks_of,
    until,
)

TEE, MUG = 1999, 899
TOTAL = 2 * TEE + MUG


def awaiting_pick(n: int) -> object:
    """The order has ``n`` fulfilments and the last one waits for a picker."""
    return lambda v: (
        len(v.fulfilments) == n and v.fulfilments[-1].status is FulfilmentStatus.AWAITING_PICK
    )


async def short_pick_one_tee(h: Harness, order_id: str) -> OrderView:
    """The nearest store finds one of the two tee shirts, packs what it has and ships it."""
    view = await until(h, order_id, awaiting_pick(1))
    first = view.fulfilments[0]
    assert first.location_id == "ST-BASTILLE"  # nearest to the customer with every line
    await h.pick(
        first.fulfilment_id,
        PickReport(
            lines=[
                PickedLine(line_id="1", picked=1, short_reason="not_found"),
                PickedLine(line_id="2", picked=1),
            ]
        ),
    )
    await h.pack(first.fulfilment_id)
    return view


async def test_a_short_pick_is_re_sourced_once_at_another_location(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given the nearest store and the warehouse both stock the order
    seed(
        db,
        {
            ("SKU-TEE", "ST-BASTILLE"): 3,
            ("SKU-MUG", "ST-BASTILLE"): 2,
            ("SKU-TEE", "WH-PARIS"): 10,
            ("SKU-MUG", "WH-PARIS"): 10,
        },
    )
    async with running(time_env.client, db) as h:
        handle = await h.place(order("K1"))
        # When the store cannot find one tee shirt
        await short_pick_one_tee(h, "K1")

        # Then the missing unit is sourced again away from the store, at the warehouse
        view = await until(
            h,
            "K1",
            lambda v: awaiting_pick(2)(v) and v.fulfilments[0].status is FulfilmentStatus.SHIPPED,
        )
        second = view.fulfilments[1]
        assert second.location_id == "WH-PARIS"
        assert view.fulfilments[0].status is FulfilmentStatus.SHIPPED
        tee = next(line for line in view.lines if line.line_id == "1")
        assert tee.state is LineState.PARTIALLY_SHIPPED
        assert [(a.location_id, a.qty, a.picked) for a in tee.allocations] == [
            ("ST-BASTILLE", 2, 1),
            ("WH-PARIS", 1, None),
        ]
        assert [t.detail for t in view.timeline if t.type == "rerouted"] == [
            {"from": "ST-BASTILLE", "step": "reroute-1"}
        ]
        second_view = await h.fulfilment_view(second.fulfilment_id)
        assert [(line.line_id, line.quantity) for line in second_view.lines] == [("1", 1)]

        await h.pick(second.fulfilment_id, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
        await h.pack(second.fulfilment_id)
        result = await handle.result()

    # And the order completes, paid in two captures that add up to its value
    assert result.status is OrderStatus.COMPLETED
    assert all(line.state is LineState.SHIPPED for line in result.lines)
    assert [line.cancelled for line in result.lines] == [0, 0]
    assert [f.status for f in result.fulfilments] == [FulfilmentStatus.SHIPPED] * 2
    assert result.payment.state is PaymentState.CAPTURED
    assert result.payment.captured == TOTAL
    auth_id = result.payment.authorization_id
    assert auth_id is not None
    auth = h.payments.state(auth_id)
    assert [c.amount for c in auth.captures] == [TEE + MUG, TEE]
    assert (auth.captured, auth.voided) == (TOTAL, False)
    assert [r.status for r in fulfilment_rows(db, "K1")] == ["SHIPPED", "SHIPPED"]
    # The unit that was not found leaves the store's stock; the shipped ones too.
    assert position(db, "SKU-TEE", "ST-BASTILLE") == (3 - 1 - 1, 0)
    assert position(db, "SKU-MUG", "ST-BASTILLE") == (1, 0)
    assert position(db, "SKU-TEE", "WH-PARIS") == (9, 0)
    assert position(db, "SKU-MUG", "WH-PARIS") == (10, 0)
    assert ledger(db, "K1") == [
        ("ST-BASTILLE", "1", 1, "consumed"),
        ("ST-BASTILLE", "1", 1, "released"),
        ("ST-BASTILLE", "2", 1, "consumed"),
        ("WH-PARIS", "1", 1, "consumed"),
    ]
    assert {t.status for t in tasks_of(db, "K1")} == {"completed"}


async def test_a_short_pick_with_no_stock_elsewhere_cancels_the_missing_units(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given only the nearest store stocks the order
    seed(db, {("SKU-TEE", "ST-BASTILLE"): 2, ("SKU-MUG", "ST-BASTILLE"): 1})
    async with running(time_env.client, db) as h:
        handle = await h.place(order("K2"))
        # When it cannot find one tee shirt and ships the rest
        await short_pick_one_tee(h, "K2")
        result = await handle.result()

    # Then the missing unit is cancelled and only what shipped is paid for
    assert result.status is OrderStatus.COMPLETED
    tee, mug = result.lines
    assert (tee.state, tee.shipped, tee.cancelled) == (LineState.SHIPPED, 1, 1)
    assert tee.cancel_reason == "out_of_stock"
    assert (mug.state, mug.shipped, mug.cancelled) == (LineState.SHIPPED, 1, 0)
    assert len(result.fulfilments) == 1
    assert result.payment.captured == TEE + MUG
    assert result.payment.voided == TEE
    auth_id = result.payment.authorization_id
    assert auth_id is not None
    auth = h.payments.state(auth_id)
    assert (auth.amount, auth.captured, auth.voided) == (TOTAL, TEE + MUG, True)
    assert position(db, "SKU-TEE", "ST-BASTILLE") == (0, 0)
    assert position(db, "SKU-MUG", "ST-BASTILLE") == (0, 0)
    assert ledger(db, "K2") == [
        ("ST-BASTILLE", "1", 1, "consumed"),
        ("ST-BASTILLE", "1", 1, "released"),
        ("ST-BASTILLE", "2", 1, "consumed"),
    ]


async def test_a_short_pick_is_re_sourced_at_once_while_the_store_still_packs_the_rest(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(
        db,
        {
            ("SKU-TEE", "ST-BASTILLE"): 3,
            ("SKU-MUG", "ST-BASTILLE"): 2,
            ("SKU-TEE", "WH-PARIS"): 10,
        },
    )
    async with running(time_env.client, db) as h:
        handle = await h.place(order("EARLY-SHORT"))
        view = await until(h, "EARLY-SHORT", awaiting_pick(1))
        first = view.fulfilments[0].fulfilment_id
        # When the store reports one tee shirt missing and has not packed yet
        await h.pick(
            first,
            PickReport(
                lines=[
                    PickedLine(line_id="1", picked=1, short_reason="not_found"),
                    PickedLine(line_id="2", picked=1),
                ]
            ),
        )
        # Then the warehouse already has the missing unit on its pick list
        view = await until(h, "EARLY-SHORT", awaiting_pick(2))
        assert view.fulfilments[0].status is FulfilmentStatus.PICKED
        assert view.fulfilments[1].location_id == "WH-PARIS"
        second = view.fulfilments[1].fulfilment_id
        await h.pick(second, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
        await h.pack(second)
        await h.pack(first)
        result = await handle.result()

    assert result.status is OrderStatus.COMPLETED
    assert result.payment.captured == TOTAL
    assert [t.type for t in result.timeline].count("rerouted") == 1
