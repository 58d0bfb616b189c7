"""Helpers for tests and recorders of appeasements: one granted and its run started, as the API
does it."""

from __future__ import annotations

from temporalio.client import WorkflowHandle

from oms.contracts.appeasements import AppeasementInput, AppeasementView
from oms.domain.appeasements import AppeasementRequest
from oms.keys import appeasement_workflow_id
from oms.services.appeasements import grant, locked_order, start_appeasement
from tests.workflows.harness import Harness
from workflows.appeasement import AppeasementWorkflow


def stored(
    h: Harness, order_id: str, amount: int, *, reason_code: str = "late_delivery"
) -> AppeasementInput:
    """Grant an appeasement: stored, its captures' parts claimed; what its run starts with."""
    body = AppeasementRequest(amount=amount, reason_code=reason_code, note="two days late")
    with h.db.session() as s:
        order = locked_order(s, order_id, lambda _: True)
        _, inp = grant(s, order, body, requested_by="analyst:cs", token=None)
    return inp


async def started(
    h: Harness, inp: AppeasementInput
) -> WorkflowHandle[AppeasementWorkflow, AppeasementView]:
    await start_appeasement(h.client, h.task_queue, inp)
    return h.client.get_workflow_handle_for(
        AppeasementWorkflow.run, appeasement_workflow_id(inp.appeasement_id)
    )


async def granted(
    h: Harness, order_id: str, amount: int, *, reason_code: str = "late_delivery"
) -> tuple[AppeasementInput, WorkflowHandle[AppeasementWorkflow, AppeasementView]]:
    """Grant an appeasement and start its run, as the API does."""
    inp = stored(h, order_id, amount, reason_code=reason_code)
    return inp, await started(h, inp)
