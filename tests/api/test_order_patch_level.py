"""What an order and a return started through the API start as, patch-wise
(workflows/patch_levels.py): at the configured level, ``OMS_PATCH_LEVEL``, 0 by default, and
at level 0 with the patches on every order's path asked as the run starts (docs/workflows.md:
a patch asked after a local activity can land in the wrong task)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import OrderWorkflowInput
from oms.contracts.returns import ReturnInput
from oms.db.engine import Database
from oms.keys import fulfilment_workflow_id, order_workflow_id
from tests.api.conftest import Api, order_body, serving
from tests.api.test_returns import _ask, _delivered, _return
from workflows.order_patches import PATCHES_AT_START
from workflows.patch_levels import NEWEST_PATCH_LEVEL, ORDER_LEVELS
from workflows.returns import return_workflow_id


@pytest.fixture
async def api_at_newest(dev_env: WorkflowEnvironment, db: Database) -> AsyncIterator[Api]:
    """The API with ``OMS_PATCH_LEVEL`` at the newest level, as once every worker runs it."""
    async with serving(dev_env, db, patch_level=NEWEST_PATCH_LEVEL) as served:
        yield served


async def started_with(client: Client, workflow_id: str, input_type: type[Any]) -> Any:
    """The input a run was started with, as its first history event keeps it."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [decoded] = await client.data_converter.decode(started.input.payloads, [input_type])
    return decoded


async def test_an_order_placed_at_level_0_asks_the_patches_of_its_path_before_any_activity(
    api: Api,
) -> None:
    placed = await api.place(order_body())
    handle = api.harness.client.get_workflow_handle(order_workflow_id(placed["order_id"]))

    for _ in range(200):  # until its first workflow task is done: a local activity recorded
        history = await handle.fetch_history()
        if any("core_local_activity" in str(e) for e in history.events):
            break
        await asyncio.sleep(0.05)
    patches: list[str] = []
    for e in history.events:
        if e.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        marker = e.marker_recorded_event_attributes
        if marker.marker_name == "core_local_activity":
            break  # the first local activity: every patch of the path is asked before it
        patches.append(str(marker))
    asked = " ".join(patches)
    assert all(patch in asked for patch in PATCHES_AT_START), asked


async def test_an_order_placed_at_an_older_level_asks_at_start_the_patches_added_since(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    async with serving(dev_env, db, patch_level=2) as api:
        placed = await api.place(order_body())
        handle = api.harness.client.get_workflow_handle(order_workflow_id(placed["order_id"]))
        for _ in range(200):
            history = await handle.fetch_history()
            if any("core_local_activity" in str(e) for e in history.events):
                break
            await asyncio.sleep(0.05)
    before_any_activity: list[str] = []
    for e in history.events:
        if e.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        if e.marker_recorded_event_attributes.marker_name == "core_local_activity":
            break
        before_any_activity.append(str(e.marker_recorded_event_attributes))
    asked = " ".join(before_any_activity)
    # Level 2's own patches are given (no marker); those of the level after are asked first
    since = [p for p in PATCHES_AT_START if p not in ORDER_LEVELS[2]]
    assert since, "no patch added since level 2"
    assert all(patch in asked for patch in since), asked
    assert not any(p in asked for p in PATCHES_AT_START if p in ORDER_LEVELS[2]), asked


async def test_orders_and_returns_started_through_the_api_take_the_configured_level(
    api_at_newest: Api,
) -> None:
    api = api_at_newest
    order = await _delivered(api)
    asked = await _return(api, order["order_id"], _ask([("1", 1)]))
    assert asked.status_code == 201, asked.text
    client = api.harness.client

    order_input = await started_with(
        client, order_workflow_id(order["order_id"]), OrderWorkflowInput
    )
    return_input = await started_with(
        client, return_workflow_id(asked.json()["return_id"]), ReturnInput
    )
    assert order_input.patch_level == NEWEST_PATCH_LEVEL
    assert return_input.patch_level == NEWEST_PATCH_LEVEL
    # A run of a level asks no patch: nothing in its history says it did.
    fulfilment = order["fulfilments"][0]["fulfilment_id"]
    for workflow_id in (order_workflow_id(order["order_id"]), fulfilment_workflow_id(fulfilment)):
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        markers = [
            e.marker_recorded_event_attributes.marker_name
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        ]
        assert "core_patch" not in markers, workflow_id


async def test_a_return_started_through_the_api_at_level_0_is_of_level_0(api: Api) -> None:
    order = await _delivered(api)
    asked = await _return(api, order["order_id"], _ask([("1", 1)]))
    assert asked.status_code == 201, asked.text

    return_input = await started_with(
        api.harness.client, return_workflow_id(asked.json()["return_id"]), ReturnInput
    )
    assert return_input.patch_level == 0
