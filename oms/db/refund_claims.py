"""The order's captures as refunds find them: what each has left, and the claims refunds take on
them before the gateway is asked (table ``refund_claims``).

Every refund of an order's captures (a return's, an appeasement's) claims its parts under a
lock on the order's row, in the transaction that decides them: two refunds at once split what
is left instead of both asking a capture for the same money. A claim stands for its refund,
made or to be made; a refund made before claims existed counts by its ledger row. The keys of
one refund share a prefix (``oms.gateway_keys``, ``mine`` below): its own claims and refunds are
not counted against it, so a retry gets the same split.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, col, select

from oms.db.tables import Order, PaymentLedgerEntry, RefundClaim
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.refunds import CaptureRoom, RefundPart, refundable, split
from oms.gateway_keys import refunded_capture


def lock_order(session: Session, order_id: str) -> None:
    """Hold the order's row until the transaction ends: refunds of the order queue here. A
    plain ``FOR UPDATE``: PostgreSQL lets two ``FOR KEY SHARE`` locks be held at once, which
    would let two refunds read the same room."""
    session.exec(select(Order.id).where(Order.id == order_id).with_for_update()).first()


def locked_order(session: Session, order_id: str, sees: Callable[[str], bool]) -> Order:
    """The order, its row held until the caller's transaction ends (``FOR UPDATE``, as
    ``lock_order``): returns, appeasements and refunds of the order queue behind it, so what
    is checked against what is left stays so.

    Raises:
        DomainError: no such order, or not one ``sees`` lets the caller see (by channel).
    """
    order = session.exec(select(Order).where(Order.id == order_id).with_for_update()).first()
    if order is None or not sees(order.channel):
        raise DomainError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id}", "order_id")
    return order


def rooms(session: Session, order_id: str, *, mine: str | None = None) -> list[CaptureRoom]:
    """Each capture that went through, oldest first, with what it has left to refund: what
    it took less what other refunds gave back or claimed of it (those whose keys start with
    ``mine`` are not counted)."""
    ledger = list(
        session.exec(
            select(PaymentLedgerEntry)
            .where(
                PaymentLedgerEntry.order_id == order_id,
                PaymentLedgerEntry.outcome == "succeeded",
            )
            .order_by(col(PaymentLedgerEntry.recorded_at), col(PaymentLedgerEntry.idempotency_key))
        )
    )

    def others(key: str) -> bool:
        return mine is None or not key.startswith(mine)

    claims = list(session.exec(select(RefundClaim).where(RefundClaim.order_id == order_id)))
    used: dict[str, int] = {}
    for c in claims:
        if others(c.key):
            used[c.capture_id] = used.get(c.capture_id, 0) + c.amount
    claimed = {c.key for c in claims}
    for e in ledger:
        capture = refunded_capture(e.idempotency_key)
        if e.operation == "refund" and capture and others(e.idempotency_key):
            if e.idempotency_key not in claimed:  # made before claims existed
                used[capture] = used.get(capture, 0) + e.amount
    return [
        CaptureRoom(
            e.gateway_reference,
            e.authorization_id,
            e.currency,
            e.amount - used.get(e.gateway_reference, 0),
        )
        for e in ledger
        if e.operation == "capture" and e.gateway_reference and e.authorization_id
    ]


def left_to_refund(session: Session, order_id: str) -> int:
    """What the order may still refund: its captures less every refund made or claimed."""
    return refundable(rooms(session, order_id))


def claim(
    session: Session, order_id: str, *, mine: str, key_for: Callable[[str], str], amount: int
) -> list[RefundPart]:
    """The parts of the order's captures the refund whose keys start with ``mine`` takes,
    claimed once (``key_for(capture_id)``: the key of its refund of that capture): a retry gets
    the same parts, and another refund of the order at the same moment waits for this claim
    and splits what is left. Call it in a writing session."""
    lock_order(session, order_id)
    held = [
        c
        for c in session.exec(select(RefundClaim).where(RefundClaim.order_id == order_id))
        if c.key.startswith(mine)
    ]
    if held:
        return [RefundPart(c.capture_id, c.authorization_id, c.amount, c.currency) for c in held]
    parts = split(rooms(session, order_id, mine=mine), amount)
    for p in parts:
        session.add(
            RefundClaim(
                key=key_for(p.capture_id),
                order_id=order_id,
                capture_id=p.capture_id,
                authorization_id=p.authorization_id,
                amount=p.amount,
                currency=p.currency,
            )
        )
    session.flush()
    return parts


def release_unpaid(session: Session, order_id: str, mine: str) -> None:
    """The gateway refused this refund (or it was given up): its claims that no refund paid
    free their captures."""
    for c in session.exec(select(RefundClaim).where(RefundClaim.order_id == order_id)):
        if c.key.startswith(mine):
            paid = session.get(PaymentLedgerEntry, c.key)
            if paid is None or paid.outcome != "succeeded":
                session.delete(c)
