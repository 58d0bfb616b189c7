"""Fulfilment profiles (admin): drafts, validation, publishing and rolling back, and which
profile a fulfilment at a location would run.

A profile is a JSON document (``oms.domain.fulfilment_profiles``) with an id and a scope
(``applies_to``); each change is a new version, a draft until it is published, immutable
after. Many profiles are in force at once, one version of each; a fulfilment runs the most
specific whose scope matches it.

Admins write. Analysts read versions and what is in force anywhere; a store key reads what is
in force at its own location only (another location answers 404, as if it did not exist).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.deps import DbDep, Principal, require
from api.errors import ApiError, error_responses, from_validation
from api.views import as_utc
from oms.db import fulfilment_profiles as profiles
from oms.domain import fulfilment_profiles as fp
from oms.domain.delivery import DeliveryMethod
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.fulfilment_profiles import FulfilmentProfile, ProfileStatus, Scope, Step

router = APIRouter(prefix="/fulfilment/profiles", tags=["fulfilment profiles"])

Admin = Annotated[Principal, Depends(require())]
Reader = Annotated[Principal, Depends(require("analyst"))]
InForceReader = Annotated[Principal, Depends(require("analyst", "store"))]
Document = Annotated[dict[str, Any], Body(description="A profile document (its version is given)")]
VersionNumber = Annotated[int, Path(ge=1, le=fp.MAX_VERSION)]

PUBLISH_ATTEMPTS = 3


class VersionSummary(BaseModel):
    id: str
    version: int
    status: ProfileStatus
    applies_to: Scope
    created_by: str | None
    created_at: datetime
    published_at: datetime | None


class VersionList(BaseModel):
    items: list[VersionSummary]


class ProfileVersion(VersionSummary):
    profile: FulfilmentProfile


class Overridden(BaseModel):
    id: str
    version: int
    applies_to: Scope


class InForce(BaseModel):
    """The profile a fulfilment with these facts would run now, and why."""

    location_id: str
    location_type: str
    channel: str
    delivery_method: DeliveryMethod
    built_in: bool = Field(description="True: no active profile matches; the built-in one runs")
    matched: Scope | None = Field(
        description="The scope of the chosen profile, the most specific that matches; "
        "null for the built-in profile"
    )
    reason: str = Field(description="Why this profile, in plain words")
    overridden: list[Overridden] = Field(
        description="The other active profiles that match, less specific, most specific first"
    )
    steps: list[Step] = Field(description="The steps a fulfilment of this method goes through")
    profile: FulfilmentProfile


def _summary(version: profiles.StoredVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "version": version.version,
        "status": version.status,
        "applies_to": version.profile.applies_to,
        "created_by": version.created_by,
        "created_at": as_utc(version.created_at),
        "published_at": as_utc(version.published_at) if version.published_at else None,
    }


def _full(version: profiles.StoredVersion) -> ProfileVersion:
    return ProfileVersion(**_summary(version), profile=version.profile)


def invalid_profile(exc: profiles.InvalidProfile) -> ApiError:
    """422 with each problem located in the document."""
    return from_validation(RequestValidationError(exc.error.errors()))


def _scope_words(scope: Scope) -> str:
    named = [f"{name} {value}" for name, value in scope.model_dump(mode="json").items() if value]
    return ", ".join(named) or "every fulfilment"


@router.get("", response_model=VersionList)
def list_versions(_: Reader, db: DbDep, id: str | None = None) -> Any:
    """Every version of every profile (or of one), by id then version."""
    with db.reading() as s:
        return VersionList(items=[VersionSummary(**_summary(v)) for v in profiles.versions(s, id)])


@router.get(
    "/in-force",
    response_model=InForce,
    responses=error_responses(ErrorCode.LOCATION_NOT_FOUND),
)
def profile_in_force(
    location_id: str,
    channel: str,
    delivery_method: DeliveryMethod,
    who: InForceReader,
    db: DbDep,
) -> Any:
    """The profile a fulfilment at this location, of this channel and delivery method, would
    run now, the scope that made it win and the profiles it wins over."""
    if who.role == "store" and who.location_id != location_id:
        raise ApiError(
            ErrorCode.LOCATION_NOT_FOUND, f"no location {location_id} for this key", "location_id"
        )
    with db.reading() as s:
        try:
            found = profiles.candidates(
                s, location_id=location_id, channel=channel, method=delivery_method
            )
        except DomainError as exc:
            raise ApiError.refused(exc) from None
    chosen = fp.select(
        found.matching,
        location_id=location_id,
        location_type=found.location_type,
        channel=channel,
        method=delivery_method,
    )
    built_in = chosen is fp.DEFAULT_PROFILE
    others = sorted(
        (p for p in found.matching if p.id != chosen.id),
        key=lambda p: (p.applies_to.specificity, p.id),
        reverse=True,
    )
    if built_in:
        reason = "no active profile applies here: the built-in profile runs"
    else:
        reason = f"{chosen.id} v{chosen.version} applies to {_scope_words(chosen.applies_to)}: " + (
            f"more specific than {', '.join(f'{p.id} v{p.version}' for p in others)}, "
            f"which also match{'es' if len(others) == 1 else ''}"
            if others
            else "the only active profile that matches"
        )
    return InForce(
        location_id=location_id,
        location_type=found.location_type,
        channel=channel,
        delivery_method=delivery_method,
        built_in=built_in,
        matched=None if built_in else chosen.applies_to,
        reason=reason,
        overridden=[
            Overridden(id=p.id, version=p.version, applies_to=p.applies_to) for p in others
        ],
        steps=chosen.steps_for(delivery_method),
        profile=chosen,
    )


@router.post("/validate", response_model=FulfilmentProfile)
def validate_profile(document: Document, _: Admin) -> Any:
    """Checks a document without storing it: the profile as it would be read, or 422 with
    every problem and where it is."""
    try:
        return profiles.validate(document)
    except profiles.InvalidProfile as exc:
        raise invalid_profile(exc) from None


@router.post(
    "",
    status_code=201,
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.ALREADY_EXISTS),
)
def create_version(document: Document, response: Response, who: Admin, db: DbDep) -> Any:
    """A new draft version of the document's profile (1 for a new id). Runs nowhere until it
    is published."""
    try:
        with db.session() as s:
            draft = profiles.create_draft(s, document, created_by=who.actor)
    except profiles.InvalidProfile as exc:
        raise invalid_profile(exc) from None
    except DomainError as exc:
        raise ApiError.refused(exc) from None
    except IntegrityError:
        raise ApiError(
            ErrorCode.ALREADY_EXISTS, "another version was created at the same time", "id"
        ) from None
    response.headers["Location"] = f"/fulfilment/profiles/{draft.id}/versions/{draft.version}"
    return _full(draft)


@router.get(
    "/{profile_id}/versions/{version}",
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.PROFILE_NOT_FOUND),
)
def get_version(profile_id: str, version: VersionNumber, _: Reader, db: DbDep) -> Any:
    try:
        with db.reading() as s:
            return _full(profiles.get(s, profile_id, version))
    except DomainError as exc:
        raise ApiError.refused(exc) from None


@router.put(
    "/{profile_id}/versions/{version}",
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.PROFILE_NOT_FOUND, ErrorCode.PROFILE_PUBLISHED),
)
def edit_draft(
    profile_id: str, version: VersionNumber, document: Document, _: Admin, db: DbDep
) -> Any:
    """Replaces a draft's document; a published version is 409 `profile_published`."""
    try:
        with db.session() as s:
            return _full(profiles.update_draft(s, profile_id, version, document))
    except profiles.InvalidProfile as exc:
        raise invalid_profile(exc) from None
    except DomainError as exc:
        raise ApiError.refused(exc) from None


