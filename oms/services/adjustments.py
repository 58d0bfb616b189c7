"""Inventory adjustments with a reason: a delta whose reason code's stock effect says what it
does (``POST /inventory/deltas``, rows with a ``reason``).

- ``none`` and ``write_off``: the delta moves on hand as sent (a write-off is a negative one);
- ``quarantine``: the units leave on hand into the position's quarantined figure (no longer
  promised or sourced until a stock update for the position, once someone has looked);
- ``recount``: the figures stay as they are and a ``recount`` task is opened for the location.

Each adjustment is applied once per event id, as every delta is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel import Session

from oms.db import inventory, tasks
from oms.db.stock_updates import DeltaUpdate, apply_deltas, record_events
from oms.db.tables import utcnow
from oms.domain.reason_codes import StockEffect
from oms.domain.tasks import TaskKind
from oms.keys import adjustment_recount_task_id
from oms.logging import get_logger

log = get_logger(__name__)
# Effects that take units off on hand: the delta must be negative.
TAKING = frozenset({StockEffect.WRITE_OFF, StockEffect.QUARANTINE})


def effect_problem(delta: int, effect: StockEffect) -> str | None:
    """Why a delta cannot carry a code of this effect; None when it can."""
    if effect in TAKING and delta >= 0:
        return f"a {effect.value} takes units off on hand: its delta is negative"
    return None


def apply_adjustments(
    session: Session, rows: Sequence[DeltaUpdate], effects: Mapping[str, StockEffect]
) -> int:
    """Apply the deltas, each as its reason's stock effect (``effects``, by code) says; the
    number applied, the rest being duplicates. Those that move on hand go first, as one
    batch; then the quarantines and recounts, in the batch's order."""
    first: dict[str, DeltaUpdate] = {}
    for row in rows:
        first.setdefault(row.event_id, row)
    moves: list[DeltaUpdate] = []
    apart: list[tuple[DeltaUpdate, StockEffect]] = []
    for row in first.values():
        effect = effects.get(row.reason, StockEffect.NONE) if row.reason else StockEffect.NONE
        if effect in (StockEffect.QUARANTINE, StockEffect.RECOUNT):
            apart.append((row, effect))
        else:
            moves.append(row)
    applied = apply_deltas(session, moves)
    if not apart:
        return applied
    fresh = record_events(session, [row for row, _ in apart], utcnow())
    for row, effect in apart:
        if row.event_id not in fresh:
            continue
        if effect is StockEffect.QUARANTINE:
            units = -row.delta
            inventory.adjust(session, row.sku, row.location_id, on_hand=-units, quarantined=units)
        else:
            _open_recount(session, row)
        log.info(
            "inventory_adjusted",
            sku=row.sku,
            location_id=row.location_id,
            delta=row.delta,
            reason=row.reason,
            effect=effect.value,
        )
    return applied + len(fresh)


def _open_recount(session: Session, row: DeltaUpdate) -> None:
    # No order asked for it: the task belongs to no workflow, and is answered by a stock
    # update (POST /inventory/positions), like a short pick's recount.
    tasks.open_task(
        session,
        task_id=adjustment_recount_task_id(row.location_id, row.sku, row.event_id),
        kind=TaskKind.RECOUNT,
        order_id="",
        workflow_id="",
        location_id=row.location_id,
        payload={
            "sku": row.sku,
            "units": abs(row.delta),
            "reason": row.reason,
            "event_id": row.event_id,
        },
    )
