"""API keys as data (admin): issue, list, rotate, revoke.

A key's secret is answered once, when it is made or rotated, and stored only as a hash. A
storefront key may be scoped to channels, a store key is bound to one location; a key may
expire. Rotating keeps the old secret valid for ``OMS_KEY_ROTATION_GRACE`` (24 hours by
default); revoking ends both at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from api.deps import DbDep, Principal, SettingsDep, require
from api.errors import ApiError, error_responses
from api.views import as_utc
from oms.db import api_keys
from oms.db.tables import ApiKey
from oms.domain.errors import ErrorCode
from oms.domain.order import Identifier

router = APIRouter(prefix="/keys", tags=["keys"])

Admin = Annotated[Principal, Depends(require())]
# Every role: what a key is, it may read.
Anyone = Annotated[Principal, Depends(require("storefront", "analyst", "store", "integration"))]
Role = Literal["storefront", "analyst", "store", "integration", "admin"]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    name: str = Field(min_length=1, max_length=128)
    channels: list[Identifier] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Storefront keys only: the channels it may act in (default every channel)",
    )
    location_id: Identifier | None = Field(
        default=None, description="Store keys only, and required for them: its location"
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the key stops working (default never)"
    )

    @model_validator(mode="after")
    def _scope_fits_the_role(self) -> KeyCreate:
        if self.role == "store" and self.location_id is None:
            raise ValueError("a store key needs its location_id")
        if self.role != "store" and self.location_id is not None:
            raise ValueError("only a store key has a location_id")
        if self.role != "storefront" and self.channels is not None:
            raise ValueError("only a storefront key is scoped to channels")
        return self


class KeyPublic(BaseModel):
    id: str
    name: str
    role: str
    channels: list[str] | None
    location_id: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    previous_secret_valid_until: datetime | None = Field(
        description="After a rotation: until when the secret before it still works"
    )

    @classmethod
    def of(cls, row: ApiKey) -> KeyPublic:
        def utc(at: datetime | None) -> datetime | None:
            return as_utc(at) if at is not None else None

        return cls(
            id=row.id,
            name=row.name,
            role=row.role,
            channels=row.channels,
            location_id=row.location_id,
            created_at=as_utc(row.created_at),
            expires_at=utc(row.expires_at),
            last_used_at=utc(row.last_used_at),
            revoked_at=utc(row.revoked_at),
            previous_secret_valid_until=utc(row.previous_valid_until),
        )


class KeyWithSecret(KeyPublic):
    secret: str = Field(description="Shown this once: only its hash is kept")


class KeyList(BaseModel):
    items: list[KeyPublic]


class KeyIdentity(BaseModel):
    """The calling key, as the API sees it: what a console shows and offers follows it."""

    id: str
    name: str
    role: Role
    location_id: str | None = Field(description="A store key's location; null otherwise")
    channels: list[str] | None = Field(
        description="A storefront key's channels; null: every channel"
    )


@router.post("", status_code=201, response_model=KeyWithSecret)
def create_key(body: KeyCreate, response: Response, principal: Admin, db: DbDep) -> Any:
    """Issue a key. Its `secret` is in this answer only; keep it, it cannot be shown again.
    A location or channel that does not exist is refused (422, `location_not_found`,
    `channel_not_found`)."""
    channels = list(body.channels) if body.channels is not None else None
    now = datetime.now(UTC)
    if body.expires_at is not None and body.expires_at <= now:
        raise ApiError(ErrorCode.OUT_OF_RANGE, "expires_at is in the past", "expires_at")
    with db.session() as s:
        problems = api_keys.scope_problems(s, location_id=body.location_id, channels=channels)
        if problems:
            raise ApiError.invalid(problems)
        row, secret = api_keys.issue_key(
            s,
            role=body.role,
            name=body.name,
            location_id=body.location_id,
            channels=channels,
            expires_at=body.expires_at,
        )
        response.headers["Location"] = f"/keys/{row.id}"
        return KeyWithSecret(**KeyPublic.of(row).model_dump(), secret=secret)


@router.get("/me", response_model=KeyIdentity)
def who_am_i(principal: Anyone) -> Any:
    """The calling key's id, name, role and scope (any key): a console signs in with it."""
    return KeyIdentity(
        id=principal.key_id,
        name=principal.name,
        role=principal.role,
        location_id=principal.location_id,
        channels=list(principal.channels) if principal.channels is not None else None,
    )


@router.get("", response_model=KeyList)
def list_keys(_: Admin, db: DbDep, include_revoked: bool = False) -> Any:
    """Every key, oldest first, without secrets (revoked ones with include_revoked=true)."""
    with db.reading() as s:
        return KeyList(
            items=[KeyPublic.of(r) for r in api_keys.listed(s, include_revoked=include_revoked)]
        )


@router.post(
    "/{key_id}/rotate",
    response_model=KeyWithSecret,
    responses=error_responses(ErrorCode.KEY_NOT_FOUND),
)
def rotate_key(key_id: str, _: Admin, db: DbDep, settings: SettingsDep) -> Any:
    """A new secret for the key; the old one keeps working for the grace period
    (`previous_secret_valid_until`), then stops."""
    now = datetime.now(UTC)
    with db.session() as s:
        secret = api_keys.rotate(s, key_id, now, settings.key_rotation_grace)
        row = s.get(ApiKey, key_id)
        if secret is None or row is None:
            raise ApiError(ErrorCode.KEY_NOT_FOUND, f"no live key {key_id}", "key_id")
        return KeyWithSecret(**KeyPublic.of(row).model_dump(), secret=secret)


@router.delete(
    "/{key_id}",
    status_code=204,
    responses=error_responses(ErrorCode.KEY_NOT_FOUND, ErrorCode.INVALID_STATE),
)
def revoke_key(key_id: str, principal: Admin, db: DbDep) -> Response:
    """Revoke the key: its secrets stop working at once, the next request answers 401. An
    admin key cannot revoke itself (another admin can)."""
    if key_id == principal.key_id:
        raise ApiError(ErrorCode.INVALID_STATE, "a key cannot revoke itself", "key_id")
    with db.session() as s:
        if not api_keys.revoke(s, key_id, datetime.now(UTC)):
            raise ApiError(ErrorCode.KEY_NOT_FOUND, f"no live key {key_id}", "key_id")
    return Response(status_code=204)
