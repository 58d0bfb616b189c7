"""Sending store actions to a fulfilment's workflow as updates, and reading its refusals.

One path for every caller: ``POST /fulfilments/{id}/pick`` and a pick wave's sort send the
same ``pick`` update through ``send_pick``.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.fulfilment import FulfilmentView, PickedLine, PickReport
from oms.logging import get_logger
from workflows.fulfilment import FulfilmentWorkflow

log = get_logger(__name__)


async def update_fulfilment(
    client: Client, workflow_id: str, update: Any, arg: Any
) -> FulfilmentView:
    """Run one update; a refusal is an ``ApiError`` with the workflow's code."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        view: FulfilmentView = await handle.execute_update(update, arg)
        return view
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == "invalid_pick":
            errors = [FieldError.model_validate(d) for d in cause.details]
            raise ApiError.invalid(errors) from err
        reason = cause.message if isinstance(cause, ApplicationError) else str(err)
        raise ApiError(ErrorCode.INVALID_STATE, reason) from err
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise ApiError(
                ErrorCode.INVALID_STATE,
                "this fulfilment is finished and takes no more actions",
            ) from err
        # Temporal itself is unreachable or slow: the action did not happen, retry it.
        raise ApiError(ErrorCode.UNAVAILABLE, "could not reach the fulfilment") from err


async def send_pick(
    client: Client, workflow_id: str, lines: list[PickedLine], actor: str
) -> FulfilmentView:
    """Complete a fulfilment's pick: every line's picked quantity, short ones with a reason."""
    view = await update_fulfilment(
        client, workflow_id, FulfilmentWorkflow.pick, PickReport(lines=lines, actor=actor)
    )
    log.info(
        "fulfilment_picked",
        order_id=view.order_id,
        fulfilment_id=view.fulfilment_id,
        location_id=view.location_id,
        status=view.status.value,
    )
    return view
