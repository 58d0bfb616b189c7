"""`oms payments reconcile`: the ledger the payment activities keep, compared with the
simulator's own record (issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from activities.payments import PaymentActivities
from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.connectors.payments import GatewayTransaction
from oms.contracts.payments import AuthorizeRequest, CaptureRequest
from oms.db import migrate, payments
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.db.tables import PaymentLedgerEntry
from oms.domain.order import STORED_PAYMENT_TOKEN
from oms.services.payment_reconcile import compare, reconcile
from tests.factories import order

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def charge(db: Database, gateway: SimulatedPaymentGateway, order_id: str) -> None:
    """Place, authorize 50.00 EUR and capture 30.00 of it, as an order run would."""
    with db.session() as s:
        order_repo.insert_order(s, order(order_id), received_at=NOW)
    acts = PaymentActivities(gateway, db)
    env = ActivityEnvironment()
    auth = env.run(
        acts.authorize_payment,
        AuthorizeRequest(
            order_id=order_id, token=STORED_PAYMENT_TOKEN, amount=5000, currency="EUR"
        ),
    )
    env.run(
        acts.capture_payment,
        CaptureRequest(
            order_id=order_id,
            shipment_key=f"{order_id}.F1",
            authorization_id=auth.authorization_id,
            amount=3000,
            currency="EUR",
        ),
    )


def test_a_ledger_kept_by_the_activities_agrees_with_the_gateway(db: Database) -> None:
    gateway = SimulatedPaymentGateway()
    charge(db, gateway, "R1")
    charge(db, gateway, "R2")

    report = reconcile(db, gateway)

    assert report.clean
    assert (report.ledger_entries, report.gateway_transactions, report.matched) == (4, 4, 4)


def test_money_moved_at_the_gateway_without_a_ledger_row_is_reported(db: Database) -> None:
    gateway = SimulatedPaymentGateway()
    charge(db, gateway, "R3")
    # A worker died between the gateway's answer and the ledger's write, and nothing retried.
    gateway.authorize(idempotency_key="R4:authorize", token="tok_ok", amount=700, currency="EUR")

    report = reconcile(db, gateway)

    [diff] = report.differences
    assert (diff.kind, diff.order_id, diff.operation) == ("missing_in_ledger", "R4", "authorize")
    assert diff.gateway is not None
    assert diff.gateway["amount"] == 700


def test_a_ledger_row_the_gateway_never_saw_and_a_different_amount_are_reported(
    db: Database,
) -> None:
    gateway = SimulatedPaymentGateway()
    charge(db, gateway, "R5")
    with db.session() as s:
        row = payments.entry(s, "R5:capture:R5.F1")
        assert row is not None
        row.amount = 3100
        s.add(row)
        payments.record(
            s,
            PaymentLedgerEntry(
                idempotency_key="R6:authorize",
                order_id="R6",
                operation="authorize",
                outcome="succeeded",
                amount=100,
                currency="EUR",
                gateway_reference="sim_auth_x",
            ),
        )

    report = reconcile(db, gateway)

    kinds = {(d.kind, d.idempotency_key): d for d in report.differences}
    assert set(kinds) == {
        ("mismatch", "R5:capture:R5.F1"),
        ("missing_at_gateway", "R6:authorize"),
    }
    assert kinds[("mismatch", "R5:capture:R5.F1")].fields == ["amount"]


def test_refusals_are_in_the_ledger_but_are_no_gateway_operation() -> None:
    refused = PaymentLedgerEntry(
        idempotency_key="R7:authorize",
        order_id="R7",
        operation="authorize",
        outcome="refused",
        amount=100,
        currency="EUR",
        code="card_declined",
    )
    assert compare([refused], []) == (0, [])


def test_an_operation_on_the_edge_of_the_window_is_found_on_the_other_side() -> None:
    made = GatewayTransaction(
        idempotency_key="R8:authorize",
        operation="authorize",
        reference="sim_auth_8",
        authorization_id="sim_auth_8",
        amount=100,
        currency="EUR",
        created_at=NOW - timedelta(milliseconds=5),
    )
    recorded = PaymentLedgerEntry(
        idempotency_key="R8:authorize",
        order_id="R8",
        operation="authorize",
        outcome="succeeded",
        amount=100,
        currency="EUR",
        gateway_reference="sim_auth_8",
        recorded_at=NOW + timedelta(milliseconds=5),
    )
    assert compare([recorded], [made], keys=["R8:authorize"]) == (1, [])


def test_oms_payments_reconcile_exits_1_and_prints_the_difference(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'oms.db'}"
    migrate.upgrade(url)
    db = Database(url)
    sim_path = tmp_path / "payment-simulator.db"
    charge(db, SimulatedPaymentGateway(sim_path), "R9")
    db.dispose()
    env = {
        **os.environ,
        "OMS_HOME": str(tmp_path),
        "OMS_DATABASE_URL": url,
        "OMS_PAYMENT_SIMULATOR_PATH": str(sim_path),
        "OMS_LOG_JSON": "true",
    }
    command = [str(Path(sys.executable).parent / "oms"), "payments", "reconcile"]

    clean = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    SimulatedPaymentGateway(sim_path).authorize(
        idempotency_key="R10:authorize", token="tok_ok", amount=700, currency="EUR"
    )
    differs = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["matched"] == 2
    assert differs.returncode == 1, differs.stderr
    [diff] = json.loads(differs.stdout)["differences"]
    assert (diff["kind"], diff["order_id"]) == ("missing_in_ledger", "R10")
