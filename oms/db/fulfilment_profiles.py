"""Fulfilment profile versions: drafts, publishing, rolling back, and the one in force.

A version is written as a draft, may be edited while it is one, and is immutable once
published: a change is a new version. Unlike sourcing, many profiles are active at once, each
for its own scope (``applies_to``); ``in_force`` picks the most specific that matches a
fulfilment (``oms.domain.fulfilment_profiles.select``).

Publishing a version makes it active and, in one transaction, retires the version of the same
profile active before (the database's partial unique index keeps two versions of one profile
from being active even under concurrent publishes) and any other profile active for exactly
the same scope: two profiles with one scope would leave one of them never chosen. Rolling back
re-activates the version of the profile published before the active one; retiring takes the
profile out of force altogether.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from oms.db import tables as t
from oms.db.profiles import InvalidProfile as InvalidProfile  # one error for both kinds
from oms.db.profiles import out_of_force
from oms.domain import fulfilment_profiles as fp
from oms.domain.delivery import DeliveryMethod
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.fulfilment_profiles import FulfilmentProfile, ProfileStatus, Scope
from oms.keys import profile_ref
from oms.logging import get_logger

log = get_logger(__name__)


class StoredVersion(BaseModel):
    """A stored version: the profile and what the database knows of it."""

    model_config = ConfigDict(frozen=True)

    id: str
    version: int
    status: ProfileStatus
    created_by: str | None
    created_at: datetime
    published_at: datetime | None
    profile: FulfilmentProfile


class Candidates(BaseModel):
    """What ``in_force`` chooses from: the location's type and the active profiles whose
    scope matches the fulfilment."""

    model_config = ConfigDict(frozen=True)

    location_type: str
    matching: list[FulfilmentProfile]


def validate(document: dict[str, Any], *, version: int = 1) -> FulfilmentProfile:
    """The document as a version of its profile. Raises InvalidProfile."""
    try:
        return FulfilmentProfile.model_validate({**document, "version": version})
    except ValidationError as exc:
        raise InvalidProfile(exc) from None


def of_row(row: t.FulfilmentProfile) -> FulfilmentProfile:
    return FulfilmentProfile.model_validate({**row.document, "id": row.id, "version": row.version})


def stored(row: t.FulfilmentProfile) -> StoredVersion:
    return StoredVersion(
        id=row.id,
        version=row.version,
        status=ProfileStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        published_at=row.published_at,
        profile=of_row(row),
    )


def _store(row: t.FulfilmentProfile, profile: FulfilmentProfile) -> None:
    scope = profile.applies_to
    row.document = profile.model_dump(mode="json", exclude={"id", "version"})
    row.location_id = scope.location_id
    row.location_type = scope.location_type
    row.channel = scope.channel
    row.delivery_method = scope.delivery_method.value if scope.delivery_method else None


def create_draft(
    session: Session, document: dict[str, Any], *, created_by: str | None
) -> StoredVersion:
    """A new draft version of the document's profile (version 1 for a new profile)."""
    profile = validate(document)
    if profile.id == fp.DEFAULT_PROFILE.id:
        raise DomainError(
            ErrorCode.INVALID,
            f"{profile.id!r} is the built-in profile's id; a profile with an open scope "
            "replaces it under another id",
            "id",
        )
    last = session.exec(
        select(func.max(t.FulfilmentProfile.version)).where(t.FulfilmentProfile.id == profile.id)
    ).one()
    profile = validate(document, version=(last or 0) + 1)
    row = t.FulfilmentProfile(
        id=profile.id,
        version=profile.version,
        status=ProfileStatus.DRAFT.value,
        document={},
        created_by=created_by,
    )
    _store(row, profile)
    session.add(row)
    session.flush()
    return stored(row)


def get_row(
    session: Session, profile_id: str, version: int, *, lock: bool = False
) -> t.FulfilmentProfile:
    row = session.get(t.FulfilmentProfile, (profile_id, version), with_for_update=lock)
    if row is None:
        raise DomainError(
            ErrorCode.PROFILE_NOT_FOUND, f"no version {version} of profile {profile_id}", "version"
        )
    return row


def get(session: Session, profile_id: str, version: int) -> StoredVersion:
    return stored(get_row(session, profile_id, version))


def update_draft(
    session: Session, profile_id: str, version: int, document: dict[str, Any]
) -> StoredVersion:
    """Replaces a draft's document; the id is the draft's (another one in it is refused)."""
    row = get_row(session, profile_id, version, lock=True)
    if row.status != ProfileStatus.DRAFT.value:
        raise DomainError(
            ErrorCode.PROFILE_PUBLISHED,
            f"{profile_id} v{version} is {row.status}: published versions never change; "
            "create a new version",
            "version",
        )
    if document.get("id", profile_id) != profile_id:
        raise DomainError(
            ErrorCode.INVALID, f"this is a version of {profile_id}: the id cannot change", "id"
        )
    _store(row, validate({**document, "id": profile_id}, version=version))
    session.add(row)
    session.flush()
    return stored(row)


def _same_scope(scope: Scope) -> Any:
    method = scope.delivery_method.value if scope.delivery_method else None
    return and_(
        col(t.FulfilmentProfile.location_id).is_not_distinct_from(scope.location_id),
        col(t.FulfilmentProfile.location_type).is_not_distinct_from(scope.location_type),
        col(t.FulfilmentProfile.channel).is_not_distinct_from(scope.channel),
        col(t.FulfilmentProfile.delivery_method).is_not_distinct_from(method),
    )


