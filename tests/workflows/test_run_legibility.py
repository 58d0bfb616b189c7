"""What ops see of order, fulfilment and payment recovery runs in Temporal (the dev server's
real visibility):
summaries and details, current details, search attributes kept current, a summary on every
activity and timer, and no personal data in any of it."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from google.protobuf.json_format import MessageToDict
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.order.payment_recovery import PaymentAction
from oms.gateway_keys import capture_key
from oms.keys import fulfilment_workflow_id, payment_recovery_workflow_id
from oms.temporal import (
    CANCEL_REASON,
    DUE_AT,
    FULFILMENT_LOCATIONS,
    FULFILMENT_STATUS,
    ORDER_ID,
    ORDER_STATUS,
    ORDER_TOTAL,
    STATUS_SINCE,
    WAITING_ON,
)
from tests.factories import order, seed
from tests.workflows.harness import running, until
from tests.workflows.test_reversed_capture_recovery import decide, reverse, shipped_and_completed

PERSONAL = ("alice@example.com", "Alice", "rue de Rivoli", "75001", "tok_ok")
STOCK = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3}


async def attributes(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    attrs = (await handle.describe()).typed_search_attributes
    keys: list[SearchAttributeKey[Any]] = [
        ORDER_ID,
        ORDER_STATUS,
        ORDER_TOTAL,
        WAITING_ON,
        STATUS_SINCE,
        DUE_AT,
        CANCEL_REASON,
        FULFILMENT_STATUS,
        FULFILMENT_LOCATIONS,
    ]
    return {k.name: attrs.get(k) for k in keys}


async def eventually_attributes(
    handle: WorkflowHandle[Any, Any], want: dict[str, Any]
) -> dict[str, Any]:
    """Visibility is eventually consistent: poll until the attributes say ``want``."""
    got: dict[str, Any] = {}
    for _ in range(100):
        got = await attributes(handle)
        if all(got[k] == v for k, v in want.items()):
            return got
        await asyncio.sleep(0.05)
    raise AssertionError(f"attributes never became {want}: {got}")


async def everything_shown(client: Client, workflow_id: str) -> str:
    """Every text ops can read of a run: summaries, details, current details, the summary of
    each activity and timer in its history, its search attributes."""
    handle = client.get_workflow_handle(workflow_id)
    desc = await handle.describe()
    texts = [await desc.static_summary() or "", await desc.static_details() or ""]
    texts.append(json.dumps({k.name: str(v) for k, v in desc.typed_search_attributes}))
    history = await handle.fetch_history()
    texts += [json.dumps(MessageToDict(e.user_metadata)) for e in history.events]
    return "\n".join(texts)


def summaries_of(history_events: list[Any]) -> dict[str, list[str]]:
    """Event kind -> the summaries on its commands, for activities, markers and timers."""
    kinds = {
        "activity_task_scheduled_event_attributes": "activity",
        "marker_recorded_event_attributes": "marker",
        "timer_started_event_attributes": "timer",
    }
    out: dict[str, list[str]] = {}
    for e in history_events:
        kind = kinds.get(e.WhichOneof("attributes") or "")
        if kind is None:
            continue
        if kind == "marker" and e.marker_recorded_event_attributes.marker_name == "core_patch":
            continue
        summary = e.user_metadata.summary.data.decode() if e.HasField("user_metadata") else ""
        out.setdefault(kind, []).append(summary)
    return out


async def test_an_order_run_says_what_it_is_who_it_waits_on_and_since_when(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    client = dev_env.client
    async with running(client, db) as h:
        # Given an order handed to its store
        o = order("LEG-1")
        handle = await h.place(o)
        view = await until(h, o.id, lambda v: bool(v.fulfilments))
        fid = view.fulfilments[0].fulfilment_id
        child = client.get_workflow_handle(fulfilment_workflow_id(fid))

        # Then the order says who it waits on, and the fulfilment until when
        shown = await eventually_attributes(
            handle, {"OrderStatus": "IN_FULFILMENT", "WaitingOn": "store"}
        )
        assert shown["OrderId"] == "LEG-1"
        assert shown["OrderTotal"] == 4897
        assert shown["FulfilmentLocations"] == ["ST-OPERA"]
        assert isinstance(shown["StatusSince"], datetime)
        assert shown["DueAt"] is None
        assert shown["CancelReason"] is None
        kid = await eventually_attributes(child, {"FulfilmentStatus": "AWAITING_PICK"})
        assert (kid["OrderId"], kid["WaitingOn"]) == ("LEG-1", "store")
        assert kid["FulfilmentLocations"] == ["ST-OPERA"]
        assert isinstance(kid["DueAt"], datetime)
        desc = await handle.describe()
        assert await desc.static_summary() == "LEG-1 · web-fr · 2 lines · 48.97 EUR · ship FR"
        assert "2 × SKU-TEE" in (await desc.static_details() or "")
        child_desc = await child.describe()
        assert (
            await child_desc.static_summary()
            == "LEG-1.F1 · order LEG-1 · ST-OPERA · 3 units · ship"
        )
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        details = metadata.current_details
        assert details.startswith("**IN_FULFILMENT** since ")
        assert "waiting on store (ST-OPERA)" in details

        # When the store picks: the deadline is met and the fulfilment moves on
        await h.pick(
            fid,
            PickReport(
                lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
            ),
        )
        kid = await eventually_attributes(child, {"FulfilmentStatus": "PICKED"})
        assert kid["DueAt"] is None
        await h.pack(fid)
        await handle.result()

    # Then the finished order says so, and nothing personal was shown anywhere
    done = await eventually_attributes(handle, {"OrderStatus": "COMPLETED", "WaitingOn": "none"})
    assert done["CancelReason"] is None
    for workflow_id in (handle.id, child.id):
        text = await everything_shown(client, workflow_id)
        assert not [p for p in PERSONAL if p in text], workflow_id
    # And every activity and timer of both runs carries a summary
    for workflow_id in (handle.id, child.id):
        events = (await client.get_workflow_handle(workflow_id).fetch_history()).events
        for kind, summaries in summaries_of(list(events)).items():
            assert all(summaries), (workflow_id, kind, summaries)


async def test_a_cancelled_order_carries_its_reason(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    async with running(dev_env.client, db) as h:
        # Given an order nobody can take: no stock anywhere for it
        o = order(
            "LEG-2", lines=[{"line_id": "1", "sku": "SKU-JEAN", "quantity": 1, "unit_price": 5999}]
        )
        handle = await h.place(o)
        await handle.result()

    shown = await eventually_attributes(handle, {"OrderStatus": "CANCELLED"})
    assert (shown["CancelReason"], shown["WaitingOn"]) == ("out_of_stock", "none")


async def test_a_parcel_ready_for_collection_waits_on_the_customer(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    client = dev_env.client
    async with running(client, db) as h:
        # Given a click-and-collect order picked and packed at its store
        o = order("LEG-3", delivery={"method": "collect", "store_id": "ST-OPERA"})
        handle = await h.place(o)
        view = await until(h, o.id, lambda v: bool(v.fulfilments))
        fid = view.fulfilments[0].fulfilment_id
        child = client.get_workflow_handle(fulfilment_workflow_id(fid))
        await h.pick(
            fid,
            PickReport(
                lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
            ),
        )
        await h.pack(fid)

        # Then both the order and its fulfilment wait on the customer now
        await eventually_attributes(handle, {"WaitingOn": "customer"})
        kid = await eventually_attributes(
            child, {"FulfilmentStatus": "READY_FOR_COLLECTION", "WaitingOn": "customer"}
        )
        assert kid["DueAt"] is None
        details = (
            await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        ).current_details
        assert "waiting on customer" in details

        # And once collected, on no one
        await h.collected(fid)
        await handle.result()
    await eventually_attributes(handle, {"OrderStatus": "COMPLETED", "WaitingOn": "none"})


async def test_a_reversed_captures_recovery_says_what_it_carries_out_and_for_which_order(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    client = dev_env.client
    async with running(client, db) as h:
        # Given an order whose capture the gateway reversed, retried and refused again
        fid = await shipped_and_completed(h, "LEG-4")
        reversed_task = reverse(h, capture_key("LEG-4", fid))
        h.payments.refuse_captures(1)
        await decide(h, reversed_task, PaymentAction.RETRY)

    # Then its run names the order, the fulfilment, the decision and the amount, no one's
    # details, and every step it took
    handle = client.get_workflow_handle(payment_recovery_workflow_id(reversed_task.id))
    desc = await handle.describe()
    assert await desc.static_summary() == (
        f"payment recovery · order LEG-4 · retry 48.97 EUR for {fid} (try 1)"
    )
    assert f"`{reversed_task.id}-1`" in (await desc.static_details() or "")
    assert desc.typed_search_attributes.get(ORDER_ID) == "LEG-4"
    text = await everything_shown(client, handle.id)
    assert not [p for p in PERSONAL if p in text]
    events = (await handle.fetch_history()).events
    found = {k: [json.loads(s) for s in v] for k, v in summaries_of(list(events)).items()}
    assert found["activity"] == ["capture 48.97 EUR again (retry)"]
    assert found["marker"] == [
        "did the gateway capture it again on its own?",
        "open the payment_exception task",
        "record the outcome on the order (payment_capture_failed)",
    ]
