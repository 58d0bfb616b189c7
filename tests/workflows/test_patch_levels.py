"""Patch levels (workflows/patch_levels.py): a run started at a level records no patch marker
and no ``TemporalChangeVersion`` upsert, and behaves as a run that asked every patch."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import OrderWorkflowInput
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.order import OrderStatus
from oms.keys import fulfilment_workflow_id
from oms.run_options import order_start_options
from tests.factories import order, seed
from tests.workflows.harness import outbox_types, running, until
from workflows import patch_levels
from workflows.order import OrderWorkflow
from workflows.patch_levels import FULFILMENT_LEVELS, ORDER_LEVELS, RETURN_LEVELS

WORKFLOWS_DIR = Path(patch_levels.__file__).parent
CHANGE_VERSION = "TemporalChangeVersion"


def _asked_patches() -> dict[str, set[str]]:
    """Module -> the patch ids its code asks, literal or through a module constant."""
    constants: dict[str, str] = {}
    trees = {p.stem: ast.parse(p.read_text()) for p in WORKFLOWS_DIR.glob("*.py")}
    for tree in trees.values():
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                constants[node.targets[0].id] = node.value.value
    asked: dict[str, set[str]] = {}
    for name, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("_patched", "patched") or not node.args:
                continue
            arg = node.args[-1]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                asked.setdefault(name, set()).add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                asked.setdefault(name, set()).add(constants[arg.id])
    return asked


def test_every_patch_the_workflows_ask_is_in_the_level_of_its_workflow_type() -> None:
    asked = _asked_patches()
    order_parts = {"order", "order_steps", "order_payments", "order_edits", "order_delivery"}
    fulfilment_parts = {"fulfilment", "fulfilment_steps", "fulfilment_edits", "collection"}
    by_type = {
        "order": set().union(*(asked.get(m, set()) for m in order_parts)),
        "fulfilment": set().union(*(asked.get(m, set()) for m in fulfilment_parts)),
        "return": asked.get("returns", set()),
    }
    # A run of today's level asks no patch of today's code: each is in the newest level.
    assert by_type["order"]
    assert by_type["order"] <= ORDER_LEVELS[-1]
    assert by_type["fulfilment"]
    assert by_type["fulfilment"] <= FULFILMENT_LEVELS[-1]
    assert by_type["return"]
    assert by_type["return"] <= RETURN_LEVELS[-1]
    # And no module asks a patch but through the levels (patch_levels itself does, for them).
    direct = [
        p.name
        for p in WORKFLOWS_DIR.glob("*.py")
        if p.name != "patch_levels.py" and "workflow.patched(" in p.read_text()
    ]
    assert direct == []


def test_levels_only_grow() -> None:
    for levels in (ORDER_LEVELS, FULFILMENT_LEVELS, RETURN_LEVELS):
        assert levels[0] == frozenset()
        assert all(a <= b for a, b in zip(levels, levels[1:], strict=False))


async def test_an_order_of_this_level_records_no_patch_marker_and_still_takes_the_patched_path(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3})
    async with running(time_env.client, db) as h:
        handle = await h.place(order("PL-1"))
        view = await until(h, "PL-1", lambda v: bool(v.fulfilments))
        fid = view.fulfilments[0].fulfilment_id
        picked = [PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
        await h.pick(fid, PickReport(lines=picked))
        await h.pack(fid)
        result = await handle.result()
        histories = [
            await handle.fetch_history(),
            await h.client.get_workflow_handle(fulfilment_workflow_id(fid)).fetch_history(),
        ]

    assert result.status is OrderStatus.COMPLETED
    for history in histories:
        markers = [
            e.marker_recorded_event_attributes.marker_name
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        ]
        assert "core_patch" not in markers
        upserted = [
            set(
                e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            )
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        ]
        assert upserted
        assert all(CHANGE_VERSION not in fields for fields in upserted)
    # The patched behaviour is there all the same: the event the order-confirmed-event patch
    # brought, and the lean run's one progress write where it waits (no regular activity).
    assert "order.confirmed" in outbox_types(db, "PL-1")
    kinds = [e.event_type for e in histories[0].events]
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in kinds


async def test_a_run_started_before_levels_still_asks_its_patches(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3})
    async with running(time_env.client, db) as h:
        o = order("PL-0")
        with db.session() as s:
            order_repo.insert_order(s, o, received_at=datetime.now(UTC))
        received_at = datetime.now(UTC)
        handle = await h.client.start_workflow(
            OrderWorkflow.run,
            OrderWorkflowInput(order=o.for_run(), received_at=received_at),  # level 0
            task_queue=h.task_queue,
            **order_start_options(o, received_at),
        )
        await until(h, "PL-0", lambda v: bool(v.fulfilments))
        history = await handle.fetch_history()
        await handle.terminate("seen enough")

    asked = " ".join(
        str(e.marker_recorded_event_attributes)
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_patch"
    )
    assert "lean-order-run" in asked
    assert "services-sourced" in asked
