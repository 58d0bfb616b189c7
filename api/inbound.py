"""What every signed webhook in shares (api/routers/webhooks_*.py): checking the signature
against the sender's secret, reading the body strictly, and applying each event once.

A request not signed with a sender's secret, or signed more than 300 s ago, is 401; an event
id already applied (or the same signed request under a new event id) is answered 200 with
``applied: false`` and changes nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from api.errors import ApiError, from_validation
from api.openapi import schema_of
from oms.db import inbound
from oms.db.engine import Database
from oms.db.tables import WebhookSender
from oms.domain.errors import ErrorCode
from oms.domain.inbound import SenderKind
from oms.logging import get_logger
from oms.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, SignatureError, signed_once, verify

log = get_logger(__name__)
SIGNATURE_REFUSALS = (
    ErrorCode.SIGNATURE_MISSING,
    ErrorCode.SIGNATURE_MALFORMED,
    ErrorCode.SIGNATURE_EXPIRED,
    ErrorCode.SIGNATURE_MISMATCH,
)
_B = TypeVar("_B", bound=BaseModel)


def _refused(sender: str, exc: SignatureError) -> ApiError:
    log.warning("webhook_refused", sender=sender, code=exc.code)
    return ApiError(ErrorCode(exc.code), str(exc), SIGNATURE_HEADER)


def verified(db: Database, sender: str, signature: str | None, body: bytes) -> None:
    """The request is signed with ``sender``'s secret, now; else 401."""
    with db.reading() as s:
        secret = inbound.secret_of(s, sender)
    try:
        if secret is None:  # an unknown sender is told no more than a wrong signature
            verify("", signature, body)
            raise SignatureError("signature_mismatch", "the signature does not match the body")
        verify(secret, signature, body)
    except SignatureError as exc:
        raise _refused(sender, exc) from exc


def signer(db: Database, kind: SenderKind, signature: str | None, body: bytes) -> WebhookSender:
    """The sender of ``kind`` whose secret signed the request (a WMS or a POS endpoint is
    shared: the secret says who calls); else 401."""
    with db.reading() as s:
        candidates = inbound.of_kind(s, kind)
    last = SignatureError("signature_mismatch", "the signature does not match the body")
    for sender in candidates:
        try:
            verify(sender.secret, signature, body)
        except SignatureError as exc:
            if exc.code != "signature_mismatch":
                raise _refused(sender.id, exc) from exc
            last = exc
            continue
        return sender
    try:
        verify("", signature, body)  # a missing, malformed or old header says so first
    except SignatureError as exc:
        raise _refused(kind.value, exc) from exc
    raise _refused(kind.value, last)


def event_id_of(event_id: str | None) -> str:
    if not event_id:
        raise ApiError(ErrorCode.REQUIRED, f"{EVENT_ID_HEADER} is required", EVENT_ID_HEADER)
    return event_id


def parsed(model: type[_B], body: bytes) -> _B:
    """The body as ``model``, or 422 naming each field at fault."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise from_validation(RequestValidationError(errors)) from exc


def first_delivery(
    session: Session, sender: str, signature: str, event_id: str, type_: str
) -> bool:
    """Note the event as applied, in the caller's transaction (rolled back with what it
    applies); False when this event id, or this very signed request under another id, was
    applied before."""
    replayed = not inbound.first_time(session, sender, f"sig:{signed_once(signature)}", type_)
    return not replayed and inbound.first_time(session, sender, event_id, type_)


def applied_before(session: Session, sender: str, signature: str, event_id: str) -> bool:
    """Whether ``first_delivery`` noted this event id, or this signed request, already (for a
    webhook that applies the event outside the database before noting it)."""
    return inbound.seen(session, sender, event_id) or inbound.seen(
        session, sender, f"sig:{signed_once(signature)}"
    )


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The ``openapi_extra`` of a route that reads its raw body (to check its signature)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema_of(model)}},
        }
    }
