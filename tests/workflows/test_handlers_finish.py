"""A run does not end with a handler still running (docs/workflows.md): an order's edit under way
when the order is cancelled ends first, its caller answered and what it authorized voided; a
fulfilment's ``edit`` cut short by its cancellation is abandoned deliberately. Neither logs
Temporal's Unfinished*HandlersWarning (a line with no order on it)."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

from pydantic import SecretStr
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from oms.config import Settings
from oms.contracts.orders import CancelRequest
from oms.db.engine import Database
from oms.domain.order import CancelReason, OrderStatus, PaymentState
from oms.domain.order.edits import LineCancel
from oms.payload_keys import new_key
from oms.temporal import data_converter
from tests.factories import order, seed
from tests.workflows.gateways import SlowToReauthorize
from tests.workflows.harness import running
from tests.workflows.test_order_cancellation import STOCK, in_fulfilment
from workers.main import WORKFLOWS
from workers.sandbox import workflow_runner
from workflows.order import OrderWorkflow

HISTORIES = Path(__file__).parent / "histories"
UNFINISHED = (workflow.UnfinishedUpdateHandlersWarning, workflow.UnfinishedSignalHandlersWarning)
# Recorded by record_fix_paths.py: a fulfilment cancelled while it answered an order's edit,
# its run ended with its ``edit`` handler still waiting for the answer's acknowledgement.
[EDIT_CUT_SHORT] = sorted(HISTORIES.glob("fulfilment-R17RF-EDITRACE*.json"))


def _unfinished(seen: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in seen if issubclass(w.category, UNFINISHED)]


async def test_an_edit_under_way_when_the_order_is_cancelled_ends_first_and_is_answered(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    # A gateway that voids whole authorizations only: a line cancel authorizes the lower
    # amount afresh, and that authorization is slow to come
    gateway = SlowToReauthorize()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        async with running(time_env.client, db, gateway) as h:
            await in_fulfilment(h, order("HF1"))
            handle = h.client.get_workflow_handle_for(OrderWorkflow.run, "order-HF1")
            edit = asyncio.ensure_future(
                handle.execute_update(
                    OrderWorkflow.cancel_line, LineCancel(line_id="1", quantity=1)
                )
            )
            for _ in range(400):  # until the new authorization is under way
                if gateway.calls >= 3:
                    break
                await asyncio.sleep(0.05)

            # When the order is cancelled meanwhile
            cancel = CancelRequest(reason=CancelReason.CUSTOMER_REQUEST)
            accepted = await handle.execute_update(OrderWorkflow.cancel, cancel)
            answer = await edit
            done = await handle.result()

    # Then the edit ended before the order did: its caller has its answer
    assert accepted.accepted
    assert (answer.accepted, answer.cancelled) == (True, 1)
    assert done.status is OrderStatus.CANCELLED
    # and the authorization it made is voided with the order's: nothing left held
    assert done.payment.state is PaymentState.VOIDED
    assert gateway.held == set()
    assert _unfinished(seen) == []


async def test_a_fulfilment_cancelled_while_it_answers_an_edit_ends_without_a_warning() -> None:
    history = WorkflowHistory.from_json(EDIT_CUT_SHORT.stem, EDIT_CUT_SHORT.read_text())
    converter = data_converter(Settings(payload_keys=SecretStr(new_key("replay"))))
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=converter, workflow_runner=workflow_runner()
    )

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = await replayer.replay_workflow(history, raise_on_replay_failure=True)

    assert result.replay_failure is None
    assert _unfinished(seen) == []
