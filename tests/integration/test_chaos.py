"""Chaos in the suite (issue 10): the worker process is killed with SIGKILL while orders are in
flight and another is started in its place. Every order still ends; the stock ledger agrees
with the positions it moved (``reserved`` is the sum of the live entries, and no ended order
holds any); the gateway authorized each order once and captured each shipment once, and the
OMS's payment ledger says exactly that."""

from __future__ import annotations

import io
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import col, select

from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.db.tables import Reservation
from oms.domain.ledger import LIVE
from oms.gateway_keys import capture_key, payment_key_order_id
from oms.services.payment_reconcile import reconcile
from oms.simulate import FINAL, PatientTransport, Run
from tests.holds import assert_ledger_matches_positions
from tests.integration.processes import (
    OmsProcess,
    api_process,
    demo_data,
    oms_env,
    temporal_dev_server,
)

ORDERS = 16
# Enough orders authorized before the kill that some are being picked, packed, shipped and
# captured when it comes.
AUTHORIZED_BEFORE_KILL = 4
PLACED_LAST = 4  # right before the kill
SHIPPED = {"SHIPPED", "COLLECTED"}


def authorized(view: dict[str, Any]) -> bool:
    return any(e["type"] == "payment_authorized" for e in view.get("timeline", []))


def recorded(db: Database, order_ids: list[str]) -> dict[str, tuple[str, bool]]:
    """Each order's status as its run last recorded it, and whether it was authorized: read
    from the database, since the API asks a worker first (and there is none)."""
    with db.reading() as s:
        rows = {oid: order_repo.get_order(s, oid) for oid in order_ids}
        return {
            oid: (
                row.status,
                any(e.type == "payment_authorized" for e in order_repo.events_for(s, oid)),
            )
            for oid, row in rows.items()
            if row is not None
        }


def shipped(view: dict[str, Any]) -> set[str]:
    """The capture keys of the order's fulfilments that left: one capture each."""
    return {
        capture_key(view["order_id"], f["fulfilment_id"])
        for f in view["fulfilments"]
        if f["status"] in SHIPPED
    }


def json_lines(process: OmsProcess) -> list[dict[str, Any]]:
    return [json.loads(line) for line in process.lines["stderr"]]


def statuses(run: Run) -> Counter[str]:
    return Counter(run.views.get(oid, {}).get("status", "UNSEEN") for oid in run.placed)


def work_until(run: Run, done: Callable[[], bool], *, within: float, what: str) -> None:
    """Rounds of `oms simulate`'s analyst and store staff (approve reviews; pick, pack, hand
    over) until ``done()``; fails after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        run.poll()
        if done():
            return
        assert time.monotonic() < deadline, f"{what} within {within:.0f} s: {statuses(run)}"
        time.sleep(0.3)


def test_orders_in_flight_when_the_worker_is_killed_all_end_charged_once_and_stock_right(
    db: Database, tmp_path: Path
) -> None:
    keys = demo_data(db, tmp_path)
    told = io.StringIO()  # what the simulated shop was refused, if anything
    gateway_file = tmp_path / "payment-simulator.db"
    with temporal_dev_server(tmp_path) as address:
        # Both workers use one payment simulator, its state in a file as a gateway's would be
        env = oms_env(tmp_path, database_url=db.url, temporal_address=address)
        env["OMS_PAYMENT_SIMULATOR_PATH"] = str(gateway_file)
        first = OmsProcess("worker", env)
        api, base = api_process(env)
        second: OmsProcess | None = None
        try:
            transport = PatientTransport(httpx.HTTPTransport())
            with httpx.Client(base_url=base, timeout=30.0, transport=transport) as http:
                run = Run(http=http, keys=keys, rng=random.Random(10), out=told)
                # Given orders in flight: some worked until they are authorized, then a round
                # of picks and packs sent (shipments booked, payments captured), and the last
                # orders placed just now (fraud checks, sourcing, authorizations)
                for n in range(ORDERS // 2):
                    run.place(n)
                work_until(
                    run,
                    lambda: sum(map(authorized, run.views.values())) >= AUTHORIZED_BEFORE_KILL,
                    within=120,
                    what=f"{AUTHORIZED_BEFORE_KILL} orders authorized",
                )
                for n in range(ORDERS // 2, ORDERS - PLACED_LAST):
                    run.place(n)
                run.poll()
                for n in range(ORDERS - PLACED_LAST, ORDERS):
                    run.place(n)

                # When the worker is killed outright, and another one started
                first.kill()
                at_kill = recorded(db, run.placed)
                second = OmsProcess("worker", env)
                work_until(
                    run,
                    lambda: all(run.views.get(o, {}).get("status") in FINAL for o in run.placed),
                    within=240,
                    what="every order ended",
                )
        finally:
            api.stop()
            first.stop()
            if second is not None:
                second.stop()

    # (the kill came with orders in flight: some authorized, not all ended)
    assert len(run.placed) == ORDERS, told.getvalue()
    assert any(paid for _, paid in at_kill.values()), at_kill
    assert not all(status in FINAL for status, _ in at_kill.values()), at_kill
    # Then every order ended (COMPLETED or CANCELLED, the view says which)
    assert set(statuses(run)) <= FINAL, statuses(run)
    # (the new worker carried on runs the killed one had started: orders it had authorized)
    assert second is not None
    carried = {r.get("order_id") for r in json_lines(second)} & {
        oid for oid, (_, paid) in at_kill.items() if paid
    }
    assert carried, second.output()[-3000:]
    # and every position's reserved is the sum of its live ledger entries
    assert_ledger_matches_positions(db)
    # and no ended order still holds stock
    with db.reading() as s:
        held = s.exec(
            select(Reservation).where(
                col(Reservation.order_id).in_(run.placed), col(Reservation.status).in_(LIVE)
            )
        ).all()
    assert not held, [(r.order_id, r.sku, r.location_id, r.status) for r in held]

    # and the gateway authorized each order once and captured each shipment once, no more
    # than it authorized, as the order says
    gateway = SimulatedPaymentGateway(gateway_file)
    try:
        done = list(gateway.transactions())
        report = reconcile(db, gateway)
    finally:
        gateway.close()
    for oid, view in run.views.items():
        ours = [t for t in done if payment_key_order_id(t.idempotency_key) == oid]
        authorizations = [t for t in ours if t.operation == "authorize"]
        captures = [t for t in ours if t.operation == "capture"]
        paid = view["payment"]["authorized"]
        assert [t.amount for t in authorizations] == ([paid] if paid else []), ours
        assert {t.idempotency_key for t in captures} == shipped(view), ours
        assert sum(t.amount for t in captures) == view["payment"]["captured"], (ours, view)
        assert view["payment"]["captured"] <= paid, view
    assert all(v["payment"]["authorized"] for v in run.views.values() if v["status"] == "COMPLETED")
    # and the OMS's payment ledger holds exactly what the gateway did
    assert report.clean, report.differences
