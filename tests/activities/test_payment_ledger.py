"""The payment token kept out of workflows, and the payment ledger the payment activities keep
(issue 10), against a real database and the simulator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.payments import PaymentActivities
from activities.read_model import ReadModelActivities
from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.connectors.payments import PaymentUnavailable
from oms.contracts.payments import AuthorizeRequest, CaptureRequest, RefundRequest, VoidRequest
from oms.contracts.read_model import RecordProgress
from oms.db import orders as order_repo
from oms.db import payments
from oms.db.engine import Database
from oms.db.tables import PaymentLedgerEntry
from oms.domain.order import STORED_PAYMENT_TOKEN, OrderStatus
from oms.services.payment_reconcile import reconcile
from tests.factories import order

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def place(db: Database, order_id: str, token: str = "tok_ok") -> None:
    with db.session() as s:
        order_repo.insert_order(s, order(order_id, payment_token=token), received_at=NOW)


def authorize(order_id: str, amount: int = 4897) -> AuthorizeRequest:
    return AuthorizeRequest(
        order_id=order_id, token=STORED_PAYMENT_TOKEN, amount=amount, currency="EUR"
    )


def ledger(db: Database, order_id: str) -> list[PaymentLedgerEntry]:
    with db.reading() as s:
        return list(payments.entries(s, order_id=order_id))


def test_a_placed_order_keeps_its_token_apart_and_its_run_carries_none(db: Database) -> None:
    place(db, "T1", token="tok_secret_visa_4242")

    with db.reading() as s:
        row = order_repo.get_order(s, "T1")
        assert row is not None
        assert row.payload["payment_token"] == STORED_PAYMENT_TOKEN
        assert "tok_secret_visa_4242" not in str(row.payload)
        assert payments.token_for(s, "T1") == "tok_secret_visa_4242"
    run_input = order("T1", payment_token="tok_secret_visa_4242").for_run()
    assert "tok_secret_visa_4242" not in run_input.model_dump_json()


def test_authorizing_takes_the_kept_token_and_records_the_operation_once(db: Database) -> None:
    place(db, "T2")
    acts = PaymentActivities(SimulatedPaymentGateway(), db)
    env = ActivityEnvironment()

    first = env.run(acts.authorize_payment, authorize("T2"))
    again = env.run(acts.authorize_payment, authorize("T2"))  # a retry after a lost answer

    assert again == first
    [entry] = ledger(db, "T2")
    assert (entry.operation, entry.outcome, entry.amount, entry.currency) == (
        "authorize",
        "succeeded",
        4897,
        "EUR",
    )
    assert entry.idempotency_key == "T2:authorize"
    assert entry.gateway_reference == first.authorization_id


def test_a_kept_token_that_is_declined_is_recorded_as_refused(db: Database) -> None:
    place(db, "T3", token="tok_decline")
    acts = PaymentActivities(SimulatedPaymentGateway(), db)

    with pytest.raises(ApplicationError) as err:
        ActivityEnvironment().run(acts.authorize_payment, authorize("T3"))

    assert err.value.type == "PaymentDeclined"
    [entry] = ledger(db, "T3")
    assert (entry.outcome, entry.code, entry.gateway_reference) == (
        "refused",
        "card_declined",
        None,
    )


def test_a_transient_failure_is_not_recorded_until_the_gateway_answers(db: Database) -> None:
    place(db, "T4", token="tok_flaky")
    acts = PaymentActivities(SimulatedPaymentGateway(), db)
    env = ActivityEnvironment()

    for _ in range(2):
        with pytest.raises(PaymentUnavailable):
            env.run(acts.authorize_payment, authorize("T4"))
        assert ledger(db, "T4") == []
    env.run(acts.authorize_payment, authorize("T4"))

    assert [e.outcome for e in ledger(db, "T4")] == ["succeeded"]


def test_an_order_whose_token_is_gone_is_refused_not_retried(db: Database) -> None:
    place(db, "T5")
    with db.session() as s:
        payments.forget_token(s, "T5")
    acts = PaymentActivities(SimulatedPaymentGateway(), db)

    with pytest.raises(ApplicationError) as err:
        ActivityEnvironment().run(acts.authorize_payment, authorize("T5"))

    assert err.value.non_retryable
    assert err.value.details == ("payment_token_missing",)


def test_captures_and_the_void_are_recorded_with_what_the_gateway_did(db: Database) -> None:
    place(db, "T6")
    gateway = SimulatedPaymentGateway()
    acts = PaymentActivities(gateway, db)
    env = ActivityEnvironment()
    auth = env.run(acts.authorize_payment, authorize("T6", amount=5000))

    cap = env.run(
        acts.capture_payment,
        CaptureRequest(
            order_id="T6",
            shipment_key="T6.F1",
            authorization_id=auth.authorization_id,
            amount=3000,
            currency="EUR",
        ),
    )
    env.run(acts.void_payment, VoidRequest(order_id="T6", authorization_id=auth.authorization_id))

    rows = {e.operation: e for e in ledger(db, "T6")}
    assert rows["capture"].gateway_reference == cap.capture_id
    assert rows["capture"].amount == 3000
    # The void released what was not captured, in the authorization's currency.
    assert (rows["void"].amount, rows["void"].currency) == (2000, "EUR")
    assert {t.idempotency_key for t in gateway.transactions()} == {
        e.idempotency_key for e in ledger(db, "T6")
    }


def test_the_token_is_deleted_once_the_order_is_over(db: Database) -> None:
    place(db, "T7")
    record = ReadModelActivities(db).record_progress
    env = ActivityEnvironment()

    env.run(record, RecordProgress(order_id="T7", status=OrderStatus.IN_FULFILMENT))
    with db.reading() as s:
        assert payments.token_for(s, "T7") == "tok_ok"
    env.run(record, RecordProgress(order_id="T7", status=OrderStatus.COMPLETED))

    with db.reading() as s:
        assert payments.token_for(s, "T7") is None
        assert s.exec(select(PaymentLedgerEntry)).all() == []


def test_a_refund_is_recorded_once_and_reconciles_with_the_gateway(db: Database) -> None:
    place(db, "T9")
    gateway = SimulatedPaymentGateway()
    acts = PaymentActivities(gateway, db)
    env = ActivityEnvironment()
    auth = env.run(acts.authorize_payment, authorize("T9", amount=5000))
    cap = env.run(
        acts.capture_payment,
        CaptureRequest(
            order_id="T9",
            shipment_key="T9.F1",
            authorization_id=auth.authorization_id,
            amount=5000,
            currency="EUR",
        ),
    )
    ask = RefundRequest(
        order_id="T9",
        refund_for="RET-1",
        capture_id=cap.capture_id,
        authorization_id=auth.authorization_id,
        amount=1200,
        currency="EUR",
    )

    first = env.run(acts.refund_payment, ask)
    again = env.run(acts.refund_payment, ask)

    assert first == again
    (row,) = [e for e in ledger(db, "T9") if e.operation == "refund"]
    assert (row.idempotency_key, row.amount, row.gateway_reference) == (
        "T9:refund:RET-1",
        1200,
        first.refund_id,
    )
    assert reconcile(db, gateway).clean


def test_a_refund_beyond_the_capture_is_refused_and_recorded_as_such(db: Database) -> None:
    place(db, "T10")
    gateway = SimulatedPaymentGateway()
    acts = PaymentActivities(gateway, db)
    env = ActivityEnvironment()
    auth = env.run(acts.authorize_payment, authorize("T10", amount=1000))
    cap = env.run(
        acts.capture_payment,
        CaptureRequest(
            order_id="T10",
            shipment_key="T10.F1",
            authorization_id=auth.authorization_id,
            amount=1000,
            currency="EUR",
        ),
    )

    with pytest.raises(ApplicationError) as refused:
        env.run(
            acts.refund_payment,
            RefundRequest(
                order_id="T10",
                refund_for="RET-1",
                capture_id=cap.capture_id,
                authorization_id=auth.authorization_id,
                amount=1001,
                currency="EUR",
            ),
        )

    assert refused.value.type == "PaymentError"
    assert refused.value.non_retryable
    (row,) = [e for e in ledger(db, "T10") if e.operation == "refund"]
    assert (row.outcome, row.code) == ("refused", "refund_exceeds_capture")
