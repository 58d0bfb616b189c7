"""Runs the real workflows and activities against a test database and the simulators."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from oms.connectors.carriers import SimulatedCarrier
from oms.connectors.payments import SimulatedPaymentGateway
from oms.db.engine import Database
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
