"""Sourcing profile versions: drafts, publishing, rolling back, and the one in force.

A version is written as a draft, may be edited while it is one, and is immutable once
published: a change is a new version. Publishing makes it the active profile of its channel
(``*``: the default), and the version active before it inactive, in one transaction; the
database's partial unique index keeps two versions from being active for one channel even
under concurrent publishes. Rolling back re-activates the version published before.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from oms.db import tables as t
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.sourcing.profiles import (
    DEFAULT_PROFILE,
    ProfileStatus,
    SourcingProfile,
    active_profile,
)

DEFAULT_CHANNEL = "*"


class InvalidProfile(Exception):
    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.error = error


def of_row(row: t.SourcingProfile) -> SourcingProfile:
    doc = {
        **row.document,
        "id": row.id,
        "version": row.version,
        "status": row.status,
        "channel": None if row.channel == DEFAULT_CHANNEL else row.channel,
    }
    return SourcingProfile.model_validate(doc)


def validate(document: dict[str, Any], *, profile_id: str, version: int) -> SourcingProfile:
    """The document as a draft version. Raises InvalidProfile."""
    try:
        return SourcingProfile.model_validate(
            {**document, "id": profile_id, "version": version, "status": ProfileStatus.DRAFT}
        )
    except ValidationError as exc:
        raise InvalidProfile(exc) from None


def _document(profile: SourcingProfile) -> dict[str, Any]:
    return profile.model_dump(mode="json", exclude={"id", "version", "status", "channel"})


def create_draft(
    session: Session, profile_id: str, document: dict[str, Any], *, created_by: str | None
) -> SourcingProfile:
    """A new draft version of the profile (version 1 for a new profile)."""
    last = session.exec(
        select(func.max(t.SourcingProfile.version)).where(t.SourcingProfile.id == profile_id)
    ).one()
    profile = validate(document, profile_id=profile_id, version=(last or 0) + 1)
    session.add(
        t.SourcingProfile(
            id=profile.id,
            version=profile.version,
            channel=profile.channel or DEFAULT_CHANNEL,
            status=ProfileStatus.DRAFT.value,
            document=_document(profile),
            created_by=created_by,
        )
    )
    session.flush()
    return profile


def get_row(
    session: Session, profile_id: str, version: int, *, lock: bool = False
) -> t.SourcingProfile:
    row = session.get(t.SourcingProfile, (profile_id, version), with_for_update=lock)
    if row is None:
        raise DomainError(
            ErrorCode.PROFILE_NOT_FOUND, f"no version {version} of profile {profile_id}", "version"
        )
    return row


def update_draft(
    session: Session, profile_id: str, version: int, document: dict[str, Any]
) -> SourcingProfile:
    row = get_row(session, profile_id, version, lock=True)
    if row.status != ProfileStatus.DRAFT.value:
        raise DomainError(
            ErrorCode.PROFILE_PUBLISHED,
            f"{profile_id} v{version} is {row.status}: published versions never change; "
            "create a new version",
            "version",
        )
    profile = validate(document, profile_id=profile_id, version=version)
    row.document = _document(profile)
    row.channel = profile.channel or DEFAULT_CHANNEL
    session.add(row)
    session.flush()
    return profile


def _activate(session: Session, row: t.SourcingProfile) -> SourcingProfile:
    current = session.exec(
        select(t.SourcingProfile)
        .where(
            t.SourcingProfile.channel == row.channel,
            t.SourcingProfile.status == ProfileStatus.ACTIVE.value,
        )
        .with_for_update()
    ).all()
    for other in current:
        if (other.id, other.version) != (row.id, row.version):
            other.status = ProfileStatus.INACTIVE.value
            session.add(other)
    session.flush()  # the old one is inactive before the new one is active: the index holds
    row.status = ProfileStatus.ACTIVE.value
    row.published_at = row.published_at or t.utcnow()
    session.add(row)
    session.flush()
    return of_row(row)


def publish(session: Session, profile_id: str, version: int) -> SourcingProfile:
    """Make the version the active profile of its channel; idempotent."""
    row = get_row(session, profile_id, version, lock=True)
    if row.status == ProfileStatus.ACTIVE.value:
        return of_row(row)
    return _activate(session, row)


def rollback(session: Session, profile_id: str) -> SourcingProfile:
    """Re-activate the version of this profile published before the active one."""
    rows = session.exec(
        select(t.SourcingProfile)
        .where(t.SourcingProfile.id == profile_id)
        .order_by(col(t.SourcingProfile.version).desc())
        .with_for_update()
    ).all()
    active = next((r for r in rows if r.status == ProfileStatus.ACTIVE.value), None)
    if active is None:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"profile {profile_id} has no active version", "profile_id"
        )
    earlier = next(
        (
            r
            for r in rows
            if r.version < active.version
            and r.published_at is not None
            and r.channel == active.channel
        ),
        None,
    )
    if earlier is None:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"no version of {profile_id} was published before v{active.version}",
            "profile_id",
        )
    return _activate(session, earlier)


def retire(session: Session, profile_id: str) -> t.SourcingProfile:
    """Take the profile out of force: its active version becomes inactive, and its channel's
    orders are sourced with the active default, else the built-in one. Publishing a version
    puts it back."""
    retired: t.SourcingProfile = out_of_force(session, t.SourcingProfile, profile_id)
    return retired


def out_of_force(session: Session, table: Any, profile_id: str) -> Any:
    """The profile's active version (a row of ``table``: sourcing or fulfilment profiles) made
    inactive; 409 ``invalid_state`` when none is active."""
    active = session.exec(
        select(table)
        .where(table.id == profile_id, table.status == ProfileStatus.ACTIVE.value)
        .with_for_update()
    ).first()
    if active is None:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"profile {profile_id} has no active version", "profile_id"
        )
    active.status = ProfileStatus.INACTIVE.value
    session.add(active)
    session.flush()
    return active


def versions(session: Session, profile_id: str | None = None) -> list[SourcingProfile]:
    stmt = select(t.SourcingProfile).order_by(
        col(t.SourcingProfile.id), col(t.SourcingProfile.version)
    )
    if profile_id is not None:
        stmt = stmt.where(t.SourcingProfile.id == profile_id)
    return [of_row(r) for r in session.exec(stmt)]


def in_force(session: Session, channel: str) -> SourcingProfile:
    """The channel's active profile, else the active default, else the built-in default."""
    rows = session.exec(
        select(t.SourcingProfile).where(
            col(t.SourcingProfile.channel).in_([channel, DEFAULT_CHANNEL]),
            t.SourcingProfile.status == ProfileStatus.ACTIVE.value,
        )
    ).all()
    if not rows:
        return DEFAULT_PROFILE
    return active_profile([of_row(r) for r in rows], channel)
