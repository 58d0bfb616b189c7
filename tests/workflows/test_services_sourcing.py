"""Services through sourcing, end to end (issue 11): a line asking a gift wrap is sourced from
the store whose profile wraps, though another store is nearer, and the wrap is then a task of
that store's vas step."""

from __future__ import annotations

from typing import Any

from temporalio.testing import WorkflowEnvironment

from oms.db import sourcing
from oms.db.engine import Database
from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.fulfilment_profiles import DEFAULT_PROFILE, FulfilmentProfile
from oms.domain.order import OrderStatus
from oms.keys import vas_task_id
from tests.factories import order, seed
from tests.workflows.harness import eventually, running, task, until, until_fulfilment

STEPS: list[dict[str, Any]] = [
    {"type": "pick"},
    {"type": "pack"},
    {"type": "ready_for_collection"},
    {"type": "collected"},
]
WRAPS = FulfilmentProfile.model_validate(
    {
        "id": "opera",
        "applies_to": {"location_id": "ST-OPERA"},
        "steps": [*STEPS[:1], {"type": "vas", "services": ["gift_wrap"]}, *STEPS[1:]],
    }
)
PLAIN = FulfilmentProfile.model_validate({"id": "stores", "steps": STEPS})
GIFT = [
    {"line_id": "1", "sku": "SKU-MUG", "quantity": 1, "unit_price": 899, "services": ["gift_wrap"]}
]


def choose(_s: Any, location_id: str, _channel: str, _method: DeliveryMethod) -> FulfilmentProfile:
    return {"ST-OPERA": WRAPS, "ST-BASTILLE": PLAIN}.get(location_id, DEFAULT_PROFILE)


async def test_a_gift_wrap_line_goes_to_the_store_that_wraps_and_becomes_its_task(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Bastille is nearer the customer (about 1 km, Opéra about 2) and does not wrap
    seed(db, {("SKU-MUG", "ST-BASTILLE"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    async with running(time_env.client, db, profiles=choose) as h:
        handle = await h.place(order("SV1", lines=GIFT))
        [sent] = (await until(h, "SV1", lambda v: bool(v.fulfilments))).fulfilments
        fid = sent.fulfilment_id
        await until_fulfilment(h, fid, lambda v: v.current_step is not None)
        await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))

        wrap_id = vas_task_id(fid, "1", "gift_wrap")
        await eventually(lambda: task(db, wrap_id) is not None)
        wrap = task(db, wrap_id)
        assert wrap is not None
        assert wrap.location_id == "ST-OPERA"
        with db.reading() as s:
            [decision] = sourcing.decisions(s, "SV1")
        await handle.cancel()

    assert sent.location_id == "ST-OPERA"
    excluded = {g["filter"]: g["location_ids"] for g in decision.explanation["excluded"]}
    assert excluded["service_not_offered: gift_wrap"] == ["ST-BASTILLE"]


async def test_a_service_no_store_performs_leaves_the_line_out_of_stock(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-MUG", "ST-BASTILLE"): 5})
    async with running(time_env.client, db, profiles=choose) as h:
        handle = await h.place(order("SV2", lines=GIFT))
        result = await handle.result()

    assert result.status is OrderStatus.CANCELLED
    assert result.cancel_reason is not None
    assert result.cancel_reason.value == "out_of_stock"
