"""Record a pick: the ledger moves, and each short's stock effect comes from its reason code."""

from __future__ import annotations

from sqlmodel import Session

from oms.contracts.fulfilment import CommitPick
from oms.db import inventory, reason_codes, tasks
from oms.domain.reason_codes import StockEffect
from oms.domain.tasks import TaskKind
from oms.keys import order_workflow_id, recount_task_id
from oms.logging import get_logger

log = get_logger(__name__)


def stock_effects(session: Session, commit: CommitPick) -> dict[str, StockEffect]:
    """Each short line's stock effect, by line id: as the pick report carried it (the code as
    it stood when staff gave it), else as the table says now (a report sent without it)."""
    shorts = [line for line in commit.lines if line.short > 0 and line.short_reason]
    stored = reason_codes.resolve(
        session,
        [r for line in shorts if line.short_effects is None and (r := line.short_reason)],
    )
    effects: dict[str, StockEffect] = {}
    for line in shorts:
        if line.short_effects is not None:
            effects[line.line_id] = line.short_effects.stock
        elif (code := stored.get(line.short_reason or "")) is not None:
            effects[line.line_id] = code.stock_effect
    return effects


def record_pick(session: Session, commit: CommitPick) -> None:
    """Commit the pick in the caller's transaction and open the recounts its reasons ask."""
    recounts = inventory.commit_pick(
        session,
        step_key=commit.step_key,
        location_id=commit.location_id,
        lines=commit.lines,
        stock_effects=stock_effects(session, commit),
    )
    for r in recounts:
        tasks.open_task(
            session,
            task_id=recount_task_id(commit.step_key, r.location_id, r.sku),
            kind=TaskKind.RECOUNT,
            order_id=r.order_id,
            workflow_id=order_workflow_id(r.order_id),
            location_id=r.location_id,
            payload={"sku": r.sku, "units": r.units, "reason": r.reason},
        )
        log.info(
            "recount_requested",
            order_id=r.order_id,
            location_id=r.location_id,
            sku=r.sku,
            units=r.units,
            reason=r.reason,
        )
