"""A pick nobody does by its deadline is escalated, and the fulfilment goes on waiting."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.order import OrderPolicy, OrderStatus
from oms.domain.tasks import TaskKind, TaskStatus
from oms.keys import pick_task_id
from tests.factories import order, seed
from tests.workflows.harness import eventually, running, task, tasks_of, until, until_fulfilment


async def test_a_pick_left_undone_past_its_deadline_is_escalated_and_still_awaited(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an order whose store has an hour to pick it
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3})
    async with running(time_env.client, db) as h:
        handle = await h.place(order("PD1"), OrderPolicy(pick_escalate_after_s=3600))
        view = await until(h, "PD1", lambda v: bool(v.fulfilments))
        fid = view.fulfilments[0].fulfilment_id
        # The order lists its fulfilment as soon as it starts; the pick task comes a moment
        # later, with the fulfilment's first write.
        await eventually(lambda: task(db, pick_task_id(fid)) is not None)
        pick = next(t for t in tasks_of(db, "PD1") if t.id == pick_task_id(fid))
        assert (pick.kind, pick.status, pick.escalated) == (TaskKind.PICK, TaskStatus.OPEN, False)
        first_due = pick.due_at

        # When nobody picks within the hour
        await time_env.sleep(3700)
        escalated = await until_fulfilment(h, fid, lambda f: f.escalated)

        # Then the pick task is flagged for the manager, keeping the deadline it missed, and
        # the fulfilment still waits for its pick
        pick = next(t for t in tasks_of(db, "PD1") if t.id == pick_task_id(fid))
        assert (pick.status, pick.escalated) == (TaskStatus.OPEN, True)
        assert first_due is not None
        assert pick.due_at == first_due
        assert escalated.status is FulfilmentStatus.AWAITING_PICK

        # And a pick that comes late is taken as any other
        await h.pick(
            fid,
            PickReport(
                lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
            ),
        )
        await h.pack(fid)
        result = await handle.result()

    assert result.status is OrderStatus.COMPLETED
    done = next(t for t in tasks_of(db, "PD1") if t.id == pick_task_id(fid))
    assert done.status == TaskStatus.COMPLETED
