"""Recorded runs of the paths services and the reason-code taxonomy added: a gift-wrap line
sourced to the store that wraps (a nearer one does not), its wrap under way when the order is
cancelled for a code of the taxonomy that writes the picked units off; a short cancelled by its
reason code, the cancellation naming the code. Run by hand with a new
prefix after a compatible change: ``python -m tests.workflows.record_services_paths R9SV``;
test_replay replays what it saved."""

from __future__ import annotations

import asyncio
import sys
import tempfile

from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import CancelRequest
from oms.db.stock_updates import AbsoluteUpdate, apply_absolute_many
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.order import CancelReason
from oms.domain.reason_codes import StockEffect
from oms.keys import fulfilment_workflow_id
from tests.factories import order
from tests.workflows.harness import running, until, until_fulfilment
from tests.workflows.record_order_paths import fresh_db, record_short_cancelled_by_reason, save
from tests.workflows.record_profile_paths import run_recorder
from tests.workflows.test_services_sourcing import GIFT, choose
from workflows.order import OrderWorkflow


async def record_services_paths(env: WorkflowEnvironment, prefix: str) -> None:
    await record_gift_cancelled(env, prefix)
    # Recorded again since a unit cancelled by its reason names the code and message key.
    await record_short_cancelled_by_reason(env, prefix)


async def record_gift_cancelled(env: WorkflowEnvironment, prefix: str) -> None:
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


if __name__ == "__main__":
    asyncio.run(run_recorder(record_services_paths, sys.argv[1]))
