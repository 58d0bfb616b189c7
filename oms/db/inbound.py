"""Who may call the OMS's webhooks, with which secret, and which of their events were applied
(each event id once per sender)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from oms.db.tables import InboundEvent, WebhookSender, utcnow
from oms.domain.inbound import SenderKind, kind_of_id


def secret_of(session: Session, sender: str) -> str | None:
    row = session.get(WebhookSender, sender)
    return row.secret if row else None


def kind_of(session: Session, sender: str) -> SenderKind | None:
    row = session.get(WebhookSender, sender)
    return SenderKind(row.kind) if row else None


def of_kind(session: Session, kind: SenderKind) -> list[WebhookSender]:
    """Every sender of a kind (a WMS or a POS is told apart by the secret it signs with)."""
    stmt = select(WebhookSender).where(WebhookSender.kind == kind).order_by(col(WebhookSender.id))
    return list(session.exec(stmt))


def set_secret(
    session: Session,
    sender: str,
    secret: str,
    *,
    kind: SenderKind | None = None,
    locations: list[str] | None = None,
) -> tuple[WebhookSender, bool]:
    """Register the sender with this secret, or rotate its secret; its kind is the one given
    or the one its id names, its locations those given (kept as they were when None).
    (row, created)."""
    kind = kind or kind_of_id(sender) or SenderKind.CARRIER
    row = session.get(WebhookSender, sender)
    if row is None:
        row = WebhookSender(
            id=sender, secret=secret, kind=kind, locations=sorted(set(locations or []))
        )
        session.add(row)
        session.flush()
        return row, True
    row.secret = secret
    row.kind = kind
    if locations is not None:
        row.locations = sorted(set(locations))
    row.rotated_at = utcnow()
    session.add(row)
    session.flush()
    return row, False


def senders(session: Session) -> list[WebhookSender]:
    return list(session.exec(select(WebhookSender).order_by(col(WebhookSender.id))))


def remove(session: Session, sender: str) -> bool:
    row = session.get(WebhookSender, sender)
    if row is None:
        return False
    session.delete(row)
    return True


def seen(session: Session, sender: str, event_id: str) -> bool:
    return session.get(InboundEvent, (sender, event_id)) is not None


def first_time(session: Session, sender: str, event_id: str, type_: str) -> bool:
    """Note the event as applied; False when it already was (a retry or a replay), in which
    case the caller applies nothing. Safe under concurrent deliveries of the same event."""
    if session.get(InboundEvent, (sender, event_id)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(InboundEvent(sender=sender, event_id=event_id, type=type_))
            session.flush()
    except IntegrityError:
        return False
    return True
