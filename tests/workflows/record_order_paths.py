"""Order paths the first recorder scenarios do not reach: fraud review escalated, expired and
rejected, a declined card, a pick past its deadline, re-routes used up, a store that finds
nothing, a carrier that refuses the address, a refused capture, an order held for stock and
one that gives up waiting, a short pick whose reason code cancels the missing units.
``record_histories`` runs them with the order scenarios."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from sqlmodel import SQLModel
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from oms.connectors.carriers import BUSY_POSTAL_CODE
from oms.contracts.orders import CancelRequest
from oms.db import profiles
from oms.db.engine import Database
from oms.db.stock_updates import AbsoluteUpdate, apply_absolute_many
from oms.domain.fraud import FraudReviewDecision, ReviewDecision
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.order import OrderIn, OrderPolicy, OrderView
from oms.domain.order.payment_recovery import PaymentAction, PaymentResolution
from oms.domain.reason_codes import ReasonEffects, RoutingEffect, StockEffect
from oms.keys import fulfilment_workflow_id
from tests.factories import order, seed, shipped_to
from tests.workflows.gateways import RefusesCaptures, SlowToAuthorize
from tests.workflows.harness import Harness, eventually, running, until
from workflows.order import OrderWorkflow

HERE = Path(__file__).parent / "histories"
FULL = PickReport(lines=[PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)])
NOTHING = PickReport(
    lines=[
        PickedLine(line_id="1", picked=0, short_reason="not_found"),
        PickedLine(line_id="2", picked=0, short_reason="not_found"),
    ]
)
STOCK = {
    ("SKU-PHONE", "ST-OPERA"): 3,
    ("SKU-TEE", "ST-OPERA"): 9,
    ("SKU-MUG", "ST-OPERA"): 9,
    ("SKU-TEE", "WH-PARIS"): 9,
    ("SKU-MUG", "WH-PARIS"): 9,
}


BUSY = shipped_to(BUSY_POSTAL_CODE)


def review_order(order_id: str) -> OrderIn:
    """A new customer's phone, collected in store: scored for review."""
    return order(
        order_id,
        customer={"id": f"C-NEW-{order_id}", "email": "n@example.com", "tier": "new"},
        lines=[{"line_id": "1", "sku": "SKU-PHONE", "quantity": 1, "unit_price": 89900}],
        delivery={"method": "collect", "store_id": "ST-OPERA"},
    )


STACK_TRACE = re.compile(r'"stackTrace": "(?:[^"\\]|\\.)*"')


def history_json(history: WorkflowHistory) -> str:
    """A history as it is kept: failures without their stack traces, which name where the
    recording machine keeps its files (replay reads none)."""
    return STACK_TRACE.sub('"stackTrace": ""', history.to_json())


async def save(env: WorkflowEnvironment, ids: Iterable[str]) -> None:
    for wf_id in ids:
        history = await env.client.get_workflow_handle(wf_id).fetch_history()
        (HERE / f"{wf_id}.json").write_text(history_json(history))
        print("recorded", wf_id)


def fresh_db(tmp: str) -> Database:
    db = Database(f"sqlite:///{tmp}/oms.db")
    SQLModel.metadata.create_all(db.engine)
    seed(db, STOCK)
    return db


async def first_pick(h: Harness, order_id: str) -> str:
    picking: Callable[[OrderView], bool] = lambda v: bool(  # noqa: E731
        v.fulfilments and v.fulfilments[-1].status == "AWAITING_PICK"
    )
    return (await until(h, order_id, picking)).fulfilments[-1].fulfilment_id


