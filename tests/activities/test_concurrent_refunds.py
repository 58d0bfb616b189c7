"""Two refunds of one order at the same moment (two returns refunded at once) split its
captures between them: both are paid, up to what was captured, and never more."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from temporalio.testing import ActivityEnvironment

from activities.payments import PaymentActivities
from activities.returns import ReturnActivities
from oms.connectors.carriers import SimulatedCarrier
from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.contracts.payments import AuthorizeRequest, CaptureRequest
from oms.contracts.returns import RefundOutcome, RefundReturn
from oms.db import orders as order_repo
from oms.db import payments
from oms.db.engine import Database
from oms.domain.order import STORED_PAYMENT_TOKEN
from tests.factories import order

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _captured_twice(db: Database, acts: PaymentActivities) -> None:
    """O1 authorized 4897 and captured in two shipments: 3000, then 1897."""
    with db.session() as s:
        order_repo.insert_order(s, order("O1"), received_at=NOW)
    env = ActivityEnvironment()
    auth = env.run(
        acts.authorize_payment,
        AuthorizeRequest(order_id="O1", token=STORED_PAYMENT_TOKEN, amount=4897, currency="EUR"),
    )
    for fid, amount in (("O1.F1", 3000), ("O1.F2", 1897)):
        env.run(
            acts.capture_payment,
            CaptureRequest(
                order_id="O1",
                shipment_key=fid,
                authorization_id=auth.authorization_id,
                amount=amount,
                currency="EUR",
            ),
        )


def test_two_refunds_of_one_order_at_once_are_both_paid_up_to_what_was_captured(
    db: Database,
) -> None:
    gateway = SimulatedPaymentGateway()
    acts = PaymentActivities(gateway, db)
    _captured_twice(db, acts)
    returns = ReturnActivities(db, acts, SimulatedCarrier())
    start = threading.Barrier(2)

    def refund(return_id: str, amount: int) -> RefundOutcome:
        start.wait()
        req = RefundReturn(order_id="O1", return_id=return_id, amount=amount, currency="EUR")
        outcome: RefundOutcome = ActivityEnvironment().run(returns.refund_return, req)
        return outcome

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(refund, "O1.R1", 2500)
        second = pool.submit(refund, "O1.R2", 2397)
        outcomes = [first.result(), second.result()]
    # A retry of either refunds nothing more.
    again = ActivityEnvironment().run(
        returns.refund_return,
        RefundReturn(order_id="O1", return_id="O1.R2", amount=2397, currency="EUR"),
    )
    late = ActivityEnvironment().run(
        returns.refund_return,
        RefundReturn(order_id="O1", return_id="O1.R3", amount=1, currency="EUR"),
    )

    assert [(o.refunded, o.refused) for o in outcomes] == [(2500, None), (2397, None)]
    assert (again.refunded, again.refused) == (2397, None)
    assert (late.refunded, late.refused) == (0, "nothing_left_to_refund")
    with db.reading() as s:
        refunds = [e for e in payments.entries(s, order_id="O1") if e.operation == "refund"]
    assert all(e.outcome == "succeeded" for e in refunds)
    assert sum(e.amount for e in refunds) == 4897
