"""What sourcing reads about each candidate location besides its stock."""

from __future__ import annotations

from datetime import datetime, timedelta

from oms.db import inventory
from oms.db.engine import Database
from oms.db.sourcing import location_facts
from oms.db.tables import Fulfilment, Location, Network, NetworkLocation, utcnow
from oms.domain.sourcing import Allocation
from tests.factories import seed


def fulfilment(n: int, status: str, **times: datetime) -> Fulfilment:
    return Fulfilment(
        id=f"F{n}",
        order_id=f"O{n}",
        location_id="ST-OPERA",
        workflow_id=f"w{n}",
        status=status,
        delivery_method="ship",
        lines=[],
        **times,
    )


def test_capacity_used_counts_todays_live_orders_and_the_record_counts_rejects(
    db: Database,
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 10})
    with db.session() as s:
        s.add(Network(id="PARIS", name="Paris"))
        s.flush()
        s.add(NetworkLocation(network_id="PARIS", location_id="ST-OPERA"))
        for order_id in ("A", "B", "C"):
            inventory.reserve(
                s,
                order_id=order_id,
                step_key=f"{order_id}:source:initial",
                allocations=[Allocation(location_id="ST-OPERA", line_id="1", sku="SKU-TEE", qty=1)],
            )
        inventory.release(s, order_id="C")  # cancelled: no work left for the store
        for n, status in enumerate(("SHIPPED", "REJECTED", "SHIPPED", "SHIPPED")):
            s.add(fulfilment(n, status))
        opera_row = s.get(Location, "ST-OPERA")
        assert opera_row is not None
        opera_row.lead_time_hours = 4.5
        s.add(opera_row)
    with db.session() as s:
        facts = location_facts(s, ["ST-OPERA", "ST-LYON"], utcnow(), ["SKU-TEE", "SKU-MUG"])
    opera = facts["ST-OPERA"]
    assert opera["networks"] == ["PARIS"]
    assert (opera["lead_time_hours"], opera["on_hand"]) == (4.5, {"SKU-TEE": 10})
    assert opera["capacity_used"] == 2
    assert opera["reject_rate"] == 0.25
    assert "capacity_used" not in facts["ST-LYON"]  # nothing today: the default, 0


def test_open_work_counts_the_fulfilments_from_before_today_not_yet_handed_over(
    db: Database,
) -> None:
    seed(db)
    now = utcnow()
    yesterday = now - timedelta(days=1)
    rows = [
        ("AWAITING_PICK", yesterday),
        ("PICKED", yesterday),
        ("PACKED", yesterday),
        ("READY_FOR_COLLECTION", yesterday),
        ("SHIPPED", yesterday),  # handed over
        ("COLLECTED", yesterday),
        ("CANCELLED", yesterday),
        ("REJECTED", yesterday),
        ("AWAITING_PICK", now),  # today's: counted with the orders taken today
    ]
    with db.session() as s:
        for n, (status, created) in enumerate(rows):
            s.add(fulfilment(n, status, created_at=created, updated_at=created))
    with db.reading() as s:
        facts = location_facts(s, ["ST-OPERA", "ST-LYON"], now)
    assert facts["ST-OPERA"]["open_work"] == 4
    assert "open_work" not in facts["ST-LYON"]  # none: the default, 0