def _activate(session: Session, row: t.FulfilmentProfile) -> StoredVersion:
    profile = of_row(row)
    replaced = session.exec(
        select(t.FulfilmentProfile)
        .where(
            t.FulfilmentProfile.status == ProfileStatus.ACTIVE.value,
            or_(col(t.FulfilmentProfile.id) == row.id, _same_scope(profile.applies_to)),
        )
        .with_for_update()
    ).all()
    for other in replaced:
        if (other.id, other.version) != (row.id, row.version):
            other.status = ProfileStatus.INACTIVE.value
            session.add(other)
            log.info(
                "fulfilment_profile_retired",
                profile_id=other.id,
                version=other.version,
                replaced_by=profile_ref(row.id, row.version),
            )
    session.flush()  # the old one is inactive before the new one is active: the index holds
    row.status = ProfileStatus.ACTIVE.value
    row.published_at = row.published_at or t.utcnow()
    session.add(row)
    session.flush()
    log.info("fulfilment_profile_published", profile_id=row.id, version=row.version)
    return stored(row)


def publish(session: Session, profile_id: str, version: int) -> StoredVersion:
    """Put the version in force for its scope; idempotent."""
    row = get_row(session, profile_id, version, lock=True)
    if row.status == ProfileStatus.ACTIVE.value:
        return stored(row)
    return _activate(session, row)


def rollback(session: Session, profile_id: str) -> StoredVersion:
    """Re-activate the version of this profile published before the active one."""
    rows = session.exec(
        select(t.FulfilmentProfile)
        .where(t.FulfilmentProfile.id == profile_id)
        .order_by(col(t.FulfilmentProfile.version).desc())
        .with_for_update()
    ).all()
    active = next((r for r in rows if r.status == ProfileStatus.ACTIVE.value), None)
    if active is None:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"profile {profile_id} has no active version", "profile_id"
        )
    earlier = next(
        (r for r in rows if r.version < active.version and r.published_at is not None), None
    )
    if earlier is None:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"no version of {profile_id} was published before v{active.version}",
            "profile_id",
        )
    return _activate(session, earlier)


def retire(session: Session, profile_id: str) -> StoredVersion:
    """Take the profile out of force: its active version becomes inactive, and the
    fulfilments it applied to run the next most specific profile. Publishing a version puts
    it back."""
    active: t.FulfilmentProfile = out_of_force(session, t.FulfilmentProfile, profile_id)
    log.info("fulfilment_profile_retired", profile_id=active.id, version=active.version)
    return stored(active)


def versions(session: Session, profile_id: str | None = None) -> list[StoredVersion]:
    stmt = select(t.FulfilmentProfile).order_by(
        col(t.FulfilmentProfile.id), col(t.FulfilmentProfile.version)
    )
    if profile_id is not None:
        stmt = stmt.where(t.FulfilmentProfile.id == profile_id)
    return [stored(r) for r in session.exec(stmt)]


def candidates(
    session: Session, *, location_id: str, channel: str, method: DeliveryMethod
) -> Candidates:
    """The location's type and the active profiles whose scope matches, in one read; only
    the matching documents are parsed.

    Raises DomainError ``location_not_found`` for a location that does not exist."""
    p, loc = t.FulfilmentProfile, t.Location
    matches = and_(
        col(p.status) == ProfileStatus.ACTIVE.value,
        or_(col(p.location_id).is_(None), col(p.location_id) == col(loc.id)),
        or_(col(p.location_type).is_(None), col(p.location_type) == col(loc.type)),
        or_(col(p.channel).is_(None), col(p.channel) == channel),
        or_(col(p.delivery_method).is_(None), col(p.delivery_method) == method.value),
    )
    rows = session.exec(
        select(loc.type, p).select_from(loc).outerjoin(p, matches).where(loc.id == location_id)
    ).all()
    if not rows:
        raise DomainError(ErrorCode.LOCATION_NOT_FOUND, f"no location {location_id}", "location_id")
    return Candidates(
        location_type=rows[0][0], matching=[of_row(row) for _, row in rows if row is not None]
    )


def choose(
    session: Session, location_id: str, channel: str, method: DeliveryMethod
) -> FulfilmentProfile:
    """``in_force`` as sourcing asks it (activities.sourcing.ProfileChoice)."""
    return in_force(session, location_id=location_id, channel=channel, method=method)


def in_force(
    session: Session, *, location_id: str, channel: str, method: DeliveryMethod
) -> FulfilmentProfile:
    """The profile a fulfilment at this location, of this channel and delivery method, runs:
    the most specific active one whose scope matches, else ``DEFAULT_PROFILE``.

    Raises DomainError ``location_not_found`` for a location that does not exist."""
    found = candidates(session, location_id=location_id, channel=channel, method=method)
    return fp.select(
        found.matching,
        location_id=location_id,
        location_type=found.location_type,
        channel=channel,
        method=method,
    )


def wave_setting(session: Session, location_id: str) -> fp.Waves | None:
    """How the location's pick step is worked in waves: the ``waves`` of the profile in force
    there for shipments, else for collections (any channel: a wave spans every channel's
    fulfilments); None when neither picks in waves.

    Raises DomainError ``location_not_found`` for a location that does not exist."""
    for method in (DeliveryMethod.SHIP, DeliveryMethod.COLLECT):
        profile = in_force(session, location_id=location_id, channel="", method=method)
        if profile.pick_waves is not None:
            return profile.pick_waves
    return None
