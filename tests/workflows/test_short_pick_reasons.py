"""A short pick's reason code decides, from the data, what becomes of the units not picked:
the order cancels them instead of sourcing them again when the code says so, and a report
sent without the codes' effects (straight to the workflow) takes the stock effect from the
table."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from oms.db import reason_codes
from oms.db.engine import Database
from oms.db.tables import InventoryPosition
from oms.domain.fulfilment import PickedLine, PickReport
from oms.domain.order import LineState, OrderStatus
from oms.domain.reason_codes import ReasonEffects, RoutingEffect, StockEffect
from tests.factories import order, seed
from tests.workflows.harness import running, until
from tests.workflows.test_order_short_pick import MUG, TEE, awaiting_pick

STOCK = {
    ("SKU-TEE", "ST-BASTILLE"): 3,
    ("SKU-MUG", "ST-BASTILLE"): 2,
    ("SKU-TEE", "WH-PARIS"): 10,
}


def short_tee(reason: str, **effects: ReasonEffects) -> PickReport:
    return PickReport(
        lines=[
            PickedLine(line_id="1", picked=1, short_reason=reason),
            PickedLine(line_id="2", picked=1),
        ],
        effects=effects,
    )


def figures(db: Database, sku: str, location_id: str) -> tuple[int, int, int]:
    with db.reading() as s:
        p = s.get(InventoryPosition, (sku, location_id))
        assert p is not None
        return p.on_hand, p.quarantined, p.reserved


async def test_units_whose_reason_says_cancel_units_are_cancelled_not_sourced_again(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given the warehouse could send the tee the store cannot
    seed(db, STOCK)
    cancel = ReasonEffects(
        stock=StockEffect.NONE,
        routing=RoutingEffect.CANCEL_UNITS,
        customer_message="customer.item_cancelled",
    )
    async with running(time_env.client, db) as h:
        handle = await h.place(order("RC-CANCEL"))
        view = await until(h, "RC-CANCEL", awaiting_pick(1))
        first = view.fulfilments[0].fulfilment_id
        # When the store reports it short for a code whose routing is cancel_units
        await h.pick(first, short_tee("customs_hold", customs_hold=cancel))
        await h.pack(first)
        result = await handle.result()

    # Then the unit is cancelled, nothing goes to the warehouse, and it is not charged
    assert result.status is OrderStatus.COMPLETED
    tee, mug = result.lines
    assert (tee.state, tee.shipped, tee.cancelled, tee.cancel_reason) == (
        LineState.SHIPPED,
        1,
        1,
        "short_pick",
    )
    assert len(result.fulfilments) == 1
    assert "rerouted" not in [t.type for t in result.timeline]
    cancelled = [t.detail for t in result.timeline if t.type == "short_cancelled"]
    # The cancellation names the code it was given and the message the customer is sent
    unit = {"line_id": "1", "sku": "SKU-TEE", "qty": 1}
    why = {"reason_code": "customs_hold", "customer_message": "customer.item_cancelled"}
    assert cancelled == [{"units": [{**unit, **why}]}]
    assert result.payment.captured == TEE + MUG
    assert figures(db, "SKU-TEE", "WH-PARIS") == (10, 0, 0)
    assert figures(db, "SKU-TEE", "ST-BASTILLE") == (2, 0, 0)  # one shipped; stock: none


async def test_a_report_without_effects_takes_the_stock_effect_from_the_table(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # Given an admin made "not_found" quarantine what it is given for
    seed(db, STOCK)
    with db.session() as s:
        stored = reason_codes.get(s, "not_found")
        assert stored is not None
        reason_codes.put(s, stored.model_copy(update={"stock_effect": StockEffect.QUARANTINE}))
    async with running(time_env.client, db) as h:
        await h.place(order("RC-QUARANTINE"))
        view = await until(h, "RC-QUARANTINE", awaiting_pick(1))
        # When a report arrives without the codes' effects (not through the API)
        await h.pick(view.fulfilments[0].fulfilment_id, short_tee("not_found"))
        # Then the missing tee is set apart at the store, and still sourced again elsewhere
        await until(h, "RC-QUARANTINE", awaiting_pick(2))

    assert figures(db, "SKU-TEE", "ST-BASTILLE") == (2, 1, 1)
