"""Runs the real workflows and activities against a test database and the simulators."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import col, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from activities.sourcing import ProfileChoice
from oms.connectors.carriers import SimulatedCarrier
from oms.connectors.email import EmailSender
from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.contracts.orders import OrderWorkflowInput
from oms.contracts.sourcing import SourcingRequest
from oms.db import fulfilment_profiles
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.db.fulfilments import for_order as fulfilments_for_order
from oms.db.fulfilments import progress_of
from oms.db.tables import Fulfilment, InventoryPosition, ManualTask, OutboxEvent, Reservation
from oms.domain.fulfilment import FulfilmentView, HandOverReport, PackReport, Parcel, PickReport
from oms.domain.order import OrderIn, OrderPolicy, OrderView
from oms.domain.order.lines import with_progress
from oms.keys import fulfilment_workflow_id, order_workflow_id
from oms.run_options import order_start_options
from workers.main import Dependencies, build_worker
from workflows.fulfilment import FulfilmentWorkflow
from workflows.order import OrderWorkflow
from workflows.patch_levels import NEWEST_PATCH_LEVEL


@dataclass
class Harness:
    client: Client
    task_queue: str
    db: Database
    payments: SimulatedPaymentGateway
    carrier: SimulatedCarrier
    worker: Worker
    started: list[WorkflowHandle[OrderWorkflow, OrderView]] = field(default_factory=list)

    async def start(
        self, order: OrderIn, policy: OrderPolicy | None = None
    ) -> WorkflowHandle[OrderWorkflow, OrderView]:
        """Start the order's workflow alone: without its read model row (``place`` stores it)
        the workflow cannot record its progress."""
        received_at = datetime.now(UTC)
        handle = await self.client.start_workflow(
            OrderWorkflow.run,
            OrderWorkflowInput(
                order=order,
                received_at=received_at,
                policy=policy or OrderPolicy(),
                patch_level=NEWEST_PATCH_LEVEL,
            ),
            task_queue=self.task_queue,
            **order_start_options(order, received_at),
        )
        self.started.append(handle)
        return handle

    async def place(
        self, order: OrderIn, policy: OrderPolicy | None = None
    ) -> WorkflowHandle[OrderWorkflow, OrderView]:
        """What the API does: store the order in the read model (its payment token kept
        apart), then start its workflow with a reference to the token."""
        with self.db.session() as s:
            order_repo.insert_order(s, order, received_at=datetime.now(UTC))
        return await self.start(order.for_run(), policy)

    async def view(self, order_id: str) -> OrderView:
        handle = self.client.get_workflow_handle(order_workflow_id(order_id))
        view: OrderView = await handle.query(OrderWorkflow.status_view)
        # As the API shows it: the fulfilments' own rows laid over the order's account.
        with self.db.reading() as s:
            progress = [progress_of(r) for r in fulfilments_for_order(s, order_id)]
        return with_progress(view, progress)

    def fulfilment(self, fid: str) -> WorkflowHandle[FulfilmentWorkflow, FulfilmentView]:
        return self.client.get_workflow_handle_for(
            FulfilmentWorkflow.run, fulfilment_workflow_id(fid)
        )

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
async def running(
    client: Client,
    db: Database,
    payments: SimulatedPaymentGateway | None = None,
    *,
    profiles: ProfileChoice | None = None,
    mailer: EmailSender | None = None,
    before_sourcing: Callable[[SourcingRequest], None] | None = None,
) -> AsyncIterator[Harness]:
    payments = payments or SimulatedPaymentGateway()
    carrier = SimulatedCarrier()
    # As a worker runs: the profiles the database publishes, unless the test gives its own.
    deps = Dependencies(
        db=db,
        payments=payments,
        carrier=carrier,
        fulfilment_profiles=profiles or fulfilment_profiles.choose,
        mailer=mailer,
        mail_domain="shop.example",
        before_sourcing=before_sourcing,
    )
    task_queue = f"test-{uuid.uuid4()}"
    worker = build_worker(client, task_queue, deps)
    async with worker:
        h = Harness(
            client=client,
            task_queue=task_queue,
            db=db,
            payments=payments,
            carrier=carrier,
            worker=worker,
        )
        try:
            yield h
        finally:
            await _terminate_leftovers(h)
        if os.environ.get("OMS_TEST_REPLAY_RUNS", "0") not in ("", "0"):
            await replay_every_run(h)


async def _terminate_leftovers(h: Harness) -> None:
    """End the orders a test leaves running, and their fulfilments, once they are idle.

    Work still in flight when the worker stops (a workflow task, an activity) holds the shared
    time-skipping server's clock for good, even after a terminate; so would a fulfilment left
    running, when its pick timer fires later on a queue nobody polls (the test server does
    not apply the parent-close policy). Every later test that needs time to pass would hang.
    """
    import asyncio

    for handle in h.started:
        if await run_status(h.client, handle.id) is not WorkflowExecutionStatus.RUNNING:
            continue
        quiet = 0
        for _ in range(100):
            # Twice in a row: a fulfilment's last signal may wake its order up in between.
            quiet = 0 if await _in_flight(h.client, handle.id) else quiet + 1
            if quiet == 2:
                break
            await asyncio.sleep(0.05)
        children = await _children(h.client, handle.id)
        for workflow_id in [handle.id, *children]:
            if await run_status(h.client, workflow_id) is WorkflowExecutionStatus.RUNNING:
                leftover = h.client.get_workflow_handle(workflow_id)
                try:
                    await leftover.terminate(reason="test finished")
                except RPCError as err:
                    # Ended meanwhile: on the dev server, terminating an order ends its
                    # children by the parent-close policy.
                    if err.status is not RPCStatusCode.NOT_FOUND:
                        raise


async def run_status(client: Client, workflow_id: str) -> WorkflowExecutionStatus:
    """A run's status without decoding its search attributes: the time-skipping test server
    keeps an unset Datetime attribute (DueAt once a pick is done) as a null, which
    ``WorkflowHandle.describe`` cannot decode."""
    answer = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    return WorkflowExecutionStatus(answer.workflow_execution_info.status)


async def _children(client: Client, workflow_id: str) -> list[str]:
    return [
        e.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id
        async for e in client.get_workflow_handle(workflow_id).fetch_history_events()
        if e.HasField("child_workflow_execution_started_event_attributes")
    ]


_DONE_ACTIVITY = (
    "activity_task_completed_event_attributes",
    "activity_task_failed_event_attributes",
    "activity_task_timed_out_event_attributes",
    "activity_task_canceled_event_attributes",
)
_DONE_WORKFLOW_TASK = (
    "workflow_task_completed_event_attributes",
    "workflow_task_failed_event_attributes",
    "workflow_task_timed_out_event_attributes",
)


async def _in_flight(client: Client, workflow_id: str) -> bool:
    """Whether a running workflow, or one of its running children, has work in flight."""
    handle = client.get_workflow_handle(workflow_id)
    if await run_status(client, workflow_id) is not WorkflowExecutionStatus.RUNNING:
        return False
    activities: set[int] = set()
    signals: set[int] = set()
    task = False
    async for e in handle.fetch_history_events():
        kind = e.WhichOneof("attributes")
        if kind == "activity_task_scheduled_event_attributes":
            activities.add(e.event_id)
        elif kind in _DONE_ACTIVITY:
            activities.discard(getattr(e, kind).scheduled_event_id)
        elif kind == "workflow_task_scheduled_event_attributes":
            task = True
        elif kind in _DONE_WORKFLOW_TASK:
            task = False
        elif kind == "signal_external_workflow_execution_initiated_event_attributes":
            signals.add(e.event_id)
        elif kind == "external_workflow_execution_signaled_event_attributes":
            signals.discard(
                e.external_workflow_execution_signaled_event_attributes.initiated_event_id
            )
        elif kind == "signal_external_workflow_execution_failed_event_attributes":
            signals.discard(
                e.signal_external_workflow_execution_failed_event_attributes.initiated_event_id
            )
    if activities or signals or task:
        return True
    for child in await _children(client, workflow_id):
        if await _in_flight(client, child):
            return True
    return False


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


async def eventually(check: object, *, seconds: float = 10.0, interval: float = 0.05) -> None:
    """Wait until ``check()`` holds, e.g. a row written by an activity still in flight."""
    import asyncio

    for _ in range(int(seconds / interval)):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(interval)
    raise AssertionError("condition never held")


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


async def replay_every_run(h: Harness) -> None:
    """Replay the runs this test's worker took, with the client's converter and the worker's
    sandbox, as a worker replays a run it did not have cached: a run that acts differently on
    replay (nondeterministic workflow code) fails the test. On the dev server every run on the
    test's task queue, each run of a chain that continued as new included; the time-skipping
    server lists nothing, so there the latest run of each workflow the test started through
    the harness, and of their children. Off unless ``OMS_TEST_REPLAY_RUNS=1``: it adds about a
    tenth of a second a test (docs/workflows.md, "The guard")."""
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    from workers.main import WORKFLOWS
    from workers.sandbox import workflow_runner

    runs: set[tuple[str, str | None]] = set()
    try:
        async for w in h.client.list_workflows(f'TaskQueue="{h.task_queue}"'):
            runs.add((w.id, w.run_id))
    except RPCError as err:
        if err.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        todo = [handle.id for handle in h.started]
        while todo:
            workflow_id = todo.pop()
            if (workflow_id, None) not in runs:
                runs.add((workflow_id, None))
                todo += await _children(h.client, workflow_id)

    async def histories() -> AsyncIterator[WorkflowHistory]:
        for workflow_id, run_id in sorted(runs, key=lambda r: (r[0], r[1] or "")):
            handle = h.client.get_workflow_handle(workflow_id, run_id=run_id)
            yield await handle.fetch_history()

    converter = h.client.data_converter
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=converter,
        workflow_runner=workflow_runner(converter=converter),
    )
    replayed = await replayer.replay_workflows(histories(), raise_on_replay_failure=False)
    assert not replayed.replay_failures, {
        run: str(failure)[:500] for run, failure in replayed.replay_failures.items()
    }
