"""Customer messages: which outbox event tells the customer what, in which language, how an
amount and a date read in it, and when a message that could not be sent is tried again.

Pure: no I/O. oms.messages renders the templates, oms.db.customer_messages stores each message,
the CustomerMessagesWorkflow sends them (docs/messages.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from oms.domain.money import CURRENCY_MINOR_UNITS
from oms.domain.webhooks_out import next_attempt


class MessageKind(StrEnum):
    """What a message tells; stored in ``customer_messages.kind``."""

    ORDER_CONFIRMED = "order_confirmed"
    READY_FOR_COLLECTION = "ready_for_collection"
    COLLECTION_REMINDER = "collection_reminder"
    PICKUP_STORE_CHANGED = "pickup_store_changed"
    DELIVERY_CHANGED = "delivery_changed"
    LINE_CANCELLED = "line_cancelled"
    NOT_COLLECTED = "not_collected"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    APPEASEMENT_GRANTED = "appeasement_granted"  # a goodwill refund, no return


class MessageStatus(StrEnum):
    """Where a message is; stored in ``customer_messages.status``."""

    PENDING = "pending"  # not sent yet: first try, or retried at next_attempt_at
    SENT = "sent"  # the mail server took it
    FAILED = "failed"  # refused for good, or still failing when the retry window closed
    SKIPPED = "skipped"  # no mail server configured (OMS_SMTP_URL unset): recorded, not sent
    # No longer true, or said by another message, when its turn came (a collection reminder
    # for an order collected, or let go, meanwhile; a line cancelled of an order cancelled
    # since): recorded, not sent.
    WITHDRAWN = "withdrawn"


def resend_refusal(status: MessageStatus, pending_copy: int | None) -> str | None:
    """Why a message cannot be sent again now, or None. One still pending is on its way (its
    next attempt says when), and so is a copy asked for before and not sent yet: a second copy
    would reach the customer twice. Sent, failed, skipped and withdrawn ones may be sent again
    (a withdrawn reminder is checked again when its copy's turn comes)."""
    if status is MessageStatus.PENDING:
        return "this message is still on its way: it is sent at its next attempt"
    if pending_copy is not None:
        return f"a copy asked for before (message {pending_copy}) is still on its way"
    return None


class Locale(StrEnum):
    FR = "fr"
    EN = "en"


DEFAULT_LOCALE = Locale.EN

# The event each kind is written from. A parcel is "shipped" when its carrier first reports it
# in transit (shipment.in_transit, with carrier and tracking number), or out for delivery when
# that carrier reports no transit; later scans of the same parcel send nothing more (one
# message per fulfilment, see subject_of). The outbox has no hand-over event of a parcel to
# its customer (fulfilment.transfer_shipped is a transfer to a store): the carrier's first
# word is the one there is.
KIND_OF_EVENT: dict[str, MessageKind] = {
    "order.confirmed": MessageKind.ORDER_CONFIRMED,
    "fulfilment.ready_for_collection": MessageKind.READY_FOR_COLLECTION,
    "fulfilment.collection_reminder": MessageKind.COLLECTION_REMINDER,
    "order.pickup_store_changed": MessageKind.PICKUP_STORE_CHANGED,
    "order.delivery_changed": MessageKind.DELIVERY_CHANGED,
    "order.line_cancelled": MessageKind.LINE_CANCELLED,
    "fulfilment.not_collected": MessageKind.NOT_COLLECTED,
    "shipment.in_transit": MessageKind.SHIPPED,
    "shipment.out_for_delivery": MessageKind.SHIPPED,
    "order.delivered": MessageKind.DELIVERED,
    "return.refunded": MessageKind.REFUNDED,
    "order.cancelled": MessageKind.CANCELLED,
    "order.appeasement_granted": MessageKind.APPEASEMENT_GRANTED,
}


def kind_of(event_type: str) -> MessageKind | None:
    return KIND_OF_EVENT.get(event_type)


def subject_of(kind: MessageKind, event_id: str, payload: dict[str, Any]) -> str:
    """What one message of its kind is about, so that it is sent once: the parcel for
    ``shipped`` (a carrier reports "in transit" at every depot), else the event itself."""
    if kind is MessageKind.SHIPPED and isinstance(payload.get("fulfilment_id"), str):
        return str(payload["fulfilment_id"])
    return event_id


def locale_for(order: dict[str, Any], channel_locale: str | None = None) -> Locale:
    """The customer's own language when the order says it (``customer.locale``), else the
    channel's, else English."""
    customer = order.get("customer") or {}
    for choice in (customer.get("locale"), channel_locale):
        if choice in set(Locale):
            return Locale(choice)
    return DEFAULT_LOCALE


_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF", "JPY": "¥"}
NBSP = "\u00a0"
NNBSP = "\u202f"  # French groups thousands with a narrow no-break space


def _grouped(whole: int, sep: str) -> str:
    return f"{whole:,}".replace(",", sep)


def format_money(amount: int, currency: str, locale: Locale) -> str:
    """``123456 EUR``: ``1 234,56 €`` in French, ``€1,234.56`` in English."""
    digits = CURRENCY_MINOR_UNITS.get(currency, 2)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**digits)
    symbol = _SYMBOLS.get(currency, currency)
    if locale is Locale.FR:
        number = _grouped(whole, NNBSP) + (f",{frac:0{digits}d}" if digits else "")
        return f"{sign}{number}{NBSP}{symbol}"
    number = _grouped(whole, ",") + (f".{frac:0{digits}d}" if digits else "")
    if len(symbol) > 1:
        return f"{sign}{symbol}{NBSP}{number}"
    return f"{sign}{symbol}{number}"


_MONTHS = {
    Locale.FR: (
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    ).split(),
    Locale.EN: (
        "January February March April May June July August September October November December"
    ).split(),
}


def format_date(at: datetime, locale: Locale) -> str:
    """``7 décembre 2026`` (``1er décembre``) in French, ``7 December 2026`` in English (the
    day in UTC)."""
    day = "1er" if locale is Locale.FR and at.day == 1 else str(at.day)
    return f"{day} {_MONTHS[locale][at.month - 1]} {at.year}"


def retry_at(
    attempts: int, first_attempt_at: datetime, now: datetime, retry_for: timedelta
) -> datetime | None:
    """When a message the mail server could not take is tried again (after a minute,
    doubling, at most six hours apart, as webhooks are), or None once ``retry_for`` from its
    first attempt is over: it has failed."""
    return next_attempt(attempts, first_attempt_at, now, retry_for)
