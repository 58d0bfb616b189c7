"""A skipped step's reason code applies its stock effect from the data: a code whose effect
is `recount` opens a recount task per SKU the fulfilment picked; one whose effect is `none`
opens nothing."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from oms.db import reason_codes
from oms.db.engine import Database
from oms.db.tables import ManualTask
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.fulfilment_profiles import FulfilmentProfile
from oms.domain.fulfilment_steps import SkipReport
from oms.domain.reason_codes import ReasonCode, ReasonUsage, StockEffect
from tests.factories import order, seed
from tests.workflows.harness import running, until, until_fulfilment
from workflows.fulfilment import FulfilmentWorkflow

PROFILE = FulfilmentProfile.model_validate(
    {
        "id": "checked",
        "steps": [
            {"type": "pick"},
            {"type": "verify", "required": False},
            {"type": "pack"},
            {"type": "label"},
            {"type": "handover", "required": False},
        ],
        "applies_to": {"delivery_method": "ship"},
    }
)
FULL = PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)])


def recounts(db: Database) -> list[ManualTask]:
    with db.reading() as s:
        return list(s.exec(select(ManualTask).where(ManualTask.kind == "recount")).all())


async def _skip_verify(time_env: WorkflowEnvironment, db: Database, reason: str) -> Any:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3})
    with db.session() as s:
        reason_codes.put(
            s,
            ReasonCode(
                code="scanner_down",
                label="Scanner down: count the shelf again",
                usages=[ReasonUsage.SKIP_STEP],
                stock_effect=StockEffect.RECOUNT,
            ),
        )
    async with running(time_env.client, db, profiles=lambda *_: PROFILE) as h:
        await h.place(order("SK1"))
        fid = (await until(h, "SK1", lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
        await until_fulfilment(h, fid, lambda v: v.current_step is not None)
        await h.pick(fid, FULL)
        await until_fulfilment(h, fid, lambda v: v.current_step.key == "verify")
        await h.fulfilment(fid).execute_update(
            FulfilmentWorkflow.skip_step, SkipReport(step="verify", reason=reason)
        )
        return await until_fulfilment(h, fid, lambda v: v.current_step.key == "pack")


async def test_a_step_skipped_with_a_recount_code_opens_a_recount_per_sku_picked(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    await _skip_verify(time_env, db, "scanner_down")

    found = {(t.location_id, t.payload["sku"], t.payload["units"]) for t in recounts(db)}
    assert found == {("ST-OPERA", "SKU-TEE", 2), ("ST-OPERA", "SKU-MUG", 1)}
    assert {t.payload["reason"] for t in recounts(db)} == {"scanner_down"}


async def test_a_step_skipped_with_a_code_without_stock_effect_opens_nothing(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    view = await _skip_verify(time_env, db, "no_time")

    assert [(s.status.value, s.reason) for s in view.steps if s.key == "verify"] == [
        ("skipped", "no_time")
    ]
    assert recounts(db) == []
