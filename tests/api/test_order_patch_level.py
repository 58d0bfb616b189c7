"""What an order placed through the API starts as, patch-wise (workflows/patch_levels.py):
at the configured level, 0 by default, with the patches on every order's path asked as the run
starts (docs/workflows.md: a patch asked after a local activity can land in the wrong task)."""

from __future__ import annotations

import asyncio

from temporalio.api.enums.v1 import EventType

from oms.keys import order_workflow_id
from tests.api.conftest import Api, order_body
from workflows.order_patches import PATCHES_AT_START


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
