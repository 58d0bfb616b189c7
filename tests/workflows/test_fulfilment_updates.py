"""Store actions that make no sense are refused with the field at fault, and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import LineState, OrderStatus, OrderView
from tests.factories import order, seed
from tests.workflows.harness import Harness, eventually, ledger, position, running, task, until

STOCK = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3}
HELD = [("ST-OPERA", "1", 2, "held"), ("ST-OPERA", "2", 1, "held")]


async def awaiting_pick(h: Harness, order_id: str) -> tuple[OrderView, str]:
    """Place an order and return once its store can see the pick list."""
    await h.place(order(order_id))
    view = await until(
        h,
        order_id,
        lambda v: v.fulfilments and v.fulfilments[0].status is FulfilmentStatus.AWAITING_PICK,
    )
    fid = view.fulfilments[0].fulfilment_id
    await eventually(lambda: task(h.db, f"pick-{fid}") is not None)
    return view, fid


def refusal(err: pytest.ExceptionInfo[WorkflowUpdateFailedError]) -> ApplicationError:
    cause = err.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


@pytest.mark.parametrize(
    ("order_id", "picked", "field", "code"),
    [
        pytest.param(
            "U1a",
            [PickedLine(line_id="1", picked=3), PickedLine(line_id="2", picked=1)],
            "lines[0].picked",
            "pick_exceeds_requested",
            id="more-than-asked",
        ),
        pytest.param(
            "U1b",
            [PickedLine(line_id="1", picked=1), PickedLine(line_id="2", picked=1)],
            "lines[0].short_reason",
            "reason_required",
            id="short-without-reason",
        ),
        pytest.param(
            "U1c",
            [
                PickedLine(line_id="1", picked=2),
                PickedLine(line_id="2", picked=1),
                PickedLine(line_id="9", picked=1),
            ],
            "lines[2].line_id",
            "unknown_line",
            id="unknown-line",
        ),
    ],
)
async def test_an_invalid_pick_is_refused_and_changes_nothing(
    time_env: WorkflowEnvironment,
    db: Database,
    order_id: str,
    picked: list[PickedLine],
    field: str,
    code: str,
) -> None:
    # Given an order waiting for a picker
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        before, fid = await awaiting_pick(h, order_id)

        # When the store reports an impossible pick
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await h.pick(fid, PickReport(lines=picked))

        # Then it is refused with the field at fault and the reason code
        cause = refusal(err)
        assert cause.type == "invalid_pick"
        details: list[dict[str, Any]] = list(cause.details)
        assert (details[0]["field"], details[0]["code"]) == (field, code)
        # And nothing moved: the pick list still waits, stock is still held
        after = await h.fulfilment_view(fid)
        assert after.status is FulfilmentStatus.AWAITING_PICK
        assert [line.picked for line in after.lines] == [None, None]
        view = await h.view(order_id)
        assert view.status is OrderStatus.IN_FULFILMENT
        assert view.lines == before.lines
        assert ledger(db, order_id) == HELD
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 2)
        pick_task = task(db, f"pick-{fid}")
        assert pick_task is not None
        assert pick_task.status == "open"

        # And a correct report is still accepted afterwards
        fixed = await h.pick(
            fid,
            PickReport(
                lines=[
                    PickedLine(line_id="1", picked=1, short_reason="damaged"),
                    PickedLine(line_id="2", picked=1),
                ]
            ),
        )
        assert fixed.status is FulfilmentStatus.PICKED


async def test_packing_before_picking_is_refused_and_changes_nothing(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an order waiting for a picker
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        _, fid = await awaiting_pick(h, "U2")

        # When the store tries to pack it first
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await h.pack(fid)

        # Then it is refused as an invalid state, and nothing moved
        cause = refusal(err)
        assert cause.type == "invalid_state"
        assert "AWAITING_PICK" in cause.message
        after = await h.fulfilment_view(fid)
        assert (after.status, after.parcels) == (FulfilmentStatus.AWAITING_PICK, [])
        view = await h.view("U2")
        assert {line.state for line in view.lines} == {LineState.RESERVED}
        assert ledger(db, "U2") == HELD


async def test_a_second_pick_and_a_hand_over_of_a_parcel_are_refused(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an order that has been picked, to be shipped
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        _, fid = await awaiting_pick(h, "U3")
        full = PickReport(
            lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
        )
        await h.pick(fid, full)
        await until(h, "U3", lambda v: v.fulfilments[0].status is FulfilmentStatus.PICKED)

        # When the store reports the pick again, or a hand-over at the counter
        with pytest.raises(WorkflowUpdateFailedError) as again:
            await h.pick(fid, full)
        with pytest.raises(WorkflowUpdateFailedError) as handover:
            await h.collected(fid)

        # Then both are refused and the fulfilment stays picked
        assert refusal(again).type == "invalid_state"
        assert refusal(handover).type == "invalid_state"
        assert (await h.fulfilment_view(fid)).status is FulfilmentStatus.PICKED
        assert {status for *_, status in ledger(db, "U3")} == {"committed"}
