"""The orders read model: a row the API stored, brought up to date by its workflow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.domain.fraud import FraudDecision
from oms.domain.order import CancelReason, OrderStatus
from tests.factories import order


def test_updating_an_order_that_has_no_row_is_an_error_and_writes_nothing(db: Database) -> None:
    with pytest.raises(order_repo.OrderNotStored, match="O-MISSING"), db.session() as s:
        order_repo.update_order(s, "O-MISSING", status=OrderStatus.SOURCING)

    with db.session() as s:
        assert order_repo.get_order(s, "O-MISSING") is None


def test_updating_a_stored_order_writes_its_status_decision_and_reason(db: Database) -> None:
    with db.session() as s:
        order_repo.insert_order(s, order("O-1"), received_at=datetime.now(UTC))

    with db.session() as s:
        order_repo.update_order(
            s,
            "O-1",
            status=OrderStatus.CANCELLED,
            cancel_reason=CancelReason.FRAUD_REJECTED,
            fraud_score=90,
            fraud_decision=FraudDecision.REJECT,
        )

    with db.session() as s:
        row = order_repo.get_order(s, "O-1")
        assert row is not None
        assert (row.status, row.cancel_reason, row.fraud_score, row.fraud_decision) == (
            "CANCELLED",
            "fraud_rejected",
            90,
            "reject",
        )
