"""Replay in the database: which profile an order was sourced with, and that nothing stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from oms.db import orders as order_repo
from oms.db import profiles, sourcing
from oms.db import tables as t
from oms.db.engine import Database
from oms.services import sourcing_trials as trials
from tests.factories import order, seed


def decision(
    order_id: str, step: str, profile_id: str, version: int, at: datetime
) -> t.SourcingDecision:
    return t.SourcingDecision(
        step_key=f"{order_id}:source:{step}",
        order_id=order_id,
        profile_id=profile_id,
        profile_version=version,
        explanation={},
        created_at=at,
    )


def test_an_order_counts_as_sourced_with_the_profile_of_its_first_sourcing(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as s:
        s.add(decision("A", "reroute-1", "later", 2, now))
        s.add(decision("A", "initial", "first", 1, now - timedelta(minutes=5)))
        s.add(decision("B", "initial", "first", 3, now))
    with db.session() as s:
        assert sourcing.sourced_with(s, ["A", "B", "C"]) == {"A": ("first", 1), "B": ("first", 3)}


def test_an_order_whose_profile_version_is_gone_is_left_out_and_counted(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 10, ("SKU-MUG", "ST-OPERA"): 10})
    now = datetime.now(UTC)
    with db.session() as s:
        for i, oid in enumerate(("A", "B")):
            order_repo.insert_order(s, order(oid), received_at=now - timedelta(minutes=i))
        s.add(decision("B", "initial", "vanished", 4, now))
    draft = profiles.validate(
        {"strategies": [{"name": "any"}], "fallback": {"name": "rest"}}, profile_id="d", version=1
    )
    with db.read_only() as s:
        rows, skipped = trials.over_past_orders(s, draft, last=10, channel=None, now=now)
    assert ([r.order_id for r in rows], skipped) == (["A"], 1)
    assert rows[0].sourced_with == "default@v1"
    assert not rows[0].changed


def test_what_runs_in_a_read_only_session_is_never_kept(db: Database) -> None:
    try:
        with db.read_only() as s:
            order_repo.insert_order(s, order("A"), received_at=datetime.now(UTC))
    except DBAPIError:
        assert not db.is_sqlite  # PostgreSQL refuses the write outright
    with db.session() as s:
        assert s.exec(select(t.Order)).all() == []
