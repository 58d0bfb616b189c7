"""Returns in the database: the channels' policies, what an order's lines allow, the return
rows the ReturnWorkflow keeps, the stock its grades move, and how its refund is split over the
order's captures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from oms.db import inventory, outbox, refund_claims
from oms.db import reason_codes as reason_repo
from oms.db.tables import (
    Fulfilment,
    Order,
    Product,
    RefundClaim,
    ReturnPolicyRow,
    ReturnRow,
    utcnow,
)
from oms.db.tables.base import as_utc
from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment import FulfilmentLine, FulfilmentStatus
from oms.domain.order import OrderIn
from oms.domain.reason_codes import StockEffect
from oms.domain.refunds import RefundPart, split
from oms.domain.returns import (
    DEFAULT_POLICY,
    GradedLine,
    LineFacts,
    ReturnPolicy,
    ReturnStatus,
    return_stock,
)
from oms.domain.shipments import ShipmentStatus
from oms.gateway_keys import refund_key, return_refund_for, return_refund_prefix
from oms.keys import return_event_id

# -- policies ------------------------------------------------------------------------------


def policy_for(session: Session, channel: str) -> ReturnPolicy:
    row = session.get(ReturnPolicyRow, channel)
    return ReturnPolicy.model_validate(row.policy) if row else DEFAULT_POLICY


def set_policy(session: Session, channel: str, policy: ReturnPolicy) -> bool:
    """Store the channel's policy; True when it had none."""
    row = session.get(ReturnPolicyRow, channel)
    created = row is None
    row = row or ReturnPolicyRow(channel=channel, policy={})
    row.policy = policy.model_dump(mode="json")
    row.updated_at = utcnow()
    session.add(row)
    return created


# -- what an order allows ------------------------------------------------------------------


_COLLECTED = (
    FulfilmentStatus.COLLECTED,
    FulfilmentStatus.PARTIALLY_COLLECTED,
    FulfilmentStatus.NOT_COLLECTED,
)


def _delivered_at(f: Fulfilment) -> datetime | None:
    if f.delivery_method == DeliveryMethod.COLLECT:
        # Collected, not carried: a transfer's parcel dropped at its store is not delivered.
        return as_utc(f.updated_at) if f.status in _COLLECTED else None
    if f.delivery_status == ShipmentStatus.DELIVERED and f.delivered_at is not None:
        return as_utc(f.delivered_at)
    return None


def line_facts(session: Session, order: Order) -> dict[str, LineFacts]:
    """Each line's price, category, whether its product may be returned, delivered units (and
    the latest delivery) and the units earlier returns took (every return but an expired or
    withdrawn one)."""
    placed = OrderIn.model_validate(order.payload)
    skus = {line.sku for line in placed.lines}
    stmt = select(Product.sku, Product.category, Product.returnable)
    products = {
        sku: (category, returnable)
        for sku, category, returnable in session.exec(stmt.where(col(Product.sku).in_(skus)))
    }
    delivered: dict[str, int] = {}
    when: dict[str, datetime] = {}
    for f in session.exec(select(Fulfilment).where(Fulfilment.order_id == order.id)):
        at = _delivered_at(f)
        if at is None:
            continue
        status = FulfilmentStatus(f.status)
        for raw in f.lines:
            line = FulfilmentLine.model_validate(raw)
            # A collection counts what the customer took; a shipment what was picked.
            units = line.units_out(status) if line.collected is not None else (line.picked or 0)
            delivered[line.line_id] = delivered.get(line.line_id, 0) + units
            when[line.line_id] = max(at, when.get(line.line_id, at))
    returned: dict[str, int] = {}
    for r in for_order(session, order.id):
        # An expired return took nothing back, unless it was refunded at once: its units
        # stay returned (paid back), or the customer could be refunded for them twice.
        if ReturnStatus(r.status).takes_units or r.refunded > 0:
            for taken in r.lines:
                returned[taken["line_id"]] = returned.get(taken["line_id"], 0) + taken["quantity"]
    return {
        line.line_id: LineFacts(
            line_id=line.line_id,
            sku=line.sku,
            unit_price=line.unit_price,
            category=products.get(line.sku, (None, True))[0],
            returnable=products.get(line.sku, (None, True))[1],
            delivered=delivered.get(line.line_id, 0),
            delivered_at=when.get(line.line_id),
            returned=returned.get(line.line_id, 0),
        )
        for line in placed.lines
    }


# -- return rows ---------------------------------------------------------------------------


def for_order(session: Session, order_id: str) -> list[ReturnRow]:
    stmt = select(ReturnRow).where(ReturnRow.order_id == order_id).order_by(col(ReturnRow.id))
    return list(session.exec(stmt))


def shipping_refunded(session: Session, order_id: str) -> bool:
    """Whether an earlier return of the order gives its shipping charge back: one under way
    that may still pay it, or one over that paid a refund with it (shipping goes only with
    goods: a return whose units were all graded unrefunded, or that expired, withdrawn or
    was refused by the gateway, paid none)."""
    return any(
        r.shipping_refund > 0 and (r.refunded > 0 or not ReturnStatus(r.status).is_final)
        for r in for_order(session, order_id)
    )


