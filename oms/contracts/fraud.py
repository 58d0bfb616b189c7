"""Scoring an order for fraud (the answer is oms.domain.fraud.FraudAssessment)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from oms.domain.order import OrderIn


class FraudCheck(BaseModel):
    order: OrderIn
    received_at: datetime
