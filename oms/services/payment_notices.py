"""A payment gateway's notices applied to the payment ledger (``POST
/webhooks/payments/{gateway}``): the late result of a capture or a refund, and chargebacks.

- A success or failure the ledger already records is noted as confirmed.
- One the ledger has no row of (the OMS never heard the answer) is recorded as the gateway
  says; a success writes its finance event then, as the activity would have.
- A capture or a refund the OMS recorded as done that failed after all is reversed: its row
  says refused, a ``payment.capture_reversed`` / ``payment.refund_failed`` event takes it
  back, and a reversed capture opens a ``payment_exception`` task for customer service (the
  order's run may be over: its decision is carried out by a ``PaymentRecoveryWorkflow``,
  ``oms.services.payment_recoveries``) and says so in the order's timeline (an order note);
  a reversed refund's claim on its capture is released (a later refund has that room).
- A refusal that succeeded after all is left as it is for people (``conflict``): the order
  may be waiting on customer service's decision about it already.
- A chargeback on a capture opens a ``chargeback`` task (accept or dispute) and emits
  ``payment.chargeback``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from oms.db import finance, order_notes, outbox, tasks
from oms.db import payments as ledger
from oms.db import returns as return_repo
from oms.db.tables import ManualTask, PaymentLedgerEntry, utcnow
from oms.domain.inbound import NoticeOutcome, NoticeType, PaymentNotice, notice_outcome
from oms.domain.order import TimelineEntry
from oms.domain.order.payment_recovery import reversed_capture_payload
from oms.domain.tasks import TaskKind, TaskStatus
from oms.gateway_keys import capture_fulfilment, payment_key_order_id
from oms.keys import (
    chargeback_task_id,
    order_note_key,
    order_workflow_id,
    reversed_capture_task_id,
)
from oms.logging import get_logger

log = get_logger(__name__)
PAYMENT_CHARGEBACK = "payment.chargeback"
CHARGEBACK_DECIDED = "payment.chargeback_decided"
# The order's timeline says the gateway took a capture back (an order note).
CAPTURE_REVERSED = "payment_capture_reversed"
# How long customer service has to answer a chargeback (gateways give days, not weeks).
CHARGEBACK_DUE = timedelta(days=5)


@dataclass(frozen=True)
class NoticeResult:
    outcome: NoticeOutcome
    order_id: str | None = None
    idempotency_key: str | None = None
    task_id: str | None = None


def _entry(session: Session, notice: PaymentNotice) -> PaymentLedgerEntry | None:
    if notice.idempotency_key is not None:
        found = ledger.entry(session, notice.idempotency_key)
        return found if found is not None and found.operation == notice.operation else None
    assert notice.reference is not None  # the body names one or the other
    return ledger.by_reference(session, notice.operation, notice.reference)


def apply_notice(session: Session, *, gateway: str, notice: PaymentNotice) -> NoticeResult | None:
    """Apply one notice (the caller applies each event id once); None when it names no
    operation the OMS knows of."""
    entry = _entry(session, notice)
    if notice.type is NoticeType.CHARGEBACK_OPENED:
        if entry is None or entry.outcome != "succeeded":
            return None
        return _chargeback(session, gateway, entry, notice)
    if entry is None:
        return _record(session, gateway, notice)
    outcome = notice_outcome(entry.outcome, entry.reversed_at is not None, notice)
    now = utcnow()
    if outcome is NoticeOutcome.CONFIRMED:
        entry.confirmed_at = now
    elif outcome is NoticeOutcome.REVERSED:
        entry.outcome, entry.code, entry.reversed_at = "refused", notice.code or "failed", now
        finance.unbooked(session, entry, gateway, entry.code)
        task_id = _reversed_capture(session, entry) if entry.operation == "capture" else None
        if entry.operation == "refund":  # the capture has that money to refund again
            return_repo.release_reversed(session, entry.idempotency_key)
        session.add(entry)
        return NoticeResult(outcome, entry.order_id, entry.idempotency_key, task_id)
    else:
        log.warning("payment_notice_conflict", order_id=entry.order_id, key=entry.idempotency_key)
    session.add(entry)
    return NoticeResult(outcome, entry.order_id, entry.idempotency_key)


def _record(session: Session, gateway: str, notice: PaymentNotice) -> NoticeResult | None:
    """The gateway did something the ledger never heard of: written as it says."""
    key = notice.idempotency_key
    order_id = payment_key_order_id(key) if key is not None else None
    if key is None or order_id is None:
        return None
    entry = PaymentLedgerEntry(
        idempotency_key=key,
        order_id=order_id,
        operation=notice.operation,
        outcome="refused" if notice.failed else "succeeded",
        amount=notice.amount,
        currency=notice.currency,
        gateway_reference=notice.reference,
        code=notice.code if notice.failed else None,
        recorded_at=notice.occurred_at,
        confirmed_at=utcnow(),
    )
    if ledger.record(session, entry):
        finance.booked(session, entry, gateway)
        if notice.failed and notice.operation == "refund":  # never paid: nothing claimed
            return_repo.release_reversed(session, key)
    return NoticeResult(NoticeOutcome.RECORDED, order_id, key)


def _reversed_capture(session: Session, entry: PaymentLedgerEntry) -> str:
    task_id = reversed_capture_task_id(entry.idempotency_key)
    fulfilment_id = capture_fulfilment(entry.idempotency_key)
    tasks.open_task(
        session,
        task_id=task_id,
        kind=TaskKind.PAYMENT_EXCEPTION,
        order_id=entry.order_id,
        workflow_id=order_workflow_id(entry.order_id),
        payload=reversed_capture_payload(
            fulfilment_id=fulfilment_id,
            amount=entry.amount,
            currency=entry.currency,
            idempotency_key=entry.idempotency_key,
            gateway_reference=entry.gateway_reference,
            code=entry.code,
        ),
    )
    detail = {"fulfilment_id": fulfilment_id, "amount": entry.amount, "code": entry.code}
    order_notes.add(
        session,
        entry.order_id,
        order_note_key(task_id, CAPTURE_REVERSED),
        TimelineEntry(
            at=utcnow(),
            type=CAPTURE_REVERSED,
            actor="payment_gateway",
            detail={**detail, "task_id": task_id},
        ),
    )
    log.info("capture_reversed", order_id=entry.order_id, fulfilment_id=fulfilment_id)
    return task_id


def _chargeback(
    session: Session, gateway: str, entry: PaymentLedgerEntry, notice: PaymentNotice
) -> NoticeResult:
    assert notice.chargeback_id is not None  # the body's validator sees to it
    task_id = chargeback_task_id(gateway, notice.chargeback_id)
    detail = {
        "chargeback_id": notice.chargeback_id,
        "gateway": gateway,
        "fulfilment_id": capture_fulfilment(entry.idempotency_key),
        "capture_key": entry.idempotency_key,
        "gateway_reference": entry.gateway_reference,
        "amount": notice.amount,
        "currency": notice.currency,
        "reason": notice.code,
        "occurred_at": notice.occurred_at.isoformat(),
    }
    task = tasks.open_task(
        session,
        task_id=task_id,
        kind=TaskKind.CHARGEBACK,
        order_id=entry.order_id,
        workflow_id=order_workflow_id(entry.order_id),
        due_at=utcnow() + CHARGEBACK_DUE,
        payload=detail,
    )
    if task.status == TaskStatus.OPEN:
        outbox.emit(
            session,
            event_id=f"{PAYMENT_CHARGEBACK}:{task_id}",
            type=PAYMENT_CHARGEBACK,
            order_id=entry.order_id,
            payload={
                **finance.booking(session, entry, gateway),
                **detail,
                "task_id": task_id,
            },
        )
    log.info("chargeback_opened", order_id=entry.order_id, task_id=task_id)
    return NoticeResult(NoticeOutcome.CHARGEBACK, entry.order_id, entry.idempotency_key, task_id)


def chargeback_decided(
    session: Session, task: ManualTask, decision: str, note: str, actor: str
) -> None:
    """Customer service accepted or disputed a chargeback: the event says so, once."""
    outbox.emit(
        session,
        event_id=f"{CHARGEBACK_DECIDED}:{task.id}",
        type=CHARGEBACK_DECIDED,
        order_id=task.order_id,
        payload={
            "order_id": task.order_id,
            "task_id": task.id,
            "chargeback_id": task.payload.get("chargeback_id"),
            "gateway": task.payload.get("gateway"),
            "amount": task.payload.get("amount"),
            "currency": task.payload.get("currency"),
            "decision": decision,
            "note": note,
            "by": actor,
        },
    )