def next_id(session: Session, order_id: str) -> str:
    """``<order>.R<n>``, one more than the order's highest: an id is never given twice, even
    once a return whose run could not start was removed."""
    prefix = f"{order_id}.R"
    ids = session.exec(select(ReturnRow.id).where(ReturnRow.order_id == order_id)).all()
    taken = [
        int(i[len(prefix) :]) for i in ids if i.startswith(prefix) and i[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(taken, default=0) + 1}"


@dataclass(frozen=True)
class ReturnChange:
    """What the workflow records of its return at a step, and the event that says so."""

    return_id: str
    status: ReturnStatus
    event: str
    received: list[dict[str, Any]] | None = None
    grades: list[dict[str, Any]] | None = None
    label: dict[str, Any] | None = None
    refund_state: str | None = None
    refunded: int | None = None
    refund_attempt: int | None = None
    refund_amount: int | None = None


def record(session: Session, change: ReturnChange) -> ReturnRow | None:
    """Bring the row to the workflow's state and write the step's event (once per step);
    None when there is no row to bring there (none, or one already over in another way)."""
    row = session.get(ReturnRow, change.return_id)
    if row is None:
        return None
    if ReturnStatus(row.status).is_final and change.status.value != row.status:
        return None  # withdrawn (or over): a run the API gave up on moves it no more
    row.status = change.status.value
    for name in ("received", "grades", "label", "refund_state", "refunded"):
        value = getattr(change, name)
        if value is not None:
            setattr(row, name, value)
    row.updated_at = utcnow()
    if change.status.is_final and row.completed_at is None:
        row.completed_at = row.updated_at
    session.add(row)
    outbox.emit(
        session,
        event_id=return_event_id(change.event, row.id, change.refund_attempt),
        type=change.event,
        order_id=row.order_id,
        payload={
            "return_id": row.id,
            "order_id": row.order_id,
            "status": row.status,
            "method": row.method,
            "location_id": row.location_id,
            "lines": row.lines,
            "grades": row.grades,
            "refunded": row.refunded,
            "currency": row.currency,
            "shipping_refund": row.shipping_refund,
            "exchange_order_id": row.exchange_order_id,
            **({} if change.refund_amount is None else {"refund_amount": change.refund_amount}),
        },
    )
    return row


# -- stock ---------------------------------------------------------------------------------


def apply_grades(
    session: Session,
    *,
    return_id: str,
    location_id: str,
    skus: dict[str, str],
    grades: list[GradedLine],
) -> dict[str, tuple[int, int]]:
    """Move the returned units as each grade's reason code says, at the receiving location,
    once per return, line and grade (an inventory event id each). What moved, by
    ``line:grade``: (on hand, quarantined)."""
    codes = reason_repo.resolve(session, {g.grade for g in grades})
    moved: dict[str, tuple[int, int]] = {}
    for g in grades:
        code = codes.get(g.grade)
        effect = code.stock_effect if code is not None else StockEffect.NONE
        on_hand, quarantined = return_stock(effect, g.quantity)
        if inventory.receive_once(
            session,
            event_id=f"return:{return_id}:{g.line_id}:{g.grade}",
            sku=skus[g.line_id],
            location_id=location_id,
            on_hand=on_hand,
            quarantined=quarantined,
        ):
            moved[f"{g.line_id}:{g.grade}"] = (on_hand, quarantined)
    session.flush()
    return moved


# -- refunds (over the order's captures: oms.db.refund_claims) ----------------------------


def refund_parts(
    session: Session, order_id: str, return_id: str, amount: int, attempt: int = 0
) -> list[RefundPart]:
    """Split ``amount`` over the order's captures, oldest first, each up to what it took less
    what other refunds gave back or claimed of it. The same split on every call for this
    attempt: its own refunds and claims are not counted against the captures."""
    mine = return_refund_prefix(order_id, return_id, attempt)
    return split(refund_claims.rooms(session, order_id, mine=mine), amount)


def claim_refund(
    session: Session, order_id: str, return_id: str, attempt: int, amount: int
) -> list[RefundPart]:
    """The parts of the order's captures this refund attempt takes, claimed once: a retry gets
    the same parts, and a refund of the same order at the same moment waits for this claim
    (the order's row is locked) and splits what is left. Call it in a writing session."""
    return refund_claims.claim(
        session,
        order_id,
        mine=return_refund_prefix(order_id, return_id, attempt),
        key_for=lambda capture: refund_key(
            order_id, return_refund_for(return_id, attempt, capture)
        ),
        amount=amount,
    )


def release_unpaid(session: Session, order_id: str, return_id: str, attempt: int) -> None:
    """The gateway refused this refund: its claims that no refund paid free their captures."""
    refund_claims.release_unpaid(
        session, order_id, return_refund_prefix(order_id, return_id, attempt)
    )


def release_reversed(session: Session, key: str) -> bool:
    """A refund the gateway says failed after all (its ledger row now refused): its claim
    on the capture goes, so a later refund of that capture has the room again. Whether
    there was one."""
    claim = session.get(RefundClaim, key)
    if claim is None:
        return False
    session.delete(claim)
    return True