@router.post(
    "/{profile_id}/versions/{version}/publish",
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.PROFILE_NOT_FOUND, ErrorCode.INVALID_STATE),
)
def publish_version(profile_id: str, version: VersionNumber, _: Admin, db: DbDep) -> Any:
    """Puts the version in force for its scope from the next fulfilment on; the profile's
    version in force before, and a profile active for exactly the same scope, are retired."""
    return _activating(lambda s: profiles.publish(s, profile_id, version), db)


@router.post(
    "/{profile_id}/rollback",
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.INVALID_STATE),
)
def rollback_profile(profile_id: str, _: Admin, db: DbDep) -> Any:
    """Re-activates the version of the profile published before the active one."""
    return _activating(lambda s: profiles.rollback(s, profile_id), db)


@router.post(
    "/{profile_id}/retire",
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.INVALID_STATE),
)
def retire_profile(profile_id: str, _: Admin, db: DbDep) -> Any:
    """Takes the profile out of force: its fulfilments run the next most specific profile
    that matches them (the built-in one at the end). Publishing a version puts it back."""
    try:
        with db.session() as s:
            return _full(profiles.retire(s, profile_id))
    except DomainError as exc:
        raise ApiError.refused(exc) from None


def _activating(change: Callable[[Session], profiles.StoredVersion], db: DbDep) -> Any:
    # Two publishes of one profile at once: the database's unique index lets one through; the
    # other reads the new state and goes again.
    for attempt in range(PUBLISH_ATTEMPTS):
        try:
            with db.session() as s:
                return _full(change(s))
        except DomainError as exc:
            raise ApiError.refused(exc) from None
        except IntegrityError:
            if attempt + 1 == PUBLISH_ATTEMPTS:
                break
    raise ApiError(
        ErrorCode.INVALID_STATE, "another version of this profile is being published; retry"
    )
