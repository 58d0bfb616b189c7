"""A chargeback's task is about money the gateway already moved: an order's cancellation,
which closes the order's open tasks, leaves it open."""

from __future__ import annotations

from oms.db import tasks
from oms.db.engine import Database
from oms.domain.tasks import TaskKind, TaskStatus


def test_cancelling_an_order_closes_its_tasks_but_not_a_chargeback(db: Database) -> None:
    with db.session() as s:
        for task_id, kind in (("review", TaskKind.FRAUD_REVIEW), ("cb", TaskKind.CHARGEBACK)):
            tasks.open_task(s, task_id=task_id, kind=kind, order_id="O1", workflow_id="order-O1")

    with db.session() as s:
        closed = tasks.close_open_for_order(s, "O1", status=TaskStatus.CANCELLED)

    with db.reading() as s:
        review, chargeback = tasks.get_task(s, "review"), tasks.get_task(s, "cb")
    assert closed == 1
    assert review is not None
    assert chargeback is not None
    assert (review.status, chargeback.status) == (TaskStatus.CANCELLED, TaskStatus.OPEN)
