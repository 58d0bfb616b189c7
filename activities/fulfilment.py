"""Fulfilment rows and pick tasks, kept in step with the fulfilment workflow."""

from __future__ import annotations

from temporalio import activity

from oms.contracts.fulfilment import SaveFulfilment
from oms.db import fulfilments, tasks
from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus
from oms.keys import pick_task_id
from oms.logging import get_logger

log = get_logger(__name__)


class FulfilmentActivities:
    def __init__(self, db: Database) -> None:
        self.db = db

    @activity.defn
    def save_fulfilment(self, req: SaveFulfilment) -> None:
        """Write the fulfilment row; open its pick task while it waits for a picker and close
        it once picked, rejected or cancelled."""
        view = req.view
        with self.db.session() as s:
            fulfilments.save(s, view, workflow_id=req.workflow_id)
            task_id = pick_task_id(view.fulfilment_id)
            if view.status is FulfilmentStatus.AWAITING_PICK:
                tasks.open_task(
                    s,
                    task_id=task_id,
                    kind="pick",
                    order_id=view.order_id,
                    workflow_id=req.workflow_id,
                    location_id=view.location_id,
                    due_at=req.pick_due_at,
                    payload={
                        "fulfilment_id": view.fulfilment_id,
                        "lines": [line.model_dump(mode="json") for line in view.lines],
                    },
                )
                if view.escalated:
                    tasks.escalate(s, task_id)
            elif view.status is FulfilmentStatus.CANCELLED:
                tasks.close(s, task_id, status="cancelled")
            else:
                tasks.complete(s, task_id, outcome={"status": view.status.value}, actor="store")
        log.info(
            "fulfilment_saved",
            fulfilment_id=view.fulfilment_id,
            location_id=view.location_id,
            order_id=view.order_id,
            status=view.status.value,
        )
