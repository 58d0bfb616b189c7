"""Deciding which locations fulfil an order: profiles as data, a pure planner, its
explanation, and trials of a draft profile over past orders (``trials``).

The names most callers need are here; the modules hold the rest: ``profiles`` (the
documents), ``models`` (facts, candidates, plans), ``decide`` and ``search`` (the planner),
``rules`` (conditions, filters, criteria), ``explain`` (what is stored with each decision),
``trials`` (comparing a draft with what was decided), ``transfers`` (a collection its store
cannot serve).
"""

from oms.domain.sourcing.models import (
    Allocation,
    Candidate,
    CandidateNote,
    Demand,
    FactLine,
    OrderFacts,
    SourcingPlan,
)
from oms.domain.sourcing.plan import consume_capacity, plan_sourcing, source_order
from oms.domain.sourcing.transfers import source_collect, stores_holding

__all__ = [
    "Allocation",
    "Candidate",
    "CandidateNote",
    "Demand",
    "FactLine",
    "OrderFacts",
    "SourcingPlan",
    "consume_capacity",
    "plan_sourcing",
    "source_collect",
    "source_order",
    "stores_holding",
]
