"""The return's run on the time-skipping server: its waits end on time."""

from __future__ import annotations

import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from oms.contracts.returns import QcResult, Receipt
from oms.db import returns as return_repo
from oms.db.engine import Database
from oms.db.tables import OutboxEvent, ReturnRow
from oms.domain.returns import (
    GradedLine,
    ReturnLineIn,
    ReturnMethod,
    ReturnPolicy,
    ReturnStatus,
)
from oms.domain.tasks import TaskStatus
from oms.services.returns import ReturnRefused
from tests.factories import seed
from tests.returns import asked, delivered
from tests.workflows.harness import eventually, running, task
from workflows.returns import ReturnWorkflow, qc_task_id

STOCK = {("SKU-TEE", "ST-OPERA"): 10, ("SKU-MUG", "ST-OPERA"): 10}


def _events(db: Database, type_: str) -> list[OutboxEvent]:
    with db.reading() as s:
        return list(s.exec(select(OutboxEvent).where(OutboxEvent.type == type_)))


async def test_a_parcel_that_never_comes_back_expires_the_return(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        await delivered(h, "RX1")
        inp, handle = await asked(h, "RX1", [("1", 1)])

        await time_env.sleep(inp.policy.receive_within_days * 86400 + 60)
        view = await handle.result()

        assert view.status is ReturnStatus.EXPIRED
        with db.reading() as s:
            row = s.get(ReturnRow, inp.return_id)
            assert row is not None
            assert (row.status, row.completed_at is not None) == ("EXPIRED", True)
        assert [e.payload["return_id"] for e in _events(db, "return.expired")] == [inp.return_id]


async def test_quality_control_left_undone_escalates_then_still_completes(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        await delivered(h, "RX2")
        inp, handle = await asked(h, "RX2", [("2", 1)])
        await handle.execute_update(
            ReturnWorkflow.receive,
            Receipt(
                location_id="ST-OPERA", lines=[ReturnLineIn(line_id="2", quantity=1)], actor="t"
            ),
        )
        await eventually(lambda: task(db, qc_task_id(inp.return_id)) is not None)

        await time_env.sleep(inp.policy.qc_due_hours * 3600 + 60)
        await eventually(lambda: bool(_events(db, "task.escalated")))
        qc = task(db, qc_task_id(inp.return_id))
        assert qc is not None
        assert (qc.status, qc.escalated) == (TaskStatus.OPEN, True)

        await handle.execute_update(
            ReturnWorkflow.grade,
            QcResult(
                grades=[GradedLine(line_id="2", grade="qc_resellable", quantity=1)], actor="t"
            ),
        )
        view = await handle.result()
        assert view.status is ReturnStatus.COMPLETED
        assert view.refunded == 899


async def test_a_carrier_return_gets_its_label_from_the_carrier(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        await delivered(h, "RX3")
        inp, handle = await asked(h, "RX3", [("1", 2)], method=ReturnMethod.BY_CARRIER)

        await eventually(lambda: bool(_events(db, "return.requested")))
        view = await handle.query(ReturnWorkflow.status)

        assert view.label is not None
        assert view.label["carrier"] == "simcarrier"
        assert str(view.label["tracking_number"]).startswith("SIMR")
        with db.reading() as s:
            row = s.get(ReturnRow, inp.return_id)
            assert row is not None
            assert row.label == view.label


async def test_an_expired_return_refunded_at_once_keeps_its_units_returned(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        with db.session() as s:
            return_repo.set_policy(
                s,
                "web-fr",
                ReturnPolicy(instant_refund_tiers=["vip"], window_days=90, receive_within_days=1),
            )
        await delivered(h, "RX4", tier="vip")
        inp, handle = await asked(h, "RX4", [("1", 2)])
        await time_env.sleep(inp.policy.receive_within_days * 86400 + 60)
        expired = await handle.result()

        with pytest.raises(ReturnRefused) as again:
            await asked(h, "RX4", [("1", 1)])

    assert (expired.status, expired.refunded) == (ReturnStatus.EXPIRED, 2 * 1999)
    assert [e.code.value for e in again.value.errors] == ["exceeds_returnable"]
