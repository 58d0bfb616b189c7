"""Sourcing profiles (admin): drafts, validation, publishing and rolling back (trying one out
before it is in force: ``api.routers.sourcing_trials``).

A profile is a JSON document (``oms.domain.sourcing.profiles``); each change is a new
version, a draft until it is published, immutable after. Publishing makes it the active
profile of its channel (or the default, without a channel) at once; the version active
before becomes inactive.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from api.deps import DbDep, Principal, require
from api.errors import ApiError, error_responses, from_validation
from api.views import as_utc
from oms.db import profiles
from oms.db import tables as t
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.order import Identifier
from oms.domain.sourcing.profiles import MAX_VERSION, ProfileStatus, SourcingProfile
from oms.logging import get_logger

log = get_logger(__name__)
router = APIRouter(prefix="/sourcing", tags=["sourcing"])

Admin = Annotated[Principal, Depends(require())]
Reader = Annotated[Principal, Depends(require("analyst", "integration"))]
Document = Annotated[dict[str, Any], Body(description="A profile document, without id/version")]
VersionPath = Annotated[int, Path(ge=1, le=MAX_VERSION)]

PUBLISH_ATTEMPTS = 3


class VersionSummary(BaseModel):
    id: str
    version: int
    status: ProfileStatus
    channel: str | None
    created_by: str | None
    created_at: datetime
    published_at: datetime | None


class VersionList(BaseModel):
    items: list[VersionSummary]


class ProfileVersion(VersionSummary):
    profile: SourcingProfile


def _summary(row: t.SourcingProfile) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "status": ProfileStatus(row.status),
        "channel": None if row.channel == profiles.DEFAULT_CHANNEL else row.channel,
        "created_by": row.created_by,
        "created_at": as_utc(row.created_at),
        "published_at": as_utc(row.published_at) if row.published_at else None,
    }


def _full(row: t.SourcingProfile) -> ProfileVersion:
    return ProfileVersion(**_summary(row), profile=profiles.of_row(row))


def invalid_profile(exc: profiles.InvalidProfile, at: str | None = None) -> ApiError:
    """422 with each problem located in the document (under ``at`` in the request body)."""
    errors = exc.error.errors()
    if at is not None:
        errors = [{**e, "loc": (at, *e["loc"])} for e in errors]
    return from_validation(RequestValidationError(errors))


@router.get("/profiles", response_model=VersionList)
def list_versions(_: Reader, db: DbDep, id: str | None = None) -> Any:
    """Every version of every profile (or of one), by id then version."""
    stmt = select(t.SourcingProfile).order_by(
        col(t.SourcingProfile.id), col(t.SourcingProfile.version)
    )
    if id is not None:
        stmt = stmt.where(t.SourcingProfile.id == id)
    with db.session() as s:
        return VersionList(items=[VersionSummary(**_summary(r)) for r in s.exec(stmt)])


@router.get("/profiles/in-force", response_model=SourcingProfile)
def profile_in_force(channel: str, _: Reader, db: DbDep) -> Any:
    """The profile an order of this channel is sourced with now (the built-in default when
    none is published)."""
    with db.session() as s:
        return profiles.in_force(s, channel)


@router.post("/profiles/validate", response_model=SourcingProfile)
def validate_profile(document: Document, _: Admin) -> Any:
    """Checks a document without storing it: the profile as it would be read, or 422 with
    every problem and where it is."""
    try:
        return profiles.validate(document, profile_id="draft", version=1)
    except profiles.InvalidProfile as exc:
        raise invalid_profile(exc) from None


@router.post(
    "/profiles/{profile_id}/versions",
    status_code=201,
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.ALREADY_EXISTS),
)
def create_version(
    profile_id: Identifier, document: Document, response: Response, who: Admin, db: DbDep
) -> Any:
    """A new draft version (1 for a new profile). Not in force until published."""
    try:
        with db.session() as s:
            draft = profiles.create_draft(s, profile_id, document, created_by=who.actor)
            row = profiles.get_row(s, draft.id, draft.version)
            response.headers["Location"] = f"/sourcing/profiles/{draft.id}/versions/{draft.version}"
            return _full(row)
    except profiles.InvalidProfile as exc:
        raise invalid_profile(exc) from None
    except IntegrityError:
        raise ApiError(
            ErrorCode.ALREADY_EXISTS, "another version was created at the same time", "id"
        ) from None


@router.get(
    "/profiles/{profile_id}/versions/{version}",
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.PROFILE_NOT_FOUND),
)
def get_version(profile_id: str, version: VersionPath, _: Reader, db: DbDep) -> Any:
    try:
        with db.session() as s:
            return _full(profiles.get_row(s, profile_id, version))
    except DomainError as exc:
        raise ApiError.refused(exc) from None


@router.put(
    "/profiles/{profile_id}/versions/{version}",
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.PROFILE_NOT_FOUND, ErrorCode.PROFILE_PUBLISHED),
)
def edit_draft(
    profile_id: str, version: VersionPath, document: Document, _: Admin, db: DbDep
) -> Any:
    """Replaces a draft's document; a published version is 409 `profile_published`."""
    try:
        with db.session() as s:
            profiles.update_draft(s, profile_id, version, document)
            return _full(profiles.get_row(s, profile_id, version))
    except profiles.InvalidProfile as exc:
        raise invalid_profile(exc) from None
    except DomainError as exc:
        raise ApiError.refused(exc) from None


@router.post(
    "/profiles/{profile_id}/versions/{version}/publish",
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.PROFILE_NOT_FOUND, ErrorCode.INVALID_STATE),
)
def publish_version(profile_id: str, version: VersionPath, _: Admin, db: DbDep) -> Any:
    """Makes the version its channel's active profile from the next order on."""
    return _activating(lambda s: profiles.publish(s, profile_id, version), db)


@router.post(
    "/profiles/{profile_id}/rollback",
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.INVALID_STATE),
)
def rollback_profile(profile_id: str, _: Admin, db: DbDep) -> Any:
    """Re-activates the version published before the active one."""
    return _activating(lambda s: profiles.rollback(s, profile_id), db)


@router.post(
    "/profiles/{profile_id}/retire",
    response_model=ProfileVersion,
    responses=error_responses(ErrorCode.INVALID_STATE),
)
def retire_profile(profile_id: str, principal: Admin, db: DbDep) -> Any:
    """Takes the profile out of force: its active version becomes inactive, and its channel's
    orders are sourced with the active default profile (the built-in one when there is none)
    from the next order on; publishing a version puts it back. 409 `invalid_state` when no
    version of it is active. Answers the version retired."""
    try:
        with db.session() as s:
            retired = _full(profiles.retire(s, profile_id))
    except DomainError as exc:
        raise ApiError.refused(exc) from None
    log.info("sourcing_profile_retired", profile_id=profile_id, by=principal.actor)
    return retired


def _activating(change: Any, db: DbDep) -> ProfileVersion:
    # Two publishes for one channel at once: the database's unique index lets one through;
    # the other reads the new state and goes again.
    for attempt in range(PUBLISH_ATTEMPTS):
        try:
            with db.session() as s:
                active: SourcingProfile = change(s)
                return _full(profiles.get_row(s, active.id, active.version))
        except DomainError as exc:
            raise ApiError.refused(exc) from None
        except IntegrityError:
            if attempt + 1 == PUBLISH_ATTEMPTS:
                raise ApiError(
                    ErrorCode.INVALID_STATE,
                    "another version of this channel's profile is being published; retry",
                ) from None
    raise AssertionError("unreachable")


# -- trying a profile out: simulate one order, replay recent ones -----------------------------
