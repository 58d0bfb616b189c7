from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from oms.contracts.fulfilment import CommitPick
from oms.db import inventory
from oms.db.engine import Database
from oms.db.tables import InventoryPosition, Reservation
from oms.domain.fulfilment import FulfilmentLine
from oms.domain.sourcing import Allocation
from oms.services import picks
from tests.factories import seed


def _position(db: Database, sku: str, loc: str) -> InventoryPosition:
    with db.session() as s:
        pos = s.get(InventoryPosition, (sku, loc))
        assert pos is not None
        return pos


def _reserve_one(db: Database, n: int) -> bool:
    try:
        with db.session() as s:
            inventory.reserve(
                s,
                order_id=f"O{n}",
                step_key=f"O{n}:source:initial",
                allocations=[Allocation(location_id="ST-OPERA", line_id="1", sku="SKU-TEE", qty=1)],
            )
        return True
    except inventory.InsufficientStock:
        return False


def test_two_hundred_concurrent_reservations_against_fifty_units_hold_exactly_fifty(
    db: Database,
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 50})

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(lambda n: _reserve_one(db, n), range(200)))

    assert outcomes.count(True) == 50
    pos = _position(db, "SKU-TEE", "ST-OPERA")
    assert (pos.on_hand, pos.reserved) == (50, 50)
    with db.session() as s:
        assert inventory.live_reserved(s, "SKU-TEE", "ST-OPERA") == 50
        assert len(list(s.exec(select(Reservation)))) == 50


def test_a_multi_line_reservation_is_all_or_nothing(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 1})

    with pytest.raises(inventory.InsufficientStock), db.session() as s:
        inventory.reserve(
            s,
            order_id="O1",
            step_key="O1:s",
            allocations=[
                Allocation(location_id="ST-OPERA", line_id="1", sku="SKU-TEE", qty=2),
                Allocation(location_id="ST-OPERA", line_id="2", sku="SKU-MUG", qty=2),
            ],
        )

    assert _position(db, "SKU-TEE", "ST-OPERA").reserved == 0
    with db.session() as s:
        assert list(s.exec(select(Reservation))) == []


