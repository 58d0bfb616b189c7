"""Fraud scoring as an activity: the customer's history and the order's categories are read
here, the score is decided by oms.domain.fraud."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from temporalio import activity

from oms.contracts.fraud import FraudCheck
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.db.tables import Product
from oms.domain.fraud import FraudAssessment, FraudPolicy, assess
from oms.logging import get_logger

log = get_logger(__name__)


class FraudActivities:
    def __init__(self, db: Database, policy: FraudPolicy | None = None) -> None:
        self.db = db
        self.fraud_policy = policy or FraudPolicy()

    @activity.defn
    def assess_fraud(self, req: FraudCheck) -> FraudAssessment:
        """Score the order against the customer's history; the rules live in oms.domain."""
        policy = self.fraud_policy
        order = req.order
        with self.db.reading() as s:  # reads only: no write lock on SQLite
            history = order_repo.customer_history(
                s,
                order.customer.id,
                now=req.received_at,
                window=timedelta(minutes=policy.velocity_window_minutes),
                exclude_order=order.id,
            )
            skus = {line.sku for line in order.lines}
            products = s.exec(select(Product).where(col(Product.sku).in_(skus)))
            categories = {p.sku: p.category for p in products}
        result = assess(order, categories=categories, history=history, policy=policy)
        log.info(
            "fraud_assessed",
            order_id=order.id,
            score=result.score,
            decision=result.decision.value,
            reasons=[r.code for r in result.reasons],
        )
        return result
