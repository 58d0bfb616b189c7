"""The payment simulator's state in a file of its own: it outlives a worker and is shared by
every worker process, as a real gateway's would be (issue 10)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.connectors.payments import PaymentError, PaymentUnavailable


def test_a_restarted_simulator_replays_a_key_instead_of_charging_again(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    before = SimulatedPaymentGateway(path)
    auth = before.authorize(
        idempotency_key="K1:authorize", token="tok_ok", amount=900, currency="EUR"
    )
    before.capture(
        idempotency_key="K1:capture:a",
        authorization_id=auth.authorization_id,
        amount=600,
        currency="EUR",
    )
    before.close()

    after = SimulatedPaymentGateway(path)  # the worker was killed and started again
    replayed = after.authorize(
        idempotency_key="K1:authorize", token="tok_ok", amount=900, currency="EUR"
    )

    assert replayed == auth
    assert after.attempts("K1:authorize") == 2
    assert after.state(auth.authorization_id).captured == 600
    # What was captured before the restart still counts against the authorization.
    with pytest.raises(PaymentError) as caught:
        after.capture(
            idempotency_key="K1:capture:b",
            authorization_id=auth.authorization_id,
            amount=400,
            currency="EUR",
        )
    assert caught.value.code == "capture_exceeds_authorization"
    assert [(t.operation, t.amount) for t in after.transactions()] == [
        ("authorize", 900),
        ("capture", 600),
    ]


def test_the_attempts_of_a_flaky_token_are_counted_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    for _ in range(2):
        with pytest.raises(PaymentUnavailable):
            SimulatedPaymentGateway(path).authorize(
                idempotency_key="K2:authorize", token="tok_flaky", amount=100, currency="EUR"
            )

    third = SimulatedPaymentGateway(path).authorize(
        idempotency_key="K2:authorize", token="tok_flaky", amount=100, currency="EUR"
    )

    assert third.amount == 100


def test_two_workers_on_one_file_never_capture_more_than_was_authorized(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    workers = [SimulatedPaymentGateway(path), SimulatedPaymentGateway(path)]
    auth = workers[0].authorize(
        idempotency_key="K3:authorize", token="tok_ok", amount=100, currency="EUR"
    )
    outcomes: list[str] = []

    def capture(i: int) -> None:
        try:
            workers[i % 2].capture(
                idempotency_key=f"K3:capture:{i}",
                authorization_id=auth.authorization_id,
                amount=20,
                currency="EUR",
            )
            outcomes.append("ok")
        except PaymentError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=capture, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("ok") == 5
    assert outcomes.count("capture_exceeds_authorization") == 3
    assert workers[1].state(auth.authorization_id).captured == 100
    assert sum(t.amount for t in workers[1].transactions() if t.operation == "capture") == 100
