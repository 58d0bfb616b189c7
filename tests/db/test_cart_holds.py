"""Cart holds against the database: stock taken and given back through the ledger."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.cart_holds import CartHoldActivities
from activities.sourcing import SourcingActivities
from oms.cli import cmd_expire_holds
from oms.config import Settings
from oms.contracts.cart_holds import HoldDue
from oms.contracts.sourcing import SourcingRequest
from oms.db import availability as av
from oms.db import cart_holds
from oms.db.engine import Database
from oms.db.tables import CartHold, Reservation, SafetyRule
from oms.domain.cart_holds import HoldRefused, HoldStatus
from oms.domain.sourcing import Demand
from oms.services import cart_holds as hold_service
from tests.factories import seed
from tests.holds import add_channel, ask, assert_ledger_matches_positions, reserved

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def place(db: Database, cart_id: str, lines: dict[str, int], **kw: object) -> CartHold:
    with db.session() as s:
        return hold_service.place(s, cart_id=cart_id, request=ask(lines, **kw), now=NOW)  # type: ignore[arg-type]


def status(db: Database, cart_id: str) -> str | None:
    with db.session() as s:
        row = cart_holds.get(s, cart_id)
        return row.status if row is not None else None


def entries(db: Database, cart_id: str) -> list[tuple[str, str, int, str]]:
    with db.session() as s:
        rows = s.exec(select(Reservation).where(Reservation.order_id == f"cart:{cart_id}"))
        return sorted((r.sku, r.location_id, r.qty, r.status) for r in rows)


@pytest.fixture
def stocked(db: Database) -> Database:
    seed(
        db,
        {
            ("SKU-TEE", "WH-PARIS"): 2,
            ("SKU-TEE", "ST-OPERA"): 5,
            ("SKU-MUG", "ST-BASTILLE"): 3,
            # Outside the channel's network: never held for it.
            ("SKU-TEE", "ST-LYON"): 50,
        },
    )
    add_channel(db)
    return db


def test_a_hold_takes_the_units_where_there_are_most_and_reserved_matches_the_ledger(
    stocked: Database,
) -> None:
    row = place(stocked, "C1", {"SKU-TEE": 6, "SKU-MUG": 1})

    assert row.status == "held"
    assert row.expires_at == NOW + timedelta(seconds=900)
    assert [line["locations"] for line in row.lines] == [
        [{"location_id": "ST-OPERA", "quantity": 5}, {"location_id": "WH-PARIS", "quantity": 1}],
        [{"location_id": "ST-BASTILLE", "quantity": 1}],
    ]
    assert entries(stocked, "C1") == [
        ("SKU-MUG", "ST-BASTILLE", 1, "held"),
        ("SKU-TEE", "ST-OPERA", 5, "held"),
        ("SKU-TEE", "WH-PARIS", 1, "held"),
    ]
    assert reserved(stocked, "SKU-TEE", "ST-LYON") == 0
    assert_ledger_matches_positions(stocked)


def test_a_hold_cannot_take_more_than_the_channel_atp_and_then_takes_nothing(
    stocked: Database,
) -> None:
    # Two tees of safety stock at the Opéra store: 5 of the 7 in the network can be promised.
    with stocked.session() as s:
        s.add(
            SafetyRule(
                id="R1", scope="sku_at_location", sku="SKU-TEE", location_id="ST-OPERA", quantity=2
            )
        )

    with pytest.raises(HoldRefused) as refused:
        place(stocked, "C1", {"SKU-MUG": 1, "SKU-TEE": 6})

    [short] = refused.value.errors
    assert (short.field, short.code.value) == ("lines[1].quantity", "insufficient_stock")
    assert "5 available" in short.reason
    assert status(stocked, "C1") is None
    assert reserved(stocked, "SKU-MUG", "ST-BASTILLE") == 0
    assert place(stocked, "C1", {"SKU-TEE": 5}).status == "held"


def test_an_unknown_sku_or_channel_is_refused_before_anything_is_held(stocked: Database) -> None:
    with pytest.raises(HoldRefused) as refused:
        place(stocked, "C1", {"SKU-TEE": 1, "NOPE": 1})
    with pytest.raises(av.UnknownChannel):
        place(stocked, "C1", {"SKU-TEE": 1}, channel="nowhere")

    assert [(e.field, e.code.value) for e in refused.value.errors] == [
        ("lines[1].sku", "unknown_sku")
    ]
    assert_ledger_matches_positions(stocked)
    assert entries(stocked, "C1") == []


def test_a_new_put_replaces_the_hold_and_its_units_count_once(stocked: Database) -> None:
    place(stocked, "C1", {"SKU-TEE": 6})

    # 7 tees in the network: 7 can be held by this cart, the 6 it held included.
    row = place(stocked, "C1", {"SKU-TEE": 7, "SKU-MUG": 2})

    assert [(line["sku"], line["quantity"]) for line in row.lines] == [
        ("SKU-TEE", 7),
        ("SKU-MUG", 2),
    ]
    assert reserved(stocked, "SKU-TEE", "ST-OPERA") == 5
    assert reserved(stocked, "SKU-TEE", "WH-PARIS") == 2
    assert [e for e in entries(stocked, "C1") if e[3] == "held"] == [
        ("SKU-MUG", "ST-BASTILLE", 2, "held"),
        ("SKU-TEE", "ST-OPERA", 5, "held"),
        ("SKU-TEE", "WH-PARIS", 2, "held"),
    ]
    assert_ledger_matches_positions(stocked)


def test_a_refused_replacement_keeps_the_hold_the_cart_had(stocked: Database) -> None:
    place(stocked, "C1", {"SKU-TEE": 2})

    with pytest.raises(HoldRefused):
        place(stocked, "C1", {"SKU-TEE": 8})

    assert entries(stocked, "C1") == [("SKU-TEE", "ST-OPERA", 2, "held")]
    assert_ledger_matches_positions(stocked)


def test_the_same_put_twice_holds_once_and_moves_the_deadline(stocked: Database) -> None:
    place(stocked, "C1", {"SKU-TEE": 3}, ttl=60)
    with stocked.session() as s:
        later = NOW + timedelta(minutes=5)
        row = hold_service.place(s, cart_id="C1", request=ask({"SKU-TEE": 3}, ttl=600), now=later)

    assert row.expires_at == later + timedelta(seconds=600)
    assert entries(stocked, "C1") == [("SKU-TEE", "ST-OPERA", 3, "held")]
    with stocked.session() as s:
        [entry] = s.exec(select(Reservation))
        assert cart_holds.as_utc(entry.expires_at) == later + timedelta(seconds=600)  # type: ignore[arg-type]
    assert reserved(stocked, "SKU-TEE", "ST-OPERA") == 3


def test_releasing_gives_the_units_back_once_however_often_it_is_asked(stocked: Database) -> None:
    place(stocked, "C1", {"SKU-TEE": 3})

    with stocked.session() as s:
        first = cart_holds.release(s, "C1", NOW)
    with stocked.session() as s:
        again = cart_holds.release(s, "C1", NOW)
    with stocked.session() as s:
        never = cart_holds.release(s, "C2", NOW)

    assert first is not None
    assert again is not None
    assert (first.status, again.status, never) == ("released", "released", None)
    assert reserved(stocked, "SKU-TEE", "ST-OPERA") == 0
    assert_ledger_matches_positions(stocked)


def test_a_hold_expires_only_once_its_deadline_has_passed(stocked: Database) -> None:
    place(stocked, "C1", {"SKU-TEE": 3}, ttl=60)

    with stocked.session() as s:
        early = cart_holds.expire(s, "C1", NOW + timedelta(seconds=59))
        assert early is not None
        assert early.status == "held"
    with stocked.session() as s:
        due = cart_holds.expire(s, "C1", NOW + timedelta(seconds=60))
        assert due is not None
        assert due.status == "expired"

    assert reserved(stocked, "SKU-TEE", "ST-OPERA") == 0
    assert_ledger_matches_positions(stocked)


def test_the_sweep_frees_every_due_hold_even_one_whose_timer_was_lost(stocked: Database) -> None:
    place(stocked, "LOST", {"SKU-TEE": 2}, ttl=60)
    place(stocked, "LATER", {"SKU-MUG": 1}, ttl=3600)

    with stocked.session() as s:
        swept = cart_holds.expire_due(s, NOW + timedelta(minutes=2))
    with stocked.session() as s:
        again = cart_holds.expire_due(s, NOW + timedelta(minutes=2))

    assert (swept, again) == (["LOST"], [])
    assert (status(stocked, "LOST"), status(stocked, "LATER")) == ("expired", "held")
    assert reserved(stocked, "SKU-TEE", "ST-OPERA") == 0
    assert reserved(stocked, "SKU-MUG", "ST-BASTILLE") == 1
    assert_ledger_matches_positions(stocked)


def test_the_expiry_activity_expires_the_hold_and_sweeps_the_others(stocked: Database) -> None:
    place(stocked, "MINE", {"SKU-TEE": 1}, ttl=60)
    place(stocked, "LOST", {"SKU-TEE": 1}, ttl=60)
    acts = CartHoldActivities(stocked)

    state = ActivityEnvironment().run(
        acts.expire_cart_hold, HoldDue(cart_id="MINE", now=NOW + timedelta(seconds=61))
    )

    assert (state.status, state.swept) == (HoldStatus.EXPIRED, 1)
    assert status(stocked, "LOST") == "expired"
    assert_ledger_matches_positions(stocked)


def test_two_carts_racing_for_the_last_unit_one_gets_it(db: Database) -> None:
    seed(db, {("SKU-PHONE", "ST-OPERA"): 1})
    add_channel(db)
    start = threading.Barrier(2)

    def try_hold(cart_id: str) -> str:
        start.wait()
        try:
            with db.session() as s:
                hold_service.place(s, cart_id=cart_id, request=ask({"SKU-PHONE": 1}), now=NOW)
        except HoldRefused as refused:
            return refused.errors[0].code.value
        return "held"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(try_hold, ["A", "B"]))

    assert outcomes == ["held", "insufficient_stock"]
    assert reserved(db, "SKU-PHONE", "ST-OPERA") == 1
    assert_ledger_matches_positions(db)


def test_many_carts_at_once_never_hold_more_than_there_is(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 10, ("SKU-TEE", "WH-PARIS"): 5})
    add_channel(db)

    def try_hold(n: int) -> int:
        try:
            with db.session() as s:
                hold_service.place(s, cart_id=f"C{n}", request=ask({"SKU-TEE": 2}), now=NOW)
        except HoldRefused:
            return 0
        return 2

    with ThreadPoolExecutor(max_workers=8) as pool:
        held = sum(pool.map(try_hold, range(12)))

    assert held == 14
    assert reserved(db, "SKU-TEE", "ST-OPERA") + reserved(db, "SKU-TEE", "WH-PARIS") == 14
    assert_ledger_matches_positions(db)


def test_an_order_for_the_cart_takes_over_its_hold_without_counting_it_twice(
    db: Database,
) -> None:
    # 3 tees, all held by the cart: the order gets them, and nobody else could have.
    seed(db, {("SKU-TEE", "ST-OPERA"): 3})
    add_channel(db)
    place(db, "C1", {"SKU-TEE": 3})
    req = SourcingRequest(
        order_id="O1",
        channel="web-fr",
        step_key="O1:source:initial",
        demands=[Demand(line_id="1", sku="SKU-TEE", qty=3)],
        cart_id="C1",
    )

    plan = ActivityEnvironment().run(SourcingActivities(db).source_and_reserve, req)

    assert plan.unplaced == []
    assert status(db, "C1") == "converted"
    assert reserved(db, "SKU-TEE", "ST-OPERA") == 3
    assert entries(db, "C1") == [("SKU-TEE", "ST-OPERA", 3, "released")]
    assert_ledger_matches_positions(db)


def test_oms_expire_holds_frees_every_due_hold_in_as_many_sweeps_as_it_takes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 10})
    add_channel(db)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for n in range(5):
        with db.session() as s:
            hold_service.place(
                s, cart_id=f"C{n}", request=ask({"SKU-TEE": 1}, ttl=60), now=an_hour_ago
            )
    monkeypatch.setattr(cart_holds, "SWEEP_LIMIT", 2)
    sweeps: list[int] = []
    sweep = cart_holds.sweep
    monkeypatch.setattr(cart_holds, "sweep", lambda *a: sweeps.append(sweep(*a)) or sweeps[-1])

    expired = cmd_expire_holds(Settings(database_url=db.url))

    assert expired == 5
    assert sweeps == [2, 2, 1, 0]
    assert reserved(db, "SKU-TEE", "ST-OPERA") == 0
    assert_ledger_matches_positions(db)
