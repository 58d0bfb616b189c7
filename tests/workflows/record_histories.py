"""Record workflow histories for the replay test (docs/workflows.md says when).

Run after a deliberate, compatible workflow change, with a new prefix, for the workflow types
that changed (all of them when none is named):
    python -m tests.workflows.record_histories R6 order cart-hold
Histories recorded by older code stay: they prove today's code still replays them (and both
sides of every workflow.patched branch stay covered). ``--cart-hold-at REV`` records the cart
hold scenarios with ``workflows/cart_hold.py`` as it was at a git revision.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlmodel import SQLModel
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import CancelRequest
from oms.db import profiles
from oms.db.engine import Database
from oms.db.stock_updates import AbsoluteUpdate, apply_absolute_many
from oms.domain.fraud import FraudReviewDecision
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.order import OrderPolicy
from oms.keys import fulfilment_workflow_id
from oms.temporal import ensure_search_attributes
from tests.factories import order, seed
from tests.workflows.harness import running, until
from tests.workflows.record_order_paths import history_json, record_order_paths
from tests.workflows.record_other_histories import (
    cart_hold_workflow_at,
    record_atp_watch,
    record_cart_holds,
    record_syncs,
)
from workflows.cart_hold import CartHoldWorkflow
from workflows.order import OrderWorkflow

HERE = Path(__file__).parent / "histories"
TYPES = ("order", "cart-hold", "inventory-sync", "atp-watch")


async def main(prefix: str, types: list[str], cart_hold_at: str | None) -> None:
    binary = str(Path(sys.executable).parent / "temporal-test-server")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary, data_converter=pydantic_data_converter
    )
    await ensure_search_attributes(env.client)
    try:
        if "order" in types:
            await record_orders(env, prefix)
            await record_order_paths(env, prefix)
        if "cart-hold" in types:
            old = cart_hold_workflow_at(cart_hold_at) if cart_hold_at else CartHoldWorkflow
            await record_cart_holds(env, prefix, old)
        if "inventory-sync" in types:
            await record_syncs(env, prefix)
        if "atp-watch" in types:
            await record_atp_watch(env, prefix)
    finally:
        await env.shutdown()


async def record_orders(env: WorkflowEnvironment, prefix: str) -> None:
    """Orders and the fulfilments they start (one history per workflow id)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/oms.db")
        SQLModel.metadata.create_all(db.engine)
        seed(
            db,
            {
                ("SKU-PHONE", "ST-OPERA"): 3,
                ("SKU-TEE", "ST-OPERA"): 9,
                ("SKU-MUG", "ST-OPERA"): 9,
                ("SKU-TEE", "WH-PARIS"): 9,
                ("SKU-MUG", "WH-PARIS"): 9,
            },
        )
        async with running(env.client, db) as h:
            saved: list[str] = []
            # Shipped in one go.
            handle = await h.place(order(f"{prefix}-SHIP"))
            v = await until(h, f"{prefix}-SHIP", lambda v: v.fulfilments)
            fid = v.fulfilments[0].fulfilment_id
            await h.pick(
                fid,
                PickReport(
                    lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
                ),
            )
            await h.pack(fid)
            await handle.result()
            saved += [handle.id, fulfilment_workflow_id(fid)]
            # Short pick re-routed to another location.
            handle = await h.place(order(f"{prefix}-SHORT"))
            v = await until(h, f"{prefix}-SHORT", lambda v: v.fulfilments)
            fid = v.fulfilments[0].fulfilment_id
            await h.pick(
                fid,
                PickReport(
                    lines=[
                        PickedLine(line_id="1", picked=1, short_reason="not_found"),
                        PickedLine(line_id="2", picked=1),
                    ]
                ),
            )
            await h.pack(fid)
            v = await until(h, f"{prefix}-SHORT", lambda v: len(v.fulfilments) == 2)
            fid2 = v.fulfilments[1].fulfilment_id
            await until(h, f"{prefix}-SHORT", lambda v: v.fulfilments[1].status == "AWAITING_PICK")
            await h.pick(fid2, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
            await h.pack(fid2)
            await handle.result()
            saved += [handle.id]
            # Cancelled by the customer before picking.
            handle = await h.place(order(f"{prefix}-CANCEL"))
            await until(h, f"{prefix}-CANCEL", lambda v: v.fulfilments)
            await handle.execute_update(OrderWorkflow.cancel, CancelRequest())
            await handle.result()
            saved += [handle.id]
            # Held for review, then approved by an analyst, collected in store.
            review = order(
                f"{prefix}-REVIEW",
                customer={"id": "C-NEW", "email": "n@example.com", "tier": "new"},
                lines=[{"line_id": "1", "sku": "SKU-PHONE", "quantity": 1, "unit_price": 89900}],
                delivery={"method": "collect", "store_id": "ST-OPERA"},
            )
            handle = await h.place(review)
            await until(h, review.id, lambda v: v.status == "AWAITING_REVIEW")
            await handle.signal(
                OrderWorkflow.fraud_decision,
                FraudReviewDecision(decision="approve", reason="checked", actor="analyst"),
            )
            v = await until(h, review.id, lambda v: v.fulfilments)
            fid = v.fulfilments[0].fulfilment_id
            await until(h, review.id, lambda v: v.fulfilments[0].status == "AWAITING_PICK")
            await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
            await h.pack(fid)
            await until(h, review.id, lambda v: v.fulfilments[0].status == "READY_FOR_COLLECTION")
            await h.collected(fid)
            await handle.result()
            saved += [handle.id, fulfilment_workflow_id(fid)]
            # A profile that backorders: the jeans nobody has ship an hour later.
            with db.session() as s:
                profiles.create_draft(
                    s,
                    "waits",
                    {
                        "channel": "web-fr",
                        "strategies": [{"name": "nearest"}],
                        "fallback": {"name": "rest", "split": {"unplaced": "backorder"}},
                    },
                    created_by=None,
                )
                profiles.publish(s, "waits", 1)
            late = order(
                f"{prefix}-BACKORDER",
                lines=[
                    {"line_id": "1", "sku": "SKU-TEE", "quantity": 1, "unit_price": 1999},
                    {"line_id": "2", "sku": "SKU-JEAN", "quantity": 1, "unit_price": 5999},
                ],
            )
            handle = await h.place(late, OrderPolicy(stock_retry_s=3600, stock_wait_s=86400))
            v = await until(h, late.id, lambda v: v.fulfilments)
            fid = v.fulfilments[0].fulfilment_id
            await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
            await h.pack(fid)
            with db.session() as s:
                apply_absolute_many(
                    s, [AbsoluteUpdate(sku="SKU-JEAN", location_id="WH-PARIS", on_hand=5)]
                )
            await env.sleep(timedelta(seconds=3700))
            v = await until(h, late.id, lambda v: len(v.fulfilments) == 2)
            fid2 = v.fulfilments[1].fulfilment_id
            await until(h, late.id, lambda v: v.fulfilments[1].status == "AWAITING_PICK")
            await h.pick(fid2, PickReport(lines=[PickedLine(line_id="2", picked=1)]))
            await h.pack(fid2)
            await handle.result()
            saved += [handle.id]
            for wf_id in saved:
                history = await env.client.get_workflow_handle(wf_id).fetch_history()
                (HERE / f"{wf_id}.json").write_text(history_json(history))
                print("recorded", wf_id)
        db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefix", help="e.g. R6: a prefix no recorded history uses yet")
    parser.add_argument("types", nargs="*", help=f"some of {', '.join(TYPES)} (default: all)")
    parser.add_argument("--cart-hold-at", metavar="REV", help="a git revision")
    args = parser.parse_args()
    if unknown := set(args.types) - set(TYPES):
        parser.error(f"unknown workflow types: {', '.join(sorted(unknown))}")
    asyncio.run(main(args.prefix, args.types or list(TYPES), args.cart_hold_at))
