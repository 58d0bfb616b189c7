"""Patch levels (workflows/patch_levels.py): a run started at a level records no patch marker
and no ``TemporalChangeVersion`` upsert, and behaves as a run that asked every patch."""

from __future__ import annotations

import ast
import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import OrderWorkflowInput
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.domain.fulfilment import FulfilmentStatus, PickedLine, PickReport
from oms.domain.fulfilment_steps import CollectReport
from oms.domain.order import OrderIn, OrderStatus, OrderView
from oms.keys import fulfilment_workflow_id
from oms.run_options import order_start_options
from tests.factories import order, seed
from tests.workflows.harness import Harness, outbox_types, running, until
from tests.workflows.record_order_paths import STOCK
from tests.workflows.record_profile_paths import BOUTIQUE, _ready_for_collection
from workflows import patch_levels
from workflows.fulfilment import FulfilmentWorkflow
from workflows.order import OrderWorkflow
from workflows.order_patches import PATCHES_AT_START
from workflows.patch_levels import (
    FULFILMENT_LEVELS,
    NEWEST_PATCH_LEVEL,
    ORDER_LEVELS,
    RETURN_LEVELS,
    UnknownPatchLevel,
    check_level,
    patched,
    starting_level,
)

WORKFLOWS_DIR = Path(patch_levels.__file__).parent
CHANGE_VERSION = "TemporalChangeVersion"
HISTORIES = Path(__file__).parent / "histories"


# Each level as it shipped. A shipped level never changes: a run of that level recorded no
# marker for its patches, and a patch added to its set would change how those runs replay.
SHIPPED = {
    1: (
        {
            "lean-order-run", "cancel-by-reason-code", "services-sourced", "transfer-to-store",
            "authorize-to-the-end", "order-confirmed-event", "reroute-at-pick",
            "short-routing-by-reason-code", "short-cancel-reasons", "fulfilment-profiles",
            "order-edit-line-cancel", "order-edit-service", "order-edit-fix-all-or-none",
            "order-edit-delivery", "order-edit-fix-move-before-capture", "payment-recovery",
            "aftersale-order-invoiced", "aftersale-fix-exchange-credit-told",
        },
        {
            "cancel-booked-shipment", "fulfilment-db-steps-local",
            "cancel-during-progress-signal", "collect-hold-and-partial", "order-edit-fulfilment",
        },
        {
            "aftersale-shipping-refund", "aftersale-exchange-credit",
            "aftersale-fix-exchange-credit-used",
        },
    ),
}  # fmt: skip
# Level 2: level 1 and a collection's store changed by an order edit.
SHIPPED[2] = (
    SHIPPED[1][0] | {"order-edit-pickup-store"},
    SHIPPED[1][1],
    SHIPPED[1][2],
)
# Level 3: level 2 and the fixes of a first run from the README (the order's status after a
# try at units waiting for stock, and edits meanwhile; a cancel asked again; handlers finish
# before the run ends; the fixed flow's collection ready told to the customer).
SHIPPED[3] = (
    SHIPPED[2][0]
    | {
        "status-after-stock-try",
        "order-edit-awaiting-stock",
        "cancel-asked-again",
        "handlers-finish-first",
    },
    SHIPPED[2][1] | {"ready-for-collection-told"},
    SHIPPED[2][2],
)
# The modules of each workflow type's run (its class and the mixins it is made of).
PARTS = {
    "order": {
        "order", "order_steps", "order_records", "order_payments", "order_edits",
        "order_delivery", "order_pickup", "order_patches", "order_cancel",
    },
    "fulfilment": {
        "fulfilment", "fulfilment_steps", "fulfilment_edits", "fulfilment_transfer", "collection",
    },
    "return": {"returns"},
}  # fmt: skip


