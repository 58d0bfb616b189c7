"""Every stored status and kind is an enum, each spelt one way wherever it is shown.

The order's and the fulfilment's statuses are upper case, every other vocabulary lower case;
the values are stored and recorded in workflow histories, so they stay as first written.
"""

from __future__ import annotations

from enum import StrEnum

import pytest

from oms.domain import fulfilment_profiles as fp
from oms.domain.cart_holds import HoldStatus
from oms.domain.fraud import FraudDecision, ReviewDecision
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.ledger import ReservationStatus
from oms.domain.order import CancelReason, LineState, OrderStatus, PaymentState
from oms.domain.reason_codes import ReasonUsage, RoutingEffect, StockEffect
from oms.domain.snapshots import SyncStatus
from oms.domain.sourcing.profiles import ProfileStatus
from oms.domain.tasks import TaskKind, TaskStatus

UPPER: list[type[StrEnum]] = [OrderStatus, FulfilmentStatus]
LOWER: list[type[StrEnum]] = [
    LineState,
    PaymentState,
    CancelReason,
    TaskKind,
    TaskStatus,
    HoldStatus,
    SyncStatus,
    ProfileStatus,
    FraudDecision,
    ReviewDecision,
    ReservationStatus,
    fp.ProfileStatus,
    fp.StepType,
    fp.PickMode,
    fp.WaveStrategy,
    fp.Service,
    ReasonUsage,
    StockEffect,
    RoutingEffect,
]


@pytest.mark.parametrize("vocabulary", UPPER, ids=lambda v: v.__name__)
def test_the_workflows_own_statuses_are_upper_case(vocabulary: type[StrEnum]) -> None:
    assert [m.value for m in vocabulary] == [m.name for m in vocabulary]


@pytest.mark.parametrize("vocabulary", LOWER, ids=lambda v: v.__name__)
def test_every_other_vocabulary_is_lower_case(vocabulary: type[StrEnum]) -> None:
    assert [m.value for m in vocabulary] == [m.name.lower() for m in vocabulary]


def test_an_analysts_decision_is_one_of_the_fraud_decisions() -> None:
    assert {d.value for d in ReviewDecision} <= {d.value for d in FraudDecision}
