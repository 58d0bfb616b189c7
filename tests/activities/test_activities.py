"""Activities against a real database and the simulators, through Temporal's
ActivityEnvironment (so activity.info() and heartbeats behave as in a worker)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.fraud import FraudActivities
from activities.payments import PaymentActivities
from activities.read_model import ReadModelActivities
from activities.sourcing import SourcingActivities
from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.connectors.payments import PaymentUnavailable
from oms.contracts.fraud import FraudCheck
from oms.contracts.payments import AuthorizeRequest
from oms.contracts.read_model import RecordProgress
from oms.contracts.sourcing import SourcingRequest
from oms.db import orders as order_repo
from oms.db import sourcing as order_sourcing
from oms.db.engine import Database
from oms.db.tables import (
    Channel,
    Exclusion,
    Fulfilment,
    InventoryPosition,
    Location,
    Network,
    NetworkLocation,
    OrderEvent,
    Reservation,
    SafetyRule,
)
from oms.domain.fraud import FraudDecision
from oms.domain.order import OrderStatus, TimelineEntry
from oms.domain.sourcing import Demand, SourcingPlan
from tests.conftest import PG_URL
from tests.factories import PARIS, order, seed

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def request(step: str = "O1:source:initial") -> SourcingRequest:
    from oms.domain.geo import GeoPoint

    return SourcingRequest(
        order_id="O1",
        step_key=step,
        destination=GeoPoint(**PARIS),
        demands=[
            Demand(line_id="1", sku="SKU-TEE", qty=2),
            Demand(line_id="2", sku="SKU-MUG", qty=1),
        ],
    )


def test_sourcing_retried_with_the_same_step_returns_the_same_plan_and_holds_once(
    db: Database,
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    env = ActivityEnvironment()
    acts = SourcingActivities(db)

    first = env.run(acts.source_and_reserve, request())
    again = env.run(acts.source_and_reserve, request())

    assert first.locations == again.locations == ["ST-OPERA"]
    assert [(a.line_id, a.qty) for a in again.allocations] == [("1", 2), ("2", 1)]
    with db.session() as s:
        assert len(list(s.exec(select(Reservation)))) == 2
        tee = s.get(InventoryPosition, ("SKU-TEE", "ST-OPERA"))
        assert tee is not None
        assert tee.reserved == 2


def test_sourcing_reports_what_it_cannot_place_and_holds_the_rest(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 1})
    plan = ActivityEnvironment().run(SourcingActivities(db).source_and_reserve, request())

    assert [(a.line_id, a.qty) for a in plan.allocations] == [("1", 1)]
    assert sorted((d.line_id, d.qty) for d in plan.unplaced) == [("1", 1), ("2", 1)]


def test_fraud_check_reads_the_customers_history_from_the_orders_table(db: Database) -> None:
    seed(db)
    with db.session() as s:
        for n in range(5):  # five orders in the last hour: velocity
            order_repo.insert_order(s, order(f"P{n}"), received_at=NOW)
    result = ActivityEnvironment().run(
        FraudActivities(db).assess_fraud, FraudCheck(order=order("NEW"), received_at=NOW)
    )
    assert "order_velocity" in [r.code for r in result.reasons]
    assert result.decision is not FraudDecision.APPROVE


def test_recording_progress_twice_writes_each_timeline_entry_once(db: Database) -> None:
    seed(db)
    with db.session() as s:
        order_repo.insert_order(s, order("O1"), received_at=NOW)
    entry = TimelineEntry(
        at=NOW, type="order_received", status=OrderStatus.RECEIVED, actor="web-fr"
    )
    req = RecordProgress(order_id="O1", status=OrderStatus.SOURCING, events=[(0, entry)])
    env = ActivityEnvironment()
    assert env.run(ReadModelActivities(db).record_progress, req) == 1
    assert env.run(ReadModelActivities(db).record_progress, req) == 0
    with db.session() as s:
        assert [e.type for e in s.exec(select(OrderEvent))] == ["order_received"]
        row = order_repo.get_order(s, "O1")
        assert row is not None
        assert row.status == "SOURCING"


def test_a_declined_card_is_a_non_retryable_error_and_a_flaky_gateway_is_retried(
    db: Database,
) -> None:
    acts = PaymentActivities(SimulatedPaymentGateway(), db)
    env = ActivityEnvironment()
    declined = AuthorizeRequest(order_id="O1", token="tok_decline", amount=100, currency="EUR")
    with pytest.raises(ApplicationError) as err:
        env.run(acts.authorize_payment, declined)
    assert err.value.type == "PaymentDeclined"
    assert err.value.non_retryable

    flaky = AuthorizeRequest(order_id="O2", token="tok_flaky", amount=100, currency="EUR")
    for _ in range(2):
        with pytest.raises(PaymentUnavailable):
            env.run(acts.authorize_payment, flaky)
    assert env.run(acts.authorize_payment, flaky).amount == 100


def _channel(db: Database, locations: list[str]) -> None:
    with db.session() as s:
        s.add(Network(id="FR", name="France"))
        s.flush()
        s.add_all(NetworkLocation(network_id="FR", location_id=loc) for loc in locations)
        s.add(Channel(id="web-fr", name="Web", market="FR", network_id="FR"))


def test_sourcing_keeps_to_the_channels_network_and_its_exclusions(db: Database) -> None:
    # Bastille, the nearest, is in web-fr's network but excluded from web-fr; Opéra, next
    # nearest, is not in the network: only the warehouse may serve.
    stock = {
        (sku, loc): 5
        for sku in ("SKU-TEE", "SKU-MUG")
        for loc in ("ST-OPERA", "ST-BASTILLE", "WH-PARIS")
    }
    seed(db, stock)
    _channel(db, ["ST-BASTILLE", "WH-PARIS"])
    with db.session() as s:
        s.add(Exclusion(id="x", channel="web-fr", location_id="ST-BASTILLE"))
    acts = SourcingActivities(db)

    plan = ActivityEnvironment().run(
        acts.source_and_reserve, request().model_copy(update={"channel": "web-fr"})
    )
    assert plan.locations == ["WH-PARIS"]

    # An order of a channel no one configured may come from any location: the nearest.
    other = ActivityEnvironment().run(
        acts.source_and_reserve,
        request("O2:source:initial").model_copy(update={"order_id": "O2", "channel": "kiosk"}),
    )
    assert other.locations == ["ST-BASTILLE"]


def test_sourcing_leaves_safety_stock_where_it_is(db: Database) -> None:
    seed(
        db,
        {
            ("SKU-TEE", "ST-OPERA"): 3,
            ("SKU-MUG", "ST-OPERA"): 3,
            ("SKU-TEE", "WH-PARIS"): 9,
            ("SKU-MUG", "WH-PARIS"): 9,
        },
    )
    with db.session() as s:
        s.add(SafetyRule(id="stores", scope="location_type", location_type="store", quantity=2))
    plan = ActivityEnvironment().run(
        SourcingActivities(db).source_and_reserve,
        request().model_copy(update={"channel": "web-fr"}),
    )
    # 3 tees at Opéra less 2 of safety stock cannot cover 2: the warehouse serves.
    assert plan.locations == ["WH-PARIS"]


@pytest.mark.skipif(not PG_URL, reason="SQLite runs one writer at a time: no race to run")
def test_two_orders_racing_for_the_last_units_one_is_placed_and_the_other_planned_after_it(
    db: Database,
) -> None:
    # Bastille (nearest) has what one order needs, and a store safety stock of 1 on top; the
    # warehouse has plenty. O2 starts while O1 has planned on Bastille but not yet reserved.
    seed(
        db,
        {
            ("SKU-TEE", "ST-BASTILLE"): 3,
            ("SKU-MUG", "ST-BASTILLE"): 2,
            ("SKU-TEE", "WH-PARIS"): 9,
            ("SKU-MUG", "WH-PARIS"): 9,
        },
    )
    with db.session() as s:
        s.add(SafetyRule(id="stores", scope="location_type", location_type="store", quantity=1))
    rival = SourcingActivities(db)
    plans: dict[str, SourcingPlan] = {}

    def o2() -> None:
        plans["O2"] = ActivityEnvironment().run(
            rival.source_and_reserve,
            request("O2:source:initial").model_copy(update={"order_id": "O2"}),
        )

    racer = threading.Thread(target=o2)

    def start_the_rival(order_id: str, plan: SourcingPlan) -> None:
        if order_id == "O1" and racer.ident is None:
            racer.start()
            time.sleep(0.3)  # O2 reaches the positions O1 holds and waits there

    acts = SourcingActivities(db, before_reserve=start_the_rival)
    plans["O1"] = ActivityEnvironment().run(acts.source_and_reserve, request())
    racer.join(timeout=30)

    assert plans["O1"].locations == ["ST-BASTILLE"]
    assert plans["O2"].locations == ["WH-PARIS"]  # planned on what O1 left: not into safety
    with db.session() as s:
        tee = s.get(InventoryPosition, ("SKU-TEE", "ST-BASTILLE"))
        assert tee is not None
        assert tee.reserved == 2  # 3 on hand, 1 of safety stock left untouched
        decided = order_sourcing.decisions(s, "O2")
        assert [d.explanation["allocations"][0]["location_id"] for d in decided] == ["WH-PARIS"]


def test_a_product_kept_out_of_the_channel_is_not_sourced_for_it(db: Database) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 5})
    _channel(db, ["ST-OPERA"])
    with db.session() as s:
        s.add(Exclusion(id="no-apparel", channel="web-fr", category="apparel"))
    plan = ActivityEnvironment().run(
        SourcingActivities(db).source_and_reserve,
        request().model_copy(update={"channel": "web-fr"}),
    )
    assert [(a.line_id, a.sku) for a in plan.allocations] == [("2", "SKU-MUG")]
    assert [(d.line_id, d.qty) for d in plan.unplaced] == [("1", 2)]  # the tees


def opera_with_open_work(db: Database, capacity: int, statuses: list[str]) -> None:
    """The Opéra store (nearest) and the warehouse stocked; the store takes ``capacity``
    fulfilments a day and has one from yesterday in each of ``statuses``."""
    seed(db, {(sku, loc): 5 for sku in ("SKU-TEE", "SKU-MUG") for loc in ("ST-OPERA", "WH-PARIS")})
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with db.session() as s:
        opera = s.get(Location, "ST-OPERA")
        assert opera is not None
        opera.daily_capacity = capacity
        s.add(opera)
        for n, status in enumerate(statuses):
            s.add(
                Fulfilment(
                    id=f"OLD{n}.F1",
                    order_id=f"OLD{n}",
                    location_id="ST-OPERA",
                    workflow_id=f"fulfilment-OLD{n}.F1",
                    status=status,
                    delivery_method="ship",
                    lines=[],
                    created_at=yesterday,
                    updated_at=yesterday,
                )
            )


def test_a_store_full_with_its_open_work_is_passed_over_and_the_explanation_says_so(
    db: Database,
) -> None:
    # Given the store takes 3 fulfilments a day and still has 3 from yesterday not handed
    # over (a collection waiting among them; the one shipped is done)
    opera_with_open_work(db, 3, ["AWAITING_PICK", "PACKED", "READY_FOR_COLLECTION", "SHIPPED"])

    # When an order is sourced
    plan = ActivityEnvironment().run(SourcingActivities(db).source_and_reserve, request())

    # Then the store is passed over for the warehouse, and the decision says why
    assert plan.locations == ["WH-PARIS"]
    with db.reading() as s:
        [decision] = order_sourcing.decisions(s, "O1")
    excluded = {g["filter"]: g["location_ids"] for g in decision.explanation["excluded"]}
    assert excluded == {"open_work": ["ST-OPERA"]}


def test_a_store_with_room_left_after_its_open_work_is_still_used(db: Database) -> None:
    # Given the same store with room for one more (4 a day, 3 open from before)
    opera_with_open_work(db, 4, ["PICKED", "PICKED", "PICKED"])

    plan = ActivityEnvironment().run(SourcingActivities(db).source_and_reserve, request())

    assert plan.locations == ["ST-OPERA"]
