"""Building pick waves against the database (SQLite, and PostgreSQL when configured): which
open fulfilments a wave takes, that no fulfilment is in two open waves, and that a build
reads and writes in a few statements whatever the number of fulfilments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from oms.db import catalogue
from oms.db import waves as wave_repo
from oms.db.engine import Database
from oms.db.tables import Fulfilment
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.waves import WaveStatus, WaveStrategy
from oms.services import pick_waves
from tests.factories import seed

T0 = datetime(2026, 12, 7, 9, tzinfo=UTC)


def add_fulfilment(
    db: Database,
    fid: str,
    *,
    express: bool = False,
    due_h: float = 1,
    status: FulfilmentStatus = FulfilmentStatus.AWAITING_PICK,
    location_id: str = "ST-OPERA",
    lines: list[tuple[str, int]] | None = None,
) -> None:
    with db.session() as s:
        s.add(
            Fulfilment(
                id=fid,
                order_id=fid.split(".")[0],
                location_id=location_id,
                workflow_id=f"fulfilment-{fid}",
                status=status,
                delivery_method="ship",
                express=express,
                pick_due_at=T0 + timedelta(hours=due_h),
                lines=[
                    {"line_id": str(i), "sku": sku, "quantity": qty, "picked": None}
                    for i, (sku, qty) in enumerate(lines or [("SKU-TEE", 1)], start=1)
                ],
            )
        )


def build(db: Database, token: str, **kw: Any) -> tuple[Any, list[Any]]:
    args: dict[str, Any] = {
        "location_id": "ST-OPERA",
        "strategy": WaveStrategy.BY_ITEM,
        "max_fulfilments": 10,
        "max_units": None,
        "actor": "store:opera",
        "token": token,
        "now": T0,
    }
    with db.session() as s:
        return pick_waves.build(s, **{**args, **kw})


def test_a_wave_takes_the_most_urgent_waiting_fulfilments_of_its_location_only(
    db: Database,
) -> None:
    seed(db)
    add_fulfilment(db, "O1.F1", due_h=3)
    add_fulfilment(db, "O2.F1", due_h=1)
    add_fulfilment(db, "O3.F1", due_h=9, express=True)
    add_fulfilment(db, "O4.F1", due_h=0, status=FulfilmentStatus.PICKED)
    add_fulfilment(db, "O5.F1", due_h=0, location_id="ST-BASTILLE")

    wave, _ = build(db, "w1", max_fulfilments=2)

    with db.reading() as s:
        assert pick_waves.member_ids(s, wave.id) == ["O3.F1", "O2.F1"]
    assert (wave.status, wave.fulfilment_count, wave.unit_count) == (WaveStatus.OPEN, 2, 2)


def test_a_fulfilment_in_an_open_wave_is_in_no_other_and_an_empty_build_is_refused(
    db: Database,
) -> None:
    seed(db)
    for i in range(3):
        add_fulfilment(db, f"O{i}.F1", due_h=i)

    first, _ = build(db, "w1", max_fulfilments=2)
    second, _ = build(db, "w2", max_fulfilments=2)

    with db.reading() as s:
        assert pick_waves.member_ids(s, first.id) == ["O0.F1", "O1.F1"]
        assert pick_waves.member_ids(s, second.id) == ["O2.F1"]
    with pytest.raises(pick_waves.NothingToPick):
        build(db, "w3")


def test_by_zone_lines_follow_the_bins_the_integration_set(db: Database) -> None:
    seed(db)
    with db.session() as s:
        catalogue.put_places(
            s,
            "ST-OPERA",
            [
                {"sku": "SKU-TEE", "bin": "A-2", "zone": "A", "walk_order": 20},
                {"sku": "SKU-MUG", "bin": "A-1", "zone": "A", "walk_order": 10},
                {"sku": "SKU-JEAN", "bin": "B-1", "zone": "B", "walk_order": 30},
            ],
        )
    add_fulfilment(db, "O1.F1", lines=[("SKU-JEAN", 1), ("SKU-TEE", 2), ("SKU-MUG", 1)])
    add_fulfilment(db, "O2.F1", lines=[("SKU-TEE", 1), ("SKU-PHONE", 1)])

    _, lines = build(db, "w1", strategy=WaveStrategy.BY_ZONE)

    assert [(line.group, line.sku, line.quantity) for line in lines] == [
        ("A", "SKU-MUG", 1),
        ("A", "SKU-TEE", 3),
        ("B", "SKU-JEAN", 1),
        ("unplaced", "SKU-PHONE", 1),
    ]


def test_a_barcode_is_found_in_the_whole_catalogue(
    db: Database,
) -> None:
    seed(db)
    with db.session() as s:
        catalogue.set_barcodes(s, {"SKU-TEE": ["04006381333931"], "SKU-MUG": ["12345670"]})

    with db.reading() as s:
        assert catalogue.skus_of_barcodes(s, ["04006381333931", "12345670", "99999999"]) == {
            "04006381333931": "SKU-TEE",
            "12345670": "SKU-MUG",
        }
        # A barcode that is a prefix of another's is not it.
        assert catalogue.skus_of_barcodes(s, ["1234567"]) == {}


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


@pytest.mark.parametrize("waiting", [5, 60])
def test_a_build_makes_the_same_few_statements_however_many_fulfilments_wait(
    db: Database, waiting: int
) -> None:
    seed(db)
    for i in range(waiting):
        add_fulfilment(db, f"O{i:03}.F1", due_h=i, lines=[("SKU-TEE", 1), ("SKU-MUG", 2)])

    with statements(db) as seen:
        wave, _ = build(db, "w1", max_fulfilments=50, strategy=WaveStrategy.BY_ZONE)

    assert wave.fulfilment_count == min(50, waiting)
    # Two reads (fulfilments, products with their places), three writes (wave, lines,
    # fulfilments taken).
    assert len(seen) == 5, seen


def test_a_unit_limit_leaves_a_big_fulfilment_for_a_later_wave_and_takes_smaller_ones(
    db: Database,
) -> None:
    seed(db)
    add_fulfilment(db, "O1.F1", due_h=1, lines=[("SKU-TEE", 3)])
    add_fulfilment(db, "O2.F1", due_h=2, lines=[("SKU-TEE", 5)])
    add_fulfilment(db, "O3.F1", due_h=3, lines=[("SKU-MUG", 2)])

    wave, _ = build(db, "w1", max_fulfilments=5, max_units=6)
    later, _ = build(db, "w2", max_fulfilments=5, max_units=6)

    with db.reading() as s:
        assert pick_waves.member_ids(s, wave.id) == ["O1.F1", "O3.F1"]
        assert pick_waves.member_ids(s, later.id) == ["O2.F1"]
    assert (wave.unit_count, later.unit_count) == (5, 5)


def test_a_sort_cut_short_gives_the_rest_only_what_the_first_attempt_did_not_give(
    db: Database,
) -> None:
    seed(db)
    add_fulfilment(db, "O1.F1", due_h=1, lines=[("SKU-TEE", 2)])
    add_fulfilment(db, "O2.F1", due_h=2, lines=[("SKU-TEE", 2)])
    add_fulfilment(db, "O3.F1", due_h=3, lines=[("SKU-TEE", 1)])
    wave, _ = build(db, "w1")
    with db.session() as s:
        row = wave_repo.get(s, wave.id)
        assert row is not None
        wave_repo.save_picks(s, row, {"SKU-TEE": {"picked": 3, "short_reason": "damaged"}})
        # The first attempt picked O1 before Temporal went away.
        wave_repo.save_outcomes(
            s, row, {"O1.F1": {"status": "PICKED", "given": {"SKU-TEE": 2}}}, done=False
        )

    with db.reading() as s:
        row = wave_repo.get(s, wave.id)
        assert row is not None
        plan = pick_waves.plan_sort(s, row)

    assert [(f.id, [(p.picked, p.short_reason) for p in lines]) for f, lines in plan.reports] == [
        ("O2.F1", [(1, "damaged")]),
        ("O3.F1", [(0, "damaged")]),
    ]


def test_a_pick_sent_by_a_sort_cut_short_before_it_recorded_it_is_not_given_again(
    db: Database,
) -> None:
    seed(db)
    add_fulfilment(db, "P1.F1", due_h=1, lines=[("SKU-TEE", 2)])
    add_fulfilment(db, "P2.F1", due_h=2, lines=[("SKU-TEE", 2)])
    wave, _ = build(db, "w2")
    with db.session() as s:
        row = wave_repo.get(s, wave.id)
        assert row is not None
        wave_repo.save_picks(s, row, {"SKU-TEE": {"picked": 3, "short_reason": "damaged"}})
        # The first attempt's pick of P1 went through, then the API died before recording it.
        p1 = s.get(Fulfilment, "P1.F1")
        assert p1 is not None
        p1.status = FulfilmentStatus.PICKED
        p1.lines = [{"line_id": "1", "sku": "SKU-TEE", "quantity": 2, "picked": 2}]
        s.add(p1)

    with db.reading() as s:
        row = wave_repo.get(s, wave.id)
        assert row is not None
        plan = pick_waves.plan_sort(s, row)

    # P2 gets the one unit left, not three: the two P1 holds are not handed out twice.
    assert [(f.id, [p.picked for p in lines]) for f, lines in plan.reports] == [("P2.F1", [1])]
    assert plan.gone == {"P1.F1": FulfilmentStatus.PICKED}
