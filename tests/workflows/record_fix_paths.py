"""Recorded runs of the paths patch level 3 changed, each at level 3 (no marker) and at level 2,
which asks the path's patch and records its marker (``L2``):

- ``BACKORDER``: a backordered mug placed by the next try, the order IN_FULFILMENT again
  (``status-after-stock-try``); ``HOLDWAIT``: a held order whose first try finds nothing (it
  reads AWAITING_STOCK again), then whose second places all;
- ``HOLDCANCEL``: a held order whose waiting line is cancelled: it goes ahead at once
  (``order-edit-awaiting-stock``);
- ``CANCELTWICE``: a cancel asked again while the order is being cancelled, answered as the
  first (``cancel-asked-again``);
- ``EDITCANCEL``: a line cancel whose new authorization is under way when the order is
  cancelled: the compensation waits for it (``handlers-finish-first``);
- ``COLLECT``: a collection at a store no profile covers, its customer told it is ready
  (fulfilment: ``ready-for-collection-told``);
- ``EDITRACE<n>`` (level 3 only, the fulfilment alone): a fulfilment cancelled while it
  answered an order's edit, its ``edit`` handler abandoned (tried until a run shows it).

Run by hand with a new prefix after a compatible change:
``python -m tests.workflows.record_fix_paths R17RF``; test_replay replays what it saved."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import SQLModel
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import CancelRequest, OrderWorkflowInput
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.order import CancelReason, OrderIn, OrderPolicy, OrderStatus, OrderView
from oms.domain.order.edits import LineCancel
from oms.keys import fulfilment_workflow_id
from oms.run_options import order_start_options
from tests.factories import order, seed
from tests.workflows.gateways import SlowToReauthorize, SlowToVoid
from tests.workflows.harness import Harness, running, until
from tests.workflows.record_order_paths import FULL, first_pick, save
from tests.workflows.record_profile_paths import run_recorder
from tests.workflows.test_order_waits_for_stock import POLICY, publish_profile, receive
from workflows.order import OrderWorkflow
from workflows.patch_levels import NEWEST_PATCH_LEVEL

HOUR = timedelta(hours=1, minutes=1)
CUSTOMER_CANCEL = CancelRequest(reason=CancelReason.CUSTOMER_REQUEST, actor="storefront")
Handle = WorkflowHandle[OrderWorkflow, OrderView]


def _db(tmp: str, name: str, stock: dict[tuple[str, str], int]) -> Database:
    db = Database(f"sqlite:///{tmp}/{name}.db")
    SQLModel.metadata.create_all(db.engine)
    seed(db, stock)
    return db


def _order(order_id: str, **overrides: Any) -> OrderIn:
    """A customer of its own per order: the velocity rule never sends one to review."""
    customer = {"id": f"C-{order_id}", "email": "rec@example.com", "tier": "standard"}
    return order(order_id, customer=customer, **overrides)


async def _placed(h: Harness, o: OrderIn, level: int, policy: OrderPolicy | None = None) -> Handle:
    """Placed as the API places it (its row first), its run started at ``level``."""
    with h.db.session() as s:
        order_repo.insert_order(s, o, received_at=datetime.now(UTC))
    at = datetime.now(UTC)
    inp = OrderWorkflowInput(
        order=o.for_run(), received_at=at, policy=policy or OrderPolicy(), patch_level=level
    )
    handle: Handle = await h.client.start_workflow(
        OrderWorkflow.run, inp, task_queue=h.task_queue, **order_start_options(o, at)
    )
    return handle


async def _ship_all(h: Harness, order_id: str, count: int) -> list[str]:
    view = await until(
        h,
        order_id,
        lambda v: (
            len(v.fulfilments) == count and all(f.status == "AWAITING_PICK" for f in v.fulfilments)
        ),
    )
    fids = [f.fulfilment_id for f in view.fulfilments]
    for fid in fids:
        lines = (await h.fulfilment_view(fid)).lines
        picked = [PickedLine(line_id=x.line_id, picked=x.quantity) for x in lines]
        await h.pick(fid, PickReport(lines=picked))
        await h.pack(fid)
    return fids


async def _stock_paths(env: WorkflowEnvironment, tmp: str, prefix: str, level: int) -> None:
    tag = "" if level == NEWEST_PATCH_LEVEL else f"L{level}"
    db = _db(tmp, f"backorder{level}", {("SKU-TEE", "ST-OPERA"): 9})
    publish_profile(db, "backorder")
    async with running(env.client, db) as h:
        oid = f"{prefix}-BACKORDER{tag}"
        handle = await _placed(h, _order(oid), level, POLICY)
        await until(h, oid, lambda v: len(v.fulfilments) == 1)
        receive(db, "SKU-MUG", "WH-PARIS", 4)
        await env.sleep(HOUR)
        fids = await _ship_all(h, oid, 2)
        await handle.result()
        await save(env, [handle.id, *map(fulfilment_workflow_id, fids)])
    db = _db(tmp, f"hold{level}", {("SKU-TEE", "ST-OPERA"): 9})
    publish_profile(db, "hold")
    async with running(env.client, db) as h:
        oid = f"{prefix}-HOLDWAIT{tag}"
        handle = await _placed(h, _order(oid), level, POLICY)
        await until(h, oid, lambda v: v.status is OrderStatus.AWAITING_STOCK)
        await env.sleep(HOUR)  # nothing yet
        await until(h, oid, lambda v: v.timeline[-1].type == "stock_tried")
        receive(db, "SKU-MUG", "WH-PARIS", 4)
        await env.sleep(HOUR)
        fids = await _ship_all(h, oid, 2)
        await handle.result()
        await save(env, [handle.id, *map(fulfilment_workflow_id, fids)])

        receive(db, "SKU-MUG", "WH-PARIS", 0)  # the mugs are gone again
        oid = f"{prefix}-HOLDCANCEL{tag}"
        handle = await _placed(h, _order(oid), level, POLICY)
        await until(h, oid, lambda v: v.status is OrderStatus.AWAITING_STOCK)
        await handle.execute_update(OrderWorkflow.cancel_line, LineCancel(line_id="2"))
        fids = await _ship_all(h, oid, 1)
        await handle.result()
        await save(env, [handle.id, *map(fulfilment_workflow_id, fids)])


async def _cancel_paths(env: WorkflowEnvironment, tmp: str, prefix: str, level: int) -> None:
    tag = "" if level == NEWEST_PATCH_LEVEL else f"L{level}"
    stock = {("SKU-TEE", "ST-OPERA"): 9, ("SKU-MUG", "ST-OPERA"): 9}
    slow_void = SlowToVoid()
    async with running(env.client, _db(tmp, f"twice{level}", stock), slow_void) as h:
        oid = f"{prefix}-CANCELTWICE{tag}"
        handle = await _placed(h, _order(oid), level)
        fid = await first_pick(h, oid)
        await handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL)
        await _until(lambda: slow_void.calls >= 2)
        await handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL)
        slow_void.answer.set()
        await handle.result()
        await save(env, [handle.id, fulfilment_workflow_id(fid)])
    slow_auth = SlowToReauthorize()
    async with running(env.client, _db(tmp, f"edit{level}", stock), slow_auth) as h:
        oid = f"{prefix}-EDITCANCEL{tag}"
        handle = await _placed(h, _order(oid), level)
        fid = await first_pick(h, oid)
        edit = asyncio.ensure_future(
            handle.execute_update(OrderWorkflow.cancel_line, LineCancel(line_id="1", quantity=1))
        )
        await _until(lambda: slow_auth.calls >= 3)
        await handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL)
        await edit
        await handle.result()
        await save(env, [handle.id, fulfilment_workflow_id(fid)])


async def _collection(env: WorkflowEnvironment, tmp: str, prefix: str, level: int) -> None:
    tag = "" if level == NEWEST_PATCH_LEVEL else f"L{level}"
    stock = {("SKU-TEE", "ST-OPERA"): 9, ("SKU-MUG", "ST-OPERA"): 9}
    async with running(env.client, _db(tmp, f"collect{level}", stock)) as h:
        oid = f"{prefix}-COLLECT{tag}"
        collect = {"method": "collect", "store_id": "ST-OPERA"}
        handle = await _placed(h, _order(oid, delivery=collect), level)
        fid = await first_pick(h, oid)
        await h.pick(fid, FULL)
        await h.pack(fid)
        await until(h, oid, lambda v: v.fulfilments[0].status == "READY_FOR_COLLECTION")
        await h.collected(fid)
        await handle.result()
        await save(env, [handle.id, fulfilment_workflow_id(fid)])


async def _edit_race(env: WorkflowEnvironment, tmp: str, prefix: str) -> None:
    """An order's line cancel and its cancel at once, until its fulfilment's run ends while
    its ``edit`` handler still waits for the acknowledgement of its answer."""
    stock = {("SKU-TEE", "ST-OPERA"): 99, ("SKU-MUG", "ST-OPERA"): 99}
    sent = EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
    acknowledged = EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED
    async with running(env.client, _db(tmp, "race", stock)) as h:
        for n in range(1, 41):
            oid = f"{prefix}-EDITRACE{n}"
            handle = await _placed(h, _order(oid), NEWEST_PATCH_LEVEL)
            fid = await first_pick(h, oid)
            await asyncio.gather(
                handle.execute_update(OrderWorkflow.cancel_line, LineCancel(line_id="1")),
                handle.execute_update(OrderWorkflow.cancel, CUSTOMER_CANCEL),
                return_exceptions=True,
            )
            await handle.result()
            child = h.client.get_workflow_handle(fulfilment_workflow_id(fid))
            kinds = [e.event_type for e in (await child.fetch_history()).events]
            if kinds.count(sent) > kinds.count(acknowledged):
                # The fulfilment alone: its order's run is an ordinary cancelled one.
                await save(env, [fulfilment_workflow_id(fid)])
                return
    raise AssertionError("no fulfilment ended with its edit under way in 40 tries")


async def _until(check: Any) -> None:
    for _ in range(600):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition never held")


async def record_fix_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for level in (NEWEST_PATCH_LEVEL, 2):
            await _stock_paths(env, tmp, prefix, level)
            await _cancel_paths(env, tmp, prefix, level)
            await _collection(env, tmp, prefix, level)
        await _edit_race(env, tmp, prefix)


if __name__ == "__main__":
    asyncio.run(run_recorder(record_fix_paths, sys.argv[1]))