def _constants(tree: ast.Module) -> dict[str, str]:
    return {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _asked_patches() -> tuple[dict[str, set[str]], list[str]]:
    """Module -> the patch ids its code asks (literal, or a constant of its own or of the
    module it imports it from), and the arguments that could not be read."""
    trees = {
        p.stem: ast.parse(p.read_text())
        for p in WORKFLOWS_DIR.glob("*.py")
        if p.name != "patch_levels.py"  # asks for the others
    }
    constants = {name: _constants(tree) for name, tree in trees.items()}
    asked: dict[str, set[str]] = {}
    unread: list[str] = []
    for name, tree in trees.items():
        imported = {
            alias.asname or alias.name: constants.get(node.module.rpartition(".")[2], {}).get(
                alias.name
            )
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("_patched", "patched") or not node.args:
                continue
            arg = node.args[-1]
            found: str | None = None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found = arg.value
            elif isinstance(arg, ast.Name):
                found = constants[name].get(arg.id) or imported.get(arg.id)
            if found is None:
                unread.append(f"{name}:{node.lineno}")
            else:
                asked.setdefault(name, set()).add(found)
    return asked, unread


def test_every_patch_the_workflows_ask_is_in_the_newest_level_of_its_workflow_type() -> None:
    asked, unread = _asked_patches()
    # The one argument that is not a name of a patch: the loop over PATCHES_AT_START.
    assert [u.split(":")[0] for u in unread] == ["order"]
    assert set(PATCHES_AT_START) <= ORDER_LEVELS[-1]
    # Every module that asks a patch is a part of one workflow type's run.
    assert set(asked) <= set().union(*PARTS.values())
    for kind, levels in (
        ("order", ORDER_LEVELS),
        ("fulfilment", FULFILMENT_LEVELS),
        ("return", RETURN_LEVELS),
    ):
        by_type = set().union(*(asked.get(m, set()) for m in PARTS[kind]))
        assert by_type, kind
        # A run of today's level asks no patch of today's code.
        assert by_type <= levels[-1], (kind, by_type - levels[-1])
    # And no module asks a patch but through the levels (patch_levels itself does, for them).
    direct = [
        p.name
        for p in WORKFLOWS_DIR.glob("*.py")
        if p.name != "patch_levels.py" and "workflow.patched(" in p.read_text()
    ]
    assert direct == []


def test_a_shipped_level_never_changes_and_levels_only_grow() -> None:
    for level, (order_set, fulfilment_set, return_set) in SHIPPED.items():
        assert ORDER_LEVELS[level] == order_set
        assert FULFILMENT_LEVELS[level] == fulfilment_set
        assert RETURN_LEVELS[level] == return_set
    for levels in (ORDER_LEVELS, FULFILMENT_LEVELS, RETURN_LEVELS):
        assert levels[0] == frozenset()
        assert all(a <= b for a, b in zip(levels, levels[1:], strict=False))
        assert len(levels) == NEWEST_PATCH_LEVEL + 1


def test_a_level_this_code_does_not_know_fails_rather_than_take_the_old_branches() -> None:
    # Started by newer code: raised before any workflow.patched is asked (so outside a run).
    with pytest.raises(UnknownPatchLevel):
        patched(ORDER_LEVELS, NEWEST_PATCH_LEVEL + 1, "lean-order-run")
    # And each run checks its level as it is created, before any step (a fulfilment or a
    # return asks its first patch late, after it has acted).
    for levels in (ORDER_LEVELS, FULFILMENT_LEVELS, RETURN_LEVELS):
        check_level(levels, NEWEST_PATCH_LEVEL)
        with pytest.raises(UnknownPatchLevel):
            check_level(levels, NEWEST_PATCH_LEVEL + 1)


def test_the_configured_level_is_capped_at_the_newest_known() -> None:
    assert starting_level(0) == 0
    assert starting_level(NEWEST_PATCH_LEVEL) == NEWEST_PATCH_LEVEL
    assert starting_level(NEWEST_PATCH_LEVEL + 5) == NEWEST_PATCH_LEVEL


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


async def _started_at(
    h: Harness, db: Database, order_id: str, level: int
) -> WorkflowHandle[OrderWorkflow, OrderView]:
    """An order's run started at ``level`` directly (level 0: as every run before levels)."""
    return await placed_at(h, db, order(order_id), level)


async def placed_at(
    h: Harness, db: Database, o: OrderIn, level: int
) -> WorkflowHandle[OrderWorkflow, OrderView]:
    """Placed as the API places it (its row first), its run started at ``level``."""
    with db.session() as s:
        order_repo.insert_order(s, o, received_at=datetime.now(UTC))
    received_at = datetime.now(UTC)
    return await h.client.start_workflow(
        OrderWorkflow.run,
        OrderWorkflowInput(order=o.for_run(), received_at=received_at, patch_level=level),
        task_queue=h.task_queue,
        **order_start_options(o, received_at),
    )


async def test_a_run_started_before_levels_still_asks_its_patches(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3})
    async with running(time_env.client, db) as h:
        handle = await _started_at(h, db, "PL-0", 0)
        await until(h, "PL-0", lambda v: bool(v.fulfilments))
        history = await handle.fetch_history()
        await handle.terminate("seen enough")

    asked = _patch_markers(history)
    assert "lean-order-run" in asked
    assert "services-sourced" in asked


async def test_an_order_of_a_level_this_worker_does_not_know_fails_its_task_before_any_step(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3})
    async with running(time_env.client, db) as h:
        handle = await _started_at(h, db, "PL-9", NEWEST_PATCH_LEVEL + 1)
        failures: list[str] = []
        for _ in range(200):
            history = await handle.fetch_history()
            failures = [
                e.workflow_task_failed_event_attributes.failure.message
                for e in history.events
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
            ]
            if failures:
                break
            await asyncio.sleep(0.05)
        await handle.terminate("seen enough")

    # The task fails, to be retried by a worker that knows the level; the run took no step.
    assert failures
    assert f"patch level {NEWEST_PATCH_LEVEL + 1}" in failures[0], failures
    kinds = {e.event_type for e in history.events}
    assert EventType.EVENT_TYPE_MARKER_RECORDED not in kinds
    assert EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED not in kinds
    with db.session() as s:
        assert order_repo.events_for(s, "PL-9") == []
    assert outbox_types(db, "PL-9") == []


