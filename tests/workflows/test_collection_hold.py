"""Click & collect to the end (issue 11): a collection waits ``hold_for`` for its customer,
reminds them once after ``remind_after``, hands over part of it and keeps the rest waiting,
and lets go of what nobody came for: back to stock, not charged, lines cancelled
``not_collected``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import CancelRequest
from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.fulfilment_profiles import FulfilmentProfile
from oms.domain.fulfilment_steps import CollectedLine, CollectReport
from oms.domain.order import CancelReason, OrderStatus, OrderView, PaymentState
from tests.factories import order, seed
from tests.mail import MailServer, text_of
from tests.workflows.harness import Harness, ledger, position, running, until, until_fulfilment
from tests.workflows.test_customer_messages import messages, run_step, smtp
from tests.workflows.test_fulfilment_profiles import _wait_for, always, at_step, events, refusal
from tests.workflows.test_run_legibility import PERSONAL, summaries_of
from workflows.fulfilment import FulfilmentWorkflow
from workflows.order import OrderWorkflow

STOCK = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3}
COLLECT = {"method": "collect", "store_id": "ST-OPERA"}
FULL = PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)])
SHELF = FulfilmentProfile.model_validate(
    {
        "id": "shelf",
        "steps": [
            {"type": "pick"},
            {"type": "pack", "required": False},
            {"type": "ready_for_collection"},
            {"type": "collected"},
        ],
        "collection": {"remind_after": "P2D", "hold_for": "P7D"},
    }
)


async def _ready(h: Harness, db: Database, order_id: str) -> tuple[str, str]:
    """Place a collection at the Opéra store, pick and pack it: (fulfilment id, the code)."""
    await h.place(order(order_id, delivery=COLLECT))
    view = await until(h, order_id, lambda v: bool(v.fulfilments))
    fid = view.fulfilments[0].fulfilment_id
    await at_step(h, fid, "pick")
    await h.pick(fid, FULL)
    await at_step(h, fid, "pack")
    await h.pack(fid)
    await at_step(h, fid, "collected")
    [ready] = await _wait_for(lambda: events(db, order_id, "fulfilment.ready_for_collection"))
    return fid, str(ready["collection_code"])


async def _collect(h: Harness, fid: str, code: str, **lines: int) -> Any:
    taken = [CollectedLine(line_id=k.removeprefix("line"), quantity=v) for k, v in lines.items()]
    report = CollectReport(code=code, lines=taken or None)
    return await h.fulfilment(fid).execute_update(FulfilmentWorkflow.collect, report)


async def _ended(h: Harness, order_id: str) -> OrderView:
    return await until(h, order_id, lambda v: v.status.is_final)


async def test_the_customer_is_reminded_once_after_remind_after(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db, profiles=always(SHELF)) as h:
        fid, code = await _ready(h, db, "CH1")
        waiting = await h.fulfilment_view(fid)
        assert waiting.current_step is not None
        # The hold's end is the step's due time, for the store's list of collections waiting
        ready_at = waiting.steps[-2].finished_at
        assert ready_at is not None
        assert waiting.current_step.due_at == ready_at + timedelta(days=7)

        await time_env.sleep(timedelta(days=1, hours=23))
        assert events(db, "CH1", "fulfilment.collection_reminder") == []
        await time_env.sleep(timedelta(hours=2))
        [reminder] = await _wait_for(lambda: events(db, "CH1", "fulfilment.collection_reminder"))
        await time_env.sleep(timedelta(days=3))
        again = events(db, "CH1", "fulfilment.collection_reminder")
        still = await h.fulfilment_view(fid)

        done = await _collect(h, fid, code)
        result = await _ended(h, "CH1")

    assert reminder["customer_message"] == "customer.collection_reminder"
    assert reminder["collection_code"] == code
    assert datetime.fromisoformat(reminder["hold_until"]) == ready_at + timedelta(days=7)
    assert len(again) == 1
    assert still.status is FulfilmentStatus.READY_FOR_COLLECTION
    assert done.status is FulfilmentStatus.COLLECTED
    assert result.status is OrderStatus.COMPLETED
    assert result.payment.captured == result.total
    assert [e["complete"] for e in events(db, "CH1", "fulfilment.collected")] == [True]
    assert events(db, "CH1", "fulfilment.not_collected") == []
    assert position(db, "SKU-TEE", "ST-OPERA") == (3, 0)


async def test_the_reminder_reaches_the_customer_by_email_with_the_last_day_it_is_kept(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    with MailServer() as mail:
        async with running(time_env.client, db, profiles=always(SHELF)) as h:
            fid, code = await _ready(h, db, "CH-MAIL")
            ready_at = (await h.fulfilment_view(fid)).steps[-2].finished_at
            assert ready_at is not None
            await time_env.sleep(timedelta(days=2, hours=1))  # past remind_after (2 days)
            await _wait_for(lambda: events(db, "CH-MAIL", "fulfilment.collection_reminder"))
            run_step(db, smtp(mail.url))
            done = await _collect(h, fid, code)
        reminders = [m for m in mail.received if "still waiting" in m["Subject"]]

    assert done.status is FulfilmentStatus.COLLECTED
    [email] = reminders
    assert email["Subject"] == "Your order CH-MAIL is still waiting for you"
    # The hold ends partway through the 7th day after: the 6th is the last whole one.
    last_day = ready_at + timedelta(days=7) - timedelta(days=1)
    assert f"Your collection code: {code}" in text_of(email)
    assert f"until the end of {last_day.day} {last_day:%B %Y}" in text_of(email)
    kinds = [(m.kind, m.status) for m in messages(db)]
    assert kinds.count(("collection_reminder", "sent")) == 1


async def test_a_collection_nobody_comes_for_goes_back_to_stock_and_is_not_charged(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db, profiles=always(SHELF)) as h:
        fid, code = await _ready(h, db, "CH2")
        # Picked: the units are still on the shelf, held for the customer
        assert position(db, "SKU-TEE", "ST-OPERA") == (5, 2)

        await time_env.sleep(timedelta(days=7, minutes=1))
        result = await _ended(h, "CH2")
        gone = await h.fulfilment_view(fid)
        history = [e async for e in h.fulfilment(fid).fetch_history_events()]

    assert gone.status is FulfilmentStatus.NOT_COLLECTED
    # Back to available stock, once: nothing left on hand, nothing still reserved
    assert position(db, "SKU-TEE", "ST-OPERA") == (5, 0)
    assert position(db, "SKU-MUG", "ST-OPERA") == (3, 0)
    assert {status for *_, status in ledger(db, "CH2")} == {"released"}
    assert result.status is OrderStatus.CANCELLED
    assert result.cancel_reason is CancelReason.NOT_COLLECTED
    assert [(line.cancelled, line.cancel_reason) for line in result.lines] == [
        (2, CancelReason.NOT_COLLECTED),
        (1, CancelReason.NOT_COLLECTED),
    ]
    assert (result.payment.state, result.payment.captured) == (PaymentState.VOIDED, 0)
    [event] = events(db, "CH2", "fulfilment.not_collected")
    assert event["reason"] == "not_collected"
    assert event["customer_message"] == "customer.collection_not_collected"
    assert [(x["line_id"], x["quantity"]) for x in event["lines"]] == [("1", 2), ("2", 1)]
    assert len(events(db, "CH2", "fulfilment.collection_reminder")) == 1
    # Ops read what the run did (the reminder, the release) and nothing of the customer's
    shown = summaries_of(history)
    assert '"collection reminder (READY_FOR_COLLECTION)"' in shown["marker"]
    assert all(shown["marker"])
    assert all(shown["timer"])
    assert not [t for t in sum(shown.values(), []) for p in (*PERSONAL, code) if p in t]


async def test_what_is_left_of_a_partial_collection_is_released_when_the_hold_ends(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db, profiles=always(SHELF)) as h:
        fid, code = await _ready(h, db, "CH3")
        part = await _collect(h, fid, code, line1=1)
        # More than is left of a line is refused, and takes nothing
        with pytest.raises(WorkflowUpdateFailedError) as greedy:
            await _collect(h, fid, code, line1=2)
        await until_fulfilment(h, fid, lambda v: v.lines[0].collected == 1)

        await time_env.sleep(timedelta(days=7, minutes=1))
        result = await _ended(h, "CH3")

    assert part.status is FulfilmentStatus.PARTIALLY_COLLECTED
    assert refusal(greedy).details[0]["field"] == "lines[0].quantity"
    assert result.status is OrderStatus.COMPLETED
    tee, mug = result.lines
    assert (tee.shipped, tee.cancelled, tee.cancel_reason) == (1, 1, CancelReason.NOT_COLLECTED)
    assert (mug.shipped, mug.cancelled, mug.cancel_reason) == (0, 1, CancelReason.NOT_COLLECTED)
    # Only the tee taken is charged; the rest of the authorization is let go
    assert result.payment.captured == 1999
    assert result.payment.voided == result.payment.authorized - 1999
    # One tee left the store, the other and the mug are back on sale
    assert position(db, "SKU-TEE", "ST-OPERA") == (4, 0)
    assert position(db, "SKU-MUG", "ST-OPERA") == (3, 0)
    [collected] = events(db, "CH3", "fulfilment.collected")
    assert (collected["lines"], collected["complete"]) == (
        [{"line_id": "1", "sku": "SKU-TEE", "quantity": 1}],
        False,
    )
    [released] = events(db, "CH3", "fulfilment.not_collected")
    assert [(x["line_id"], x["quantity"]) for x in released["lines"]] == [("1", 1), ("2", 1)]


async def test_a_customer_who_comes_back_for_the_rest_takes_it_with_the_same_code(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db, profiles=always(SHELF)) as h:
        fid, code = await _ready(h, db, "CH4")
        await _collect(h, fid, code, line1=1, line2=1)
        await time_env.sleep(timedelta(days=3))
        waiting = await until(
            h, "CH4", lambda v: v.fulfilments[0].status is FulfilmentStatus.PARTIALLY_COLLECTED
        )
        # Part of it was handed over: the order can no longer be cancelled
        refused = await h.started[0].execute_update(OrderWorkflow.cancel, CancelRequest())
        rest = await _collect(h, fid, code)
        result = await _ended(h, "CH4")

    assert waiting.status is OrderStatus.IN_FULFILMENT
    assert not refused.accepted
    assert rest.status is FulfilmentStatus.COLLECTED
    assert [line.collected for line in rest.lines] == [2, 1]
    assert result.status is OrderStatus.COMPLETED
    assert result.payment.captured == result.total
    assert [line.shipped for line in result.lines] == [2, 1]
    assert position(db, "SKU-TEE", "ST-OPERA") == (3, 0)
    assert position(db, "SKU-MUG", "ST-OPERA") == (2, 0)
    assert {status for *_, status in ledger(db, "CH4")} == {"consumed"}
    visits = events(db, "CH4", "fulfilment.collected")
    assert sorted((e["collection"], e["complete"]) for e in visits) == [(1, False), (2, True)]
    assert events(db, "CH4", "fulfilment.not_collected") == []


async def test_an_order_cancelled_by_ops_charges_what_its_customer_already_took(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db, profiles=always(SHELF)) as h:
        fid, code = await _ready(h, db, "CH5")
        await _collect(h, fid, code, line1=1)
        await until_fulfilment(h, fid, lambda v: v.lines[0].collected == 1)

        await h.started[0].cancel()  # ops cancel the run in Temporal
        result = await _ended(h, "CH5")
        gone = await h.fulfilment_view(fid)

    assert result.status is OrderStatus.CANCELLED
    assert gone.status is FulfilmentStatus.NOT_COLLECTED
    # The tee the customer took is charged, and stays gone; the rest is back on sale
    assert result.payment.captured == 1999
    assert [line.shipped for line in result.lines] == [1, 0]
    assert position(db, "SKU-TEE", "ST-OPERA") == (4, 0)
    assert position(db, "SKU-MUG", "ST-OPERA") == (3, 0)
