"""Recorded runs of the paths services and the reason-code taxonomy added: a gift-wrap line
sourced to the store that wraps (a nearer one does not), its wrap under way when the order is
cancelled for a code of the taxonomy that writes the picked units off. Run by hand with a new
prefix after a compatible change: ``python -m tests.workflows.record_services_paths R9SV``;
test_replay replays what it saved."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import CancelRequest
from oms.db.stock_updates import AbsoluteUpdate, apply_absolute_many
from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.fulfilment_profiles import DEFAULT_PROFILE, FulfilmentProfile
from oms.domain.order import CancelReason
from oms.domain.reason_codes import StockEffect
from oms.keys import fulfilment_workflow_id
from tests.factories import order
from tests.workflows.harness import running, until, until_fulfilment
from tests.workflows.record_order_paths import fresh_db, save
from workflows.order import OrderWorkflow

STEPS: list[dict[str, Any]] = [
    {"type": "pick"},
    {"type": "pack"},
    {"type": "ready_for_collection"},
    {"type": "collected"},
]
WRAPS = FulfilmentProfile.model_validate(
    {"id": "opera", "steps": [*STEPS[:1], {"type": "vas", "services": ["gift_wrap"]}, *STEPS[1:]]}
)
PLAIN = FulfilmentProfile.model_validate({"id": "stores", "steps": STEPS})
GIFT = [
    {"line_id": "1", "sku": "SKU-MUG", "quantity": 1, "unit_price": 899, "services": ["gift_wrap"]}
]


def choose(_s: Any, location_id: str, _channel: str, _method: DeliveryMethod) -> FulfilmentProfile:
    return {"ST-OPERA": WRAPS, "ST-BASTILLE": PLAIN}.get(location_id, DEFAULT_PROFILE)


async def record_services_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        with db.session() as s:  # Bastille, nearer the customer, does not wrap
            apply_absolute_many(
                s, [AbsoluteUpdate(sku="SKU-MUG", location_id="ST-BASTILLE", on_hand=9)]
            )
        async with running(env.client, db, profiles=choose) as h:
            o = order(f"{prefix}-GIFTCANCEL", lines=GIFT)
            handle = await h.place(o)
            fid = (await until(h, o.id, lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
            await until_fulfilment(h, fid, lambda v: v.current_step is not None)
            await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
            await until_fulfilment(
                h, fid, lambda v: v.current_step is not None and v.current_step.key == "vas"
            )
            await handle.execute_update(
                OrderWorkflow.cancel,
                CancelRequest(
                    reason=CancelReason.OTHER,
                    code="broken_in_store",
                    customer_message="customer.sorry_we_broke_it",
                    stock_effect=StockEffect.WRITE_OFF,
                ),
            )
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid)])
        db.dispose()


async def main(prefix: str) -> None:
    from temporalio.contrib.pydantic import pydantic_data_converter

    from oms.temporal import ensure_search_attributes

    binary = str(Path(sys.executable).parent / "temporal-test-server")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary, data_converter=pydantic_data_converter
    )
    await ensure_search_attributes(env.client)
    try:
        await record_services_paths(env, prefix)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
