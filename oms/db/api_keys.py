"""API keys: stored as SHA-256 hashes; the plain key is shown once, when it is made.

Keys are 32 random bytes, so a fast hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, select

from oms.db.tables import ApiKey

ROLES = ("storefront", "analyst", "store", "integration", "admin")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: Session,
    *,
    role: str,
    name: str,
    location_id: str | None = None,
    key: str | None = None,
) -> str:
    """Store a new key and return it in plain text (the only time it exists in plain)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if role == "store" and not location_id:
        raise ValueError("a store key is bound to one location")
    key_id = secrets.token_hex(6)
    plain = key or f"oms_{role}_{key_id}_{secrets.token_urlsafe(24)}"
    session.add(
        ApiKey(id=key_id, name=name, role=role, location_id=location_id, key_hash=hash_key(plain))
    )
    session.flush()
    return plain


def authenticate(session: Session, key: str) -> ApiKey | None:
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first()
    if row is None or row.revoked:
        return None
    return row
