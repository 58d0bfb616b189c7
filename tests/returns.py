"""Helpers for tests and recorders of returns: an order shipped and delivered, and a return
asked and started, as the API does it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from oms.contracts.returns import ReturnInput, ReturnView
from oms.db import deliveries
from oms.domain.exchanges import ReplacementLine
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.order import OrderIn, OrderStatus
from oms.domain.returns import ReturnLineIn, ReturnMethod, ReturnRequest
from oms.domain.shipments import ShipmentStatus, TrackingUpdate
from oms.services.returns import create_return, start_return
from tests.factories import order
from tests.workflows.harness import Harness, eventually, fulfilment_rows, until
from workflows.patch_levels import NEWEST_PATCH_LEVEL
from workflows.returns import ReturnWorkflow, return_workflow_id


async def delivered(
    h: Harness, order_id: str, *, tier: str = "standard", **overrides: Any
) -> OrderIn:
    """2 tees and a mug, picked, packed, shipped and delivered a day ago."""
    customer = {"id": f"C-{order_id}", "email": "a@example.com", "tier": tier}
    o = order(order_id, customer=customer, **overrides)
    await h.place(o)
    fid = (await until(h, order_id, lambda v: bool(v.fulfilments))).fulfilments[0].fulfilment_id
    await eventually(lambda: bool(fulfilment_rows(h.db, order_id)))
    await h.pick(
        fid,
        PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]),
    )
    await h.pack(fid)
    await until(h, order_id, lambda v: v.status is OrderStatus.COMPLETED)
    (row,) = fulfilment_rows(h.db, order_id)
    assert row.carrier
    assert row.tracking_number
    with h.db.session() as s:
        deliveries.apply_tracking(
            s,
            carrier=row.carrier,
            event_id=f"delivered-{order_id}",
            update=TrackingUpdate(
                tracking_number=row.tracking_number,
                status=ShipmentStatus.DELIVERED,
                occurred_at=datetime.now(UTC) - timedelta(days=1),
            ),
        )
    return o


async def asked(
    h: Harness,
    order_id: str,
    lines: list[tuple[str, int]],
    *,
    method: ReturnMethod = ReturnMethod.IN_STORE,
    location_id: str = "ST-OPERA",
    reason_code: str = "changed_mind",
    exchange: Sequence[tuple[str, int]] = (),
    payment_token: str | None = None,
) -> tuple[ReturnInput, WorkflowHandle[ReturnWorkflow, ReturnView]]:
    """Ask and start a return as the API does (an exchange's replacement order started after
    the return's run)."""
    body = ReturnRequest(
        lines=[ReturnLineIn(line_id=li, quantity=q) for li, q in lines],
        reason_code=reason_code,
        method=method,
        location_id=location_id,
        exchange=[ReplacementLine(sku=sku, quantity=q) for sku, q in exchange],
        payment_token=payment_token,
    )
    _, inp, replacement = create_return(h.db, order_id, body)
    await start_return(h.client, h.task_queue, inp, patch_level=NEWEST_PATCH_LEVEL)
    if replacement is not None:
        await h.start(replacement.for_run())
    handle = h.client.get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(inp.return_id))
    return inp, handle