async def record_order_paths(env: WorkflowEnvironment, prefix: str) -> None:
    decide = OrderWorkflow.fraud_decision
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db) as h:
            # A review escalated at 4 hours, then approved; collected in store.
            o = review_order(f"{prefix}-REVESC")
            handle = await h.place(o)
            await until(h, o.id, lambda v: v.status == "AWAITING_REVIEW")
            await env.sleep(timedelta(hours=4, minutes=5))
            escalated = "fraud_review_escalated"
            await until(h, o.id, lambda v: any(e.type == escalated for e in v.timeline))
            approve = FraudReviewDecision(decision=ReviewDecision.APPROVE, reason="ok")
            await handle.signal(decide, approve)
            fid = await first_pick(h, o.id)
            await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
            await h.pack(fid)
            await until(h, o.id, lambda v: v.fulfilments[0].status == "READY_FOR_COLLECTION")
            await h.collected(fid)
            await handle.result()
            await save(env, [handle.id])
            # A review nobody decides: cancelled at 24 hours.
            o = review_order(f"{prefix}-REVEXP")
            handle = await h.place(o)
            await until(h, o.id, lambda v: v.status == "AWAITING_REVIEW")
            await env.sleep(timedelta(hours=25))
            await handle.result()
            await save(env, [handle.id])
            # A review rejected by the analyst.
            o = review_order(f"{prefix}-REVREJ")
            handle = await h.place(o)
            await until(h, o.id, lambda v: v.status == "AWAITING_REVIEW")
            reject = FraudReviewDecision(decision=ReviewDecision.REJECT, reason="stolen card")
            await handle.signal(decide, reject)
            await handle.result()
            await save(env, [handle.id])
            # A declined card.
            handle = await h.place(order(f"{prefix}-DECLINE", payment_token="tok_decline"))
            await handle.result()
            await save(env, [handle.id])
            # A pick past its deadline (2 hours), then done.
            o = order(f"{prefix}-PICKESC")
            handle = await h.place(o)
            fid = await first_pick(h, o.id)
            await env.sleep(timedelta(hours=2, minutes=5))
            await h.pick(fid, FULL)
            await h.pack(fid)
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid)])
            # A short pick with no re-route left: the missing unit is cancelled.
            o = order(f"{prefix}-NOREROUTE")
            handle = await h.place(o, OrderPolicy(max_reroutes=0))
            fid = await first_pick(h, o.id)
            short = PickedLine(line_id="1", picked=1, short_reason="damaged")
            await h.pick(fid, PickReport(lines=[short, PickedLine(line_id="2", picked=1)]))
            await h.pack(fid)
            await handle.result()
            await save(env, [handle.id])
            # The store finds nothing: the fulfilment is rejected and the order re-routed.
            o = order(f"{prefix}-REJECT")
            handle = await h.place(o)
            await h.pick(await first_pick(h, o.id), NOTHING)
            await until(h, o.id, lambda v: len(v.fulfilments) == 2)
            fid2 = await first_pick(h, o.id)
            await h.pick(fid2, FULL)
            await h.pack(fid2)
            await handle.result()
            await save(env, [handle.id])
            # The carrier refuses the address: that fulfilment fails, the order re-routes.
            nowhere = {
                "name": "A",
                "line1": "1 rue",
                "city": "Paris",
                "postal_code": "00000",
                "country": "FR",
                "lat": 48.86,
                "lon": 2.35,
            }
            o = order(f"{prefix}-UNDELIV", delivery={"method": "ship", "address": nowhere})
            handle = await h.place(o)
            fid = await first_pick(h, o.id)
            await h.pick(fid, FULL)
            await h.pack(fid)
            v = await until(h, o.id, lambda v: len(v.fulfilments) == 2 or v.status.is_final)
            if len(v.fulfilments) == 2:
                fid2 = await first_pick(h, o.id)
                await h.pick(fid2, FULL)
                await h.pack(fid2)
            await handle.result()
            await save(env, [handle.id])
        async with running(env.client, db, payments=RefusesCaptures()) as h:
            # The capture is refused once the goods are gone: a payment exception task, which
            # (since the patch payment-recovery) waits for customer service: here, to write
            # the money off, as this gateway refuses every capture.
            o = order(f"{prefix}-CAPFAIL")
            handle = await h.place(o)
            fid = await first_pick(h, o.id)
            await h.pick(fid, FULL)
            await h.pack(fid)
            await until(h, o.id, lambda v: bool(v.payment.exceptions))
            await handle.execute_update(
                OrderWorkflow.resolve_payment,
                PaymentResolution(
                    fulfilment_id=fid,
                    action=PaymentAction.WRITE_OFF,
                    reason="the bank refuses every capture",
                    actor="cs",
                ),
            )
            await handle.result()
            await save(env, [handle.id])
        db.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db) as h:
            # A gateway and a carrier down for their first two tries: one local attempt each,
            # then regular retries in plain sight.
            o = order(f"{prefix}-FLAKY", payment_token="tok_flaky", delivery=BUSY)
            handle = await h.place(o)
            fid = await first_pick(h, o.id)
            await h.pick(fid, FULL)
            await h.pack(fid)
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid)])
            # A free gift alone: nothing to authorize or capture.
            gift = {"line_id": "1", "sku": "SKU-MUG", "quantity": 1, "unit_price": 0}
            o = order(f"{prefix}-FREE", lines=[gift])
            handle = await h.place(o)
            fid = await first_pick(h, o.id)
            await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
            await h.pack(fid)
            await handle.result()
            await save(env, [handle.id])
        db.dispose()
    await record_cancel_while_authorizing(env, prefix)
    await record_short_cancelled_by_reason(env, prefix)
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        with db.session() as s:
            hold = {
                "channel": "web-fr",
                "strategies": [{"name": "nearest"}],
                "fallback": {"name": "rest", "split": {"unplaced": "hold"}},
            }
            profiles.create_draft(s, "holds", hold, created_by=None)
            profiles.publish(s, "holds", 1)
        async with running(env.client, db) as h:
            # Held until the jeans arrive, then shipped whole.
            tee = {"line_id": "1", "sku": "SKU-TEE", "quantity": 1, "unit_price": 1999}
            jean = {"line_id": "2", "sku": "SKU-JEAN", "quantity": 1, "unit_price": 5999}
            o = order(f"{prefix}-HOLD", lines=[tee, jean])
            handle = await h.place(o, OrderPolicy(stock_retry_s=3600, stock_wait_s=86400))
            await until(h, o.id, lambda v: v.status == "AWAITING_STOCK")
            with db.session() as s:
                jeans = AbsoluteUpdate(sku="SKU-JEAN", location_id="WH-PARIS", on_hand=5)
                apply_absolute_many(s, [jeans])
            await env.sleep(timedelta(seconds=3700))
            v = await until(
                h,
                o.id,
                lambda v: (
                    bool(v.fulfilments) and all(f.status == "AWAITING_PICK" for f in v.fulfilments)
                ),
            )
            for f in v.fulfilments:
                ids = [
                    line.line_id
                    for line in v.lines
                    for a in line.allocations
                    if a.fulfilment_id == f.fulfilment_id
                ]
                await h.pick(
                    f.fulfilment_id,
                    PickReport(lines=[PickedLine(line_id=i, picked=1) for i in ids]),
                )
                await h.pack(f.fulfilment_id)
            await handle.result()
            await save(env, [handle.id])
            # Held for socks nobody has: past the wait the tee ships alone.
            sock = {"line_id": "2", "sku": "SKU-SOCK", "quantity": 1, "unit_price": 599}
            o = order(f"{prefix}-HOLDGIVEUP", lines=[tee, sock])
            handle = await h.place(o, OrderPolicy(stock_retry_s=3600, stock_wait_s=7200))
            await until(h, o.id, lambda v: v.status == "AWAITING_STOCK")
            await env.sleep(timedelta(hours=3))
            v = await until(
                h,
                o.id,
                lambda v: (
                    v.status.is_final
                    or bool(v.fulfilments and v.fulfilments[0].status == "AWAITING_PICK")
                ),
            )
            if v.fulfilments:
                fid = v.fulfilments[0].fulfilment_id
                await h.pick(fid, PickReport(lines=[PickedLine(line_id="1", picked=1)]))
                await h.pack(fid)
            await handle.result()
            await save(env, [handle.id])
        db.dispose()