def test_a_short_pick_commits_what_was_picked_and_takes_lost_units_off_the_shelf(
    db: Database,
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    with db.session() as s:
        inventory.reserve(
            s,
            order_id="O1",
            step_key="O1:s",
            allocations=[Allocation(location_id="ST-OPERA", line_id="1", sku="SKU-TEE", qty=3)],
        )

    line = FulfilmentLine(
        line_id="1", sku="SKU-TEE", quantity=3, picked=1, short_reason="not_found"
    )
    for _ in range(2):  # a retried activity must not apply it twice
        with db.session() as s:
            picks.record_pick(s, CommitPick(step_key="O1:s", location_id="ST-OPERA", lines=[line]))

    pos = _position(db, "SKU-TEE", "ST-OPERA")
    assert (pos.on_hand, pos.reserved) == (3, 1)
    with db.session() as s:
        entries = sorted((r.status, r.qty) for r in s.exec(select(Reservation)))
        assert entries == [("committed", 1), ("released", 2)]
        assert inventory.live_reserved(s, "SKU-TEE", "ST-OPERA") == pos.reserved


def test_a_damaged_unit_leaves_stock_but_an_other_reason_only_releases_it(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    with db.session() as s:
        inventory.reserve(
            s,
            order_id="O1",
            step_key="O1:s",
            allocations=[
                Allocation(location_id="ST-OPERA", line_id="1", sku="SKU-TEE", qty=2),
                Allocation(location_id="ST-OPERA", line_id="2", sku="SKU-MUG", qty=2),
            ],
        )
        picks.record_pick(
            s,
            CommitPick(
                step_key="O1:s",
                location_id="ST-OPERA",
                lines=[
                    FulfilmentLine(
                        line_id="1",
                        sku="SKU-TEE",
                        quantity=2,
                        picked=0,
                        short_reason="damaged",
                    ),
                    FulfilmentLine(
                        line_id="2", sku="SKU-MUG", quantity=2, picked=0, short_reason="other"
                    ),
                ],
            ),
        )

    tee = _position(db, "SKU-TEE", "ST-OPERA")
    mug = _position(db, "SKU-MUG", "ST-OPERA")
    assert (tee.on_hand, tee.reserved) == (3, 0)
    assert (mug.on_hand, mug.reserved) == (5, 0)


def test_shipping_consumes_committed_units_and_release_is_idempotent(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-TEE", "WH-PARIS"): 5})
    with db.session() as s:
        inventory.reserve(
            s,
            order_id="O1",
            step_key="O1:s",
            allocations=[
                Allocation(location_id="ST-OPERA", line_id="1", sku="SKU-TEE", qty=2),
                Allocation(location_id="WH-PARIS", line_id="1", sku="SKU-TEE", qty=1),
            ],
        )
        picks.record_pick(
            s,
            CommitPick(
                step_key="O1:s",
                location_id="ST-OPERA",
                lines=[FulfilmentLine(line_id="1", sku="SKU-TEE", quantity=2, picked=2)],
            ),
        )
        assert inventory.consume(s, step_key="O1:s", location_id="ST-OPERA") == 2

    with db.session() as s:
        assert inventory.release(s, order_id="O1") == 1
    with db.session() as s:
        assert inventory.release(s, order_id="O1") == 0

    opera = _position(db, "SKU-TEE", "ST-OPERA")
    paris = _position(db, "SKU-TEE", "WH-PARIS")
    assert (opera.on_hand, opera.reserved) == (3, 0)
    assert (paris.on_hand, paris.reserved) == (5, 0)


def test_each_collection_consumes_its_units_once_and_the_rest_goes_back_to_stock(
    db: Database,
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 3})
    where = {"step_key": "O1:s", "location_id": "ST-OPERA"}
    with db.session() as s:
        inventory.reserve(
            s,
            order_id="O1",
            step_key="O1:s",
            allocations=[
                Allocation(location_id="ST-OPERA", line_id="1", sku="SKU-TEE", qty=3),
                Allocation(location_id="ST-OPERA", line_id="2", sku="SKU-MUG", qty=1),
            ],
        )
        lines = [
            FulfilmentLine(line_id="1", sku="SKU-TEE", quantity=3, picked=3),
            FulfilmentLine(line_id="2", sku="SKU-MUG", quantity=1, picked=1),
        ]
        picks.record_pick(s, CommitPick(step_key="O1:s", location_id="ST-OPERA", lines=lines))
    # The first visit takes a tee and the mug; its write is retried (the same part)
    for _ in range(2):
        with db.session() as s:
            inventory.consume_part(s, **where, units={"1": 1, "2": 1}, part=2)
    tee, mug = _position(db, "SKU-TEE", "ST-OPERA"), _position(db, "SKU-MUG", "ST-OPERA")
    assert [(tee.on_hand, tee.reserved), (mug.on_hand, mug.reserved)] == [(4, 2), (2, 0)]
    with db.session() as s:
        assert inventory.consume_part(s, **where, units={"1": 1}, part=3) == 1
        # Nobody comes for the last tee: released, once
        assert inventory.release(s, order_id="O1", **where) == 1
        assert inventory.release(s, order_id="O1", **where) == 0
        assert inventory.live_reserved(s, "SKU-TEE", "ST-OPERA") == 0

    tee = _position(db, "SKU-TEE", "ST-OPERA")
    assert (tee.on_hand, tee.reserved) == (3, 0)
    with db.session() as s:
        rows = s.exec(select(Reservation).where(Reservation.line_id == "1"))
        assert sorted((r.part, r.qty, r.status) for r in rows) == [
            (0, 1, "released"),
            (2, 1, "consumed"),
            (3, 1, "consumed"),
        ]


def test_releasing_one_order_from_many_threads_at_once_releases_each_unit_once(
    db: Database,
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 20})
    with db.session() as s:
        for n in range(8):
            inventory.reserve(
                s,
                order_id="O1",
                step_key=f"O1:s{n}",
                allocations=[
                    Allocation(location_id="ST-OPERA", line_id=str(n), sku="SKU-TEE", qty=2)
                ],
            )
    with db.session() as s:  # someone else's hold, which must stay
        inventory.reserve(
            s,
            order_id="O2",
            step_key="O2:s",
            allocations=[Allocation(location_id="ST-OPERA", line_id="1", sku="SKU-TEE", qty=3)],
        )

    def release() -> int:
        with db.session() as s:
            return inventory.release(s, order_id="O1")

    with ThreadPoolExecutor(max_workers=8) as pool:
        released = list(pool.map(lambda _: release(), range(8)))

    assert sum(released) == 16
    pos = _position(db, "SKU-TEE", "ST-OPERA")
    assert pos.reserved == 3
    with db.session() as s:
        assert inventory.live_reserved(s, "SKU-TEE", "ST-OPERA") == 3
