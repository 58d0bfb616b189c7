"""Recorded runs of ReturnWorkflow for the replay test: an in-store return received, graded
and refunded (RET-STORE), and a carrier return with its label, refunded at once for a trusted
tier and never sent back (RET-EXPIRE). Since exchanges and shipping refunds (``R10``, the
recorder's ``after_sale`` half): an order with a shipping charge and taxes, delivered, whose
return refunds the shipping by policy (RET-SHIP: the return's run, and the order's with its
shipping captured and invoiced); an exchange for a cheaper item (RET-EXCH: the return refunds
the difference, the replacement order paid by the returned goods, fulfilled and invoiced). Run
by hand with a new prefix after a compatible change:
``python -m tests.workflows.record_return_paths R9`` (``R10 after_sale`` for the second half).
Since exchanges refund the credit their replacement did not use (``R11FX
exchange_cancelled``): a same-price exchange whose replacement order is cancelled before it
ships (RET-EXCHCANCEL: the replacement's run signals its return, whose run refunds the
returned goods)."""

from __future__ import annotations

import asyncio
import sys
import tempfile

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from oms.contracts.orders import CancelRequest
from oms.contracts.returns import QcResult, Receipt, ReturnView
from oms.db import returns as return_repo
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.order import OrderStatus
from oms.domain.returns import (
    GradedLine,
    ReturnLineIn,
    ReturnMethod,
    ReturnPolicy,
    ShippingRefund,
)
from oms.keys import fulfilment_id, fulfilment_workflow_id, order_workflow_id
from tests.returns import asked, delivered
from tests.workflows.harness import eventually, fulfilment_rows, running, until
from tests.workflows.record_order_paths import fresh_db, save
from tests.workflows.record_profile_paths import run_recorder
from workflows.order import OrderWorkflow
from workflows.returns import ReturnWorkflow


async def record_return_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db) as h:
            await delivered(h, f"{prefix}-RET-STORE")
            inp, handle = await asked(h, f"{prefix}-RET-STORE", [("1", 2)])
            await handle.execute_update(
                ReturnWorkflow.receive,
                Receipt(
                    location_id="ST-OPERA",
                    lines=[ReturnLineIn(line_id="1", quantity=2)],
                    actor="store:opera",
                ),
            )
            await asyncio.sleep(1)  # the QC task opens
            await handle.execute_update(
                ReturnWorkflow.grade,
                QcResult(
                    grades=[
                        GradedLine(line_id="1", grade="qc_resellable", quantity=1),
                        GradedLine(line_id="1", grade="qc_damaged", quantity=1),
                    ],
                    actor="analyst:qc",
                ),
            )
            await handle.result()
            await save(env, [handle.id])

            with db.session() as s:
                return_repo.set_policy(s, "web-fr", ReturnPolicy(instant_refund_tiers=["vip"]))
            await delivered(h, f"{prefix}-RET-EXPIRE", tier="vip")
            inp, handle = await asked(
                h, f"{prefix}-RET-EXPIRE", [("2", 1)], method=ReturnMethod.BY_CARRIER
            )
            await env.sleep(inp.policy.receive_within_days * 86400 + 60)
            await handle.result()
            await save(env, [handle.id])
        db.dispose()


SHIPPING = {"amount": 590, "taxes": [{"code": "FR-VAT", "rate": 20, "amount": 98}]}
TAXED = [
    {
        "line_id": "1",
        "sku": "SKU-TEE",
        "quantity": 2,
        "unit_price": 1999,
        "taxes": [{"code": "FR-VAT", "rate": 20, "amount": 333}],
    },
    {"line_id": "2", "sku": "SKU-MUG", "quantity": 1, "unit_price": 899},
]


async def _received_and_graded(
    handle: WorkflowHandle[ReturnWorkflow, ReturnView], lines: list[tuple[str, int]]
) -> None:
    await handle.execute_update(
        ReturnWorkflow.receive,
        Receipt(
            location_id="ST-OPERA",
            lines=[ReturnLineIn(line_id=li, quantity=q) for li, q in lines],
            actor="store:opera",
        ),
    )
    await asyncio.sleep(1)  # the QC task opens
    await handle.execute_update(
        ReturnWorkflow.grade,
        QcResult(
            grades=[GradedLine(line_id=li, grade="qc_resellable", quantity=q) for li, q in lines],
            actor="analyst:qc",
        ),
    )
    await handle.result()


async def record_after_sale_paths(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db) as h:
            with db.session() as s:
                policy = ReturnPolicy(refund_shipping=ShippingRefund.ALWAYS)
                return_repo.set_policy(s, "web-fr", policy)
            shipped = f"{prefix}-RET-SHIP"
            await delivered(h, shipped, shipping=SHIPPING, lines=TAXED)
            _, handle = await asked(h, shipped, [("2", 1)])
            await _received_and_graded(handle, [("2", 1)])
            fid = fulfilment_id(shipped, 1)
            await save(env, [handle.id, order_workflow_id(shipped), fulfilment_workflow_id(fid)])

            exchanged = f"{prefix}-RET-EXCH"
            await delivered(h, exchanged)
            inp, handle = await asked(h, exchanged, [("1", 1)], exchange=[("SKU-MUG", 1)])
            assert inp.exchange_order_id is not None
            replacement = inp.exchange_order_id
            view = await until(h, replacement, lambda v: bool(v.fulfilments))
            rfid = view.fulfilments[0].fulfilment_id
            await eventually(lambda: bool(fulfilment_rows(h.db, replacement)))
            await h.pick(rfid, PickReport(lines=[PickedLine(line_id="X1", picked=1)]))
            await h.pack(rfid)
            await until(h, replacement, lambda v: v.status is OrderStatus.COMPLETED)
            await _received_and_graded(handle, [("1", 1)])
            await save(
                env,
                [handle.id, order_workflow_id(replacement), fulfilment_workflow_id(rfid)],
            )
        db.dispose()


async def record_exchange_cancelled_paths(env: WorkflowEnvironment, prefix: str) -> None:
    """A same-price exchange whose replacement is cancelled before it ships: the replacement
    tells the return it took no credit, and the return refunds the returned goods."""
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db) as h:
            exchanged = f"{prefix}-RET-EXCHCANCEL"
            await delivered(h, exchanged)
            inp, handle = await asked(h, exchanged, [("1", 1)], exchange=[("SKU-TEE", 1)])
            assert inp.exchange_order_id is not None
            replacement = inp.exchange_order_id
            view = await until(h, replacement, lambda v: bool(v.fulfilments))
            rfid = view.fulfilments[0].fulfilment_id
            order = env.client.get_workflow_handle(order_workflow_id(replacement))
            await order.execute_update(OrderWorkflow.cancel, CancelRequest())
            await until(h, replacement, lambda v: v.status is OrderStatus.CANCELLED)
            await _received_and_graded(handle, [("1", 1)])
            done = await handle.result()
            assert done.refunded == 1999, done
            await save(
                env,
                [handle.id, order_workflow_id(replacement), fulfilment_workflow_id(rfid)],
            )
        db.dispose()


if __name__ == "__main__":
    recorder = {
        "after_sale": record_after_sale_paths,
        "exchange_cancelled": record_exchange_cancelled_paths,
    }.get(sys.argv[2] if sys.argv[2:] else "", record_return_paths)
    asyncio.run(run_recorder(recorder, sys.argv[1]))
