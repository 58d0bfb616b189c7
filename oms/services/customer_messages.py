"""Customer messages, the service: write one message for each outbox event that tells the
customer something (in the customer's language, to the address on the order), and send the
messages that are due, recording each attempt (docs/messages.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from oms.connectors.email import EmailRefused, EmailSender, EmailUnavailable, OutgoingEmail
from oms.db import customer_messages as repo
from oms.db.engine import Database
from oms.db.tables import CustomerMessage, Fulfilment, Order, OutboxEvent
from oms.db.tables.base import as_utc
from oms.domain.fulfilment import FulfilmentLine, FulfilmentStatus
from oms.domain.messages import (
    Locale,
    MessageKind,
    MessageStatus,
    kind_of,
    locale_for,
    resend_refusal,
    retry_at,
    subject_of,
)
from oms.domain.order.status import CancelReason, OrderStatus
from oms.keys import customer_message_key, customer_message_resend_key, email_message_id
from oms.logging import get_logger
from oms.messages import Facts, Rendered, render

log = get_logger(__name__)
# How long a pass holds the messages it took: another pass sends them after that.
LEASE = timedelta(minutes=5)


def _facts(s: Session, kind: MessageKind, event: OutboxEvent, order: Order) -> Facts:
    payload: dict[str, Any] = order.payload
    skus = {line["sku"] for line in payload.get("lines", [])}
    skus |= {r["sku"] for r in event.payload.get("recommendations") or [] if isinstance(r, dict)}
    # The order's store, the event's location, and a store change's two stores.
    named = ("location_id", "from", "to")
    places = {
        p
        for p in ((payload.get("delivery") or {}).get("store_id"), *map(event.payload.get, named))
        if isinstance(p, str)
    }
    products, locations = repo.names(s, {k for k in skus if isinstance(k, str)}, places)
    waiting, partly = _collection(s, kind, event)
    return Facts(
        kind=kind,
        event=event.payload,
        order=payload,
        placed_at=as_utc(order.created_at),
        product_names=products,
        location_names=locations,
        waiting=waiting,
        partly_collected=partly,
    )


def _collection(
    s: Session, kind: MessageKind, event: OutboxEvent
) -> tuple[list[dict[str, Any]], bool]:
    """For a collection's reminder or its end: what still waits at the counter, by line, and
    whether the customer took part of it already, as its fulfilment is stored now."""
    if kind not in (MessageKind.COLLECTION_REMINDER, MessageKind.NOT_COLLECTED):
        return [], False
    row = s.get(Fulfilment, str(event.payload.get("fulfilment_id", "")))
    lines = [FulfilmentLine.model_validate(line) for line in (row.lines if row else [])]
    waiting = [
        {"line_id": line.line_id, "sku": line.sku, "quantity": line.left_to_collect}
        for line in lines
        if line.left_to_collect > 0
    ]
    return waiting, any(line.collected for line in lines)


def _render(
    s: Session, kind: MessageKind, event: OutboxEvent, order: Order, locale: Locale
) -> Rendered:
    return render(_facts(s, kind, event, order), locale)


def write_messages(s: Session, *, now: datetime, limit: int) -> tuple[int, int]:
    """Look at up to ``limit`` new outbox events: a message for each that tells the customer
    something, once per message key. Answers (events looked at, messages written)."""
    events = repo.unmessaged(s, limit=limit)
    written = 0
    for event in events:
        kind = kind_of(event.type)
        order = repo.order(s, event.order_id) if kind and event.order_id else None
        if kind is None or order is None:
            continue
        locale = locale_for(order.payload, repo.channel_locale(s, order.channel))
        row = CustomerMessage(
            key=customer_message_key(kind.value, subject_of(kind, event.id, event.payload)),
            order_id=order.id,
            event_id=event.id,
            kind=kind.value,
            locale=locale.value,
            to=order.payload["customer"]["email"],
            subject="",
            status=MessageStatus.PENDING.value,
            next_attempt_at=now,
        )
        try:
            row.subject = _render(s, kind, event, order, locale).subject
        except Exception as exc:  # a payload its template cannot take: recorded, not blocking
            row.status, row.next_attempt_at = MessageStatus.FAILED.value, None
            row.last_error = f"cannot render: {exc}"[:500]
            log.error("customer_message_unrenderable", order_id=order.id, event_id=event.id)
        written += repo.add(s, row)
    repo.mark_messaged(s, events, now=now)
    return len(events), written


@dataclass(frozen=True)
class Due:
    message_id: int
    order_id: str
    attempts: int
    first_attempt_at: datetime | None
    email: OutgoingEmail
    # False: what it says stopped being true since it was written (``still_true``).
    still_true: bool = True


def take_due(db: Database, *, now: datetime, limit: int, token: str, domain: str) -> list[Due]:
    out: list[Due] = []
    with db.session() as s:
        for msg, event, order in repo.claim_due(s, now=now, limit=limit, token=token, lease=LEASE):
            assert msg.id is not None
            kind, locale = MessageKind(msg.kind), Locale(msg.locale)
            rendered = _render(s, kind, event, order, locale)
            email = OutgoingEmail(
                to=msg.to,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                locale=locale.value,
                message_id=email_message_id(msg.key, domain),
            )
            first = as_utc(msg.first_attempt_at) if msg.first_attempt_at else None
            still = still_true(s, kind, event, order)
            out.append(Due(msg.id, msg.order_id, msg.attempts, first, email, still))
    return out


# A collection still waits for its customer: a reminder of it is still true.
WAITING = {FulfilmentStatus.READY_FOR_COLLECTION.value, FulfilmentStatus.PARTIALLY_COLLECTED.value}


def still_true(s: Session, kind: MessageKind, event: OutboxEvent, order: Order) -> bool:
    """Whether a message can still be sent as written, when its turn comes (it waits for the
    mail server like any message):

    - a collection reminder, while something of the collection still waits at the store (the
      customer may have taken everything meanwhile, or the hold ended): it is withdrawn
      rather than tell them their order still waits;
    - units of a line cancelled, unless the whole order has been cancelled since (the
      cancellation's message says it all: the customer gets one message, not two);
    - an order cancelled because it was not collected, unless the customer was already told
      what was let go at the store (``not_collected``), which is all of the order."""
    if kind is MessageKind.COLLECTION_REMINDER:
        row = s.get(Fulfilment, str(event.payload.get("fulfilment_id", "")))
        return row is None or row.status in WAITING
    if kind is MessageKind.LINE_CANCELLED:
        return order.status != OrderStatus.CANCELLED.value
    if kind is MessageKind.CANCELLED and event.payload.get("reason") == CancelReason.NOT_COLLECTED:
        return not repo.has_message(s, order.id, MessageKind.NOT_COLLECTED.value)
    return True


def send_one(
    db: Database,
    sender: EmailSender | None,
    due: Due,
    *,
    token: str,
    now: datetime,
    retry_for: timedelta,
) -> MessageStatus | None:
    """Send one message and record what came of it: sent, skipped (no mail server), withdrawn
    (no longer true), failed, or still pending with its next attempt (answered as None)."""
    if not due.still_true:
        with db.session() as s:
            repo.record(
                s,
                due.message_id,
                token,
                status=MessageStatus.WITHDRAWN.value,
                next_attempt_at=None,
                last_error="no longer true when its turn came: not sent",
            )
        return MessageStatus.WITHDRAWN
    if sender is None:
        changes: dict[str, Any] = {"status": MessageStatus.SKIPPED.value, "next_attempt_at": None}
        with db.session() as s:
            repo.record(s, due.message_id, token, **changes)
        return MessageStatus.SKIPPED
    attempts, first = due.attempts + 1, due.first_attempt_at or now
    changes = {"attempts": attempts, "first_attempt_at": first}
    outcome: MessageStatus | None
    try:
        provider_id = sender.send(due.email)
    except EmailRefused as exc:
        outcome = MessageStatus.FAILED
        changes.update(status=outcome.value, next_attempt_at=None, last_error=str(exc)[:500])
    except EmailUnavailable as exc:
        at = retry_at(attempts, first, now, retry_for)
        outcome = None if at is not None else MessageStatus.FAILED
        status = (outcome or MessageStatus.PENDING).value
        changes.update(status=status, next_attempt_at=at, last_error=str(exc)[:500])
    else:
        outcome = MessageStatus.SENT
        changes.update(
            status=outcome.value,
            next_attempt_at=None,
            sent_at=now,
            provider_message_id=provider_id,
            last_error=None,
        )
    with db.session() as s:
        repo.record(s, due.message_id, token, **changes)
    log.info(
        "customer_message_attempted",
        order_id=due.order_id,
        message_id=due.message_id,
        status=(outcome or MessageStatus.PENDING).value,
        attempts=attempts,
    )
    return outcome


class ResendRefused(Exception):
    """A message that cannot be sent again now; ``pending``: because it or a copy is on its
    way, else because it cannot be rendered."""

    def __init__(self, reason: str, *, pending: bool) -> None:
        super().__init__(reason)
        self.reason, self.pending = reason, pending


def resend(
    s: Session,
    original: CustomerMessage,
    *,
    to: str,
    token: str,
    requested_by: str,
    now: datetime,
) -> tuple[CustomerMessage, bool]:
    """Write a copy of a message (a first one, not a copy) to send again to ``to``, due now:
    the sending loop takes it on its next pass, with an email Message-ID of its own. Answers
    the copy and whether it is new: the same ``token`` again answers the copy it made."""
    assert original.id is not None
    key = customer_message_resend_key(original.kind, original.id, token)
    made = repo.by_key(s, key)
    if made is not None:
        return made, False
    pending = repo.pending_copy(s, original.order_id, original.id)
    refusal = resend_refusal(MessageStatus(original.status), pending)
    if refusal is not None:
        raise ResendRefused(refusal, pending=True)
    event, order = s.get(OutboxEvent, original.event_id), repo.order(s, original.order_id)
    if event is None or order is None:
        raise ResendRefused("what it tells of is no longer stored", pending=False)
    kind, locale = MessageKind(original.kind), Locale(original.locale)
    try:  # as when it was written: a copy the loop could not render would stop it
        subject = _render(s, kind, event, order, locale).subject
    except Exception as exc:
        raise ResendRefused(f"it cannot be rendered: {exc}"[:300], pending=False) from exc
    copy = CustomerMessage(
        key=key,
        order_id=original.order_id,
        event_id=original.event_id,
        kind=original.kind,
        locale=original.locale,
        to=to,
        subject=subject,
        status=MessageStatus.PENDING.value,
        next_attempt_at=now,
        resend_of=original.id,
        requested_by=requested_by,
    )
    if not repo.add(s, copy):  # the same request, a moment ago
        found = repo.by_key(s, key)
        assert found is not None
        return found, False
    log.info(
        "customer_message_resend_asked",
        order_id=original.order_id,
        message_id=copy.id,
        resend_of=original.id,
        requested_by=requested_by,
    )
    return copy, True


def new_token() -> str:
    return uuid.uuid4().hex
