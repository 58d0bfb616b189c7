"""Granting an appeasement: the checks, its row with its claims on the order's captures, and
its run (an AppeasementWorkflow refunds it through the gateway)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlmodel import Session
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from oms.config import Settings
from oms.contracts.appeasements import AppeasementInput
from oms.db import appeasements as repo
from oms.db import reason_codes as reason_repo
from oms.db import refund_claims
from oms.db.engine import Database
from oms.db.refund_claims import locked_order as locked_order  # the API's, the tests'
from oms.db.tables import AppeasementRow, Order
from oms.domain import reason_codes as reasons
from oms.domain.appeasements import (
    NOT_STARTED,
    AppeasementRequest,
    AppeasementStatus,
    amount_refusal,
    line_refusal,
)
from oms.domain.errors import FieldError
from oms.domain.order import OrderIn
from oms.domain.reason_codes import ReasonUsage
from oms.keys import appeasement_workflow_id
from oms.logging import get_logger
from oms.services.sweeps import every
from oms.temporal import ORDER_ID, start_once
from workflows.appeasement import AppeasementWorkflow

log = get_logger(__name__)


class AppeasementRefused(Exception):
    """The request breaks these rules (each names its field)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.reason for e in errors))
        self.errors = errors


def refusals(s: Session, order: Order, body: AppeasementRequest) -> list[FieldError]:
    placed = OrderIn.model_validate(order.payload)
    found = [
        reasons.refusal(
            reason_repo.get(s, body.reason_code),
            body.reason_code,
            ReasonUsage.APPEASEMENT,
            "reason_code",
        ),
        line_refusal(body.line_id, [line.line_id for line in placed.lines]),
        amount_refusal(body.amount, refund_claims.left_to_refund(s, order.id), order.currency),
    ]
    return [e for e in found if e is not None]


def grant(
    s: Session,
    order: Order,
    body: AppeasementRequest,
    *,
    requested_by: str,
    token: str | None,
) -> tuple[AppeasementRow, AppeasementInput]:
    """Check the request and store the appeasement with its claims on the order's captures,
    in the caller's transaction (which holds the order's row: ``locked_order``); what its run
    starts with.

    Raises:
        AppeasementRefused: the rules it breaks.
    """
    errors = refusals(s, order, body)
    if errors:
        raise AppeasementRefused(errors)
    row = AppeasementRow(
        id=repo.next_id(s, order.id),
        order_id=order.id,
        channel=order.channel,
        amount=body.amount,
        currency=order.currency,
        reason_code=body.reason_code,
        note=body.note,
        line_id=body.line_id,
        status=AppeasementStatus.PENDING.value,
        requested_by=requested_by,
        idempotency_token=token,
    )
    repo.store(s, row)
    return row, run_input(row)


def run_input(row: AppeasementRow) -> AppeasementInput:
    return AppeasementInput(
        appeasement_id=row.id,
        order_id=row.order_id,
        amount=row.amount,
        currency=row.currency,
        reason_code=row.reason_code,
    )


def withdraw(db: Database, appeasement_id: str) -> AppeasementRow | None:
    """An appeasement whose run could not be started: failed (``not_started``), nothing
    refunded, its captures' room free again; None. A run of it that did start after all
    finds it failed and ends before its refund. One that run has already taken (the start
    RPC failed, yet the server had started it) is not withdrawn: answered as it stands."""
    with db.session() as s:
        if repo.withdraw(s, appeasement_id, NOT_STARTED):
            return None
        return repo.get(s, appeasement_id)


async def start_appeasement(
    client: Client, task_queue: str, inp: AppeasementInput, *, tries: int = 3
) -> None:
    """Start the appeasement's run, once whatever happens: a start that timed out may have
    started it on the server, so it is asked again, and "already started" is taken for a start
    (ids are never given twice, so that run is this appeasement's).

    Raises:
        RPCError, RuntimeError: Temporal could not be reached ``tries`` times.
    """
    await start_once(lambda: _start(client, task_queue, inp), tries=tries)


async def start_stranded(
    db: Database, client: Client, settings: Settings, *, now: datetime | None = None
) -> list[str]:
    """Start the run of every appeasement still ``pending`` a while after it was granted (the
    API died before starting it, or its start and its withdraw both failed); the ids of those
    whose run started now. One whose run is there already (not yet taken it) is left to it."""
    before = (now or datetime.now(UTC)) - settings.stranded_order_after

    def stranded() -> list[AppeasementRow]:
        with db.reading() as s:
            return repo.pending_before(s, before)

    started = []
    for row in await asyncio.to_thread(stranded):
        try:
            await _start(client, settings.task_queue, run_input(row))
        except WorkflowAlreadyStartedError:
            continue
        started.append(row.id)
        log.warning("appeasement_started_by_sweep", appeasement_id=row.id)
    return started


async def sweep_appeasements(db: Database, client: Client, settings: Settings) -> None:
    """Run ``start_stranded`` every ``OMS_STRANDED_ORDER_SWEEP``, for ever; a round that cannot
    reach Temporal or the database is logged and tried again at the next."""

    async def one_round() -> None:
        await start_stranded(db, client, settings)

    await every(settings.stranded_order_sweep, one_round, "appeasement_sweep")


async def _start(client: Client, task_queue: str, inp: AppeasementInput) -> None:
    money = f"{inp.amount} {inp.currency}"
    await client.start_workflow(
        AppeasementWorkflow.run,
        inp,
        id=appeasement_workflow_id(inp.appeasement_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=f"appeasement {inp.appeasement_id} · {money} · {inp.reason_code}",
        static_details=(
            f"Goodwill refund on order `{inp.order_id}` ({inp.reason_code}), no return: "
            f"refunds {money} over the order's captures (claimed when it was granted), then "
            "records it refunded or failed."
        ),
        search_attributes=TypedSearchAttributes([SearchAttributePair(ORDER_ID, inp.order_id)]),
    )