async def record_cancel_while_authorizing(env: WorkflowEnvironment, prefix: str) -> None:
    """A customer cancel while the gateway is authorizing: the run waits for the answer,
    then voids what was authorized."""
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        gateway = SlowToAuthorize()
        async with running(env.client, db, payments=gateway) as h:
            handle = await h.place(order(f"{prefix}-CANCELAUTH"))
            await eventually(lambda: gateway.calls == 2)
            await handle.execute_update(OrderWorkflow.cancel, CancelRequest())
            gateway.answer.set()
            await handle.result()
            await save(env, [handle.id])
        db.dispose()


async def record_short_cancelled_by_reason(env: WorkflowEnvironment, prefix: str) -> None:
    """A short pick whose reason code's routing is cancel_units, as the API sends it (the
    codes' effects in the report): the missing unit is cancelled, not sourced again, though
    the warehouse has it (patch ``short-routing-by-reason-code``)."""
    cancel = ReasonEffects(stock=StockEffect.NONE, routing=RoutingEffect.CANCEL_UNITS)
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_db(tmp)
        async with running(env.client, db) as h:
            o = order(f"{prefix}-SHORTCANCEL")
            handle = await h.place(o)
            fid = await first_pick(h, o.id)
            short = PickedLine(line_id="1", picked=1, short_reason="customs_hold")
            report = PickReport(
                lines=[short, PickedLine(line_id="2", picked=1)], effects={"customs_hold": cancel}
            )
            await h.pick(fid, report)
            await h.pack(fid)
            await handle.result()
            await save(env, [handle.id, fulfilment_workflow_id(fid)])
        db.dispose()
