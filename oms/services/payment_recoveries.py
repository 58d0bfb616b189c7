"""Customer service's decision on a capture the gateway reversed after the fact, carried out:
completing such a ``payment_exception`` task (``POST /tasks/{id}/complete``) starts a
``PaymentRecoveryWorkflow`` for it, one per task, whether the order's run is still open or
long over (workflows/payment_recovery.py).

The completed task is the durable decision: its outcome says what to do, ``completed_by`` who
decided. The API starts the run right away; when Temporal gives no clear answer, the task
stays completed and the worker's sweep (``sweep_recoveries``, every
``OMS_STRANDED_ORDER_SWEEP``) starts the run for every reversed task completed with none,
with what the API would have sent. A start that finds the task's run already there compares
the decision the run carries out (its memo) with the one asked: the same is a start, another
is refused (``DecisionUnderWay``): one task, one decision.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy

from oms.config import Settings
from oms.contracts.payment_recovery import RecoveryInput
from oms.db import payments as ledger
from oms.db import tasks as task_repo
from oms.db.engine import Database
from oms.db.tables import ManualTask
from oms.domain.money import format_minor
from oms.domain.order.payment_recovery import PaymentAction, PaymentDecision, PaymentResolution
from oms.domain.tasks import TaskKind
from oms.keys import payment_recovery_workflow_id, reversed_capture_task_id
from oms.logging import get_logger
from oms.services.sweeps import every
from oms.temporal import ORDER_ID, start_once
from workflows.payment_recovery import PaymentRecoveryWorkflow

log = get_logger(__name__)
# How far back the sweep looks for decided tasks with no run (a longer outage is for ops).
SWEPT_FOR = timedelta(days=7)
MAX_SEEN = 10_000
# The run's memo: the decision it carries out (action, reason, actor), read back when a start
# finds the run there (encrypted with the payloads: the reason is people's words).
DECISION_MEMO = "decision"


class DecisionUnderWay(Exception):
    """The task's run carries out another decision than the one asked: ``decision`` (the
    outcome it carries out) and ``actor`` (who decided it)."""

    def __init__(self, task_id: str, decision: dict[str, str], actor: str) -> None:
        self.action = decision.get("action", "")
        super().__init__(f"task {task_id}: its {self.action} is already being carried out")
        self.task_id = task_id
        self.decision = decision
        self.actor = actor


_WHAT = {
    PaymentAction.RETRY: "capture it again on the authorization it was made on",
    PaymentAction.REAUTHORIZE: "authorize it afresh with the order's stored payment token, then "
    "capture it",
    PaymentAction.WRITE_OFF: "write it off",
}


def is_reversed(task: ManualTask) -> bool:
    """A ``payment_exception`` task about a capture the gateway reversed after the fact (or
    about a try at collecting it that was refused in turn)."""
    return bool(task.payload.get("reversed"))


def recovery_of(
    db: Database,
    task: ManualTask,
    decision: PaymentDecision,
    actor: str,
    *,
    escalate_after: timedelta = timedelta(hours=4),
) -> RecoveryInput:
    """What carrying out the decision on a reversed capture's task needs: its payload, and
    the authorization the reversed capture was made on (its ledger row). ``escalate_after``:
    when the task of a try refused again escalates (``OMS_PAYMENT_ESCALATE_AFTER``)."""
    payload = task.payload
    key = str(payload["idempotency_key"])
    with db.reading() as s:
        captured = ledger.entry(s, key)
    return RecoveryInput(
        task_id=task.id,
        order_id=task.order_id,
        amount=int(payload["amount"]),
        currency=str(payload["currency"]),
        reversed_key=key,
        gateway_reference=payload.get("gateway_reference"),
        authorization_id=captured.authorization_id if captured is not None else None,
        attempt=int(payload.get("attempt", 0)) + 1,
        decision=PaymentResolution(
            fulfilment_id=str(payload["fulfilment_id"]),
            action=decision.action,
            reason=decision.reason,
            actor=actor,
        ),
        escalate_after_s=escalate_after.total_seconds(),
    )


async def start_recovery(
    client: Client, task_queue: str, inp: RecoveryInput, *, tries: int = 3
) -> bool:
    """Start the task's recovery, once whatever happens: a start that timed out may have
    started it on the server, so it is asked again, and "already started" (even long ended)
    with the same decision is taken for a start: that run is this task's, and the gateway is
    never asked twice. True when this call started it.

    Raises:
        DecisionUnderWay: the task's run carries out another decision.
        RPCError, RuntimeError: Temporal could not be reached ``tries`` times.
    """
    if await start_once(lambda: _start(client, task_queue, inp), tries=tries):
        return True
    await _same_decision(client, inp)
    return False


async def _same_decision(client: Client, inp: RecoveryInput) -> None:
    """The run already there carries out the decision asked, or ``DecisionUnderWay``."""
    described = await client.get_workflow_handle(
        payment_recovery_workflow_id(inp.task_id)
    ).describe()
    memo = await described.memo_value(DECISION_MEMO, default=None)
    if not isinstance(memo, dict):  # a run started without one: its decision is unknown
        return
    if memo.get("action") != inp.decision.action.value:
        decision = {"action": str(memo.get("action")), "reason": str(memo.get("reason"))}
        raise DecisionUnderWay(inp.task_id, decision, str(memo.get("actor")))


async def _start(client: Client, task_queue: str, inp: RecoveryInput) -> None:
    d = inp.decision
    money = format_minor(inp.amount, inp.currency)
    await client.start_workflow(
        PaymentRecoveryWorkflow.run,
        inp,
        id=payment_recovery_workflow_id(inp.task_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=(
            f"payment recovery · order {inp.order_id} · {d.action.value} {money} for "
            f"{d.fulfilment_id} (try {inp.attempt})"
        ),
        static_details=(
            f"Carries out customer service's decision on the capture of `{d.fulfilment_id}` "
            f"({money}) that the gateway reversed after the fact (task `{inp.task_id}`): "
            f"{_WHAT[d.action]}. A try refused again opens task "
            f"`{reversed_capture_task_id(inp.reversed_key, inp.attempt)}` for the next decision."
        ),
        search_attributes=TypedSearchAttributes([SearchAttributePair(ORDER_ID, inp.order_id)]),
        memo={DECISION_MEMO: {"action": d.action.value, "reason": d.reason, "actor": d.actor}},
    )


def decided_without_run(
    db: Database, *, since: datetime, before: datetime, skip: Collection[str] = ()
) -> list[ManualTask]:
    """Reversed captures' tasks completed between ``since`` and ``before`` (leaving out
    ``skip``: those whose run was found): the candidates for a run never started."""
    with db.reading() as s:
        done = task_repo.completed_between(
            s, TaskKind.PAYMENT_EXCEPTION, since=since, before=before
        )
    return [t for t in done if is_reversed(t) and t.outcome and t.id not in skip]


async def start_undecided(
    db: Database,
    client: Client,
    settings: Settings,
    *,
    now: datetime | None = None,
    seen: set[str] | None = None,
) -> list[str]:
    """Start the recovery of every reversed capture's task decided with no run (the API's
    start got no clear answer); the ids of the tasks whose run started now. ``seen`` (kept by
    the sweep between rounds) collects the tasks whose run was there already."""
    now = now or datetime.now(UTC)
    seen = seen if seen is not None else set()
    rows = await asyncio.to_thread(
        decided_without_run,
        db,
        since=now - SWEPT_FOR,
        before=now - settings.stranded_order_after,
        skip=seen,
    )
    started = []
    for task in rows:
        decision = PaymentDecision.model_validate(task.outcome)
        inp = await asyncio.to_thread(
            recovery_of,
            db,
            task,
            decision,
            task.completed_by or "system",
            escalate_after=settings.payment_escalate_after,
        )
        try:
            if await start_recovery(client, settings.task_queue, inp, tries=1):
                started.append(task.id)
                log.warning("payment_recovery_started_by_sweep", task_id=task.id)
        except DecisionUnderWay as err:  # cannot come from a task decided once: said loudly
            log.error("payment_recovery_decision_differs", task_id=task.id, under_way=err.action)
        if len(seen) < MAX_SEEN:
            seen.add(task.id)
    return started


async def sweep_recoveries(db: Database, client: Client, settings: Settings) -> None:
    """Run ``start_undecided`` every ``OMS_STRANDED_ORDER_SWEEP``, for ever; a round that
    cannot reach Temporal or the database is logged and tried again at the next."""
    seen: set[str] = set()

    async def one_round() -> None:
        await start_undecided(db, client, settings, seen=seen)

    await every(settings.stranded_order_sweep, one_round, "payment_recovery_sweep")
