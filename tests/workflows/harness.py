"""Runs the real workflows and activities against a test database and the simulators."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from oms.connectors.carriers import SimulatedCarrier
from oms.connectors.payments import SimulatedPaymentGateway
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.db.tables import Fulfilment, InventoryPosition, ManualTask, OutboxEvent, Reservation
from oms.domain.fulfilment import FulfilmentView, HandOverReport, PackReport, Parcel, PickReport
from oms.domain.lifecycle import OrderPolicy, OrderView, OrderWorkflowInput
from oms.domain.orders import OrderIn
from oms.temporal import fulfilment_workflow_id, order_workflow_id
from workers.main import Dependencies, build_worker
from workflows.fulfilment import FulfilmentWorkflow
from workflows.order import OrderWorkflow


@dataclass
class Harness:
    client: Client
    task_queue: str
    db: Database
    payments: SimulatedPaymentGateway
    carrier: SimulatedCarrier
    worker: Worker

    async def start(self, order: OrderIn, policy: OrderPolicy | None = None) -> WorkflowHandle:
        return await self.client.start_workflow(
            OrderWorkflow.run,
            OrderWorkflowInput(
                order=order, received_at=datetime.now(UTC), policy=policy or OrderPolicy()
            ),
            id=order_workflow_id(order.id),
            task_queue=self.task_queue,
        )

    async def place(self, order: OrderIn, policy: OrderPolicy | None = None) -> WorkflowHandle:
        """What the API does: store the order in the read model, then start its workflow."""
        with self.db.session() as s:
            order_repo.insert_order(s, order, received_at=datetime.now(UTC))
        return await self.start(order, policy)

    async def view(self, order_id: str) -> OrderView:
        handle = self.client.get_workflow_handle(order_workflow_id(order_id))
        return await handle.query(OrderWorkflow.status_view)

    def fulfilment(self, fid: str) -> WorkflowHandle:
        return self.client.get_workflow_handle(fulfilment_workflow_id(fid))

    async def pick(self, fid: str, report: PickReport) -> FulfilmentView:
        return await self.fulfilment(fid).execute_update(FulfilmentWorkflow.pick, report)

    async def pack(self, fid: str, grams: int = 800) -> FulfilmentView:
        return await self.fulfilment(fid).execute_update(
            FulfilmentWorkflow.pack, PackReport(parcels=[Parcel(weight_grams=grams)])
        )

    async def collected(self, fid: str) -> FulfilmentView:
        return await self.fulfilment(fid).execute_update(
            FulfilmentWorkflow.collected, HandOverReport()
        )

    async def fulfilment_view(self, fid: str) -> FulfilmentView:
        return await self.fulfilment(fid).query(FulfilmentWorkflow.status)


@asynccontextmanager
async def running(client: Client, db: Database) -> AsyncIterator[Harness]:
    payments = SimulatedPaymentGateway()
    carrier = SimulatedCarrier()
    deps = Dependencies(db=db, payments=payments, carrier=carrier)
    task_queue = f"test-{uuid.uuid4()}"
    worker = build_worker(client, task_queue, deps)
    async with worker:
        yield Harness(
            client=client,
            task_queue=task_queue,
            db=db,
            payments=payments,
            carrier=carrier,
            worker=worker,
        )


async def until_fulfilment(
    h: Harness, fid: str, predicate: object, *, attempts: int = 200
) -> FulfilmentView:
    """Query a fulfilment until ``predicate(view)`` holds."""
    import asyncio

    view = None
    for _ in range(attempts):
        try:
            view = await h.fulfilment_view(fid)
        except Exception:
            view = None
        if view is not None and predicate(view):  # type: ignore[operator]
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition never held; last view: {view}")


# -- what the database shows ------------------------------------------------------------


def position(db: Database, sku: str, location_id: str) -> tuple[int, int]:
    """(on_hand, reserved) of one inventory position."""
    with db.session() as s:
        pos = s.get(InventoryPosition, (sku, location_id))
        assert pos is not None, f"no position {sku} at {location_id}"
        return pos.on_hand, pos.reserved


def ledger(db: Database, order_id: str) -> list[tuple[str, str, int, str]]:
    """The order's reservation entries as (location, line, qty, status), sorted."""
    with db.session() as s:
        rows = s.exec(select(Reservation).where(Reservation.order_id == order_id))
        return sorted((r.location_id, r.line_id, r.qty, r.status) for r in rows)


def task(db: Database, task_id: str) -> ManualTask | None:
    with db.session() as s:
        return s.get(ManualTask, task_id)


def tasks_of(db: Database, order_id: str) -> list[ManualTask]:
    with db.session() as s:
        stmt = select(ManualTask).where(ManualTask.order_id == order_id)
        return list(s.exec(stmt.order_by(col(ManualTask.id))))


def fulfilment_rows(db: Database, order_id: str) -> list[Fulfilment]:
    with db.session() as s:
        stmt = select(Fulfilment).where(Fulfilment.order_id == order_id)
        return list(s.exec(stmt.order_by(col(Fulfilment.id))))


def outbox_types(db: Database, order_id: str) -> list[str]:
    with db.session() as s:
        stmt = select(OutboxEvent).where(OutboxEvent.order_id == order_id)
        return sorted(e.type for e in s.exec(stmt))


async def until(h: Harness, order_id: str, predicate: object, *, attempts: int = 200) -> OrderView:
    """Query the order until ``predicate(view)`` holds (the worker runs concurrently)."""
    import asyncio

    view = None
    for _ in range(attempts):
        try:
            view = await h.view(order_id)
        except Exception:
            view = None
        if view is not None and predicate(view):  # type: ignore[operator]
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition never held; last view: {view}")
