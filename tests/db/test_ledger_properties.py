"""Whatever happens to stock, `reserved` on a position equals the sum of its live ledger
entries and no figure goes below zero (runs on PostgreSQL in CI)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import delete, select

from oms.contracts.fulfilment import CommitPick
from oms.db import inventory
from oms.db.engine import Database
from oms.db.stock_updates import AbsoluteUpdate, DeltaUpdate, apply_absolute_many, apply_deltas
from oms.db.tables import InventoryEvent, InventoryPosition, Location, Product, Reservation
from oms.domain.fulfilment import FulfilmentLine
from oms.domain.reason_codes import BUILT_IN, ReasonUsage
from oms.domain.sourcing import Allocation
from oms.services import picks
from tests.factories import seed

LOCATIONS = ("ST-OPERA", "WH-PARIS")
SKU = "SKU-TEE"
EVENTS = itertools.count()
SHORT_PICK_CODES = [c.code for c in BUILT_IN if ReasonUsage.SHORT_PICK in c.usages]


@dataclass(frozen=True)
class Op:
    kind: str
    order: int = 0
    location: str = LOCATIONS[0]
    qty: int = 1
    reason: str | None = None


ops = st.one_of(
    st.builds(
        Op,
        kind=st.just("reserve"),
        order=st.integers(0, 3),
        location=st.sampled_from(LOCATIONS),
        qty=st.integers(1, 6),
    ),
    st.builds(
        Op,
        kind=st.just("pick"),
        order=st.integers(0, 3),
        location=st.sampled_from(LOCATIONS),
        qty=st.integers(0, 6),
        reason=st.sampled_from([None, *SHORT_PICK_CODES]),
    ),
    st.builds(
        Op, kind=st.just("ship"), order=st.integers(0, 3), location=st.sampled_from(LOCATIONS)
    ),
    st.builds(Op, kind=st.just("release"), order=st.integers(0, 3)),
    st.builds(
        Op, kind=st.just("count"), location=st.sampled_from(LOCATIONS), qty=st.integers(0, 12)
    ),
    st.builds(
        Op, kind=st.just("delta"), location=st.sampled_from(LOCATIONS), qty=st.integers(-8, 8)
    ),
)


def fresh(db: Database) -> None:
    """The same starting stock for every example (the database outlives them)."""
    with db.session() as s:
        for table in (Reservation, InventoryEvent, InventoryPosition):
            s.exec(delete(table))  # type: ignore[call-overload]
        known = s.get(Location, LOCATIONS[0]) is not None and s.get(Product, SKU) is not None
    if not known:
        seed(db)
    with db.session() as s:
        for loc in LOCATIONS:
            s.add(InventoryPosition(sku=SKU, location_id=loc, on_hand=8))


def run(db: Database, op: Op) -> None:
    order_id = f"O{op.order}"
    step_key = f"{order_id}:source:{op.location}"
    with db.session() as s:
        if op.kind == "reserve":
            try:
                with s.begin_nested():
                    inventory.reserve(
                        s,
                        order_id=order_id,
                        step_key=f"{step_key}:{next(EVENTS)}",
                        allocations=[
                            Allocation(location_id=op.location, line_id="1", sku=SKU, qty=op.qty)
                        ],
                    )
            except inventory.InsufficientStock:
                pass
        elif op.kind == "pick":
            for entry in s.exec(
                select(Reservation).where(
                    Reservation.order_id == order_id,
                    Reservation.location_id == op.location,
                    Reservation.status == "held",
                )
            ).all():
                picked = min(op.qty, entry.qty)
                picks.record_pick(
                    s,
                    CommitPick(
                        step_key=entry.step_key,
                        location_id=op.location,
                        lines=[
                            FulfilmentLine(
                                line_id=entry.line_id,
                                sku=SKU,
                                quantity=entry.qty,
                                picked=picked,
                                short_reason=op.reason if picked < entry.qty else None,
                            )
                        ],
                    ),
                )
        elif op.kind == "ship":
            steps = {
                e.step_key
                for e in s.exec(select(Reservation).where(Reservation.order_id == order_id))
            }
            for step in sorted(steps):
                inventory.consume(s, step_key=step, location_id=op.location)
        elif op.kind == "release":
            inventory.release(s, order_id=order_id)
        elif op.kind == "count":
            apply_absolute_many(
                s, [AbsoluteUpdate(sku=SKU, location_id=op.location, on_hand=op.qty)]
            )
        else:
            apply_deltas(
                s,
                [
                    DeltaUpdate(
                        event_id=f"ev-{next(EVENTS)}",
                        sku=SKU,
                        location_id=op.location,
                        delta=op.qty,
                    )
                ],
            )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(ops, min_size=1, max_size=25))
def test_reserved_always_equals_the_live_ledger_entries(db: Database, steps: list[Op]) -> None:
    fresh(db)
    for op in steps:
        run(db, op)
        with db.session() as s:
            for loc in LOCATIONS:
                pos = s.get(InventoryPosition, (SKU, loc))
                assert pos is not None
                assert pos.reserved == inventory.live_reserved(s, SKU, loc), (op, loc)
                assert pos.on_hand >= 0
                assert pos.reserved >= 0
