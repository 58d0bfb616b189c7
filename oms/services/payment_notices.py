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
- A reversed capture that the gateway says succeeded after all (it captured it again on its
  own, as Adyen's "Transaction Recaptured" after a CAPTURE_FAILED for a technical issue) is
  booked again (``recaptured``): its row says succeeded, ``payment.captured`` is written once
  more, its open tasks are closed and the order's timeline says so. If a recovery captured it
  again meanwhile, the customer paid twice: that is left to people (``conflict``; ``oms
  payments reconcile`` shows the gateway's capture the ledger does not count).
- A refusal that succeeded after all is left as it is for people (``conflict``): the order
  may be waiting on customer service's decision about it already.
- A notice whose amount or currency is not the operation's it names applies nothing
  (``NoticeMismatch``: the webhook answers 422 ``payment_mismatch``).
- A chargeback on a capture opens a ``chargeback`` task (accept or dispute) and emits
  ``payment.chargeback``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from oms.db import appeasements as appeasement_repo
from oms.db import finance, order_notes, outbox, tasks
from oms.db import payments as ledger
from oms.db import returns as return_repo
from oms.db.tables import ManualTask, PaymentLedgerEntry, utcnow
from oms.domain.inbound import NoticeOutcome, NoticeType, PaymentNotice, notice_outcome
from oms.domain.order import TimelineEntry
from oms.domain.order.payment_recovery import reversed_capture_payload
from oms.domain.tasks import TaskKind, TaskStatus
from oms.gateway_keys import capture_fulfilment, payment_key_order_id, recovery_capture_prefix
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


# How long customer service has to decide a reversed capture before it escalates (the order's
# run escalates its own payment exceptions after OMS_PAYMENT_ESCALATE_AFTER too).
PAYMENT_EXCEPTION_DUE = timedelta(hours=4)
# The order's timeline says the gateway captured a reversed capture again on its own.
CAPTURE_RECAPTURED = "payment_capture_recaptured"


class NoticeMismatch(ValueError):
    """A notice's amount or currency is not the one of the operation it names."""

    def __init__(self, field: str, noticed: object, recorded: object) -> None:
        super().__init__(f"the notice says {noticed}, the operation it names is {recorded}")
        self.field = field


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


def apply_notice(
    session: Session,
    *,
    gateway: str,
    notice: PaymentNotice,
    due_in: timedelta = PAYMENT_EXCEPTION_DUE,
) -> NoticeResult | None:
    """Apply one notice (the caller applies each event id once); None when it names no
    operation the OMS knows of. ``due_in``: when a reversed capture's task escalates.

    Raises:
        NoticeMismatch: its amount or currency is not the operation's (nothing applied).
    """
    entry = _entry(session, notice)
    if notice.type is NoticeType.CHARGEBACK_OPENED:
        if entry is None or entry.outcome != "succeeded":
            return None
        return _chargeback(session, gateway, entry, notice)
    if entry is None:
        return _record(session, gateway, notice)
    if notice.currency != entry.currency:
        raise NoticeMismatch("currency", notice.currency, entry.currency)
    if notice.amount != entry.amount:
        raise NoticeMismatch("amount", notice.amount, entry.amount)
    outcome = notice_outcome(entry.outcome, entry.reversed_at is not None, notice)
    if outcome is NoticeOutcome.RECAPTURED and _collected_again(session, entry):
        outcome = NoticeOutcome.CONFLICT  # the customer paid twice: for people
    now = utcnow()
    task_id = None
    if outcome is NoticeOutcome.CONFIRMED:
        entry.confirmed_at = now
    elif outcome is NoticeOutcome.REVERSED:
        entry.outcome, entry.code, entry.reversed_at = "refused", notice.code or "failed", now
        finance.unbooked(session, entry, gateway, entry.code)
        if entry.operation == "capture":
            task_id = _reversed_capture(session, entry, now + due_in)
        else:  # the capture has that money to refund again
            return_repo.release_reversed(session, entry.idempotency_key)
            appeasement_repo.refund_reversed(session, entry.idempotency_key, entry.code)
    elif outcome is NoticeOutcome.RECAPTURED:
        entry.outcome, entry.code, entry.confirmed_at = "succeeded", None, now
        finance.rebooked(session, entry, gateway)
        _recaptured(session, entry)
    else:
        log.warning("payment_notice_conflict", order_id=entry.order_id, key=entry.idempotency_key)
    session.add(entry)
    return NoticeResult(outcome, entry.order_id, entry.idempotency_key, task_id)


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


def _reversed_capture(session: Session, entry: PaymentLedgerEntry, due_at: datetime) -> str:
    task_id = reversed_capture_task_id(entry.idempotency_key)
    fulfilment_id = capture_fulfilment(entry.idempotency_key)
    tasks.open_task(
        session,
        task_id=task_id,
        kind=TaskKind.PAYMENT_EXCEPTION,
        order_id=entry.order_id,
        workflow_id=order_workflow_id(entry.order_id),
        # No run watches it: the worker's escalation sweep does (task_escalation).
        due_at=due_at,
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


def _collected_again(session: Session, entry: PaymentLedgerEntry) -> bool:
    """A recovery's try captured the reversed capture's money again."""
    fulfilment_id = capture_fulfilment(entry.idempotency_key) or ""
    prefix = recovery_capture_prefix(entry.order_id, fulfilment_id, entry.idempotency_key)
    return any(
        e.idempotency_key.startswith(prefix) and e.outcome == "succeeded"
        for e in ledger.entries(session, order_id=entry.order_id)
    )


def _recaptured(session: Session, entry: PaymentLedgerEntry) -> None:
    """The reversed capture's open tasks have nothing left to decide: closed, and the order's
    timeline says why. A recovery run under way finds the row succeeded before it captures."""
    closed = []
    for task in tasks.open_for_order(session, entry.order_id, TaskKind.PAYMENT_EXCEPTION):
        if task.payload.get("reversed") and task.payload.get("idempotency_key") == (
            entry.idempotency_key
        ):
            tasks.close(session, task.id, status=TaskStatus.CANCELLED, actor="payment_gateway")
            closed.append(task.id)
    task_id = reversed_capture_task_id(entry.idempotency_key)
    fulfilment_id = capture_fulfilment(entry.idempotency_key)
    order_notes.add(
        session,
        entry.order_id,
        order_note_key(task_id, CAPTURE_RECAPTURED),
        TimelineEntry(
            at=utcnow(),
            type=CAPTURE_RECAPTURED,
            actor="payment_gateway",
            detail={
                "fulfilment_id": fulfilment_id,
                "amount": entry.amount,
                "task_id": task_id,
                "tasks_closed": closed,
            },
        ),
    )
    log.info("capture_recaptured", order_id=entry.order_id, fulfilment_id=fulfilment_id)


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
