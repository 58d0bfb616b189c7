"""The appeasement's run: its refund through the gateway, waited out while the gateway is
away, its end recorded when it is cancelled or was withdrawn; and what ops see of it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from oms.config import Settings
from oms.db import refund_claims
from oms.db.engine import Database
from oms.db.tables import AppeasementRow, OutboxEvent, PaymentLedgerEntry
from oms.domain.appeasements import AppeasementStatus
from oms.keys import appeasement_workflow_id
from oms.services.appeasements import start_stranded, withdraw
from oms.temporal import ORDER_ID
from tests.appeasements import granted, started, stored
from tests.factories import seed
from tests.returns import delivered
from tests.workflows.gateways import RefundsLater, RefundsWhenLetGo
from tests.workflows.harness import eventually, running
from tests.workflows.test_run_legibility import PERSONAL, everything_shown, summaries_of
from workflows.appeasement import AppeasementWorkflow

STOCK = {("SKU-TEE", "ST-OPERA"): 10, ("SKU-MUG", "ST-OPERA"): 10}
TOTAL = 2 * 1999 + 899
CANCEL_ASKED = EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED


def _row(db: Database, appeasement_id: str) -> AppeasementRow:
    with db.reading() as s:
        row = s.get(AppeasementRow, appeasement_id)
    assert row is not None
    return row


def _refunds(db: Database, order_id: str) -> list[PaymentLedgerEntry]:
    with db.reading() as s:
        stmt = select(PaymentLedgerEntry).where(
            PaymentLedgerEntry.order_id == order_id, PaymentLedgerEntry.operation == "refund"
        )
        return list(s.exec(stmt))


def _events(db: Database, order_id: str) -> list[str]:
    with db.reading() as s:
        rows = s.exec(select(OutboxEvent).where(OutboxEvent.order_id == order_id))
        return [e.type for e in rows if e.type.startswith("order.appeasement")]


async def test_an_appeasement_run_refunds_then_says_so_and_shows_no_personal_data(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(dev_env.client, db) as h:
        await delivered(h, "AP1")
        inp, handle = await granted(h, "AP1", 1200)

        view = await handle.result()

        assert (view.status, view.refunded, view.code) == (AppeasementStatus.REFUNDED, 1200, None)
        row = _row(db, inp.appeasement_id)
        assert (row.status, row.refunded, row.completed_at is not None) == ("refunded", 1200, True)
        assert [r.amount for r in _refunds(db, "AP1")] == [1200]
        assert _events(db, "AP1") == ["order.appeasement_granted"]
        # What ops see: what it is and whose order, each step named, nobody's name.
        desc = await handle.describe()
        assert desc.typed_search_attributes.get(ORDER_ID) == "AP1"
        assert await desc.static_summary() == "appeasement AP1.A1 · 1200 EUR · late_delivery"
        history = await handle.fetch_history()
        summaries = summaries_of(list(history.events))["activity"]
        assert [json.loads(x) for x in summaries] == [
            "refund 1200 EUR",
            "order.appeasement_granted",
        ]
        shown = await everything_shown(dev_env.client, handle.id)
        assert not [p for p in PERSONAL if p in shown]
        assert "two days late" not in shown  # the note stays in the database


async def test_a_gateway_away_for_a_while_is_waited_out_and_refunds_once(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    gateway = RefundsLater(back_after=3)
    async with running(time_env.client, db, payments=gateway) as h:
        await delivered(h, "AP2")
        inp, handle = await granted(h, "AP2", TOTAL)

        view = await handle.result()

        assert (view.status, view.refunded) == (AppeasementStatus.REFUNDED, TOTAL)
        assert gateway.refund_calls == 4
        assert [r.amount for r in _refunds(db, "AP2")] == [TOTAL]


async def test_a_run_cancelled_while_the_gateway_is_away_records_the_appeasement_failed(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    gateway = RefundsLater()  # never back
    async with running(time_env.client, db, payments=gateway) as h:
        await delivered(h, "AP3")
        inp, handle = await granted(h, "AP3", 1000)
        await eventually(lambda: gateway.refund_calls >= 1)

        await handle.cancel()
        with pytest.raises(WorkflowFailureError):
            await handle.result()

        row = _row(db, inp.appeasement_id)
        assert (row.status, row.code, row.refunded) == ("failed", "cancelled", 0)
        assert _events(db, "AP3") == ["order.appeasement_failed"]
        with db.reading() as s:  # the gateway never answered: its claim stays, it may be paid
            assert refund_claims.left_to_refund(s, "AP3") == TOTAL - 1000


async def test_a_run_cancelled_while_the_gateway_pays_waits_and_records_it_refunded(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    gateway = RefundsWhenLetGo()
    async with running(dev_env.client, db, payments=gateway) as h:
        await delivered(h, "AP5")
        inp, handle = await granted(h, "AP5", 1000)
        await eventually(gateway.asked.is_set)

        await handle.cancel()
        await _until_cancel_asked(handle)
        gateway.go.set()  # the gateway pays the refund it was asked before the cancel
        with contextlib.suppress(WorkflowFailureError):
            await handle.result()

        row = _row(db, inp.appeasement_id)
        assert (row.status, row.code, row.refunded) == ("refunded", None, 1000)
        assert [r.amount for r in _refunds(db, "AP5")] == [1000]
        assert _events(db, "AP5") == ["order.appeasement_granted"]
        with db.reading() as s:
            assert refund_claims.left_to_refund(s, "AP5") == TOTAL - 1000


async def test_an_appeasement_its_run_has_taken_is_not_withdrawn_and_pays_once(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    gateway = RefundsWhenLetGo()
    async with running(dev_env.client, db, payments=gateway) as h:
        await delivered(h, "AP6")
        # The API's start timed out, yet the server started the run, which took its parts.
        inp, handle = await granted(h, "AP6", 1000)
        await eventually(gateway.asked.is_set)
        # What ops see while it waits on the gateway.
        assert "**refunding** 1000 EUR · waiting on the payment gateway since" in (
            await _details(handle)
        )

        still = withdraw(db, inp.appeasement_id)

        assert still is not None
        assert still.status == "refunding"
        row = _row(db, inp.appeasement_id)
        assert (row.status, row.code) == ("refunding", None)
        with db.reading() as s:  # its claim stays: the gateway is refunding it
            assert refund_claims.left_to_refund(s, "AP6") == TOTAL - 1000
        gateway.go.set()
        view = await handle.result()
        assert (view.status, view.refunded) == (AppeasementStatus.REFUNDED, 1000)
        assert _row(db, inp.appeasement_id).status == "refunded"
        assert _events(db, "AP6") == ["order.appeasement_granted"]
        assert await _details(handle) == "**refunded** 1000 of 1000 EUR refunded"


async def _details(handle: WorkflowHandle[Any, Any]) -> str:
    meta = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return str(meta.current_details)


async def test_an_appeasement_whose_run_never_started_is_started_by_the_sweep(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        await delivered(h, "AP7")
        inp = stored(h, "AP7", 1000)  # granted, then the API died before starting its run
        settings = Settings(task_queue=h.task_queue)
        later = datetime.now(UTC) + timedelta(minutes=5)

        early = await start_stranded(db, h.client, settings)
        started = await start_stranded(db, h.client, settings, now=later)
        handle = h.client.get_workflow_handle_for(
            AppeasementWorkflow.run, appeasement_workflow_id(inp.appeasement_id)
        )
        view = await handle.result()
        again = await start_stranded(db, h.client, settings, now=later)

        assert (early, started, again) == ([], [inp.appeasement_id], [])
        assert (view.status, view.refunded) == (AppeasementStatus.REFUNDED, 1000)
        assert [r.amount for r in _refunds(db, "AP7")] == [1000]


async def _until_cancel_asked(handle: WorkflowHandle[Any, Any]) -> None:
    for _ in range(200):
        history = await handle.fetch_history()
        if any(e.event_type == CANCEL_ASKED for e in history.events):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the run never asked its refund to stop")


async def test_a_run_whose_appeasement_was_withdrawn_refunds_nothing(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        await delivered(h, "AP4")
        # The API gave up starting it, then the server had started it after all.
        inp = stored(h, "AP4", 1000)
        withdraw(db, inp.appeasement_id)
        handle = await started(h, inp)

        with pytest.raises(WorkflowFailureError):
            await handle.result()

        row = _row(db, inp.appeasement_id)
        assert (row.status, row.code, row.refunded) == ("failed", "not_started", 0)
        assert _refunds(db, "AP4") == []
        assert _events(db, "AP4") == []
