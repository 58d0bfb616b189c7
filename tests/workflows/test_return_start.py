"""Starting a return's run once whatever Temporal answers: a start asked again (after a
timeout that had in fact started it) is the same run; a return the API gave up on is
withdrawn, its units free again, and a run of it that did start ends at once."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.db.tables import ReturnRow
from oms.domain.returns import ReturnLineIn, ReturnMethod, ReturnRequest, ReturnStatus
from oms.services.returns import create_return, start_return, withdraw
from tests.factories import seed
from tests.returns import delivered
from tests.workflows.harness import running
from workflows.patch_levels import NEWEST_PATCH_LEVEL
from workflows.returns import ReturnWorkflow, return_workflow_id

STOCK = {("SKU-TEE", "ST-OPERA"): 10, ("SKU-MUG", "ST-OPERA"): 10}
ASK = ReturnRequest(
    lines=[ReturnLineIn(line_id="1", quantity=2)],
    reason_code="changed_mind",
    method=ReturnMethod.IN_STORE,
    location_id="ST-OPERA",
)


async def test_a_start_asked_again_is_the_same_run(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        await delivered(h, "RS1")
        _, inp, _ = create_return(h.db, "RS1", ASK)

        await start_return(h.client, h.task_queue, inp, patch_level=NEWEST_PATCH_LEVEL)
        handle = h.client.get_workflow_handle_for(
            ReturnWorkflow.run, return_workflow_id(inp.return_id)
        )
        first = (await handle.describe()).run_id

        await start_return(
            h.client, h.task_queue, inp, patch_level=NEWEST_PATCH_LEVEL
        )  # the API's retry after a timeout

        assert (await handle.describe()).run_id == first
        view = await handle.query(ReturnWorkflow.status)
        assert view.status is ReturnStatus.AWAITING_RECEIPT


async def test_a_withdrawn_return_frees_its_units_and_its_late_run_ends(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(time_env.client, db) as h:
        await delivered(h, "RS2")
        _, inp, _ = create_return(h.db, "RS2", ASK)
        withdraw(h.db, inp.return_id)  # the API gave up: Temporal never answered it

        await start_return(
            h.client, h.task_queue, inp, patch_level=NEWEST_PATCH_LEVEL
        )  # ...but the server had started it
        handle = h.client.get_workflow_handle_for(
            ReturnWorkflow.run, return_workflow_id(inp.return_id)
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        again, _, _ = create_return(h.db, "RS2", ASK)  # the customer asks again

        with h.db.reading() as s:
            row = s.get(ReturnRow, inp.return_id)
            assert row is not None
            assert row.status == ReturnStatus.WITHDRAWN.value
        assert again.id != inp.return_id
