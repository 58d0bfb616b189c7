"""An order's sourcing decisions as the API shows them: in full (``GET /orders/{id}/sourcing``)
and in short in every order view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from api.views import as_utc
from oms.db import sourcing
from oms.db.engine import Database
from oms.domain.order import SourcingSummary
from oms.keys import StepKey, profile_ref


class SourcingDecisionOut(BaseModel):
    step: str
    profile: str
    strategy: str | None
    decided_at: datetime
    explanation: dict[str, Any]

    def summary(self) -> SourcingSummary:
        return SourcingSummary(
            step=self.step,
            profile=self.profile,
            strategy=self.strategy,
            locations=sorted({a["location_id"] for a in self.explanation.get("allocations", [])}),
            unplaced_units=sum(d["qty"] for d in self.explanation.get("unplaced", [])),
            decided_at=self.decided_at,
        )


class SourcingDecisions(BaseModel):
    order_id: str
    decisions: list[SourcingDecisionOut]


def decisions(db: Database, order_id: str) -> list[SourcingDecisionOut]:
    with db.reading() as s:
        return [
            SourcingDecisionOut(
                step=_step_of(row.step_key),
                profile=profile_ref(row.profile_id, row.profile_version),
                strategy=row.strategy,
                decided_at=as_utc(row.created_at),
                explanation=row.explanation,
            )
            for row in sourcing.decisions(s, order_id)
        ]


def _step_of(key: str) -> str:
    """The step a stored decision was made at; a key of another shape is shown whole."""
    try:
        return StepKey.parse(key).step
    except ValueError:
        return key


def summaries(db: Database, order_id: str) -> list[SourcingSummary]:
    """Each sourcing decision of the order in short, as every order view lists them."""
    return [d.summary() for d in decisions(db, order_id)]