def _patch_markers(history: WorkflowHistory) -> str:
    return " ".join(
        str(e.marker_recorded_event_attributes)
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_patch"
    )


async def test_a_fulfilment_of_this_level_takes_its_patched_steps_with_no_marker(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # The same boutique collection recorded at level 0 asked the collection's hold patch.
    before = (HISTORIES / "fulfilment-R12PS-BOUTIQUE.F1.json").read_text()
    recorded = WorkflowHistory.from_json("fulfilment-R12PS-BOUTIQUE.F1", before)
    assert "collect-hold-and-partial" in _patch_markers(recorded)

    seed(db, STOCK)
    async with running(time_env.client, db, profiles=lambda *_: BOUTIQUE) as h:
        handle, fid, code = await _ready_for_collection(h, db, "PL-2")
        await h.fulfilment(fid).execute_update(FulfilmentWorkflow.collect, CollectReport(code=code))
        result = await handle.result()
        history = await h.fulfilment(fid).fetch_history()

    assert result.status is OrderStatus.COMPLETED
    assert result.fulfilments[0].status is FulfilmentStatus.COLLECTED
    assert _patch_markers(history) == ""
    # The hold is there all the same: only a run that took the hold's patch sets the timer that
    # reminds the customer (before it, a collection waited for ever).
    assert '"collected: remind"' in _timer_summaries(history)


def _timer_summaries(history: WorkflowHistory) -> list[str]:
    return [
        str(e.user_metadata.summary.data, "utf-8")
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]
