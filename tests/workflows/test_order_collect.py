"""Click and collect: the chosen store picks and packs, then hands the order over."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import LineState, OrderStatus, PaymentState
from tests.factories import order, seed
from tests.workflows.harness import (
    fulfilment_rows,
    ledger,
    position,
    running,
    tasks_of,
    until,
    until_fulfilment,
)

TOTAL = 2 * 1999 + 899


async def test_a_collect_order_is_handed_over_at_its_store_and_completes(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given the collection store and a nearer warehouse both stock the order
    seed(
        db,
        {
            ("SKU-TEE", "ST-OPERA"): 5,
            ("SKU-MUG", "ST-OPERA"): 3,
            ("SKU-TEE", "ST-BASTILLE"): 50,
            ("SKU-MUG", "ST-BASTILLE"): 50,
        },
    )
    async with running(time_env.client, db) as h:
        handle = await h.place(order("C1", delivery={"method": "collect", "store_id": "ST-OPERA"}))
        view = await until(
            h,
            "C1",
            lambda v: v.fulfilments and v.fulfilments[0].status is FulfilmentStatus.AWAITING_PICK,
        )
        # Then only the collection store is asked to prepare it
        assert [f.location_id for f in view.fulfilments] == ["ST-OPERA"]
        fid = view.fulfilments[0].fulfilment_id

        # When the store picks and packs it
        await h.pick(
            fid,
            PickReport(
                lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
            ),
        )
        await h.pack(fid)

        # Then it waits for the customer, ready for collection, nothing charged yet
        await until_fulfilment(h, fid, lambda f: f.status is FulfilmentStatus.READY_FOR_COLLECTION)
        view = await until(
            h,
            "C1",
            lambda v: v.fulfilments[0].status is FulfilmentStatus.READY_FOR_COLLECTION,
        )
        assert {line.state for line in view.lines} == {LineState.READY_FOR_COLLECTION}
        assert view.payment.captured == 0
        assert [r.status for r in fulfilment_rows(db, "C1")] == ["READY_FOR_COLLECTION"]
        assert {status for *_, status in ledger(db, "C1")} == {"committed"}

        # When the customer collects it
        handed_over = await h.collected(fid)
        result = await handle.result()

    # Then the hand-over is confirmed, the order completes and is paid
    print("HANDED", handed_over.status)
    assert handed_over.status is FulfilmentStatus.COLLECTED
    assert result.status is OrderStatus.COMPLETED
    assert {line.state for line in result.lines} == {LineState.COLLECTED}
    assert [line.shipped for line in result.lines] == [2, 1]
    assert [f.status for f in result.fulfilments] == [FulfilmentStatus.COLLECTED]
    assert result.fulfilments[0].tracking_number is None
    assert result.payment.state is PaymentState.CAPTURED
    assert result.payment.captured == TOTAL
    assert [r.status for r in fulfilment_rows(db, "C1")] == ["COLLECTED"]
    assert {status for *_, status in ledger(db, "C1")} == {"consumed"}
    assert position(db, "SKU-TEE", "ST-OPERA") == (3, 0)
    assert position(db, "SKU-MUG", "ST-OPERA") == (2, 0)
    assert position(db, "SKU-TEE", "ST-BASTILLE") == (50, 0)
    assert [t.status for t in tasks_of(db, "C1")] == ["completed"]
