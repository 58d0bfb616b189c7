"""An appeasement's refund activity answers what the gateway refunded, and says so when it is
less than the appeasement asked: its run then records it failed, never refunded for less."""

from __future__ import annotations

from temporalio.testing import ActivityEnvironment

from activities.appeasements import AppeasementActivities
from activities.payments import PaymentActivities
from activities.returns import ReturnActivities
from oms.connectors.carriers import SimulatedCarrier
from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.contracts.appeasements import AppeasementOutcome, RefundAppeasement
from oms.contracts.returns import RefundReturn
from oms.db.engine import Database
from oms.db.tables import AppeasementRow
from oms.domain.appeasements import AppeasementStatus
from tests.activities.test_concurrent_refunds import _captured_twice


def test_an_appeasement_the_captures_no_longer_cover_is_answered_short_not_refunded(
    db: Database,
) -> None:
    gateway = SimulatedPaymentGateway()
    acts = PaymentActivities(gateway, db)
    _captured_twice(db, acts)  # 4897 captured
    with db.session() as s:  # its claim on the captures gone, as a late notice leaves it
        s.add(
            AppeasementRow(
                id="O1.A1",
                order_id="O1",
                channel="web-fr",
                amount=1000,
                currency="EUR",
                reason_code="late_delivery",
                note="two days late",
                status=AppeasementStatus.PENDING.value,
                requested_by="analyst:cs",
            )
        )
    # A return took all but 397 of the captures meanwhile.
    returns = ReturnActivities(db, acts, SimulatedCarrier())
    ActivityEnvironment().run(
        returns.refund_return,
        RefundReturn(order_id="O1", return_id="O1.R1", amount=4500, currency="EUR"),
    )

    outcome: AppeasementOutcome = ActivityEnvironment().run(
        AppeasementActivities(db, acts).refund_appeasement,
        RefundAppeasement(appeasement_id="O1.A1", order_id="O1"),
    )

    assert (outcome.refunded, outcome.code) == (397, "nothing_left_to_refund")
