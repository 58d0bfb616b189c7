"""Fulfilments that run the steps of their location's profile (issue 11): each step type,
skipping what may be skipped, the carrier's label scanned at handover, the customer's code at
collection, and a pick past its deadlines escalated, then given up and re-sourced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from oms.db import fulfilment_profiles as stored_profiles
from oms.db.engine import Database
from oms.db.tables import OutboxEvent
from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment import FulfilmentStatus, FulfilmentView, PickedLine, PickReport
from oms.domain.fulfilment_profiles import DEFAULT_PROFILE, FulfilmentProfile
from oms.domain.fulfilment_steps import (
    CollectReport,
    HandoverScan,
    SkipReport,
    StepReport,
    StepStatus,
)
from oms.domain.order import OrderStatus
from oms.keys import vas_task_id
from tests.factories import order, seed
from tests.workflows.harness import (
    Harness,
    eventually,
    running,
    task,
    until,
    until_fulfilment,
)
from workflows.fulfilment import FulfilmentWorkflow

STOCK = {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3}
FULL = PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)])
COLLECT = {"method": "collect", "store_id": "ST-OPERA"}


def boutique(**changes: Any) -> FulfilmentProfile:
    return FulfilmentProfile.model_validate(
        {
            "id": "boutique",
            "steps": [
                {"type": "pick", "mode": "scan_each"},
                {"type": "verify"},
                {"type": "vas", "services": ["gift_wrap"], "deadline": {"due": "PT2H"}},
                {"type": "photo", "required": False},
                {"type": "pack"},
                {"type": "label"},
                {"type": "handover"},
                {"type": "ready_for_collection"},
                {"type": "collected"},
            ],
            **changes,
        }
    )


def always(profile: FulfilmentProfile) -> Any:
    return lambda _s, _loc, _channel, _method: profile


def refusal(err: pytest.ExceptionInfo[WorkflowUpdateFailedError]) -> ApplicationError:
    cause = err.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def at_step(h: Harness, fid: str, key: str) -> FulfilmentView:
    def under_way(v: FulfilmentView) -> bool:
        current = v.current_step
        return current is not None and current.key == key and current.status.value == "active"

    return await until_fulfilment(h, fid, under_way)


def events(db: Database, order_id: str, type_: str) -> list[dict[str, Any]]:
    with Session(db.engine) as s:
        stmt = select(OutboxEvent).where(OutboxEvent.order_id == order_id)
        return [e.payload for e in s.exec(stmt) if e.type == type_]


async def test_a_boutique_collection_goes_through_every_step_of_its_profile(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    lines = [
        {"line_id": "1", "sku": "SKU-TEE", "quantity": 2, "unit_price": 1999},
        {
            "line_id": "2",
            "sku": "SKU-MUG",
            "quantity": 1,
            "unit_price": 899,
            "services": ["gift_wrap"],
        },
    ]
    async with running(time_env.client, db, profiles=always(boutique())) as h:
        handle = await h.place(order("PF1", delivery=COLLECT, lines=lines))
        view = await until(h, "PF1", lambda v: bool(v.fulfilments))
        fid = view.fulfilments[0].fulfilment_id
        steps = await at_step(h, fid, "pick")
        # The collection skips the carrier's steps
        assert [s.key for s in steps.steps] == [
            "pick",
            "verify",
            "vas",
            "photo",
            "pack",
            "ready_for_collection",
            "collected",
        ]
        assert steps.profile == "boutique@1"
        flow = h.fulfilment(fid)

        await h.pick(fid, FULL)
        await at_step(h, fid, "verify")
        # A required step cannot be skipped
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await flow.execute_update(
                FulfilmentWorkflow.skip_step, SkipReport(step="verify", reason="busy")
            )
        assert "required" in str(refusal(refused))
        await flow.execute_update(FulfilmentWorkflow.complete_step, StepReport(step="verify"))

        # The gift wrap is a task of its own while the vas step is under way
        await at_step(h, fid, "vas")
        await eventually(lambda: task(db, vas_task_id(fid, "2", "gift_wrap")) is not None)
        await flow.execute_update(FulfilmentWorkflow.complete_step, StepReport(step="vas"))
        await at_step(h, fid, "photo")
        wrap = task(db, vas_task_id(fid, "2", "gift_wrap"))
        assert wrap is not None
        assert wrap.status == "completed"

        # An optional step is skipped with a reason
        skipped = await flow.execute_update(
            FulfilmentWorkflow.skip_step, SkipReport(step="photo", reason="camera_broken")
        )
        assert [(s.status, s.reason) for s in skipped.steps if s.key == "photo"] == [
            (StepStatus.SKIPPED, "camera_broken")
        ]
        await at_step(h, fid, "pack")
        await h.pack(fid)
        ready = await at_step(h, fid, "collected")
        assert ready.status is FulfilmentStatus.READY_FOR_COLLECTION

        # The customer was sent a code; a wrong one is refused at the counter
        [sent] = await _wait_for(lambda: events(db, "PF1", "fulfilment.ready_for_collection"))
        code = sent["collection_code"]
        with pytest.raises(WorkflowUpdateFailedError) as wrong:
            await flow.execute_update(
                FulfilmentWorkflow.collect,
                CollectReport(code="000000" if code != "000000" else "1"),
            )
        assert refusal(wrong).details[0]["field"] == "code"
        done = await flow.execute_update(FulfilmentWorkflow.collect, CollectReport(code=code))
        result = await handle.result()

    assert done.status is FulfilmentStatus.COLLECTED
    assert result.status is OrderStatus.COMPLETED
    assert [f.status for f in result.fulfilments] == [FulfilmentStatus.COLLECTED]


async def test_a_parcel_leaves_when_the_carrier_scans_its_label(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, STOCK)
    profile = boutique(
        steps=[{"type": "pick"}, {"type": "pack"}, {"type": "label"}, {"type": "handover"}],
        applies_to={"delivery_method": "ship"},
    )
    async with running(time_env.client, db, profiles=always(profile)) as h:
        handle = await h.place(order("PF2"))
        view = await until(h, "PF2", lambda v: bool(v.fulfilments))
        fid = view.fulfilments[0].fulfilment_id
        await at_step(h, fid, "pick")
        await h.pick(fid, FULL)
        await at_step(h, fid, "pack")
        await h.pack(fid)
        booked = await at_step(h, fid, "label")
        # Booked with the carrier, not gone yet: the parcel waits for its pick-up
        assert booked.status is FulfilmentStatus.PACKED
        assert booked.tracking_number
        flow = h.fulfilment(fid)
        await flow.execute_update(FulfilmentWorkflow.complete_step, StepReport(step="label"))
        await at_step(h, fid, "handover")
        with pytest.raises(WorkflowUpdateFailedError) as other:
            await flow.execute_update(FulfilmentWorkflow.handover, HandoverScan(label="1Z-OTHER"))
        assert refusal(other).details[0]["field"] == "label"
        gone = await flow.execute_update(
            FulfilmentWorkflow.handover, HandoverScan(label=booked.tracking_number)
        )
        result = await handle.result()

    assert gone.status is FulfilmentStatus.SHIPPED
    assert result.status is OrderStatus.COMPLETED
    assert result.payment.captured == result.total


async def test_a_pick_past_its_deadlines_is_escalated_then_given_up_and_sourced_elsewhere(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {**STOCK, ("SKU-TEE", "WH-PARIS"): 5, ("SKU-MUG", "WH-PARIS"): 5})
    slow = boutique(
        steps=[
            {"type": "pick", "deadline": {"due": "PT1H", "reject_after": "PT1H"}},
            {"type": "pack"},
            {"type": "ready_for_collection"},
            {"type": "collected"},
        ]
    )
    profiles = {"ST-OPERA": slow}

    def choose(_s: Any, location_id: str, _channel: str, _method: DeliveryMethod) -> Any:
        return profiles.get(location_id, DEFAULT_PROFILE)

    async with running(time_env.client, db, profiles=choose) as h:
        await h.place(order("PF3"))
        view = await until(h, "PF3", lambda v: bool(v.fulfilments))
        first = view.fulfilments[0]
        assert first.location_id == "ST-OPERA"
        await at_step(h, first.fulfilment_id, "pick")

        await time_env.sleep(timedelta(minutes=70))
        escalated = await until_fulfilment(h, first.fulfilment_id, lambda v: v.escalated)
        assert escalated.steps[0].escalated
        await _wait_for(lambda: events(db, "PF3", "fulfilment.overdue"))

        await time_env.sleep(timedelta(minutes=60))
        moved = await until(h, "PF3", lambda v: len(v.fulfilments) == 2)

    assert moved.fulfilments[0].status is FulfilmentStatus.REJECTED
    assert moved.fulfilments[1].location_id == "WH-PARIS"


async def _wait_for(found: Any) -> Any:
    result: list[Any] = []

    def check() -> bool:
        result[:] = found()
        return bool(result)

    await eventually(check)
    return result


async def test_a_profile_published_for_stores_is_the_one_their_fulfilments_run(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # The worker as deployed: profiles chosen from what the database publishes
    seed(
        db,
        {
            ("SKU-TEE", "ST-OPERA"): 2,  # just what the collection takes
            ("SKU-MUG", "ST-OPERA"): 1,
            ("SKU-TEE", "WH-PARIS"): 5,
            ("SKU-MUG", "WH-PARIS"): 5,
        },
    )
    document = {
        "id": "stores",
        "applies_to": {"location_type": "store"},
        "steps": [
            {"type": "pick"},
            {"type": "verify"},
            {"type": "pack"},
            {"type": "ready_for_collection"},
            {"type": "collected"},
        ],
    }
    with db.session() as s:
        stored_profiles.create_draft(s, document, created_by="test")
        stored_profiles.publish(s, "stores", 1)
    async with running(time_env.client, db) as h:
        await h.place(order("PF4", delivery=COLLECT))
        store = (await until(h, "PF4", lambda v: bool(v.fulfilments))).fulfilments[0]
        await h.place(order("PF5"))  # shipped from the warehouse, which no profile covers
        warehouse = (await until(h, "PF5", lambda v: bool(v.fulfilments))).fulfilments[0]
        at_store = await at_step(h, store.fulfilment_id, "pick")
        fixed = await until_fulfilment(h, warehouse.fulfilment_id, lambda v: True)

    assert at_store.profile == "stores@1"
    assert [s.key for s in at_store.steps] == [
        "pick",
        "verify",
        "pack",
        "ready_for_collection",
        "collected",
    ]
    assert warehouse.location_id == "WH-PARIS"
    assert (fixed.profile, fixed.steps) == (None, [])
