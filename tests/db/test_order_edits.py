"""An order edit in the database: units out of a fulfilment before its pick release their
reservation once, and a fulfilment the store has started on (a wave, a scan) refuses."""

from __future__ import annotations

from oms.db import inventory, order_edits, scans
from oms.db.engine import Database
from oms.db.tables import Fulfilment, InventoryPosition
from oms.domain.sourcing import Allocation
from tests.factories import seed

STEP = "E1:source:initial"


def _placed(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    with db.session() as s:
        inventory.reserve(
            s,
            order_id="E1",
            step_key=STEP,
            allocations=[
                Allocation(location_id="ST-OPERA", line_id="1", sku="SKU-TEE", qty=2),
                Allocation(location_id="ST-OPERA", line_id="2", sku="SKU-MUG", qty=1),
            ],
        )
        s.add(
            Fulfilment(
                id="E1.F1",
                order_id="E1",
                location_id="ST-OPERA",
                workflow_id="fulfilment-E1.F1",
                status="AWAITING_PICK",
                delivery_method="ship",
                lines=[],
            )
        )


def _reserved(db: Database, sku: str) -> int:
    with db.reading() as s:
        pos = s.get(InventoryPosition, (sku, "ST-OPERA"))
        assert pos is not None
        return pos.reserved


def test_units_dropped_by_an_edit_are_released_once(db: Database) -> None:
    _placed(db)

    for _ in range(2):  # a retried activity
        with db.session() as s:
            order_edits.release_units(
                s, step_key=STEP, location_id="ST-OPERA", units={"1": 1, "2": 1}, part=-1
            )

    assert _reserved(db, "SKU-TEE") == 1
    assert _reserved(db, "SKU-MUG") == 0
    with db.reading() as s:
        assert inventory.live_reserved(s, "SKU-TEE", "ST-OPERA") == 1
        assert inventory.live_reserved(s, "SKU-MUG", "ST-OPERA") == 0


def test_a_second_edit_of_the_same_line_releases_its_own_units(db: Database) -> None:
    _placed(db)

    with db.session() as s:
        order_edits.release_units(s, step_key=STEP, location_id="ST-OPERA", units={"1": 1}, part=-1)
    with db.session() as s:
        order_edits.release_units(s, step_key=STEP, location_id="ST-OPERA", units={"1": 1}, part=-2)

    assert _reserved(db, "SKU-TEE") == 0


def test_a_fulfilment_in_a_wave_or_with_a_scan_has_started_its_pick(db: Database) -> None:
    _placed(db)
    with db.session() as s:
        assert order_edits.picking_started(s, "E1.F1") is None
    with db.session() as s:
        scans.add(
            s,
            fulfilment_id="E1.F1",
            step="pick",
            line_id="1",
            sku="SKU-TEE",
            barcode="123",
            actor="store",
        )
    with db.session() as s:
        scanned = order_edits.picking_started(s, "E1.F1")
    with db.session() as s:
        row = s.get(Fulfilment, "E1.F1")
        assert row is not None
        row.wave_id = "W1"
        s.add(row)
    with db.session() as s:
        waved = order_edits.picking_started(s, "E1.F1")

    assert scanned == "units of the fulfilment have been scanned"
    assert waved == "the fulfilment is being picked in wave W1"
