"""A skipped step's reason code applied: what its stock effect asks, when the fulfilment's row
is saved with the step skipped.

Of the stock effects, a skip acts on ``recount`` only: one ``recount`` task per SKU the
fulfilment picked at its location (stock left as it is). The units of a skipped step still
leave with the order, so ``write_off`` and ``quarantine`` would take them off twice: a skip
with such a code changes no figure; ``none`` does nothing. A skip moves no unit of the order,
so its routing effect does not apply either.
"""

from __future__ import annotations

from sqlmodel import Session

from oms.db import reason_codes, tasks
from oms.domain.fulfilment import FulfilmentView
from oms.domain.fulfilment_steps import StepStatus
from oms.domain.reason_codes import StockEffect
from oms.domain.tasks import TaskKind
from oms.keys import recount_task_id, skip_step_key
from oms.logging import get_logger

log = get_logger(__name__)
# The run skips a step on its own (a vas step with no service asked) as this actor.
SYSTEM = "system"


def apply_skip_effects(session: Session, view: FulfilmentView, workflow_id: str) -> None:
    """Open the recounts the codes of the fulfilment's skipped steps ask; idempotent (each
    task once per step and SKU), so every save of the row may call it."""
    skipped = [
        st
        for st in view.steps
        if st.status is StepStatus.SKIPPED and st.reason and st.actor != SYSTEM
    ]
    if not skipped:
        return
    codes = reason_codes.resolve(session, {st.reason for st in skipped if st.reason})
    units: dict[str, int] = {}
    for line in view.lines:
        if line.picked:
            units[line.sku] = units.get(line.sku, 0) + line.picked
    for st in skipped:
        code = codes.get(st.reason or "")
        if code is None or code.stock_effect is not StockEffect.RECOUNT:
            continue
        key = skip_step_key(view.fulfilment_id, st.key)
        for sku, n in sorted(units.items()):
            task = tasks.open_task(
                session,
                task_id=recount_task_id(key, view.location_id, sku),
                kind=TaskKind.RECOUNT,
                order_id=view.order_id,
                workflow_id=workflow_id,
                location_id=view.location_id,
                payload={"sku": sku, "units": n, "reason": code.code, "step": st.key},
            )
            log.info(
                "recount_requested",
                order_id=view.order_id,
                location_id=view.location_id,
                sku=sku,
                reason=code.code,
                step=st.key,
                task_id=task.id,
            )
