"""Sending store actions to a fulfilment's workflow as updates, and reading its refusals.

One path for every caller: ``POST /fulfilments/{id}/pick`` and a pick wave's sort send the
same ``pick`` update through ``send_pick``.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Principal
from api.errors import ApiError
from oms.db import fulfilments as fulfilment_repo
from oms.db import reason_codes as reason_code_repo
from oms.db.engine import Database
from oms.db.tables import Fulfilment
from oms.domain import reason_codes as reasons
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.fulfilment import FulfilmentView, PickedLine, PickReport
from oms.domain.reason_codes import ReasonEffects, ReasonUsage
from oms.logging import get_logger
from workflows.collection import INVALID_COLLECT
from workflows.fulfilment import FulfilmentWorkflow

log = get_logger(__name__)
# Refusals that list every field at fault (FieldError details): a pick's, a collection's.
INVALID_REPORTS = ("invalid_pick", INVALID_COLLECT)


def visible_row(db: Database, principal: Principal, fulfilment_id: str) -> Fulfilment:
    """The fulfilment's row as it stands; another location's is not found, as if it did not
    exist. A transfer is its source's until it leaves, then the collection store's (receiving
    it, handing it to the customer: ``fulfilment_repo.worked_at``)."""
    with db.reading() as s:
        row = fulfilment_repo.get(s, fulfilment_id)
    if row is None or not principal.sees_location(fulfilment_repo.worked_at(row)):
        raise ApiError(
            ErrorCode.FULFILMENT_NOT_FOUND, f"no fulfilment {fulfilment_id}", "fulfilment_id"
        )
    return row


def _refusal(cause: ApplicationError) -> ApiError:
    """The workflow's refusal with its own code and field (``workflows.fulfilment_steps.refuse``);
    a refusal without a known code is the fulfilment's state."""
    detail = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
    try:
        code = ErrorCode(cause.type or "")
    except ValueError:
        code = ErrorCode.INVALID_STATE
    return ApiError(code, cause.message, detail.get("field"))


class RunEnded(ApiError):
    """The workflow an action was for has ended: the action can no longer happen."""

    def __init__(self, what: str) -> None:
        super().__init__(
            ErrorCode.INVALID_STATE, f"this {what} is finished and takes no more actions"
        )


async def update_fulfilment(
    client: Client, workflow_id: str, update: Any, arg: Any, *, update_id: str | None = None
) -> FulfilmentView:
    """Run one update; a refusal is an ``ApiError`` with the workflow's code."""
    view: FulfilmentView = await run_update(client, workflow_id, update, arg, update_id=update_id)
    return view


async def run_update(
    client: Client,
    workflow_id: str,
    update: Any,
    arg: Any,
    *,
    what: str = "fulfilment",
    update_id: str | None = None,
) -> Any:
    """Run one update of a workflow that refuses with ``refuse`` (a fulfilment, a return); a
    refusal is an ``ApiError`` with the workflow's code. ``update_id``: the same id sent again
    is answered the first one's outcome by Temporal, not run twice (a sender's event)."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(update, arg, id=update_id)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in INVALID_REPORTS:
            errors = [FieldError.model_validate(d) for d in cause.details]
            raise ApiError.invalid(errors) from err
        if isinstance(cause, ApplicationError):
            raise _refusal(cause) from err
        raise ApiError(ErrorCode.INVALID_STATE, str(err)) from err
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise RunEnded(what) from err
        # Temporal itself is unreachable or slow: the action did not happen, retry it.
        raise ApiError(ErrorCode.UNAVAILABLE, f"could not reach the {what}") from err


def check_reasons(
    db: Database, given: list[tuple[str, str]], usage: ReasonUsage
) -> dict[str, reasons.ReasonCode]:
    """The codes given, each at a field, as they stand now; one that is unknown, retired or
    not meant for ``usage`` is refused (422 naming its field) before anything is sent."""
    with db.reading() as s:
        codes = reason_code_repo.resolve(s, {code for _, code in given})
    errors = [
        refusal
        for field, code in given
        if (refusal := reasons.refusal(codes.get(code), code, usage, field))
    ]
    if errors:
        raise ApiError.invalid(errors)
    return codes


def reason_effects(
    db: Database, given: list[tuple[str, str]], usage: ReasonUsage = ReasonUsage.SHORT_PICK
) -> dict[str, ReasonEffects]:
    """The effects of short-pick (or rejection) codes, each given at a field, as they stand
    now; a code that is unknown, retired or not meant for ``usage`` is refused (422 naming
    its field) before anything is sent or recorded."""
    codes = check_reasons(db, given, usage)
    return {code: codes[code].effects for _, code in sorted(given)}


def short_reason_effects(db: Database, lines: list[PickedLine]) -> dict[str, ReasonEffects]:
    """``reason_effects`` of a pick report's lines: a pick of nothing rejects the
    fulfilment, and its codes must be ones for a rejection."""
    rejected = bool(lines) and all(line.picked == 0 for line in lines)
    return reason_effects(
        db,
        [
            (f"lines[{i}].short_reason", line.short_reason)
            for i, line in enumerate(lines)
            if line.short_reason is not None
        ],
        ReasonUsage.REJECTION if rejected else ReasonUsage.SHORT_PICK,
    )


async def send_pick(
    client: Client,
    workflow_id: str,
    lines: list[PickedLine],
    actor: str,
    effects: dict[str, ReasonEffects],
    *,
    update_id: str | None = None,
) -> FulfilmentView:
    """Complete a fulfilment's pick: every line's picked quantity, short ones with a reason
    code and its effects as they stood when staff gave it (``short_reason_effects``)."""
    report = PickReport(lines=lines, actor=actor, effects=effects)
    view = await update_fulfilment(
        client, workflow_id, FulfilmentWorkflow.pick, report, update_id=update_id
    )
    log.info(
        "fulfilment_picked",
        order_id=view.order_id,
        fulfilment_id=view.fulfilment_id,
        location_id=view.location_id,
        status=view.status.value,
    )
    return view
