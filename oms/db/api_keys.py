"""API keys: stored as SHA-256 hashes; the plain secret is shown once, when it is made or
rotated.

Secrets are 32 random bytes, so a fast hash is enough: there is nothing to brute-force. A key
is one row: its role and scope (a storefront key's channels, a store key's location), an
optional expiry, when it was last used, and after a rotation the previous secret's hash, valid
until the end of the grace period. Revoking ends both secrets at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, or_, select

from oms.db.tables import ApiKey, Channel, Location
from oms.domain.errors import ErrorCode, FieldError

ROLES = ("storefront", "analyst", "store", "integration", "admin")
# last_used_at is written at most this often per key: a write per request would be a write
# lock per request on SQLite, for a figure nobody needs to the second.
LAST_USED_EVERY = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _secret(role: str, key_id: str) -> str:
    return f"oms_{role}_{key_id}_{secrets.token_urlsafe(24)}"


def create_key(
    session: Session,
    *,
    role: str,
    name: str,
    location_id: str | None = None,
    channels: list[str] | None = None,
    expires_at: datetime | None = None,
    key: str | None = None,
) -> str:
    """Store a new key and return its secret in plain text (the only time it exists in plain).
    The caller checks that the location and channels exist."""
    _, plain = issue_key(
        session,
        role=role,
        name=name,
        location_id=location_id,
        channels=channels,
        expires_at=expires_at,
        key=key,
    )
    return plain


def issue_key(
    session: Session,
    *,
    role: str,
    name: str,
    location_id: str | None = None,
    channels: list[str] | None = None,
    expires_at: datetime | None = None,
    key: str | None = None,
) -> tuple[ApiKey, str]:
    """``create_key``, answering the stored row beside the secret."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if role == "store" and not location_id:
        raise ValueError("a store key is bound to one location")
    if location_id and role != "store":
        raise ValueError("only a store key is bound to a location")
    if channels is not None and role != "storefront":
        raise ValueError("only a storefront key is scoped to channels")
    key_id = secrets.token_hex(6)
    plain = key or _secret(role, key_id)
    row = ApiKey(
        id=key_id,
        name=name,
        role=role,
        location_id=location_id,
        channels=sorted(set(channels)) if channels is not None else None,
        expires_at=expires_at,
        key_hash=hash_key(plain),
    )
    session.add(row)
    session.flush()
    return row, plain


def scope_problems(
    session: Session, *, location_id: str | None, channels: list[str] | None
) -> list[FieldError]:
    """What is wrong with a key's scope: a location or channels that do not exist."""
    problems = []
    if location_id is not None and session.get(Location, location_id) is None:
        problems.append(
            FieldError(
                field="location_id",
                code=ErrorCode.LOCATION_NOT_FOUND,
                reason=f"no location {location_id}",
            )
        )
    if channels:
        known = set(session.exec(select(Channel.id).where(col(Channel.id).in_(channels))))
        problems += [
            FieldError(
                field=f"channels[{i}]",
                code=ErrorCode.CHANNEL_NOT_FOUND,
                reason=f"no channel {channel}",
            )
            for i, channel in enumerate(channels)
            if channel not in known
        ]
    return problems


def authenticate(session: Session, key: str, now: datetime) -> ApiKey | None:
    """The live key this secret opens: its current secret, or the previous one within the
    rotation's grace period; never a revoked or expired key."""
    digest = hash_key(key)
    row = session.exec(
        select(ApiKey).where(or_(ApiKey.key_hash == digest, ApiKey.previous_hash == digest))
    ).first()
    if row is None or row.revoked or _past(row.expires_at, now):
        return None
    if row.key_hash != digest and (
        row.previous_valid_until is None or _past(row.previous_valid_until, now)
    ):
        return None
    return row


def needs_touch(row: ApiKey, now: datetime) -> bool:
    return row.last_used_at is None or _past(_aware(row.last_used_at) + LAST_USED_EVERY, now)


def touch(session: Session, key_id: str, now: datetime) -> None:
    row = session.get(ApiKey, key_id)
    if row is not None:
        row.last_used_at = now
        session.add(row)


def listed(session: Session, *, include_revoked: bool = False) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))
    if not include_revoked:
        stmt = stmt.where(col(ApiKey.revoked).is_(False))
    return list(session.exec(stmt))


def rotate(session: Session, key_id: str, now: datetime, grace: timedelta) -> str | None:
    """A new secret for the key; the current one stays valid for ``grace``. A rotation within
    the grace of the one before keeps the secret from before both (the one its users most
    likely still hold, e.g. when a rotation is retried after a lost answer) and drops the one
    in between. None: no such live key (revoked, expired or unknown)."""
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked or _past(row.expires_at, now):
        return None
    plain = _secret(row.role, row.id)
    in_grace = row.previous_hash is not None and not _past(row.previous_valid_until, now)
    if not in_grace:
        row.previous_hash = row.key_hash
    row.previous_valid_until = now + grace
    row.key_hash = hash_key(plain)
    session.add(row)
    session.flush()
    return plain


def revoke(session: Session, key_id: str, now: datetime) -> bool:
    """Revoke the key: both its secrets stop working at once. False: no such live key."""
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked:
        return False
    row.revoked = True
    row.revoked_at = now
    row.previous_valid_until = None
    session.add(row)
    return True


def _aware(at: datetime) -> datetime:
    # SQLite hands back naive datetimes; times are stored in UTC.
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _past(at: datetime | None, now: datetime) -> bool:
    return at is not None and _aware(at) <= now
